//! Secrets encrypted at rest, as an operator meets it: with `WOODPECKER_ENCRYPTION_KEY` set a
//! pipeline still gets its secret, a wrong or missing key stops the server at start with one
//! clear line, and `WOODPECKER_ENCRYPTION_DISABLE` turns encryption off for good.

use crate::agent::harness::{Ci, TestRepo, step};

const KEY: &str = "correct horse battery staple";

/// A step that succeeds only when the secret reaches it with its value.
const USES_SECRET: &str = "\
steps:
  - name: check
    image: alpine
    environment:
      TOKEN:
        from_secret: deploy_token
    commands:
      - test \"$TOKEN\" = s3cr3t-value
      - echo the secret arrived
";

/// Pushes the pipeline and expects its `check` step to succeed.
async fn secret_reaches_pipeline(ci: &Ci, repo: &TestRepo, number: i64) {
    ci.push(repo, &[(".woodpecker.yaml", &format!("{USES_SECRET}# run {number}\n"))]);
    let pipeline = ci.finished(repo, number).await;
    let check = step(&pipeline, "check");
    assert_eq!(check["state"], "success", "{pipeline:#}");
    let lines = ci.log_lines(repo, number, check["id"].as_i64().unwrap()).await;
    assert!(lines.iter().any(|l| l.contains("the secret arrived")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_encrypted_secret_reaches_the_pipeline_and_only_the_right_key_starts_the_server() {
    let mut ci = Ci::start(&[("WOODPECKER_ENCRYPTION_KEY", KEY)]);
    let repo = ci.repo("sealed").await;
    ci.add_secret(&repo, "deploy_token", "s3cr3t-value").await;
    secret_reaches_pipeline(&ci, &repo, 1).await;

    let wrong = ci.server.start_failing_with(&[("WOODPECKER_ENCRYPTION_KEY", "another key")]);
    assert!(wrong.contains("WOODPECKER_ENCRYPTION_KEY is not the key"), "{wrong}");
    assert_eq!(wrong.trim().lines().count(), 1, "one line: {wrong}");
    let missing = ci.server.start_failing_with(&[("WOODPECKER_ENCRYPTION_KEY", "")]);
    assert!(missing.contains("WOODPECKER_ENCRYPTION_KEY is not set"), "{missing}");
    let tink = ci.server.start_failing_with(&[
        ("WOODPECKER_ENCRYPTION_KEY", KEY),
        ("WOODPECKER_ENCRYPTION_TINK_KEYSET_FILE", "/etc/keyset.json"),
    ]);
    assert!(tink.contains("Tink keysets are not supported"), "{tink}");

    ci.server
        .restart_with(&[("WOODPECKER_ENCRYPTION_TINK_KEYSET_FILE", ""), ("WOODPECKER_ENCRYPTION_KEY", KEY)]);
    secret_reaches_pipeline(&ci, &repo, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_encryption_decrypts_the_secrets_so_the_key_is_no_longer_needed() {
    let mut ci = Ci::start(&[("WOODPECKER_ENCRYPTION_KEY", KEY)]);
    let repo = ci.repo("unsealed").await;
    ci.add_secret(&repo, "deploy_token", "s3cr3t-value").await;

    ci.server.restart_with(&[("WOODPECKER_ENCRYPTION_DISABLE", "true")]);
    ci.server.restart_with(&[("WOODPECKER_ENCRYPTION_KEY", ""), ("WOODPECKER_ENCRYPTION_DISABLE", "false")]);
    secret_reaches_pipeline(&ci, &repo, 1).await;
}
