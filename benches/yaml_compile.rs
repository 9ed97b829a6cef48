//! Times `build` on a 3-workflow configuration with 200 steps in total and a 4x4 matrix
//! (16 axes) in one workflow. Plain `harness = false` bench: `cargo bench --bench yaml_compile`.

use std::time::{Duration, Instant};

use nuthatch::domain::yaml::metadata::{Commit, Pipeline, Repo};
use nuthatch::domain::yaml::options::{IdSeed, Secret};
use nuthatch::domain::yaml::parse::parse_yaml;
use nuthatch::domain::yaml::{BuildOptions, ConfigFile, Metadata, WorkflowState, build};

fn workflow(steps: usize, matrix: bool) -> String {
    let mut text = String::from("when:\n  event: [push, pull_request]\n");
    if matrix {
        text.push_str(
            "matrix:\n  GO: [\"1.21\", \"1.22\", \"1.23\", \"1.24\"]\n  DB: [postgres, mysql, sqlite, mariadb]\n",
        );
    }
    text.push_str(
        "variables:\n  - &base\n    image: golang:1.24\n    pull: true\nservices:\n  db:\n    image: postgres:16\n",
    );
    text.push_str("steps:\n");
    for i in 0..steps {
        let image = if matrix { "golang:${GO}" } else { "golang:1.24" };
        match i % 4 {
            0 => text.push_str(&format!(
                "  build-{i}:\n    <<: *base\n    image: {image}\n    commands:\n      - go build ./...\n      - echo ${{CI_COMMIT_SHA:0:8}}\n    environment:\n      TOKEN:\n        from_secret: token\n"
            )),
            1 => text.push_str(&format!(
                "  plugin-{i}:\n    image: plugins/s3\n    settings:\n      bucket: b-{i}\n      tags: [a, b, c]\n      opts: {{x: 1, y: [1, 2]}}\n    when:\n      branch: main\n"
            )),
            2 => text.push_str(&format!(
                "  test-{i}:\n    image: {image}\n    commands: go test ./...\n    when:\n      - event: push\n        path: \"src/**/*.go\"\n      - evaluate: 'CI_COMMIT_BRANCH == \"main\"'\n"
            )),
            _ => text.push_str(&format!(
                "  lint-{i}:\n    image: alpine\n    commands: [echo lint]\n    depends_on: [build-{}]\n",
                i - 3
            )),
        }
    }
    text
}

fn main() {
    let files = vec![
        ConfigFile { name: ".woodpecker/build.yaml".into(), data: workflow(80, false).into_bytes() },
        ConfigFile { name: ".woodpecker/matrix.yaml".into(), data: workflow(40, true).into_bytes() },
        ConfigFile { name: ".woodpecker/test.yaml".into(), data: workflow(80, false).into_bytes() },
    ];
    let metadata = Metadata {
        repo: Repo {
            id: 1,
            name: "hello".into(),
            owner: "octo".into(),
            forge_url: "https://forge.example/octo/hello".into(),
            ..Repo::default()
        },
        curr: Pipeline {
            number: 1,
            event: "push".into(),
            commit: Commit {
                sha: "0123456789abcdef".into(),
                branch: "main".into(),
                reference: "refs/heads/main".into(),
                changed_files: vec!["src/a.go".into()],
                ..Commit::default()
            },
            ..Pipeline::default()
        },
        ..Metadata::default()
    };
    let opts = BuildOptions {
        secrets: vec![Secret { name: "token".into(), value: "s3cr3t".into(), ..Secret::default() }],
        ids: IdSeed { timestamp_ms: 1_700_000_000_000, seed: 7 },
        ..BuildOptions::default()
    };

    let outcome = build(&files, &metadata, &opts);
    assert!(
        !outcome.is_blocked(),
        "bench config must build: {:?}",
        outcome.errors.iter().find(|e| !e.is_warning)
    );
    let compiled = outcome.workflows.iter().filter(|w| matches!(w.state, WorkflowState::Compiled(_))).count();
    let steps: usize = outcome
        .workflows
        .iter()
        .filter_map(|w| match &w.state {
            WorkflowState::Compiled(p) => Some(p.pipeline.iter().map(|s| s.steps.len()).sum::<usize>()),
            WorkflowState::Skipped(_) => None,
        })
        .sum();
    println!(
        "yaml_compile: {} files, 200 steps in YAML, {compiled} compiled workflows (16 matrix axes), {steps} payload steps",
        files.len()
    );

    // The floor set by the YAML parser: each file is parsed in full once per build.
    let texts: Vec<String> = files.iter().map(|f| String::from_utf8(f.data.clone()).unwrap()).collect();
    let start = Instant::now();
    for _ in 0..10 {
        for t in &texts {
            std::hint::black_box(parse_yaml(t).unwrap());
        }
    }
    println!(
        "yaml_compile: of which parsing the 3 files once: {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3 / 10.0
    );

    let iterations = 100;
    // Dropping the outcome is left out: the server keeps the payloads.
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            let outcome = std::hint::black_box(build(std::hint::black_box(&files), &metadata, &opts));
            let elapsed = start.elapsed();
            drop(outcome);
            elapsed
        })
        .collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / iterations;
    println!(
        "yaml_compile: {iterations} runs, min {:.2} ms, median {:.2} ms, mean {:.2} ms, max {:.2} ms",
        times[0].as_secs_f64() * 1e3,
        times[iterations as usize / 2].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        times[iterations as usize - 1].as_secs_f64() * 1e3
    );
}
