//! Amazon SQS: [`SqsQueue`] sends jobs; [`handle_sqs_event`] runs them in a Lambda function that
//! an SQS event source mapping invokes.
//!
//! # Producer
//! One job is one message whose body is the [envelope](super::job); the job's `kind` also
//! travels as the string message attribute `kind` (for filtering and metrics). Standard queues:
//! delivery is at least once and unordered, so handlers are idempotent on [`Job::id`].
//!
//! # Consumer (Lambda)
//! The event source mapping must enable `ReportBatchItemFailures` (`FunctionResponseTypes`), so
//! that the [`SqsBatchResponse`] returned here deletes the successful messages and leaves only
//! the failed ones on the queue, per "Handling errors for an SQS event source in Lambda":
//! - a retryable [`JobFailure`](super::JobFailure) and a panicking handler are reported in
//!   `batchItemFailures`: the message becomes visible again after the visibility timeout and,
//!   after the queue's redrive policy's `maxReceiveCount` receives, moves to its dead-letter queue;
//! - a permanent failure is logged at error level and acknowledged (not reported). The redrive
//!   policy counts receives, not verdicts, so reporting it would only burn `maxReceiveCount`
//!   receives (and that many handler runs) before the same message reaches the dead-letter queue;
//! - a record whose body is not a job envelope is reported (and logged): the bad message then
//!   lands in the dead-letter queue, where it can be inspected, instead of vanishing.

use std::panic::AssertUnwindSafe;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use futures_util::{FutureExt, StreamExt};

use super::error::{FailedJob, JobError};
use super::job::{Job, SQS_MAX_MESSAGE_BYTES};
use super::queue::{JobHandler, JobQueue};

/// Entries per `SendMessageBatch` request: at most 10 (SQS API reference, `SendMessageBatch`).
pub const SQS_BATCH_ENTRIES: usize = 10;

/// Records of one Lambda event that [`handle_sqs_event`] runs at once. The event source's batch
/// size can reach 10,000 with a batching window; this bounds the handler calls (and so the store
/// and model connections) one invocation opens.
pub const SQS_HANDLER_CONCURRENCY: usize = 10;

/// Sends jobs to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    /// A queue sending through `client` to `queue_url`
    /// (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsQueue { client, queue_url: queue_url.into() }
    }

    /// A queue with a client from the default AWS configuration chain (on Lambda: the
    /// function's role through the `AWS_*` environment variables, and `AWS_REGION`).
    pub async fn from_default_config(queue_url: impl Into<String>) -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        SqsQueue::new(aws_sdk_sqs::Client::new(&config), queue_url)
    }

    /// The queue URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Bytes the `kind` attribute adds to a message: SQS counts each attribute's name, data
    /// type and value toward the message size ("Amazon SQS message attributes").
    fn attribute_bytes(job: &Job) -> usize {
        "kind".len() + "String".len() + job.kind.len()
    }

    /// The envelope, within the 256 KiB left after the attribute.
    fn body(job: &Job) -> Result<String, JobError> {
        job.to_body(SQS_MAX_MESSAGE_BYTES.saturating_sub(Self::attribute_bytes(job)))
    }

    /// The `kind` message attribute.
    fn kind_attribute(job: &Job) -> Result<MessageAttributeValue, FailedJob> {
        MessageAttributeValue::builder().data_type("String").string_value(&job.kind).build().map_err(|e| FailedJob {
            id: job.id.clone(),
            code: "invalid_entry".into(),
            detail: e.to_string(),
        })
    }

    /// Sends one chunk (≤ 10 entries, ≤ 256 KiB in all) and returns the jobs that failed.
    async fn send_chunk(&self, chunk: Vec<(Job, String)>) -> Vec<FailedJob> {
        let mut entries = Vec::with_capacity(chunk.len());
        let mut failed = Vec::new();
        for (i, (job, body)) in chunk.iter().enumerate() {
            // Entry ids only need to be unique within the request: the position.
            let entry = Self::kind_attribute(job).and_then(|kind| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .message_attributes("kind", kind)
                    .build()
                    .map_err(|e| FailedJob { id: job.id.clone(), code: "invalid_entry".into(), detail: e.to_string() })
            });
            match entry {
                Ok(entry) => entries.push(entry),
                Err(f) => failed.push(f),
            }
        }
        if entries.is_empty() {
            return failed;
        }
        let sent = self.client.send_message_batch().queue_url(&self.queue_url).set_entries(Some(entries)).send().await;
        match sent {
            Ok(out) => failed.extend(out.failed().iter().map(|f| {
                let job = f.id().parse::<usize>().ok().and_then(|i| chunk.get(i));
                FailedJob {
                    id: job.map(|(j, _)| j.id.clone()).unwrap_or_else(|| format!("entry {}", f.id())),
                    code: f.code().to_owned(),
                    detail: format!(
                        "{} ({} fault)",
                        f.message().unwrap_or(""),
                        if f.sender_fault() { "sender" } else { "service" }
                    ),
                }
            })),
            Err(e) => {
                let err = provider_error(e);
                let (code, detail) = match &err {
                    JobError::Provider { code, detail, .. } => (code.clone(), detail.clone()),
                    other => ("transport".to_owned(), other.to_string()),
                };
                failed.extend(chunk.iter().map(|(j, _)| FailedJob {
                    id: j.id.clone(),
                    code: code.clone(),
                    detail: detail.clone(),
                }));
            }
        }
        failed
    }
}

