//! `POST /v1/quizzes/{id}/complete` grades a quiz and moves the student's abilities;
//! `GET /v1/me/progress` reports them; `POST /v1/offline-packs/{id}/results` applies results
//! practised offline the same way ([`pack_results`]).
//!
//! Completion body: `{"answers": [{"question_id": "phy-kin-001", "answer": "B", "seconds": 42}]}`.
//! `answer` per type: single-correct `"B"`, multi-correct `["A","C"]`, numerical a number,
//! integer a whole number; `null` or a missing question means skipped. `seconds` is 0–10800.
//!
//! The work is [`shared::practice::complete`] (one transaction on the user document: 1 read,
//! 1 write, the completed quiz kept in the document's `completed_quizzes` until every 10th
//! completion moves them into a `quiz_batches` document, a second write; a second completion
//! finds the quiz there and returns the stored result, writing nothing) and
//! [`shared::practice::progress`];
//! this crate parses requests and maps outcomes to responses.

mod schema;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;

use shared::auth::AuthUser;
use shared::domain::{IstDay, QuizId};
use shared::http::{ApiJson, AppState};
use shared::practice::progress::fields_for;
use shared::practice::{self, Answer};
use shared::problem::{ErrorCode, Problem, excerpt};
use shared::records::{QuizResult, UserDoc};
use shared::store::StoreError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod pack_results;

pub use shared::practice::complete::{MAX_ANSWERS, MAX_SECONDS};

pub use schema::{
    ChapterProgress, CompletionResult, GradedItem, PackSynced, Progress, Streak, SubjectProgress, SuggestedQuiz,
    SyncedResult, TopicProgress, WeakTopic, WeekTrend,
};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(complete)).routes(routes!(progress)).routes(routes!(pack_results::sync_results))
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

/// One answer in a completion body.
pub type AnswerIn = Answer;

/// Body of a completion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": []}))]
pub struct CompleteRequest {
    /// Answers, at most one per question.
    #[schema(max_items = 30)]
    pub answers: Vec<AnswerIn>,
}

/// The question's worked solution from the instance's bank copy (`null` when the bank no
/// longer has the question).
pub async fn with_solutions(state: &AppState, items: &[shared::records::ItemResult]) -> Vec<serde_json::Value> {
    let bank = state.bank.get().await.ok();
    items
        .iter()
        .map(|i| {
            let solution = bank.as_ref().and_then(|b| {
                shared::domain::QuestionId::parse(&i.question_id)
                    .ok()
                    .and_then(|id| b.get(&id).map(|q| q.solution.clone()))
            });
            let mut v = serde_json::to_value(i).unwrap_or_default();
            v["solution"] = serde_json::json!(solution);
            v
        })
        .collect()
}

async fn result_body(state: &AppState, quiz_id: &QuizId, result: &QuizResult, replayed: bool) -> serde_json::Value {
    serde_json::json!({
        "quiz_id": quiz_id,
        "replayed": replayed,
        "completed_at": result.completed_at.to_rfc3339(),
        "score": result.score,
        "max_score": result.max_score,
        "correct": result.correct,
        "partial": result.partial,
        "incorrect": result.incorrect,
        "skipped": result.skipped,
        "items": with_solutions(state, &result.items).await,
        "abilities": result.abilities,
    })
}

