//! Who is calling: reads the token from where upstream looks for it, checks it against the user's
//! hash, and enforces CSRF for cookie sessions. A bad or missing token leaves the request
//! anonymous; the route's guard then decides between 401, 403 and 404.

use std::sync::Arc;

use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::domain::token::{Token, TokenType, claims};
use crate::domain::user::User;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::Store;

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "user_sess";
/// Header the web UI sends its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of a request (absent user = anonymous).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user, when a valid token was presented.
    pub user: Option<User>,
}

/// Finds the token in upstream's order: `Authorization: Bearer`, `X-Gitlab-Token`, the
/// `access_token` query parameter, the `user_sess` cookie. The first source present wins: a
/// malformed `Authorization` header does not fall back to the cookie.
pub fn presented_token(req: &Request) -> Option<String> {
    if let Some(header) = req.headers().get("authorization") {
        let raw = header.to_str().ok()?.strip_prefix("Bearer ")?;
        return Some(raw.to_owned());
    }
    if let Some(header) = req.headers().get("x-gitlab-token") {
        return Some(header.to_str().ok()?.to_owned());
    }
    if let Some(query) = req.uri().query() {
        let token = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "access_token");
        if let Some((_, v)) = token {
            return Some(v.into_owned());
        }
    }
    req.cookie().get(SESSION_COOKIE).map(|c| c.value_str().to_owned())
}

/// Verifies a user/session token and loads its user; `None` for anything invalid.
async fn authenticate(store: &dyn Store, raw: &str) -> Option<(User, TokenType)> {
    let allowed = [TokenType::User, TokenType::Sess];
    let peeked = Token::peek(raw, &allowed).ok()?;
    let user_id: i64 = peeked.claim(claims::USER_ID)?.parse().ok()?;
    let user = store.get_user(user_id).await.ok()?;
    let token = peeked.verify(SystemClock.now(), user.hash.as_bytes()).ok()?;
    Some((user, token.kind))
}

/// Whether the request carries a CSRF token of the same user.
fn csrf_ok(req: &Request, user: &User) -> bool {
    let Some(raw) = req.headers().get(CSRF_HEADER).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    Token::verify(raw, &[TokenType::Csrf], SystemClock.now(), user.hash.as_bytes())
        .is_ok_and(|t| t.claim(claims::USER_ID) == Some(user.id.to_string().as_str()))
}

/// Middleware that puts a [`Caller`] into every request.
pub struct Authenticate {
    store: Arc<dyn Store>,
}

impl Authenticate {
    /// The middleware over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl<E: Endpoint> Middleware<E> for Authenticate {
    type Output = AuthenticateEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AuthenticateEndpoint { inner, store: self.store.clone() }
    }
}

/// The endpoint wrapped by [`Authenticate`].
pub struct AuthenticateEndpoint<E> {
    inner: E,
    store: Arc<dyn Store>,
}

impl<E: Endpoint> Endpoint for AuthenticateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let mut caller = Caller::default();
        if let Some(raw) = presented_token(&req)
            && let Some((user, kind)) = authenticate(self.store.as_ref(), &raw).await
        {
            // Cookie sessions must prove the page is ours on anything that changes state.
            let safe = req.method() == Method::GET || req.method() == Method::OPTIONS;
            if kind == TokenType::Sess && !safe && !csrf_ok(&req, &user) {
                return Ok(StatusCode::UNAUTHORIZED.into_response());
            }
            caller.user = Some(user);
        }
        req.extensions_mut().insert(caller);
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
