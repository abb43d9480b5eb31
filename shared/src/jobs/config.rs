//! [`JobsConfig`]: which job queue to use, from environment variables.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `JOB_QUEUE` | `inprocess` (default), `sqs` or `pubsub` |
//! | `JOB_QUEUE_URL` | with `sqs`: the queue URL |
//! | `JOB_QUEUE_TOPIC` | with `pubsub`: `projects/P/topics/T` |
//! | `JOB_WORKERS` | with `inprocess`: concurrent handler calls, 1–256 (default 4) |
//!
//! `inprocess` is refused on Lambda (`AWS_LAMBDA_RUNTIME_API` set): Lambda freezes the execution
//! environment as soon as the invocation's response is sent and may discard it at any moment,
//! so a job queued or running in memory would be lost, silently. Use `sqs` there.

use std::sync::Arc;

use super::in_process::{InProcessOptions, InProcessQueue};
use super::pubsub::{PubSubQueue, is_topic_name};
use super::queue::{JobHandler, JobQueue};
use super::sqs::SqsQueue;

/// The queue backend and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobQueueConfig {
    /// [`InProcessQueue`] on this process's runtime.
    InProcess,
    /// No queue (the default on Lambda when `JOB_QUEUE` is unset: an in-process queue would be
    /// lost when the execution environment freezes). Enqueueing fails with
    /// [`JobError::Provider`](super::JobError::Provider), so a snap that outlives the
    /// synchronous wait is answered 503 and not charged.
    Disabled,
    /// [`SqsQueue`].
    Sqs {
        /// Queue URL (`JOB_QUEUE_URL`).
        queue_url: String,
    },
    /// [`PubSubQueue`].
    PubSub {
        /// Topic name `projects/P/topics/T` (`JOB_QUEUE_TOPIC`).
        topic: String,
    },
}

/// Validated job-queue configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsConfig {
    /// Backend (`JOB_QUEUE`).
    pub queue: JobQueueConfig,
    /// In-process worker count (`JOB_WORKERS`, default 4).
    pub workers: usize,
}

impl Default for JobsConfig {
    /// In-process with 4 workers.
    fn default() -> Self {
        JobsConfig { queue: JobQueueConfig::InProcess, workers: 4 }
    }
}

impl JobsConfig {
    /// Reads the variables in the module docs through `get`.
    ///
    /// # Errors
    /// Every problem found, one line each (indented like [`crate::config::ConfigError`]'s).
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<JobsConfig, Vec<String>> {
        let mut errors = Vec::new();
        let workers = match get("JOB_WORKERS") {
            None => 4,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if (1..=256).contains(&n) => n,
                _ => {
                    errors.push(format!("  JOB_WORKERS={raw:?}: expected a number from 1 to 256"));
                    4
                }
            },
        };
        let on_lambda = get("AWS_LAMBDA_RUNTIME_API").is_some();
        let queue = match get("JOB_QUEUE").as_deref().unwrap_or(if on_lambda { "none" } else { "inprocess" }) {
            "none" => JobQueueConfig::Disabled,
            "inprocess" => {
                if get("AWS_LAMBDA_RUNTIME_API").is_some() {
                    errors.push(
                        "  JOB_QUEUE=inprocess on Lambda: a frozen execution environment loses queued jobs; \
                         use JOB_QUEUE=sqs"
                            .into(),
                    );
                }
                JobQueueConfig::InProcess
            }
            "sqs" => match get("JOB_QUEUE_URL") {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    JobQueueConfig::Sqs { queue_url: url }
                }
                Some(url) => {
                    errors.push(format!("  JOB_QUEUE_URL={url:?}: must be the queue's http(s) URL"));
                    JobQueueConfig::InProcess
                }
                None => {
                    errors.push("  JOB_QUEUE=sqs needs JOB_QUEUE_URL".into());
                    JobQueueConfig::InProcess
                }
            },
            "pubsub" => match get("JOB_QUEUE_TOPIC") {
                Some(topic) if is_topic_name(&topic) => JobQueueConfig::PubSub { topic },
                Some(topic) => {
                    errors.push(format!("  JOB_QUEUE_TOPIC={topic:?}: expected projects/PROJECT/topics/TOPIC"));
                    JobQueueConfig::InProcess
                }
                None => {
                    errors.push("  JOB_QUEUE=pubsub needs JOB_QUEUE_TOPIC".into());
                    JobQueueConfig::InProcess
                }
            },
            other => {
                errors.push(format!("  JOB_QUEUE={other:?}: expected inprocess, sqs, pubsub or none"));
                JobQueueConfig::InProcess
            }
        };
        if errors.is_empty() { Ok(JobsConfig { queue, workers }) } else { Err(errors) }
    }

    /// Builds the configured queue. `handler` runs the jobs of an in-process queue; SQS and
    /// Pub/Sub jobs run wherever their consumer is ([`handle_sqs_event`](super::handle_sqs_event),
    /// [`handle_pubsub_push`](super::handle_pubsub_push)). `get` is read for
    /// `PUBSUB_EMULATOR_HOST`; the AWS client reads the default AWS configuration chain.
    /// `http` is called only for Pub/Sub: building an HTTP client loads the platform's TLS
    /// roots, which an instance that does not publish should not pay for at start.
    ///
    /// # Errors
    /// [`JobError::BadMessage`](super::JobError::BadMessage) for a malformed topic (which
    /// `from_lookup` already refuses).
    pub async fn build(
        &self,
        handler: Arc<dyn JobHandler>,
        http: impl FnOnce() -> reqwest::Client,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<Arc<dyn JobQueue>, super::JobError> {
        Ok(match &self.queue {
            JobQueueConfig::InProcess => Arc::new(InProcessQueue::new(
                handler,
                InProcessOptions { workers: self.workers, ..InProcessOptions::default() },
            )),
            JobQueueConfig::Sqs { queue_url } => Arc::new(SqsQueue::from_default_config(queue_url.clone()).await),
            JobQueueConfig::PubSub { topic } => Arc::new(PubSubQueue::from_lookup(http(), topic, get)?),
            JobQueueConfig::Disabled => Arc::new(super::disabled::DisabledQueue),
        })
    }
}
