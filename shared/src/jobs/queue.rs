//! The two sides of a job queue: [`JobQueue`] (producers) and [`JobHandler`] (consumers).

use async_trait::async_trait;

use super::error::{JobError, JobFailure};
use super::job::Job;

/// Where producers put jobs. Delivery is at least once on every backend: handlers key their
/// effects on [`Job::id`].
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues one job.
    ///
    /// # Errors
    /// [`JobError::TooLarge`], [`JobError::QueueFull`] (in-process) or [`JobError::Provider`].
    async fn enqueue(&self, job: Job) -> Result<(), JobError>;

    /// Enqueues many jobs, in as few provider requests as its limits allow (SQS: 10 entries and
    /// 256 KiB per `SendMessageBatch`). Every job that can be enqueued is, even when others fail.
    ///
    /// # Errors
    /// [`JobError::Partial`] listing each job that was not enqueued.
    async fn enqueue_batch(&self, jobs: Vec<Job>) -> Result<(), JobError>;

    /// The backend's name for logs and health output: `inprocess`, `sqs`, `pubsub`.
    fn backend(&self) -> &'static str;
}

/// The work behind jobs: called once per delivery.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Does the job's work.
    ///
    /// # Errors
    /// [`JobFailure`]: retryable ones are delivered again (with backoff, up to a bound, then
    /// dead-lettered); permanent ones are logged and dropped (in-process: dead-lettered at once).
    async fn handle(&self, job: Job) -> Result<(), JobFailure>;
}
