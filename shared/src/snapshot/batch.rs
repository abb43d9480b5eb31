//! The batch worker: the handler of `snapshot.batch` jobs, one batch of up to 100 users per
//! delivery, whichever transport delivered it (in-process task, SQS record, Pub/Sub push).
//!
//! A delivery writes each user's snapshot and the batch's item-statistics partial (plain sets
//! at deterministic ids, one commit), then records the batch's outcome once
//! ([`record_outcome`]); the delivery that accounts for the last batch finalizes the run. A
//! duplicate delivery of a recorded batch writes nothing and counts nothing. A failure is
//! retryable (store errors) until the delivery's attempt reaches [`MAX_ATTEMPTS`]; then, or at
//! once for a permanent one, the batch is recorded as failed on the run and the job is handed
//! back as failed, so the transport dead-letters it (in-process: its dead-letter list; SQS: the
//! redrive policy's queue with `maxReceiveCount` = [`MAX_ATTEMPTS`]; Pub/Sub: the dead-letter
//! topic with `maxDeliveryAttempts` = [`MAX_ATTEMPTS`]).

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::finalize::finalize;
use super::item_stats::{ItemStatsPartial, tally};
use super::report::{SnapshotDoc, build_snapshot};
use super::run::{BatchMarker, RunDoc, RunState, record_outcome};
use super::week::IsoWeek;
use crate::bank::BankCache;
use crate::clock::Clock;
use crate::jobs::{Job, JobFailure, JobHandler};
use crate::store::{Store, StoreError, Timestamp, Write, commit_chunked, to_fields};

/// The job kind.
pub const KIND: &str = "snapshot.batch";

/// Attempts per batch, the first included; equals the in-process queue's default and must equal
/// the SQS redrive `maxReceiveCount` / Pub/Sub `maxDeliveryAttempts` of the deployment.
pub const MAX_ATTEMPTS: u32 = 5;

/// Users of a batch whose documents are read concurrently (1 get and 4 queries each, in 4
/// round trips: the batch and quiz-document queries run together): bounds a batch's in-flight
/// store calls to 16, so 100 users take about 13 × 4 round-trip times instead of 400.
pub const USERS_IN_FLIGHT: usize = 8;

/// The job id of a batch: `snapshot:{week}:{batch}`.
pub fn job_id(week: &str, batch: i64) -> String {
    format!("snapshot:{week}:{batch}")
}

/// The job payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPayload {
    /// Week label.
    pub week: String,
    /// Batch index, 0-based.
    pub batch: i64,
    /// User ids (at most 100; about 3 KB in the envelope).
    pub uids: Vec<String>,
}

/// The handler of [`KIND`].
pub struct BatchWorker {
    /// Store.
    pub store: Store,
    /// The bank (current item parameters for the statistics).
    pub bank: Arc<BankCache>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Attempts after which a failing batch is recorded as failed ([`MAX_ATTEMPTS`]).
    pub max_attempts: u32,
}

fn failure(e: &StoreError) -> JobFailure {
    match e {
        StoreError::Codec(_) | StoreError::InvalidPath(_) | StoreError::InvalidArgument(_) => {
            JobFailure::permanent(e.to_string())
        }
        _ => JobFailure::retryable(e.to_string()),
    }
}

impl BatchWorker {
    /// Writes the batch's snapshots and item-statistics partial.
    async fn write_batch(&self, p: &BatchPayload, week: IsoWeek) -> Result<(), StoreError> {
        let bank = self.bank.get().await?;
        let now = self.clock.now();
        let built: Vec<_> = futures_util::stream::iter(p.uids.clone())
            .map(|uid| {
                let store = self.store.clone();
                async move { build_snapshot(store.as_ref(), &uid, week, now).await.map(|b| (uid, b)) }.boxed()
            })
            .buffered(USERS_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut writes = Vec::with_capacity(p.uids.len() + 1);
        let mut responses = Vec::new();
        for (uid, (doc, r)) in built {
            writes.push(Write::set(SnapshotDoc::path(&uid, week)?, to_fields(&doc)?));
            responses.extend(r);
        }
        let partial = ItemStatsPartial { batch: p.batch, items: tally(&responses, &bank) };
        writes.push(Write::set(ItemStatsPartial::path(&p.week, p.batch)?, to_fields(&partial)?));
        commit_chunked(self.store.as_ref(), writes).await?;
        Ok(())
    }

    async fn record(&self, p: &BatchPayload, attempt: u32, detail: Option<String>) -> Result<(), StoreError> {
        let now = self.clock.now();
        let marker = BatchMarker {
            batch: p.batch,
            done: detail.is_none(),
            users: p.uids.len() as i64,
            attempt,
            detail,
            at: Timestamp(now),
        };
        let recorded = record_outcome(self.store.as_ref(), marker, &p.week).await?;
        if recorded.run().state == RunState::Finalizing {
            finalize(self.store.as_ref(), &p.week, now).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobHandler for BatchWorker {
    async fn handle(&self, job: Job) -> Result<(), JobFailure> {
        let p: BatchPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::permanent(format!("bad snapshot.batch payload: {e}")))?;
        let week = IsoWeek::parse(&p.week).map_err(JobFailure::permanent)?;
        let store = self.store.as_ref();
        let run = RunDoc::read_stored(store, &p.week).await.map_err(|e| failure(&e))?;
        let Some(run) = run else { return Err(JobFailure::permanent(format!("no run for {}", p.week))) };
        let marker = store.get(&BatchMarker::path(&p.week, p.batch).map_err(|e| failure(&e))?, None).await;
        if marker.map_err(|e| failure(&e))?.is_some() {
            // A duplicate delivery: nothing to write or count; finish a run whose finalizer died.
            if run.state == RunState::Finalizing {
                finalize(store, &p.week, self.clock.now()).await.map_err(|e| failure(&e))?;
            }
            return Ok(());
        }
        match self.write_batch(&p, week).await {
            Ok(()) => self.record(&p, job.attempt, None).await.map_err(|e| failure(&e)),
            Err(e) => {
                let f = failure(&e);
                if !f.retryable || job.attempt >= self.max_attempts {
                    tracing::error!(week = %p.week, batch = p.batch, attempt = job.attempt, error = %e,
                        "snapshot batch failed for good");
                    self.record(&p, job.attempt, Some(e.to_string())).await.map_err(|e| failure(&e))?;
                }
                Err(f)
            }
        }
    }
}
