//! The local backend: steps run as processes of the agent's machine, each workflow in its own
//! workspace directory, with no isolation (as upstream's local backend; for trusted machines).
//!
//! - `commands` steps and services: the commands run in order with `sh -e`, each echoed as
//!   `+ command` first, in the step's working directory mapped under the workspace.
//! - `clone`: git itself (init, fetch the pipeline's ref, check out its commit), instead of the
//!   plugin image.
//! - plugins: the image's base name (`plugin-foo` of `org/plugin-foo:1`) is run from `PATH`.
//! - Every step is a process-group leader, so cancel and timeout kill what it started too.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

use super::safe_name;
use super::script::{quote, script};
use crate::domain::workload::{StepSpec, Workload};
use crate::ports::backend::{Backend, BackendError, Exit, Output};

/// Runs steps as local processes under `root/<task id>/`.
pub struct LocalBackend {
    root: PathBuf,
    running: Mutex<HashMap<(String, String), Child>>,
    /// Process-group ids of started steps, also while a wait holds their child.
    groups: Mutex<HashMap<(String, String), u32>>,
}

impl LocalBackend {
    /// Workspaces go under `root` (created when needed).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), running: Mutex::new(HashMap::new()), groups: Mutex::new(HashMap::new()) }
    }

    fn workspace(&self, task_id: &str) -> PathBuf {
        self.root.join(safe_name(task_id))
    }

    /// The step's working directory: its `working_dir` with the workspace base replaced by the
    /// workflow's directory.
    fn working_dir(&self, task_id: &str, step: &StepSpec) -> PathBuf {
        let base = step.workspace_base.trim_end_matches('/');
        let relative = step.working_dir.strip_prefix(base).unwrap_or(&step.working_dir);
        let relative = relative.trim_start_matches('/');
        let workspace = self.workspace(task_id);
        if relative.split('/').any(|part| part == "..") { workspace } else { workspace.join(relative) }
    }

    fn command(&self, task_id: &str, step: &StepSpec, dir: &Path) -> Result<Command, BackendError> {
        let mut command = match step.kind.as_str() {
            "clone" => shell(&clone_script(step)),
            "plugin" => Command::new(plugin_executable(&step.image)),
            _ if !step.commands.is_empty() => shell(&script(&step.commands)),
            _ if !step.entrypoint.is_empty() => {
                let mut c = Command::new(&step.entrypoint[0]);
                c.args(&step.entrypoint[1..]);
                c
            }
            _ => return Err(start_error(step, "the step has no commands to run")),
        };
        let workspace = self.workspace(task_id);
        command
            .current_dir(dir)
            .envs(&step.environment)
            .env("CI_WORKSPACE", dir)
            .env("HOME", workspace.join(".home"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        Ok(command)
    }
}

/// A command running `script` with `sh -e`.
fn shell(script: &str) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-e").arg("-c").arg(script);
    command
}

/// Clones the pipeline's commit into the working directory with git.
fn clone_script(step: &StepSpec) -> String {
    let env = |name: &str| step.environment.get(name).map(String::as_str).unwrap_or_default();
    let url = env("CI_REPO_CLONE_URL");
    let sha = env("CI_COMMIT_SHA");
    let reference = env("CI_COMMIT_REF");
    let target = if sha.is_empty() { "FETCH_HEAD" } else { sha };
    let fetch = if reference.is_empty() { sha } else { reference };
    script(&[
        "git init -q".to_owned(),
        format!("git remote add origin {}", quote(url)),
        format!("git fetch -q origin {}", quote(fetch)),
        format!("git -c advice.detachedHead=false checkout -q {}", quote(target)),
    ])
}

/// The executable a plugin image names: its last path segment without tag or digest.
fn plugin_executable(image: &str) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    let name = name.split('@').next().unwrap_or(name);
    name.split(':').next().unwrap_or(name).to_owned()
}

fn start_error(step: &StepSpec, message: impl std::fmt::Display) -> BackendError {
    BackendError::Start { step: step.name.clone(), message: message.to_string() }
}

