//! Agents: the machines that pull workflows from the queue and run them.

use std::collections::BTreeMap;

/// `owner_id`/`org_id` value meaning "the server itself" / "every org".
pub const SYSTEM: i64 = -1;

/// What an agent tells the server about itself when it registers (`RegisterAgent`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentInfo {
    /// `os/arch`, e.g. `linux/amd64`.
    pub platform: String,
    /// Workflows it runs at once (stored only).
    pub capacity: i32,
    /// Its backend's name: `docker`, `kubernetes`, `local`, ...
    pub backend: String,
    /// Its software version.
    pub version: String,
    /// Labels set by its operator (`WOODPECKER_AGENT_LABELS`).
    pub custom_labels: BTreeMap<String, String>,
}

/// A registered agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Unix time of creation.
    pub created: i64,
    /// Unix time of the last change.
    pub updated: i64,
    /// Display name (hostname by default).
    pub name: String,
    /// User who owns it ([`SYSTEM`] for server-wide agents).
    pub owner_id: i64,
    /// Token the agent authenticates with, unique.
    pub token: String,
    /// Unix time it last talked to the server.
    pub last_contact: i64,
    /// Unix time it last took work.
    pub last_work: i64,
    /// `os/arch` it runs on.
    pub platform: String,
    /// Backend it executes with (`local`, `docker`, ...).
    pub backend: String,
    /// Workflows it runs at once; -1 until it registers.
    pub capacity: i32,
    /// Its software version.
    pub version: String,
    /// Takes no new work.
    pub no_schedule: bool,
    /// Labels an admin added, matched against workflow labels.
    pub custom_labels: BTreeMap<String, String>,
    /// Org it serves ([`SYSTEM`] = every org).
    pub org_id: i64,
}

impl Default for Agent {
    fn default() -> Self {
        Self {
            id: 0,
            created: 0,
            updated: 0,
            name: String::new(),
            owner_id: SYSTEM,
            token: String::new(),
            last_contact: 0,
            last_work: 0,
            platform: String::new(),
            backend: String::new(),
            capacity: -1,
            version: String::new(),
            no_schedule: false,
            custom_labels: BTreeMap::new(),
            org_id: SYSTEM,
        }
    }
}

impl Agent {
    /// Whether it serves every org rather than one.
    pub fn is_global(&self) -> bool {
        self.org_id == SYSTEM
    }
}
