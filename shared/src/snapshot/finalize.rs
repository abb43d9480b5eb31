//! Closing a run: merge the per-batch item statistics, write them to `question_stats/{id}`,
//! re-estimate the answered items' difficulties ([`super::recalibrate`]) and import them as a
//! new bank version (instances see it on their next version check of `meta/question_bank`),
//! then mark the run `complete`.
//!
//! Only one delivery finalizes: it first claims the run in a transaction
//! (`finalize_claimed_at`), and a claim older than [`CLAIM_TIMEOUT`] (a crashed worker) may be
//! taken over. A claimant that fails releases the claim so the retry of its batch can finalize.
//! The difficulty step is applied once: before importing, the finalizer records the bank
//! version it starts from (`recalibrated_from`); a finalizer taking over finds the bank already
//! moved past that version (the import's commit point is `meta/question_bank`) and does not
//! step again.

use chrono::{DateTime, Utc};

use super::item_stats::{ItemStatsPartial, merge};
use super::recalibrate::recalibrate;
use super::run::{RunDoc, RunState, counters, failed_batches};
use crate::bank::storage;
use crate::store::{
    CollectionPath, DocumentStore, Fields, Query, StoreError, Timestamp, TransactionRetry, Value, Write,
    commit_chunked, to_fields,
};

/// Collection of per-question statistics of the latest run.
pub const QUESTION_STATS: &str = "question_stats";

/// Age after which a finalize claim is considered abandoned.
pub const CLAIM_TIMEOUT: chrono::Duration = chrono::Duration::minutes(15);

/// Claims the run for finalizing: true when this caller must finalize.
async fn claim(store: &dyn DocumentStore, week: &str, now: DateTime<Utc>, take: bool) -> Result<bool, StoreError> {
    let path = RunDoc::path(week)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let Some(doc) = txn.get(&path).await? else { return Ok(false) };
        let mut run: RunDoc = doc.decode()?;
        if run.state != RunState::Finalizing {
            return Ok(false);
        }
        let held = run.finalize_claimed_at.is_some_and(|t| now - t.0 < CLAIM_TIMEOUT);
        if take && held {
            return Ok(false);
        }
        run.finalize_claimed_at = take.then_some(Timestamp(now));
        match txn.commit(vec![Write::set(path.clone(), to_fields(&run)?)]).await {
            Ok(()) => return Ok(take),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Finalizes the run of `week` when it is `finalizing` and unclaimed; returns the completed run
/// (`None` when another delivery holds the claim or the run is not ready).
///
/// # Errors
/// Store errors (the claim is released first).
pub async fn finalize(store: &dyn DocumentStore, week: &str, now: DateTime<Utc>) -> Result<Option<RunDoc>, StoreError> {
    if !claim(store, week, now, true).await? {
        return Ok(None);
    }
    match finish(store, week, now).await {
        Ok(run) => Ok(Some(run)),
        Err(e) => {
            if let Err(release) = claim(store, week, now, false).await {
                tracing::warn!(week, error = %release, "finalize claim not released; it expires on its own");
            }
            Err(e)
        }
    }
}

async fn finish(store: &dyn DocumentStore, week: &str, now: DateTime<Utc>) -> Result<RunDoc, StoreError> {
    let partials: Vec<ItemStatsPartial> = store
        .query(&Query::new(ItemStatsPartial::collection(week)?))
        .await?
        .iter()
        .map(|d| d.decode())
        .collect::<Result<_, _>>()?;
    let tallies = merge(&partials);
    let path = RunDoc::path(week)?;
    let read_run = || async {
        let doc = store.get(&path, None).await?.ok_or_else(|| StoreError::NotFound(path.to_string()))?;
        doc.decode::<RunDoc>()
    };
    let meta = storage::read_meta(store).await?;
    let current = meta.as_ref().map(|m| m.version.clone());
    let already = read_run().await?.recalibrated_from.is_some_and(|from| Some(from) != current);
    let questions = if tallies.is_empty() { Vec::new() } else { storage::load(store, meta.as_ref()).await? };
    let (updated, changed) = if already { (questions.clone(), 0) } else { recalibrate(&questions, &tallies) };
    let stats = CollectionPath::root(QUESTION_STATS)?;
    let mut writes = Vec::with_capacity(tallies.len());
    for (id, t) in &tallies {
        let before = questions.iter().find(|q| q.id.as_str() == id).map(|q| q.irt.b);
        let after = updated.iter().find(|q| q.id.as_str() == id).map(|q| q.irt.b);
        let mut f = Fields::from([
            ("week".to_owned(), Value::string(week)),
            ("attempts".to_owned(), Value::IntegerValue(t.attempts)),
            ("correct".to_owned(), Value::IntegerValue(t.correct)),
            ("correct_rate".to_owned(), Value::DoubleValue(t.correct_rate())),
            ("mean_seconds".to_owned(), Value::DoubleValue(t.mean_seconds())),
        ]);
        if let (Some(b0), Some(b1), false) = (before, after, already) {
            f.insert("b_before".to_owned(), Value::DoubleValue(b0));
            f.insert("b_after".to_owned(), Value::DoubleValue(b1));
        }
        writes.push(Write::set(stats.doc(id)?, f));
    }
    commit_chunked(store, writes).await?;
    let version = if already {
        current
    } else if changed > 0 {
        let mut run = read_run().await?;
        run.recalibrated_from = current;
        store.commit(vec![Write::set(path.clone(), to_fields(&run)?)]).await?;
        Some(storage::import(store, &updated).await?)
    } else {
        None
    };
    let mut run = read_run().await?;
    run.apply(counters(store, week).await?);
    run.failed_batches = failed_batches(store, week).await?;
    run.state = RunState::Complete;
    run.finished_at = Some(Timestamp(now));
    run.items_answered = tallies.len() as i64;
    if !already {
        run.items_recalibrated = changed as i64;
    }
    run.bank_version = version;
    run.finalize_claimed_at = None;
    store.commit(vec![Write::set(path, to_fields(&run)?)]).await?;
    Ok(run)
}
