//! Google Cloud Pub/Sub: [`PubSubQueue`] publishes jobs over the REST API; a push subscription
//! delivers each one to an HTTP endpoint, which reads it with [`job_from_pubsub_push`] (or runs
//! it with [`handle_pubsub_push`]).
//!
//! # Producer
//! `POST {base}/v1/projects/{project}/topics/{topic}:publish` with
//! `{"messages": [{"data": base64(envelope), "attributes": {"kind": …, "id": …}}]}`
//! (REST reference, `projects.topics.publish`). `base` is `https://pubsub.googleapis.com`, or
//! `http://$PUBSUB_EMULATOR_HOST` for Google's emulator (which takes no credentials). In
//! production the request carries an OAuth 2.0 access token (`cloud-platform` scope) from the
//! Application Default Credentials, on Cloud Run the metadata server's service account token:
//! `google-cloud-auth` through the `firestore` crate's `gcloud-sdk` (already a dependency, so no
//! extra compile), built on first publish and refreshed by it before expiry.
//!
//! # Push consumer
//! Pub/Sub POSTs `{"message": {"data", "attributes", "messageId", "publishTime"},
//! "subscription", "deliveryAttempt"?}` ("Push subscriptions", "Receive messages"). The endpoint
//! acknowledges with any of 102, 200, 201, 202, 204; any other status (or a timeout) is a
//! negative acknowledgement and Pub/Sub redelivers with the subscription's retry policy, and
//! after `maxDeliveryAttempts` forwards to the dead-letter topic when one is set.
//! [`handle_pubsub_push`] maps outcomes the way [`handle_sqs_event`](super::handle_sqs_event)
//! does: success and permanent failures acknowledge (204), retryable failures, panics and bodies
//! that are not jobs do not (503, 400). Verifying the push's OIDC token is the endpoint's job.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use firestore::gcloud_sdk::GoogleAuthHeaders;
use futures_util::FutureExt;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::error::{FailedJob, JobError};
use super::job::{Job, PUBSUB_MAX_BODY_BYTES, PUBSUB_MAX_MESSAGE_BYTES};
use super::queue::{JobHandler, JobQueue};

/// Pub/Sub's production REST endpoint.
pub const PUBSUB_BASE_URL: &str = "https://pubsub.googleapis.com";

/// Messages per publish request: at most 1,000 ("Pub/Sub quotas and limits").
pub const PUBSUB_PUBLISH_MESSAGES: usize = 1_000;

/// Room per message for its JSON wrapper and attributes when packing publish requests, bytes.
const MESSAGE_OVERHEAD_BYTES: usize = 512;

/// Publishes jobs to one Pub/Sub topic over REST.
#[derive(Clone)]
pub struct PubSubQueue {
    http: reqwest::Client,
    publish_url: String,
    topic: String,
    /// `None` for the emulator; the lazily built credentials otherwise.
    auth: Option<Arc<OnceCell<GoogleAuthHeaders>>>,
}

impl std::fmt::Debug for PubSubQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSubQueue")
            .field("publish_url", &self.publish_url)
            .field("auth", &self.auth.is_some())
            .finish()
    }
}

/// True when `topic` is a full topic name, `projects/{project}/topics/{topic}` with both parts
/// non-empty and free of `/`.
pub fn is_topic_name(topic: &str) -> bool {
    let parts: Vec<&str> = topic.split('/').collect();
    matches!(parts.as_slice(), ["projects", p, "topics", t] if !p.is_empty() && !t.is_empty())
}

