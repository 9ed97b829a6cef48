//! Route guards: who may call what. They turn a [`Caller`] into the user a handler acts for,
//! or into upstream's refusal (401, 403, or 404 to hide a private repo).

use crate::adapters::http::AppState;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::error::ApiError;
use crate::domain::perm::{self, Access, Denial, Perm};
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::store::StoreError;

/// Any logged-in user; anonymous callers get 401.
pub fn user(caller: &Caller) -> Result<&User, ApiError> {
    caller.user.as_ref().ok_or_else(ApiError::unauthorized)
}

/// A server admin; anonymous callers get 401, other users 403.
pub fn admin(caller: &Caller) -> Result<&User, ApiError> {
    let user = user(caller)?;
    if user.admin { Ok(user) } else { Err(ApiError::forbidden()) }
}

/// Loads a repo and the caller's effective permission on it, without judging it: an unknown
/// repo is 401 for anonymous callers (who may not learn what exists) and 404 for users.
pub async fn repo_with_perm(
    state: &AppState,
    caller: &Caller,
    repo_id: i64,
) -> Result<(Repo, Perm), ApiError> {
    let found = match &caller.user {
        Some(user) => state.store.get_repo_with_perm(repo_id, user.id).await,
        None => state.store.get_repo(repo_id).await.map(|repo| (repo, None)),
    };
    let (repo, stored) = match found {
        Ok(found) => found,
        Err(StoreError::NotFound(_)) if caller.user.is_none() => return Err(ApiError::unauthorized()),
        Err(StoreError::NotFound(_)) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let perm = perm::effective(caller.user.as_ref(), &repo, stored);
    Ok((repo, perm))
}

/// Loads a repo and checks the caller has `access` on it.
pub async fn repo(
    state: &AppState,
    caller: &Caller,
    repo_id: i64,
    access: Access,
) -> Result<(Repo, Perm), ApiError> {
    let (repo, perm) = repo_with_perm(state, caller, repo_id).await?;
    perm::check(caller.user.is_some(), &perm, access).map_err(|denial| match denial {
        Denial::Unauthorized => ApiError::new(poem::http::StatusCode::UNAUTHORIZED, ""),
        Denial::NotFound => ApiError::not_found(),
        Denial::Forbidden => ApiError::forbidden(),
    })?;
    Ok((repo, perm))
}
