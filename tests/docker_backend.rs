//! The docker backend against the Docker Engine API.
//!
//! No Docker daemon runs where these tests run, so they check the API shape only: the backend
//! talks to a fake Engine API server (`fake_engine`) that records every call and answers with
//! the daemon's JSON and stream shapes, and the tests assert the calls, their bodies and what
//! comes back through the backend port. Whether real containers behave is checked only by
//! `a_real_daemon_runs_a_step`, which runs when `/var/run/docker.sock` answers and says why it
//! skips otherwise. Nothing else is skipped.

#[path = "docker_backend/fake_engine.rs"]
mod fake_engine;
#[path = "common/server.rs"]
#[allow(dead_code)]
mod test_server;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use clap::Parser;
use nuthatch::adapters::backend::docker::{DockerBackend, DockerSettings, Limits};
use nuthatch::app::agent::config::AgentConfig;
use nuthatch::app::agent::recorder::RecordingReporter;
use nuthatch::app::agent::runner;
use nuthatch::domain::workload::{AuthSpec, StageSpec, StepSpec, Workload};
use nuthatch::ports::backend::{Backend, BackendError, Exit};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::fake_engine::{Behaviour, FakeEngine};
use crate::test_server::temp_dir;

const TASK: &str = "42";

fn commands_step(name: &str, image: &str) -> StepSpec {
    StepSpec {
        name: name.into(),
        uuid: format!("01J{}", name.to_uppercase()),
        kind: "commands".into(),
        image: image.into(),
        working_dir: "/woodpecker/src/repo".into(),
        workspace_base: "/woodpecker".into(),
        environment: BTreeMap::from([("CI".into(), "woodpecker".into())]),
        commands: vec!["make test".into()],
        on_success: true,
        failure: "fail".into(),
        ..StepSpec::default()
    }
}

fn workload(stages: Vec<Vec<StepSpec>>) -> Workload {
    Workload {
        pipeline: stages.into_iter().map(|steps| StageSpec { steps }).collect(),
        network: "wp_01jx_0_default".into(),
        volume: "wp_01jx_0_default".into(),
        ..Workload::default()
    }
}

async fn backend_on(engine: &FakeEngine) -> DockerBackend {
    DockerBackend::connect(DockerSettings { host: Some(engine.host.clone()), ..DockerSettings::default() })
        .await
        .unwrap()
}

async fn read_all(mut output: nuthatch::ports::backend::Output) -> String {
    let mut text = String::new();
    output.read_to_string(&mut text).await.unwrap();
    text
}

/// The create body of a step's container.
fn created(engine: &FakeEngine, container: &str) -> Value {
    let calls = engine.calls_to("POST /containers/create");
    calls.into_iter().rev().find(|c| c.query["name"] == container).expect("container created").body
}