impl PubSubQueue {
    /// A queue publishing to `topic` (`projects/P/topics/T`) at `base_url`: with
    /// Application Default Credentials when `authenticated`, without any for the emulator.
    ///
    /// # Errors
    /// [`JobError::BadMessage`] when `topic` is not a full topic name.
    pub fn new(http: reqwest::Client, base_url: &str, topic: &str, authenticated: bool) -> Result<Self, JobError> {
        if !is_topic_name(topic) {
            return Err(JobError::BadMessage(format!("{topic:?} is not projects/PROJECT/topics/TOPIC")));
        }
        Ok(PubSubQueue {
            http,
            publish_url: format!("{}/v1/{topic}:publish", base_url.trim_end_matches('/')),
            topic: topic.to_owned(),
            auth: authenticated.then(|| Arc::new(OnceCell::new())),
        })
    }

    /// Production Pub/Sub when `PUBSUB_EMULATOR_HOST` (read through `get`) is unset, else the
    /// emulator at `http://$PUBSUB_EMULATOR_HOST` without credentials, as Google's client
    /// libraries do.
    ///
    /// # Errors
    /// As [`PubSubQueue::new`].
    pub fn from_lookup(
        http: reqwest::Client,
        topic: &str,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, JobError> {
        match get("PUBSUB_EMULATOR_HOST") {
            Some(host) => PubSubQueue::new(http, &format!("http://{host}"), topic, false),
            None => PubSubQueue::new(http, PUBSUB_BASE_URL, topic, true),
        }
    }

    /// The topic name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    async fn authorize(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, JobError> {
        let Some(cell) = &self.auth else { return Ok(request) };
        let failed = |e: firestore::gcloud_sdk::error::Error| JobError::Provider {
            backend: "pubsub",
            status: None,
            code: "credentials".into(),
            detail: e.to_string(),
        };
        let auth = cell.get_or_try_init(GoogleAuthHeaders::from_adc).await.map_err(failed)?;
        let headers = auth.headers().await.map_err(failed)?;
        Ok(request.headers((*headers).clone()))
    }

