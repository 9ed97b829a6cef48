//! The `Registry` wire shape (api.md §3.9). One shape serves both directions, as upstream's: on
//! input only `address`, `username` and `password` are read, and answers carry `password: ""`.

use poem_openapi::Object;

use crate::domain::registry::Registry;
use crate::domain::secret::Scope;

/// Credentials for a container registry: the body of a creation or patch, and every answer
/// (with an empty password).
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "Registry")]
pub struct RegistryDto {
    /// Store id (ignored on input).
    #[oai(default)]
    pub id: i64,
    /// Owning org, 0 unless an org registry (ignored on input).
    #[oai(default)]
    pub org_id: i64,
    /// Owning repo, 0 unless a repo registry (ignored on input).
    #[oai(default)]
    pub repo_id: i64,
    /// Registry host, e.g. `docker.io` or `localhost:5000`; the key in paths.
    #[oai(default)]
    pub address: String,
    /// User name.
    #[oai(default)]
    pub username: String,
    /// Password: accepted on input, always `""` in answers.
    #[oai(default)]
    pub password: String,
    /// Comes from the server's docker config and cannot be edited (ignored on input).
    #[oai(default)]
    pub readonly: bool,
}

impl From<&Registry> for RegistryDto {
    fn from(r: &Registry) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            repo_id: r.repo_id,
            address: r.address.clone(),
            username: r.username.clone(),
            password: String::new(),
            readonly: r.readonly,
        }
    }
}

impl RegistryDto {
    /// The registry this body asks to create in `scope`.
    pub fn into_registry(self, scope: Scope) -> Registry {
        let (org_id, repo_id) = scope.ids();
        Registry {
            id: 0,
            org_id,
            repo_id,
            address: self.address,
            username: self.username,
            password: self.password,
            readonly: false,
        }
    }

    /// Applies this body as a patch, as upstream does: non-empty fields replace the stored ones;
    /// the address only where the scope allows renaming (`rename`).
    pub fn apply(self, registry: &mut Registry, rename: bool) {
        if rename && !self.address.is_empty() {
            registry.address = self.address;
        }
        if !self.username.is_empty() {
            registry.username = self.username;
        }
        if !self.password.is_empty() {
            registry.password = self.password;
        }
    }
}
