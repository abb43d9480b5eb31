//! Resilience for outbound provider calls (AI models): a circuit breaker per provider and
//! retries with exponential backoff and full jitter, all inside one overall deadline.
//!
//! The caller classifies its errors ([`Classify`] → [`ErrorClass`]): retryable (with the
//! server's delay when it gave one), fatal and a provider failure, or fatal but not a provider
//! failure (a safety block: neither retried nor counted by the breaker). [`call`] does the rest.
//!
//! ```ignore
//! let breaker = Breaker::new("gemini", BreakerPolicy::default());
//! let out = call(&breaker, &RetryPolicy::default(), Duration::from_secs(30), || send(&req)).await;
//! ```

mod breaker;
mod call;
mod classify;
mod retry;

pub use breaker::{Breaker, BreakerPolicy, BreakerState, CircuitOpen, Permit};
pub use call::{CallError, Outcome, call};
pub use classify::{Classify, ErrorClass};
pub use retry::{RetryPolicy, full_jitter};

/// The seed's overall deadline for one AI call, all attempts and waits included: 30 s.
pub const DEFAULT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