    /// One publish request; every message in it is published or none is.
    async fn publish(&self, messages: &[(String, serde_json::Value)]) -> Result<(), JobError> {
        let body = serde_json::json!({
            "messages": messages.iter().map(|(data, attributes)| serde_json::json!({
                "data": data, "attributes": attributes,
            })).collect::<Vec<_>>(),
        });
        let request = self.authorize(self.http.post(&self.publish_url).json(&body)).await?;
        let transport = |e: reqwest::Error| JobError::Provider {
            backend: "pubsub",
            status: None,
            code: "transport".into(),
            detail: e.to_string(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if status.is_success() {
            return Ok(());
        }
        // Google APIs' error shape: {"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}.
        let error: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let field = |name: &str| error["error"][name].as_str().map(str::to_owned);
        Err(JobError::Provider {
            backend: "pubsub",
            status: Some(status.as_u16()),
            code: field("status").unwrap_or_else(|| format!("http_{}", status.as_u16())),
            detail: field("message").unwrap_or_else(|| text.chars().take(300).collect()),
        })
    }

    fn message(job: &Job) -> Result<(String, serde_json::Value), JobError> {
        let body = job.to_body(PUBSUB_MAX_BODY_BYTES)?;
        Ok((BASE64.encode(body), serde_json::json!({"kind": job.kind, "id": job.id})))
    }
}

#[async_trait]
impl JobQueue for PubSubQueue {
    async fn enqueue(&self, job: Job) -> Result<(), JobError> {
        self.publish(&[Self::message(&job)?]).await
    }

    async fn enqueue_batch(&self, jobs: Vec<Job>) -> Result<(), JobError> {
        let mut failed = Vec::new();
        // Requests of at most 1,000 messages and 10 MB (less slack for the JSON around them).
        let budget = PUBSUB_MAX_MESSAGE_BYTES - 4_096;
        type Request = (Vec<(String, serde_json::Value)>, Vec<String>);
        let mut requests: Vec<Request> = Vec::new();
        let mut current: Request = (Vec::new(), Vec::new());
        let mut bytes = 0;
        for job in jobs {
            let message = match Self::message(&job) {
                Ok(m) => m,
                Err(e) => {
                    failed.push(FailedJob { id: job.id, code: "too_large".into(), detail: e.to_string() });
                    continue;
                }
            };
            let size = message.0.len() + MESSAGE_OVERHEAD_BYTES;
            if !current.0.is_empty() && (current.0.len() == PUBSUB_PUBLISH_MESSAGES || bytes + size > budget) {
                requests.push(std::mem::take(&mut current));
                bytes = 0;
            }
            bytes += size;
            current.0.push(message);
            current.1.push(job.id);
        }
        requests.push(current);
        for (messages, ids) in requests.into_iter().filter(|(m, _)| !m.is_empty()) {
            if let Err(e) = self.publish(&messages).await {
                let (code, detail) = match &e {
                    JobError::Provider { code, detail, .. } => (code.clone(), detail.clone()),
                    other => ("transport".to_owned(), other.to_string()),
                };
                failed.extend(ids.into_iter().map(|id| FailedJob { id, code: code.clone(), detail: detail.clone() }));
            }
        }
        if failed.is_empty() { Ok(()) } else { Err(JobError::Partial { failed }) }
    }

    fn backend(&self) -> &'static str {
        "pubsub"
    }
}

/// The push request body.
#[derive(Deserialize)]
struct PushEnvelope {
    message: PushMessage,
    #[serde(rename = "deliveryAttempt")]
    delivery_attempt: Option<u32>,
}

/// `PubsubMessage` as push delivers it (JSON, `data` base64).
#[derive(Deserialize)]
struct PushMessage {
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    attributes: HashMap<String, String>,
}

/// Reads the job out of a Pub/Sub push request body. `attempt` is the envelope's
/// `deliveryAttempt` when Pub/Sub sends one (subscriptions with a dead-letter policy), else the
/// producer's value.
///
/// # Errors
/// [`JobError::BadMessage`] when the body is not a push envelope, `message.data` is missing or
/// not base64, or the data is not a job envelope.
pub fn job_from_pubsub_push(body: &[u8]) -> Result<Job, JobError> {
    let envelope: PushEnvelope =
        serde_json::from_slice(body).map_err(|e| JobError::BadMessage(format!("not a Pub/Sub push envelope: {e}")))?;
    let data = envelope.message.data.ok_or_else(|| JobError::BadMessage("push message has no data".into()))?;
    let bytes = BASE64.decode(data.as_bytes()).map_err(|e| JobError::BadMessage(format!("message.data: {e}")))?;
    let mut job = Job::from_body(&bytes)?;
    if let Some(attempt) = envelope.delivery_attempt {
        job.attempt = attempt;
    }
    Ok(job)
}

/// Runs a Pub/Sub push request's job through `handler` and returns the status to answer with
/// (see the module docs): 204 (acknowledge) on success or a permanent failure, 503 on a
/// retryable failure or a panic, 400 when the body is not a job. Never panics.
pub async fn handle_pubsub_push(body: &[u8], handler: &dyn JobHandler) -> http::StatusCode {
    let job = match job_from_pubsub_push(body) {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(error = %e, "Pub/Sub push is not a job; not acknowledged");
            return http::StatusCode::BAD_REQUEST;
        }
    };
    let (kind, id, attempt) = (job.kind.clone(), job.id.clone(), job.attempt);
    match AssertUnwindSafe(handler.handle(job)).catch_unwind().await {
        Ok(Ok(())) => http::StatusCode::NO_CONTENT,
        Ok(Err(failure)) if failure.retryable => {
            tracing::warn!(kind, id, attempt, detail = %failure.detail, "job failed, Pub/Sub will redeliver");
            http::StatusCode::SERVICE_UNAVAILABLE
        }
        Ok(Err(failure)) => {
            tracing::error!(kind, id, attempt, detail = %failure.detail, "job failed permanently; acknowledged");
            http::StatusCode::NO_CONTENT
        }
        Err(_) => {
            tracing::error!(kind, id, attempt, "job handler panicked; Pub/Sub will redeliver");
            http::StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
