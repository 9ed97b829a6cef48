//! Cryptography adapters.
//!
//! # Layout
//! - [`aes_gcm`]: [`AesGcmCipher`](aes_gcm::AesGcmCipher), the [`SecretCipher`](crate::ports::cipher::SecretCipher)
//!   of upstream's encryption design (AES-256-GCM under a SHAKE-256-derived key).

pub mod aes_gcm;
