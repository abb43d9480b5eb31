//! One resilient call: attempts admitted by the breaker, retried by class with backoff (backon),
//! all inside one overall deadline.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::Retryable;
use tokio::time::Instant;

use super::{Breaker, CircuitOpen, Classify, ErrorClass, RetryPolicy, full_jitter};

/// Why a resilient call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    /// The breaker refused the attempt (no call made for it).
    #[error(transparent)]
    CircuitOpen(CircuitOpen),
    /// The overall deadline passed (the attempt in flight was cancelled).
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// The last attempt's error: not retryable, retries used up, or the next wait (backoff or
    /// server-given delay) would not end before the deadline.
    #[error(transparent)]
    Failed(E),
}

/// The result of [`call`] with its bookkeeping.
#[derive(Debug)]
pub struct Outcome<T, E> {
    /// Value or error.
    pub result: Result<T, CallError<E>>,
    /// Attempts started (those refused by the breaker included).
    pub attempts: u32,
    /// Wall time of the whole call.
    pub elapsed: Duration,
}

impl<E: Classify> Classify for CallError<E> {
    fn class(&self) -> ErrorClass {
        match self {
            CallError::Failed(e) => e.class(),
            CallError::CircuitOpen(_) => ErrorClass::Rejected,
            CallError::DeadlineExceeded => ErrorClass::Fatal,
        }
    }
}

/// Runs `op` under `breaker`, retrying errors classed [`ErrorClass::Retryable`] per `retry`
/// (exponential backoff, full jitter, or the server-given delay when there is one), until
/// success, a non-retryable error, or `deadline` after the start. A retry whose wait would end
/// after the deadline is not attempted: the last error is returned instead. Each attempt's
/// outcome is reported to the breaker; a refused attempt ends the call with
/// [`CallError::CircuitOpen`]. `op` is called once per admitted attempt.
pub async fn call<T, E, F, Fut>(breaker: &Breaker, retry: &RetryPolicy, deadline: Duration, mut op: F) -> Outcome<T, E>
where
    E: Classify,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let start = Instant::now();
    let attempts = AtomicU32::new(0);
    let attempt = || {
        attempts.fetch_add(1, Ordering::Relaxed);
        let admitted = breaker.try_acquire().map(|permit| (permit, op()));
        async move {
            let (permit, fut) = admitted.map_err(CallError::CircuitOpen)?;
            match fut.await {
                Ok(v) => {
                    permit.success();
                    Ok(v)
                }
                Err(e) => {
                    permit.failure(e.class());
                    Err(CallError::Failed(e))
                }
            }
        }
    };
    let retried = attempt
        .retry(retry.backoff())
        .when(|e: &CallError<E>| e.class().is_retryable())
        .adjust(|e: &CallError<E>, ceiling: Option<Duration>| {
            let ceiling = ceiling?;
            let wait = match e.class() {
                ErrorClass::Retryable { after: Some(after) } => after,
                _ => full_jitter(ceiling),
            };
            (start.elapsed() + wait < deadline).then_some(wait)
        })
        .notify(|e: &CallError<E>, wait: Duration| {
            tracing::debug!(provider = breaker.name(), wait_ms = wait.as_millis() as u64, error = ?e.class(), "retrying");
        });
    let result = match tokio::time::timeout_at(start + deadline, retried).await {
        Ok(r) => r,
        Err(_) => Err(CallError::DeadlineExceeded),
    };
    Outcome { result, attempts: attempts.load(Ordering::Relaxed), elapsed: start.elapsed() }
}
