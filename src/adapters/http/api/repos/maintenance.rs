//! Repairing and moving repos (api.md §4.13): bringing a stored repo back in step with its forge
//! repo — name, URLs, org, the owner's permission and the webhook.

use crate::adapters::http::AppState;
use crate::adapters::http::error::ApiError;
use crate::domain::org::Org;
use crate::domain::perm::Perm;
use crate::domain::repo::{Redirection, Repo};
use crate::domain::user::User;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::forge::{ForgeError, ForgeRepo};
use crate::ports::store::StoreError;

/// The repo owner, whose forge credentials repo maintenance uses; `fallback` when the owner's
/// account is gone.
pub(super) async fn owner_or(state: &AppState, repo: &Repo, fallback: &User) -> Result<User, ApiError> {
    match state.store.get_user(repo.user_id).await {
        Ok(owner) => Ok(owner),
        Err(StoreError::NotFound(_)) => Ok(fallback.clone()),
        Err(e) => Err(e.into()),
    }
}

/// Records that `repo` was called `old_name`, unless that is its name now or already recorded.
async fn redirect_from(state: &AppState, repo: &Repo, old_name: &str) -> Result<(), ApiError> {
    if old_name.eq_ignore_ascii_case(&repo.full_name) {
        return Ok(());
    }
    let redirection =
        Redirection { repo_id: repo.id, full_name: old_name.to_owned(), ..Redirection::default() };
    match state.store.create_redirection(&redirection).await {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The store id of the org called `name`, created from the forge's facts when missing.
async fn org_id(state: &AppState, user: &User, forge_id: i64, name: &str) -> Result<i64, ApiError> {
    match state.store.find_org_by_name(forge_id, name).await {
        Ok(org) => return Ok(org.id),
        Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let remote = state.forge.org(user, name).await?;
    let org =
        Org { forge_id, name: name.to_owned(), is_user: remote.is_user, private: remote.private, id: 0 };
    Ok(state.store.create_org(&org).await?.id)
}

/// Takes over what the forge says about the repo (its id, name, URLs, default branch, privacy)
/// and saves it, with a redirection from the old name and the org of the (new) owner.
async fn adopt(state: &AppState, user: &User, repo: &mut Repo, remote: &Repo) -> Result<(), ApiError> {
    let old_name = repo.full_name.clone();
    repo.forge_remote_id = remote.forge_remote_id.clone();
    repo.owner = remote.owner.clone();
    repo.name = remote.name.clone();
    repo.full_name = remote.full_name.clone();
    repo.avatar_url = remote.avatar_url.clone();
    repo.forge_url = remote.forge_url.clone();
    repo.clone_url = remote.clone_url.clone();
    repo.clone_url_ssh = remote.clone_url_ssh.clone();
    repo.default_branch = remote.default_branch.clone();
    repo.private = remote.private;
    repo.pr_enabled = remote.pr_enabled;
    repo.org_id = org_id(state, user, repo.forge_id, &repo.owner).await?;
    state.store.update_repo(repo).await?;
    redirect_from(state, repo, &old_name).await
}

/// Stores `user`'s permission on the repo as the forge reports it.
async fn save_perm(state: &AppState, user: &User, repo: &Repo, remote: &ForgeRepo) -> Result<(), ApiError> {
    let created = match state.store.get_perm(user.id, repo.id).await {
        Ok(old) => old.created,
        Err(StoreError::NotFound(_)) => SystemClock.now(),
        Err(e) => return Err(e.into()),
    };
    let perm = Perm {
        user_id: user.id,
        repo_id: repo.id,
        synced: SystemClock.now(),
        created,
        updated: SystemClock.now(),
        ..remote.perm
    };
    Ok(state.store.set_perm(&perm).await?)
}

/// Replaces the repo's webhook: removes the old one (a missing one is fine) and installs anew.
async fn reinstall_hook(state: &AppState, user: &User, repo: &Repo) -> Result<(), ApiError> {
    let link = state.repos.hook_link(repo);
    match state.forge.deactivate(user, repo, &link).await {
        Ok(()) | Err(ForgeError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(state.forge.activate(user, repo, &link).await?)
}

/// Repairs one repo with its owner's credentials (the caller's when the owner is gone, who then
/// becomes the owner): finds it at the forge (by id, else by name), adopts the forge's facts,
/// and, with `with_perm`, refreshes the owner's permission; then reinstalls the webhook.
pub(super) async fn repair(
    state: &AppState,
    caller: &User,
    mut repo: Repo,
    with_perm: bool,
) -> Result<(), ApiError> {
    let owner = owner_or(state, &repo, caller).await?;
    repo.user_id = owner.id;
    let remote = match state.forge.repo(&owner, &repo.forge_remote_id, "", "").await {
        Err(ForgeError::NotFound(_)) => state.forge.repo(&owner, "", &repo.owner, &repo.name).await?,
        found => found?,
    };
    adopt(state, &owner, &mut repo, &remote.repo).await?;
    if with_perm {
        save_perm(state, &owner, &repo, &remote).await?;
    }
    reinstall_hook(state, &owner, &repo).await
}

/// Points the repo at the forge repo `owner/name`, which the caller must administer (401
/// otherwise, as upstream), keeping a redirection from the old name.
pub(super) async fn move_to(
    state: &AppState,
    caller: &User,
    mut repo: Repo,
    to: &str,
) -> Result<(), ApiError> {
    let (owner, name) = to
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| ApiError::bad_request("to must be <owner>/<name>"))?;
    let remote = state.forge.repo(caller, "", owner, name).await?;
    if !remote.perm.admin {
        return Err(ApiError::unauthorized());
    }
    let old_owner = owner_or(state, &repo, caller).await?;
    let old_link = state.repos.hook_link(&repo);
    match state.forge.deactivate(&old_owner, &repo, &old_link).await {
        Ok(()) | Err(ForgeError::NotFound(_)) => {}
        Err(e) => tracing::warn!(error = %e, repo = %repo.full_name, "old webhook not removed on move"),
    }
    adopt(state, caller, &mut repo, &remote.repo).await?;
    save_perm(state, caller, &repo, &remote).await?;
    reinstall_hook(state, caller, &repo).await
}
