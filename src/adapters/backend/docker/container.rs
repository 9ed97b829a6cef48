//! The container of a step, as the Docker Engine API's create body, built from the payload's
//! step alone (pure functions), with upstream's conventions:
//! - `commands` steps run `/bin/sh -c 'echo $CI_SCRIPT | base64 -d | /bin/sh -e'` with the
//!   script (netrc, `cd` to the working directory, each command echoed) base64 in `CI_SCRIPT`,
//!   from the workspace base; an explicit `entrypoint` wins;
//! - the workflow volume is mounted at the workspace base unless the step mounts one there;
//! - privileged only when the step says so; `network_mode` only when it names one;
//! - labels `wp_uuid` and `wp_step` tell which step a container is.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bollard::models::{ContainerCreateBody, DeviceMapping, HostConfig, HostConfigLogConfig};

use crate::adapters::backend::script::{quote, script};
use crate::domain::workload::StepSpec;

/// What runs the script of a `commands` step.
pub const SCRIPT_ENTRYPOINT: [&str; 3] = ["/bin/sh", "-c", "echo $CI_SCRIPT | base64 -d | /bin/sh -e"];

/// What the containers of a workflow share besides their step.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The workflow's volume.
    pub volume: &'a str,
    /// Binds every container gets (`WOODPECKER_BACKEND_DOCKER_VOLUMES`).
    pub extra_binds: &'a [String],
    /// Resource limits of every container.
    pub limits: &'a Limits,
}

/// Resource limits of every container, as upstream's `WOODPECKER_BACKEND_DOCKER_LIMIT_*` give
/// them; 0 (or an empty CPU set) leaves the daemon's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Memory, in bytes.
    pub mem: i64,
    /// Memory plus swap, in bytes (-1: unlimited swap).
    pub mem_swap: i64,
    /// Size of `/dev/shm`, in bytes.
    pub shm_size: i64,
    /// CPU time per 100 ms period, in microseconds.
    pub cpu_quota: i64,
    /// Relative CPU weight.
    pub cpu_shares: i64,
    /// CPUs the containers may run on (`0-3`, `0,2`).
    pub cpu_set: String,
}

/// A network a container joins after it is created, with the names it answers to there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Network name.
    pub network: String,
    /// Aliases on it (none for server networks).
    pub aliases: Vec<String>,
}

/// The create body of the step's container.
pub fn container_body(step: &StepSpec, placement: Placement<'_>) -> ContainerCreateBody {
    let mut environment: BTreeMap<String, String> = step.environment.clone();
    let mut entrypoint = None;
    let mut working_dir = step.working_dir.clone();
    if !step.commands.is_empty() {
        environment.insert("CI_SCRIPT".into(), STANDARD.encode(commands_script(step)));
        environment.insert("SHELL".into(), "/bin/sh".into());
        entrypoint = Some(SCRIPT_ENTRYPOINT.map(str::to_owned).to_vec());
        // The script changes to the working directory itself (creating it first).
        if !step.workspace_base.is_empty() {
            working_dir = step.workspace_base.clone();
        }
    }
    if !step.entrypoint.is_empty() {
        entrypoint = Some(step.entrypoint.clone());
    }
    let env =
        environment.into_iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| format!("{k}={v}")).collect();
    ContainerCreateBody {
        image: Some(step.image.clone()),
        labels: Some(HashMap::from([
            ("wp_uuid".to_owned(), step.uuid.clone()),
            ("wp_step".to_owned(), step.name.clone()),
        ])),
        working_dir: Some(working_dir).filter(|d| !d.is_empty()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        env: Some(env),
        entrypoint,
        host_config: Some(host_config(step, placement)),
        ..ContainerCreateBody::default()
    }
}

fn host_config(step: &StepSpec, placement: Placement<'_>) -> HostConfig {
    let non_empty = |list: &[String]| Some(list.to_vec()).filter(|l| !l.is_empty());
    let limit = |value: i64| Some(value).filter(|v| *v != 0);
    let limits = placement.limits;
    HostConfig {
        privileged: Some(step.privileged),
        network_mode: Some(step.network_mode.clone()).filter(|m| !m.is_empty()),
        binds: Some(binds(step, placement)),
        extra_hosts: Some(step.extra_hosts.iter().map(|h| format!("{}:{}", h.name, h.ip)).collect())
            .filter(|hosts: &Vec<String>| !hosts.is_empty()),
        dns: non_empty(&step.dns),
        dns_search: non_empty(&step.dns_search),
        tmpfs: Some(step.tmpfs.iter().map(|t| tmpfs_entry(t)).collect())
            .filter(|mounts: &HashMap<String, String>| !mounts.is_empty()),
        devices: Some(step.devices.iter().filter_map(|d| device(d)).collect())
            .filter(|devices: &Vec<DeviceMapping>| !devices.is_empty()),
        // Logs are read back through the API, which needs a readable log driver.
        log_config: Some(HostConfigLogConfig { typ: Some("json-file".into()), config: None }),
        memory: limit(limits.mem),
        memory_swap: limit(limits.mem_swap),
        shm_size: limit(limits.shm_size),
        cpu_quota: limit(limits.cpu_quota),
        cpu_shares: limit(limits.cpu_shares),
        cpuset_cpus: Some(limits.cpu_set.clone()).filter(|set| !set.is_empty()),
        ..HostConfig::default()
    }
}

