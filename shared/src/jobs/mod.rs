//! Job queue: deferred work that survives the request that started it.
//!
//! A producer (snap-solve's slow path, the weekly snapshot planner) puts a [`Job`] on a
//! [`JobQueue`]; a [`JobHandler`] runs it later, at least once. Backends:
//!
//! | backend | producer | consumer |
//! | --- | --- | --- |
//! | embedded default | [`InProcessQueue`] | its own worker tasks |
//! | AWS | [`SqsQueue`] (`SendMessage`, `SendMessageBatch`) | a Lambda fed by an SQS event source: [`handle_sqs_event`] |
//! | GCP | [`PubSubQueue`] (REST `publish`) | a push subscription to an HTTP route: [`job_from_pubsub_push`] / [`handle_pubsub_push`] |
//!
//! Every backend carries the same JSON [envelope](job), and [`JobsConfig`] picks one from the
//! environment. A job never rides on a background task of a request: a Lambda execution
//! environment is frozen after its response and would lose it.

mod config;
mod disabled;
mod dispatch;
mod error;
mod in_process;
pub mod job;
mod lambda_events;
mod pubsub;
mod queue;
mod sqs;

pub use config::{JobQueueConfig, JobsConfig};
pub use disabled::DisabledQueue;
pub use dispatch::JobDispatcher;
pub use error::{FailedJob, JobError, JobFailure};
pub use in_process::{DeadLetter, InProcessOptions, InProcessQueue};
pub use job::{Job, PUBSUB_MAX_BODY_BYTES, PUBSUB_MAX_MESSAGE_BYTES, SQS_MAX_MESSAGE_BYTES};
pub use lambda_events::{JobEvents, is_sqs_event};
pub use pubsub::{
    PUBSUB_BASE_URL, PUBSUB_PUBLISH_MESSAGES, PubSubQueue, handle_pubsub_push, is_topic_name, job_from_pubsub_push,
};
pub use queue::{JobHandler, JobQueue};
pub use sqs::{SQS_BATCH_ENTRIES, SQS_HANDLER_CONCURRENCY, SqsQueue, handle_sqs_event};
