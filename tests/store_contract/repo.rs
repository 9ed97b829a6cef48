//! Repos: lookups, uniqueness, ordering, and what deleting one takes with it.

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::config::Config;
use nuthatch::domain::cron::Cron;
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::log::LogEntry;
use nuthatch::domain::perm::Perm;
use nuthatch::domain::registry::Registry;
use nuthatch::domain::repo::{ApprovalMode, Redirection, Repo, Trusted, Visibility};
use nuthatch::domain::secret::{Scope, Secret};
use nuthatch::domain::task::Task;
use nuthatch::ports::store::{
    ConfigStore, CronStore, LogStore, Page, PermStore, PipelineStore, RegistryStore, RepoStore, SecretStore,
    StoreError, TaskStore, WorkflowStore,
};

use crate::store_contract::fixtures::{create_pipeline, create_repo, create_step, create_user, repo};

pub async fn repos_round_trip_every_field(store: &SqlStore) {
    let full = Repo {
        user_id: 3,
        org_id: 4,
        avatar_url: "https://a".into(),
        forge_url: "https://f".into(),
        clone_url: "https://c.git".into(),
        clone_url_ssh: "git@c".into(),
        pr_enabled: true,
        visibility: Visibility::Internal,
        private: true,
        trusted: Trusted { network: true, volumes: false, security: true },
        require_approval: ApprovalMode::AllEvents,
        approval_allowed_users: vec!["bot".into()],
        allow_pr: true,
        allow_deploy: true,
        config_file: ".ci.yaml".into(),
        cancel_previous_pipeline_events: vec![WebhookEvent::Push, WebhookEvent::PullRequest],
        netrc_trusted: vec!["plugins/git".into()],
        config_extension_endpoint: "https://ext/config".into(),
        config_extension_exclusive: true,
        config_extension_netrc: true,
        registry_extension_endpoint: "https://ext/registry".into(),
        registry_extension_netrc: true,
        secret_extension_endpoint: "https://ext/secret".into(),
        secret_extension_netrc: true,
        hash: "hook-secret".into(),
        ..repo("Owner/Full")
    };
    let created = store.create_repo(&full).await.unwrap();
    assert_eq!(store.get_repo(created.id).await.unwrap(), created);
    assert_eq!(store.find_repo_by_forge_id(1, "remote-Owner/Full").await.unwrap(), created);

    let changed = Repo { active: false, timeout: 5, visibility: Visibility::Private, ..created.clone() };
    store.update_repo(&changed).await.unwrap();
    assert_eq!(store.get_repo(created.id).await.unwrap(), changed);
}

pub async fn repos_are_found_by_full_name_ignoring_case_and_through_redirections(store: &SqlStore) {
    let created = create_repo(store, "Octo/Hello-World").await;
    assert_eq!(store.find_repo_by_full_name("octo/hello-world").await.unwrap().id, created.id);
    assert_eq!(store.find_repo_by_full_name("OCTO/HELLO-WORLD").await.unwrap().id, created.id);

    store
        .create_redirection(&Redirection {
            repo_id: created.id,
            full_name: "Old/Name".into(),
            ..Redirection::default()
        })
        .await
        .unwrap();
    assert_eq!(store.find_repo_by_full_name("old/name").await.unwrap().id, created.id);
    let again = Redirection { repo_id: created.id, full_name: "OLD/NAME".into(), ..Redirection::default() };
    assert!(matches!(store.create_redirection(&again).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.find_repo_by_full_name("nobody/here").await, Err(StoreError::NotFound(_))));
}

pub async fn full_names_are_unique_ignoring_case(store: &SqlStore) {
    create_repo(store, "Octo/Hello").await;
    let clash = Repo { forge_remote_id: "other".into(), ..repo("octo/HELLO") };
    assert!(matches!(store.create_repo(&clash).await, Err(StoreError::Conflict(_))));
}

pub async fn repos_are_listed_by_full_name(store: &SqlStore) {
    for name in ["b/x", "a/z", "a/y"] {
        create_repo(store, name).await;
    }
    let inactive = create_repo(store, "a/inactive").await;
    store.update_repo(&Repo { active: false, ..inactive }).await.unwrap();
    let names = |repos: Vec<Repo>| repos.into_iter().map(|r| r.full_name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_repos(false, Page::default()).await.unwrap()),
        ["a/inactive", "a/y", "a/z", "b/x"]
    );
    assert_eq!(names(store.list_repos(true, Page::new(1, 2)).await.unwrap()), ["a/y", "a/z"]);
    assert_eq!(names(store.list_repos(true, Page::new(2, 2)).await.unwrap()), ["b/x"]);
}

