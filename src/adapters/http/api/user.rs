//! `/api/user`: the caller themself, their personal access tokens, their repos and their feed.

use std::collections::HashMap;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, PlainText};

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::feed::{FeedDto, RepoLastPipelineDto};
use crate::adapters::http::dto::pipeline::PipelineDto;
use crate::adapters::http::dto::repo::RepoDto;
use crate::adapters::http::dto::user::UserDto;
use crate::adapters::http::guard;
use crate::domain::perm::Perm;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::user::User;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::StoreError;

/// Most rows of the feed.
const FEED_LIMIT: i64 = 50;

/// Operations on the caller.
pub struct UserApi {
    /// Shared state.
    pub state: AppState,
}

impl UserApi {
    /// The stored repos the user may push to or administer (active ones unless `inactive_too`),
    /// by full name.
    async fn writable_repos(&self, user: &User, inactive_too: bool) -> Result<Vec<Repo>, StoreError> {
        let rows = self.state.store.list_writable_repos(user.id, inactive_too).await?;
        Ok(rows.into_iter().map(|(repo, _)| repo).collect())
    }

    /// The newest pipeline of each of these repos that has one, by repo id.
    async fn newest_pipeline_of_each(&self, repos: &[Repo]) -> Result<HashMap<i64, Pipeline>, StoreError> {
        let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
        let newest = self.state.store.newest_pipeline_of_each(&ids).await?;
        Ok(newest.into_iter().map(|p| (p.repo_id, p)).collect())
    }

    /// `user/repos?all=true`: the repos the forge lets the user push to, the stored row where
    /// there is one, plus the user's other stored repos; forge repos not yet activated are
    /// listed (without `id`) only when the user administers them.
    async fn forge_repos(&self, user: &User) -> poem::Result<Vec<RepoLastPipelineDto>> {
        let forge_id = self.state.identity.settings().forge_id;
        let mut listed: Vec<Repo> = self.writable_repos(user, true).await?;
        for remote in self.state.forge.repos(user).await? {
            if !remote.perm.push || listed.iter().any(|r| r.forge_remote_id == remote.repo.forge_remote_id) {
                continue;
            }
            match self.state.store.find_repo_by_forge_id(forge_id, &remote.repo.forge_remote_id).await {
                Ok(stored) => listed.push(stored),
                Err(StoreError::NotFound(_)) if remote.perm.admin => {
                    listed.push(Repo { id: 0, forge_id, ..remote.repo })
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        listed.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        Ok(listed
            .iter()
            .map(|r| RepoLastPipelineDto { repo: RepoDto::from(r), last_pipeline: None })
            .collect())
    }
}

#[OpenApi(tag = "ApiTags::User")]
impl UserApi {
    /// The authenticated user.
    #[oai(path = "/user", method = "get", operation_id = "getUser")]
    async fn get_user(&self, caller: Data<&Caller>) -> poem::Result<Json<UserDto>> {
        Ok(Json(UserDto::from(guard::user(&caller)?)))
    }

    /// A personal access token for the caller (all of a user's tokens are equivalent).
    #[oai(path = "/user/token", method = "post", operation_id = "createUserToken")]
    async fn create_token(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        let user = guard::user(&caller)?;
        Ok(PlainText(self.state.identity.personal_token(user)))
    }

    /// Revokes every token and session of the caller and returns a new personal access token.
    #[oai(path = "/user/token", method = "delete", operation_id = "resetUserToken")]
    async fn reset_token(&self, caller: Data<&Caller>) -> poem::Result<PlainText<String>> {
        let user = guard::user(&caller)?;
        Ok(PlainText(self.state.identity.rotate(user).await?))
    }

    /// The caller's active repos they may push to or administer, each with its newest pipeline;
    /// `name` keeps only repos of that name; `all=true` lists what the forge offers instead.
    #[oai(path = "/user/repos", method = "get", operation_id = "getUserRepos")]
    async fn repos(
        &self,
        caller: Data<&Caller>,
        all: Query<Option<bool>>,
        name: Query<Option<String>>,
    ) -> poem::Result<Json<Vec<RepoLastPipelineDto>>> {
        let user = guard::user(&caller)?;
        if all.0 == Some(true) {
            return Ok(Json(self.forge_repos(user).await?));
        }
        let mut repos = self.writable_repos(user, false).await?;
        repos.retain(|repo| name.0.as_ref().is_none_or(|n| *n == repo.name));
        let mut newest = self.newest_pipeline_of_each(&repos).await?;
        Ok(Json(
            repos
                .iter()
                .map(|repo| RepoLastPipelineDto {
                    repo: RepoDto::from(repo),
                    last_pipeline: newest.remove(&repo.id).as_ref().map(PipelineDto::from),
                })
                .collect(),
        ))
    }

    /// Resyncs the caller's permissions on stored repos from the forge; answers `"Ok"`.
    #[oai(path = "/user/repos/refresh", method = "post", operation_id = "refreshUserRepos")]
    async fn refresh_repos(&self, caller: Data<&Caller>) -> poem::Result<Json<String>> {
        let user = guard::user(&caller)?;
        let forge_id = self.state.identity.settings().forge_id;
        for remote in self.state.forge.repos(user).await? {
            let repo =
                match self.state.store.find_repo_by_forge_id(forge_id, &remote.repo.forge_remote_id).await {
                    Ok(repo) => repo,
                    Err(StoreError::NotFound(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
            let created = match self.state.store.get_perm(user.id, repo.id).await {
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
            self.state.store.set_perm(&perm).await?;
        }
        Ok(Json("Ok".to_owned()))
    }

    /// Recent pipelines (at most 50, newest first) of the active repos the caller may push to
    /// or administer; with `latest=true`, one row per such repo with its newest pipeline.
    #[oai(path = "/user/feed", method = "get", operation_id = "getUserFeed")]
    async fn feed(
        &self,
        caller: Data<&Caller>,
        latest: Query<Option<bool>>,
    ) -> poem::Result<Json<Vec<FeedDto>>> {
        let user = guard::user(&caller)?;
        let repos = self.writable_repos(user, false).await?;
        if latest.0 == Some(true) {
            let newest = self.newest_pipeline_of_each(&repos).await?;
            return Ok(Json(
                repos
                    .iter()
                    .map(|repo| {
                        newest
                            .get(&repo.id)
                            .map_or_else(|| FeedDto::repo_only(repo), |p| FeedDto::new(repo, p))
                    })
                    .collect(),
            ));
        }
        let by_id: HashMap<i64, &Repo> = repos.iter().map(|r| (r.id, r)).collect();
        let ids: Vec<i64> = by_id.keys().copied().collect();
        let recent = self.state.store.recent_pipelines_of(&ids, FEED_LIMIT).await?;
        Ok(Json(
            recent.iter().filter_map(|p| by_id.get(&p.repo_id).map(|repo| FeedDto::new(repo, p))).collect(),
        ))
    }
}