/// Kills a whole process group.
fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with a negative pid signals the process group; no memory is touched.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn platform(&self) -> String {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        format!("{}/{arch}", std::env::consts::OS)
    }

    async fn setup_workflow(&self, task_id: &str, _workload: &Workload) -> Result<(), BackendError> {
        let home = self.workspace(task_id).join(".home");
        tokio::fs::create_dir_all(&home).await.map_err(|e| BackendError::Unavailable {
            backend: "local",
            message: format!("cannot create workspace {}: {e}", home.display()),
        })
    }

    async fn start_step(&self, task_id: &str, step: &StepSpec) -> Result<Output, BackendError> {
        let dir = self.working_dir(task_id, step);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| start_error(step, format!("{}: {e}", dir.display())))?;
        let (reader, writer) = std::io::pipe().map_err(|e| start_error(step, e))?;
        let stderr = writer.try_clone().map_err(|e| start_error(step, e))?;
        let mut command = self.command(task_id, step, &dir)?;
        command.stdout(writer).stderr(stderr);
        let child = command.spawn().map_err(|e| start_error(step, e))?;
        // The command holds the write ends until dropped; drop it so the reader sees EOF when
        // the step's processes exit.
        drop(command);
        let output =
            pipe::Receiver::from_owned_fd(OwnedFd::from(reader)).map_err(|e| start_error(step, e))?;
        let key = (task_id.to_owned(), step.uuid.clone());
        if let Some(pid) = child.id() {
            self.groups.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), pid);
        }
        self.running.lock().unwrap_or_else(|e| e.into_inner()).insert(key, child);
        Ok(Box::pin(output))
    }

    async fn wait_step(&self, task_id: &str, step: &StepSpec) -> Result<Exit, BackendError> {
        let key = (task_id.to_owned(), step.uuid.clone());
        let child = self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        let Some(mut child) = child else {
            return Err(BackendError::Unknown(anyhow::anyhow!("step {} was not started", step.name)));
        };
        let status = child.wait().await.map_err(|e| BackendError::Unknown(e.into()))?;
        use std::os::unix::process::ExitStatusExt;
        let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        // Background processes the step left behind end with it.
        if let Some(pgid) = self.groups.lock().unwrap_or_else(|e| e.into_inner()).remove(&key) {
            kill_group(pgid);
        }
        Ok(Exit { code, oom_killed: false })
    }

    async fn destroy_step(&self, task_id: &str, step: &StepSpec) -> Result<(), BackendError> {
        let key = (task_id.to_owned(), step.uuid.clone());
        if let Some(pgid) = self.groups.lock().unwrap_or_else(|e| e.into_inner()).remove(&key) {
            kill_group(pgid);
        }
        let child = self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        if let Some(mut child) = child {
            let _ = child.wait().await;
        }
        Ok(())
    }

    async fn destroy_workflow(&self, task_id: &str, _workload: &Workload) -> Result<(), BackendError> {
        {
            let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            groups.retain(|(task, _), pgid| {
                if task == task_id {
                    kill_group(*pgid);
                }
                task != task_id
            });
        }
        let children: Vec<Child> = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            let keys: Vec<_> = running.keys().filter(|(task, _)| task == task_id).cloned().collect();
            keys.into_iter().filter_map(|k| running.remove(&k)).collect()
        };
        for mut child in children {
            let _ = child.wait().await;
        }
        let workspace = self.workspace(task_id);
        match tokio::fs::remove_dir_all(&workspace).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                Err(BackendError::Unknown(anyhow::anyhow!("cannot remove {}: {e}", workspace.display())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_executables_are_the_image_base_name() {
        assert_eq!(plugin_executable("docker.io/woodpeckerci/plugin-git:2.10.0"), "plugin-git");
        assert_eq!(plugin_executable("plugin-s3@sha256:abc"), "plugin-s3");
        assert_eq!(plugin_executable("alpine"), "alpine");
    }

    #[test]
    fn working_dirs_stay_inside_the_workspace() {
        let backend = LocalBackend::new("/tmp/ws");
        let step = StepSpec {
            working_dir: "/woodpecker/src/host/o/r".into(),
            workspace_base: "/woodpecker".into(),
            ..StepSpec::default()
        };
        assert_eq!(backend.working_dir("7", &step), Path::new("/tmp/ws/7/src/host/o/r"));
        let escape = StepSpec { working_dir: "/woodpecker/../../etc".into(), ..step };
        assert_eq!(backend.working_dir("7", &escape), Path::new("/tmp/ws/7"));
    }
}
