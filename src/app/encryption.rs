//! Encryption of credentials at rest, decided once at start-up (upstream's design, which it
//! never wired: its engine notes §7.5). Secret values and registry passwords are sealed with
//! AES-256-GCM under a key derived from `WOODPECKER_ENCRYPTION_KEY`, each bound to its row id.
//!
//! The server setting [`KEY_CHECK_SETTING`] says whether the stored credentials are sealed,
//! and with which key: it holds the key's fingerprint sealed under [`KEY_CHECK_ASSOCIATED_DATA`].
//! So a wrong key stops the server before it serves anything, instead of failing every read:
//!
//! | key | setting | disable | what happens |
//! |---|---|---|---|
//! | – | – | any | plaintext, as before |
//! | – | set | any | start-up fails: the key is needed |
//! | set | – | no | every credential is sealed and the setting written, in one transaction |
//! | set | set | no | the key is checked; credentials are opened on read |
//! | set | set | yes | the key is checked; every credential is opened back to plaintext and the setting deleted |
//! | set | – | yes | nothing to decrypt: plaintext |

use std::sync::Arc;

use anyhow::{Context, bail};

use crate::ports::cipher::SecretCipher;
use crate::ports::store::{CredentialSealing, Reseal, SettingStore, StoreError};

/// The server setting holding the key check value (upstream's name).
pub const KEY_CHECK_SETTING: &str = "encryption-ciphertext-sample";

/// Associated data of the key check value (upstream's).
pub const KEY_CHECK_ASSOCIATED_DATA: &str = "Primary key id";

/// Brings the stored credentials in line with the configured `cipher` (`None`: no key set) and
/// `disable` flag, and returns the cipher the store must seal and open credentials with from
/// now on (`None`: plaintext).
///
/// # Errors
/// When the credentials are sealed but no key is set, when the key is not the one they were
/// sealed with, or when the store fails (nothing is changed then).
pub async fn start<S>(
    store: &S,
    cipher: Option<Arc<dyn SecretCipher>>,
    disable: bool,
) -> anyhow::Result<Option<Arc<dyn SecretCipher>>>
where
    S: CredentialSealing + SettingStore + ?Sized,
{
    // Another server starting at the same moment may change the setting between our read and
    // our rewrite; the store then refuses the rewrite and we decide again from what it did.
    let mut attempts = 1;
    loop {
        match settle(store, cipher.clone(), disable).await {
            Err(e) if attempts < 3 && matches!(e.downcast_ref(), Some(StoreError::Conflict(_))) => {
                attempts += 1;
            }
            outcome => return outcome,
        }
    }
}

/// One decision of [`start`], from the key check setting as it is now.
async fn settle<S>(
    store: &S,
    cipher: Option<Arc<dyn SecretCipher>>,
    disable: bool,
) -> anyhow::Result<Option<Arc<dyn SecretCipher>>>
where
    S: CredentialSealing + SettingStore + ?Sized,
{
    let check = match store.get_setting(KEY_CHECK_SETTING).await {
        Ok(check) => Some(check),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e).context("cannot read the encryption key check from the database"),
    };
    match (cipher, check) {
        (None, None) => Ok(None),
        (None, Some(_)) => bail!(
            "the secrets in the database are encrypted, but WOODPECKER_ENCRYPTION_KEY is not set: set it \
             (or WOODPECKER_ENCRYPTION_KEY_FILE), with WOODPECKER_ENCRYPTION_DISABLE=true to decrypt them for good"
        ),
        (Some(_), None) if disable => Ok(None),
        (Some(cipher), None) => {
            let key_check = cipher
                .seal(&cipher.key_id(), KEY_CHECK_ASSOCIATED_DATA)
                .context("cannot encrypt the key check value")?;
            let reseal = Reseal {
                from: None,
                to: Some(cipher.as_ref()),
                key_check_setting: KEY_CHECK_SETTING,
                expected_check: None,
                key_check: Some(key_check),
            };
            let count =
                store.reseal_credentials(reseal).await.context("cannot encrypt the stored secrets")?;
            tracing::warn!(
                count,
                "encryption of secrets enabled: every stored secret value is now encrypted"
            );
            Ok(Some(cipher))
        }
        (Some(cipher), Some(check)) => {
            verify(cipher.as_ref(), &check)?;
            if !disable {
                return Ok(Some(cipher));
            }
            let reseal = Reseal {
                from: Some(cipher.as_ref()),
                to: None,
                key_check_setting: KEY_CHECK_SETTING,
                expected_check: Some(&check),
                key_check: None,
            };
            let count =
                store.reseal_credentials(reseal).await.context("cannot decrypt the stored secrets")?;
            tracing::warn!(count, "encryption of secrets disabled: every stored secret value is decrypted");
            Ok(None)
        }
    }
}

/// Checks that `check` is this key's fingerprint sealed with this key.
fn verify(cipher: &dyn SecretCipher, check: &str) -> anyhow::Result<()> {
    match cipher.open(check, KEY_CHECK_ASSOCIATED_DATA) {
        Ok(key_id) if key_id == cipher.key_id() => Ok(()),
        _ => bail!(
            "WOODPECKER_ENCRYPTION_KEY is not the key the secrets in the database were encrypted with \
             (the key check value `{KEY_CHECK_SETTING}` does not match)"
        ),
    }
}
