//! Response bodies of the tutor routes as OpenAPI schemas (the handlers write them as JSON or
//! server-sent events; the contract test checks the two agree).

use serde::Serialize;
use utoipa::ToSchema;

use shared::ai::AiUsage;
use shared::records::conversation::TurnStatus;

/// Response 201 of `POST /v1/tutor/conversations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationCreated {
    /// `cv_…`.
    pub conversation_id: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// End of retention (RFC 3339); `null` = kept.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// What the tutor explains; `null` for a free conversation.
    pub anchor: Option<AnchorView>,
}

/// The anchor of a conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnchorView {
    /// `snap` or `quiz_question`.
    pub kind: String,
    /// For `snap`.
    pub snap_id: Option<String>,
    /// For `quiz_question`.
    pub quiz_id: Option<String>,
    /// For `quiz_question`.
    pub question_id: Option<String>,
}

/// A conversation in a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationSummary {
    /// `cv_…`.
    pub conversation_id: String,
    /// Set from the first message; `null` before it.
    pub title: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last activity, RFC 3339.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// RFC 3339; `null` = kept.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Messages so far (two per turn).
    pub messages: u32,
    /// `snap`, `quiz_question`, or `null`.
    pub anchor_kind: Option<String>,
}

/// Response of `GET /v1/tutor/conversations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    /// Most recently active first.
    pub items: Vec<ConversationSummary>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The tutor's answer as one JSON response.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    /// The conversation.
    pub conversation_id: String,
    /// The stored turn.
    pub message_id: String,
    /// `complete`, `incomplete`, `failed` (or `pending` on a replay while it runs).
    pub status: TurnStatus,
    /// True when this answers a repeated `Idempotency-Key`.
    pub replayed: bool,
    /// The answer (Markdown with LaTeX).
    pub content: String,
    /// The model's finish reason (`stop`, `length`, ...).
    pub finish_reason: Option<String>,
    /// Model, tokens and latency.
    pub usage: Option<AiUsage>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// One message in `GET …/messages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// `<turn>.q` for the student's message, `<turn>` for the answer.
    pub message_id: String,
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// Turn sequence number.
    pub seq: u32,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Answers only.
    pub status: Option<TurnStatus>,
    /// Answers only.
    pub finish_reason: Option<String>,
    /// Answers only: why it failed.
    pub error: Option<String>,
}

/// Response of `GET /v1/tutor/conversations/{id}/messages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    /// The conversation.
    pub conversation_id: String,
    /// Summary of the turns older than the prompt window; `null` before there is one.
    pub summary: Option<String>,
    /// In order.
    pub messages: Vec<MessageView>,
    /// Pass as `after` for the next page; `null` on the last.
    pub next_after: Option<u32>,
}
