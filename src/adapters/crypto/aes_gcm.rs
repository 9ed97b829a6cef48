//! AES-256-GCM sealing as upstream Woodpecker designed its encryption of secrets at rest: the
//! configured key, of any length, is stretched by SHAKE-256 to a 32-byte AES key; a sealed value
//! is `base64(12-byte random nonce ‖ ciphertext ‖ 16-byte tag)` with the standard alphabet.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha3::Shake256;
use sha3::digest::{ExtendableOutput, Update, XofReader};

use crate::ports::cipher::{CipherError, SecretCipher};

/// Prefix hashed before the key for its fingerprint, so the fingerprint is never the AES key.
const KEY_ID_DOMAIN: &[u8] = b"woodpecker-encryption-key-id/v1";

/// The cipher of one configured key.
pub struct AesGcmCipher {
    key: LessSafeKey,
    key_id: String,
    random: SystemRandom,
}

impl std::fmt::Debug for AesGcmCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AesGcmCipher").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl AesGcmCipher {
    /// The cipher of `raw_key` (the bytes of `WOODPECKER_ENCRYPTION_KEY`).
    pub fn new(raw_key: &[u8]) -> Self {
        let aes_key: [u8; 32] = shake256(&[raw_key]);
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &aes_key).expect("a 32-byte key is what AES-256-GCM takes"),
        );
        let fingerprint: [u8; 32] = shake256(&[KEY_ID_DOMAIN, raw_key]);
        let key_id = fingerprint.iter().map(|b| format!("{b:02x}")).collect();
        Self { key, key_id, random: SystemRandom::new() }
    }
}

/// The first `N` bytes of SHAKE-256 over the concatenated `parts`.
fn shake256<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut hasher = Shake256::default();
    for part in parts {
        hasher.update(part);
    }
    let mut out = [0u8; N];
    hasher.finalize_xof().read(&mut out);
    out
}

impl SecretCipher for AesGcmCipher {
    fn seal(&self, plaintext: &str, associated: &str) -> Result<String, CipherError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| CipherError::Sealing("no randomness for a nonce"))?;
        let mut body = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated.as_bytes()),
                &mut body,
            )
            .map_err(|_| CipherError::Sealing("value too long"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + body.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(STANDARD.encode(sealed))
    }

    fn open(&self, sealed: &str, associated: &str) -> Result<String, CipherError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| CipherError::Malformed("invalid base64"))?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CipherError::Malformed("shorter than a nonce and a tag"));
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Malformed("bad nonce"))?;
        let mut body = body.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(associated.as_bytes()), &mut body)
            .map_err(|_| CipherError::Rejected)?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| CipherError::Malformed("plaintext is not UTF-8"))
    }

    fn key_id(&self) -> String {
        self.key_id.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_the_same_key_and_associated_data() {
        let cipher = AesGcmCipher::new(b"correct horse battery staple");
        let sealed = cipher.seal("s3cr3t", "42").unwrap();
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(cipher.open(&sealed, "42").unwrap(), "s3cr3t");
        assert_eq!(STANDARD.decode(&sealed).unwrap().len(), NONCE_LEN + "s3cr3t".len() + 16);
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let cipher = AesGcmCipher::new(b"k");
        assert_ne!(cipher.seal("same", "1").unwrap(), cipher.seal("same", "1").unwrap());
    }

    #[test]
    fn another_key_or_record_or_altered_text_is_rejected() {
        let cipher = AesGcmCipher::new(b"key one");
        let sealed = cipher.seal("value", "7").unwrap();
        assert_eq!(AesGcmCipher::new(b"key two").open(&sealed, "7"), Err(CipherError::Rejected));
        assert_eq!(cipher.open(&sealed, "8"), Err(CipherError::Rejected));
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        assert_eq!(cipher.open(&STANDARD.encode(bytes), "7"), Err(CipherError::Rejected));
    }

    #[test]
    fn text_that_was_never_sealed_is_malformed() {
        let cipher = AesGcmCipher::new(b"k");
        assert!(matches!(cipher.open("plain value!", "1"), Err(CipherError::Malformed(_))));
        assert!(matches!(cipher.open("c2hvcnQ=", "1"), Err(CipherError::Malformed(_))));
    }

    #[test]
    fn the_key_id_is_stable_per_key_and_is_not_the_aes_key() {
        let id = AesGcmCipher::new(b"k").key_id();
        assert_eq!(id, AesGcmCipher::new(b"k").key_id());
        assert_ne!(id, AesGcmCipher::new(b"l").key_id());
        assert_eq!(id.len(), 64);
        let aes_key: [u8; 32] = shake256(&[b"k"]);
        assert_ne!(id, aes_key.iter().map(|b| format!("{b:02x}")).collect::<String>());
    }

    #[test]
    fn the_key_is_stretched_with_shake256() {
        // SHAKE256("") starts 46b9dd2b0ba88d13 (FIPS 202 test vector).
        let empty: [u8; 8] = shake256(&[]);
        assert_eq!(empty, [0x46, 0xb9, 0xdd, 0x2b, 0x0b, 0xa8, 0x8d, 0x13]);
    }
}
