//! How a failed attempt is treated: retried or not, counted against the provider or not. The
//! caller classifies its own errors; the retry loop and the circuit breaker only read the class.

use std::time::Duration;

/// The treatment of one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient (5xx, 429, timeout, connection error, malformed model output): retried while
    /// the retry budget and the deadline allow, and counted as a provider failure by the breaker.
    /// `after` is the delay the server asked for (`Retry-After`, RFC 9110 §10.2.3, or
    /// `google.rpc.RetryInfo.retryDelay`); it replaces the jittered backoff delay.
    Retryable {
        /// Server-given delay before the next attempt, when the server gave one.
        after: Option<Duration>,
    },
    /// Not retried, but counted as a provider failure (e.g. the provider rejects our
    /// credentials or model name: every further call would fail the same way).
    Fatal,
    /// Not retried and not a provider failure: the provider worked and refused this request
    /// (a safety block, an output-length limit). Leaves the breaker's counters untouched.
    Rejected,
}

impl ErrorClass {
    /// Whether the retry loop may try again.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Retryable { .. })
    }

    /// Whether the circuit breaker counts it as a failure of the provider.
    pub fn is_provider_failure(self) -> bool {
        !matches!(self, ErrorClass::Rejected)
    }
}

/// Implemented by a caller's error type so [`call`](super::call) can classify it.
pub trait Classify {
    /// The class of this error.
    fn class(&self) -> ErrorClass;
}
