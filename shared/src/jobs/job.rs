//! The job: a unit of deferred work and the JSON envelope every transport carries.
//!
//! # Envelope
//! Every transport (the in-process queue, an SQS message body, a Pub/Sub message's `data`)
//! carries one job as this UTF-8 JSON object:
//!
//! ```json
//! {"kind": "snap.solve", "id": "snap:01J…", "attempt": 1, "payload": {"snap_id": "01J…"}}
//! ```
//!
//! - `kind`: which handler logic applies (`snap.solve`, `snapshot.batch`, …).
//! - `id`: the deduplication / idempotency key (`snap:<snap id>`, `snapshot:2026-W48:17`). Every
//!   transport here delivers at least once, so a handler must make a second delivery of the same
//!   id harmless (a deterministic document id, a state check).
//! - `attempt`: 1 for the first delivery. Consumers overwrite it with the transport's own count
//!   where it keeps one (SQS `ApproximateReceiveCount`, Pub/Sub `deliveryAttempt`, the in-process
//!   queue's retry counter). A missing `attempt` reads as 1.
//! - `payload`: any JSON value; the handler of `kind` owns its shape.
//!
//! Unknown fields are ignored, so an older consumer reads a newer producer's envelope.

use serde::{Deserialize, Serialize};

use super::error::JobError;

/// SQS's largest message, in bytes: 262,144 (256 KiB), the body plus message attributes, per
/// the "Amazon SQS message quotas" page. AWS raised the ceiling to 1 MiB in 2025, but a queue's
/// `MaximumMessageSize` attribute and the Lambda event source's payload decide what actually
/// fits, so the envelope keeps to the long-standing 256 KiB. `SendMessageBatch` applies the same
/// figure to the sum of a request's entries.
pub const SQS_MAX_MESSAGE_BYTES: usize = 262_144;

/// Pub/Sub's largest message and publish request, in bytes: 10 MB (10,000,000), per the
/// "Pub/Sub quotas and limits" page.
pub const PUBSUB_MAX_MESSAGE_BYTES: usize = 10_000_000;

/// Largest envelope, in bytes, that [`PubSubQueue`](super::PubSubQueue) publishes: the REST API
/// carries `data` base64-encoded (4 output bytes per 3 input bytes, RFC 4648 §4) inside a
/// request capped at [`PUBSUB_MAX_MESSAGE_BYTES`], less 4 KiB for the JSON around it.
pub const PUBSUB_MAX_BODY_BYTES: usize = (PUBSUB_MAX_MESSAGE_BYTES - 4_096) / 4 * 3;

/// A unit of deferred work, as enqueued and as handed to a [`JobHandler`](super::JobHandler).
/// Serialises to the envelope described in the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Which handler logic applies, e.g. `snap.solve`.
    pub kind: String,
    /// Deduplication / idempotency key, e.g. `snap:<snap id>`.
    pub id: String,
    /// Delivery attempt, 1-based (see the module docs for who sets it).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The work's parameters; shape owned by the handler of `kind`.
    #[serde(default)]
    pub payload: serde_json::Value,
}

fn first_attempt() -> u32 {
    1
}

impl Job {
    /// A new job on its first attempt.
    pub fn new(kind: impl Into<String>, id: impl Into<String>, payload: serde_json::Value) -> Self {
        Job { kind: kind.into(), id: id.into(), attempt: 1, payload }
    }

    /// The envelope as JSON text, refused when longer than `limit` bytes.
    ///
    /// # Errors
    /// [`JobError::TooLarge`] with the envelope's length and the limit.
    pub fn to_body(&self, limit: usize) -> Result<String, JobError> {
        // Serialising a `Value` and plain strings cannot fail (no non-string map keys).
        let body = serde_json::to_string(self).unwrap_or_default();
        if body.len() > limit {
            return Err(JobError::TooLarge { id: self.id.clone(), bytes: body.len(), limit });
        }
        Ok(body)
    }

    /// Parses an envelope.
    ///
    /// # Errors
    /// [`JobError::BadMessage`] when `body` is not a JSON envelope with string `kind` and `id`.
    pub fn from_body(body: &[u8]) -> Result<Job, JobError> {
        serde_json::from_slice(body).map_err(|e| JobError::BadMessage(format!("not a job envelope: {e}")))
    }
}
