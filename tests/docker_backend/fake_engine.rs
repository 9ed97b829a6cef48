//! A fake Docker Engine API server: it records every call (method, path without the API
//! version, query, `X-Registry-Auth`, JSON body) and answers with the Engine API's shapes:
//! created volumes and networks, pulls as a progress stream, containers that "run" at once
//! (printing their image's scripted output as 8-byte-header multiplexed frames and exiting with
//! its scripted code), wait, inspect and removal. It listens on TCP (127.0.0.1, a free port) or
//! on a unix socket, as a daemon does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use poem::endpoint::make;
use poem::http::{Method, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener, UnixListener};
use poem::{Body, Request, Response, Server};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// One request the fake answered.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// Path without the `/v1.xx` prefix: `/containers/create`.
    pub path: String,
    /// Query parameters.
    pub query: BTreeMap<String, String>,
    /// The `X-Registry-Auth` header.
    pub registry_auth: Option<String>,
    /// JSON body (`null` when there is none).
    pub body: Value,
}

impl Call {
    /// `POST /containers/create`, as a short label for assertions.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The decoded `X-Registry-Auth` JSON (`username`, `password`, ...), if the call had one.
    /// Docker clients send it base64url-encoded; standard base64 is accepted too.
    pub fn registry_credentials(&self) -> Option<Value> {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let auth = self.registry_auth.as_deref()?;
        let decoded = URL_SAFE.decode(auth).or_else(|_| STANDARD.decode(auth)).ok()?;
        serde_json::from_slice(&decoded).ok()
    }
}

/// What the containers of an image do.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Printed on stdout.
    pub stdout: String,
    /// Printed on stderr.
    pub stderr: String,
    /// Exit code.
    pub exit_code: i64,
    /// Killed for memory.
    pub oom_killed: bool,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    images: HashSet<String>,
    unpullable: HashMap<String, String>,
    behaviours: HashMap<String, Behaviour>,
    containers: HashMap<String, String>,
    networks: HashSet<String>,
    volumes: HashSet<String>,
}

/// A running fake daemon; stops when dropped.
pub struct FakeEngine {
    /// `tcp://127.0.0.1:<port>` or `unix://<path>`.
    pub host: String,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeEngine {
    /// A fake on a free loopback TCP port.
    pub async fn on_tcp() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        Self::serve(format!("tcp://127.0.0.1:{port}"), acceptor)
    }

    /// A fake on a unix socket at `path`.
    pub async fn on_unix_socket(path: &Path) -> Self {
        let acceptor = UnixListener::bind(path.to_owned()).into_acceptor().await.unwrap();
        Self::serve(format!("unix://{}", path.display()), acceptor)
    }

    fn serve(host: String, acceptor: impl Acceptor + 'static) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let endpoint = make(move |request: Request| {
            let state = shared.clone();
            async move { answer(&state, request).await }
        });
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        Self { host, state, server }
    }

    /// The daemon already has this image (`alpine:3.20`).
    pub fn has_image(&self, image: &str) -> &Self {
        self.state.lock().unwrap().images.insert(with_default_tag(image));
        self
    }

    /// Pulls of this image fail with `message` in the progress stream.
    pub fn refuses_pull(&self, image: &str, message: &str) -> &Self {
        self.state.lock().unwrap().unpullable.insert(image.to_owned(), message.to_owned());
        self
    }

    /// Containers of `image` behave so.
    pub fn runs(&self, image: &str, behaviour: Behaviour) -> &Self {
        self.state.lock().unwrap().behaviours.insert(image.to_owned(), behaviour);
        self
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The calls with this label (`POST /containers/create`).
    pub fn calls_to(&self, label: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.label() == label).collect()
    }

    /// Containers, networks and volumes that still exist.
    pub fn leftovers(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        let mut left: Vec<String> = state.containers.keys().map(|c| format!("container {c}")).collect();
        left.extend(state.networks.iter().map(|n| format!("network {n}")));
        left.extend(state.volumes.iter().map(|v| format!("volume {v}")));
        left
    }
}

/// Strips the `/v1.xx` API version prefix bollard puts before every path.
fn unversioned(path: &str) -> String {
    match path.strip_prefix("/v").and_then(|rest| rest.split_once('/')) {
        Some((version, rest)) if version.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            format!("/{rest}")
        }
        _ => path.to_owned(),
    }
}

/// `alpine` as the daemon resolves it: `alpine:latest`.
fn with_default_tag(image: &str) -> String {
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    if last_segment.contains(':') || image.contains('@') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// The image a pull of `fromImage` and `tag` (a tag or a digest) brings.
fn pulled_reference(from_image: &str, tag: &str) -> String {
    let separator = if tag.starts_with("sha256:") { '@' } else { ':' };
    with_default_tag(&format!("{from_image}{separator}{tag}"))
}

fn json_response(status: StatusCode, value: Value) -> Response {
    Response::builder().status(status).content_type("application/json").body(value.to_string())
}

fn not_found(what: &str) -> Response {
    json_response(StatusCode::NOT_FOUND, json!({ "message": format!("No such {what}") }))
}

fn no_content() -> Response {
    Response::builder().status(StatusCode::NO_CONTENT).finish()
}

/// A frame of the multiplexed stream: stream type, three zero bytes, big-endian length.
fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![stream, 0, 0, 0];
    out.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out
}

