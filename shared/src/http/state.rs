//! State shared by every handler of an instance.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::TokenVerifier;
use crate::bank::BankCache;
use crate::clock::Clock;
use crate::store::Store;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Document store (already wrapped with the call deadline).
    pub store: Store,
    /// In-memory question bank.
    pub bank: Arc<BankCache>,
    /// ID token verifier.
    pub verifier: Arc<TokenVerifier>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// How long a quiz stays open.
    pub quiz_ttl: Duration,
    /// Largest accepted body, bytes.
    pub max_body_bytes: usize,
}
