//! The server's Ed25519 key for signing requests to extensions (config and secret services).
//!
//! Every server of a cluster must sign with the same key, so the key lives in the store's server
//! settings under [`keys::SIGNATURE_PRIVATE_KEY`], in upstream's format: the hex of Go's 64-byte
//! `ed25519.PrivateKey` (seed followed by public key), so a database taken over from Woodpecker
//! keeps its key. The first server to start creates it; servers starting at the same time agree
//! on one key because only the first insert succeeds and the others re-read it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::domain::setting::keys;
use crate::ports::store::{SettingStore, StoreError};

/// Length of an Ed25519 seed and of a public key.
const KEY_LEN: usize = 32;

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (no unused bits) }, followed by the 32 key bytes.
const SPKI_ED25519_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// Why the key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// Reading or writing the setting failed.
    #[error("cannot store the signing key: {0}")]
    Store(#[from] StoreError),
    /// The stored setting is not a hex Ed25519 private key.
    #[error("the stored signing key is invalid: {0}")]
    Invalid(&'static str),
}

/// The cluster's Ed25519 signing key.
#[derive(Debug)]
pub struct SigningKey {
    pair: Ed25519KeyPair,
    /// Kept beside the pair because ring never hands a seed back, and the store needs it.
    seed: [u8; KEY_LEN],
}

impl SigningKey {
    /// The key kept in the store, created and stored first if there is none yet.
    ///
    /// # Errors
    /// Store failures, and a stored value that is not a valid key.
    pub async fn load_or_create(store: &dyn SettingStore) -> Result<Self, SigningKeyError> {
        match store.get_setting(keys::SIGNATURE_PRIVATE_KEY).await {
            Ok(stored) => return Self::from_hex(&stored),
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let fresh = Self::generate()?;
        match store.add_setting(keys::SIGNATURE_PRIVATE_KEY, &fresh.to_hex()).await {
            Ok(()) => Ok(fresh),
            // Another server stored its key first: use that one.
            Err(StoreError::Conflict(_)) => {
                Self::from_hex(&store.get_setting(keys::SIGNATURE_PRIVATE_KEY).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A new random key.
    fn generate() -> Result<Self, SigningKeyError> {
        let mut seed = [0u8; KEY_LEN];
        SystemRandom::new().fill(&mut seed).map_err(|_| SigningKeyError::Invalid("no random source"))?;
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|_| SigningKeyError::Invalid("seed rejected"))?;
        Ok(Self { pair, seed })
    }

    /// Parses upstream's format: hex of seed ‖ public key (64 bytes).
    fn from_hex(text: &str) -> Result<Self, SigningKeyError> {
        let bytes = decode_hex(text.trim()).ok_or(SigningKeyError::Invalid("not hex"))?;
        if bytes.len() != 2 * KEY_LEN {
            return Err(SigningKeyError::Invalid("not 64 bytes"));
        }
        let (seed, public) = bytes.split_at(KEY_LEN);
        let pair = Ed25519KeyPair::from_seed_and_public_key(seed, public)
            .map_err(|_| SigningKeyError::Invalid("public key does not match the seed"))?;
        let seed = seed.try_into().map_err(|_| SigningKeyError::Invalid("not 64 bytes"))?;
        Ok(Self { pair, seed })
    }

    /// Upstream's stored format (see [`SigningKey::from_hex`]).
    fn to_hex(&self) -> String {
        self.seed.iter().chain(self.public_key()).map(|b| format!("{b:02x}")).collect()
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key as a PEM `PUBLIC KEY` block (PKIX `SubjectPublicKeyInfo`), as upstream's
    /// `/api/signature/public-key` serves it.
    pub fn public_key_pem(&self) -> String {
        let mut der = SPKI_ED25519_PREFIX.to_vec();
        der.extend_from_slice(self.public_key());
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", B64.encode(der))
    }

    /// The 32-byte Ed25519 seed, for signers that build their own key from it.
    pub fn seed(&self) -> &[u8; KEY_LEN] {
        &self.seed
    }

    /// The key pair, for signing.
    pub fn key_pair(&self) -> &Ed25519KeyPair {
        &self.pair
    }
}

/// Bytes of an even-length hex string; `None` for anything else.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_the_pem_is_an_ed25519_spki() {
        let key = SigningKey::generate().unwrap();
        let hex = key.to_hex();
        assert_eq!(hex.len(), 128);
        let again = SigningKey::from_hex(&hex).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let pem = key.public_key_pem();
        let body = pem.lines().nth(1).unwrap();
        let der = B64.decode(body).unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(&der[..12], SPKI_ED25519_PREFIX);
        assert_eq!(&der[12..], key.public_key());
    }

    #[test]
    fn malformed_stored_keys_are_refused() {
        let key = SigningKey::generate().unwrap().to_hex();
        let other = SigningKey::generate().unwrap().to_hex();
        let mismatched = format!("{}{}", &key[..64], &other[64..]);
        for bad in ["", "zz", &key[..126], &mismatched] {
            assert!(matches!(SigningKey::from_hex(bad), Err(SigningKeyError::Invalid(_))), "{bad}");
        }
    }
}
