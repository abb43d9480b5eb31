//! The per-instance bank copy: loaded on first use, re-validated on a TTL with one read of
//! `meta/question_bank`, reloaded only when the version changed. When the store fails during a
//! refresh, the previous copy keeps serving (the seed's "return cached data if available").

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, RwLock};

use super::index::QuestionBank;
use super::storage::{load, read_meta};
use crate::store::{Store, StoreError};

struct Loaded {
    bank: Arc<QuestionBank>,
    checked: Instant,
}

/// Lazily loaded, TTL-refreshed bank.
pub struct BankCache {
    store: Store,
    ttl: Duration,
    current: RwLock<Option<Loaded>>,
    refresh: Mutex<()>,
}

impl BankCache {
    /// A cache over `store`, re-checking the version every `ttl`.
    pub fn new(store: Store, ttl: Duration) -> Self {
        Self { store, ttl, current: RwLock::new(None), refresh: Mutex::new(()) }
    }

    /// The current bank, loading or refreshing it when due.
    ///
    /// # Errors
    /// Store errors, only when no copy has ever been loaded.
    pub async fn get(&self) -> Result<Arc<QuestionBank>, StoreError> {
        if let Some(l) = self.current.read().await.as_ref()
            && l.checked.elapsed() < self.ttl
        {
            return Ok(l.bank.clone());
        }
        let _single_flight = self.refresh.lock().await;
        let existing = self.current.read().await.as_ref().map(|l| (l.bank.clone(), l.checked));
        if let Some((bank, checked)) = &existing
            && checked.elapsed() < self.ttl
        {
            return Ok(bank.clone());
        }
        match self.reload_if_changed(existing.as_ref().map(|(b, _)| b.clone())).await {
            Ok(bank) => {
                *self.current.write().await = Some(Loaded { bank: bank.clone(), checked: Instant::now() });
                Ok(bank)
            }
            Err(e) => match existing {
                Some((bank, _)) => {
                    tracing::warn!(error = %e, "question bank refresh failed; serving the cached copy");
                    Ok(bank)
                }
                None => Err(e),
            },
        }
    }

    async fn reload_if_changed(&self, current: Option<Arc<QuestionBank>>) -> Result<Arc<QuestionBank>, StoreError> {
        let meta = read_meta(self.store.as_ref()).await?;
        let version = meta.as_ref().map(|m| m.version.clone()).unwrap_or_default();
        if let Some(bank) = current
            && bank.version() == version
        {
            return Ok(bank);
        }
        let questions = load(self.store.as_ref(), meta.as_ref()).await?;
        tracing::info!(count = questions.len(), version = %version, "question bank loaded");
        Ok(Arc::new(QuestionBank::new(questions, version)))
    }
}
