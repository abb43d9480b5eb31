//! The queued half of a snap: a `snap.solve` job, enqueued when the inline attempt outlives
//! the synchronous wait. Whichever transport carries it (in-process, SQS, Pub/Sub), the
//! handler reloads the snap and its stored image and runs the same [`Solver`]; a snap that is
//! no longer pending (settled, deleted) makes the job a no-op, so duplicate deliveries are
//! harmless.

use serde::{Deserialize, Serialize};

use super::solve::{Attempt, SolveInput, Solver};
use crate::domain::{SnapId, UserId};
use crate::jobs::{Job, JobFailure, JobHandler};
use crate::objects::ObjectStorage;
use crate::records::snap::{SnapDoc, SnapStatus};

/// Job kind.
pub const KIND: &str = "snap.solve";

/// Deliveries of a job (its `attempt` counts from 1) after which a retryable failure fails the
/// snap and releases it instead of asking for another delivery.
pub const MAX_ATTEMPTS: u32 = 3;

/// Payload of a `snap.solve` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveJob {
    /// The pending snap.
    pub snap_id: SnapId,
}

impl SolveJob {
    /// The job envelope (its id dedups deliveries of the same snap).
    pub fn job(&self) -> Job {
        Job::new(KIND, format!("{KIND}:{}", self.snap_id), serde_json::to_value(self).unwrap_or_default())
    }
}

/// Handles `snap.solve` jobs.
pub struct SolveJobHandler {
    /// The solver.
    pub solver: Solver,
    /// Where snap images are.
    pub images: ObjectStorage,
}

fn failure(retryable: bool, detail: impl Into<String>) -> JobFailure {
    if retryable { JobFailure::retryable(detail) } else { JobFailure::permanent(detail) }
}

#[async_trait::async_trait]
impl JobHandler for SolveJobHandler {
    async fn handle(&self, job: Job) -> Result<(), JobFailure> {
        let payload: SolveJob =
            serde_json::from_value(job.payload).map_err(|e| failure(false, format!("bad snap.solve payload: {e}")))?;
        let path = SnapDoc::path(&payload.snap_id).map_err(|e| failure(false, e.to_string()))?;
        let snap = match self.solver.store.get(&path, None).await {
            Ok(Some(d)) => d.decode::<SnapDoc>().map_err(|e| failure(false, e.to_string()))?,
            Ok(None) => return Ok(()),
            Err(e) => return Err(failure(true, e.to_string())),
        };
        if snap.status != SnapStatus::Pending {
            return Ok(());
        }
        let uid = UserId::parse(&snap.uid).map_err(|e| failure(false, e))?;
        let image = match self.images.get(&snap.image.key).await {
            Ok(Some(b)) => b,
            Ok(None) => return Err(failure(false, format!("image {} is missing", snap.image.key))),
            Err(e) => return Err(failure(true, e.to_string())),
        };
        let attempt_no = snap.attempts + 1;
        let final_attempt = job.attempt >= MAX_ATTEMPTS;
        let input = SolveInput {
            id: &payload.snap_id,
            uid: &uid,
            image: &image,
            mime_type: &snap.image.mime_type,
            attempt_no,
            final_attempt,
        };
        match self.solver.attempt(input).await {
            Ok(Attempt::Solved(_) | Attempt::Failed(..) | Attempt::Gone) => Ok(()),
            Ok(Attempt::Retryable(e)) => Err(failure(true, e.to_string())),
            Err(e) => Err(failure(true, e.to_string())),
        }
    }
}