fn env_of(body: &Value) -> Vec<String> {
    body["Env"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_step_runs_in_a_container_on_the_workflow_volume_and_network() {
    let engine = FakeEngine::on_tcp().await;
    engine.runs(
        "alpine:3.20",
        Behaviour {
            stdout: "+ make test\nok\n".into(),
            stderr: "warning\n".into(),
            exit_code: 3,
            ..Behaviour::default()
        },
    );
    let backend = backend_on(&engine).await;
    assert_eq!(backend.name(), "docker");
    assert_eq!(backend.platform(), "linux/amd64");
    let step = commands_step("build", "alpine:3.20");
    let work = workload(vec![vec![step.clone()]]);

    backend.setup_workflow(TASK, &work).await.unwrap();
    let output = backend.start_step(TASK, &step).await.unwrap();
    assert_eq!(read_all(output).await, "+ make test\nok\nwarning\n", "stdout and stderr, demultiplexed");
    assert_eq!(backend.wait_step(TASK, &step).await.unwrap(), Exit { code: 3, oom_killed: false });
    backend.destroy_workflow(TASK, &work).await.unwrap();

    let labels: Vec<String> = engine.calls().iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "GET /_ping",
            "GET /version",
            "GET /info",
            "POST /volumes/create",
            "POST /networks/create",
            "POST /containers/create",
            "POST /images/create",
            "POST /containers/create",
            "POST /networks/wp_01jx_0_default/connect",
            "POST /containers/wp_01JBUILD/start",
            "GET /containers/wp_01JBUILD/logs",
            "POST /containers/wp_01JBUILD/wait",
            "GET /containers/wp_01JBUILD/json",
            "DELETE /containers/wp_01JBUILD",
            "DELETE /volumes/wp_01jx_0_default",
            "DELETE /networks/wp_01jx_0_default",
        ],
        "the image is pulled because the daemon does not have it"
    );
    assert_eq!(
        engine.calls_to("POST /volumes/create")[0].body,
        json!({"Name": "wp_01jx_0_default", "Driver": "local"})
    );
    assert_eq!(engine.calls_to("POST /networks/create")[0].body["Driver"], "bridge");
    let pull = &engine.calls_to("POST /images/create")[0];
    assert_eq!((pull.query["fromImage"].as_str(), pull.query["tag"].as_str()), ("alpine", "3.20"));
    assert_eq!(pull.registry_auth, None, "no credentials, no registry auth");

    let body = created(&engine, "wp_01JBUILD");
    assert_eq!(body["Image"], "alpine:3.20");
    assert_eq!(body["Entrypoint"], json!(["/bin/sh", "-c", "echo $CI_SCRIPT | base64 -d | /bin/sh -e"]));
    assert_eq!(body["WorkingDir"], "/woodpecker");
    assert_eq!(body["Labels"], json!({"wp_uuid": "01JBUILD", "wp_step": "build"}));
    assert_eq!(body["HostConfig"]["Privileged"], false);
    assert_eq!(body["HostConfig"]["Binds"], json!(["wp_01jx_0_default:/woodpecker"]));
    let env = env_of(&body);
    assert!(env.contains(&"CI=woodpecker".to_owned()), "{env:?}");
    let script = env.iter().find_map(|e| e.strip_prefix("CI_SCRIPT=")).expect("CI_SCRIPT");
    let script =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(script).unwrap()).unwrap();
    assert!(script.contains("cd '/woodpecker/src/repo'\necho '+ make test'\nmake test\n"), "{script}");

    let connect = &engine.calls_to("POST /networks/wp_01jx_0_default/connect")[0];
    assert_eq!(connect.body["Container"], "wp_01JBUILD");
    assert_eq!(connect.body["EndpointConfig"]["Aliases"], json!(["build"]));
    let logs = &engine.calls_to("GET /containers/wp_01JBUILD/logs")[0];
    assert_eq!(
        (logs.query["follow"].as_str(), logs.query["stdout"].as_str(), logs.query["stderr"].as_str()),
        ("true", "true", "true")
    );
    let removal = &engine.calls_to("DELETE /containers/wp_01JBUILD")[0];
    assert_eq!((removal.query["force"].as_str(), removal.query["v"].as_str()), ("true", "true"));
    assert!(engine.leftovers().is_empty(), "{:?}", engine.leftovers());
}

#[tokio::test]
async fn privileged_steps_with_pull_and_credentials_pull_with_registry_auth() {
    let engine = FakeEngine::on_tcp().await;
    engine.has_image("registry.example/team/builder:1");
    let backend = backend_on(&engine).await;
    let step = StepSpec {
        image: "registry.example/team/builder:1".into(),
        pull: true,
        privileged: true,
        auth_config: AuthSpec { username: "robot".into(), password: "s3cret".into() },
        ..commands_step("publish", "")
    };
    backend.setup_workflow(TASK, &workload(vec![vec![step.clone()]])).await.unwrap();
    read_all(backend.start_step(TASK, &step).await.unwrap()).await;

    let pulls = engine.calls_to("POST /images/create");
    assert_eq!(pulls.len(), 1, "pull: true pulls although the daemon has the image");
    assert_eq!(pulls[0].query["fromImage"], "registry.example/team/builder");
    let credentials = pulls[0].registry_credentials().expect("X-Registry-Auth");
    assert_eq!(
        (credentials["username"].as_str(), credentials["password"].as_str()),
        (Some("robot"), Some("s3cret"))
    );
    assert_eq!(created(&engine, "wp_01JPUBLISH")["HostConfig"]["Privileged"], true);
}

#[tokio::test]
async fn a_refused_pull_with_credentials_fails_the_step_with_the_registrys_words() {
    let engine = FakeEngine::on_tcp().await;
    engine.refuses_pull("private/app:2", "unauthorized: authentication required");
    let backend = backend_on(&engine).await;
    let step = StepSpec {
        pull: true,
        auth_config: AuthSpec { username: "robot".into(), password: "wrong".into() },
        ..commands_step("deploy", "private/app:2")
    };
    backend.setup_workflow(TASK, &workload(vec![vec![step.clone()]])).await.unwrap();
    let error = backend.start_step(TASK, &step).await.err().expect("the step does not start");
    assert!(matches!(error, BackendError::Start { .. }), "{error:?}");
    assert!(error.to_string().contains("unauthorized: authentication required"), "{error}");
    assert!(engine.calls_to("POST /containers/create").is_empty());
}