/// Handler of `POST /v1/quizzes/{id}/complete`.
///
/// # Errors
/// 400 `invalid_quiz_id`, 403 `quiz_not_owned`, 404 `quiz_not_found`, 410 `quiz_expired` /
/// `quiz_evicted`,
/// 422 `answer_not_in_quiz` / `duplicate_answer` / `invalid_answer` / `invalid_request`,
/// body errors (400/413/415), 401, 503.
#[utoipa::path(
    post,
    path = "/v1/quizzes/{quiz_id}/complete",
    tag = "practice",
    security(("firebase_id_token" = [])),
    params(("quiz_id" = String, Path, description = "Quiz id, `qz_<12 hex>_<16 hex>` (the quiz_id of `POST /v1/quizzes`).")),
    request_body(content = CompleteRequest, description = "The answers; a question left out is skipped."),
    responses(
        (status = 200, description = "The graded quiz (`replayed: true` when it was already completed).", body = CompletionResult),
        (status = 400, description = "`invalid_quiz_id` (path) or `malformed_body`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "`quiz_not_owned`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "`quiz_not_found`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 410, description = "`quiz_expired` (past `expires_at`) or `quiz_evicted` (closed unanswered when 5 newer quizzes were open).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`answer_not_in_quiz`, `duplicate_answer`, `invalid_answer`, `invalid_request`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CompleteRequest>,
) -> Result<Response, Problem> {
    let quiz_id = QuizId::parse(&id).map_err(|_| {
        Problem::new(
            ErrorCode::InvalidQuizId,
            format!("{:?} is not a quiz id (qz_<12 hex>_<16 hex>)", excerpt(&id, 40)),
        )
    })?;
    if !quiz_id.is_owned_by(&user.uid) {
        return Err(Problem::new(ErrorCode::QuizNotOwned, "this quiz belongs to another user"));
    }
    practice::validate_answers(&req.answers, MAX_ANSWERS)?;
    let done = practice::complete(
        state.store.as_ref(),
        &state.user_locks,
        state.clock.as_ref(),
        &user.uid,
        &quiz_id,
        &req.answers,
        state.quiz_ttl,
    )
    .await?;
    Ok(Json(result_body(&state, &quiz_id, &done.result, done.replayed).await).into_response())
}

/// Handler of `GET /v1/me/progress` (one read, with a field mask): the basic view on Free,
/// the detailed one on Pro and Ultra ([`shared::practice::progress`]). When the store times out
/// or is unavailable, the instance's last copy of the profile (at most 5 minutes old) is served
/// with `Cache-Status: jeevibe; hit; detail=store-unavailable`.
///
/// # Errors
/// 401; 503 when the store fails and no copy is cached.
#[utoipa::path(
    get,
    path = "/v1/me/progress",
    tag = "practice",
    security(("firebase_id_token" = [])),
    responses(
        (status = 200, description = "The basic view (Free: totals, accuracy, streak, per subject) or, for Pro and Ultra, the detailed one (`view: detailed`, plus topics, chapters, time per question, trend, weakest topics and a suggested quiz); `Cache-Status` when served from the instance's copy.", body = Progress, headers(
            ("Cache-Status" = Option<String>, description = "`jeevibe; hit; detail=store-unavailable` (RFC 9211) when the store was down and the instance's copy (at most 5 minutes old) is served."),
        )),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn progress(State(state): State<AppState>, user: AuthUser) -> Result<Response, Problem> {
    let (u, from_cache) =
        match practice::read_profile(state.store.as_ref(), &user.uid, fields_for(user.tier.entitlements().analytics))
            .await
        {
            Ok(doc) => {
                let u: Arc<UserDoc> = Arc::new(doc);
                state.profiles.insert(user.uid.to_string(), u.clone()).await;
                (u, false)
            }
            Err(e @ (StoreError::Timeout | StoreError::Unavailable(_))) => {
                match state.profiles.get(user.uid.as_str()).await {
                    Some(u) => {
                        tracing::warn!(error = %e, "store unavailable; serving the cached profile");
                        (u, true)
                    }
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
    let today = IstDay::of(state.clock.now());
    let mut res = Json(practice::progress(&user.uid, user.tier, &u, today)).into_response();
    if from_cache {
        // RFC 9211 Cache-Status: this answer is the instance's last copy, not a fresh read.
        res.headers_mut().insert("cache-status", HeaderValue::from_static("jeevibe; hit; detail=store-unavailable"));
    }
    Ok(res)
}
