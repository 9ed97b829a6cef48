//! Secrets, registries and crons.

use std::collections::BTreeMap;

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::cron::Cron;
use nuthatch::domain::event::WebhookEvent;
use nuthatch::domain::registry::Registry;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::secret::{Scope, Secret};
use nuthatch::ports::store::{CronStore, Page, RegistryStore, RepoStore, SecretStore, StoreError};

use crate::store_contract::fixtures::create_repo;

fn secret(scope: Scope, name: &str) -> Secret {
    let (org_id, repo_id) = scope.ids();
    Secret {
        org_id,
        repo_id,
        name: name.into(),
        value: "v".into(),
        events: vec![WebhookEvent::Push],
        ..Secret::default()
    }
}

pub async fn secrets_are_unique_by_name_within_their_scope(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let scopes = [Scope::Global, Scope::Org(5), Scope::Repo(repo.id)];
    for scope in scopes {
        store.create_secret(&secret(scope, "token")).await.unwrap();
    }
    for scope in scopes {
        assert!(matches!(store.create_secret(&secret(scope, "token")).await, Err(StoreError::Conflict(_))));
        assert_eq!(store.find_secret(scope, "token").await.unwrap().scope(), scope);
    }
    assert!(matches!(store.find_secret(Scope::Org(6), "token").await, Err(StoreError::NotFound(_))));
}

pub async fn secrets_round_trip_and_are_listed_by_name(store: &SqlStore) {
    let full = Secret {
        images: vec!["plugins/docker".into()],
        events: vec![WebhookEvent::Push, WebhookEvent::Tag],
        note: "for releases".into(),
        ..secret(Scope::Org(1), "zz")
    };
    let created = store.create_secret(&full).await.unwrap();
    store.create_secret(&secret(Scope::Org(1), "aa")).await.unwrap();
    store.create_secret(&secret(Scope::Org(2), "mm")).await.unwrap();
    let names: Vec<_> = store
        .list_secrets(Scope::Org(1), Page::default())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["aa", "zz"]);
    assert_eq!(store.find_secret(Scope::Org(1), "zz").await.unwrap(), created);

    let changed = Secret { value: "new".into(), images: vec![], ..created.clone() };
    store.update_secret(&changed).await.unwrap();
    assert_eq!(store.find_secret(Scope::Org(1), "zz").await.unwrap(), changed);
    store.delete_secret(created.id).await.unwrap();
    assert!(matches!(store.find_secret(Scope::Org(1), "zz").await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete_secret(created.id).await, Err(StoreError::NotFound(_))));
}

pub async fn registries_are_unique_by_address_within_their_scope_and_listed_by_id(store: &SqlStore) {
    let registry = |scope: Scope, address: &str| {
        let (org_id, repo_id) = scope.ids();
        Registry {
            org_id,
            repo_id,
            address: address.into(),
            username: "u".into(),
            password: "p".into(),
            ..Registry::default()
        }
    };
    let zeta = store.create_registry(&registry(Scope::Global, "zeta.io")).await.unwrap();
    let alpha = store.create_registry(&registry(Scope::Global, "alpha.io")).await.unwrap();
    store.create_registry(&registry(Scope::Org(3), "alpha.io")).await.unwrap();
    let clash = store.create_registry(&registry(Scope::Global, "alpha.io")).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))));

    let ids: Vec<_> = store
        .list_registries(Scope::Global, Page::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [zeta.id, alpha.id]);
    let changed = Registry { password: "rotated".into(), readonly: true, ..alpha.clone() };
    store.update_registry(&changed).await.unwrap();
    assert_eq!(store.find_registry(Scope::Global, "alpha.io").await.unwrap(), changed);
    store.delete_registry(alpha.id).await.unwrap();
    assert!(matches!(store.find_registry(Scope::Global, "alpha.io").await, Err(StoreError::NotFound(_))));
}

fn cron(repo_id: i64, name: &str, next_exec: i64) -> Cron {
    Cron { repo_id, name: name.into(), schedule: "@hourly".into(), next_exec, ..Cron::default() }
}

pub async fn crons_are_unique_per_repo_and_listed_by_name(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let other = create_repo(store, "a/c").await;
    let full = Cron {
        branch: "dev".into(),
        timezone: "Europe/Berlin".into(),
        variables: BTreeMap::from([("A".into(), "1".into())]),
        created: 5,
        creator_id: 2,
        ..cron(repo.id, "weekly", 10)
    };
    let weekly = store.create_cron(&full).await.unwrap();
    store.create_cron(&cron(repo.id, "daily", 10)).await.unwrap();
    store.create_cron(&cron(other.id, "weekly", 10)).await.unwrap();
    assert!(matches!(store.create_cron(&cron(repo.id, "weekly", 1)).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.create_cron(&cron(999_999, "x", 1)).await, Err(StoreError::NotFound(_))));

    let names: Vec<_> =
        store.list_crons(repo.id, Page::default()).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["daily", "weekly"]);
    assert_eq!(store.get_cron(repo.id, weekly.id).await.unwrap(), weekly);
    assert!(matches!(store.get_cron(other.id, weekly.id).await, Err(StoreError::NotFound(_))));

    let disabled = Cron { enabled: false, schedule: "@daily".into(), ..weekly.clone() };
    store.update_cron(&disabled).await.unwrap();
    assert_eq!(store.get_cron(repo.id, weekly.id).await.unwrap(), disabled);
    assert!(matches!(store.delete_cron(other.id, weekly.id).await, Err(StoreError::NotFound(_))));
    store.delete_cron(repo.id, weekly.id).await.unwrap();
    assert!(matches!(store.get_cron(repo.id, weekly.id).await, Err(StoreError::NotFound(_))));
}

pub async fn due_crons_are_enabled_past_their_time_in_active_repos(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let inactive = create_repo(store, "a/inactive").await;
    store.update_repo(&Repo { active: false, ..inactive.clone() }).await.unwrap();
    store.create_cron(&cron(repo.id, "late", 90)).await.unwrap();
    store.create_cron(&cron(repo.id, "now", 100)).await.unwrap();
    store.create_cron(&cron(repo.id, "early", 50)).await.unwrap();
    store.create_cron(&cron(repo.id, "future", 101)).await.unwrap();
    store.create_cron(&Cron { enabled: false, ..cron(repo.id, "off", 10) }).await.unwrap();
    store.create_cron(&cron(inactive.id, "idle", 10)).await.unwrap();

    let due: Vec<_> = store.due_crons(100, 10).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(due, ["early", "late", "now"]);
    assert_eq!(store.due_crons(100, 2).await.unwrap().len(), 2);
}

pub async fn of_two_concurrent_claims_of_a_due_cron_exactly_one_wins(store: &SqlStore) {
    let repo = create_repo(store, "a/b").await;
    let due = store.create_cron(&cron(repo.id, "nightly", 100)).await.unwrap();
    let (a, b) = tokio::join!(store.claim_cron(due.id, 100, 200), store.claim_cron(due.id, 100, 200));
    assert!(a.unwrap() ^ b.unwrap(), "exactly one claim must win");
    assert_eq!(store.get_cron(repo.id, due.id).await.unwrap().next_exec, 200);
    assert!(!store.claim_cron(due.id, 100, 300).await.unwrap(), "a stale claim loses");
}
