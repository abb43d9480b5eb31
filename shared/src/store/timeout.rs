//! A deadline on every store call (the seed's 10 s database timeout). A call that overruns
//! fails with [`StoreError::Timeout`]; callers decide whether a cached copy can serve instead.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use super::{DocPath, Document, DocumentStore, Query, Store, StoreError, Transaction, Write};

/// Wraps a store so every call has a deadline.
pub struct TimeoutStore {
    inner: Store,
    limit: Duration,
}

impl TimeoutStore {
    /// Wraps `inner` with a per-call deadline of `limit`.
    pub fn new(inner: Store, limit: Duration) -> Self {
        Self { inner, limit }
    }
}

async fn within<T>(limit: Duration, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(limit, f).await.unwrap_or(Err(StoreError::Timeout))
}

#[async_trait]
impl DocumentStore for TimeoutStore {
    async fn get_all(&self, paths: &[DocPath], mask: Option<&[&str]>) -> Result<Vec<Option<Document>>, StoreError> {
        within(self.limit, self.inner.get_all(paths, mask)).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Document>, StoreError> {
        within(self.limit, self.inner.query(query)).await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        within(self.limit, self.inner.commit(writes)).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let inner = within(self.limit, self.inner.begin()).await?;
        Ok(Box::new(TimeoutTransaction { inner, limit: self.limit }))
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

struct TimeoutTransaction {
    inner: Box<dyn Transaction>,
    limit: Duration,
}

#[async_trait]
impl Transaction for TimeoutTransaction {
    async fn get_all(&mut self, paths: &[DocPath]) -> Result<Vec<Option<Document>>, StoreError> {
        within(self.limit, self.inner.get_all(paths)).await
    }

    async fn commit(self: Box<Self>, writes: Vec<Write>) -> Result<(), StoreError> {
        within(self.limit, self.inner.commit(writes)).await
    }
}
