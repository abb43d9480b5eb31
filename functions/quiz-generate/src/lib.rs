//! `POST /v1/quizzes`: assembles an adaptive practice quiz for the caller.
//!
//! Request (JSON, every field optional): `{"subject": "physics", "chapter": "Kinematics",
//! "size": 10}`; `size` is 1–30 (default 10). Response 201: the quiz id, its expiry, the
//! questions without answers or solutions, and the caller's daily practice quota.
//!
//! One transaction reads the user document (1 read), assembles the quiz in memory from the
//! instance's bank copy (see [`shared::irt::selection`]), checks the tier's daily limit
//! against the counter in that document, and writes the quiz and the user document (its
//! recent-question window, plus the quota increment as a transform): 2 writes. Free users over
//! 30 questions per IST day get 429.

mod schema;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use shared::auth::AuthUser;
use shared::domain::{IstDay, Question, QuizId, ServedQuestion, Subject, TopicKey};
use shared::http::{ApiJson, AppState};
use shared::irt::Ability;
use shared::irt::selection::{RecentlySeen, assemble};
use shared::problem::{ErrorCode, Problem, excerpt};
use shared::quota::{self, Decision, rate_limit_headers};
use shared::records::{QuizDoc, QuizItem, QuizStatus, UserDoc};
use shared::store::{Fields, StoreError, Timestamp, TransactionRetry, Value, Write, to_fields};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Default number of questions.
pub const DEFAULT_SIZE: i64 = 10;
/// Largest quiz.
pub const MAX_SIZE: i64 = 30;

pub use schema::{PracticeQuota, QuizCreated};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(generate))
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

fn validate(req: GenerateRequest) -> Result<(Option<Subject>, Option<String>, usize), Problem> {
    let subject = match req.subject.as_deref() {
        None => None,
        Some(s) => Some(Subject::parse(s).ok_or_else(|| {
            Problem::new(
                ErrorCode::UnknownFilter,
                format!("subject {:?} is not physics, chemistry or mathematics", excerpt(s, 40)),
            )
        })?),
    };
    let size = req.size.unwrap_or(DEFAULT_SIZE);
    if !(1..=MAX_SIZE).contains(&size) {
        return Err(Problem::new(
            ErrorCode::InvalidRequest,
            format!("size must be between 1 and {MAX_SIZE}, got {size}"),
        ));
    }
    if let Some(c) = &req.chapter
        && (c.trim().is_empty() || c.len() > 200)
    {
        return Err(Problem::new(ErrorCode::InvalidRequest, "chapter must be 1-200 bytes"));
    }
    Ok((subject, req.chapter, size as usize))
}

fn quiz_item(q: &Question) -> QuizItem {
    QuizItem {
        question_id: q.id.to_string(),
        topic_key: q.topic_key.to_string(),
        subject: q.subject,
        chapter: q.chapter.clone(),
        topic: q.topic.clone(),
        kind: q.kind,
        irt: q.irt,
        answer: q.answer.to_json(),
    }
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
    let (subject, chapter, size) = validate(req)?;
    let bank = state.bank.get().await?;
    if bank.is_empty() {
        return Err(
            Problem::new(ErrorCode::QuestionBankEmpty, "no question bank has been imported yet").retry_after(60)
        );
    }
    let pools = bank.pools(subject, chapter.as_deref());
    if pools.is_empty() {
        return Err(Problem::new(
            ErrorCode::UnknownFilter,
            "no question in the bank matches the subject/chapter filter",
        ));
    }
    let now = state.clock.now();
    let day = IstDay::of(now);
    let user_path = UserDoc::path(&user.uid)?;
    let quiz_id = QuizId::generate(&user.uid);
    let quiz_path = QuizDoc::path(&user.uid, &quiz_id)?;
    let limit = user.tier.practice_questions_per_day();
    let _queue = state.user_locks.lock(user.uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    let (chosen, used_after, remaining) = loop {
        let mut txn = state.store.begin().await?;
        let mut user_doc: UserDoc = txn.get(&user_path).await?.map(|d| d.decode()).transpose()?.unwrap_or_default();
        let used = quota::practice_used(&user_doc.usage, day);
        let chosen: Vec<&Question> = {
            let abilities: HashMap<TopicKey, Ability> =
                user_doc.abilities.iter().map(|(k, v)| (TopicKey::from_stored(k.clone()), v.ability())).collect();
            let recent: RecentlySeen = user_doc.recent.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            assemble(&pools, &abilities, &recent, size, &mut rand::rng())
        };
        let n = chosen.len() as u32;
        let remaining = match quota::decide(limit, used, n) {
            Decision::Allowed { remaining } => remaining,
            Decision::Denied { remaining } => {
                return Err(quota::exceeded(
                    quota::Counter::PracticeQuestions,
                    user.tier,
                    limit.unwrap_or(0),
                    remaining,
                    n,
                    now,
                ));
            }
        };
        user_doc.remember(chosen.iter().map(|q| q.id.to_string()));
        let quiz = QuizDoc {
            uid: user.uid.to_string(),
            status: QuizStatus::Open,
            created_at: Timestamp(now),
            expires_at: Timestamp(now + state.quiz_ttl),
            subject,
            chapter: chapter.clone(),
            items: chosen.iter().map(|q| quiz_item(q)).collect(),
            result: None,
        };
        let recent = Fields::from([(
            "recent".to_owned(),
            Value::array(user_doc.recent.iter().map(|id| Value::string(id.clone())).collect()),
        )]);
        let mut mask = vec!["recent".to_owned()];
        mask.extend(quota::stale_days(&user_doc.usage, day));
        let writes = vec![
            Write::create(quiz_path.clone(), to_fields(&quiz)?),
            Write::merge_mask(user_path.clone(), recent, mask).with_transform(quota::spend_practice(day, n)),
        ];
        match txn.commit(writes).await {
            Ok(()) => break (chosen, used + i64::from(n), remaining),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let body = serde_json::json!({
        "quiz_id": quiz_id,
        "created_at": Timestamp(now).to_rfc3339(),
        "expires_at": Timestamp(now + state.quiz_ttl).to_rfc3339(),
        "size": chosen.len(),
        "questions": chosen.iter().map(|q| ServedQuestion::from(*q)).collect::<Vec<_>>(),
        "quota": QuotaView { limit, used: used_after, remaining, resets_in_seconds: IstDay::seconds_until_next(now) },
    });
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let (Some(limit), Some(remaining)) = (limit, remaining) {
        res.headers_mut().extend(rate_limit_headers("practice", limit, remaining, now));
    }
    Ok(res)
}
