//! One container to one payload step (upstream `convert.go`): type, workspace and
//! working dir, environment layering, settings, secrets, netrc, volumes, networks,
//! ports, failure mode and run-on flags.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;

use super::image::{ImageList, registry_domain};
use super::settings::{SecretResolver, param_value, plugin_key};
use super::ulid::UlidSource;
use super::{CompileError, CompileInput, FieldError};
use crate::domain::yaml::model::{Container, Workflow};
use crate::domain::yaml::node::{Node, Value};
use crate::domain::yaml::options::BuildOptions;
use crate::domain::yaml::payload::{Auth, Conn, Environment, HostAlias, Port, Step};
use crate::domain::yaml::when::RunOn;

/// Plugins always see the workspace under this base.
const PLUGIN_WORKSPACE_BASE: &str = "/woodpecker";
/// Set for every step after the shared variables, so only the step's own ones override it.
const WORKSPACE_VAR: &str = "CI_WORKSPACE";

/// Which list a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    DefaultClone,
    Clone,
    Service,
    Step,
}

impl Area {
    fn field(self) -> &'static str {
        match self {
            Area::DefaultClone | Area::Clone => "clone",
            Area::Service => "services",
            Area::Step => "steps",
        }
    }
}

/// Per-workflow facts shared by all its steps.
pub struct StepContext<'a> {
    input: &'a CompileInput<'a>,
    default_name: &'a str,
    base: String,
    /// Environment layers 1-3 (global, built-ins, proxy) and `CI_WORKSPACE`, shared by
    /// every plugin step.
    plugin_env: Arc<BTreeMap<String, String>>,
    /// The same plus the matrix axis and manual variables, for non-plugin steps.
    step_env: Arc<BTreeMap<String, String>>,
    /// Images that get netrc credentials and images that run privileged, split once.
    trusted_clone: ImageList,
    privileged_plugins: ImageList,
    /// `CI_WORKSPACE` of non-plugin and plugin steps.
    workspace: String,
    plugin_workspace: String,
    /// The default volume mounted at the workspace base, for non-plugin and plugin steps.
    volume: String,
    plugin_volume: String,
}

impl<'a> StepContext<'a> {
    pub fn new(wf: &Workflow, input: &'a CompileInput<'a>, default_name: &'a str) -> Self {
        let base = if wf.workspace.base.is_empty() {
            "/woodpecker".to_string()
        } else {
            clean_path(&wf.workspace.base)
        };
        let path = if wf.workspace.path.is_empty() {
            default_workspace_path(&input.metadata.repo.forge_url)
        } else {
            clean_path(&wf.workspace.path)
        };
        let opts = input.opts;
        let workspace = join(&[&base, &path]);
        let plugin_workspace = join(&[PLUGIN_WORKSPACE_BASE, &path]);
        let mut plugin_env = opts.global_env.clone();
        let built_ins = input.ci_env.iter().chain(input.workflow_env);
        plugin_env.extend(built_ins.map(|(k, v)| (k.clone(), v.clone())));
        plugin_env.extend(proxy_vars(opts));
        let step_only = input.axis.iter().chain(&opts.pipeline_variables);
        // Without axis or manual variables both kinds of step see the same variables.
        let (plugin_env, step_env) = if step_only.clone().next().is_none() && workspace == plugin_workspace {
            plugin_env.insert(WORKSPACE_VAR.into(), workspace.clone());
            let shared = Arc::new(plugin_env);
            (Arc::clone(&shared), shared)
        } else {
            let mut step_env = plugin_env.clone();
            step_env.extend(step_only.map(|(k, v)| (k.clone(), v.clone())));
            step_env.insert(WORKSPACE_VAR.into(), workspace.clone());
            plugin_env.insert(WORKSPACE_VAR.into(), plugin_workspace.clone());
            (Arc::new(plugin_env), Arc::new(step_env))
        };
        StepContext {
            input,
            default_name,
            plugin_env,
            step_env,
            trusted_clone: ImageList::new(&opts.trusted_clone_list()),
            privileged_plugins: ImageList::new(&opts.privileged_plugins),
            workspace,
            volume: format!("{default_name}:{base}"),
            plugin_volume: format!("{default_name}:{PLUGIN_WORKSPACE_BASE}"),
            plugin_workspace,
            base,
        }
    }

