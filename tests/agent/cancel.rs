//! Canceling a running pipeline through the API stops its step's process at once and ends the
//! pipeline `killed`, as upstream.

use std::time::{Duration, Instant};

use crate::agent::harness::{Ci, step};

const SLEEPER: &str = "\
steps:
  - name: sleeper
    image: alpine
    commands:
      - echo \"pid $$$$\"
      - exec sleep 600
";

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread")]
async fn canceling_a_running_pipeline_kills_its_step_within_seconds() {
    let ci = Ci::start(&[]);
    let repo = ci.repo("sleepy").await;
    ci.push(&repo, &[(".woodpecker.yaml", SLEEPER)]);

    let running = ci
        .pipeline_when(&repo, 1, Duration::from_secs(60), |p| {
            p["workflows"].as_array().is_some_and(|ws| !ws.is_empty())
                && step(p, "sleeper")["state"] == "running"
        })
        .await;
    let sleeper_id = step(&running, "sleeper")["id"].as_i64().unwrap();
    // The line arrives while the step runs: logs are streamed, not sent at the end.
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        let lines = ci.log_lines(&repo, 1, sleeper_id).await;
        if let Some(pid) = lines.iter().find_map(|l| l.strip_prefix("pid ")) {
            break pid.parse::<u32>().unwrap();
        }
        assert!(Instant::now() < deadline, "the step's first line did not arrive while it ran: {lines:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(alive(pid));

    let canceled_at = Instant::now();
    assert_eq!(ci.post(&format!("/api/repos/{}/pipelines/1/cancel", repo.id)).await, 204);
    while alive(pid) {
        assert!(canceled_at.elapsed() < Duration::from_secs(5), "sleep 600 still runs 5 s after cancel");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "killed", "{pipeline:#}");
    // The cancel ends the pipeline at once; the step's end is the agent's report, which may
    // reach the server a moment after the process is gone.
    let reported = ci
        .pipeline_when(&repo, 1, Duration::from_secs(10), |p| step(p, "sleeper")["state"] != "running")
        .await;
    assert_eq!(step(&reported, "sleeper")["state"], "killed");
}
