//! A pushed pipeline runs on the server's embedded agent: two workflows (a matrix of two, and
//! one depending on it), a failing step whose failure is ignored; statuses, exit codes, log
//! lines and live events checked over the API.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::agent::harness::{Ci, step, steps};

const BUILD: &str = "\
matrix:
  GREETING: [hello, hi]
steps:
  - name: greet
    image: alpine
    commands:
      - echo \"$GREETING from $CI_REPO\"
  - name: flaky
    image: alpine
    failure: ignore
    commands:
      - echo about to fail
      - exit 3
";

const TEST: &str = "\
depends_on: [build]
steps:
  - name: check
    image: alpine
    commands:
      - test -f .woodpecker/build.yaml
      - echo checked
";

/// Collects the `data:` frames of the event stream in the background.
fn watch_events(ci: &Ci) -> Arc<Mutex<Vec<Value>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let request = ci.http.get(ci.url("/api/stream/events")).bearer_auth(&ci.token);
    let sink = events.clone();
    tokio::spawn(async move {
        let mut resp = request.send().await.unwrap();
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                if let Some(data) = frame.trim_end().strip_prefix("data: ") {
                    sink.lock().unwrap().push(serde_json::from_str(data).unwrap());
                }
            }
        }
    });
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pushed_pipeline_runs_on_the_embedded_agent_and_succeeds() {
    let ci = Ci::start(&[]);
    let repo = ci.repo("hello").await;
    let events = watch_events(&ci);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    ci.push(&repo, &[(".woodpecker/build.yaml", BUILD), (".woodpecker/test.yaml", TEST)]);
    let pipeline = ci.finished(&repo, 1).await;

    assert_eq!(pipeline["status"], "success", "{pipeline:#}");
    let workflows = pipeline["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 3, "two matrix workflows and the dependent one");
    assert!(workflows.iter().all(|w| w["state"] == "success"), "{pipeline:#}");
    for (workflow, step) in steps(&pipeline) {
        let (state, exit_code) = match step["name"].as_str().unwrap() {
            "flaky" => ("failure", 3),
            _ => ("success", 0),
        };
        assert_eq!(step["state"], state, "{} in {}", step["name"], workflow["name"]);
        assert_eq!(step["exit_code"], exit_code, "{} in {}", step["name"], workflow["name"]);
    }
    let check = step(&pipeline, "check");
    let test_started = check["started"].as_i64().unwrap();
    let builds_finished =
        workflows.iter().filter(|w| w["name"] == "build").map(|w| w["finished"].as_i64().unwrap());
    assert!(builds_finished.clone().count() == 2 && builds_finished.max().unwrap() <= test_started);

    let mut greetings = Vec::new();
    for (_, greet) in steps(&pipeline).into_iter().filter(|(_, s)| s["name"] == "greet") {
        greetings.extend(ci.log_lines(&repo, 1, greet["id"].as_i64().unwrap()).await);
    }
    let (echoed, printed): (Vec<String>, Vec<String>) =
        greetings.into_iter().partition(|l| l.starts_with("+ "));
    let mut printed = printed;
    printed.sort();
    assert_eq!(printed, ["hello from admin/hello", "hi from admin/hello"]);
    assert_eq!(echoed.len(), 2, "each command is echoed: {echoed:?}");
    let flaky = ci.log_lines(&repo, 1, step(&pipeline, "flaky")["id"].as_i64().unwrap()).await;
    assert_eq!(flaky, ["+ echo about to fail", "about to fail", "+ exit 3"]);

    let events = events.lock().unwrap().clone();
    let states: Vec<&str> = events.iter().filter_map(|e| e["pipeline"]["status"].as_str()).collect();
    assert!(states.contains(&"running"), "events: {states:?}");
    assert_eq!(states.last(), Some(&"success"), "events: {states:?}");
    let step_running = events.iter().any(|e| {
        e["pipeline"]["workflows"].as_array().is_some_and(|ws| {
            ws.iter().any(|w| w["children"].as_array().unwrap().iter().any(|s| s["state"] == "running"))
        })
    });
    assert!(step_running, "an event shows a running step");
}
