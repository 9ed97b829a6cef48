//! The browser side of logging in: the login form of the built-in forge (`/authorize`), logout,
//! and `/web-config.js`, which hands the web UI its user and CSRF token.

use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Html, Query};
use poem::{IntoResponse, Response, handler};
use poem_openapi::types::ToJSON;
use serde::Deserialize;

use crate::adapters::http::AppState;
use crate::adapters::http::auth::{Caller, SESSION_COOKIE};
use crate::adapters::http::dto::user::UserDto;
use crate::app::identity::IdentityError;
use crate::app::version;

/// Query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginPage {
    /// Why the last attempt failed.
    error: Option<String>,
    /// The forge to log in through (upstream's multi-forge parameter); only the configured one
    /// exists.
    forge_id: Option<String>,
}

/// `GET /authorize`: the login form.
#[handler]
pub async fn login_form(Query(page): Query<LoginPage>, state: Data<&AppState>) -> Response {
    let forge_id = state.identity.settings().forge_id;
    if page.forge_id.as_ref().is_some_and(|id| id.parse::<i64>() != Ok(forge_id)) {
        return (StatusCode::NOT_FOUND, "forge not found").into_response();
    }
    let notice = match page.error.as_deref() {
        Some("invalid_credentials") => "<p class=\"error\">Wrong login or password.</p>",
        Some(_) => "<p class=\"error\">Login failed.</p>",
        None => "",
    };
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Nuthatch login</title></head><body>\
         <h1>Nuthatch</h1>{notice}\
         <form method=\"post\" action=\"/authorize\">\
         <label>Login <input name=\"login\" autocomplete=\"username\" required></label>\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\">Log in</button></form></body></html>"
    ))
    .into_response()
}

/// Body of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

fn see_other(location: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header("Location", location).finish()
}

/// `POST /authorize`: checks the credentials with the forge, starts a session cookie and sends
/// the browser home; on failure back to the form.
#[handler]
pub async fn login(Form(form): Form<LoginForm>, cookies: &CookieJar, state: Data<&AppState>) -> Response {
    match state.identity.login(&form.login, &form.password).await {
        Ok(user) => {
            let mut cookie = Cookie::new_with_str(SESSION_COOKIE, state.identity.session_token(&user));
            cookie.set_path("/");
            cookie.set_http_only(true);
            cookie.set_same_site(SameSite::Lax);
            cookie.set_secure(state.host.starts_with("https://"));
            cookie.set_max_age(std::time::Duration::from_secs(i32::MAX as u64));
            cookies.add(cookie);
            see_other("/")
        }
        Err(IdentityError::InvalidCredentials) => see_other("/authorize?error=invalid_credentials"),
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            see_other("/authorize?error=internal_error")
        }
    }
}

/// `GET /logout`: drops the session cookies and sends the browser home.
#[handler]
pub async fn logout(cookies: &CookieJar) -> Response {
    for name in [SESSION_COOKIE, "user_last"] {
        let mut cookie = Cookie::named(name);
        cookie.set_path("/");
        cookies.remove(cookie.name());
        cookie.make_removal();
        cookies.add(cookie);
    }
    see_other("/")
}

/// `GET /web-config.js`: globals the web UI reads at start.
#[handler]
pub async fn web_config(caller: Data<&Caller>, state: Data<&AppState>) -> Response {
    let (user, csrf) = match &caller.user {
        Some(user) => (UserDto::from(user).to_json_string(), state.identity.csrf_token(user)),
        None => ("null".to_owned(), String::new()),
    };
    let js = format!(
        "window.WOODPECKER_USER = {user};\n\
         window.WOODPECKER_CSRF = {csrf:?};\n\
         window.WOODPECKER_VERSION = {version:?};\n\
         window.WOODPECKER_ROOT_PATH = \"\";\n\
         window.WOODPECKER_ENABLE_SWAGGER = true;\n\
         window.WOODPECKER_SKIP_VERSION_CHECK = true;\n\
         window.WOODPECKER_USER_REGISTERED_AGENTS = true;\n\
         window.WOODPECKER_MAX_PIPELINE_LOG_LINE_COUNT = 5000;\n\
         window.WOODPECKER_DEFAULT_CONFIG_PATHS = [\".woodpecker/*.yaml\", \".woodpecker/*.yml\", \".woodpecker.yaml\", \".woodpecker.yml\"];\n",
        version = version::version(),
    );
    Response::builder().content_type("text/javascript; charset=utf-8").body(js)
}
