//! The query of `GET /repos/{id}/pipelines` read into a store filter, with upstream's checks:
//! `before`/`after` are RFC 3339 times, `event` a comma list of known events, `status` a known
//! status; anything else is a 400.

use chrono::DateTime;

use crate::adapters::http::error::ApiError;
use crate::domain::event::WebhookEvent;
use crate::domain::status::Status;
use crate::ports::store::PipelineFilter;

/// The raw filter query values.
#[derive(Debug, Default)]
pub struct FilterQuery {
    /// RFC 3339 upper bound of `created` (exclusive).
    pub before: Option<String>,
    /// RFC 3339 lower bound of `created` (exclusive).
    pub after: Option<String>,
    /// Branch name.
    pub branch: Option<String>,
    /// Comma-separated events.
    pub event: Option<String>,
    /// Text the ref must contain.
    pub git_ref: Option<String>,
    /// Status name.
    pub status: Option<String>,
}

/// A present, non-empty query value.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Unix seconds of an RFC 3339 time named `param`.
fn unix_time(param: &str, value: Option<String>) -> Result<Option<i64>, ApiError> {
    given(value)
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.timestamp())
                .map_err(|e| ApiError::bad_request(format!("invalid '{param}' time '{v}': {e}")))
        })
        .transpose()
}

impl FilterQuery {
    /// The store filter, or a 400 naming the first bad value.
    pub fn parse(self) -> Result<PipelineFilter, ApiError> {
        let events = match given(self.event) {
            Some(list) => list
                .split(',')
                .map(|e| e.trim().parse::<WebhookEvent>().map_err(|e| ApiError::bad_request(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let status = given(self.status)
            .map(|s| s.parse::<Status>().map_err(|_| ApiError::bad_request(format!("unknown status '{s}'"))))
            .transpose()?;
        Ok(PipelineFilter {
            before: unix_time("before", self.before)?,
            after: unix_time("after", self.after)?,
            branch: given(self.branch),
            events,
            status,
            ref_contains: given(self.git_ref),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_is_read() {
        let q = FilterQuery {
            before: Some("2024-01-02T00:00:00Z".into()),
            after: Some("2024-01-01T00:00:00+01:00".into()),
            branch: Some("main".into()),
            event: Some("push,pull_request".into()),
            git_ref: Some("refs/tags".into()),
            status: Some("success".into()),
        };
        let f = q.parse().unwrap();
        assert_eq!((f.before, f.after), (Some(1_704_153_600), Some(1_704_063_600)));
        assert_eq!(f.events, vec![WebhookEvent::Push, WebhookEvent::PullRequest]);
        assert_eq!((f.branch.as_deref(), f.ref_contains.as_deref()), (Some("main"), Some("refs/tags")));
        assert_eq!(f.status, Some(Status::Success));
    }

    #[test]
    fn empty_values_filter_nothing() {
        let q =
            FilterQuery { branch: Some(String::new()), event: Some(String::new()), ..FilterQuery::default() };
        assert_eq!(q.parse().unwrap(), PipelineFilter::default());
    }

    #[test]
    fn bad_values_are_400() {
        for q in [
            FilterQuery { before: Some("yesterday".into()), ..FilterQuery::default() },
            FilterQuery { event: Some("push,nope".into()), ..FilterQuery::default() },
            FilterQuery { status: Some("done".into()), ..FilterQuery::default() },
        ] {
            assert_eq!(q.parse().unwrap_err().status, 400);
        }
    }
}
