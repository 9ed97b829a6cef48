//! `nuthatch agent` as a separate process rides out a server restart: the workflow it runs
//! keeps running, its reports reach the restarted server, and it takes new work afterwards,
//! without anyone touching it. With the database queue the lease survives the restart; a lease
//! that ran out while the agent was away would end the workflow "agent lost" (the reaper), so
//! nothing stays `running`.

use std::time::Duration;

use crate::agent::harness::{AgentProcess, Ci, step};

const SECRET: &str = "agent-restart-secret";

const SLOW: &str = "\
steps:
  - name: slow
    image: alpine
    commands:
      - echo before
      - sleep 6
      - echo after
";

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_reconnects_by_itself_after_a_server_restart() {
    let mut ci = Ci::start(&[
        ("NUTHATCH_EMBEDDED_AGENT", "false"),
        ("NUTHATCH_QUEUE", "database"),
        ("WOODPECKER_AGENT_SECRET", SECRET),
    ]);
    let mut agent = AgentProcess::start(&ci, SECRET, &[("WOODPECKER_HOSTNAME", "restart-test")]);
    let repo = ci.repo("survivor").await;
    ci.push(&repo, &[(".woodpecker.yaml", SLOW)]);
    ci.pipeline_when(&repo, 1, Duration::from_secs(60), |p| {
        p["workflows"].as_array().is_some_and(|ws| !ws.is_empty()) && step(p, "slow")["state"] == "running"
    })
    .await;

    ci.server.restart_gracefully();

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}\n{}", agent.log());
    let slow = step(&pipeline, "slow");
    assert_eq!(slow["exit_code"], 0);
    let lines = ci.log_lines(&repo, 1, slow["id"].as_i64().unwrap()).await;
    assert!(lines.contains(&"before".to_owned()) && lines.contains(&"after".to_owned()), "{lines:?}");

    ci.push(&repo, &[(".woodpecker.yaml", &SLOW.replace("sleep 6", "true"))]);
    let second = ci.finished(&repo, 2).await;
    assert_eq!(second["status"], "success", "new work after the restart\n{}", agent.log());
    let agents = ci.get("/api/agents").await;
    assert_eq!(agents.as_array().unwrap().len(), 1, "the agent kept its entry: {agents:#}");
    assert!(agent.child.try_wait().unwrap().is_none(), "the agent still runs");
}
