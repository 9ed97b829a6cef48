//! Deterministic ULIDs for step UUIDs and the workflow prefix. The domain stays pure:
//! the time and the random part come from the caller's [`IdSeed`].

use crate::domain::yaml::options::IdSeed;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Hands out ULIDs that are unique within one build.
#[derive(Debug, Clone)]
pub struct UlidSource {
    seed: IdSeed,
    counter: u64,
}

impl UlidSource {
    pub fn new(seed: IdSeed) -> Self {
        UlidSource { seed, counter: 0 }
    }

    /// Next ULID: 48-bit time, 80 bits from a SplitMix64 stream.
    pub fn next_id(&mut self) -> String {
        self.counter += 1;
        let a = splitmix(self.seed.seed ^ self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = splitmix(a);
        let value: u128 = (u128::from(self.seed.timestamp_ms & 0xFFFF_FFFF_FFFF) << 80)
            | (u128::from(a) << 16)
            | u128::from(b & 0xFFFF);
        let mut text = [0u8; 26];
        for (i, digit) in text.iter_mut().rev().enumerate() {
            *digit = CROCKFORD[((value >> (i * 5)) & 31) as usize];
        }
        // Crockford digits are ASCII, so the text is valid UTF-8 and copied as it is.
        String::from_utf8_lossy(&text).into_owned()
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