#[tokio::test]
async fn oom_kills_come_back_through_the_port() {
    let engine = FakeEngine::on_tcp().await;
    engine
        .has_image("hungry:1")
        .runs("hungry:1", Behaviour { exit_code: 137, oom_killed: true, ..Behaviour::default() });
    let backend = backend_on(&engine).await;
    let step = commands_step("eat", "hungry:1");
    backend.setup_workflow(TASK, &workload(vec![vec![step.clone()]])).await.unwrap();
    read_all(backend.start_step(TASK, &step).await.unwrap()).await;
    assert_eq!(backend.wait_step(TASK, &step).await.unwrap(), Exit { code: 137, oom_killed: true });
}

#[tokio::test]
async fn configured_volumes_network_and_limits_reach_every_container() {
    let engine = FakeEngine::on_tcp().await;
    engine.has_image("alpine:3.20");
    let settings = DockerSettings {
        host: Some(engine.host.clone()),
        network: Some("ci-shared".into()),
        volumes: vec!["/var/cache/ci:/cache:ro".into()],
        enable_ipv6: true,
        limits: Limits {
            mem: 512 << 20,
            mem_swap: 1 << 30,
            shm_size: 64 << 20,
            cpu_quota: 50_000,
            cpu_shares: 512,
            cpu_set: "0-1".into(),
        },
    };
    let backend = DockerBackend::connect(settings).await.unwrap();
    let step = commands_step("build", "alpine:3.20");
    let work = workload(vec![vec![step.clone()]]);
    // The shared network exists beforehand, as an operator would have made it.
    let shared = Workload { network: "ci-shared".into(), volume: "unused".into(), ..Workload::default() };
    backend.setup_workflow("other", &shared).await.unwrap();
    backend.setup_workflow(TASK, &work).await.unwrap();
    read_all(backend.start_step(TASK, &step).await.unwrap()).await;

    assert_eq!(engine.calls_to("POST /networks/create")[1].body["EnableIPv6"], true);
    let host = &created(&engine, "wp_01JBUILD")["HostConfig"];
    assert_eq!(host["Binds"], json!(["wp_01jx_0_default:/woodpecker", "/var/cache/ci:/cache:ro"]));
    assert_eq!(
        [&host["Memory"], &host["MemorySwap"], &host["ShmSize"], &host["CpuQuota"], &host["CpuShares"]],
        [&json!(512 << 20), &json!(1 << 30), &json!(64 << 20), &json!(50_000), &json!(512)]
    );
    assert_eq!(host["CpusetCpus"], "0-1");
    let joined = engine.calls_to("POST /networks/ci-shared/connect");
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].body["Container"], "wp_01JBUILD");
}

#[tokio::test]
async fn a_container_left_over_from_an_earlier_attempt_is_replaced() {
    let engine = FakeEngine::on_tcp().await;
    engine.has_image("alpine:3.20");
    let backend = backend_on(&engine).await;
    let step = commands_step("build", "alpine:3.20");
    backend.setup_workflow(TASK, &workload(vec![vec![step.clone()]])).await.unwrap();
    read_all(backend.start_step(TASK, &step).await.unwrap()).await;
    read_all(backend.start_step(TASK, &step).await.unwrap()).await;

    let labels: Vec<String> = engine.calls().iter().map(|c| c.label()).collect();
    let second_start = labels.iter().rposition(|l| l == "POST /containers/wp_01JBUILD/start").unwrap();
    assert_eq!(
        labels[second_start - 4..second_start - 1],
        ["POST /containers/create", "DELETE /containers/wp_01JBUILD", "POST /containers/create"]
    );
}

