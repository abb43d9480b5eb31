//! Schemas the common routes and every error response use.

use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ErrorCode;

/// RFC 9457 problem details, the body of every error response (`application/problem+json`).
/// Extension members (`field`, `question_id`, `limit`, `remaining`, ...) may follow.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemSchema {
    /// `https://jeevibe.app/problems/<code with dashes>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase (`Not Found`).
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong in this occurrence, for humans.
    pub detail: String,
    /// Stable machine-readable code; clients branch on this.
    pub code: ErrorCode,
}

/// Body of `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: String,
}

/// A Pub/Sub push request body ("Push subscriptions": `message.data` is the base64 job).
#[derive(Debug, Serialize, ToSchema)]
pub struct PushEnvelope {
    /// The Pub/Sub message: `data` (base64 of the job JSON), `attributes`, `messageId`,
    /// `publishTime`.
    pub message: serde_json::Value,
    /// `projects/<p>/subscriptions/<s>`.
    pub subscription: Option<String>,
}
