//! The run document of a week, `snapshot_runs/{week}`, and the per-batch markers
//! `snapshot_runs/{week}/batches/{batch}` that make batch completion count once.
//!
//! States: `planning` (the trigger claimed the week and pages through the active users) →
//! `running` (batches dispatched) → `finalizing` (every batch is done or failed; the batch
//! that closed the run merges the item statistics and recalibrates) → `complete`. A week with
//! no active user goes from `planning` straight to `complete`.
//!
//! Recording a batch's outcome is one atomic commit: create the batch's marker (precondition
//! "does not exist") and increment one of [`COUNTER_SHARDS`] counter documents
//! (`snapshot_runs/{week}/counters/{nn}`, chosen by batch index). A duplicate delivery fails the
//! precondition, so the whole commit, counters included, is refused: nothing is counted twice.
//! Sharded counters rather than the run document itself because Firestore sustains about one
//! write per second per document: 10,000 batches (1,000,000 users) on one document would take
//! about 10,000 s of bookkeeping; over 32 shards about 5 minutes. After its commit, a batch
//! sums the shards (one batched read); the batch that sees every planned batch accounted for
//! moves the run to `finalizing` in a transaction on the run document (only the first such
//! transaction changes it). Reading the run ([`RunDoc::read`]) overlays the shard sums while it
//! is running; the finalizer writes the final counts into the run document.

use serde::{Deserialize, Serialize};

use crate::store::{
    CollectionPath, DocPath, DocumentStore, FieldTransform, Op, Query, StoreError, Timestamp, TransactionRetry, Value,
    Write, to_fields,
};

/// Collection of run documents.
pub const RUNS: &str = "snapshot_runs";

/// Sub-collection of a run holding one marker per finished batch.
pub const BATCHES: &str = "batches";

/// Sub-collection of a run holding its counter shards.
pub const COUNTERS: &str = "counters";

/// Counter shards per run (see the module docs).
pub const COUNTER_SHARDS: i64 = 32;

/// The sums of a run's counter shards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounters {
    /// Batches done.
    #[serde(default)]
    pub batches_done: i64,
    /// Batches failed for good.
    #[serde(default)]
    pub batches_failed: i64,
    /// Batches that needed more than one attempt.
    #[serde(default)]
    pub batches_retried: i64,
    /// Users whose snapshot was written.
    #[serde(default)]
    pub users_processed: i64,
}

fn counter_path(week: &str, shard: i64) -> Result<DocPath, StoreError> {
    CollectionPath::parse(&format!("{RUNS}/{week}/{COUNTERS}"))?.doc(&format!("{shard:02}"))
}

/// Sums the counter shards of `week` (one batched read of [`COUNTER_SHARDS`] documents).
///
/// # Errors
/// Store errors.
pub async fn counters(store: &dyn DocumentStore, week: &str) -> Result<RunCounters, StoreError> {
    let paths = (0..COUNTER_SHARDS).map(|i| counter_path(week, i)).collect::<Result<Vec<_>, _>>()?;
    let mut sum = RunCounters::default();
    for doc in store.get_all(&paths, None).await?.into_iter().flatten() {
        let c: RunCounters = doc.decode()?;
        sum.batches_done += c.batches_done;
        sum.batches_failed += c.batches_failed;
        sum.batches_retried += c.batches_retried;
        sum.users_processed += c.users_processed;
    }
    Ok(sum)
}

/// Indexes of the batches recorded as failed, ascending.
///
/// # Errors
/// Store errors.
pub async fn failed_batches(store: &dyn DocumentStore, week: &str) -> Result<Vec<i64>, StoreError> {
    let q = Query::new(CollectionPath::parse(&format!("{RUNS}/{week}/{BATCHES}"))?)
        .filter("done", Op::Eq, Value::BooleanValue(false))
        .select(&["batch"]);
    let mut out: Vec<i64> =
        store.query(&q).await?.iter().filter_map(|d| d.fields.get("batch").and_then(Value::as_i64)).collect();
    out.sort_unstable();
    Ok(out)
}

/// Where a run is (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// The trigger claimed the week and is listing users.
    Planning,
    /// Batches are dispatched.
    Running,
    /// Every batch finished; item statistics are being merged.
    Finalizing,
    /// Done.
    Complete,
}

/// `snapshot_runs/{week}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunDoc {
    /// Week label.
    pub week: String,
    /// State.
    pub state: RunState,
    /// Batches dispatched.
    #[serde(default)]
    pub batches_planned: i64,
    /// Batches whose snapshots were written.
    #[serde(default)]
    pub batches_done: i64,
    /// Batches that exhausted their attempts (or failed permanently) and went to the dead-letter
    /// queue.
    #[serde(default)]
    pub batches_failed: i64,
    /// Batches that needed more than one attempt.
    #[serde(default)]
    pub batches_retried: i64,
    /// Indexes of the failed batches.
    #[serde(default)]
    pub failed_batches: Vec<i64>,
    /// Users found active.
    #[serde(default)]
    pub users_planned: i64,
    /// Users whose snapshot was written.
    #[serde(default)]
    pub users_processed: i64,
    /// When the trigger claimed the week.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When the run completed.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// Questions answered in the week (merged item statistics).
    #[serde(default)]
    pub items_answered: i64,
    /// Questions whose difficulty changed.
    #[serde(default)]
    pub items_recalibrated: i64,
    /// Bank version written by the recalibration (absent when nothing changed).
    #[serde(default)]
    pub bank_version: Option<String>,
    /// Set while one delivery merges and recalibrates (a claim; see [`super::finalize`]).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finalize_claimed_at: Option<Timestamp>,
    /// The bank version the recalibration started from, written before the new version is
    /// imported: a finalizer taking over a dead one's claim sees whether the import happened.
    #[serde(default)]
    pub recalibrated_from: Option<String>,
}

