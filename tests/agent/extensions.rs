//! Config, secret and registry extensions end to end: the server (with its embedded agent, or a
//! docker agent on the fake Docker Engine for registries) calls an extension running in the
//! test, which checks every request's signature with its own verifier and the public key the
//! server publishes; the pipelines then run what the extension decided.

use std::time::Duration;

use serde_json::{Value, json};

use crate::agent::extension_server::{Answer, CAVAGE_KEY_ID, FakeExtension, Form, RFC9421_LABEL};
use crate::agent::harness::{AgentProcess, Ci, TestRepo, step};
use crate::agent::test_ca::TestCa;
use crate::fake_engine::{Behaviour, FakeEngine};
use crate::signatures::{MAX_AGE, verify_cavage, verify_rfc9421};

/// The repo's own config.
const OWN: &str = "\
steps:
  - name: own
    image: alpine
    commands:
      - echo \"from the repo\"
";

/// The config the extension hands back.
const CENTRAL: &str = "\
steps:
  - name: central
    image: alpine
    commands:
      - echo \"from the extension\"
";

/// Lets the server reach extensions on loopback, as every test but the allow-list one needs.
const LOOPBACK: (&str, &str) = ("WOODPECKER_EXTENSIONS_ALLOWED_HOSTS", "loopback");

/// A server whose config extension is `extension`, with a repo whose first push holds [`OWN`].
async fn config_extension_ci(extension: &FakeExtension, env: &[(&str, &str)]) -> (Ci, TestRepo) {
    let env: Vec<(&str, &str)> = [("WOODPECKER_CONFIG_SERVICE_ENDPOINT", extension.url.as_str())]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    let ci = Ci::start(&env);
    extension.trust(&ci).await;
    let repo = ci.repo("configured").await;
    ci.push(&repo, &[(".woodpecker.yaml", OWN)]);
    (ci, repo)
}

/// Panics unless the extension accepted every request it got, and got at least one.
fn assert_all_verified(extension: &FakeExtension) {
    let received = extension.received();
    assert!(!received.is_empty(), "the extension was never called");
    for (request, verdict) in &received {
        assert_eq!(verdict, &Ok(()), "{request:#?}");
    }
}

