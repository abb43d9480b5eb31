//! `POST /v1/quizzes`: assembles an adaptive practice quiz for the caller. The function also
//! serves `GET /v1/me` ([`me`]) and `GET /v1/offline-packs` ([`offline_packs`]), which read
//! the same user document and bank.
//!
//! Request (JSON, every field optional): `{"subject": "physics", "chapter": "Kinematics",
//! "size": 10}`; `size` is 1–30 (default 10). Response 201: the quiz id, its expiry, the
//! questions without answers or solutions, and the caller's daily practice quota.
//!
//! The work is [`shared::practice::generate`] (one transaction: 1 read, 1 write, the open quiz
//! kept in the user document; Free users over 30 questions per IST day get 429); this crate
//! parses the request and maps the outcome.

mod schema;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use shared::auth::AuthUser;
use shared::domain::{IstDay, ServedQuestion};
use shared::http::{ApiJson, AppState};
use shared::practice::{self, QuizRequest};
use shared::problem::Problem;
use shared::quota::rate_limit_headers;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod me;
pub mod offline_packs;

pub use shared::practice::generate::{DEFAULT_SIZE, MAX_SIZE};

pub use schema::{OfflinePack, PracticeQuota, QuizCreated};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(generate)).routes(routes!(me::me)).routes(routes!(offline_packs::download_pack))
}

/// The function's routes (mergeable with other functions' routers).
pub fn router() -> Router<AppState> {
    api().into()
}

/// [`router`] plus `GET /openapi.json` describing it and the common routes: what the binary
/// serves.
pub fn documented_router() -> Router<AppState> {
    shared::openapi::with_document(api())
}

/// Body of `POST /v1/quizzes`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "physics", "size": 5}))]
pub struct GenerateRequest {
    /// `physics` | `chemistry` | `mathematics`.
    #[serde(default)]
    #[schema(value_type = Option<shared::domain::Subject>)]
    pub subject: Option<String>,
    /// Chapter name or slug (needs no subject).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub chapter: Option<String>,
    /// Number of questions, 1–30.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 30)]
    pub size: Option<i64>,
}

#[derive(Debug, Serialize)]
struct QuotaView {
    limit: Option<u32>,
    used: i64,
    remaining: Option<u32>,
    resets_in_seconds: u64,
}

/// Handler of `POST /v1/quizzes`.
///
/// # Errors
/// Problem details: 401 (auth), 400/415/413 (body), 422 `invalid_request` / `unknown_filter`,
/// 429 `quota_exceeded` (with Retry-After and RateLimit fields), 503 `store_unavailable`.
#[utoipa::path(
    post,
    path = "/v1/quizzes",
    tag = "practice",
    security(("firebase_id_token" = [])),
    request_body(content = GenerateRequest, description = "Every field optional: `{}` is a mixed quiz of 10."),
    responses(
        (status = 201, description = "The quiz (RateLimit headers for limited tiers).", body = QuizCreated, links(
            ("CompleteQuiz" = (operation_id = "complete", parameters(("quiz_id" = "$response.body#/quiz_id")))),
        )),
        (status = 422, description = "`invalid_request` (size, chapter) or `unknown_filter` (no question matches).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "`quota_exceeded`: the tier's daily questions are used up (`Retry-After`, RateLimit fields).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
        shared::openapi::responses::JsonBodyErrors,
    ),
)]
pub async fn generate(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<GenerateRequest>,
) -> Result<Response, Problem> {
    let req = QuizRequest::parse(req.subject.as_deref(), req.chapter, req.size)?;
    let bank = state.bank.get().await?;
    let now = state.clock.now();
    let quiz = practice::generate(
        state.store.as_ref(),
        &state.user_locks,
        &bank,
        &user.uid,
        user.tier,
        &req,
        state.quiz_ttl,
        now,
    )
    .await?;
    let body = serde_json::json!({
        "quiz_id": quiz.quiz_id,
        "created_at": quiz.created_at.to_rfc3339(),
        "expires_at": quiz.expires_at.to_rfc3339(),
        "size": quiz.questions.len(),
        "questions": quiz.questions.iter().map(ServedQuestion::from).collect::<Vec<_>>(),
        "quota": QuotaView {
            limit: quiz.limit,
            used: quiz.used,
            remaining: quiz.remaining,
            resets_in_seconds: IstDay::seconds_until_next(now),
        },
    });
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let (Some(limit), Some(remaining)) = (quiz.limit, quiz.remaining) {
        res.headers_mut().extend(rate_limit_headers("practice", limit, remaining, now));
    }
    Ok(res)
}
