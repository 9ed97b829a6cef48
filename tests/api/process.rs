//! The `nuthatch` binary as an operator meets it: start-up failures, signals, `ping`, `migrate`.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::temp_dir;

fn nuthatch() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nuthatch"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WOODPECKER_LOG_LEVEL", "warn")
        .current_dir(std::env::temp_dir());
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a server command that must fail, and returns its stderr.
fn failing_start(cmd: &mut Command) -> String {
    let out: Output = cmd.arg("server").output().expect("binary runs");
    assert!(!out.status.success(), "server must exit non-zero");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "no stack trace: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn an_unreachable_database_is_one_clear_line_naming_the_driver() {
    let stderr = failing_start(
        nuthatch()
            .env("WOODPECKER_DATABASE_DRIVER", "postgres")
            .env(
                "WOODPECKER_DATABASE_DATASOURCE",
                format!("postgres://nobody@127.0.0.1:{}/none", free_port()),
            )
            .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{}", free_port())),
    );
    assert!(stderr.contains("postgres"), "{stderr}");
}

#[test]
fn a_malformed_datasource_is_one_clear_line_naming_the_driver() {
    let stderr = failing_start(
        nuthatch()
            .env("WOODPECKER_DATABASE_DRIVER", "mysql")
            .env("WOODPECKER_DATABASE_DATASOURCE", "this is not a dsn")
            .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{}", free_port())),
    );
    assert!(stderr.contains("mysql"), "{stderr}");
}

#[test]
fn an_unknown_driver_is_refused() {
    let stderr = failing_start(
        nuthatch().env("WOODPECKER_DATABASE_DRIVER", "oracle").env("NUTHATCH_DATA_DIR", temp_dir("driver")),
    );
    assert!(stderr.contains("oracle"), "{stderr}");
}

fn wait_until_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status =
            nuthatch().args(["ping", "--server-addr"]).arg(format!("127.0.0.1:{port}")).status().unwrap();
        if status.success() {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "server exited early");
        assert!(Instant::now() < deadline, "server did not become healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_server_boots_on_an_empty_sqlite_and_stops_cleanly_on_sigterm() {
    let data_dir = temp_dir("sigterm");
    let port = free_port();
    let mut child = nuthatch()
        .arg("server")
        .env("NUTHATCH_DATA_DIR", &data_dir)
        .env("WOODPECKER_SERVER_ADDR", format!("127.0.0.1:{port}"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_healthy(port, &mut child);
    assert!(data_dir.join("nuthatch.sqlite").is_file(), "the default database lives in the data dir");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "clean shutdown exits 0, got {status}");
    std::fs::remove_dir_all(data_dir).unwrap();
}

#[test]
fn ping_fails_when_no_server_listens() {
    let status = nuthatch()
        .args(["ping", "--server-addr"])
        .arg(format!("127.0.0.1:{}", free_port()))
        .status()
        .unwrap();
    assert!(!status.success());
}

#[test]
fn migrate_creates_the_schema_and_is_idempotent() {
    let data_dir = temp_dir("migrate");
    for _ in 0..2 {
        let out = nuthatch().arg("migrate").env("NUTHATCH_DATA_DIR", &data_dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(data_dir.join("nuthatch.sqlite").is_file());
    std::fs::remove_dir_all(data_dir).unwrap();
}
