//! An extension for one test: a poem server on a loopback port that checks the signature of
//! every request as a real extension would (with the verifiers of `tests/common/signatures.rs`
//! and the public key the server publishes), records it with the verdict, and gives the answer
//! the test scripted, or 401 when the signature is wrong. It speaks plain HTTP, or HTTPS with a
//! certificate for `localhost` from a `TestCa` made for the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, AcceptorExt, BoxAcceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Request, Response, Server, endpoint::make, http::StatusCode};
use serde_json::Value;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::agent::harness::Ci;
use crate::agent::test_ca::TestCa;
use crate::signatures::{Received, ed25519_key_of, unix_now, verify_cavage, verify_rfc9421};

/// The RFC 9421 label Woodpecker 3.x signs with.
pub const RFC9421_LABEL: &str = "woodpecker-ci-extensions";
/// The cavage key id Woodpecker 2.x signs with.
pub const CAVAGE_KEY_ID: &str = "woodpecker-ci-plugins";

/// What the extension answers to every request.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    body: String,
    delay: Duration,
}

impl Answer {
    /// A status with a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body: body.to_string(), delay: Duration::ZERO }
    }

    /// A status with an empty body.
    pub fn status(status: u16) -> Self {
        Self { status, body: String::new(), delay: Duration::ZERO }
    }

    /// The same answer, given only after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }
}

/// Which signature the extension expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// RFC 9421 (Woodpecker 3.x).
    Rfc9421,
    /// draft-cavage `Signature:` (Woodpecker 2.x).
    Cavage,
}

/// A request and what the extension's verifier said of it.
pub type Checked = (Received, Result<(), String>);

/// A running extension; stopped on drop.
pub struct FakeExtension {
    /// Its endpoint URL, with a path and a query so the signed request target has both.
    pub url: String,
    key: Arc<Mutex<Option<Vec<u8>>>>,
    received: Arc<Mutex<Vec<Checked>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeExtension {
    /// Starts it on a free loopback port, speaking plain HTTP.
    pub async fn start(form: Form, answer: Answer) -> Self {
        Self::serve(form, answer, None).await
    }

    /// Starts it on a free loopback port, speaking HTTPS with a certificate for `localhost`
    /// that `ca` signed; its URL names `localhost`, so the name is what the client verifies.
    pub async fn start_https(form: Form, answer: Answer, ca: &TestCa) -> Self {
        Self::serve(form, answer, Some(ca)).await
    }

    async fn serve(form: Form, answer: Answer, tls: Option<&TestCa>) -> Self {
        let key: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (sink, trusted) = (received.clone(), key.clone());
        let endpoint = make(move |request: Request| {
            let (sink, trusted, answer) = (sink.clone(), trusted.clone(), answer.clone());
            async move {
                let request = receive(request).await;
                let verdict = match trusted.lock().unwrap().as_deref() {
                    None => Err("no public key to check against".to_owned()),
                    Some(key) => match form {
                        Form::Rfc9421 => verify_rfc9421(&request, RFC9421_LABEL, key, request.at),
                        Form::Cavage => verify_cavage(&request, CAVAGE_KEY_ID, key, request.at),
                    },
                };
                let refused = verdict.clone().err();
                sink.lock().unwrap().push((request, verdict));
                if let Some(reason) = refused {
                    return Response::builder().status(StatusCode::UNAUTHORIZED).body(reason);
                }
                tokio::time::sleep(answer.delay).await;
                Response::builder()
                    .status(StatusCode::from_u16(answer.status).unwrap())
                    .content_type("application/json")
                    .body(answer.body)
            }
        });
        let tcp = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = *tcp.local_addr()[0].as_socket_addr().unwrap();
        let (acceptor, url): (BoxAcceptor, String) = match tls {
            None => (tcp.boxed(), format!("http://{addr}")),
            Some(ca) => {
                let tls = TlsTcpAcceptor { tcp, tls: TlsAcceptor::from(ca.server_config(&[])) };
                (tls.boxed(), format!("https://localhost:{}", addr.port()))
            }
        };
        let task = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        Self { url: format!("{url}/extension/hook?token=abc"), key, received, task }
    }

    /// Trusts the public key `ci` serves at `/api/signature/public-key`, as an extension's
    /// operator configures it; returns the key.
    pub async fn trust(&self, ci: &Ci) -> Vec<u8> {
        let resp = ci.http.get(ci.url("/api/signature/public-key")).send().await.unwrap();
        let key = ed25519_key_of(&resp.text().await.unwrap());
        *self.key.lock().unwrap() = Some(key.clone());
        key
    }

    /// Every request so far with its verdict, oldest first.
    pub fn received(&self) -> Vec<Checked> {
        self.received.lock().unwrap().clone()
    }
}

/// The parts of a request the verifiers read.
async fn receive(request: Request) -> Received {
    let method = request.method().as_str().to_owned();
    let target = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = request.into_body().into_vec().await.unwrap_or_default();
    Received { method, target, headers, body, at: unix_now() }
}

impl Drop for FakeExtension {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// TLS over loopback TCP; a failed handshake (a client refusing the certificate) drops that
/// connection and waits for the next, as a real server would.
struct TlsTcpAcceptor {
    tcp: TcpAcceptor,
    tls: TlsAcceptor,
}

impl Acceptor for TlsTcpAcceptor {
    type Io = TlsStream<tokio::net::TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.tcp.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (stream, local, remote, _) = self.tcp.accept().await?;
            if let Ok(tls) = self.tls.accept(stream).await {
                return Ok((tls, local, remote, Scheme::HTTPS));
            }
        }
    }
}