    /// The injected clone step: the default clone plugin with depth (and tags on tag events).
    pub fn default_clone(&self) -> Container {
        let text = |s: &str| Node::synthetic(Value::Str(s.to_string()));
        let mut settings = IndexMap::new();
        settings.insert("depth".to_string(), text("0"));
        if self.input.metadata.curr.event == "tag" {
            settings.insert("tags".to_string(), text("true"));
        }
        let environment = netrc_vars(self.input.opts).into_iter().map(|(k, v)| (k, text(&v))).collect();
        Container {
            name: "clone".into(),
            image: self.input.opts.default_clone_image.clone(),
            settings,
            environment,
            ..Container::default()
        }
    }

    pub fn step(
        &self,
        c: &Container,
        area: Area,
        run_on: RunOn,
        ids: &mut UlidSource,
    ) -> Result<Step, FieldError> {
        let fail = |error: CompileError| FieldError { field: format!("{}.{}", area.field(), c.name), error };
        let opts = self.input.opts;
        let plugin = c.is_plugin();
        let base = if plugin { PLUGIN_WORKSPACE_BASE } else { self.base.as_str() };
        let workspace = if plugin { &self.plugin_workspace } else { &self.workspace };
        let working_dir = if c.directory.is_empty() {
            workspace.clone()
        } else if c.directory.starts_with('/') {
            c.directory.clone()
        } else {
            join(&[workspace, &c.directory])
        };

        let mut environment =
            Environment::new(if plugin { &self.plugin_env } else { &self.step_env }.clone());

        let mut secret_mapping = BTreeMap::new();
        let mut resolver = SecretResolver {
            secrets: &opts.secrets,
            event: &self.input.metadata.curr.event,
            step: &c.name,
            image: &c.image,
            is_plugin: plugin,
            used: false,
        };
        let entries = c.settings.iter().map(|(k, v)| (plugin_key(k), v));
        let entries = entries.chain(c.environment.iter().map(|(k, v)| (k.clone(), v)));
        for (key, value) in entries {
            resolver.used = false;
            let Some(text) = param_value(value, &mut resolver).map_err(fail)? else { continue };
            if key.is_empty() {
                continue;
            }
            if resolver.used {
                secret_mapping.insert(key.clone(), text.clone());
            }
            environment.insert(key, text);
        }
        let trusted_clone = plugin && self.trusted_clone.matches(&c.image);
        let netrc = match area {
            Area::DefaultClone => false, // already in its environment
            _ => self.input.metadata.repo.trusted.security || trusted_clone,
        };
        if netrc {
            for (k, v) in netrc_vars(opts) {
                environment.insert(k, v);
            }
        }

        let mut volumes = vec![if plugin { &self.plugin_volume } else { &self.volume }.clone()];
        volumes.extend(opts.volumes.iter().cloned());
        volumes.extend(c.volumes.iter().cloned());
        let mut networks =
            vec![Conn { name: self.default_name.to_string(), aliases: Some(vec![c.name.clone()]) }];
        networks.extend(opts.networks.iter().map(|n| Conn { name: n.clone(), aliases: None }));

        let detach = area == Area::Service || c.detach;
        let failure = if opts.force_ignore_service_failure && detach {
            "ignore".to_string()
        } else if c.failure.is_empty() {
            "fail".to_string()
        } else {
            c.failure.clone()
        };
        let kind = match area {
            Area::DefaultClone | Area::Clone => "clone",
            Area::Service => "service",
            Area::Step if plugin => "plugin",
            Area::Step => "commands",
        };
        Ok(Step {
            name: c.name.clone(),
            org_id: 0,
            uuid: ids.next_id(),
            kind: kind.into(),
            image: c.image.clone(),
            pull: c.pull,
            detach,
            privileged: c.privileged || (plugin && self.privileged_plugins.matches(&c.image)),
            working_dir,
            workspace_base: base.to_string(),
            environment,
            secret_mapping,
            entrypoint: c.entrypoint.clone(),
            commands: c.commands.clone(),
            extra_hosts: c
                .extra_hosts
                .iter()
                .map(|h| extra_host(h))
                .collect::<Result<_, _>>()
                .map_err(fail)?,
            volumes,
            tmpfs: c.tmpfs.clone(),
            devices: c.devices.clone(),
            networks,
            dns: c.dns.clone(),
            dns_search: c.dns_search.clone(),
            on_failure: run_on.failure,
            on_success: run_on.success,
            failure,
            auth_config: auth_for(&c.image, opts),
            network_mode: c.network_mode.clone(),
            ports: c.ports.iter().map(|p| port(p)).collect::<Result<_, _>>().map_err(fail)?,
            backend_options: c.backend_options.clone(),
            workflow_labels: Arc::default(),
        })
    }
}

