//! The docker backend: every step runs in a container of a Docker daemon, reached through the
//! Docker Engine API (bollard) on a unix socket or TCP, as upstream's docker backend does:
//!
//! - a workflow gets a volume (its workspace) and a bridge network, removed at its end;
//! - a step's image is pulled when the step says `pull` or the daemon does not have it, with
//!   the step's registry credentials (`X-Registry-Auth`);
//! - its container (see [`container`]) joins the workflow network under the step's name, starts,
//!   and its demultiplexed stdout and stderr are the step's output;
//! - exit code and OOM kill come from inspecting the container once it stopped;
//! - services and detached steps are started the same way; the runner does not wait for them.
//!
//! # Layout
//! - [`container`]: the create body and network attachments of a step (pure).
//! - [`names`]: container, network and volume names, image references.
//! - [`output`]: a container's log stream as the port's output reader.

pub mod container;
pub mod names;
pub mod output;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as EngineError;
use bollard::models::{EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, RemoveContainerOptions, RemoveVolumeOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;

pub use self::container::Limits;
use self::container::{Placement, attachments, container_body};
use self::names::{container_name, platform, pull_reference, workflow_resources};
use crate::domain::workload::{StepSpec, Workload};
use crate::ports::backend::{Backend, BackendError, Exit, Output};

/// Where the daemon listens when no host is configured.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long a request may wait for the daemon's response headers. Waiting for a step and
/// following its logs are single requests that last as long as the step, and workflow timeouts
/// are the runner's business, so this is only a guard against a daemon that hangs.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// How long connecting (ping, version, info) may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// How to reach the daemon and what every container gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerSettings {
    /// `unix:///path` or `tcp://host:port`; `None`: [`DEFAULT_HOST`].
    pub host: Option<String>,
    /// A network every step joins besides the workflow's (`WOODPECKER_BACKEND_DOCKER_NETWORK`).
    pub network: Option<String>,
    /// Binds every container gets, `source:target[:mode]` (`WOODPECKER_BACKEND_DOCKER_VOLUMES`).
    pub volumes: Vec<String>,
    /// Create workflow networks with IPv6 (`WOODPECKER_BACKEND_DOCKER_ENABLE_IPV6`).
    pub enable_ipv6: bool,
    /// Resource limits of every container (`WOODPECKER_BACKEND_DOCKER_LIMIT_*`).
    pub limits: Limits,
}

/// Runs steps as containers of one Docker daemon.
pub struct DockerBackend {
    docker: Docker,
    settings: DockerSettings,
    platform: String,
    /// Network and volume of each set-up workflow, by task id; a std mutex, as it is never held
    /// across an await.
    workflows: Mutex<HashMap<String, (String, String)>>,
}

fn unavailable(message: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable { backend: "docker", message: message.to_string() }
}

fn start_error(step: &StepSpec, message: impl std::fmt::Display) -> BackendError {
    BackendError::Start { step: step.name.clone(), message: message.to_string() }
}