/// The step's own mounts, the workflow volume at the workspace base when the step mounts
/// nothing there, then the configured ones; each once.
fn binds(step: &StepSpec, placement: Placement<'_>) -> Vec<String> {
    let mut binds: Vec<String> = step.volumes.clone();
    let base = step.workspace_base.as_str();
    if !base.is_empty() && !binds.iter().any(|b| bind_target(b) == Some(base)) {
        binds.push(format!("{}:{base}", placement.volume));
    }
    for bind in placement.extra_binds {
        if !binds.contains(bind) {
            binds.push(bind.clone());
        }
    }
    binds
}

/// Where a `source:target[:mode]` bind lands in the container.
fn bind_target(bind: &str) -> Option<&str> {
    bind.split(':').nth(1)
}

/// `/path` or `/path:options` as the tmpfs map wants it.
fn tmpfs_entry(entry: &str) -> (String, String) {
    let (path, options) = entry.split_once(':').unwrap_or((entry, ""));
    (path.to_owned(), options.to_owned())
}

/// `host:container[:permissions]`; entries without a container path are left out, as upstream.
fn device(entry: &str) -> Option<DeviceMapping> {
    let mut parts = entry.split(':');
    let host = parts.next()?;
    let container = parts.next()?;
    Some(DeviceMapping {
        path_on_host: Some(host.to_owned()),
        path_in_container: Some(container.to_owned()),
        cgroup_permissions: Some(parts.next().unwrap_or("rwm").to_owned()),
    })
}

/// The networks the container joins: the step's (the workflow's with the step name as alias
/// when the payload names none), then the configured one; none with a `network_mode`.
pub fn attachments(step: &StepSpec, workflow_network: &str, extra_network: Option<&str>) -> Vec<Attachment> {
    if !step.network_mode.is_empty() {
        return Vec::new();
    }
    let mut attachments: Vec<Attachment> = if step.networks.is_empty() {
        vec![Attachment { network: workflow_network.to_owned(), aliases: vec![step.name.clone()] }]
    } else {
        step.networks
            .iter()
            .map(|n| Attachment { network: n.name.clone(), aliases: n.aliases.clone() })
            .collect()
    };
    if let Some(extra) = extra_network.filter(|n| !n.is_empty())
        && !attachments.iter().any(|a| a.network == extra)
    {
        attachments.push(Attachment { network: extra.to_owned(), aliases: Vec::new() });
    }
    attachments
}