async fn answer(state: &Mutex<State>, mut request: Request) -> Response {
    let bytes = request.take_body().into_vec().await.unwrap_or_default();
    let call = Call {
        method: request.method().to_string(),
        path: unversioned(request.uri().path()),
        query: request
            .uri()
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        registry_auth: request.header("X-Registry-Auth").map(str::to_owned),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    let mut state = state.lock().unwrap();
    state.calls.push(call.clone());
    let segments: Vec<&str> = call.path.trim_start_matches('/').split('/').collect();
    let query = |key: &str| call.query.get(key).cloned().unwrap_or_default();
    match (request.method(), segments.as_slice()) {
        (&Method::GET | &Method::HEAD, ["_ping"]) => {
            Response::builder().content_type("text/plain").body("OK")
        }
        (&Method::GET, ["version"]) => json_response(
            StatusCode::OK,
            json!({"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64"}),
        ),
        (&Method::GET, ["info"]) => json_response(
            StatusCode::OK,
            json!({"ID": "FAKE", "Name": "fake-engine", "OSType": "linux", "Architecture": "x86_64"}),
        ),
        (&Method::POST, ["volumes", "create"]) => {
            let name = call.body["Name"].as_str().unwrap_or_default().to_owned();
            state.volumes.insert(name.clone());
            json_response(
                StatusCode::CREATED,
                json!({"Name": name, "Driver": "local", "Mountpoint": format!("/var/lib/docker/volumes/{name}/_data"),
                       "Labels": {}, "Scope": "local", "Options": {}}),
            )
        }
        (&Method::POST, ["networks", "create"]) => {
            let name = call.body["Name"].as_str().unwrap_or_default().to_owned();
            if !state.networks.insert(name.clone()) {
                return json_response(
                    StatusCode::CONFLICT,
                    json!({"message": format!("network {name} already exists")}),
                );
            }
            json_response(StatusCode::CREATED, json!({"Id": format!("{name}-id"), "Warning": ""}))
        }
        (&Method::POST, ["networks", network, "connect"]) => {
            let container = call.body["Container"].as_str().unwrap_or_default();
            if !state.networks.contains(*network) {
                return not_found(&format!("network: {network}"));
            }
            if !state.containers.contains_key(container) {
                return not_found(&format!("container: {container}"));
            }
            Response::builder().status(StatusCode::OK).finish()
        }
        (&Method::POST, ["images", "create"]) => {
            let image = pulled_reference(&query("fromImage"), &query("tag"));
            let progress = if let Some(message) = state.unpullable.get(&image) {
                json!({"errorDetail": {"message": message}, "error": message}).to_string()
            } else {
                state.images.insert(image.clone());
                [
                    json!({"status": format!("Pulling from {}", query("fromImage")), "id": query("tag")}),
                    json!({"status": "Download complete", "progressDetail": {}, "id": "f18232174bc9"}),
                    json!({"status": format!("Status: Downloaded newer image for {image}")}),
                ]
                .map(|line| line.to_string())
                .join("\r\n")
            };
            Response::builder().content_type("application/json").body(progress)
        }
        (&Method::POST, ["containers", "create"]) => {
            let image = call.body["Image"].as_str().unwrap_or_default().to_owned();
            if !state.images.contains(&with_default_tag(&image)) {
                return not_found(&format!("image: {image}"));
            }
            let name = query("name");
            if state.containers.contains_key(&name) {
                let message = format!("Conflict. The container name \"/{name}\" is already in use");
                return json_response(StatusCode::CONFLICT, json!({ "message": message }));
            }
            state.containers.insert(name.clone(), image);
            json_response(StatusCode::CREATED, json!({"Id": name, "Warnings": []}))
        }
        (method, ["containers", name, action]) => {
            let Some(image) = state.containers.get(*name).cloned() else {
                return not_found(&format!("container: {name}"));
            };
            let behaviour = state.behaviours.get(&image).cloned().unwrap_or_default();
            match (method, *action) {
                (&Method::POST, "start") => no_content(),
                (&Method::GET, "logs") => {
                    let mut body = frame(1, behaviour.stdout.as_bytes());
                    body.extend(frame(2, behaviour.stderr.as_bytes()));
                    Response::builder()
                        .content_type("application/vnd.docker.multiplexed-stream")
                        .body(Body::from(body))
                }
                (&Method::POST, "wait") => {
                    json_response(StatusCode::OK, json!({"StatusCode": behaviour.exit_code, "Error": null}))
                }
                (&Method::GET, "json") => json_response(
                    StatusCode::OK,
                    json!({"Id": name, "Name": format!("/{name}"), "Image": image,
                           "State": {"Status": "exited", "Running": false, "Paused": false, "Restarting": false,
                                     "OOMKilled": behaviour.oom_killed, "Dead": false, "Pid": 0,
                                     "ExitCode": behaviour.exit_code, "Error": ""}}),
                ),
                _ => not_found(&format!("route: {} {}", call.method, call.path)),
            }
        }
        (&Method::DELETE, ["containers", name]) => match state.containers.remove(*name) {
            Some(_) => no_content(),
            None => not_found(&format!("container: {name}")),
        },
        (&Method::DELETE, ["volumes", name]) => match state.volumes.remove(*name) {
            true => no_content(),
            false => not_found(&format!("volume: {name}")),
        },
        (&Method::DELETE, ["networks", name]) => match state.networks.remove(*name) {
            true => no_content(),
            false => not_found(&format!("network: {name}")),
        },
        _ => not_found(&format!("route: {} {}", call.method, call.path)),
    }
}
