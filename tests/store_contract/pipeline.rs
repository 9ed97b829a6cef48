//! Pipelines: numbering, listing, `latest`, deletion, which ones log retention expires.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::config::Config;
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::log::LogRetention;
use nuthatch::domain::pipeline::{CancelInfo, Pipeline, PipelineError, Release};
use nuthatch::domain::status::Status;
use nuthatch::ports::store::{
    ConfigStore, LogRetentionStore, Page, PipelineFilter, PipelineStore, StoreError,
};

use crate::store_contract::fixtures::{create_pipeline, create_repo, pipeline};

pub async fn pipeline_numbers_are_atomic(store: &SqlStore) {
    let repo = create_repo(store, "busy/repo").await;
    let other = create_repo(store, "quiet/repo").await;
    let template = pipeline(repo.id);
    let created = join_all((0..50).map(|_| store.create_pipeline(&template))).await;
    let mut numbers: Vec<i64> = created.into_iter().map(|p| p.unwrap().number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    assert_eq!(create_pipeline(store, other.id).await.number, 1);
}

pub async fn creating_a_pipeline_in_a_missing_repo_is_not_found(store: &SqlStore) {
    assert!(matches!(store.create_pipeline(&pipeline(777_777)).await, Err(StoreError::NotFound(_))));
}

pub async fn pipelines_round_trip_every_field(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let full = Pipeline {
        author: "octocat".into(),
        parent: 3,
        event: WebhookEvent::PullRequest,
        event_reason: vec!["opened".into()],
        status: Status::Blocked,
        errors: vec![PipelineError {
            kind: "linter".into(),
            message: "bad".into(),
            is_warning: true,
            data: serde_json::json!({"file": ".ci.yaml"}),
        }],
        created: 1_000,
        updated: 1_001,
        started: 1_002,
        finished: 1_003,
        deploy_to: "prod".into(),
        deploy_task: "migrate".into(),
        commit: "abc123".into(),
        branch: "feature".into(),
        git_ref: "refs/pull/4/head".into(),
        refspec: "feature:main".into(),
        title: "Add things".into(),
        message: "long message\nwith lines".into(),
        timestamp: 999,
        sender: "octocat".into(),
        author_avatar: "https://a".into(),
        author_email: "o@e".into(),
        forge_url: "https://f/pr/4".into(),
        reviewed_by: "boss".into(),
        reviewed: 1_004,
        rerun_count: 2,
        cancel_info: Some(CancelInfo { canceled_by_user: "boss".into(), ..CancelInfo::default() }),
        changed_files: vec!["src/main.rs".into()],
        variables: BTreeMap::from([("KEY".into(), "value".into())]),
        pr_labels: vec!["bug".into()],
        pr_milestone: "v2".into(),
        pr_draft: true,
        from_fork: true,
        cron: "nightly".into(),
        release: Some(Release { title: "v2".into(), is_prerelease: true }),
        tag_title: "v2.0.0".into(),
        version: "0.1.0".into(),
        ..pipeline(repo.id)
    };
    let created = store.create_pipeline(&full).await.unwrap();
    assert_eq!(created.number, 1);
    assert_eq!(store.get_pipeline(created.id).await.unwrap(), created);
    assert_eq!(store.find_pipeline_by_number(repo.id, 1).await.unwrap(), created);

    let finished =
        Pipeline { status: Status::Success, finished: 2_000, cancel_info: None, ..created.clone() };
    store.update_pipeline(&finished).await.unwrap();
    assert_eq!(store.get_pipeline(created.id).await.unwrap(), finished);
    assert!(matches!(
        store.update_pipeline(&Pipeline { id: 888_888, ..finished }).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn the_store_stamps_created_when_it_is_missing(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let created = create_pipeline(store, repo.id).await;
    assert!(created.created > 1_600_000_000, "created = {}", created.created);
    assert_eq!(store.get_pipeline(created.id).await.unwrap().created, created.created);
}

pub async fn pipelines_are_listed_newest_first_and_filtered(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let specs = [
        ("main", WebhookEvent::Push, Status::Success, 100, "refs/heads/main"),
        ("dev", WebhookEvent::Push, Status::Failure, 200, "refs/heads/dev"),
        ("main", WebhookEvent::PullRequest, Status::Success, 300, "refs/pull/1_%/head"),
        ("main", WebhookEvent::Tag, Status::Running, 400, "refs/tags/v1"),
    ];
    for (branch, event, status, created, git_ref) in specs {
        let p = Pipeline {
            branch: branch.into(),
            event,
            status,
            created,
            git_ref: git_ref.into(),
            ..pipeline(repo.id)
        };
        store.create_pipeline(&p).await.unwrap();
    }
    let numbers = |filter: PipelineFilter, page: Page| async move {
        store
            .list_pipelines(repo.id, &filter, page)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.number)
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(PipelineFilter::default(), Page::default()).await, [4, 3, 2, 1]);
    assert_eq!(numbers(PipelineFilter::default(), Page::new(2, 3)).await, [1]);
    let on_main = PipelineFilter { branch: Some("main".into()), ..PipelineFilter::default() };
    assert_eq!(numbers(on_main, Page::default()).await, [4, 3, 1]);
    let pushes_and_tags =
        PipelineFilter { events: vec![WebhookEvent::Push, WebhookEvent::Tag], ..PipelineFilter::default() };
    assert_eq!(numbers(pushes_and_tags, Page::default()).await, [4, 2, 1]);
    let successes = PipelineFilter { status: Some(Status::Success), ..PipelineFilter::default() };
    assert_eq!(numbers(successes, Page::default()).await, [3, 1]);
    let window = PipelineFilter { after: Some(100), before: Some(400), ..PipelineFilter::default() };
    assert_eq!(numbers(window, Page::default()).await, [3, 2]);
    let literal_wildcards = PipelineFilter { ref_contains: Some("1_%".into()), ..PipelineFilter::default() };
    assert_eq!(numbers(literal_wildcards, Page::default()).await, [3]);
    let heads = PipelineFilter { ref_contains: Some("heads".into()), ..PipelineFilter::default() };
    assert_eq!(numbers(heads, Page::default()).await, [2, 1]);
}

pub async fn latest_is_the_highest_push_on_the_branch(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    for (branch, event) in [
        ("main", WebhookEvent::Push),
        ("main", WebhookEvent::Push),
        ("dev", WebhookEvent::Push),
        ("main", WebhookEvent::Tag),
    ] {
        store.create_pipeline(&Pipeline { branch: branch.into(), event, ..pipeline(repo.id) }).await.unwrap();
    }
    assert_eq!(store.latest_pipeline(repo.id, "main").await.unwrap().number, 2);
    assert_eq!(store.latest_pipeline(repo.id, "dev").await.unwrap().number, 3);
    assert!(matches!(store.latest_pipeline(repo.id, "nope").await, Err(StoreError::NotFound(_))));
}

pub async fn a_repo_list_gets_each_repos_newest_pipeline_and_their_recent_ones_in_one_call(store: &SqlStore) {
    let busy = create_repo(store, "a/busy").await;
    let quiet = create_repo(store, "a/quiet").await;
    let idle = create_repo(store, "a/idle").await;
    let unlisted = create_repo(store, "a/unlisted").await;
    for (repo, created) in [(busy.id, 10), (quiet.id, 20), (busy.id, 30), (busy.id, 40), (unlisted.id, 50)] {
        store.create_pipeline(&Pipeline { created, ..pipeline(repo) }).await.unwrap();
    }
    let listed = [busy.id, quiet.id, idle.id];

    let mut newest: Vec<(i64, i64)> = store
        .newest_pipeline_of_each(&listed)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.repo_id, p.number))
        .collect();
    newest.sort_unstable();
    assert_eq!(newest, [(busy.id, 3), (quiet.id, 1)]);
    assert!(store.newest_pipeline_of_each(&[]).await.unwrap().is_empty());

    let recent: Vec<i64> =
        store.recent_pipelines_of(&listed, 3).await.unwrap().into_iter().map(|p| p.created).collect();
    assert_eq!(recent, [40, 30, 20]);
}

pub async fn deleting_the_newest_pipeline_frees_its_number_and_orphan_configs(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let first = create_pipeline(store, repo.id).await;
    let second = create_pipeline(store, repo.id).await;
    let config = |name: &str| Config {
        repo_id: repo.id,
        hash: format!("hash-{name}"),
        name: name.into(),
        data: name.as_bytes().to_vec(),
        ..Config::default()
    };
    store.link_configs(first.id, &[config("shared")]).await.unwrap();
    let linked = store.link_configs(second.id, &[config("shared"), config("own")]).await.unwrap();

    store.delete_pipeline(second.id).await.unwrap();
    assert!(matches!(store.get_pipeline(second.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete_pipeline(second.id).await, Err(StoreError::NotFound(_))));
    assert_eq!(create_pipeline(store, repo.id).await.number, 2);

    let third = store.find_pipeline_by_number(repo.id, 2).await.unwrap();
    let relinked = store.link_configs(third.id, &[config("shared"), config("own")]).await.unwrap();
    assert_eq!(relinked[0].id, linked[0].id, "the config still used by #1 is kept");
    assert_ne!(relinked[1].id, linked[1].id, "the config only #2 used was deleted with it");
}

/// Stores a pipeline of the repo with this status, finished at `finished` (0: not finished).
async fn pipeline_in(store: &SqlStore, repo_id: i64, status: Status, finished: i64) -> i64 {
    store.create_pipeline(&Pipeline { status, finished, ..pipeline(repo_id) }).await.unwrap().id
}

pub async fn logs_expire_for_pipelines_finished_before_the_retention_days(store: &SqlStore) {
    let (now, day) = (10_000_000, 86_400);
    let repo = create_repo(store, "a/old").await;
    let old = pipeline_in(store, repo.id, Status::Success, now - 3 * day).await;
    let old_failure = pipeline_in(store, repo.id, Status::Failure, now - 2 * day - 1).await;
    pipeline_in(store, repo.id, Status::Success, now - day).await;
    pipeline_in(store, repo.id, Status::Running, 0).await;
    pipeline_in(store, repo.id, Status::Blocked, 0).await;
    let two_days = LogRetention::Days(2);
    assert_eq!(store.pipelines_with_expired_logs(two_days, now, 10).await.unwrap(), [old, old_failure]);
    assert_eq!(store.pipelines_with_expired_logs(two_days, now, 1).await.unwrap(), [old]);
    store.mark_logs_expired(old, now).await.unwrap();
    store.mark_logs_expired(old, now + 5).await.unwrap();
    store.mark_logs_expired(777_777, now).await.unwrap();
    assert_eq!(store.pipelines_with_expired_logs(two_days, now, 10).await.unwrap(), [old_failure]);
}

pub async fn logs_expire_beyond_the_newest_pipelines_of_each_repo(store: &SqlStore) {
    let busy = create_repo(store, "a/busy").await;
    let quiet = create_repo(store, "a/quiet").await;
    let first = pipeline_in(store, busy.id, Status::Success, 1).await;
    pipeline_in(store, busy.id, Status::Pending, 0).await;
    let third = pipeline_in(store, busy.id, Status::Failure, 3).await;
    pipeline_in(store, busy.id, Status::Success, 4).await;
    pipeline_in(store, busy.id, Status::Killed, 5).await;
    pipeline_in(store, quiet.id, Status::Success, 1).await;
    pipeline_in(store, quiet.id, Status::Success, 2).await;
    let keep_two = LogRetention::Pipelines(2);
    assert_eq!(store.pipelines_with_expired_logs(keep_two, 100, 10).await.unwrap(), [first, third]);
    store.mark_logs_expired(first, 100).await.unwrap();
    assert_eq!(store.pipelines_with_expired_logs(keep_two, 100, 10).await.unwrap(), [third]);
    assert!(store.pipelines_with_expired_logs(LogRetention::Pipelines(5), 100, 10).await.unwrap().is_empty());
}
