//! First-start work: the built-in forge's row in the store, and an admin account when there are
//! no users yet, so a new server can be used without any other setup.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::adapters::forge::local::{AccountError, LocalForge};
use crate::app::identity::{Identity, random_secret};
use crate::domain::forge::{Forge, ForgeType};
use crate::domain::user::User;
use crate::ports::store::{Page, Store};

/// File in the data directory that receives the first admin's credentials.
pub const ADMIN_CREDENTIALS_FILE: &str = "admin-credentials";

/// The store id of the built-in local forge, creating its row on first start.
pub async fn local_forge_id(store: &dyn Store, url: &str) -> anyhow::Result<i64> {
    let forges = store.list_forges().await.context("cannot list forges")?;
    if let Some(forge) = forges.into_iter().find(|f| f.forge_type == ForgeType::Local) {
        return Ok(forge.id);
    }
    let forge = Forge { forge_type: ForgeType::Local, url: url.to_owned(), ..Forge::default() };
    Ok(store.create_forge(&forge).await.context("cannot register the local forge")?.id)
}

/// What the first admin logs in with.
#[derive(Debug, Clone)]
pub struct AdminCredentials {
    /// Login name.
    pub login: String,
    /// Password for the web login form.
    pub password: String,
    /// Personal access token for the API and CLI.
    pub token: String,
    /// Where they were written.
    pub file: PathBuf,
}

/// When the store has no users, creates an admin (named by the first `WOODPECKER_ADMIN` entry,
/// else `admin`) with a random password, and writes login, password and a personal access token
/// to a 0600 file in the data directory. Returns them, so the caller can print them once.
pub async fn first_admin(
    store: &dyn Store,
    forge: &LocalForge,
    identity: &Identity,
    data_dir: &Path,
) -> anyhow::Result<Option<AdminCredentials>> {
    let users = store.list_users(Page::new(1, 1)).await.context("cannot list users")?;
    if !users.is_empty() {
        return Ok(None);
    }
    let login = identity.settings().admins.first().cloned().unwrap_or_else(|| "admin".to_owned());
    let password = random_secret();
    let account = match forge.create_account(&login, "", &password, true).await {
        Ok(account) => account,
        Err(AccountError::Exists(_)) => {
            forge.set_password(&login, &password).await.context("cannot reset the admin password")?;
            forge.verify_login(&login, &password).await.context("cannot read the admin account")?
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot create the admin account")),
    };
    let remote = User {
        login: account.login,
        email: account.email,
        forge_remote_id: account.id.to_string(),
        admin: true,
        ..User::default()
    };
    let user = identity.upsert(remote).await.context("cannot create the admin user")?;
    let token = identity.personal_token(&user);
    let file = data_dir.join(ADMIN_CREDENTIALS_FILE);
    write_private(&file, &format!("login={}\npassword={password}\ntoken={token}\n", user.login))?;
    Ok(Some(AdminCredentials { login: user.login, password, token, file }))
}

/// Writes `text` to a new file readable only by its owner.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}
