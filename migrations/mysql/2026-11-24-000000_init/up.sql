-- Nuthatch schema for MySQL/MariaDB; the same tables as the sqlite and postgres migrations (see
-- src/adapters/sql/schema.rs). utf8mb4_bin so that text compares as on the other backends;
-- VARCHAR(255) where indexed, MEDIUMTEXT/LONGBLOB where large.

CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    forge_id BIGINT NOT NULL,
    forge_remote_id VARCHAR(255) NOT NULL,
    login VARCHAR(255) NOT NULL,
    email TEXT NOT NULL,
    avatar_url TEXT NOT NULL,
    admin BOOLEAN NOT NULL,
    org_id BIGINT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expiry BIGINT NOT NULL,
    hash TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_users_forge_id_login ON users (forge_id, login);

CREATE TABLE orgs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    forge_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    name_lower VARCHAR(255) NOT NULL,
    is_user BOOLEAN NOT NULL,
    private BOOLEAN NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_orgs_forge_id_name_lower ON orgs (forge_id, name_lower);

CREATE TABLE repos (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    forge_id BIGINT NOT NULL,
    forge_remote_id VARCHAR(255) NOT NULL,
    org_id BIGINT NOT NULL,
    owner VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    full_name_lower VARCHAR(255) NOT NULL,
    avatar_url TEXT NOT NULL,
    forge_url TEXT NOT NULL,
    clone_url TEXT NOT NULL,
    clone_url_ssh TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    pr_enabled BOOLEAN NOT NULL,
    timeout BIGINT NOT NULL,
    visibility VARCHAR(255) NOT NULL,
    private BOOLEAN NOT NULL,
    trusted TEXT NOT NULL,
    require_approval VARCHAR(255) NOT NULL,
    approval_allowed_users TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    allow_pr BOOLEAN NOT NULL,
    allow_deploy BOOLEAN NOT NULL,
    config_file TEXT NOT NULL,
    cancel_previous_pipeline_events TEXT NOT NULL,
    netrc_trusted TEXT NOT NULL,
    extensions TEXT NOT NULL,
    hash TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_repos_full_name_lower ON repos (full_name_lower);
CREATE INDEX ix_repos_forge_id_forge_remote_id ON repos (forge_id, forge_remote_id);
CREATE INDEX ix_repos_org_id ON repos (org_id);

CREATE TABLE redirections (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    full_name_lower VARCHAR(255) NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
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
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_perms_repo_id ON perms (repo_id);

CREATE TABLE pipelines (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    author VARCHAR(255) NOT NULL,
    parent BIGINT NOT NULL,
    event VARCHAR(255) NOT NULL,
    status VARCHAR(255) NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    deploy_to TEXT NOT NULL,
    deploy_task TEXT NOT NULL,
    `commit` VARCHAR(255) NOT NULL,
    branch VARCHAR(255) NOT NULL,
    git_ref VARCHAR(255) NOT NULL,
    refspec TEXT NOT NULL,
    title TEXT NOT NULL,
    message MEDIUMTEXT NOT NULL,
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
    meta MEDIUMTEXT NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_pipelines_repo_id_number ON pipelines (repo_id, number);
CREATE INDEX ix_pipelines_repo_id_branch ON pipelines (repo_id, branch);

CREATE TABLE workflows (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    pipeline_id BIGINT NOT NULL,
    pid INT NOT NULL,
    name TEXT NOT NULL,
    state VARCHAR(255) NOT NULL,
    error TEXT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    agent_id BIGINT NOT NULL,
    platform TEXT NOT NULL,
    environ TEXT NOT NULL,
    axis_id INT NOT NULL,
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_workflows_pipeline_id_pid ON workflows (pipeline_id, pid);

CREATE TABLE steps (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uuid VARCHAR(255) NOT NULL,
    pipeline_id BIGINT NOT NULL,
    pid INT NOT NULL,
    ppid INT NOT NULL,
    name TEXT NOT NULL,
    state VARCHAR(255) NOT NULL,
    error TEXT NOT NULL,
    failure VARCHAR(255) NOT NULL,
    exit_code INT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT NOT NULL,
    step_type VARCHAR(255) NOT NULL,
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_steps_uuid ON steps (uuid);
CREATE UNIQUE INDEX ux_steps_pipeline_id_pid ON steps (pipeline_id, pid);

CREATE TABLE log_entries (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    step_id BIGINT NOT NULL,
    time BIGINT NOT NULL,
    line INT NOT NULL,
    data LONGBLOB NOT NULL,
    entry_type INT NOT NULL,
    created BIGINT NOT NULL,
    FOREIGN KEY (step_id) REFERENCES steps (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_log_entries_step_id_line ON log_entries (step_id, line);

CREATE TABLE configs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    repo_id BIGINT NOT NULL,
    hash VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    data LONGBLOB NOT NULL,
    FOREIGN KEY (repo_id) REFERENCES repos (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_configs_repo_id_hash_name ON configs (repo_id, hash, name);

CREATE TABLE pipeline_configs (
    pipeline_id BIGINT NOT NULL,
    config_id BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, config_id),
    FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE CASCADE,
    FOREIGN KEY (config_id) REFERENCES configs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_pipeline_configs_config_id ON pipeline_configs (config_id);

CREATE TABLE agents (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    name TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    token VARCHAR(255) NOT NULL,
    last_contact BIGINT NOT NULL,
    last_work BIGINT NOT NULL,
    platform TEXT NOT NULL,
    backend TEXT NOT NULL,
    capacity INT NOT NULL,
    version TEXT NOT NULL,
    no_schedule BOOLEAN NOT NULL,
    custom_labels TEXT NOT NULL,
    org_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_agents_token ON agents (token);
CREATE INDEX ix_agents_org_id ON agents (org_id);

CREATE TABLE tasks (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    pid INT NOT NULL,
    name TEXT NOT NULL,
    data LONGBLOB NOT NULL,
    labels TEXT NOT NULL,
    dependencies TEXT NOT NULL,
    run_on TEXT NOT NULL,
    dep_status TEXT NOT NULL,
    agent_id BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    concurrency_limit INT NOT NULL,
    concurrency_group TEXT NOT NULL,
    created BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_tasks_repo_id ON tasks (repo_id);

CREATE TABLE secrets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    value MEDIUMTEXT NOT NULL,
    images TEXT NOT NULL,
    events TEXT NOT NULL,
    note TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_secrets_org_id_repo_id_name ON secrets (org_id, repo_id, name);

CREATE TABLE registries (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    org_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    address VARCHAR(255) NOT NULL,
    username TEXT NOT NULL,
    password MEDIUMTEXT NOT NULL,
    readonly BOOLEAN NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_registries_org_id_repo_id_address ON registries (org_id, repo_id, address);

CREATE TABLE crons (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
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
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX ux_crons_repo_id_name ON crons (repo_id, name);
CREATE INDEX ix_crons_next_exec ON crons (next_exec);

CREATE TABLE forges (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    forge_type VARCHAR(255) NOT NULL,
    url TEXT NOT NULL,
    client TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    skip_verify BOOLEAN NOT NULL,
    oauth_host TEXT NOT NULL,
    orgs TEXT NOT NULL,
    additional_options TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE server_settings (
    `key` VARCHAR(255) NOT NULL PRIMARY KEY,
    value MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
