//! `nuthatch agent` reaching its server over TLS (`WOODPECKER_GRPC_SECURE`), as it does behind a
//! TLS-terminating proxy: the server's certificate is verified against the system's roots
//! (`SSL_CERT_FILE` names them here, as for Go agents), a certificate it cannot verify is
//! refused, and `WOODPECKER_GRPC_VERIFY=false` accepts one.

use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::agent::harness::{AgentProcess, Ci, step};
use crate::agent::test_ca::TestCa;

const SECRET: &str = "agent-tls-secret";

const GREET: &str = "\
steps:
  - name: greet
    image: alpine
    commands:
      - echo hello over TLS
";

/// A TLS-terminating proxy on a loopback port in front of the server's gRPC port: it presents
/// the CA's `localhost` certificate, offers HTTP/2, and forwards the bytes; stopped on drop.
struct TlsProxy {
    port: u16,
    task: JoinHandle<()>,
}

impl TlsProxy {
    async fn start(ca: &TestCa, upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tls = TlsAcceptor::from(ca.server_config(&[b"h2"]));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let tls = tls.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends its handshake: nothing to forward.
                    let Ok(mut client) = tls.accept(client).await else { return };
                    let mut server = TcpStream::connect(("127.0.0.1", upstream_port)).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { port, task }
    }

    /// The proxy as `WOODPECKER_SERVER` names it: by the host name its certificate is for.
    fn server(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server without an embedded agent, and the TLS proxy in front of its gRPC port.
async fn server_behind_tls(ca: &TestCa) -> (Ci, TlsProxy) {
    let ci = Ci::start(&[("NUTHATCH_EMBEDDED_AGENT", "false"), ("WOODPECKER_AGENT_SECRET", SECRET)]);
    let proxy = TlsProxy::start(ca, ci.server.grpc_port).await;
    (ci, proxy)
}

/// Pushes the one-step pipeline to a new repo and asserts it ran on the agent named `agent`.
async fn greet_runs_on(ci: &Ci, agent: &AgentProcess, name: &str) {
    let repo = ci.repo("tls").await;
    ci.push(&repo, &[(".woodpecker.yaml", GREET)]);
    let pipeline = ci.finished(&repo, 1).await;
    assert_eq!(pipeline["status"], "success", "{pipeline:#}\n{}", agent.log());
    let greet = step(&pipeline, "greet");
    let lines = ci.log_lines(&repo, 1, greet["id"].as_i64().unwrap()).await;
    assert!(lines.contains(&"hello over TLS".to_owned()), "{lines:?}");
    let agents = ci.get("/api/agents").await;
    let names: Vec<_> = agents.as_array().unwrap().iter().map(|a| a["name"].clone()).collect();
    assert_eq!(names, [name], "{agents:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_over_tls_verifies_the_servers_certificate_and_runs_a_pipeline() {
    let ca = TestCa::new();
    let (ci, proxy) = server_behind_tls(&ca).await;
    let agent = AgentProcess::start(
        &ci,
        SECRET,
        &[
            ("WOODPECKER_SERVER", &proxy.server()),
            ("WOODPECKER_GRPC_SECURE", "true"),
            ("SSL_CERT_FILE", ca.path()),
            ("WOODPECKER_HOSTNAME", "tls-verified"),
        ],
    );
    greet_runs_on(&ci, &agent, "tls-verified").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_refuses_a_certificate_it_cannot_verify_unless_told_not_to_verify() {
    let ca = TestCa::new();
    let (ci, proxy) = server_behind_tls(&ca).await;
    let server = proxy.server();
    let secure = [("WOODPECKER_SERVER", server.as_str()), ("WOODPECKER_GRPC_SECURE", "true")];

    // The system's roots do not hold the test CA.
    let refusing =
        AgentProcess::start(&ci, SECRET, &[&secure[..], &[("WOODPECKER_HOSTNAME", "refusing")]].concat());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !refusing.log().contains("certificate") {
        assert!(Instant::now() < deadline, "no certificate error logged:\n{}", refusing.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ci.get("/api/agents").await, serde_json::json!([]), "{}", refusing.log());

    let unverifying = AgentProcess::start(
        &ci,
        SECRET,
        &[&secure[..], &[("WOODPECKER_GRPC_VERIFY", "false"), ("WOODPECKER_HOSTNAME", "unverifying")]]
            .concat(),
    );
    greet_runs_on(&ci, &unverifying, "unverifying").await;
}