/// The HTTP status of a daemon's error answer.
fn status(error: &EngineError) -> Option<u16> {
    match error {
        EngineError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The step's registry credentials, when it has a user name and a password (as upstream).
fn credentials(step: &StepSpec) -> Option<DockerCredentials> {
    let auth = &step.auth_config;
    (!auth.username.is_empty() && !auth.password.is_empty()).then(|| DockerCredentials {
        username: Some(auth.username.clone()),
        password: Some(auth.password.clone()),
        ..DockerCredentials::default()
    })
}

impl DockerBackend {
    /// Connects to the daemon: it must answer a ping, its API version is negotiated, and its
    /// platform read, all within [`HANDSHAKE_TIMEOUT`].
    ///
    /// # Errors
    /// [`BackendError::Unavailable`] when the daemon cannot be reached or does not answer.
    pub async fn connect(settings: DockerSettings) -> Result<Self, BackendError> {
        let host = settings.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.to_owned());
        tokio::time::timeout(HANDSHAKE_TIMEOUT, Self::handshake(settings, &host)).await.unwrap_or_else(|_| {
            Err(unavailable(format!("{host} did not answer within {HANDSHAKE_TIMEOUT:?}")))
        })
    }

    async fn handshake(settings: DockerSettings, host: &str) -> Result<Self, BackendError> {
        let docker = Docker::connect_with_host(host)
            .map_err(|e| unavailable(format!("cannot connect to {host}: {e}")))?
            .with_timeout(REQUEST_TIMEOUT);
        docker.ping().await.map_err(|e| unavailable(format!("{host} does not answer: {e}")))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unavailable(format!("cannot agree on an API version with {host}: {e}")))?;
        let info = docker.info().await.map_err(|e| unavailable(format!("cannot read {host}'s info: {e}")))?;
        let platform = platform(
            info.os_type.as_deref().unwrap_or(std::env::consts::OS),
            info.architecture.as_deref().unwrap_or(std::env::consts::ARCH),
        );
        Ok(Self { docker, settings, platform, workflows: Mutex::new(HashMap::new()) })
    }

    /// The network and volume of a set-up workflow.
    fn workflow(&self, task_id: &str) -> Option<(String, String)> {
        self.workflows.lock().unwrap_or_else(|e| e.into_inner()).get(task_id).cloned()
    }

    /// Pulls an image, following the progress stream to its end.
    async fn pull(&self, image: &str, credentials: Option<DockerCredentials>) -> Result<(), EngineError> {
        let (from_image, tag) = pull_reference(image);
        let options =
            CreateImageOptions { from_image: Some(from_image), tag: Some(tag), ..Default::default() };
        let mut progress = self.docker.create_image(Some(options), None, credentials);
        while let Some(event) = progress.next().await {
            let event = event?;
            tracing::debug!(image, status = event.status.as_deref().unwrap_or_default(), "pulling");
        }
        Ok(())
    }

    /// Creates the step's container, pulling its image first when asked to or when missing.
    async fn create(
        &self,
        name: &str,
        step: &StepSpec,
        placement: Placement<'_>,
    ) -> Result<(), BackendError> {
        let auth = credentials(step);
        if step.pull
            && let Err(error) = self.pull(&step.image, auth.clone()).await
        {
            // As upstream: without a password a failed pull may still find the image locally.
            if !step.auth_config.password.is_empty() {
                return Err(start_error(step, format!("cannot pull {}: {error}", step.image)));
            }
            tracing::warn!(image = step.image, %error, "cannot pull; using the daemon's image");
        }
        let options = || CreateContainerOptions { name: Some(name.to_owned()), ..Default::default() };
        let body = container_body(step, placement);
        let mut created = self.docker.create_container(Some(options()), body.clone()).await;
        if created.as_ref().err().and_then(status) == Some(409) {
            // Left over from an earlier attempt at this step (an agent that died mid-workflow).
            self.remove_container(name)
                .await
                .map_err(|e| start_error(step, format!("cannot replace container {name}: {e}")))?;
            created = self.docker.create_container(Some(options()), body.clone()).await;
        }
        if created.as_ref().err().and_then(status) == Some(404) {
            self.pull(&step.image, auth)
                .await
                .map_err(|e| start_error(step, format!("cannot pull {}: {e}", step.image)))?;
            created = self.docker.create_container(Some(options()), body).await;
        }
        created.map(drop).map_err(|e| start_error(step, format!("cannot create container {name}: {e}")))
    }

    /// Removes a container and its anonymous volumes, killing it if it runs; a missing
    /// container is fine.
    async fn remove_container(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        match self.docker.remove_container(name, Some(options)).await {
            Err(error) if status(&error) == Some(404) => Ok(()),
            removed => removed,
        }
    }
}

