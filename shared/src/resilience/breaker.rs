//! Circuit breaker (Nygard, "Release It!", ch. 5; the states as in Fowler's "CircuitBreaker"):
//! one per provider, shared by every call to it.
//!
//! - **Closed**: calls go through; `failure_threshold` consecutive provider failures open it.
//! - **Open**: calls fail fast with [`CircuitOpen`] (carrying the time left until half-open)
//!   without touching the provider, for `open_for`.
//! - **Half-open**: up to `success_threshold` probe calls at a time go through;
//!   `success_threshold` successes close it, any provider failure opens it again.
//!
//! Outcomes classified [`ErrorClass::Rejected`] (a safety block) change nothing. An attempt that
//! is dropped before it reports (the overall deadline cancelled it) counts as a failure.
//!
//! Written here rather than taken from a crate: `failsafe` closes on the first half-open
//! success and its rejection carries no wait time; `tower-resilience-circuitbreaker` is a tower
//! `Service` layer whose open error carries no wait time and whose classifier is binary
//! (a neutral outcome would count as a success). The state machine is ~100 lines.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::ErrorClass;

/// Thresholds of a [`Breaker`]. The default is the seed's policy: open after 5 consecutive
/// failures, half-open after 30 s, closed after 2 successes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive provider failures (closed state) that open the breaker.
    pub failure_threshold: u32,
    /// How long the breaker stays open before letting probes through.
    pub open_for: Duration,
    /// Successful probes (half-open state) that close the breaker; also the number of probes
    /// allowed in flight at once.
    pub success_threshold: u32,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self { failure_threshold: 5, open_for: Duration::from_secs(30), success_threshold: 2 }
    }
}

/// The observable state of a [`Breaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail fast.
    Open,
    /// Probe calls go through (reported as soon as the open time has passed).
    HalfOpen,
}

/// Refusal of a call by an open breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("circuit open; retry in {retry_after:?}")]
pub struct CircuitOpen {
    /// Time until the breaker lets a probe through (1 s when the probes of a half-open breaker
    /// are all in flight).
    pub retry_after: Duration,
}

/// Wait suggested to callers turned away while all half-open probes are in flight.
const PROBES_BUSY_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { successes: u32, in_flight: u32 },
}

#[derive(Debug)]
struct Inner {
    state: State,
    /// Incremented on every transition, so a late outcome from an older state is ignored.
    epoch: u64,
}

/// A circuit breaker for one provider (see the module docs).
#[derive(Debug)]
pub struct Breaker {
    name: String,
    policy: BreakerPolicy,
    inner: Mutex<Inner>,
}

/// Permission for one attempt, from [`Breaker::try_acquire`]. Report the outcome with
/// [`Permit::success`] or [`Permit::failure`]; dropping it unreported counts as a failure.
#[derive(Debug)]
#[must_use = "report the outcome of the attempt"]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    epoch: u64,
    reported: bool,
}

impl Breaker {
    /// A closed breaker named `name` (the provider; used in logs).
    pub fn new(name: impl Into<String>, policy: BreakerPolicy) -> Self {
        Self { name: name.into(), policy, inner: Mutex::new(Inner { state: State::Closed { failures: 0 }, epoch: 0 }) }
    }