#[tokio::test]
async fn the_daemon_is_reached_on_a_unix_socket() {
    let dir = temp_dir("docker-socket");
    let engine = FakeEngine::on_unix_socket(&dir.join("docker.sock")).await;
    engine
        .has_image("alpine:3.20")
        .runs("alpine:3.20", Behaviour { stdout: "hello\n".into(), ..Behaviour::default() });
    let backend = backend_on(&engine).await;
    let step = commands_step("hello", "alpine:3.20");
    let work = workload(vec![vec![step.clone()]]);
    backend.setup_workflow(TASK, &work).await.unwrap();
    assert_eq!(read_all(backend.start_step(TASK, &step).await.unwrap()).await, "hello\n");
    assert_eq!(backend.wait_step(TASK, &step).await.unwrap().code, 0);
    backend.destroy_workflow(TASK, &work).await.unwrap();
    assert!(engine.leftovers().is_empty(), "{:?}", engine.leftovers());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_unreachable_daemon_is_reported_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings =
        DockerSettings { host: Some(format!("tcp://127.0.0.1:{closed}")), ..DockerSettings::default() };
    let error = DockerBackend::connect(settings).await.err().expect("no daemon");
    assert!(matches!(error, BackendError::Unavailable { backend: "docker", .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{closed}")), "{error}");
}

#[tokio::test]
async fn the_runner_starts_services_without_waiting_and_removes_everything_at_the_end() {
    let engine = FakeEngine::on_tcp().await;
    engine.has_image("postgres:17").has_image("alpine:3.20");
    engine.runs(
        "alpine:3.20",
        Behaviour { stdout: "+ make test\nall passed\n".into(), ..Behaviour::default() },
    );
    let backend: Arc<dyn Backend> = Arc::new(backend_on(&engine).await);
    let service = StepSpec {
        kind: "service".into(),
        detach: true,
        commands: vec![],
        ..commands_step("database", "postgres:17")
    };
    let step = commands_step("test", "alpine:3.20");
    let work = workload(vec![vec![service], vec![step]]);
    let recorder = Arc::new(RecordingReporter::default());
    let (_cancel, canceled) = tokio::sync::watch::channel(false);

    let outcome =
        runner::run(backend, TASK, &work, recorder.clone(), canceled, Duration::from_secs(60)).await;

    assert!(outcome.error.is_empty() && !outcome.canceled, "{outcome:?}");
    assert_eq!(recorder.output("01JTEST"), ["+ make test", "all passed"]);
    let test = recorder.last("01JTEST").expect("reported");
    assert!(test.exited && test.exit_code == 0, "{test:?}");
    assert!(engine.calls_to("POST /containers/wp_01JDATABASE/start").len() == 1, "the service started");
    assert!(engine.calls_to("POST /containers/wp_01JDATABASE/wait").is_empty(), "nobody waits for a service");
    assert_eq!(
        created(&engine, "wp_01JDATABASE")["Entrypoint"],
        Value::Null,
        "the service keeps its image's entrypoint"
    );
    assert!(engine.leftovers().is_empty(), "{:?}", engine.leftovers());
}

/// `nuthatch agent`'s settings as the command line gives them.
#[derive(Parser)]
struct AgentCli {
    #[command(flatten)]
    agent: AgentConfig,
}

#[tokio::test]
async fn backend_auto_detect_picks_docker_only_when_a_daemon_answers() {
    let engine = FakeEngine::on_tcp().await;
    let pick = |host: &str| {
        AgentCli::parse_from(["agent", "--backend", "auto-detect", "--backend-docker-host", host]).agent
    };
    assert_eq!(pick(&engine.host).backend().await.unwrap().name(), "docker");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(pick(&format!("tcp://127.0.0.1:{closed}")).backend().await.unwrap().name(), "local");
    let docker_only = AgentCli::parse_from([
        "agent",
        "--backend",
        "docker",
        "--backend-docker-host",
        &format!("tcp://127.0.0.1:{closed}"),
    ]);
    let error = docker_only.agent.backend().await.err().expect("docker is required").to_string();
    assert!(error.contains("WOODPECKER_BACKEND=docker"), "{error}");
}

/// Runs one step on the machine's own daemon, when there is one.
#[tokio::test]
async fn a_real_daemon_runs_a_step() {
    let settings =
        DockerSettings { host: Some("unix:///var/run/docker.sock".into()), ..DockerSettings::default() };
    let backend = match DockerBackend::connect(settings).await {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("skipped: no Docker daemon answers on /var/run/docker.sock ({error})");
            return;
        }
    };
    let task = format!("nuthatch-test-{}", std::process::id());
    let step = StepSpec {
        uuid: format!("nuthatch-test-{}", std::process::id()),
        commands: vec!["echo hello from $CI".into(), "exit 3".into()],
        ..commands_step("real", "alpine:3.20")
    };
    let work = Workload { pipeline: vec![StageSpec { steps: vec![step.clone()] }], ..Workload::default() };
    backend.setup_workflow(&task, &work).await.unwrap();
    let output = read_all(backend.start_step(&task, &step).await.unwrap()).await;
    let exit = backend.wait_step(&task, &step).await.unwrap();
    backend.destroy_workflow(&task, &work).await.unwrap();
    assert!(output.contains("hello from woodpecker"), "{output}");
    assert_eq!(exit.code, 3);
}
