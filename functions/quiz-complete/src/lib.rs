//! `POST /v1/quizzes/{id}/complete` grades a quiz and moves the student's abilities;
//! `GET /v1/me/progress` reports them.
//!
//! Completion body: `{"answers": [{"question_id": "phy-kin-001", "answer": "B", "seconds": 42}]}`.
//! `answer` per type: single-correct `"B"`, multi-correct `["A","C"]`, numerical a number,
//! integer a whole number; `null` or a missing question means skipped. `seconds` is 0–10800.
//!
//! One transaction reads the quiz and the user document (2 reads) and writes the quiz result
//! and the user document (thetas, totals, streak, plus the weekly statistics as increment
//! transforms): 2 writes. A second completion
//! of the same quiz returns the stored result and writes nothing.

mod schema;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use shared::auth::AuthUser;
use shared::domain::{AnswerKey, IstDay, QuizId, Subject};
use shared::grading::{FULL_MARKS, Outcome, Response as StudentResponse, grade};
use shared::http::{ApiJson, AppState};
use shared::irt::ItemResponse;
use shared::problem::{ErrorCode, Problem, excerpt};
use shared::records::weekly::{WeeklyDelta, stale_weeks, weekly_transforms};
use shared::records::{AbilityChange, ItemResult, QuizDoc, QuizResult, QuizStatus, TopicStats, UserDoc};
use shared::store::{Fields, Precondition, StoreError, Timestamp, TransactionRetry, Value, Write};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest time accepted for one question, seconds (a JEE paper is 3 hours).
pub const MAX_SECONDS: f64 = 10_800.0;
/// Most answers accepted in one body (the largest quiz).
pub const MAX_ANSWERS: usize = 30;

pub use schema::{CompletionResult, GradedItem, Progress, Streak, SubjectProgress, TopicProgress};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(complete)).routes(routes!(progress))
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    /// Question id.
    pub question_id: String,
    /// Response in the per-type shape; `null` = skipped.
    #[serde(default)]
    pub answer: serde_json::Value,
    /// Seconds spent, 0–10800.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10800)]
    pub seconds: f64,
}

/// Body of a completion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": []}))]
pub struct CompleteRequest {
    /// Answers, at most one per question.
    #[schema(max_items = 30)]
    pub answers: Vec<AnswerIn>,
}

fn validate(req: &CompleteRequest) -> Result<(), Problem> {
    if req.answers.len() > MAX_ANSWERS {
        return Err(Problem::new(ErrorCode::InvalidRequest, format!("at most {MAX_ANSWERS} answers")));
    }
    let mut seen = HashSet::new();
    for a in &req.answers {
        if !seen.insert(a.question_id.as_str()) {
            return Err(Problem::new(
                ErrorCode::DuplicateAnswer,
                format!("question {:?} is answered twice", excerpt(&a.question_id, 64)),
            )
            .with("question_id", excerpt(&a.question_id, 64)));
        }
        if !(a.seconds.is_finite() && (0.0..=MAX_SECONDS).contains(&a.seconds)) {
            return Err(Problem::new(
                ErrorCode::InvalidRequest,
                format!("seconds must be between 0 and {MAX_SECONDS}"),
            )
            .with("question_id", excerpt(&a.question_id, 64)));
        }
    }
    Ok(())
}

fn json_of<T: Serialize>(v: &T) -> Result<serde_json::Value, Problem> {
    serde_json::to_value(v).map_err(|e| Problem::new(ErrorCode::Internal, e.to_string()))
}

/// Grades `quiz` with `answers` and computes every change; pure.
struct Graded {
    result: QuizResult,
    abilities: BTreeMap<String, TopicStats>,
    totals: shared::records::Totals,
    weekly: WeeklyDelta,
}

