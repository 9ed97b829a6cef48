-- Nuthatch schema for PostgreSQL; the same tables as the sqlite and mysql migrations (see
-- src/adapters/sql/schema.rs). Lists and maps are JSON text, timestamps unix seconds.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    forge_id BIGINT NOT NULL,
    forge_remote_id TEXT NOT NULL,
    login TEXT NOT NULL,
    email TEXT NOT NULL,
    avatar_url TEXT NOT NULL,
    admin BOOLEAN NOT NULL,
    org_id BIGINT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expiry BIGINT NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_users_forge_id_login ON users (forge_id, login);

CREATE TABLE orgs (
    id BIGSERIAL PRIMARY KEY,
    forge_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    is_user BOOLEAN NOT NULL,
    private BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX ux_orgs_forge_id_name_lower ON orgs (forge_id, name_lower);

CREATE TABLE repos (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    forge_id BIGINT NOT NULL,
    forge_remote_id TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    full_name_lower TEXT NOT NULL,
    avatar_url TEXT NOT NULL,
    forge_url TEXT NOT NULL,
    clone_url TEXT NOT NULL,
    clone_url_ssh TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    pr_enabled BOOLEAN NOT NULL,
    timeout BIGINT NOT NULL,
    visibility TEXT NOT NULL,
    private BOOLEAN NOT NULL,
    trusted TEXT NOT NULL,
    require_approval TEXT NOT NULL,
    approval_allowed_users TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    allow_pr BOOLEAN NOT NULL,
    allow_deploy BOOLEAN NOT NULL,
    config_file TEXT NOT NULL,
    cancel_previous_pipeline_events TEXT NOT NULL,
    netrc_trusted TEXT NOT NULL,
    extensions TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_repos_full_name_lower ON repos (full_name_lower);
CREATE INDEX ix_repos_forge_id_forge_remote_id ON repos (forge_id, forge_remote_id);
CREATE INDEX ix_repos_org_id ON repos (org_id);

CREATE TABLE redirections (
    id BIGSERIAL PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    full_name TEXT NOT NULL,
    full_name_lower TEXT NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_redirections_full_name_lower ON redirections (full_name_lower);
CREATE INDEX ix_redirections_repo_id ON redirections (repo_id);

CREATE TABLE perms (
    user_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    pull BOOLEAN NOT NULL,
    push BOOLEAN NOT NULL,
    admin BOOLEAN NOT NULL,
    synced BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    PRIMARY KEY (user_id, repo_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
);
CREATE INDEX ix_perms_repo_id ON perms (repo_id);

CREATE TABLE pipelines (
    id BIGSERIAL PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    author TEXT NOT NULL,
    parent BIGINT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    deploy_to TEXT NOT NULL,
    deploy_task TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    branch TEXT NOT NULL,
    git_ref TEXT NOT NULL,
    refspec TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    sender TEXT NOT NULL,
    author_avatar TEXT NOT NULL,
    author_email TEXT NOT NULL,
    forge_url TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    reviewed BIGINT NOT NULL,
    rerun_count BIGINT NOT NULL,
    cron TEXT NOT NULL,
    version TEXT NOT NULL,
    meta TEXT NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_pipelines_repo_id_number ON pipelines (repo_id, number);
CREATE INDEX ix_pipelines_repo_id_branch ON pipelines (repo_id, branch);

CREATE TABLE workflows (
    id BIGSERIAL PRIMARY KEY,
    pipeline_id BIGINT NOT NULL,
    pid INTEGER NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    agent_id BIGINT NOT NULL,
    platform TEXT NOT NULL,
    environ TEXT NOT NULL,
    axis_id INTEGER NOT NULL,
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_workflows_pipeline_id_pid ON workflows (pipeline_id, pid);

CREATE TABLE steps (
    id BIGSERIAL PRIMARY KEY,
    uuid TEXT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    pid INTEGER NOT NULL,
    ppid INTEGER NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL,
    failure TEXT NOT NULL,
    exit_code INTEGER NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    step_type TEXT NOT NULL,
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_steps_uuid ON steps (uuid);
CREATE UNIQUE INDEX ux_steps_pipeline_id_pid ON steps (pipeline_id, pid);

CREATE TABLE log_entries (
    id BIGSERIAL PRIMARY KEY,
    step_id BIGINT NOT NULL,
    time BIGINT NOT NULL,
    line INTEGER NOT NULL,
    data BYTEA NOT NULL,
    entry_type INTEGER NOT NULL,
    created BIGINT NOT NULL,
    FOREIGN KEY (step_id) REFERENCES steps (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_log_entries_step_id_line ON log_entries (step_id, line);

CREATE TABLE configs (
    id BIGSERIAL PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    hash TEXT NOT NULL,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_configs_repo_id_hash_name ON configs (repo_id, hash, name);

CREATE TABLE pipeline_configs (
    pipeline_id BIGINT NOT NULL,
    config_id BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, config_id),
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE,
    FOREIGN KEY (config_id) REFERENCES configs (id) ON DELETE CASCADE
);
CREATE INDEX ix_pipeline_configs_config_id ON pipeline_configs (config_id);

CREATE TABLE agents (
    id BIGSERIAL PRIMARY KEY,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    name TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    token TEXT NOT NULL,
    last_contact BIGINT NOT NULL,
    last_work BIGINT NOT NULL,
    platform TEXT NOT NULL,
    backend TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    version TEXT NOT NULL,
    no_schedule BOOLEAN NOT NULL,
    custom_labels TEXT NOT NULL,
    org_id BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_agents_token ON agents (token);
CREATE INDEX ix_agents_org_id ON agents (org_id);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    labels TEXT NOT NULL,
    dependencies TEXT NOT NULL,
    run_on TEXT NOT NULL,
    dep_status TEXT NOT NULL,
    agent_id BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    concurrency_limit INTEGER NOT NULL,
    concurrency_group TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX ix_tasks_repo_id ON tasks (repo_id);

CREATE TABLE secrets (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    images TEXT NOT NULL,
    events TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_secrets_org_id_repo_id_name ON secrets (org_id, repo_id, name);

CREATE TABLE registries (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    readonly BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX ux_registries_org_id_repo_id_address ON registries (org_id, repo_id, address);

CREATE TABLE crons (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    repo_id BIGINT NOT NULL,
    creator_id BIGINT NOT NULL,
    next_exec BIGINT NOT NULL,
    schedule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created BIGINT NOT NULL,
    branch TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    variables TEXT NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_crons_repo_id_name ON crons (repo_id, name);
CREATE INDEX ix_crons_next_exec ON crons (next_exec);

CREATE TABLE forges (
    id BIGSERIAL PRIMARY KEY,
    forge_type TEXT NOT NULL,
    url TEXT NOT NULL,
    client TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    skip_verify BOOLEAN NOT NULL,
    oauth_host TEXT NOT NULL,
    orgs TEXT NOT NULL,
    additional_options TEXT NOT NULL
);

CREATE TABLE server_settings (
    "key" TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
