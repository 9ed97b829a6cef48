//! The one diesel schema of every backend. Only portable column types (BigInt, Integer, Text,
//! Bool, Binary); lists and maps are JSON text, timestamps unix seconds. The migrations under
//! `migrations/{sqlite,postgres,mysql}` create exactly these tables.

diesel::table! {
    users (id) {
        id -> BigInt,
        forge_id -> BigInt,
        forge_remote_id -> Text,
        login -> Text,
        email -> Text,
        avatar_url -> Text,
        admin -> Bool,
        org_id -> BigInt,
        access_token -> Text,
        refresh_token -> Text,
        expiry -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    orgs (id) {
        id -> BigInt,
        forge_id -> BigInt,
        name -> Text,
        name_lower -> Text,
        is_user -> Bool,
        private -> Bool,
    }
}

diesel::table! {
    repos (id) {
        id -> BigInt,
        user_id -> BigInt,
        forge_id -> BigInt,
        forge_remote_id -> Text,
        org_id -> BigInt,
        owner -> Text,
        name -> Text,
        full_name -> Text,
        full_name_lower -> Text,
        avatar_url -> Text,
        forge_url -> Text,
        clone_url -> Text,
        clone_url_ssh -> Text,
        default_branch -> Text,
        pr_enabled -> Bool,
        timeout -> BigInt,
        visibility -> Text,
        private -> Bool,
        trusted -> Text,
        require_approval -> Text,
        approval_allowed_users -> Text,
        active -> Bool,
        allow_pr -> Bool,
        allow_deploy -> Bool,
        config_file -> Text,
        cancel_previous_pipeline_events -> Text,
        netrc_trusted -> Text,
        extensions -> Text,
        hash -> Text,
    }
}

diesel::table! {
    redirections (id) {
        id -> BigInt,
        repo_id -> BigInt,
        full_name -> Text,
        full_name_lower -> Text,
    }
}

diesel::table! {
    perms (user_id, repo_id) {
        user_id -> BigInt,
        repo_id -> BigInt,
        pull -> Bool,
        push -> Bool,
        admin -> Bool,
        synced -> BigInt,
        created -> BigInt,
        updated -> BigInt,
    }
}

diesel::table! {
    pipelines (id) {
        id -> BigInt,
        repo_id -> BigInt,
        number -> BigInt,
        author -> Text,
        parent -> BigInt,
        event -> Text,
        status -> Text,
        created -> BigInt,
        updated -> BigInt,
        started -> BigInt,
        finished -> BigInt,
        deploy_to -> Text,
        deploy_task -> Text,
        commit -> Text,
        branch -> Text,
        git_ref -> Text,
        refspec -> Text,
        title -> Text,
        message -> Text,
        timestamp -> BigInt,
        sender -> Text,
        author_avatar -> Text,
        author_email -> Text,
        forge_url -> Text,
        reviewed_by -> Text,
        reviewed -> BigInt,
        rerun_count -> BigInt,
        cron -> Text,
        version -> Text,
        meta -> Text,
        logs_expired -> BigInt,
    }
}

diesel::table! {
    workflows (id) {
        id -> BigInt,
        pipeline_id -> BigInt,
        pid -> Integer,
        name -> Text,
        state -> Text,
        error -> Text,
        started -> BigInt,
        finished -> BigInt,
        agent_id -> BigInt,
        platform -> Text,
        environ -> Text,
        axis_id -> Integer,
    }
}

diesel::table! {
    steps (id) {
        id -> BigInt,
        uuid -> Text,
        pipeline_id -> BigInt,
        pid -> Integer,
        ppid -> Integer,
        name -> Text,
        state -> Text,
        error -> Text,
        failure -> Text,
        exit_code -> Integer,
        started -> BigInt,
        finished -> BigInt,
        step_type -> Text,
    }
}

diesel::table! {
    log_entries (id) {
        id -> BigInt,
        step_id -> BigInt,
        time -> BigInt,
        line -> Integer,
        data -> Binary,
        entry_type -> Integer,
        created -> BigInt,
    }
}

diesel::table! {
    configs (id) {
        id -> BigInt,
        repo_id -> BigInt,
        hash -> Text,
        name -> Text,
        data -> Binary,
    }
}

diesel::table! {
    pipeline_configs (pipeline_id, config_id) {
        pipeline_id -> BigInt,
        config_id -> BigInt,
    }
}

diesel::table! {
    agents (id) {
        id -> BigInt,
        created -> BigInt,
        updated -> BigInt,
        name -> Text,
        owner_id -> BigInt,
        token -> Text,
        last_contact -> BigInt,
        last_work -> BigInt,
        platform -> Text,
        backend -> Text,
        capacity -> Integer,
        version -> Text,
        no_schedule -> Bool,
        custom_labels -> Text,
        org_id -> BigInt,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        pid -> Integer,
        name -> Text,
        data -> Binary,
        labels -> Text,
        dependencies -> Text,
        run_on -> Text,
        dep_status -> Text,
        agent_id -> BigInt,
        pipeline_id -> BigInt,
        repo_id -> BigInt,
        concurrency_limit -> Integer,
        concurrency_group -> Text,
        created -> BigInt,
        seq -> BigInt,
        state -> Text,
        status -> Text,
        deadline -> BigInt,
        ended -> BigInt,
    }
}

diesel::table! {
    secrets (id) {
        id -> BigInt,
        org_id -> BigInt,
        repo_id -> BigInt,
        name -> Text,
        value -> Text,
        images -> Text,
        events -> Text,
        note -> Text,
    }
}

diesel::table! {
    registries (id) {
        id -> BigInt,
        org_id -> BigInt,
        repo_id -> BigInt,
        address -> Text,
        username -> Text,
        password -> Text,
        readonly -> Bool,
    }
}

diesel::table! {
    crons (id) {
        id -> BigInt,
        name -> Text,
        repo_id -> BigInt,
        creator_id -> BigInt,
        next_exec -> BigInt,
        schedule -> Text,
        timezone -> Text,
        created -> BigInt,
        branch -> Text,
        enabled -> Bool,
        variables -> Text,
    }
}

diesel::table! {
    forges (id) {
        id -> BigInt,
        forge_type -> Text,
        url -> Text,
        client -> Text,
        client_secret -> Text,
        skip_verify -> Bool,
        oauth_host -> Text,
        orgs -> Text,
        additional_options -> Text,
    }
}

diesel::table! {
    server_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::joinable!(perms -> repos (repo_id));
diesel::joinable!(crons -> repos (repo_id));
diesel::joinable!(pipeline_configs -> configs (config_id));

diesel::allow_tables_to_appear_in_same_query!(perms, repos, redirections, crons, pipeline_configs, configs);
