//! Agents, tasks, forges, settings and liveness.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::agent::Agent;
use nuthatch::domain::forge::{Forge, ForgeType};
use nuthatch::domain::status::Status;
use nuthatch::domain::task::Task;
use nuthatch::ports::store::{
    AgentStore, ForgeStore, HealthStore, Page, SettingStore, StoreError, TaskStore,
};

pub async fn the_store_answers_pings(store: &SqlStore) {
    store.ping().await.unwrap();
}

pub async fn agents_have_unique_tokens_and_are_listed_by_id(store: &SqlStore) {
    let agent = |name: &str, token: &str, org_id: i64| Agent {
        name: name.into(),
        token: token.into(),
        org_id,
        ..Agent::default()
    };
    let full = Agent {
        created: 1,
        updated: 2,
        owner_id: 4,
        last_contact: 3,
        last_work: 4,
        platform: "linux/amd64".into(),
        backend: "docker".into(),
        capacity: 2,
        version: "3.0.0".into(),
        no_schedule: true,
        custom_labels: BTreeMap::from([("gpu".into(), "yes".into())]),
        ..agent("z", "t-1", -1)
    };
    let first = store.create_agent(&full).await.unwrap();
    let second = store.create_agent(&agent("a", "t-2", 7)).await.unwrap();
    assert!(matches!(store.create_agent(&agent("b", "t-1", 7)).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.find_agent_by_token("t-1").await.unwrap(), first);
    assert_eq!(store.get_agent(second.id).await.unwrap(), second);

    let ids = |agents: Vec<Agent>| agents.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_agents(None, Page::default()).await.unwrap()), [first.id, second.id]);
    assert_eq!(ids(store.list_agents(Some(7), Page::default()).await.unwrap()), [second.id]);

    let renamed = Agent { name: "renamed".into(), capacity: 4, ..second.clone() };
    store.update_agent(&renamed).await.unwrap();
    assert_eq!(store.get_agent(second.id).await.unwrap(), renamed);
    store.delete_agent(second.id).await.unwrap();
    assert!(matches!(store.get_agent(second.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.find_agent_by_token("nope").await, Err(StoreError::NotFound(_))));
}

pub async fn tasks_are_kept_until_deleted(store: &SqlStore) {
    let full = Task {
        id: "12".into(),
        pid: 1,
        name: "build".into(),
        data: br#"{"id":"12"}"#.to_vec(),
        labels: BTreeMap::from([("platform".into(), "linux/amd64".into())]),
        dependencies: vec!["11".into()],
        run_on: vec!["success".into(), "failure".into()],
        dep_status: BTreeMap::from([("11".into(), Status::Success)]),
        agent_id: 3,
        pipeline_id: 4,
        repo_id: 5,
        concurrency_limit: 1,
        concurrency_group: "5/build/".into(),
        created: 20,
    };
    store.insert_task(&full).await.unwrap();
    store.insert_task(&Task { id: "13".into(), created: 10, ..Task::default() }).await.unwrap();
    assert!(matches!(store.insert_task(&full).await, Err(StoreError::Conflict(_))));
    let tasks = store.list_tasks().await.unwrap();
    assert_eq!(tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["13", "12"]);
    assert_eq!(tasks[1], full);
    store.delete_task("12").await.unwrap();
    assert!(matches!(store.delete_task("12").await, Err(StoreError::NotFound(_))));
    assert_eq!(store.list_tasks().await.unwrap().len(), 1);
}

pub async fn forges_round_trip(store: &SqlStore) {
    let github = Forge {
        forge_type: ForgeType::BitbucketDc,
        url: "https://bb.example".into(),
        client: "id".into(),
        client_secret: "secret".into(),
        skip_verify: true,
        oauth_host: "https://oauth".into(),
        orgs: vec!["team".into()],
        additional_options: BTreeMap::from([("merge-ref".into(), serde_json::json!(true))]),
        ..Forge::default()
    };
    let created = store.create_forge(&github).await.unwrap();
    let local = store.create_forge(&Forge::default()).await.unwrap();
    assert_eq!(store.get_forge(created.id).await.unwrap(), created);
    assert_eq!(store.list_forges().await.unwrap(), [created.clone(), local]);
    let changed = Forge { forge_type: ForgeType::Gitea, orgs: vec![], ..created.clone() };
    store.update_forge(&changed).await.unwrap();
    assert_eq!(store.get_forge(created.id).await.unwrap(), changed);
    store.delete_forge(created.id).await.unwrap();
    assert!(matches!(store.get_forge(created.id).await, Err(StoreError::NotFound(_))));
}

pub async fn server_settings_are_upserted(store: &SqlStore) {
    assert!(matches!(store.get_setting("jwt-secret").await, Err(StoreError::NotFound(_))));
    store.set_setting("jwt-secret", "one").await.unwrap();
    store.set_setting("jwt-secret", "two").await.unwrap();
    store.set_setting("jwt-secret", "two").await.unwrap();
    assert_eq!(store.get_setting("jwt-secret").await.unwrap(), "two");

    let racing =
        join_all((0..8).map(|n| store.set_setting("fresh-key", if n % 2 == 0 { "even" } else { "odd" })))
            .await;
    assert!(racing.iter().all(Result::is_ok), "{racing:?}");
    assert!(["even", "odd"].contains(&store.get_setting("fresh-key").await.unwrap().as_str()));
}

pub async fn settings_are_added_once_and_the_first_value_wins(store: &SqlStore) {
    store.add_setting("signature-private-key", "first").await.unwrap();
    let again = store.add_setting("signature-private-key", "second").await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.get_setting("signature-private-key").await.unwrap(), "first");

    let values: Vec<String> = (0..8).map(|n| n.to_string()).collect();
    let racing = join_all(values.iter().map(|v| store.add_setting("raced-key", v))).await;
    assert_eq!(racing.iter().filter(|r| r.is_ok()).count(), 1, "{racing:?}");
    assert!(racing.iter().all(|r| matches!(r, Ok(()) | Err(StoreError::Conflict(_)))), "{racing:?}");
    let winner = racing.iter().position(Result::is_ok).unwrap();
    assert_eq!(store.get_setting("raced-key").await.unwrap(), winner.to_string());
}
