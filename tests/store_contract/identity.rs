//! Users, orgs and permissions.

use nuthatch::adapters::sql::SqlStore;
use nuthatch::domain::org::Org;
use nuthatch::domain::perm::Perm;
use nuthatch::domain::repo::Repo;
use nuthatch::domain::user::User;
use nuthatch::ports::store::{OrgStore, Page, PermStore, RepoStore, StoreError, UserStore};

use crate::store_contract::fixtures::{create_repo, create_user};

pub async fn users_round_trip_and_logins_are_unique_per_forge(store: &SqlStore) {
    let user = User {
        forge_id: 1,
        forge_remote_id: "42".into(),
        login: "octocat".into(),
        email: "o@example.com".into(),
        avatar_url: "https://a/o.png".into(),
        admin: true,
        org_id: 7,
        access_token: "at".into(),
        refresh_token: "rt".into(),
        expiry: 1_700_000_000,
        hash: "h".into(),
        ..User::default()
    };
    let created = store.create_user(&user).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(store.get_user(created.id).await.unwrap(), created);
    assert_eq!(store.find_user_by_login(1, "octocat").await.unwrap(), created);

    assert!(matches!(store.create_user(&user).await, Err(StoreError::Conflict(_))));
    store.create_user(&User { forge_id: 2, ..user.clone() }).await.unwrap();

    let renamed = User { login: "octo".into(), admin: false, ..created.clone() };
    store.update_user(&renamed).await.unwrap();
    assert_eq!(store.get_user(created.id).await.unwrap(), renamed);

    store.delete_user(created.id).await.unwrap();
    assert!(matches!(store.get_user(created.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete_user(created.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.update_user(&renamed).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.find_user_by_login(1, "nobody").await, Err(StoreError::NotFound(_))));
}

pub async fn users_are_listed_by_login_fifty_per_page_at_most(store: &SqlStore) {
    for n in (0..55).rev() {
        create_user(store, &format!("user{n:02}")).await;
    }
    let first = store.list_users(Page::new(1, 100)).await.unwrap();
    assert_eq!(first.len(), 50);
    let logins: Vec<_> = first.iter().map(|u| u.login.clone()).collect();
    assert_eq!(logins, (0..50).map(|n| format!("user{n:02}")).collect::<Vec<_>>());
    let second = store.list_users(Page::new(2, 50)).await.unwrap();
    assert_eq!(
        second.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
        ["user50", "user51", "user52", "user53", "user54"]
    );
    let small = store.list_users(Page::new(0, 3)).await.unwrap();
    assert_eq!(small.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(), ["user00", "user01", "user02"]);
    assert!(store.list_users(Page::new(3, 50)).await.unwrap().is_empty());
}

pub async fn orgs_are_unique_per_forge_ignoring_case_and_listed_by_id(store: &SqlStore) {
    let acme = store.create_org(&Org { forge_id: 1, name: "Acme".into(), ..Org::default() }).await.unwrap();
    let zeta = store
        .create_org(&Org { forge_id: 1, name: "zeta".into(), is_user: true, ..Org::default() })
        .await
        .unwrap();
    assert_eq!(store.find_org_by_name(1, "ACME").await.unwrap(), acme);
    assert!(matches!(store.find_org_by_name(2, "acme").await, Err(StoreError::NotFound(_))));
    let clash = store.create_org(&Org { forge_id: 1, name: "acme".into(), ..Org::default() }).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))));

    let ids: Vec<_> = store.list_orgs(Page::default()).await.unwrap().into_iter().map(|o| o.id).collect();
    assert_eq!(ids, [acme.id, zeta.id]);

    let private = Org { private: true, name: "Acme-Corp".into(), ..acme.clone() };
    store.update_org(&private).await.unwrap();
    assert_eq!(store.get_org(acme.id).await.unwrap(), private);
    store.delete_org(acme.id).await.unwrap();
    assert!(matches!(store.get_org(acme.id).await, Err(StoreError::NotFound(_))));
}

pub async fn perms_are_replaced_and_list_the_users_writable_repos_by_full_name(store: &SqlStore) {
    let user = create_user(store, "dev").await;
    let beta = create_repo(store, "team/beta").await;
    let alpha = create_repo(store, "team/alpha").await;
    let hidden = create_repo(store, "team/hidden").await;
    let readonly = create_repo(store, "team/readonly").await;
    let archived = create_repo(store, "team/archived").await;
    store.update_repo(&Repo { active: false, ..archived.clone() }).await.unwrap();

    let pull = Perm { user_id: user.id, repo_id: beta.id, pull: true, synced: 1, ..Perm::default() };
    store.set_perm(&pull).await.unwrap();
    let admin = Perm { admin: true, push: true, synced: 2, ..pull };
    store.set_perm(&admin).await.unwrap();
    assert_eq!(store.get_perm(user.id, beta.id).await.unwrap(), admin);

    store
        .set_perm(&Perm { user_id: user.id, repo_id: alpha.id, push: true, ..Perm::default() })
        .await
        .unwrap();
    store.set_perm(&Perm { user_id: user.id, repo_id: hidden.id, ..Perm::default() }).await.unwrap();
    store
        .set_perm(&Perm { user_id: user.id, repo_id: readonly.id, pull: true, ..Perm::default() })
        .await
        .unwrap();
    store
        .set_perm(&Perm { user_id: user.id, repo_id: archived.id, push: true, ..Perm::default() })
        .await
        .unwrap();
    let names = |listed: &[(Repo, Perm)]| listed.iter().map(|(r, _)| r.full_name.clone()).collect::<Vec<_>>();
    let active = store.list_writable_repos(user.id, false).await.unwrap();
    assert_eq!(names(&active), ["team/alpha", "team/beta"]);
    assert_eq!(active[1].1, admin);
    let all = store.list_writable_repos(user.id, true).await.unwrap();
    assert_eq!(names(&all), ["team/alpha", "team/archived", "team/beta"]);

    let (repo, perm) = store.get_repo_with_perm(beta.id, user.id).await.unwrap();
    assert_eq!((repo.full_name.as_str(), perm), ("team/beta", Some(admin)));
    let stranger = create_user(store, "stranger").await;
    let (repo, perm) = store.get_repo_with_perm(alpha.id, stranger.id).await.unwrap();
    assert_eq!((repo.id, perm), (alpha.id, None));
    assert!(matches!(store.get_repo_with_perm(999_999, user.id).await, Err(StoreError::NotFound(_))));

    assert!(matches!(store.get_perm(user.id, 999_999).await, Err(StoreError::NotFound(_))));
    let orphan = Perm { user_id: user.id, repo_id: 999_999, pull: true, ..Perm::default() };
    assert!(matches!(store.set_perm(&orphan).await, Err(StoreError::NotFound(_))));
}