fn grade_quiz(quiz: &QuizDoc, user: &UserDoc, answers: &[AnswerIn], now: Timestamp) -> Result<Graded, Problem> {
    let by_id: HashMap<&str, &AnswerIn> = answers.iter().map(|a| (a.question_id.as_str(), a)).collect();
    let in_quiz: HashSet<&str> = quiz.items.iter().map(|i| i.question_id.as_str()).collect();
    if let Some(stray) = answers.iter().find(|a| !in_quiz.contains(a.question_id.as_str())) {
        return Err(Problem::new(
            ErrorCode::AnswerNotInQuiz,
            format!("question {:?} is not in this quiz", excerpt(&stray.question_id, 64)),
        )
        .with("question_id", excerpt(&stray.question_id, 64)));
    }
    let mut items = Vec::with_capacity(quiz.items.len());
    let mut per_topic: BTreeMap<&str, Vec<ItemResponse>> = BTreeMap::new();
    let mut counts: HashMap<Outcome, i64> = HashMap::new();
    let mut weekly = WeeklyDelta::default();
    let mut subject_counts: BTreeMap<Subject, (i64, i64)> = BTreeMap::new();
    for item in &quiz.items {
        let given = by_id.get(item.question_id.as_str());
        let raw = given.map_or(serde_json::Value::Null, |a| a.answer.clone());
        let response = StudentResponse::parse(item.kind, &raw).map_err(|e| {
            Problem::new(ErrorCode::InvalidAnswer, format!("answer to {:?}: {e}", item.question_id))
                .with("question_id", &item.question_id)
        })?;
        let key = AnswerKey::from_json(item.kind, &item.answer).map_err(|e| {
            Problem::new(ErrorCode::Internal, format!("stored answer key of {}: {e}", item.question_id))
        })?;
        let mark = grade(&key, &response);
        let seconds = given.map_or(0, |a| a.seconds.round() as i64);
        *counts.entry(mark.outcome).or_default() += 1;
        if mark.outcome != Outcome::Skipped {
            let correct = mark.outcome == Outcome::Correct;
            per_topic.entry(item.topic_key.as_str()).or_default().push(ItemResponse { item: item.irt, correct });
            let e = subject_counts.entry(item.subject).or_default();
            e.0 += 1;
            e.1 += i64::from(correct);
        }
        weekly.seconds += seconds;
        weekly.marks += i64::from(mark.marks);
        items.push(ItemResult {
            question_id: item.question_id.clone(),
            response: response.to_json(),
            marks: i64::from(mark.marks),
            outcome: mark.outcome,
            seconds,
            correct_answer: item.answer.clone(),
        });
    }
    let mut abilities = user.abilities.clone();
    let mut changes = Vec::new();
    for (topic_key, responses) in &per_topic {
        let item = quiz.items.iter().find(|i| i.topic_key == *topic_key).expect("topic came from an item");
        let before = abilities.get(*topic_key).map(TopicStats::ability).unwrap_or_default();
        let after = before.update(responses);
        let prev = abilities.get(*topic_key);
        let answered = prev.map_or(0, |p| p.answered) + responses.len() as i64;
        let correct = prev.map_or(0, |p| p.correct) + responses.iter().filter(|r| r.correct).count() as i64;
        abilities.insert(
            (*topic_key).to_owned(),
            TopicStats {
                subject: item.subject,
                chapter: item.chapter.clone(),
                topic: item.topic.clone(),
                theta: after.theta,
                se: after.se,
                answered,
                correct,
                updated_at: now,
            },
        );
        changes.push(AbilityChange {
            topic_key: (*topic_key).to_owned(),
            theta_before: before.theta,
            theta_after: after.theta,
            se_after: after.se,
        });
    }
    let count = |o| counts.get(&o).copied().unwrap_or(0);
    let score: i64 = items.iter().map(|i| i.marks).sum();
    let mut totals = user.totals.clone();
    totals.quizzes += 1;
    totals.answered += items.len() as i64 - count(Outcome::Skipped);
    totals.correct += count(Outcome::Correct);
    totals.partial += count(Outcome::Partial);
    totals.incorrect += count(Outcome::Incorrect);
    totals.skipped += count(Outcome::Skipped);
    totals.marks += score;
    totals.seconds += weekly.seconds;
    weekly.skipped = count(Outcome::Skipped);
    weekly.answered = subject_counts.iter().map(|(s, (a, _))| (*s, *a)).collect();
    weekly.correct = subject_counts.iter().map(|(s, (_, c))| (*s, *c)).collect();
    let result = QuizResult {
        completed_at: now,
        score,
        max_score: i64::from(FULL_MARKS) * items.len() as i64,
        correct: count(Outcome::Correct),
        partial: count(Outcome::Partial),
        incorrect: count(Outcome::Incorrect),
        skipped: count(Outcome::Skipped),
        items,
        abilities: changes,
    };
    Ok(Graded { result, abilities, totals, weekly })
}

async fn result_body(state: &AppState, quiz_id: &QuizId, result: &QuizResult, replayed: bool) -> serde_json::Value {
    let bank = state.bank.get().await.ok();
    let items: Vec<serde_json::Value> = result
        .items
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
        .collect();
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
        "items": items,
        "abilities": result.abilities,
    })
}

