//! Retry policy: exponential backoff with full jitter ("Exponential Backoff And Jitter",
//! AWS Architecture Blog, 2015: sleep = random(0, min(cap, base × 2^attempt))). The exponential
//! ceilings come from `backon`'s [`ExponentialBuilder`]; the jitter is applied on top so the
//! whole range from 0 is used (backon's own jitter only adds to the ceiling).

use std::time::Duration;

use backon::ExponentialBuilder;
use rand::Rng;

/// How often and how long to wait between attempts of one call. Short durations are fine
/// (tests use milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Backoff ceiling of the first retry; doubles per retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, ceilings 0.5 s, 1 s, 2 s (capped at 8 s): a call with every retry used stays
    /// well inside the 30 s AI deadline unless the server asks for longer waits.
    fn default() -> Self {
        Self { max_retries: 3, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// No retries (one attempt).
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// The backon builder yielding the backoff ceilings (no jitter: see [`full_jitter`]).
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_factor(2.0)
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay.max(self.base_delay))
            .with_max_times(self.max_retries as usize)
    }
}

/// A uniformly random delay in `[0, ceiling]` (full jitter).
pub fn full_jitter(ceiling: Duration) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    #[test]
    fn ceilings_double_up_to_the_cap_and_stop_after_max_retries() {
        let p = RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        // backon multiplies in f32: compare whole milliseconds.
        let ceilings: Vec<u128> = p.backoff().build().map(|d| d.as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 300, 300], "exponential ceilings, capped, then exhausted");
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_spreads() {
        let c = Duration::from_millis(100);
        let draws: Vec<_> = (0..200).map(|_| full_jitter(c)).collect();
        assert!(draws.iter().all(|d| *d <= c));
        assert!(draws.iter().any(|d| *d < Duration::from_millis(30)), "lower part of the range used");
        assert!(draws.iter().any(|d| *d > Duration::from_millis(70)), "upper part of the range used");
        assert_eq!(full_jitter(Duration::ZERO), Duration::ZERO);
    }
}