/// The script of a `commands` step: `.netrc` from the clone credentials (which are then
/// dropped from the environment), into the working directory, the commands.
fn commands_script(step: &StepSpec) -> String {
    let mut out = String::from(
        r#"if [ -z "$HOME" ]; then export HOME=/root; fi
if [ -n "$CI_NETRC_MACHINE" ]; then
cat <<EOF > "$HOME/.netrc"
machine $CI_NETRC_MACHINE
login $CI_NETRC_USERNAME
password $CI_NETRC_PASSWORD
EOF
chmod 0600 "$HOME/.netrc"
fi
unset CI_NETRC_USERNAME CI_NETRC_PASSWORD CI_SCRIPT
"#,
    );
    if !step.working_dir.is_empty() {
        let dir = quote(&step.working_dir);
        out.push_str(&format!("mkdir -p {dir}\ncd {dir}\n"));
    }
    out.push_str(&script(&step.commands));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workload::{HostAliasSpec, NetworkSpec};

    const NO_LIMITS: Limits =
        Limits { mem: 0, mem_swap: 0, shm_size: 0, cpu_quota: 0, cpu_shares: 0, cpu_set: String::new() };
    const PLACEMENT: Placement<'static> =
        Placement { volume: "wp_1_default", extra_binds: &[], limits: &NO_LIMITS };

    fn commands_step() -> StepSpec {
        StepSpec {
            name: "build".into(),
            uuid: "01J".into(),
            kind: "commands".into(),
            image: "alpine:3.20".into(),
            working_dir: "/woodpecker/src/repo".into(),
            workspace_base: "/woodpecker".into(),
            environment: BTreeMap::from([("CI".into(), "woodpecker".into())]),
            commands: vec!["echo hi".into()],
            ..StepSpec::default()
        }
    }

    fn env_value(body: &ContainerCreateBody, key: &str) -> Option<String> {
        let prefix = format!("{key}=");
        body.env.as_ref()?.iter().find_map(|e| e.strip_prefix(&prefix).map(str::to_owned))
    }

    #[test]
    fn commands_steps_run_their_script_from_ci_script() {
        let body = container_body(&commands_step(), PLACEMENT);
        assert_eq!(body.entrypoint.as_deref(), Some(&SCRIPT_ENTRYPOINT.map(str::to_owned)[..]));
        assert_eq!(body.working_dir.as_deref(), Some("/woodpecker"));
        assert_eq!(env_value(&body, "CI").as_deref(), Some("woodpecker"));
        let script =
            String::from_utf8(STANDARD.decode(env_value(&body, "CI_SCRIPT").unwrap()).unwrap()).unwrap();
        assert!(script.contains("mkdir -p '/woodpecker/src/repo'\ncd '/woodpecker/src/repo'\n"), "{script}");
        assert!(script.ends_with("echo '+ echo hi'\necho hi\n"), "{script}");
        assert_eq!(body.labels.unwrap()["wp_step"], "build");
    }

    #[test]
    fn plugins_keep_their_image_entrypoint_and_working_dir() {
        let plugin = StepSpec { kind: "plugin".into(), commands: vec![], ..commands_step() };
        let body = container_body(&plugin, PLACEMENT);
        assert_eq!(body.entrypoint, None);
        assert_eq!(body.working_dir.as_deref(), Some("/woodpecker/src/repo"));
        assert_eq!(env_value(&body, "CI_SCRIPT"), None);
        let custom = StepSpec { entrypoint: vec!["/bin/bash".into(), "-c".into()], ..commands_step() };
        assert_eq!(container_body(&custom, PLACEMENT).entrypoint.unwrap(), ["/bin/bash", "-c"]);
    }

    #[test]
    fn limits_left_at_zero_leave_the_daemons_defaults() {
        let host = container_body(&commands_step(), PLACEMENT).host_config.unwrap();
        assert_eq!((host.memory, host.memory_swap, host.shm_size), (None, None, None));
        assert_eq!((host.cpu_quota, host.cpu_shares, host.cpuset_cpus), (None, None, None));
        let swap_only = Limits { mem_swap: -1, ..NO_LIMITS };
        let placement = Placement { limits: &swap_only, ..PLACEMENT };
        let host = container_body(&commands_step(), placement).host_config.unwrap();
        assert_eq!((host.memory, host.memory_swap), (None, Some(-1)));
    }

    #[test]
    fn privileged_only_when_the_step_says_so() {
        let host = |step: &StepSpec| container_body(step, PLACEMENT).host_config.unwrap();
        assert_eq!(host(&commands_step()).privileged, Some(false));
        assert_eq!(host(&StepSpec { privileged: true, ..commands_step() }).privileged, Some(true));
    }

    #[test]
    fn the_workflow_volume_is_mounted_at_the_workspace_base_once() {
        let extra = ["/var/cache:/cache".to_owned()];
        let placement = Placement { extra_binds: &extra, ..PLACEMENT };
        let binds = |step: &StepSpec| container_body(step, placement).host_config.unwrap().binds.unwrap();
        assert_eq!(binds(&commands_step()), ["wp_1_default:/woodpecker", "/var/cache:/cache"]);
        let own = StepSpec { volumes: vec!["wp_x_default:/woodpecker".into()], ..commands_step() };
        assert_eq!(binds(&own), ["wp_x_default:/woodpecker", "/var/cache:/cache"]);
    }

    #[test]
    fn host_settings_come_from_the_step() {
        let step = StepSpec {
            extra_hosts: vec![HostAliasSpec { name: "db".into(), ip: "10.0.0.2".into() }],
            tmpfs: vec!["/tmp".into(), "/run:size=64m".into()],
            devices: vec!["/dev/fuse:/dev/fuse".into(), "nonsense".into()],
            dns: vec!["1.1.1.1".into()],
            network_mode: "host".into(),
            ..commands_step()
        };
        let host = container_body(&step, PLACEMENT).host_config.unwrap();
        assert_eq!(host.extra_hosts.unwrap(), ["db:10.0.0.2"]);
        assert_eq!(
            host.tmpfs.unwrap(),
            HashMap::from([("/tmp".into(), "".into()), ("/run".into(), "size=64m".into())])
        );
        assert_eq!(host.devices.unwrap().len(), 1);
        assert_eq!(host.dns.unwrap(), ["1.1.1.1"]);
        assert_eq!(host.network_mode.as_deref(), Some("host"));
    }

    #[test]
    fn steps_join_the_workflow_network_under_their_name() {
        let step = commands_step();
        assert_eq!(
            attachments(&step, "wp_1_default", Some("ci")),
            [
                Attachment { network: "wp_1_default".into(), aliases: vec!["build".into()] },
                Attachment { network: "ci".into(), aliases: vec![] },
            ]
        );
        let named = StepSpec {
            networks: vec![NetworkSpec { name: "wp_x_default".into(), aliases: vec!["build".into()] }],
            ..commands_step()
        };
        assert_eq!(attachments(&named, "wp_1_default", None)[0].network, "wp_x_default");
        let host = StepSpec { network_mode: "host".into(), ..commands_step() };
        assert!(attachments(&host, "wp_1_default", Some("ci")).is_empty());
    }
}
