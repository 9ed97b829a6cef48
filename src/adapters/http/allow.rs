//! The `Allow` header of 405 answers (RFC 9110 §15.5.6 requires it) and of `OPTIONS` answers:
//! exactly the methods of the path. poem's router knows that a path exists but not with which
//! methods, so they come from a table of path templates: the OpenAPI document's paths plus the
//! few routes served outside it. Paths the table does not know keep what the inner answer says.

use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use serde_json::Value;

/// Path templates (`/api/repos/{repo_id}` or `/api/stream/logs/:repo_id/...`) and their methods.
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') || s.starts_with(':') {
                Segment::Parameter
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

impl AllowedMethods {
    /// The operations of an OpenAPI document (JSON) whose paths are served under `prefix`.
    pub fn from_openapi(spec: &str, prefix: &str) -> Self {
        let mut table = Self::default();
        let doc: Value = serde_json::from_str(spec).unwrap_or_default();
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            let methods = item
                .as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok());
            table.add(&format!("{prefix}{path}"), methods);
        }
        table
    }

    /// Adds the methods of one path template, merging with what it already has.
    pub fn add(&mut self, template: &str, methods: impl IntoIterator<Item = Method>) {
        let key = segments(template);
        let position = self.routes.iter().position(|(s, _)| *s == key);
        let entry = match position {
            Some(i) => &mut self.routes[i].1,
            None => {
                self.routes.push((key, Vec::new()));
                &mut self.routes.last_mut().expect("just pushed").1
            }
        };
        for method in methods {
            if !entry.contains(&method) {
                entry.push(method);
            }
        }
    }

    /// The `Allow` value for a request path: the methods of the best-matching template (the one
    /// with the most literal segments, as a router prefers), with `HEAD` where `GET` is allowed
    /// and `OPTIONS` always (preflights are answered everywhere).
    pub fn allow(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (_, methods) = self
            .routes
            .iter()
            .filter(|(template, _)| {
                template.len() == parts.len()
                    && template.iter().zip(&parts).all(|(t, p)| match t {
                        Segment::Literal(l) => l == p,
                        Segment::Parameter => !p.is_empty(),
                    })
            })
            .max_by_key(|(template, _)| {
                template.iter().filter(|s| matches!(s, Segment::Literal(_))).count()
            })?;
        let mut names: Vec<&str> = methods.iter().map(Method::as_str).collect();
        if methods.contains(&Method::GET) {
            names.push("HEAD");
        }
        names.push("OPTIONS");
        Some(names.join(", "))
    }
}

impl<E: Endpoint> Middleware<E> for AllowedMethods {
    type Output = AllowEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AllowEndpoint { inner, table: self.clone() }
    }
}

/// The endpoint wrapped by [`AllowedMethods`].
pub struct AllowEndpoint<E> {
    inner: E,
    table: AllowedMethods,
}

impl<E: Endpoint> Endpoint for AllowEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let path = req.uri().path().to_owned();
        let preflight = req.method() == Method::OPTIONS;
        let mut resp = match self.inner.call(req).await {
            Ok(out) => out.into_response(),
            Err(err) => err.into_response(),
        };
        if (preflight || resp.status() == StatusCode::METHOD_NOT_ALLOWED)
            && let Some(allow) = self.table.allow(&path).and_then(|a| HeaderValue::from_str(&a).ok())
        {
            resp.headers_mut().insert("allow", allow);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> AllowedMethods {
        let spec = r#"{"paths":{"/repos/{repo_id}":{"get":{},"patch":{},"delete":{}},
            "/repos/lookup/{name}":{"get":{}},"/user/token":{"post":{},"delete":{}}}}"#;
        let mut table = AllowedMethods::from_openapi(spec, "/api");
        table.add("/api/hook", [Method::POST]);
        table
    }

    #[test]
    fn a_405_lists_the_methods_of_the_matching_path() {
        let table = table();
        assert_eq!(table.allow("/api/repos/7").as_deref(), Some("GET, PATCH, DELETE, HEAD, OPTIONS"));
        assert_eq!(table.allow("/api/user/token").as_deref(), Some("POST, DELETE, OPTIONS"));
        assert_eq!(table.allow("/api/hook").as_deref(), Some("POST, OPTIONS"));
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let mut table = table();
        table.add("/api/repos/{owner}/{name}", [Method::POST]);
        assert_eq!(table.allow("/api/repos/lookup/x").as_deref(), Some("GET, HEAD, OPTIONS"));
    }

    #[test]
    fn unknown_paths_have_no_allow_value() {
        assert_eq!(table().allow("/api/nothing/here"), None);
        assert_eq!(table().allow("/api/repos/7/extra"), None);
    }
}
