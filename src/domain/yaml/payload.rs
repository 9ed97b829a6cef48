//! The workflow payload JSON the Go agent decodes (`backend/types.Config`). Field names,
//! types and omission rules follow Go's `omitempty`; `environment` is always an object
//! and `auth_config` always present, so the agent never meets a nil map.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Serialize, Serializer};

pub use super::environment::Environment;

/// `Config`: stages run in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub pipeline: Vec<Stage>,
    pub network: String,
    pub volume: String,
    pub secrets: Vec<SecretEntry>,
}

impl Payload {
    /// An upper bound of the JSON size: every string byte may need a 6-byte escape, plus
    /// a generous allowance for keys and punctuation.
    pub fn size_bound(&self) -> usize {
        const PER_STRING: usize = 32;
        const PER_STEP: usize = 1024;
        let strings =
            |items: &mut dyn Iterator<Item = usize>| items.map(|len| 6 * len + PER_STRING).sum::<usize>();
        let map = |m: &BTreeMap<String, String>| strings(&mut m.iter().map(|(k, v)| k.len() + v.len()));
        // Steps share a few variable maps: each is measured once. Counting the shared and
        // the own variables separately counts overridden ones twice, still an upper bound.
        let mut shared_sizes: Vec<(*const BTreeMap<String, String>, usize)> = Vec::new();
        let mut shared_size = |shared: &Arc<BTreeMap<String, String>>| {
            let ptr = Arc::as_ptr(shared);
            match shared_sizes.iter().find(|(p, _)| *p == ptr) {
                Some(&(_, size)) => size,
                None => {
                    let size = map(shared);
                    shared_sizes.push((ptr, size));
                    size
                }
            }
        };
        let steps = self.pipeline.iter().flat_map(|s| &s.steps);
        let body: usize = steps
            .map(|step| {
                let (shared, own) = step.environment.layers();
                let env = shared_size(shared) + map(own);
                let maps = map(&step.secret_mapping) + map(&step.workflow_labels);
                let lists = [
                    &step.entrypoint,
                    &step.commands,
                    &step.volumes,
                    &step.tmpfs,
                    &step.devices,
                    &step.dns,
                    &step.dns_search,
                ];
                let lists = strings(&mut lists.into_iter().flatten().map(String::len));
                let names = [
                    &step.name,
                    &step.uuid,
                    &step.kind,
                    &step.image,
                    &step.working_dir,
                    &step.workspace_base,
                    &step.failure,
                    &step.network_mode,
                ];
                let names = strings(&mut names.into_iter().map(String::len));
                let nets = strings(
                    &mut step
                        .networks
                        .iter()
                        .flat_map(|n| n.aliases.iter().flatten().chain([&n.name]))
                        .map(String::len),
                );
                let hosts = strings(&mut step.extra_hosts.iter().map(|h| h.name.len() + h.ip.len()));
                let auth = 6 * (step.auth_config.username.len() + step.auth_config.password.len());
                let options = step.backend_options.as_ref().map_or(0, |o| 6 * o.to_string().len());
                env + maps
                    + lists
                    + names
                    + nets
                    + hosts
                    + auth
                    + options
                    + step.ports.iter().map(|p| 6 * p.protocol.len() + 48).sum::<usize>()
                    + PER_STEP
            })
            .sum();
        let secrets = strings(&mut self.secrets.iter().map(|s| s.name.len() + s.value.len()));
        body + secrets + 6 * (self.network.len() + self.volume.len()) + 64 + 16 * self.pipeline.len()
    }
}

/// Steps of one stage run in parallel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// A secret for log masking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretEntry {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// One container of the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Step {
    pub name: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub org_id: i64,
    pub uuid: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(skip_serializing_if = "is_false")]
    pub pull: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub detach: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workspace_base: String,
    pub environment: Environment,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_mapping: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<HostAlias>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<Conn>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub on_failure: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub on_success: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub failure: String,
    pub auth_config: Auth,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub network_mode: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_options: Option<serde_json::Value>,
    /// Shared by all steps of a workflow.
    #[serde(skip_serializing_if = "no_labels", serialize_with = "shared_labels")]
    pub workflow_labels: Arc<BTreeMap<String, String>>,
}

fn no_labels(labels: &Arc<BTreeMap<String, String>>) -> bool {
    labels.is_empty()
}

fn shared_labels<S: Serializer>(labels: &Arc<BTreeMap<String, String>>, s: S) -> Result<S::Ok, S::Error> {
    labels.as_ref().serialize(s)
}

/// `extra_hosts` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostAlias {
    pub name: String,
    pub ip: String,
}

/// Network attachment; `aliases` is `null` for server networks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conn {
    pub name: String,
    pub aliases: Option<Vec<String>>,
}

/// Registry credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Auth {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
}

/// Exposed port.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    pub number: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
}
