//! The `nuthatch` command line: one binary, one subcommand per role.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::adapters::forge::local::hook_client;
use crate::app::agent::config::{AgentConfig, Launch};
use crate::app::bootstrap::AdminCredentials;
use crate::app::config::{DatabaseConfig, LogConfig, ServerConfig};
use crate::app::{lint, local_repo, ping, server, store, telemetry};

pub use crate::app::local_repo::LocalRepoArgs;

/// A CI server that speaks Woodpecker CI's API, agent protocol and pipeline YAML.
#[derive(Debug, Parser)]
#[command(name = "nuthatch", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the CI server.
    Server(Box<ServerConfig>),
    /// Run an agent: take workflows from a server and run their steps.
    Agent(Box<AgentConfig>),
    /// Create a repository of the built-in local forge (prints its id for activation).
    LocalRepo(LocalRepoArgs),
    /// Bring the database schema up to date and exit.
    Migrate(MigrateArgs),
    /// Check that a server on this machine is healthy (exit 0) or not (exit 1).
    Ping(PingArgs),
    /// Lint pipeline files (default: `.woodpecker/` or `.woodpecker.y[a]ml` here); exit 1 on
    /// any error.
    Lint(LintArgs),
    /// Notify the server of a push (run by the local forge's git post-receive hook; reads git's
    /// `<old> <new> <ref>` lines on stdin).
    #[command(hide = true)]
    LocalHook(LocalHookArgs),
}

/// Arguments of `nuthatch lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint.
    pub paths: Vec<std::path::PathBuf>,
}

/// Settings of `nuthatch local-hook`.
#[derive(Debug, Args)]
pub struct LocalHookArgs {
    /// The hook URL the forge registered, with its token.
    #[arg(long)]
    pub url: String,
}

/// Settings of `nuthatch ping`.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// The server's listen address (`unix:///path` for its unix socket).
    #[arg(long, env = "WOODPECKER_SERVER_ADDR", default_value = ":8000")]
    pub server_addr: String,
}

/// Settings of `nuthatch migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Database settings.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Logging settings.
    #[command(flatten)]
    pub log: LogConfig,
}

impl Cli {
    /// Runs the chosen subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Server(config) => {
                telemetry::init(&config.log);
                let app = server::Application::build(&config).await?;
                if let Some(admin) = app.first_admin() {
                    announce_first_admin(admin);
                }
                app.run_until_stopped(server::shutdown_signal()).await
            }
            Command::Agent(config) => {
                telemetry::init(&config.log);
                Launch::from_config(&config).await?.run(server::shutdown_signal()).await
            }
            Command::LocalRepo(args) => local_repo::create(&args).await,
            Command::Migrate(args) => {
                telemetry::init(&args.log);
                store::open(&args.database).await?;
                tracing::info!("database schema is up to date");
                Ok(())
            }
            Command::Ping(args) => ping::ping(&args.server_addr, Duration::from_secs(5)).await,
            Command::Lint(args) => match lint::run(&args.paths) {
                0 => Ok(()),
                _ => Err(anyhow::anyhow!("the pipeline configuration has errors")),
            },
            Command::LocalHook(args) => {
                let mut input = String::new();
                tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::stdin(), &mut input).await?;
                hook_client::notify_post_receive(&args.url, &input).await
            }
        }
    }
}

/// Prints the first admin's credentials once, like an initial admin password.
fn announce_first_admin(admin: &AdminCredentials) {
    eprintln!(
        "\nCreated the first admin. These credentials are shown once and kept in {} (mode 0600):\n  \
         login:    {}\n  password: {}\n  token:    {}\n",
        admin.file.display(),
        admin.login,
        admin.password,
        admin.token
    );
}
