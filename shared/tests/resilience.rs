//! `resilience::call` with a caller-defined error type, as any provider client uses it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use shared::resilience::{Breaker, BreakerPolicy, BreakerState, CallError, Classify, ErrorClass, RetryPolicy, call};

#[derive(Debug, Clone, PartialEq)]
enum ProviderError {
    Overloaded,
    SlowDown(Duration),
    BadKey,
    Refused,
    Hang,
}

impl Classify for ProviderError {
    fn class(&self) -> ErrorClass {
        match self {
            ProviderError::Overloaded | ProviderError::Hang => ErrorClass::Retryable { after: None },
            ProviderError::SlowDown(d) => ErrorClass::Retryable { after: Some(*d) },
            ProviderError::BadKey => ErrorClass::Fatal,
            ProviderError::Refused => ErrorClass::Rejected,
        }
    }
}

/// A provider that answers from a script (`Ok(n)` or an error) and counts its calls.
struct Script(Mutex<(VecDeque<Result<u32, ProviderError>>, usize)>);

impl Script {
    fn new(replies: Vec<Result<u32, ProviderError>>) -> Self {
        Script(Mutex::new((replies.into(), 0)))
    }

    async fn answer(&self) -> Result<u32, ProviderError> {
        let next = {
            let mut s = self.0.lock().unwrap();
            s.1 += 1;
            s.0.pop_front().unwrap_or(Err(ProviderError::Overloaded))
        };
        if next == Err(ProviderError::Hang) {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        next
    }

    fn calls(&self) -> usize {
        self.0.lock().unwrap().1
    }
}

fn retry(max_retries: u32, base_ms: u64) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(base_ms),
        max_delay: Duration::from_millis(4 * base_ms),
    }
}

fn breaker(failure_threshold: u32) -> Breaker {
    Breaker::new(
        "test",
        BreakerPolicy { failure_threshold, open_for: Duration::from_millis(200), success_threshold: 2 },
    )
}

const DEADLINE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn retryable_errors_are_retried_until_success() {
    let p = Script::new(vec![Err(ProviderError::Overloaded), Err(ProviderError::Overloaded), Ok(7)]);
    let b = breaker(5);
    let out = call(&b, &retry(3, 10), DEADLINE, || p.answer()).await;
    assert_eq!(out.result.unwrap(), 7);
    assert_eq!((out.attempts, p.calls()), (3, 3));
    assert_eq!(b.consecutive_failures(), 0);
}

#[tokio::test]
async fn retries_stop_at_the_policy_limit_with_bounded_backoff() {
    let p = Script::new(vec![]);
    let b = breaker(10);
    let started = Instant::now();
    let out = call(&b, &retry(2, 50), DEADLINE, || p.answer()).await;
    assert!(matches!(out.result, Err(CallError::Failed(ProviderError::Overloaded))));
    assert_eq!((out.attempts, p.calls()), (3, 3));
    // Full jitter: each wait is in [0, ceiling]; ceilings 50 + 100 ms.
    assert!(started.elapsed() < Duration::from_millis(150 + 200), "{:?}", started.elapsed());
    assert_eq!(b.consecutive_failures(), 3);
}

#[tokio::test]
async fn fatal_and_rejected_errors_are_not_retried() {
    let b = breaker(5);
    let p = Script::new(vec![Err(ProviderError::BadKey)]);
    let out = call(&b, &retry(3, 10), DEADLINE, || p.answer()).await;
    assert!(matches!(out.result, Err(CallError::Failed(ProviderError::BadKey))));
    assert_eq!(p.calls(), 1);
    assert_eq!(b.consecutive_failures(), 1, "fatal counts against the provider");

    let p = Script::new(vec![Err(ProviderError::Refused)]);
    let out = call(&b, &retry(3, 10), DEADLINE, || p.answer()).await;
    assert!(matches!(out.result, Err(CallError::Failed(ProviderError::Refused))));
    assert_eq!(p.calls(), 1);
    assert_eq!(b.consecutive_failures(), 1, "a refusal neither counts nor resets");
}

#[tokio::test]
async fn server_delay_replaces_the_backoff_and_must_fit_the_deadline() {
    let b = breaker(5);
    let p = Script::new(vec![Err(ProviderError::SlowDown(Duration::from_millis(250))), Ok(1)]);
    let started = Instant::now();
    let out = call(&b, &retry(3, 1), DEADLINE, || p.answer()).await;
    assert_eq!(out.result.unwrap(), 1);
    assert!(started.elapsed() >= Duration::from_millis(250));

    let p = Script::new(vec![Err(ProviderError::SlowDown(Duration::from_secs(10))), Ok(1)]);
    let started = Instant::now();
    let out = call(&b, &retry(3, 1), Duration::from_secs(2), || p.answer()).await;
    assert!(matches!(out.result, Err(CallError::Failed(ProviderError::SlowDown(_)))));
    assert_eq!(p.calls(), 1);
    assert!(started.elapsed() < Duration::from_millis(500), "gave up at once");
}

#[tokio::test]
async fn the_deadline_cancels_a_hanging_attempt_and_counts_it_as_a_failure() {
    let b = breaker(5);
    let p = Script::new(vec![Err(ProviderError::Hang)]);
    let started = Instant::now();
    let out = call(&b, &retry(3, 10), Duration::from_millis(200), || p.answer()).await;
    assert!(matches!(out.result, Err(CallError::DeadlineExceeded)));
    assert!(started.elapsed() < Duration::from_millis(800));
    assert_eq!(p.calls(), 1);
    assert_eq!(b.consecutive_failures(), 1);
}

#[tokio::test]
async fn a_breaker_opening_mid_call_ends_the_retries() {
    let b = breaker(2);
    let p = Script::new(vec![]);
    let out = call(&b, &retry(5, 5), DEADLINE, || p.answer()).await;
    let Err(CallError::CircuitOpen(open)) = out.result else { panic!("{:?}", out.result) };
    assert!(open.retry_after <= Duration::from_millis(200));
    assert_eq!(p.calls(), 2, "the third attempt was refused without a call");
    assert_eq!(out.attempts, 3);
    assert_eq!(b.state(), BreakerState::Open);
}
