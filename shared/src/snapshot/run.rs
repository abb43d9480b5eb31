//! The run document of a week, `snapshot_runs/{week}`, and the per-batch markers
//! `snapshot_runs/{week}/batches/{batch}` that make batch completion count once.
//!
//! States: `planning` (the trigger claimed the week and pages through the active users) →
//! `running` (batches dispatched) → `finalizing` (every batch is done or failed; the batch
//! that closed the run merges the item statistics and recalibrates) → `complete`. A week with
//! no active user goes from `planning` straight to `complete`.
//!
//! Recording a batch's outcome is one transaction over the run document and the batch's
//! marker: when the marker already exists the delivery is a duplicate and nothing is counted;
//! otherwise the marker is created and the counters move, so exactly one delivery sees the
//! counters reach `batches_planned` and closes the run. (Every batch writes the run document,
//! so a run's bookkeeping is bound by Firestore's sustained rate of about one write per second
//! per document: about 10,000 batches, 1,000,000 users, take that many seconds of commits,
//! contention retries included.)

use serde::{Deserialize, Serialize};

use crate::store::{CollectionPath, DocPath, DocumentStore, StoreError, Timestamp, TransactionRetry, Write, to_fields};

/// Collection of run documents.
pub const RUNS: &str = "snapshot_runs";

/// Sub-collection of a run holding one marker per finished batch.
pub const BATCHES: &str = "batches";

/// Where a run is (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub started_at: Timestamp,
    /// When the run completed.
    #[serde(default)]
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

    /// Reads a run.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read(store: &dyn DocumentStore, week: &str) -> Result<Option<RunDoc>, StoreError> {
        store.get(&Self::path(week)?, None).await?.map(|d| d.decode()).transpose()
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
/// Store errors; [`StoreError::NotFound`] when the run does not exist; `Aborted` after the
/// transaction retries are exhausted.
pub async fn record_outcome(
    store: &dyn DocumentStore,
    marker: BatchMarker,
    week: &str,
) -> Result<Recorded, StoreError> {
    let run_path = RunDoc::path(week)?;
    let marker_path = BatchMarker::path(week, marker.batch)?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let docs = txn.get_all(&[run_path.clone(), marker_path.clone()]).await?;
        let mut run: RunDoc = match &docs[0] {
            Some(d) => d.decode()?,
            None => return Err(StoreError::NotFound(run_path.to_string())),
        };
        if docs[1].is_some() {
            return Ok(Recorded::Duplicate(run));
        }
        if marker.done {
            run.batches_done += 1;
            run.users_processed += marker.users;
        } else {
            run.batches_failed += 1;
            run.failed_batches.push(marker.batch);
        }
        if marker.attempt > 1 {
            run.batches_retried += 1;
        }
        if run.state == RunState::Running && run.all_accounted() {
            run.state = RunState::Finalizing;
        }
        let writes = vec![
            Write::create(marker_path.clone(), to_fields(&marker)?),
            Write::set(run_path.clone(), to_fields(&run)?),
        ];
        match txn.commit(writes).await {
            Ok(()) => return Ok(Recorded::Counted(run)),
            Err(StoreError::Aborted | StoreError::AlreadyExists(_)) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}
