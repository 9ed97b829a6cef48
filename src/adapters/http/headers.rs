//! Headers upstream puts on every response: no caching, a few security headers, and the server
//! version (clients read `X-WOODPECKER-VERSION`). Like upstream, any `OPTIONS` request is a CORS
//! preflight answered here with 200 and the allowed methods and headers. Error answers without a
//! body type are marked plain text.

use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::app::version;

/// Middleware adding the global headers.
pub struct GlobalHeaders {
    version: HeaderValue,
}

impl GlobalHeaders {
    /// The middleware, with the version computed once.
    pub fn new() -> Self {
        Self { version: HeaderValue::from_str(&version::version()).expect("version is ASCII") }
    }
}

impl Default for GlobalHeaders {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Endpoint> Middleware<E> for GlobalHeaders {
    type Output = GlobalHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        GlobalHeadersEndpoint { inner, version: self.version.clone() }
    }
}

/// The endpoint wrapped by [`GlobalHeaders`].
pub struct GlobalHeadersEndpoint<E> {
    inner: E,
    version: HeaderValue,
}

const FIXED: [(&str, &str); 6] = [
    ("cache-control", "no-cache, no-store, max-age=0, must-revalidate, value"),
    ("expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ("access-control-allow-origin", "*"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
];

impl<E: Endpoint> Endpoint for GlobalHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let mut resp = if req.method() == Method::OPTIONS {
            preflight()
        } else {
            match self.inner.call(req).await {
                Ok(out) => out.into_response(),
                Err(err) => err.into_response(),
            }
        };
        let is_error = resp.status().as_u16() >= 400;
        let headers = resp.headers_mut();
        for (name, value) in FIXED {
            // Event streams set their own caching rule (`no-store`), as upstream's handlers do.
            if name == "cache-control" && headers.contains_key(name) {
                continue;
            }
            headers.insert(name, HeaderValue::from_static(value));
        }
        headers.insert("x-woodpecker-version", self.version.clone());
        // Error bodies are plain text, even empty ones, as the OpenAPI document declares them.
        if is_error && !headers.contains_key("content-type") {
            headers.insert("content-type", HeaderValue::from_static("text/plain; charset=utf-8"));
        }
        Ok(resp)
    }
}

/// The answer to a CORS preflight.
fn preflight() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header("access-control-allow-methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
        .header("access-control-allow-headers", "authorization, origin, content-type, accept")
        .header("allow", "HEAD,GET,POST,PUT,PATCH,DELETE,OPTIONS")
        .content_type("application/json")
        .finish()
}
