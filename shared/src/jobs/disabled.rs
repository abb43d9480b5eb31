//! The queue of a deployment that has none (`JOB_QUEUE=none`, the default on Lambda without a
//! configured queue): every enqueue fails, so work that needs a queue is refused cleanly
//! instead of being lost.

use super::{Job, JobError, JobQueue};

/// A queue that refuses every job.
pub struct DisabledQueue;

fn refused() -> JobError {
    JobError::Provider {
        backend: "none",
        status: None,
        code: "NoQueue".into(),
        detail: "no job queue is configured (set JOB_QUEUE=sqs and JOB_QUEUE_URL, or JOB_QUEUE=pubsub)".into(),
    }
}

#[async_trait::async_trait]
impl JobQueue for DisabledQueue {
    async fn enqueue(&self, _job: Job) -> Result<(), JobError> {
        Err(refused())
    }

    async fn enqueue_batch(&self, _jobs: Vec<Job>) -> Result<(), JobError> {
        Err(refused())
    }

    fn backend(&self) -> &'static str {
        "none"
    }
}
