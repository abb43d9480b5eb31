//! Retry policy for transactions aborted by contention: exponential backoff with full
//! jitter ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015), as the Firestore
//! client libraries do for ABORTED commits.

use std::time::Duration;

use rand::Rng;

/// Counts attempts and sleeps between them.
#[derive(Debug, Clone)]
pub struct TransactionRetry {
    attempt: u32,
    max_attempts: u32,
    base: Duration,
    cap: Duration,
}

impl Default for TransactionRetry {
    /// 25 attempts, 5 ms base, 1 s cap.
    fn default() -> Self {
        Self { attempt: 0, max_attempts: 25, base: Duration::from_millis(5), cap: Duration::from_secs(1) }
    }
}

impl TransactionRetry {
    /// After a failed attempt: sleeps a jittered backoff and returns true while attempts
    /// remain, false when the caller must give up.
    pub async fn backoff(&mut self) -> bool {
        self.attempt += 1;
        if self.attempt >= self.max_attempts {
            return false;
        }
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let ceiling = exp.min(self.cap).as_micros() as u64;
        let sleep = rand::rng().random_range(0..=ceiling);
        tokio::time::sleep(Duration::from_micros(sleep)).await;
        true
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempt + 1
    }
}
