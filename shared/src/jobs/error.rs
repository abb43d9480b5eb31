//! Errors of enqueueing ([`JobError`]) and of handling ([`JobFailure`]).

/// One job of a batch that was not enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedJob {
    /// The job's [`id`](super::Job::id).
    pub id: String,
    /// The provider's error code (`InvalidParameterValue`, `NOT_FOUND`, …) or one of ours:
    /// `too_large`, `queue_full`, `transport`.
    pub code: String,
    /// Human-readable detail.
    pub detail: String,
}

/// Why a job (or some jobs of a batch) could not be enqueued or read.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The envelope is longer than the transport accepts.
    #[error("job {id}: envelope is {bytes} bytes, the transport takes at most {limit}")]
    TooLarge {
        /// The job's id.
        id: String,
        /// The envelope's length in bytes.
        bytes: usize,
        /// The transport's limit in bytes.
        limit: usize,
    },
    /// The in-process queue stayed full for its whole enqueue timeout, or is shut down.
    #[error("job queue full: no room within {waited_ms} ms")]
    QueueFull {
        /// How long enqueue waited, in milliseconds.
        waited_ms: u64,
    },
    /// The provider refused the request or could not be reached.
    #[error("{backend}: {code}: {detail}")]
    Provider {
        /// `sqs` or `pubsub`.
        backend: &'static str,
        /// HTTP status when the provider answered.
        status: Option<u16>,
        /// Provider error code (`AWS.SimpleQueueService.NonExistentQueue`, `NOT_FOUND`, …), or
        /// `transport` when there was no answer.
        code: String,
        /// The provider's message.
        detail: String,
    },
    /// Some jobs of a batch were not enqueued; every other one was.
    #[error("{} of the batch's jobs were not enqueued (first: {})", failed.len(),
        failed.first().map(|f| format!("{}: {} {}", f.id, f.code, f.detail)).unwrap_or_default())]
    Partial {
        /// The jobs that failed, in batch order.
        failed: Vec<FailedJob>,
    },
    /// A delivered message is not a job (bad JSON, bad base64, missing fields).
    #[error("bad job message: {0}")]
    BadMessage(String),
}

/// A handler's verdict on a job it could not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", if *retryable { "retryable" } else { "permanent" })]
pub struct JobFailure {
    /// True when a later attempt may succeed (timeouts, 5xx, a breaker open); false when it never
    /// will (the referenced document is gone, the payload is invalid).
    pub retryable: bool,
    /// What went wrong, for logs and dead letters.
    pub detail: String,
}

impl JobFailure {
    /// A failure worth retrying.
    pub fn retryable(detail: impl Into<String>) -> Self {
        JobFailure { retryable: true, detail: detail.into() }
    }

    /// A failure no retry will fix.
    pub fn permanent(detail: impl Into<String>) -> Self {
        JobFailure { retryable: false, detail: detail.into() }
    }
}
