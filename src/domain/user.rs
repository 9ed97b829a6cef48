//! Users: people who log in through a forge (or the built-in local forge).

use crate::domain::validation::ValidationError;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// Store id; 0 before insertion.
    pub id: i64,
    /// The forge the user logs in through.
    pub forge_id: i64,
    /// The user's id at that forge.
    pub forge_remote_id: String,
    /// Login name, unique per forge.
    pub login: String,
    /// Email address.
    pub email: String,
    /// Avatar image URL.
    pub avatar_url: String,
    /// Server administrator.
    pub admin: bool,
    /// The org that stands for the user's own namespace.
    pub org_id: i64,
    /// Forge OAuth access token (never shown).
    pub access_token: String,
    /// Forge OAuth refresh token (never shown).
    pub refresh_token: String,
    /// Unix time at which `access_token` expires.
    pub expiry: i64,
    /// Secret every token of this user is signed with; rotating it revokes them all.
    pub hash: String,
}

/// Longest login upstream accepts.
const MAX_LOGIN_LEN: usize = 250;

/// [`validate_login`]'s rule as a regular expression (for API documents).
pub const LOGIN_PATTERN: &str = "^[A-Za-z0-9._-]{1,250}$";

/// Checks a login: 1–250 characters of letters, digits, `.`, `_` and `-`.
pub fn validate_login(login: &str) -> Result<(), ValidationError> {
    if login.is_empty() || login.len() > MAX_LOGIN_LEN {
        return Err(ValidationError::new("login", format!("must be 1 to {MAX_LOGIN_LEN} characters")));
    }
    if !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err(ValidationError::new("login", "may hold only letters, digits, '.', '_' and '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_logins_are_valid() {
        for login in ["octocat", "a.b_c-d", "X9"] {
            assert_eq!(validate_login(login), Ok(()), "{login}");
        }
    }

    #[test]
    fn empty_long_or_odd_logins_are_rejected() {
        assert!(validate_login("").is_err());
        assert!(validate_login(&"a".repeat(251)).is_err());
        assert!(validate_login("has space").is_err());
        assert!(validate_login("slash/ed").is_err());
    }
}