/// Everything step `name` of the pipeline logged, as one string.
async fn logged(ci: &Ci, repo: &TestRepo, pipeline: &Value, name: &str) -> String {
    let number = pipeline["number"].as_i64().unwrap();
    let id = step(pipeline, name)["id"].as_i64().unwrap();
    ci.log_lines(repo, number, id).await.join("")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_extension_answering_200_replaces_the_repos_config_on_create_and_restart() {
    let answer = json!({"configs": [{"name": "central", "data": CENTRAL}]});
    let extension = FakeExtension::start(Form::Rfc9421, Answer::json(200, answer)).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert!(logged(&ci, &repo, &pipeline, "central").await.contains("from the extension"));
    assert!(pipeline["workflows"].to_string().contains("central"));
    assert!(!pipeline["workflows"].to_string().contains("\"own\""), "{pipeline:#}");

    assert_all_verified(&extension);
    let (request, _) = &extension.received()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/extension/hook?token=abc");
    assert_eq!(request.header("content-type"), Ok("application/json"));
    assert!(request.header("user-agent").unwrap().starts_with("Woodpecker/"), "{request:#?}");
    assert!(request.header("user-agent").unwrap().ends_with("(server-extensions)"));
    let body = request.json();
    assert_eq!(body["repo"]["full_name"], "admin/configured");
    assert_eq!(body["pipeline"]["commit"], pipeline["commit"]);
    assert_eq!(body["configs"], json!([{"name": ".woodpecker.yaml", "data": OWN}]));
    assert_eq!(body["configuration"], body["configs"]);
    assert_eq!(body["netrc"], Value::Null, "netrc is sent only when asked for");

    assert_eq!(ci.post(&format!("/api/repos/{}/pipelines/1", repo.id)).await, 200);
    let restarted = ci.finished(&repo, 2).await;
    assert_eq!(restarted["status"], "success", "{restarted:#}");
    let received = extension.received();
    assert_eq!(received.len(), 2, "a restart asks the extension again");
    let restart_request = received[1].0.json();
    assert_eq!(restart_request["pipeline"]["number"], 2);
    assert_eq!(restart_request["configs"][0]["name"], "central", "the restart sends the stored files");
    assert_all_verified(&extension);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_extension_behind_https_is_reached_when_its_ca_is_trusted() {
    let ca = TestCa::new();
    let answer = json!({"configs": [{"name": "central", "data": CENTRAL}]});
    let extension = FakeExtension::start_https(Form::Rfc9421, Answer::json(200, answer), &ca).await;
    assert!(extension.url.starts_with("https://localhost:"), "{}", extension.url);
    let (ci, repo) =
        config_extension_ci(&extension, &[LOOPBACK, ("NUTHATCH_EXTENSION_CA_FILE", ca.path())]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert!(logged(&ci, &repo, &pipeline, "central").await.contains("from the extension"));
    assert_all_verified(&extension);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_extension_with_an_untrusted_certificate_fails_the_pipeline_with_the_reason() {
    let ca = TestCa::new();
    let extension = FakeExtension::start_https(Form::Rfc9421, Answer::status(204), &ca).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "error", "{pipeline:#}");
    let message = pipeline["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("invalid peer certificate") && message.contains("UnknownIssuer"), "{message}");
    assert!(extension.received().is_empty(), "no request got past the handshake");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repos_own_exclusive_config_extension_set_through_the_api_builds_the_pipeline() {
    let answer = json!({"configs": [{"name": "central", "data": CENTRAL}]});
    let extension = FakeExtension::start(Form::Rfc9421, Answer::json(200, answer)).await;
    let ci = Ci::start(&[LOOPBACK]);
    extension.trust(&ci).await;
    let repo = ci.repo("own-endpoint").await;
    let settings = json!({
        "config_extension_endpoint": extension.url,
        "config_extension_exclusive": true,
        "config_extension_netrc": true,
    });
    let patched = ci
        .http
        .patch(ci.url(&format!("/api/repos/{}", repo.id)))
        .bearer_auth(&ci.token)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    ci.push(&repo, &[(".woodpecker.yaml", OWN)]);

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert!(logged(&ci, &repo, &pipeline, "central").await.contains("from the extension"));
    assert_all_verified(&extension);
    let body = extension.received()[0].0.json();
    assert_eq!(body["repo"]["full_name"], "admin/own-endpoint");
    assert_eq!(body["configs"], json!([]), "an exclusive extension is not sent the forge's files: {body}");
    assert!(body["netrc"]["machine"].is_string(), "the repo asked for the netrc: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_extension_answering_204_keeps_the_repos_config() {
    let extension = FakeExtension::start(Form::Rfc9421, Answer::status(204)).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert!(logged(&ci, &repo, &pipeline, "own").await.contains("from the repo"));
    assert_all_verified(&extension);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_extension_answering_500_fails_the_pipeline_after_three_freshly_signed_tries() {
    let extension = FakeExtension::start(Form::Rfc9421, Answer::json(500, json!({"error": "boom"}))).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "error", "{pipeline:#}");
    let message = pipeline["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("config extension") && message.contains("500"), "{message}");
    assert!(pipeline["workflows"].as_array().is_none_or(Vec::is_empty), "nothing ran: {pipeline:#}");

    let received = extension.received();
    assert_eq!(received.len(), 3, "three tries");
    assert_all_verified(&extension);
    let first = received[0].0.header("signature-input").unwrap().to_owned();
    let last = received[2].0.header("signature-input").unwrap().to_owned();
    assert_ne!(first, last, "each try is signed afresh (1.5 s of backoff lie between them)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_extension_that_does_not_answer_in_time_fails_the_pipeline() {
    let extension =
        FakeExtension::start(Form::Rfc9421, Answer::status(204).after(Duration::from_secs(5))).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK, ("NUTHATCH_EXTENSION_TIMEOUT", "1s")]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "error", "{pipeline:#}");
    let message = pipeline["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("config extension") && message.contains("no answer within 1 s"), "{message}");
    assert_eq!(extension.received().len(), 3, "a timeout is retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_extensions_on_loopback_are_refused_with_a_clear_error() {
    let extension = FakeExtension::start(Form::Rfc9421, Answer::status(204)).await;
    let (ci, repo) = config_extension_ci(&extension, &[]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "error", "{pipeline:#}");
    let message = pipeline["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1 is not allowed by WOODPECKER_EXTENSIONS_ALLOWED_HOSTS"), "{message}");
    assert!(extension.received().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cavage_form_signs_request_target_and_date_for_woodpecker_2_services() {
    let extension = FakeExtension::start(Form::Cavage, Answer::status(204)).await;
    let (ci, repo) =
        config_extension_ci(&extension, &[LOOPBACK, ("NUTHATCH_EXTENSION_SIGNATURE", "cavage")]).await;

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    assert_all_verified(&extension);
    let (request, _) = &extension.received()[0];
    assert!(request.header("signature").unwrap().starts_with(&format!("keyId=\"{CAVAGE_KEY_ID}\"")));
    assert!(request.header("signature-input").is_err(), "no RFC 9421 headers in this form");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_extensions_verifier_rejects_a_tampered_body_and_an_old_signature() {
    let extension = FakeExtension::start(Form::Rfc9421, Answer::status(204)).await;
    let (ci, repo) = config_extension_ci(&extension, &[LOOPBACK]).await;
    ci.finished(&repo, 1).await;
    let key = extension.trust(&ci).await;
    let (genuine, verdict) = extension.received().remove(0);
    assert_eq!(verdict, Ok(()));

    let mut tampered = genuine.clone();
    tampered.body =
        String::from_utf8(genuine.body.clone()).unwrap().replace("configured", "hijacked").into_bytes();
    assert!(
        verify_rfc9421(&tampered, RFC9421_LABEL, &key, genuine.at).unwrap_err().contains("content-digest")
    );

    // A consistent digest of the new body does not help: the signature covers the digest.
    let digest = ring::digest::digest(&ring::digest::SHA256, &tampered.body);
    let header =
        format!("sha-256=:{}:", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest));
    for (name, value) in &mut tampered.headers {
        if name == "content-digest" {
            value.clone_from(&header);
        }
    }
    assert!(
        verify_rfc9421(&tampered, RFC9421_LABEL, &key, genuine.at).unwrap_err().contains("does not verify")
    );

    let stale = verify_rfc9421(&genuine, RFC9421_LABEL, &key, genuine.at + MAX_AGE + 1);
    assert!(stale.unwrap_err().contains("ago"));
    assert!(verify_cavage(&genuine, CAVAGE_KEY_ID, &key, genuine.at).is_err(), "not a cavage signature");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_from_the_secret_extension_reaches_the_step_masked_and_beats_a_stored_one() {
    // `$$` keeps the length expansion from the compiler's own `${...}` substitution.
    const PIPELINE: &str = "\
steps:
  - name: use
    image: alpine
    environment:
      MY_SECRET:
        from_secret: my_secret
    commands:
      - echo \"value:$MY_SECRET\"
      - echo \"length:$${#MY_SECRET}\"
";
    let secrets =
        json!({"secrets": [{"name": "my_secret", "value": "ext-s3cr3t-value", "events": ["push"]}]});
    let extension = FakeExtension::start(Form::Rfc9421, Answer::json(200, secrets)).await;
    let ci = Ci::start(&[LOOPBACK, ("WOODPECKER_SECRET_EXTENSION_ENDPOINT", extension.url.as_str())]);
    extension.trust(&ci).await;
    let repo = ci.repo("secretive").await;
    ci.add_secret(&repo, "my_secret", "stored").await;
    ci.push(&repo, &[(".woodpecker.yaml", PIPELINE)]);

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    let log = logged(&ci, &repo, &pipeline, "use").await;
    assert!(log.contains("value:********"), "{log}");
    assert!(!log.contains("ext-s3cr3t-value"), "{log}");
    assert!(log.contains("length:16"), "the extension's value, not the stored one: {log}");

    assert_all_verified(&extension);
    let body = extension.received()[0].0.json();
    assert_eq!(body["repo"]["full_name"], "admin/secretive");
    assert!(body.get("configs").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_credentials_from_the_registry_extension_authenticate_the_image_pull() {
    const IMAGE: &str = "registry.example/team/builder:1";
    const SECRET: &str = "registry-extension-agent";
    let registries = json!({"registries": [
        {"address": "registry.example", "username": "robot", "password": "from-the-extension"}
    ]});
    let extension = FakeExtension::start(Form::Rfc9421, Answer::json(200, registries)).await;
    let engine = FakeEngine::on_tcp().await;
    engine.runs(IMAGE, Behaviour { stdout: "built\n".into(), ..Behaviour::default() });
    let ci = Ci::start(&[
        LOOPBACK,
        ("WOODPECKER_REGISTRY_EXTENSION_ENDPOINT", extension.url.as_str()),
        ("NUTHATCH_EMBEDDED_AGENT", "false"),
        ("WOODPECKER_AGENT_SECRET", SECRET),
    ]);
    extension.trust(&ci).await;
    let agent =
        AgentProcess::start(&ci, SECRET, &[("WOODPECKER_BACKEND", "docker"), ("DOCKER_HOST", &engine.host)]);
    let repo = ci.repo("registered").await;
    ci.add_registry(&repo, "registry.example", "robot", "stored-and-hidden").await;
    ci.push(
        &repo,
        &[(
            ".woodpecker.yaml",
            &format!("steps:\n  - name: build\n    image: {IMAGE}\n    commands: [make]\n"),
        )],
    );

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}\n{}", agent.log());
    let pulls = engine.calls_to("POST /images/create");
    let pull =
        pulls.iter().find(|c| c.query["fromImage"] == "registry.example/team/builder").expect("image pulled");
    let credentials = pull.registry_credentials().expect("X-Registry-Auth");
    assert_eq!(
        (credentials["username"].as_str(), credentials["password"].as_str()),
        (Some("robot"), Some("from-the-extension")),
        "the extension's credentials win over the stored ones for the same address"
    );

    assert_all_verified(&extension);
    let body = extension.received()[0].0.json();
    assert_eq!(body["repo"]["full_name"], "admin/registered");
    assert_eq!(body["pipeline"]["number"], 1, "{body}");
}
