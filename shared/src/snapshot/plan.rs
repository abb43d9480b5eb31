//! The planner: claims the week's run, lists the active users, splits them into batches of
//! [`BATCH_SIZE`] and dispatches one [`KIND`] job per batch on the instance's queue (SQS,
//! Pub/Sub or in-process). Idempotent per week: a second trigger of a complete week, or a
//! trigger while a run is planning, running or finalizing, starts nothing and answers the run
//! as it is. A run stuck in `planning` for longer than [`PLANNING_TIMEOUT`] (a crashed planner)
//! is planned again.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::active::{BATCH_SIZE, PAGE_SIZE, active_user_ids, split_batches};
use super::batch::{BatchPayload, KIND, job_id};
use super::finalize::finalize;
use super::run::{BatchMarker, RunDoc, RunState, record_outcome};
use super::week::IsoWeek;
use crate::jobs::{Job, JobError, JobQueue};
use crate::store::{DocumentStore, StoreError, Timestamp, TransactionRetry, Write, to_fields};

/// Age after which a run still `planning` is taken over by the next trigger.
pub const PLANNING_TIMEOUT: chrono::Duration = chrono::Duration::hours(1);

/// What a trigger did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", content = "run", rename_all = "snake_case")]
pub enum TriggerOutcome {
    /// A run was started (or, with no active user, started and completed); the run document.
    Started(RunDoc),
    /// The week's run is already complete; nothing was done.
    AlreadyComplete(RunDoc),
    /// A run is in progress; nothing was started.
    InProgress(RunDoc),
}

impl TriggerOutcome {
    /// The run document.
    pub fn run(&self) -> &RunDoc {
        match self {
            TriggerOutcome::Started(r) | TriggerOutcome::AlreadyComplete(r) | TriggerOutcome::InProgress(r) => r,
        }
    }
}

/// Errors of a trigger.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue refused every batch (each is recorded as failed on the run).
    #[error(transparent)]
    Queue(#[from] JobError),
}

/// Claims the week or reports the run that holds it.
async fn claim(
    store: &dyn DocumentStore,
    week: &str,
    now: DateTime<Utc>,
) -> Result<Option<TriggerOutcome>, StoreError> {
    let path = RunDoc::path(week)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        if let Some(doc) = txn.get(&path).await? {
            let run: RunDoc = doc.decode()?;
            match run.state {
                RunState::Complete => return Ok(Some(TriggerOutcome::AlreadyComplete(run))),
                RunState::Planning if now - run.started_at.0 >= PLANNING_TIMEOUT => {}
                _ => return Ok(Some(TriggerOutcome::InProgress(run))),
            }
        }
        match txn.commit(vec![Write::set(path.clone(), to_fields(&RunDoc::planning(week, now))?)]).await {
            Ok(()) => return Ok(None),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Triggers the run of `week` (see the module docs).
///
/// # Errors
/// Store errors; [`TriggerError::Queue`] when the queue refused every batch (the run then
/// lists them all as failed and is complete).
pub async fn trigger(
    store: &dyn DocumentStore,
    queue: &dyn JobQueue,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<TriggerOutcome, TriggerError> {
    let label = week.label();
    if let Some(existing) = claim(store, &label, now).await? {
        return Ok(existing);
    }
    let ids = active_user_ids(store, &label, PAGE_SIZE).await?;
    let batches = split_batches(ids, BATCH_SIZE);
    let mut run = RunDoc::planning(&label, now);
    run.batches_planned = batches.len() as i64;
    run.users_planned = batches.iter().map(Vec::len).sum::<usize>() as i64;
    run.state = if batches.is_empty() { RunState::Complete } else { RunState::Running };
    if batches.is_empty() {
        run.finished_at = Some(Timestamp(now));
    }
    store.commit(vec![Write::set(RunDoc::path(&label)?, to_fields(&run)?)]).await?;
    let sizes: Vec<i64> = batches.iter().map(|b| b.len() as i64).collect();
    let jobs: Vec<Job> = batches
        .into_iter()
        .enumerate()
        .map(|(i, uids)| {
            let payload = BatchPayload { week: label.clone(), batch: i as i64, uids };
            Job::new(KIND, job_id(&label, i as i64), serde_json::to_value(&payload).unwrap_or_default())
        })
        .collect();
    let total = jobs.len();
    if total > 0
        && let Err(e) = queue.enqueue_batch(jobs).await
    {
        let failed = match &e {
            JobError::Partial { failed } => failed.iter().map(|f| (f.id.clone(), f.detail.clone())).collect(),
            other => (0..total).map(|i| (job_id(&label, i as i64), other.to_string())).collect::<Vec<_>>(),
        };
        tracing::error!(week = %label, failed = failed.len(), error = %e, "snapshot batches not enqueued");
        for (id, detail) in &failed {
            let Some(batch) = id.rsplit(':').next().and_then(|n| n.parse::<i64>().ok()) else { continue };
            let marker = BatchMarker {
                batch,
                done: false,
                users: sizes.get(batch as usize).copied().unwrap_or(0),
                attempt: 0,
                detail: Some(format!("not enqueued: {detail}")),
                at: Timestamp(now),
            };
            if record_outcome(store, marker, &label).await?.run().state == RunState::Finalizing {
                finalize(store, &label, now).await?;
            }
        }
        if failed.len() == total {
            return Err(e.into());
        }
    }
    Ok(TriggerOutcome::Started(RunDoc::read(store, &label).await?.unwrap_or(run)))
}