pub async fn missing_repos_are_not_found(store: &SqlStore) {
    assert!(matches!(store.get_repo(424_242).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.update_repo(&Repo { id: 424_242, ..repo("a/b") }).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(store.delete_repo(424_242).await, Err(StoreError::NotFound(_))));
}

pub async fn deleting_a_repo_removes_everything_it_owns(store: &SqlStore) {
    let doomed = create_repo(store, "team/doomed").await;
    let kept = create_repo(store, "team/kept").await;
    let user = create_user(store, "dev").await;
    let mut owned = Vec::new();
    for r in [&doomed, &kept] {
        let pipeline = create_pipeline(store, r.id).await;
        let step = create_step(store, pipeline.id, &format!("uuid-{}", r.id)).await;
        owned.push((pipeline.id, step.id));
        let line = LogEntry { step_id: step.id, data: b"hello".to_vec(), ..LogEntry::default() };
        store.append_logs(&[line]).await.unwrap();
        let config = Config {
            repo_id: r.id,
            hash: "h".into(),
            name: ".woodpecker.yaml".into(),
            data: b"steps: []".to_vec(),
            ..Config::default()
        };
        store.link_configs(pipeline.id, &[config]).await.unwrap();
        let secret = Secret {
            repo_id: r.id,
            name: "token".into(),
            value: "v".into(),
            events: vec![WebhookEvent::Push],
            ..Secret::default()
        };
        store.create_secret(&secret).await.unwrap();
        let registry = Registry {
            repo_id: r.id,
            address: "docker.io".into(),
            username: "u".into(),
            password: "p".into(),
            ..Registry::default()
        };
        store.create_registry(&registry).await.unwrap();
        store
            .create_cron(&Cron {
                repo_id: r.id,
                name: "nightly".into(),
                schedule: "@daily".into(),
                ..Cron::default()
            })
            .await
            .unwrap();
        store
            .set_perm(&Perm { user_id: user.id, repo_id: r.id, pull: true, ..Perm::default() })
            .await
            .unwrap();
        store
            .create_redirection(&Redirection {
                repo_id: r.id,
                full_name: format!("old/{}", r.id),
                ..Redirection::default()
            })
            .await
            .unwrap();
        store
            .insert_task(&Task {
                id: format!("task-{}", r.id),
                repo_id: r.id,
                pipeline_id: pipeline.id,
                ..Task::default()
            })
            .await
            .unwrap();
    }

    store.delete_repo(doomed.id).await.unwrap();

    assert!(matches!(store.get_repo(doomed.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.find_pipeline_by_number(doomed.id, 1).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.find_step_by_uuid(&format!("uuid-{}", doomed.id)).await,
        Err(StoreError::NotFound(_))
    ));
    let (doomed_pipeline, doomed_step) = owned[0];
    assert!(store.list_workflows(doomed_pipeline).await.unwrap().is_empty());
    assert!(store.list_logs(doomed_step).await.unwrap().is_empty());
    assert!(store.pipeline_configs(doomed_pipeline).await.unwrap().is_empty());
    assert!(matches!(store.find_secret(Scope::Repo(doomed.id), "token").await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.find_registry(Scope::Repo(doomed.id), "docker.io").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.list_crons(doomed.id, Page::default()).await.unwrap().is_empty());
    assert!(matches!(store.get_perm(user.id, doomed.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.find_repo_by_full_name(&format!("old/{}", doomed.id)).await,
        Err(StoreError::NotFound(_))
    ));
    let tasks = store.list_tasks().await.unwrap();
    assert_eq!(tasks.iter().map(|t| t.repo_id).collect::<Vec<_>>(), [kept.id]);

    let kept_pipeline = store.find_pipeline_by_number(kept.id, 1).await.unwrap();
    let kept_step = store.find_step_by_uuid(&format!("uuid-{}", kept.id)).await.unwrap();
    assert_eq!(store.list_logs(kept_step.id).await.unwrap().len(), 1);
    assert_eq!(store.pipeline_configs(kept_pipeline.id).await.unwrap().len(), 1);
    store.find_secret(Scope::Repo(kept.id), "token").await.unwrap();
    store.find_registry(Scope::Repo(kept.id), "docker.io").await.unwrap();
    assert_eq!(store.list_crons(kept.id, Page::default()).await.unwrap().len(), 1);
    store.get_perm(user.id, kept.id).await.unwrap();
}
