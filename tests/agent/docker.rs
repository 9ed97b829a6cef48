//! `nuthatch agent` with the docker backend. No Docker daemon runs here, so the agent talks to
//! the fake Docker Engine API of `tests/docker_backend/fake_engine.rs` (API shape only): a
//! pushed pipeline runs in the fake's "containers", their output and exit codes reach the
//! server, everything the agent created is removed, and the server lists a docker agent.

use std::time::Duration;

use crate::agent::harness::{AgentProcess, Ci, step};
use crate::fake_engine::{Behaviour, FakeEngine};

const SECRET: &str = "agent-docker-secret";

const GREET: &str = "\
steps:
  - name: greet
    image: alpine:3.20
    commands:
      - echo hello
";

#[tokio::test(flavor = "multi_thread")]
async fn a_docker_agent_runs_a_pipeline_in_containers() {
    let engine = FakeEngine::on_tcp().await;
    engine.runs("alpine:3.20", Behaviour { stdout: "+ echo hello\nhello\n".into(), ..Behaviour::default() });
    let ci = Ci::start(&[("NUTHATCH_EMBEDDED_AGENT", "false"), ("WOODPECKER_AGENT_SECRET", SECRET)]);
    let agent = AgentProcess::start(
        &ci,
        SECRET,
        &[
            ("WOODPECKER_BACKEND", "docker"),
            ("DOCKER_HOST", &engine.host),
            ("WOODPECKER_HOSTNAME", "docker-test"),
        ],
    );
    let repo = ci.repo("containers").await;
    ci.push(&repo, &[(".woodpecker.yaml", GREET)]);

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}\n{}", agent.log());
    let greet = step(&pipeline, "greet");
    assert_eq!(greet["exit_code"], 0);
    assert_eq!(ci.log_lines(&repo, 1, greet["id"].as_i64().unwrap()).await, ["+ echo hello", "hello"]);
    let images: Vec<String> = engine
        .calls_to("POST /containers/create")
        .iter()
        .map(|c| c.body["Image"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(images.contains(&"alpine:3.20".to_owned()), "{images:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(engine.leftovers().is_empty(), "{:?}", engine.leftovers());
    let agents = ci.get("/api/agents").await;
    assert_eq!(agents[0]["backend"], "docker", "{agents:#}");
}
