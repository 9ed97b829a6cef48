//! Errors as upstream answers them: a status code and a plain-text body (often empty). Store and
//! forge errors map here, in one place; unexpected ones are logged with their cause and answered
//! with an opaque 500.

use crate::adapters::error_chain;
use poem::http::StatusCode;

use crate::app::identity::IdentityError;
use crate::ports::forge::ForgeError;
use crate::ports::store::StoreError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status code.
    pub status: StatusCode,
    /// The plain-text body.
    pub message: String,
}

impl ApiError {
    /// An answer with this status and text.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// 401 `User not authorized`.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "User not authorized")
    }

    /// 403 `User not authorized`.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "User not authorized")
    }

    /// 404 with an empty body (upstream hides what was not found).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "")
    }

    /// 400 with a reason.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 500 that tells the caller nothing; the cause goes to the log.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %error_chain(cause), "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            StoreError::Conflict(what) => Self::new(StatusCode::CONFLICT, format!("{what} already exists")),
            other => Self::internal(&other),
        }
    }
}

impl From<ForgeError> for ApiError {
    fn from(e: ForgeError) -> Self {
        match e {
            ForgeError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            ForgeError::Unauthorized(_) => Self::unauthorized(),
            ForgeError::NotSupported(what) => {
                Self::new(StatusCode::NOT_IMPLEMENTED, format!("not supported: {what}"))
            }
            ForgeError::InvalidHook(why) => Self::bad_request(why),
            other => Self::internal(&other),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::InvalidCredentials => Self::unauthorized(),
            IdentityError::Forge(e) => e.into(),
            IdentityError::Store(e) => e.into(),
        }
    }
}

impl From<ApiError> for poem::Error {
    fn from(e: ApiError) -> Self {
        poem::Error::from_string(e.message, e.status)
    }
}

impl From<StoreError> for poem::Error {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ForgeError> for poem::Error {
    fn from(e: ForgeError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<IdentityError> for poem::Error {
    fn from(e: IdentityError) -> Self {
        ApiError::from(e).into()
    }
}
