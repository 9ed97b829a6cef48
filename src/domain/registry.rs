//! Registries: container registry credentials, scoped like secrets.

use crate::domain::secret::Scope;
use crate::domain::validation::ValidationError;

/// Credentials for one container registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registry {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// Owning org (0 unless an org registry).
    pub org_id: i64,
    /// Owning repo (0 unless a repo registry).
    pub repo_id: i64,
    /// Registry host, the key in paths; unique within its scope.
    pub address: String,
    /// User name.
    pub username: String,
    /// Password; never shown by the API.
    pub password: String,
    /// Comes from a config file and cannot be edited.
    pub readonly: bool,
}

impl Registry {
    /// The scope it lives in.
    pub fn scope(&self) -> Scope {
        Scope::from_ids(self.org_id, self.repo_id)
    }

    /// Checks that address, username and password are present and the address is a host name
    /// (with optional port and path), not free text.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.address.is_empty() {
            return Err(ValidationError::new("address", "must not be empty"));
        }
        if self.address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new("address", "must be a registry host, not free text"));
        }
        if self.username.is_empty() {
            return Err(ValidationError::new("username", "must not be empty"));
        }
        if self.password.is_empty() {
            return Err(ValidationError::new("password", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry {
            address: "docker.io".into(),
            username: "u".into(),
            password: "p".into(),
            ..Registry::default()
        }
    }

    #[test]
    fn a_complete_registry_is_valid() {
        assert_eq!(registry().validate(), Ok(()));
        assert_eq!(Registry { address: "localhost:5000/mirror".into(), ..registry() }.validate(), Ok(()));
    }

    #[test]
    fn every_field_is_required_and_the_address_is_a_host() {
        assert!(Registry { address: String::new(), ..registry() }.validate().is_err());
        assert!(Registry { address: "not a host".into(), ..registry() }.validate().is_err());
        assert!(Registry { username: String::new(), ..registry() }.validate().is_err());
        assert!(Registry { password: String::new(), ..registry() }.validate().is_err());
    }
}
