//! State shared by every handler of an instance.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::TokenVerifier;
use crate::bank::BankCache;
use crate::clock::Clock;
use crate::records::UserDoc;
use crate::store::Store;
use crate::user_lock::UserLocks;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Document store (already wrapped with the call deadline).
    pub store: Store,
    /// In-memory question bank.
    pub bank: Arc<BankCache>,
    /// Last user documents this instance read, served only when the store fails.
    pub profiles: ProfileCache,
    /// Per-user queues for read-modify-write transactions.
    pub user_locks: Arc<UserLocks>,
    /// ID token verifier.
    pub verifier: Arc<TokenVerifier>,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// How long a quiz stays open.
    pub quiz_ttl: Duration,
    /// Largest accepted body, bytes.
    pub max_body_bytes: usize,
    /// Gemini client (snap-solve).
    pub gemini: crate::ai::GeminiClient,
    /// OpenAI-compatible chat client (tutor-chat).
    pub openai: crate::ai::OpenAiClient,
    /// Snap image storage.
    pub objects: crate::objects::ObjectStorage,
    /// Job queue (in-process, SQS or Pub/Sub).
    pub jobs: Arc<dyn crate::jobs::JobQueue>,
    /// Handlers of this instance's jobs, by kind (also fed by SQS batches and Pub/Sub pushes).
    pub job_handlers: Arc<crate::jobs::JobDispatcher>,
    /// Snap-solve settings.
    pub snaps: SnapSettings,
    /// Verifier of the Pub/Sub push route's OIDC tokens; `None` when `PUSH_AUDIENCE` is unset
    /// (the route then refuses everything).
    pub push_auth: Option<Arc<crate::auth::GoogleOidcVerifier>>,
}

/// Settings of snap-solve.
#[derive(Clone, Debug)]
pub struct SnapSettings {
    /// How long the request waits for the solution before `202 Accepted`.
    pub sync_wait: Duration,
    /// Image limits (bytes, dimensions, prepared size).
    pub image_limits: crate::images::ImageLimits,
    /// Lifetime of image URLs.
    pub url_ttl: Duration,
}

/// Per-instance copies of user documents (the seed's "cache user profiles, 5 min TTL"). Reads
/// always go to the store first; a copy is served only when the store times out or is
/// unavailable. At most 10,000 users, each copy kept 5 minutes.
pub type ProfileCache = moka::future::Cache<String, Arc<UserDoc>>;

/// A profile cache with the documented bounds.
pub fn profile_cache() -> ProfileCache {
    moka::future::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(300)).build()
}
