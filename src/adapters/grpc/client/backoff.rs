//! Exponential backoff between retries, as upstream's agent: 10 ms doubling up to 10 s.

use std::time::Duration;

const FIRST: Duration = Duration::from_millis(10);
const CAP: Duration = Duration::from_secs(10);

/// Successive delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST }
    }
}

impl Backoff {
    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(CAP);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_ten_seconds() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = (0..14).map(|_| backoff.next_delay()).collect();
        assert_eq!(delays[0], Duration::from_millis(10));
        assert_eq!(delays[1], Duration::from_millis(20));
        assert_eq!(delays[10], Duration::from_millis(10_240).min(CAP));
        assert_eq!(delays[13], CAP);
    }
}
