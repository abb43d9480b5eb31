//! The response of `POST /v1/quizzes` as OpenAPI schemas (the handler writes it as JSON; the
//! contract test checks the two agree).

use serde::Serialize;
use utoipa::ToSchema;

use shared::domain::ServedQuestion;

/// Response 201 of `POST /v1/quizzes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuizCreated {
    /// `qz_<12 hex>_<16 hex>`.
    pub quiz_id: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339; completing after this is 410.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Number of questions (may be below the requested size when the filter matches fewer).
    pub size: u32,
    /// The questions, without answers or solutions.
    pub questions: Vec<ServedQuestion<'static>>,
    /// The caller's daily practice quota after this quiz.
    pub quota: PracticeQuota,
}

/// The daily practice quota in a quiz response.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeQuota {
    /// Questions per IST day; `null` = unlimited.
    pub limit: Option<u32>,
    /// Questions served today, this quiz included.
    pub used: i64,
    /// Questions left today; `null` = unlimited.
    pub remaining: Option<u32>,
    /// Seconds until the next IST midnight.
    pub resets_in_seconds: u64,
}

/// Response 200 of `GET /v1/offline-packs`: the caller's current offline pack.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfflinePack {
    /// `pk_<12 hex>_<16 hex>`.
    pub pack_id: String,
    /// `{pack format}.{bank version}`.
    pub version: String,
    /// True when this request issued the pack (false: the current pack served again).
    pub issued: bool,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339; results are accepted until then (410 after).
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Number of questions (may be below the requested size when the bank has fewer).
    pub size: u32,
    /// Questions whose results have been synced.
    pub synced: u32,
    /// Where to `POST` the results: `/v1/offline-packs/{pack_id}/results`.
    pub results_url: String,
    /// The questions, without answers or solutions.
    pub questions: Vec<ServedQuestion<'static>>,
}
