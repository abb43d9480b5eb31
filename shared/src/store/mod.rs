//! Document storage with Firestore's data model: documents of typed fields in collections,
//! nested subcollections, field masks, batched gets, atomic batched writes with transforms,
//! and optimistic transactions.
//!
//! Two backends implement [`DocumentStore`]: [`sqlite::SqliteStore`] (embedded default) and
//! the Firestore backend. Domain code only sees the trait.

pub mod decode;
pub mod encode;
pub mod firestore;
pub mod metering;
mod patch;
pub mod path;
pub mod query;
pub mod retry;
pub mod sqlite;
pub mod timeout;
pub mod value;
pub mod write;

use std::sync::Arc;

use async_trait::async_trait;

pub use decode::from_value;
pub use encode::to_value;
pub use path::{CollectionPath, DocPath};
pub use query::{Direction, Op, Query};
pub use retry::TransactionRetry;
pub use value::{Fields, Timestamp, Value, from_fields, to_fields};
pub use write::{FieldTransform, MAX_WRITES_PER_COMMIT, Precondition, Write, WriteKind};

use chrono::{DateTime, Utc};

/// A stored document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Full path.
    pub path: DocPath,
    /// Fields (possibly projected by a field mask).
    pub fields: Fields,
    /// Creation time (UTC, microseconds).
    pub create_time: DateTime<Utc>,
    /// Last update time (UTC, microseconds); changes on every write.
    pub update_time: DateTime<Utc>,
}

impl Document {
    /// The same document with only the masked fields.
    pub fn project(mut self, mask: &[&str]) -> Self {
        self.fields = value::project(&self.fields, mask);
        self
    }

    /// Deserializes the fields into a domain struct.
    ///
    /// # Errors
    /// [`StoreError::Codec`] when the fields do not match.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        from_fields(&self.fields)
    }
}

/// Store failures. `Aborted` is the only retryable one inside a transaction loop.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A path or id breaks Firestore's rules.
    #[error("invalid path: {0}")]
    InvalidPath(String),
    /// A precondition `Exists(false)` failed.
    #[error("document already exists: {0}")]
    AlreadyExists(String),
    /// A precondition `Exists(true)` failed.
    #[error("document not found: {0}")]
    NotFound(String),
    /// The transaction conflicted with another and must be retried (gRPC ABORTED).
    #[error("transaction aborted by contention")]
    Aborted,
    /// A batch exceeds [`MAX_WRITES_PER_COMMIT`] or another argument is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Fields did not (de)serialize into the domain type.
    #[error("codec: {0}")]
    Codec(String),
    /// The store call exceeded its deadline (10 s, the seed's database timeout).
    #[error("store call timed out")]
    Timeout,
    /// The backend is unreachable or failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// Shared handle to a store.
pub type Store = Arc<dyn DocumentStore>;

/// A document database with Firestore's operations.
#[async_trait]
pub trait DocumentStore: Send + Sync + 'static {
    /// Reads one document, optionally projected by a field mask (dotted paths).
    /// Billed one read whether or not it exists. Provided: a one-path [`DocumentStore::get_all`].
    async fn get(&self, path: &DocPath, mask: Option<&[&str]>) -> Result<Option<Document>, StoreError> {
        Ok(self.get_all(std::slice::from_ref(path), mask).await?.pop().flatten())
    }

    /// Reads many documents in one round trip; the result is in `paths` order.
    async fn get_all(&self, paths: &[DocPath], mask: Option<&[&str]>) -> Result<Vec<Option<Document>>, StoreError>;

    /// Runs a query over one collection.
    async fn query(&self, query: &Query) -> Result<Vec<Document>, StoreError>;

    /// Applies up to [`MAX_WRITES_PER_COMMIT`] writes atomically (a batched write).
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Starts a read-write transaction. Reads through it are consistent; its commit fails with
    /// [`StoreError::Aborted`] when a document it read changed meanwhile.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;

    /// Short backend name for logs (`sqlite`, `firestore`).
    fn backend(&self) -> &'static str;
}

/// A read-write transaction. Dropping it without commit rolls it back.
#[async_trait]
pub trait Transaction: Send {
    /// Reads one document inside the transaction. Provided: a one-path [`Transaction::get_all`].
    async fn get(&mut self, path: &DocPath) -> Result<Option<Document>, StoreError> {
        Ok(self.get_all(std::slice::from_ref(path)).await?.pop().flatten())
    }

    /// Reads many documents inside the transaction, in `paths` order.
    async fn get_all(&mut self, paths: &[DocPath]) -> Result<Vec<Option<Document>>, StoreError>;

    /// Applies the writes atomically if nothing read has changed.
    async fn commit(self: Box<Self>, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// Writes any number of writes in chunks of [`MAX_WRITES_PER_COMMIT`] (each chunk atomic,
/// not the whole).
///
/// # Errors
/// The first chunk's error; earlier chunks stay applied.
pub async fn commit_chunked(store: &dyn DocumentStore, writes: Vec<Write>) -> Result<usize, StoreError> {
    let mut chunks = 0;
    let mut it = writes.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<Write> = it.by_ref().take(MAX_WRITES_PER_COMMIT).collect();
        store.commit(chunk).await?;
        chunks += 1;
    }
    Ok(chunks)
}

/// Checks the per-commit write limit.
///
/// # Errors
/// [`StoreError::InvalidArgument`] above [`MAX_WRITES_PER_COMMIT`].
pub fn check_commit_size(writes: &[Write]) -> Result<(), StoreError> {
    if writes.len() > MAX_WRITES_PER_COMMIT {
        return Err(StoreError::InvalidArgument(format!(
            "{} writes in one commit; at most {MAX_WRITES_PER_COMMIT}",
            writes.len()
        )));
    }
    Ok(())
}