/// Proxy variables in both cases, only those that are set.
pub fn proxy_vars(opts: &BuildOptions) -> Vec<(String, String)> {
    let p = &opts.proxy;
    [("no_proxy", &p.no_proxy), ("http_proxy", &p.http_proxy), ("https_proxy", &p.https_proxy)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .flat_map(|(k, v)| [(k.to_string(), v.clone()), (k.to_uppercase(), v.clone())])
        .collect()
}

fn netrc_vars(opts: &BuildOptions) -> Vec<(String, String)> {
    opts.netrc
        .iter()
        .flat_map(|n| {
            [
                ("CI_NETRC_MACHINE".to_string(), n.machine.clone()),
                ("CI_NETRC_USERNAME".to_string(), n.username.clone()),
                ("CI_NETRC_PASSWORD".to_string(), n.password.clone()),
            ]
        })
        .collect()
}

fn auth_for(image: &str, opts: &BuildOptions) -> Auth {
    if opts.registries.is_empty() {
        return Auth::default();
    }
    let domain = registry_domain(image);
    opts.registries
        .iter()
        .find(|r| {
            let host = if r.hostname == "index.docker.io" { "docker.io" } else { r.hostname.as_str() };
            host == domain
        })
        .map(|r| Auth { username: r.username.clone(), password: r.password.clone() })
        .unwrap_or_default()
}

fn extra_host(entry: &str) -> Result<HostAlias, CompileError> {
    let (name, ip) = entry
        .split_once(':')
        .ok_or_else(|| CompileError(format!("extra host {entry} is in wrong format")))?;
    Ok(HostAlias { name: name.into(), ip: ip.into() })
}

fn port(entry: &str) -> Result<Port, CompileError> {
    let (number, protocol) = entry.split_once('/').unwrap_or((entry, ""));
    let number = number
        .parse::<u16>()
        .map_err(|_| CompileError(format!("strconv.ParseUint: parsing \"{number}\": invalid syntax")))?;
    Ok(Port { number, protocol: protocol.into() })
}

/// `src/<host without port><url path>`, or `src` when the URL has no scheme.
fn default_workspace_path(forge_url: &str) -> String {
    let Some((_, rest)) = forge_url.split_once("://") else { return "src".into() };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    clean_path(&join(&["src", host, path]))
}

/// `path.Join`: join non-empty parts with `/` and clean the result.
fn join(parts: &[&str]) -> String {
    let joined = parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("/");
    clean_path(&joined)
}

/// Go `path.Clean`.
fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(clean_path("/a//b/../c/"), "/a/c");
        assert_eq!(
            default_workspace_path("https://forge.example:3000/owner/repo"),
            "src/forge.example/owner/repo"
        );
        assert_eq!(default_workspace_path("not a url"), "src");
        assert_eq!(join(&["/woodpecker", "src/x", "sub"]), "/woodpecker/src/x/sub");
    }
}