impl RunDoc {
    /// A run just claimed.
    pub fn planning(week: &str, now: chrono::DateTime<chrono::Utc>) -> RunDoc {
        RunDoc {
            week: week.to_owned(),
            state: RunState::Planning,
            batches_planned: 0,
            batches_done: 0,
            batches_failed: 0,
            batches_retried: 0,
            failed_batches: Vec::new(),
            users_planned: 0,
            users_processed: 0,
            started_at: Timestamp(now),
            finished_at: None,
            items_answered: 0,
            items_recalibrated: 0,
            bank_version: None,
            finalize_claimed_at: None,
            recalibrated_from: None,
        }
    }

    /// `snapshot_runs/{week}`.
    ///
    /// # Errors
    /// Invalid path.
    pub fn path(week: &str) -> Result<DocPath, StoreError> {
        CollectionPath::root(RUNS)?.doc(week)
    }

    /// Reads a run; while it is running, with the counter shards' sums and the failed batches.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read(store: &dyn DocumentStore, week: &str) -> Result<Option<RunDoc>, StoreError> {
        let Some(mut run) = Self::read_stored(store, week).await? else { return Ok(None) };
        if matches!(run.state, RunState::Running | RunState::Finalizing) {
            run.apply(counters(store, week).await?);
            run.failed_batches = failed_batches(store, week).await?;
        }
        Ok(Some(run))
    }

    /// Reads the run document as stored.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read_stored(store: &dyn DocumentStore, week: &str) -> Result<Option<RunDoc>, StoreError> {
        store.get(&Self::path(week)?, None).await?.map(|d| d.decode()).transpose()
    }

    /// Sets the counters.
    pub fn apply(&mut self, c: RunCounters) {
        self.batches_done = c.batches_done;
        self.batches_failed = c.batches_failed;
        self.batches_retried = c.batches_retried;
        self.users_processed = c.users_processed;
    }

    /// True once every planned batch is done or failed.
    pub fn all_accounted(&self) -> bool {
        self.batches_done + self.batches_failed >= self.batches_planned
    }
}

/// `snapshot_runs/{week}/batches/{batch}`: a batch's recorded outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMarker {
    /// Batch index.
    pub batch: i64,
    /// True when its snapshots were written, false when it failed for good.
    pub done: bool,
    /// Users in the batch.
    pub users: i64,
    /// The delivery attempt that recorded it (0: never delivered, the enqueue failed).
    pub attempt: u32,
    /// Why it failed.
    #[serde(default)]
    pub detail: Option<String>,
    /// When recorded.
    pub at: Timestamp,
}

impl BatchMarker {
    /// `snapshot_runs/{week}/batches/{batch:05}`.
    ///
    /// # Errors
    /// Invalid path.
    pub fn path(week: &str, batch: i64) -> Result<DocPath, StoreError> {
        CollectionPath::parse(&format!("{RUNS}/{week}/{BATCHES}"))?.doc(&format!("{batch:05}"))
    }
}

/// What [`record_outcome`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// The outcome was counted; the run as committed.
    Counted(RunDoc),
    /// A marker already existed (a duplicate delivery); nothing was counted.
    Duplicate(RunDoc),
}

impl Recorded {
    /// The run after the call.
    pub fn run(&self) -> &RunDoc {
        match self {
            Recorded::Counted(r) | Recorded::Duplicate(r) => r,
        }
    }
}

/// Records a batch's outcome once (see the module docs). The run moves to `finalizing` when
/// this outcome accounts for the last planned batch.
///
/// # Errors
/// Store errors; [`StoreError::NotFound`] when the run does not exist.
pub async fn record_outcome(
    store: &dyn DocumentStore,
    marker: BatchMarker,
    week: &str,
) -> Result<Recorded, StoreError> {
    let run_path = RunDoc::path(week)?;
    let Some(mut run) = RunDoc::read_stored(store, week).await? else {
        return Err(StoreError::NotFound(run_path.to_string()));
    };
    let inc = |field: &str, n: i64| FieldTransform::Increment(field.to_owned(), Value::IntegerValue(n));
    let mut transforms = if marker.done {
        vec![inc("batches_done", 1), inc("users_processed", marker.users)]
    } else {
        vec![inc("batches_failed", 1)]
    };
    if marker.attempt > 1 {
        transforms.push(inc("batches_retried", 1));
    }
    let shard = marker.batch.rem_euclid(COUNTER_SHARDS);
    let writes = vec![
        Write::create(BatchMarker::path(week, marker.batch)?, to_fields(&marker)?),
        Write::transform(counter_path(week, shard)?, transforms),
    ];
    let duplicate = match store.commit(writes).await {
        Ok(()) => false,
        Err(StoreError::AlreadyExists(_)) => true,
        Err(e) => return Err(e),
    };
    run.apply(counters(store, week).await?);
    if duplicate {
        return Ok(Recorded::Duplicate(run));
    }
    if run.state == RunState::Running && run.all_accounted() {
        run = close(store, week).await?;
    }
    Ok(Recorded::Counted(run))
}

/// Moves a running run whose batches are all accounted for to `finalizing` (a no-op for any
/// other state); returns the run as it then is.
async fn close(store: &dyn DocumentStore, week: &str) -> Result<RunDoc, StoreError> {
    let path = RunDoc::path(week)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let Some(doc) = txn.get(&path).await? else { return Err(StoreError::NotFound(path.to_string())) };
        let mut run: RunDoc = doc.decode()?;
        if run.state != RunState::Running {
            return Ok(run);
        }
        run.state = RunState::Finalizing;
        match txn.commit(vec![Write::set(path.clone(), to_fields(&run)?)]).await {
            Ok(()) => return Ok(run),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}