    /// The provider name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The thresholds.
    pub fn policy(&self) -> &BreakerPolicy {
        &self.policy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the state half-updated (each transition
        // is one assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match self.lock().state {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if Instant::now() < until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Consecutive provider failures counted while closed (0 in the other states).
    pub fn consecutive_failures(&self) -> u32 {
        match self.lock().state {
            State::Closed { failures } => failures,
            _ => 0,
        }
    }

    /// Asks to make one attempt.
    ///
    /// # Errors
    /// [`CircuitOpen`] while open, or while half-open with all probes in flight.
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        let mut inner = self.lock();
        let now = Instant::now();
        if let State::Open { until } = inner.state {
            if now < until {
                return Err(CircuitOpen { retry_after: until - now });
            }
            self.transition(&mut inner, State::HalfOpen { successes: 0, in_flight: 0 });
        }
        let epoch = inner.epoch;
        if let State::HalfOpen { in_flight, .. } = &mut inner.state {
            if *in_flight >= self.policy.success_threshold.max(1) {
                return Err(CircuitOpen { retry_after: PROBES_BUSY_RETRY });
            }
            *in_flight += 1;
        }
        Ok(Permit { breaker: self, epoch, reported: false })
    }

    fn transition(&self, inner: &mut Inner, to: State) {
        let kind = match to {
            State::Closed { .. } => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "half_open",
        };
        if matches!(to, State::Open { .. }) {
            tracing::warn!(provider = %self.name, state = kind, open_ms = self.policy.open_for.as_millis() as u64, "circuit breaker");
        } else {
            tracing::info!(provider = %self.name, state = kind, "circuit breaker");
        }
        inner.state = to;
        inner.epoch += 1;
    }

    fn record(&self, epoch: u64, outcome: Option<ErrorClass>) {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        let failed = outcome.is_some_and(ErrorClass::is_provider_failure);
        let neutral = outcome.is_some() && !failed;
        match &mut inner.state {
            State::Closed { failures } => {
                if failed {
                    *failures += 1;
                    if *failures >= self.policy.failure_threshold {
                        let until = Instant::now() + self.policy.open_for;
                        self.transition(&mut inner, State::Open { until });
                    }
                } else if !neutral {
                    *failures = 0;
                }
            }
            State::HalfOpen { successes, in_flight } => {
                *in_flight = in_flight.saturating_sub(1);
                if failed {
                    let until = Instant::now() + self.policy.open_for;
                    self.transition(&mut inner, State::Open { until });
                } else if !neutral {
                    *successes += 1;
                    if *successes >= self.policy.success_threshold {
                        self.transition(&mut inner, State::Closed { failures: 0 });
                    }
                }
            }
            State::Open { .. } => {}
        }
    }
}

impl Permit<'_> {
    /// The attempt succeeded.
    pub fn success(mut self) {
        self.reported = true;
        self.breaker.record(self.epoch, None);
    }

    /// The attempt failed with an error of class `class` ([`ErrorClass::Rejected`] changes
    /// nothing but frees a half-open probe slot).
    pub fn failure(mut self, class: ErrorClass) {
        self.reported = true;
        self.breaker.record(self.epoch, Some(class));
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.record(self.epoch, Some(ErrorClass::Fatal));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Breaker {
        Breaker::new(
            "test",
            BreakerPolicy { failure_threshold: 3, open_for: Duration::from_millis(50), success_threshold: 2 },
        )
    }

    const FAIL: ErrorClass = ErrorClass::Retryable { after: None };

    #[test]
    fn default_is_the_seed_policy() {
        let p = BreakerPolicy::default();
        assert_eq!((p.failure_threshold, p.open_for, p.success_threshold), (5, Duration::from_secs(30), 2));
    }

    #[tokio::test]
    async fn success_resets_the_count_and_rejected_is_neutral() {
        let b = quick();
        b.try_acquire().unwrap().failure(FAIL);
        b.try_acquire().unwrap().failure(FAIL);
        b.try_acquire().unwrap().failure(ErrorClass::Rejected);
        assert_eq!(b.consecutive_failures(), 2);
        b.try_acquire().unwrap().success();
        assert_eq!(b.consecutive_failures(), 0);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test]
    async fn full_cycle_with_probe_limit_and_dropped_permit() {
        let b = quick();
        for _ in 0..3 {
            b.try_acquire().unwrap().failure(ErrorClass::Fatal);
        }
        assert_eq!(b.state(), BreakerState::Open);
        let open = b.try_acquire().unwrap_err();
        assert!(open.retry_after > Duration::ZERO && open.retry_after <= Duration::from_millis(50), "{open:?}");
        tokio::time::sleep(open.retry_after + Duration::from_millis(5)).await;
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let p1 = b.try_acquire().unwrap();
        let p2 = b.try_acquire().unwrap();
        assert_eq!(b.try_acquire().unwrap_err().retry_after, PROBES_BUSY_RETRY);
        p1.success();
        assert_eq!(b.state(), BreakerState::HalfOpen);
        drop(p2); // cancelled probe: a failure
        assert_eq!(b.state(), BreakerState::Open);
        tokio::time::sleep(Duration::from_millis(60)).await;
        b.try_acquire().unwrap().success();
        b.try_acquire().unwrap().success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test]
    async fn stale_outcomes_are_ignored() {
        let b = quick();
        let late = b.try_acquire().unwrap();
        for _ in 0..3 {
            b.try_acquire().unwrap().failure(FAIL);
        }
        late.success();
        assert_eq!(b.state(), BreakerState::Open);
    }
}
