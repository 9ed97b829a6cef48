//! What a user's dashboard shows: `Feed` rows (a pipeline with the repo it belongs to) and
//! `RepoLastPipeline` (a repo with its newest pipeline).

use poem_openapi::Object;

use crate::adapters::http::dto::pipeline::PipelineDto;
use crate::adapters::http::dto::repo::RepoDto;
use crate::adapters::http::dto::{is_false, is_zero};
use crate::domain::pipeline::{Pipeline, Release};
use crate::domain::repo::Repo;

/// Release details of a feed row.
#[derive(Debug, Clone, Object)]
#[oai(rename = "FeedRelease")]
pub struct ReleaseDto {
    /// Release title.
    #[oai(default, skip_serializing_if_is_empty)]
    pub title: String,
    /// Marked as a pre-release.
    #[oai(default, skip_serializing_if = "is_false")]
    pub is_prerelease: bool,
}

impl From<&Release> for ReleaseDto {
    fn from(r: &Release) -> Self {
        Self { title: r.title.clone(), is_prerelease: r.is_prerelease }
    }
}

/// One row of the feed: a pipeline and the repo it belongs to. Every field but `repo_id` is
/// left out when empty (a repo without pipelines is a row with only repo facts). `created_at`,
/// `started_at` and `finished_at` repeat the times under their 2.x names.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "Feed")]
pub struct FeedDto {
    /// The repo.
    pub repo_id: i64,
    /// The repo's `owner/name`.
    #[oai(default, skip_serializing_if_is_empty)]
    pub full_name: String,
    /// Pipeline id.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub id: i64,
    /// Pipeline number.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub number: i64,
    /// Triggering event.
    #[oai(default, skip_serializing_if_is_empty)]
    pub event: String,
    /// Status.
    #[oai(default, skip_serializing_if_is_empty)]
    pub status: String,
    /// Unix creation time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub created: i64,
    /// Unix start time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub started: i64,
    /// Unix finish time.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub finished: i64,
    /// 2.x name of `created`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub created_at: i64,
    /// 2.x name of `started`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub started_at: i64,
    /// 2.x name of `finished`.
    #[oai(default, skip_serializing_if = "is_zero")]
    pub finished_at: i64,
    /// Commit SHA.
    #[oai(default, skip_serializing_if_is_empty)]
    pub commit: String,
    /// Branch.
    #[oai(default, skip_serializing_if_is_empty)]
    pub branch: String,
    /// Git ref.
    #[oai(rename = "ref", default, skip_serializing_if_is_empty)]
    pub git_ref: String,
    /// Refspec.
    #[oai(default, skip_serializing_if_is_empty)]
    pub refspec: String,
    /// Title.
    #[oai(default, skip_serializing_if_is_empty)]
    pub title: String,
    /// Who caused it.
    #[oai(default, skip_serializing_if_is_empty)]
    pub author: String,
    /// Author avatar URL.
    #[oai(default, skip_serializing_if_is_empty)]
    pub author_avatar: String,
    /// Author email.
    #[oai(default, skip_serializing_if_is_empty)]
    pub author_email: String,
    /// Release details (release events).
    #[oai(skip_serializing_if_is_none)]
    pub release: Option<ReleaseDto>,
    /// Tag title.
    #[oai(default, skip_serializing_if_is_empty)]
    pub tag_title: String,
    /// Message.
    #[oai(default, skip_serializing_if_is_empty)]
    pub message: String,
}

impl FeedDto {
    /// A row of `repo` alone (the latest feed's row of a repo without pipelines).
    pub fn repo_only(repo: &Repo) -> Self {
        Self { repo_id: repo.id, full_name: repo.full_name.clone(), ..Self::default() }
    }

    /// The row of a pipeline of `repo`.
    pub fn new(repo: &Repo, p: &Pipeline) -> Self {
        Self {
            id: p.id,
            number: p.number,
            event: p.event.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            created: p.created,
            started: p.started,
            finished: p.finished,
            created_at: p.created,
            started_at: p.started,
            finished_at: p.finished,
            commit: p.commit.clone(),
            branch: p.branch.clone(),
            git_ref: p.git_ref.clone(),
            refspec: p.refspec.clone(),
            title: p.title.clone(),
            author: p.author.clone(),
            author_avatar: p.author_avatar.clone(),
            author_email: p.author_email.clone(),
            release: p.release.as_ref().map(ReleaseDto::from),
            tag_title: p.tag_title.clone(),
            message: p.message.clone(),
            ..Self::repo_only(repo)
        }
    }
}

/// A repo with its newest pipeline, when it has one.
#[derive(Debug, Clone, Object)]
#[oai(rename = "RepoLastPipeline")]
pub struct RepoLastPipelineDto {
    /// The repo's fields.
    #[oai(flatten)]
    pub repo: RepoDto,
    /// Its highest-numbered pipeline.
    #[oai(skip_serializing_if_is_none)]
    pub last_pipeline: Option<PipelineDto>,
}