/// Maps an SDK error to [`JobError::Provider`] with SQS's error code and the HTTP status.
fn provider_error<E>(e: SdkError<E>) -> JobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = e.code().unwrap_or("transport").to_owned();
    let detail = e.message().map(str::to_owned).unwrap_or_else(|| DisplayErrorContext(&e).to_string());
    JobError::Provider { backend: "sqs", status, code, detail }
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: Job) -> Result<(), JobError> {
        let body = Self::body(&job)?;
        let kind = Self::kind_attribute(&job).map_err(|f| JobError::Provider {
            backend: "sqs",
            status: None,
            code: f.code,
            detail: f.detail,
        })?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("kind", kind)
            .send()
            .await
            .map_err(provider_error)?;
        Ok(())
    }

    async fn enqueue_batch(&self, jobs: Vec<Job>) -> Result<(), JobError> {
        let mut failed = Vec::new();
        let mut chunk: Vec<(Job, String)> = Vec::new();
        let mut chunk_bytes = 0;
        for job in jobs {
            let body = match Self::body(&job) {
                Ok(body) => body,
                Err(e) => {
                    failed.push(FailedJob { id: job.id.clone(), code: "too_large".into(), detail: e.to_string() });
                    continue;
                }
            };
            // The 256 KiB limit also bounds the sum of a batch's messages.
            let size = body.len() + Self::attribute_bytes(&job);
            if chunk.len() == SQS_BATCH_ENTRIES || chunk_bytes + size > SQS_MAX_MESSAGE_BYTES {
                failed.extend(self.send_chunk(std::mem::take(&mut chunk)).await);
                chunk_bytes = 0;
            }
            chunk_bytes += size;
            chunk.push((job, body));
        }
        if !chunk.is_empty() {
            failed.extend(self.send_chunk(chunk).await);
        }
        if failed.is_empty() { Ok(()) } else { Err(JobError::Partial { failed }) }
    }

    fn backend(&self) -> &'static str {
        "sqs"
    }
}

/// Runs an SQS event's records through `handler`, at most [`SQS_HANDLER_CONCURRENCY`] at once,
/// and returns the partial batch response: the `messageId` of every record to deliver again
/// (retryable failure, panic, unparsable body). See the module docs for each outcome. Never
/// panics; a record without a `messageId` (Lambda always sets one) cannot be reported and is
/// logged instead.
pub async fn handle_sqs_event(event: SqsEvent, handler: &dyn JobHandler) -> SqsBatchResponse {
    let failures: Vec<Option<String>> = futures_util::stream::iter(event.records)
        .map(|record| handle_record(record, handler))
        .buffer_unordered(SQS_HANDLER_CONCURRENCY)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for id in failures.into_iter().flatten() {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Handles one record; `Some(messageId)` when it must be delivered again.
async fn handle_record(record: SqsMessage, handler: &dyn JobHandler) -> Option<String> {
    let message_id = record.message_id.clone().unwrap_or_default();
    let report = |why: &str| {
        if message_id.is_empty() {
            tracing::error!(why, "SQS record without messageId cannot be reported for redelivery");
            None
        } else {
            Some(message_id.clone())
        }
    };
    let mut job = match Job::from_body(record.body.as_deref().unwrap_or("").as_bytes()) {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(message_id, error = %e, "SQS record is not a job; reported as a batch item failure");
            return report("bad body");
        }
    };
    if let Some(count) = record.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()) {
        job.attempt = count;
    }
    let (kind, id, attempt) = (job.kind.clone(), job.id.clone(), job.attempt);
    match AssertUnwindSafe(handler.handle(job)).catch_unwind().await {
        Ok(Ok(())) => None,
        Ok(Err(failure)) if failure.retryable => {
            tracing::warn!(message_id, kind, id, attempt, detail = %failure.detail, "job failed, SQS will redeliver");
            report("retryable failure")
        }
        Ok(Err(failure)) => {
            tracing::error!(message_id, kind, id, attempt, detail = %failure.detail, "job failed permanently; acknowledged");
            None
        }
        Err(_) => {
            tracing::error!(message_id, kind, id, attempt, "job handler panicked; SQS will redeliver");
            report("panic")
        }
    }
}
