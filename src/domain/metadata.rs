//! The metadata a pipeline is built with (upstream's `MetadataFromStruct`): the stored repo, the
//! pipeline and the previous one on its branch, the workflow, the server and the forge, mapped
//! to the pipeline language's [`Metadata`]. The compiler reads it for `CI_*` variables and
//! `when` filters; `GET /api/repos/{id}/pipelines/{n}/metadata` shows it.

use crate::domain::event::WebhookEvent;
use crate::domain::forge::Forge;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::workflow::Workflow;
use crate::domain::yaml::metadata::{self as meta, Metadata};

/// Facts about the server a pipeline runs on.
#[derive(Debug, Clone, Copy)]
pub struct ServerFacts<'a> {
    /// Public URL (`WOODPECKER_HOST`).
    pub url: &'a str,
    /// Server version.
    pub version: &'a str,
}

/// Name the system reports itself as (`CI_SYSTEM_NAME`); plugins compare against it.
pub const SYSTEM_NAME: &str = "woodpecker";

/// The metadata of `curr` (with `prev`, the newest earlier pipeline of its branch) in `repo`.
/// `workflow` is absent outside the compiler (the API shows pipeline-level metadata).
pub fn pipeline_metadata(
    forge: Option<&Forge>,
    repo: &Repo,
    curr: &Pipeline,
    prev: Option<&Pipeline>,
    workflow: Option<&Workflow>,
    server: ServerFacts<'_>,
) -> Metadata {
    Metadata {
        repo: repo_meta(repo),
        curr: pipeline_meta(curr, true),
        prev: prev.map(|p| pipeline_meta(p, false)).unwrap_or_default(),
        workflow: workflow
            .map(|w| meta::WorkflowMeta {
                name: w.name.clone(),
                number: i64::from(w.pid),
                matrix: w.environ.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            })
            .unwrap_or_default(),
        step: meta::StepMeta::default(),
        sys: meta::System {
            name: SYSTEM_NAME.to_owned(),
            url: server.url.to_owned(),
            host: url_host(server.url).to_owned(),
            platform: String::new(),
            version: server.version.to_owned(),
        },
        forge: forge
            .map(|f| meta::Forge { id: f.id, kind: f.forge_type.as_str().to_owned(), url: f.url.clone() })
            .unwrap_or_default(),
    }
}

/// The `host[:port]` of a URL; the whole text when it has no scheme.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

fn repo_meta(repo: &Repo) -> meta::Repo {
    meta::Repo {
        id: repo.id,
        org_id: repo.org_id,
        name: repo.name.clone(),
        owner: repo.owner.clone(),
        remote_id: repo.forge_remote_id.clone(),
        forge_url: repo.forge_url.clone(),
        clone_url: repo.clone_url.clone(),
        clone_url_ssh: repo.clone_url_ssh.clone(),
        private: repo.private,
        branch: repo.default_branch.clone(),
        trusted: meta::Trusted {
            network: repo.trusted.network,
            volumes: repo.trusted.volumes,
            security: repo.trusted.security,
        },
    }
}

/// A pipeline's metadata; only the current pipeline carries its parent, as upstream.
fn pipeline_meta(p: &Pipeline, with_parent: bool) -> meta::Pipeline {
    let release = p.release.clone().unwrap_or_default();
    meta::Pipeline {
        number: p.number,
        parent: if with_parent { p.parent } else { 0 },
        created: p.created,
        started: p.started,
        finished: p.finished,
        status: p.status.as_str().to_owned(),
        event: p.event.as_str().to_owned(),
        event_reason: p.event_reason.clone(),
        forge_url: p.forge_url.clone(),
        deploy_to: p.deploy_to.clone(),
        deploy_task: p.deploy_task.clone(),
        commit: meta::Commit {
            sha: p.commit.clone(),
            reference: p.git_ref.clone(),
            refspec: p.refspec.clone(),
            branch: p.branch.clone(),
            message: p.message.clone(),
            timestamp: p.timestamp,
            author: meta::Author { name: p.author.clone(), email: p.author_email.clone() },
            changed_files: p.changed_files.clone(),
            pull_request_labels: p.pr_labels.clone(),
            pull_request_milestone: p.pr_milestone.clone(),
            pull_request_draft: p.pr_draft,
        },
        author: p.author.clone(),
        avatar: p.author_avatar.clone(),
        cron: if p.event == WebhookEvent::Cron { p.cron.clone() } else { String::new() },
        reruns: p.rerun_count,
        release_title: release.title,
        is_prerelease: release.is_prerelease,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::forge::ForgeType;

    const SERVER: ServerFacts<'static> =
        ServerFacts { url: "https://ci.example.com:8443/sub", version: "3.0.0" };

    #[test]
    fn the_server_host_is_taken_from_its_url() {
        assert_eq!(url_host("https://ci.example.com:8443/sub"), "ci.example.com:8443");
        assert_eq!(url_host("http://localhost"), "localhost");
        assert_eq!(url_host("ci.local"), "ci.local");
    }

    #[test]
    fn only_the_current_pipeline_carries_its_parent() {
        let repo = Repo { id: 3, name: "app".into(), owner: "acme".into(), ..Repo::default() };
        let curr = Pipeline { number: 7, parent: 5, branch: "main".into(), ..Pipeline::default() };
        let prev = Pipeline { number: 6, parent: 4, ..Pipeline::default() };
        let forge = Forge {
            id: 1,
            forge_type: ForgeType::Gitea,
            url: "https://git.example.com".into(),
            ..Forge::default()
        };
        let m = pipeline_metadata(Some(&forge), &repo, &curr, Some(&prev), None, SERVER);
        assert_eq!((m.curr.number, m.curr.parent, m.prev.number, m.prev.parent), (7, 5, 6, 0));
        assert_eq!((m.repo.full_name(), m.curr.commit.branch.as_str()), ("acme/app".to_owned(), "main"));
        assert_eq!((m.forge.kind.as_str(), m.sys.name.as_str()), ("gitea", "woodpecker"));
        assert_eq!(m.sys.host, "ci.example.com:8443");
    }

    #[test]
    fn the_cron_name_is_only_set_for_cron_pipelines() {
        let repo = Repo::default();
        let cron = Pipeline { event: WebhookEvent::Cron, cron: "nightly".into(), ..Pipeline::default() };
        let push = Pipeline { event: WebhookEvent::Push, cron: "nightly".into(), ..Pipeline::default() };
        assert_eq!(pipeline_metadata(None, &repo, &cron, None, None, SERVER).curr.cron, "nightly");
        assert_eq!(pipeline_metadata(None, &repo, &push, None, None, SERVER).curr.cron, "");
    }
}
