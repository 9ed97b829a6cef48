//! A workflow as an agent reads it: the payload of `Next` (engine.md §2.2) decoded leniently,
//! the way the Go agent does (absent or `null` fields read as empty), so that an agent of ours
//! also runs payloads of other servers.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::domain::workflow::FailureMode;

/// Reads `null` as the type's default, like Go's decoder leaves a zero value.
fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// The whole workflow: stages run one after the other, the steps of a stage together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Workload {
    /// The stages.
    #[serde(deserialize_with = "null_as_default")]
    pub pipeline: Vec<StageSpec>,
    /// Container network of the workflow.
    #[serde(deserialize_with = "null_as_default")]
    pub network: String,
    /// Volume of the workflow.
    #[serde(deserialize_with = "null_as_default")]
    pub volume: String,
    /// Secrets whose values must be masked in logs.
    #[serde(deserialize_with = "null_as_default")]
    pub secrets: Vec<SecretSpec>,
}

/// Steps that run at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StageSpec {
    /// The steps.
    #[serde(deserialize_with = "null_as_default")]
    pub steps: Vec<StepSpec>,
}

/// A secret the agent masks.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct SecretSpec {
    /// Its name.
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// Its value.
    #[serde(deserialize_with = "null_as_default")]
    pub value: String,
}

/// Registry credentials of a step's image.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AuthSpec {
    /// User name.
    #[serde(deserialize_with = "null_as_default")]
    pub username: String,
    /// Password.
    #[serde(deserialize_with = "null_as_default")]
    pub password: String,
}

/// A network a step joins.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct NetworkSpec {
    /// Network name.
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// Names the step answers to on it.
    #[serde(deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
}

/// An extra `/etc/hosts` entry of a step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct HostAliasSpec {
    /// Host name.
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// Its address.
    #[serde(deserialize_with = "null_as_default")]
    pub ip: String,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StepSpec {
    /// Its name.
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    /// Its UUID, the address of `Update` and `Log`.
    #[serde(deserialize_with = "null_as_default")]
    pub uuid: String,
    /// `clone`, `service`, `plugin`, `commands` or `cache`.
    #[serde(rename = "type", deserialize_with = "null_as_default")]
    pub kind: String,
    /// Container image (for the local backend: the plugin's executable).
    #[serde(deserialize_with = "null_as_default")]
    pub image: String,
    /// Always pull the image.
    pub pull: bool,
    /// Runs in the background for the rest of the workflow.
    pub detach: bool,
    /// Needs a privileged container.
    pub privileged: bool,
    /// Directory the step runs in.
    #[serde(deserialize_with = "null_as_default")]
    pub working_dir: String,
    /// Base of the workspace (`/woodpecker`).
    #[serde(deserialize_with = "null_as_default")]
    pub workspace_base: String,
    /// Environment variables.
    #[serde(deserialize_with = "null_as_default")]
    pub environment: BTreeMap<String, String>,
    /// Overrides the image's entrypoint.
    #[serde(deserialize_with = "null_as_default")]
    pub entrypoint: Vec<String>,
    /// Shell commands.
    #[serde(deserialize_with = "null_as_default")]
    pub commands: Vec<String>,
    /// Volumes to mount (`name:/path`).
    #[serde(deserialize_with = "null_as_default")]
    pub volumes: Vec<String>,
    /// Networks to join, the workflow's first with the step name as alias.
    #[serde(deserialize_with = "null_as_default")]
    pub networks: Vec<NetworkSpec>,
    /// Extra `/etc/hosts` entries.
    #[serde(deserialize_with = "null_as_default")]
    pub extra_hosts: Vec<HostAliasSpec>,
    /// In-memory mounts (`/path` or `/path:options`).
    #[serde(deserialize_with = "null_as_default")]
    pub tmpfs: Vec<String>,
    /// Host devices (`/dev/host:/dev/container`).
    #[serde(deserialize_with = "null_as_default")]
    pub devices: Vec<String>,
    /// DNS servers.
    #[serde(deserialize_with = "null_as_default")]
    pub dns: Vec<String>,
    /// DNS search domains.
    #[serde(deserialize_with = "null_as_default")]
    pub dns_search: Vec<String>,
    /// Runs when the workflow is already failing.
    pub on_failure: bool,
    /// Runs when the workflow is not failing.
    pub on_success: bool,
    /// `fail`, `ignore` or `cancel`.
    #[serde(deserialize_with = "null_as_default")]
    pub failure: String,
    /// Registry credentials.
    #[serde(deserialize_with = "null_as_default")]
    pub auth_config: AuthSpec,
    /// Docker network mode.
    #[serde(deserialize_with = "null_as_default")]
    pub network_mode: String,
}

impl Workload {
    /// Decodes a payload.
    ///
    /// # Errors
    /// When the bytes are not a JSON object of the payload's shape.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Every step, stage by stage.
    pub fn steps(&self) -> impl Iterator<Item = &StepSpec> {
        self.pipeline.iter().flat_map(|s| &s.steps)
    }
}

impl StepSpec {
    /// What its failure does to the workflow; unknown values fail it, as upstream.
    pub fn failure_mode(&self) -> FailureMode {
        match self.failure.as_str() {
            "ignore" => FailureMode::Ignore,
            "cancel" => FailureMode::Cancel,
            _ => FailureMode::Fail,
        }
    }

    /// Whether it runs given whether the workflow is failing so far.
    pub fn runs_when(&self, failing: bool) -> bool {
        if failing { self.on_failure } else { self.on_success }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_absent_fields_read_as_empty() {
        let w = Workload::decode(
            br#"{"pipeline":[{"steps":[{"name":"a","environment":null,"on_success":true}]}],"secrets":null}"#,
        )
        .unwrap();
        let step = w.steps().next().unwrap();
        assert!(step.environment.is_empty());
        assert!(w.secrets.is_empty());
        assert_eq!(step.failure_mode(), FailureMode::Fail);
        assert!(step.runs_when(false));
        assert!(!step.runs_when(true));
    }

    #[test]
    fn the_compilers_payload_decodes() {
        let w = Workload::decode(
            br#"{"pipeline":[{"steps":[{"name":"test","uuid":"01J","type":"commands","image":"alpine",
            "commands":["echo hi"],"environment":{"CI":"woodpecker"},"failure":"ignore","on_success":true,
            "auth_config":{},"networks":[{"name":"wp_default","aliases":["test"]},{"name":"ext","aliases":null}],
            "extra_hosts":[{"name":"db","ip":"10.0.0.2"}]}]}],"network":"wp_default","volume":"wp_default","secrets":[{"name":"t","value":"v"}]}"#,
        )
        .unwrap();
        let step = w.steps().next().unwrap();
        assert_eq!(step.kind, "commands");
        assert_eq!(step.commands, ["echo hi"]);
        assert_eq!(step.failure_mode(), FailureMode::Ignore);
        assert_eq!(w.secrets[0].value, "v");
        assert_eq!(step.networks[0], NetworkSpec { name: "wp_default".into(), aliases: vec!["test".into()] });
        assert!(step.networks[1].aliases.is_empty(), "server networks have null aliases");
        assert_eq!(step.extra_hosts[0].ip, "10.0.0.2");
    }
}