#[async_trait]
impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn platform(&self) -> String {
        self.platform.clone()
    }

    async fn setup_workflow(&self, task_id: &str, workload: &Workload) -> Result<(), BackendError> {
        let (network, volume) = workflow_resources(task_id, workload);
        let volume_request = VolumeCreateRequest {
            name: Some(volume.clone()),
            driver: Some("local".into()),
            ..Default::default()
        };
        self.docker
            .create_volume(volume_request)
            .await
            .map_err(|e| unavailable(format!("cannot create volume {volume}: {e}")))?;
        let network_request = NetworkCreateRequest {
            name: network.clone(),
            driver: Some("bridge".into()),
            enable_ipv6: Some(self.settings.enable_ipv6),
            ..Default::default()
        };
        match self.docker.create_network(network_request).await {
            // Left over from an earlier run of this workflow: reuse it.
            Err(error) if status(&error) == Some(409) => {}
            created => {
                created.map_err(|e| unavailable(format!("cannot create network {network}: {e}")))?;
            }
        }
        self.workflows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task_id.to_owned(), (network, volume));
        Ok(())
    }

    async fn start_step(&self, task_id: &str, step: &StepSpec) -> Result<Output, BackendError> {
        let (network, volume) =
            self.workflow(task_id).ok_or_else(|| start_error(step, "its workflow was not set up"))?;
        let name = container_name(task_id, step);
        let placement =
            Placement { volume: &volume, extra_binds: &self.settings.volumes, limits: &self.settings.limits };
        self.create(&name, step, placement).await?;
        for attachment in attachments(step, &network, self.settings.network.as_deref()) {
            let request = NetworkConnectRequest {
                container: name.clone(),
                endpoint_config: Some(EndpointSettings {
                    aliases: Some(attachment.aliases).filter(|a| !a.is_empty()),
                    ..Default::default()
                }),
            };
            self.docker
                .connect_network(&attachment.network, request)
                .await
                .map_err(|e| start_error(step, format!("cannot join network {}: {e}", attachment.network)))?;
        }
        self.docker
            .start_container(&name, None)
            .await
            .map_err(|e| start_error(step, format!("cannot start container {name}: {e}")))?;
        Ok(output::follow(&self.docker, &name))
    }

    async fn wait_step(&self, task_id: &str, step: &StepSpec) -> Result<Exit, BackendError> {
        let name = container_name(task_id, step);
        // The wait answer reports non-zero exits as errors; the exit code is read from inspect
        // either way, as upstream does.
        let mut wait = self.docker.wait_container(&name, None::<WaitContainerOptions>);
        while let Some(answer) = wait.next().await {
            if let Err(error) = answer
                && !matches!(error, EngineError::DockerContainerWaitError { .. })
            {
                tracing::debug!(container = name, %error, "waiting ended early");
            }
        }
        let inspected =
            self.docker.inspect_container(&name, None).await.map_err(|e| {
                BackendError::Unknown(anyhow::anyhow!("cannot inspect container {name}: {e}"))
            })?;
        let state = inspected.state.unwrap_or_default();
        if state.running == Some(true) {
            return Err(BackendError::Unknown(anyhow::anyhow!(
                "container {name} still runs after waiting for it"
            )));
        }
        let code = i32::try_from(state.exit_code.unwrap_or_default()).unwrap_or(i32::MAX);
        Ok(Exit { code, oom_killed: state.oom_killed.unwrap_or(false) })
    }

    async fn destroy_step(&self, task_id: &str, step: &StepSpec) -> Result<(), BackendError> {
        let name = container_name(task_id, step);
        self.remove_container(&name)
            .await
            .map_err(|e| BackendError::Unknown(anyhow::anyhow!("cannot remove container {name}: {e}")))
    }

    async fn destroy_workflow(&self, task_id: &str, workload: &Workload) -> Result<(), BackendError> {
        let (network, volume) = self
            .workflows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(task_id)
            .unwrap_or_else(|| workflow_resources(task_id, workload));
        // Containers first: a network with endpoints or a volume in use cannot be removed.
        let mut failures = Vec::new();
        for step in workload.steps() {
            let name = container_name(task_id, step);
            if let Err(error) = self.remove_container(&name).await {
                failures.push(format!("container {name}: {error}"));
            }
        }
        let force = RemoveVolumeOptions { force: true };
        match self.docker.remove_volume(&volume, Some(force)).await {
            Err(error) if status(&error) != Some(404) => failures.push(format!("volume {volume}: {error}")),
            _ => {}
        }
        match self.docker.remove_network(&network).await {
            Err(error) if status(&error) != Some(404) => failures.push(format!("network {network}: {error}")),
            _ => {}
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(BackendError::Unknown(anyhow::anyhow!("cannot remove {}", failures.join("; "))))
        }
    }
}