/// Handler of `POST /v1/quizzes/{id}/complete`.
///
/// # Errors
/// 400 `invalid_quiz_id`, 403 `quiz_not_owned`, 404 `quiz_not_found`, 410 `quiz_expired`,
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
        (status = 410, description = "`quiz_expired`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
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
    validate(&req)?;
    let quiz_path = QuizDoc::path(&user.uid, &quiz_id)?;
    let user_path = UserDoc::path(&user.uid)?;
    let _queue = state.user_locks.lock(user.uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = state.store.begin().await?;
        let docs = txn.get_all(&[quiz_path.clone(), user_path.clone()]).await?;
        let Some(quiz) = docs[0].as_ref().map(|d| d.decode::<QuizDoc>()).transpose()? else {
            return Err(Problem::new(ErrorCode::QuizNotFound, format!("no quiz {quiz_id}")));
        };
        let now = state.clock.now();
        let user_doc: UserDoc = docs[1].as_ref().map(|d| d.decode()).transpose()?.unwrap_or_default();
        // Answers are checked against the quiz even on a replay, so a request that would be
        // refused the first time is refused every time.
        let graded = grade_quiz(&quiz, &user_doc, &req.answers, Timestamp(now))?;
        if let (QuizStatus::Completed, Some(result)) = (quiz.status, &quiz.result) {
            return Ok(Json(result_body(&state, &quiz_id, result, true).await).into_response());
        }
        if now > quiz.expires_at.0 {
            return Err(Problem::new(
                ErrorCode::QuizExpired,
                format!("quiz {quiz_id} expired at {}", quiz.expires_at.to_rfc3339()),
            ));
        }
        let day = IstDay::of(now);
        let streak = user_doc.streak.record(day);
        let quiz_fields = Fields::from([
            ("status".to_owned(), Value::string("completed")),
            ("result".to_owned(), Value::from_json(json_of(&graded.result)?)),
        ]);
        let user_fields = Fields::from([
            ("abilities".to_owned(), Value::from_json(json_of(&graded.abilities)?)),
            ("totals".to_owned(), Value::from_json(json_of(&graded.totals)?)),
            ("streak".to_owned(), Value::from_json(json_of(&streak)?)),
            // For the weekly snapshot's planner (shared::snapshot::active).
            (shared::snapshot::active::UID_FIELD.to_owned(), Value::string(user.uid.as_str())),
            (shared::snapshot::active::LAST_ACTIVE_WEEK_FIELD.to_owned(), Value::string(day.iso_week())),
        ]);
        let mut mask: Vec<String> = user_fields.keys().cloned().collect();
        mask.extend(stale_weeks(&user_doc.weeks, day));
        let writes = vec![
            Write::merge(quiz_path.clone(), quiz_fields).with_precondition(Precondition::Exists(true)),
            Write::merge_mask(user_path.clone(), user_fields, mask)
                .with_transforms(weekly_transforms(day, &graded.weekly)),
        ];
        match txn.commit(writes).await {
            Ok(()) => return Ok(Json(result_body(&state, &quiz_id, &graded.result, false).await).into_response()),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[derive(Debug, Serialize)]
struct TopicView<'a> {
    topic_key: &'a str,
    subject: Subject,
    chapter: &'a str,
    topic: &'a str,
    theta: f64,
    se: f64,
    answered: i64,
    correct: i64,
    accuracy: Option<f64>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Handler of `GET /v1/me/progress` (one read, with a field mask). When the store times out
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
        (status = 200, description = "Abilities, totals and streak (`Cache-Status` when served from the instance's copy).", body = Progress),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn progress(State(state): State<AppState>, user: AuthUser) -> Result<Response, Problem> {
    let (u, from_cache) =
        match state.store.get(&UserDoc::path(&user.uid)?, Some(&["abilities", "totals", "streak"])).await {
            Ok(doc) => {
                let u: Arc<UserDoc> = Arc::new(doc.map(|d| d.decode()).transpose()?.unwrap_or_default());
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
    let mut topics: Vec<TopicView> = u
        .abilities
        .iter()
        .map(|(k, t)| TopicView {
            topic_key: k,
            subject: t.subject,
            chapter: &t.chapter,
            topic: &t.topic,
            theta: t.theta,
            se: t.se,
            answered: t.answered,
            correct: t.correct,
            accuracy: ratio(t.correct, t.answered),
        })
        .collect();
    topics.sort_by(|a, b| a.theta.total_cmp(&b.theta));
    let subjects: Vec<serde_json::Value> = Subject::ALL
        .iter()
        .filter_map(|s| {
            let ts: Vec<&TopicView> = topics.iter().filter(|t| t.subject == *s).collect();
            if ts.is_empty() {
                return None;
            }
            let answered: i64 = ts.iter().map(|t| t.answered).sum();
            let correct: i64 = ts.iter().map(|t| t.correct).sum();
            let mean_theta = ts.iter().map(|t| t.theta).sum::<f64>() / ts.len() as f64;
            Some(serde_json::json!({"subject": s, "answered": answered, "correct": correct, "accuracy": ratio(correct, answered), "mean_theta": mean_theta}))
        })
        .collect();
    let mut res = Json(serde_json::json!({
        "uid": user.uid,
        "tier": user.tier,
        "quizzes_completed": u.totals.quizzes,
        "questions_answered": u.totals.answered,
        "correct": u.totals.correct,
        "accuracy": ratio(u.totals.correct, u.totals.answered),
        "streak": {"current": u.streak.as_of(today), "longest": u.streak.longest, "last_day": u.streak.last_day},
        "subjects": subjects,
        "topics": topics,
    }))
    .into_response();
    if from_cache {
        // RFC 9211 Cache-Status: this answer is the instance's last copy, not a fresh read.
        res.headers_mut().insert("cache-status", HeaderValue::from_static("jeevibe; hit; detail=store-unavailable"));
    }
    Ok(res)
}
