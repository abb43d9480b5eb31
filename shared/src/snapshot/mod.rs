//! The weekly progress snapshot, a scheduled fan-out: a planner finds the users active in an
//! ISO week (IST), splits them into batches of 100 and puts one `snapshot.batch` job per batch
//! on the job queue (SQS, Pub/Sub, or in-process); workers write each user's snapshot and the
//! batch's item statistics; the batch that closes the run merges the statistics and
//! re-estimates item difficulties into a new bank version.
//!
//! | file | concept |
//! | --- | --- |
//! | [`week`] | ISO weeks of IST days |
//! | [`active`] | the week's active users (ids only) and batch splitting |
//! | [`run`] | the run document and once-only batch accounting |
//! | [`plan`] | the trigger / planner |
//! | [`report`] | the per-user snapshot document |
//! | [`batch`] | the `snapshot.batch` worker |
//! | [`item_stats`] | per-batch item statistics and their merge |
//! | [`recalibrate`] | the bounded difficulty update |
//! | [`finalize`] | closing a run |
//! | [`schedule`] | the scheduled triggers' event shapes |

pub mod active;
pub mod batch;
pub mod finalize;
pub mod item_stats;
pub mod plan;
pub mod recalibrate;
pub mod report;
pub mod run;
pub mod schedule;
pub mod week;

pub use batch::{BatchWorker, KIND, MAX_ATTEMPTS};
pub use plan::{TriggerError, TriggerOutcome, trigger};
pub use report::SnapshotDoc;
pub use run::{RunDoc, RunState};
pub use week::IsoWeek;
