//! Lint rules 1-8 of yaml.md §5.2: missing steps, clone allow-list, images, trust
//! levels, settings conflicts, formerly privileged plugins, step dependencies and
//! unique service names.

use super::LintOptions;
use crate::domain::yaml::compile::image::{has_familiar_name, match_dynamic};
use crate::domain::yaml::error::{ErrorType, PipelineError};
use crate::domain::yaml::model::{Container, Workflow};

/// Plugins that were privileged by default before 3.0, as familiar names (upstream's
/// plain match compares familiar names without tags).
const FORMERLY_PRIVILEGED: [&str; 4] =
    ["plugins/docker", "plugins/gcr", "plugins/ecr", "woodpeckerci/plugin-docker-buildx"];

pub fn container_rules(file: &str, wf: &Workflow, opts: &LintOptions) -> Vec<PipelineError> {
    let mut out = Vec::new();
    let err = |field: &str, msg: &str| PipelineError::new(ErrorType::Linter, file, field, msg, false);
    let warn = |field: &str, msg: &str| PipelineError::new(ErrorType::Linter, file, field, msg, true);

    if wf.steps.is_empty() {
        out.push(err("steps", "Invalid or missing `steps` section"));
    }
    for c in &wf.clone {
        if !match_dynamic(&c.image, &opts.trusted_clone_images) {
            out.push(warn(
                &format!("clone.{}", c.name),
                "Specified clone image does not match allow list, netrc is not injected",
            ));
        }
    }
    let areas = [("clone", &wf.clone), ("steps", &wf.steps), ("services", &wf.services)];
    for (area, list) in areas {
        for c in list.iter() {
            // Most containers have no finding: the field name is only built for one.
            let field = || format!("{area}.{}", c.name);
            if c.image.is_empty() {
                out.push(err(&field(), "Invalid or missing image"));
            }
            for msg in trust_violations(c, opts) {
                out.push(err(&field(), msg));
            }
            if !c.settings.is_empty() {
                if !c.commands.is_empty() {
                    out.push(err(&field(), "Cannot configure both `commands` and `settings`"));
                }
                if !c.entrypoint.is_empty() {
                    out.push(err(&field(), "Cannot configure both `entrypoint` and `settings`"));
                }
                if !c.environment.is_empty() {
                    out.push(warn(&field(), "Should not configure both `environment` and `settings`"));
                }
            }
            if !c.privileged && FORMERLY_PRIVILEGED.iter().any(|name| has_familiar_name(&c.image, name)) {
                let blocking =
                    opts.privileged_plugins.as_ref().is_some_and(|list| !match_dynamic(&c.image, list));
                if blocking || opts.privileged_plugins.is_none() {
                    let msg = format!(
                        "The formerly privileged plugin `{}` is no longer privileged by default, if required, add it to `WOODPECKER_PLUGINS_PRIVILEGED`",
                        c.image
                    );
                    out.push(PipelineError::new(ErrorType::Linter, file, &field(), msg, !blocking));
                }
            }
            if area == "steps" {
                let deps = c.depends_on.as_deref().unwrap_or_default();
                let missing = deps.iter().any(|d| !d.optional && !wf.steps.iter().any(|s| s.name == d.name));
                if missing {
                    out.push(err(
                        &format!("{}.depends_on", field()),
                        "One or more of the specified dependencies do not exist",
                    ));
                }
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for s in &wf.services {
        if seen.contains(&s.name.as_str()) {
            let msg = format!("Service names must be unique, `{}` is used more than once", s.name);
            out.push(err(&format!("services.{}", s.name), &msg));
        }
        seen.push(&s.name);
    }
    out
}

fn trust_violations(c: &Container, opts: &LintOptions) -> Vec<&'static str> {
    let t = opts.trusted;
    let checks = [
        (c.privileged && !t.security, "Insufficient trust level to use `privileged` mode"),
        (!c.dns.is_empty() && !t.network, "Insufficient trust level to use custom `dns`"),
        (!c.dns_search.is_empty() && !t.network, "Insufficient trust level to use `dns_search`"),
        (!c.extra_hosts.is_empty() && !t.network, "Insufficient trust level to use `extra_hosts`"),
        (
            !c.network_mode.is_empty() && c.network_mode != "none" && !t.network,
            "Insufficient trust level to use `network_mode`",
        ),
        (!c.devices.is_empty() && !t.volumes, "Insufficient trust level to use `devices`"),
        (!c.volumes.is_empty() && !t.volumes, "Insufficient trust level to use `volumes`"),
        (!c.tmpfs.is_empty() && !t.volumes, "Insufficient trust level to use `tmpfs`"),
    ];
    checks.into_iter().filter(|(hit, _)| *hit).map(|(_, msg)| msg).collect()
}
