//! Request and response bodies of the snap routes as OpenAPI schemas (the handlers write the
//! responses as JSON; the contract test checks the two agree).

use serde::Serialize;
use utoipa::ToSchema;

use shared::ai::AiUsage;
use shared::ai::SnapSolution;
use shared::domain::ServedQuestion;
use shared::records::snap::{SnapFailure, SnapStatus};

/// `multipart/form-data` body of `POST /v1/snaps`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapUploadForm {
    /// The photo: JPEG, PNG, WebP or HEIC/HEIF (decided from the bytes), at most 10 MB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub image: Vec<u8>,
}

/// A snap: status, times, a short-lived image URL, the solution, similar bank questions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapView {
    /// `sn_…`.
    pub snap_id: String,
    /// `pending`, `solved` or `failed`.
    pub status: SnapStatus,
    /// True when this answers a repeated `Idempotency-Key`.
    pub replayed: bool,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// End of retention (RFC 3339); `null` = kept.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The stored, re-encoded photo.
    pub image: SnapImageView,
    /// The worked solution once solved.
    pub solution: Option<SnapSolution>,
    /// Bank questions on the same topic (without answers).
    pub similar_questions: Vec<ServedQuestion<'static>>,
    /// Model, tokens and latency of the solve.
    pub model: Option<AiUsage>,
    /// Why it failed (code and detail), when failed.
    pub failure: Option<SnapFailure>,
}

/// The photo of a snap.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapImageView {
    /// Signed URL, valid until `url_expires_at`; `null` when storage could not sign one.
    pub url: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub url_expires_at: Option<String>,
    /// Media type of the stored bytes.
    pub mime_type: String,
    /// Stored size, bytes.
    pub bytes: u64,
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
}

/// Response 202 of `POST /v1/snaps`: the solve continues in a queued job.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapAccepted {
    /// Poll `GET /v1/snaps/{snap_id}` (also in `Location`).
    pub snap_id: String,
    /// `pending`.
    pub status: SnapStatus,
    /// For humans.
    pub detail: String,
}

/// A snap in a listing (no steps, no image URL).
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapSummary {
    /// `sn_…`.
    pub snap_id: String,
    /// Status.
    pub status: SnapStatus,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339; `null` = kept.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The question as the model read it; `null` until solved.
    pub question_text: Option<String>,
    /// `physics`, `chemistry`, `mathematics` or `other`; `null` until solved.
    pub subject: Option<String>,
    /// Chapter; `null` until solved.
    pub chapter: Option<String>,
    /// Topic; `null` until solved.
    pub topic: Option<String>,
    /// Final answer; `null` until solved.
    pub final_answer: Option<String>,
}

/// Response of `GET /v1/snaps`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapPage {
    /// Newest first.
    pub items: Vec<SnapSummary>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
