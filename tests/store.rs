//! The store contract run against every SQL backend: `sqlite::<behaviour>`,
//! `postgres::<behaviour>` and `mysql::<behaviour>`, each on a fresh database. PostgreSQL and
//! MariaDB come from `NUTHATCH_TEST_POSTGRES` / `NUTHATCH_TEST_MYSQL` (defaults: local servers);
//! when they cannot be reached the tests fail.

#[path = "store_contract/mod.rs"]
mod store_contract;

use store_contract::db::TestDb;

/// One test per behaviour for one backend.
macro_rules! backend {
    ($backend:ident; $($area:ident :: $behaviour:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let db = TestDb::$backend().await;
                    store_contract::$area::$behaviour(db.store()).await;
                }
            )*
        }
    };
}

/// Every behaviour, for every backend.
macro_rules! contract {
    ($($area:ident :: $behaviour:ident),* $(,)?) => {
        backend!(sqlite; $($area::$behaviour),*);
        backend!(postgres; $($area::$behaviour),*);
        backend!(mysql; $($area::$behaviour),*);
    };
}

contract!(
    identity::users_round_trip_and_logins_are_unique_per_forge,
    identity::users_are_listed_by_login_fifty_per_page_at_most,
    identity::orgs_are_unique_per_forge_ignoring_case_and_listed_by_id,
    identity::perms_are_replaced_and_list_the_users_writable_repos_by_full_name,
    repo::repos_round_trip_every_field,
    repo::repos_are_found_by_full_name_ignoring_case_and_through_redirections,
    repo::full_names_are_unique_ignoring_case,
    repo::repos_are_listed_by_full_name,
    repo::missing_repos_are_not_found,
    repo::deleting_a_repo_removes_everything_it_owns,
    pipeline::pipeline_numbers_are_atomic,
    pipeline::creating_a_pipeline_in_a_missing_repo_is_not_found,
    pipeline::pipelines_round_trip_every_field,
    pipeline::the_store_stamps_created_when_it_is_missing,
    pipeline::pipelines_are_listed_newest_first_and_filtered,
    pipeline::latest_is_the_highest_push_on_the_branch,
    pipeline::a_repo_list_gets_each_repos_newest_pipeline_and_their_recent_ones_in_one_call,
    pipeline::deleting_the_newest_pipeline_frees_its_number_and_orphan_configs,
    pipeline::logs_expire_for_pipelines_finished_before_the_retention_days,
    pipeline::logs_expire_beyond_the_newest_pipelines_of_each_repo,
    workflow::workflow_trees_round_trip_and_steps_are_found_by_uuid,
    workflow::a_duplicate_step_uuid_stores_nothing,
    workflow::logs_are_appended_in_batches_and_listed_by_line,
    workflow::configs_are_stored_once_per_repo,
    resources::secrets_are_unique_by_name_within_their_scope,
    resources::secrets_round_trip_and_are_listed_by_name,
    resources::registries_are_unique_by_address_within_their_scope_and_listed_by_id,
    resources::crons_are_unique_per_repo_and_listed_by_name,
    resources::due_crons_are_enabled_past_their_time_in_active_repos,
    resources::of_two_concurrent_claims_of_a_due_cron_exactly_one_wins,
    server::the_store_answers_pings,
    server::agents_have_unique_tokens_and_are_listed_by_id,
    server::tasks_are_kept_until_deleted,
    server::forges_round_trip,
    server::server_settings_are_upserted,
    server::settings_are_added_once_and_the_first_value_wins,
);

/// Behaviours that read the database past the store or open more stores on it: they take the
/// whole test database, for every backend.
macro_rules! database_contract {
    ($($area:ident :: $behaviour:ident),* $(,)?) => {
        mod whole_database {
            use super::*;
            database_contract!(@backend sqlite; $($area::$behaviour),*);
            database_contract!(@backend postgres; $($area::$behaviour),*);
            database_contract!(@backend mysql; $($area::$behaviour),*);
        }
    };
    (@backend $backend:ident; $($area:ident :: $behaviour:ident),*) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let db = TestDb::$backend().await;
                    store_contract::$area::$behaviour(&db).await;
                }
            )*
        }
    };
}

database_contract!(
    sealing::sealed_credentials_never_reach_the_table_in_plaintext,
    sealing::enabling_encrypts_existing_credentials_and_disabling_decrypts_them,
    sealing::a_wrong_or_missing_key_is_refused_and_changes_nothing,
    sealing::servers_starting_together_seal_each_credential_once,
);

/// Connection failures name the driver, the target and the cause on one line.
mod connection {
    use nuthatch::adapters::sql::{Driver, SqlStore};
    use nuthatch::ports::store::{HealthStore, SettingStore, StoreError};

    async fn unavailable(driver: Driver, datasource: &str) -> String {
        match SqlStore::connect(driver, datasource, 2).await {
            Err(e @ StoreError::Unavailable { .. }) => e.to_string(),
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_postgres_is_unavailable() {
        let message = unavailable(Driver::Postgres, "postgres://postgres@127.0.0.1:5999/test").await;
        assert_eq!(message, "postgres: cannot connect to 127.0.0.1:5999: Connection refused");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_mysql_is_unavailable() {
        let message = unavailable(Driver::Mysql, "root@tcp(127.0.0.1:5998)/test").await;
        assert_eq!(message, "mysql: cannot connect to 127.0.0.1:5998: Connection refused");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_database_is_unavailable_with_the_servers_reason() {
        for (driver, datasource) in [
            (Driver::Postgres, "postgres://postgres@127.0.0.1:5432/nuthatch_missing"),
            (Driver::Mysql, "mysql://root@127.0.0.1:3306/nuthatch_missing"),
        ] {
            let message = unavailable(driver, datasource).await;
            assert!(message.contains("nuthatch_missing"), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sqlite_file_in_a_missing_directory_is_unavailable() {
        let message = unavailable(Driver::Sqlite, "/nonexistent-dir/nuthatch.sqlite").await;
        assert_eq!(
            message,
            "sqlite3: cannot open /nonexistent-dir/nuthatch.sqlite: directory /nonexistent-dir does not exist"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_in_memory_sqlite_is_migrated_through_its_one_connection() {
        let store = SqlStore::connect(Driver::Sqlite, ":memory:", 8).await.unwrap();
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        store.set_setting("k", "v").await.unwrap();
        assert_eq!(store.get_setting("k").await.unwrap(), "v");
        store.ping().await.unwrap();
    }
}

/// Upstream's datasource formats reach the real servers.
mod datasource {
    use nuthatch::adapters::sql::{Driver, SqlStore};
    use nuthatch::ports::store::HealthStore;

    async fn reaches(driver: Driver, datasource: &str) {
        let store = SqlStore::connect(driver, datasource, 1).await.unwrap();
        store.ping().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_libpq_dsn_reaches_postgres() {
        reaches(Driver::Postgres, "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_go_dsn_reaches_mysql() {
        reaches(Driver::Mysql, "root@tcp(127.0.0.1:3306)/test?parseTime=true&charset=utf8mb4").await;
    }
}
