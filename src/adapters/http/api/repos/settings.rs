//! `PATCH /api/repos/{id}`: reading a RepoPatch (api.md §3.4) and applying it to a repo. The body
//! is read as loose JSON because 2.x clients send other types under the same names (`trusted`
//! as a bool, `gated`, `netrc_only_trusted`); a field of the wrong type is a 400 naming it.

use poem::http::StatusCode;
use serde_json::{Map, Value};

use crate::adapters::http::error::ApiError;
use crate::domain::event::WebhookEvent;
use crate::domain::repo::{ApprovalMode, Repo, Trusted, Visibility, validate_timeout};

/// Longest pipeline timeout (minutes) a repo admin may set; above it needs a server admin.
pub(super) const MAX_TIMEOUT: i64 = 120;

/// The fields of a JSON object, read with type checks; `null` counts as absent.
struct Fields<'a>(&'a Map<String, Value>);

fn wrong_type(key: &str, expected: &str) -> ApiError {
    ApiError::bad_request(format!("{key}: expected {expected}"))
}

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.get(key)
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong_type(key, "a string")))
            .transpose()
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key).map(|v| v.as_bool().ok_or_else(|| wrong_type(key, "a boolean"))).transpose()
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key).map(|v| v.as_i64().ok_or_else(|| wrong_type(key, "an integer"))).transpose()
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(value) = self.get(key) else { return Ok(None) };
        let items = value.as_array().ok_or_else(|| wrong_type(key, "an array of strings"))?;
        items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong_type(key, "an array of strings")))
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// Sets `target` from `value` when present.
fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// The requested trust: an object of optional flags (3.x) or one bool for all of them (2.x).
fn trusted(fields: &Fields<'_>, current: Trusted) -> Result<Trusted, ApiError> {
    let mut wanted = current;
    match fields.get("trusted") {
        None => {}
        Some(Value::Bool(all)) => wanted = Trusted { network: *all, volumes: *all, security: *all },
        Some(Value::Object(flags)) => {
            let flags = Fields(flags);
            set(&mut wanted.network, flags.boolean("network")?);
            set(&mut wanted.volumes, flags.boolean("volumes")?);
            set(&mut wanted.security, flags.boolean("security")?);
        }
        Some(_) => return Err(wrong_type("trusted", "an object or a boolean")),
    }
    Ok(wanted)
}

/// The requested approval mode: `require_approval` (3.x) wins over `gated` (2.x: pull requests
/// from forks wait, or nothing does).
fn approval(fields: &Fields<'_>) -> Result<Option<ApprovalMode>, ApiError> {
    if let Some(mode) = fields.string("require_approval")? {
        return mode.parse().map(Some).map_err(|_| ApiError::bad_request("Invalid require-approval setting"));
    }
    Ok(fields.boolean("gated")?.map(|gated| if gated { ApprovalMode::Forks } else { ApprovalMode::None }))
}

fn events(fields: &Fields<'_>) -> Result<Option<Vec<WebhookEvent>>, ApiError> {
    let key = "cancel_previous_pipeline_events";
    fields
        .strings(key)?
        .map(|names| {
            names
                .iter()
                .map(|n| n.parse().map_err(|_| ApiError::bad_request(format!("{key}: unknown event '{n}'"))))
                .collect()
        })
        .transpose()
}

/// Applies a RepoPatch body to `repo`. Refuses (403) trust changes and timeouts above
/// [`MAX_TIMEOUT`] unless `by_server_admin`; invalid values are 400 with upstream's texts.
pub(super) fn apply(repo: &mut Repo, body: &Value, by_server_admin: bool) -> Result<(), ApiError> {
    let fields = Fields(body.as_object().ok_or_else(|| ApiError::bad_request("body must be a JSON object"))?);

    let wanted_trust = trusted(&fields, repo.trusted)?;
    if wanted_trust != repo.trusted && !by_server_admin {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Insufficient privileges"));
    }
    if let Some(timeout) = fields.integer("timeout")? {
        if timeout < 1 {
            return Err(ApiError::bad_request("Timeout must be at least 1 minute"));
        }
        validate_timeout(timeout, MAX_TIMEOUT, by_server_admin).map_err(|_| {
            let text = format!("Timeout is not allowed to be higher than max timeout ({MAX_TIMEOUT} min)");
            ApiError::new(StatusCode::FORBIDDEN, text)
        })?;
        repo.timeout = timeout;
    }
    if let Some(visibility) = fields.string("visibility")? {
        repo.visibility =
            visibility.parse::<Visibility>().map_err(|_| ApiError::bad_request("Invalid visibility type"))?;
    }
    repo.trusted = wanted_trust;
    set(&mut repo.require_approval, approval(&fields)?);
    set(&mut repo.cancel_previous_pipeline_events, events(&fields)?);
    set(&mut repo.config_file, fields.string("config_file")?);
    set(&mut repo.approval_allowed_users, fields.strings("approval_allowed_users")?);
    set(&mut repo.allow_pr, fields.boolean("allow_pr")?);
    set(&mut repo.allow_deploy, fields.boolean("allow_deploy")?);
    set(&mut repo.netrc_trusted, fields.strings("netrc_trusted")?);
    // 2.x: only trusted images get clone credentials = no extra images are trusted with them.
    if fields.boolean("netrc_only_trusted")? == Some(true) && fields.get("netrc_trusted").is_none() {
        repo.netrc_trusted.clear();
    }
    set(&mut repo.config_extension_endpoint, fields.string("config_extension_endpoint")?);
    set(&mut repo.config_extension_exclusive, fields.boolean("config_extension_exclusive")?);
    set(&mut repo.config_extension_netrc, fields.boolean("config_extension_netrc")?);
    set(&mut repo.registry_extension_endpoint, fields.string("registry_extension_endpoint")?);
    set(&mut repo.registry_extension_netrc, fields.boolean("registry_extension_netrc")?);
    set(&mut repo.secret_extension_endpoint, fields.string("secret_extension_endpoint")?);
    set(&mut repo.secret_extension_netrc, fields.boolean("secret_extension_netrc")?);
    Ok(())
}
