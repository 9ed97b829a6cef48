//! The queue contract run against every backend: `<backend>::<behaviour>`, each on a fresh
//! queue (the SQL ones on a fresh database, see `tests/store.rs` for their servers).

#[path = "store_contract/db.rs"]
mod db;
#[path = "queue_contract/mod.rs"]
mod queue_contract;

/// One test per behaviour for the backend that `$open` (an async fn returning a
/// [`queue_contract::Backend`]) opens.
macro_rules! backend {
    ($backend:ident = $open:path; $($area:ident :: $behaviour:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let backend = $open().await;
                    super::queue_contract::$area::$behaviour(&backend).await;
                }
            )*
        }
    };
}

/// Every behaviour, for every backend.
macro_rules! contract {
    ($($area:ident :: $behaviour:ident),* $(,)?) => {
        backend!(memory = crate::queue_contract::memory::backend; $($area::$behaviour),*);
        backend!(journaled = crate::queue_contract::memory::journaled; $($area::$behaviour),*);
        backend!(sqlite = crate::queue_contract::sql::sqlite; $($area::$behaviour),*);
        backend!(postgres = crate::queue_contract::sql::postgres; $($area::$behaviour),*);
        backend!(mysql = crate::queue_contract::sql::mysql; $($area::$behaviour),*);
        backend!(redis = crate::queue_contract::redis::backend; $($area::$behaviour),*);
    };
}

contract!(
    handout::tasks_are_handed_out_in_push_order,
    handout::a_task_goes_to_an_agent_whose_labels_match,
    handout::the_best_scoring_waiting_worker_wins,
    handout::required_agent_labels_must_be_on_the_task,
    handout::a_paused_queue_hands_out_nothing_until_resumed,
    handout::a_kick_ends_the_agents_blocked_polls,
    handout::a_dropped_poll_loses_no_task,
    handout::concurrent_polls_each_get_a_distinct_task,
    deps::a_dependent_waits_for_its_dependencies_and_carries_their_status,
    deps::failures_and_cancels_reach_the_dependents,
    lifecycle::a_pushed_duplicate_is_refused_and_pushes_nothing,
    lifecycle::canceled_tasks_leave_the_queue_and_their_waits_see_it,
    lifecycle::done_ends_waits_and_ignores_unknown_ids,
    lifecycle::extend_renews_only_the_holders_lease,
    lifecycle::an_expired_lease_is_taken_exactly_once,
    lifecycle::racing_handles_take_an_expired_lease_exactly_once,
    lifecycle::info_counts_pending_waiting_and_running_tasks,
);
