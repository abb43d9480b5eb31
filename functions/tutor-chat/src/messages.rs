//! `POST /v1/tutor/conversations/{id}/messages` and `GET …/messages`.

use axum::extract::{Path, Query, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use shared::ai::{ChatRequest, OpenAiClient};
use shared::auth::AuthUser;
use shared::domain::{ConversationId, Tier, TurnId};
use shared::http::idempotency::{idempotency_key, request_hash};
use shared::http::{ApiJson, AppState};
use shared::pagination::page_size;
use shared::problem::{ErrorCode, Problem, excerpt};
use shared::quota::{self, Counter, rate_limit_headers};
use shared::records::conversation::{ConversationDoc, TurnDoc, TurnStatus};
use shared::store::DocumentStore;
use shared::tutor::prompt;
use shared::tutor::turns::{self, TurnEnd, TurnRequest, TurnReservation};

/// Largest message, bytes of UTF-8: room for [`MAX_MESSAGE_CHARS`] characters of Devanagari
/// (3 bytes each), so a Hindi message gets the same length as an English one.
pub const MAX_MESSAGE_BYTES: usize = 6_000;
/// Largest message, characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// How many recent turns are read to fill the prompt window.
pub const WINDOW_READ: usize = 40;

/// Body of `POST …/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"content": "Why is the range largest at 45 degrees?"}))]
pub struct MessageRequest {
    /// The student's message (1–2,000 characters, at most 6,000 bytes).
    #[schema(min_length = 1, max_length = 2000)]
    pub content: String,
}

fn not_found() -> Problem {
    Problem::new(ErrorCode::ConversationNotFound, "no such conversation")
}

fn parse_id(raw: &str) -> Result<ConversationId, Problem> {
    ConversationId::parse(raw).map_err(|_| not_found())
}

fn validate(content: &str) -> Result<(), Problem> {
    let chars = content.chars().count();
    // Blank means nothing a person can read: whitespace, zero-width and control characters.
    let blank = content
        .chars()
        .all(|c| c.is_whitespace() || c.is_control() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'));
    if blank {
        return Err(Problem::new(ErrorCode::InvalidRequest, "content must not be empty"));
    }
    if content.len() > MAX_MESSAGE_BYTES || chars > MAX_MESSAGE_CHARS {
        return Err(Problem::new(
            ErrorCode::MessageTooLong,
            format!(
                "a message is at most {MAX_MESSAGE_CHARS} characters and {MAX_MESSAGE_BYTES} bytes; this one is {chars} characters, {} bytes",
                content.len()
            ),
        ));
    }
    Ok(())
}

/// True when the client asks for `text/event-stream` with a quality above 0 and at least that
/// of an explicit `application/json` (RFC 9110 §12.5.1: media types compare
/// case-insensitively, `q=0` means "not acceptable"; wildcards do not outrank a listed type).
fn wants_stream(headers: &HeaderMap) -> bool {
    let mut sse = 0.0f32;
    let mut json = 0.0f32;
    for value in headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()) {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(1.0);
            match media.as_str() {
                "text/event-stream" => sse = sse.max(q),
                "application/json" => json = json.max(q),
                _ => {}
            }
        }
    }
    sse > 0.0 && sse >= json
}

/// The prompt for this turn: recent turns that fit the tier's budget, refreshing the running
/// summary first when older turns have fallen out of the window (best effort: a failed summary
/// call leaves the previous summary).
async fn build_prompt(
    store: &dyn DocumentStore,
    ai: &OpenAiClient,
    tier: Tier,
    id: &ConversationId,
    conv: &ConversationDoc,
    turn: &TurnDoc,
) -> Result<prompt::Prompt, Problem> {
    let settings = ai.config().tier(tier).clone();
    let budget = (settings.context_tokens as usize).saturating_sub(settings.max_answer_tokens as usize).max(256);
    let recent: Vec<TurnDoc> =
        turns::recent(store, id, WINDOW_READ + 1).await?.into_iter().filter(|t| t.seq < turn.seq).collect();
    let anchor = conv.anchor.as_ref();
    let p = prompt::build(anchor, conv.summary.as_deref(), conv.summarized_through, &recent, &turn.user, budget);
    if !p.overflow {
        return Ok(p);
    }
    // Fold everything before the window into the summary.
    let first_in_window = turn.seq.saturating_sub(p.window as u32);
    let older = turns::range(store, id, conv.summarized_through, first_in_window).await?;
    let req = ChatRequest {
        model: settings.model.clone(),
        messages: prompt::summary_request(conv.summary.as_deref(), &older, budget),
        max_tokens: 400,
    };
    match ai.complete(&req).await {
        Ok(answer) => {
            turns::save_summary(store, id, &answer.content, first_in_window).await?;
            Ok(prompt::build(anchor, Some(&answer.content), first_in_window, &recent, &turn.user, budget))
        }
        Err(e) => {
            tracing::warn!(error = %e, "summary refresh failed; answering with the previous summary");
            Ok(p)
        }
    }
}

fn quota_headers(res: &mut Response, limit: Option<u32>, remaining: Option<u32>, state: &AppState) {
    if let (Some(limit), Some(remaining)) = (limit, remaining) {
        res.headers_mut().extend(rate_limit_headers(
            Counter::TutorMessages.policy(),
            limit,
            remaining,
            state.clock.now(),
        ));
    }
}

/// The JSON of a stored answer.
pub fn answer_body(id: &ConversationId, turn_id: &str, t: &TurnDoc, replayed: bool) -> serde_json::Value {
    json!({
        "conversation_id": id,
        "message_id": turn_id,
        "status": t.status,
        "replayed": replayed,
        "content": t.assistant,
        "finish_reason": t.finish_reason,
        "usage": t.usage,
        "created_at": t.created_at.to_rfc3339(),
    })
}

/// Handler of `POST /v1/tutor/conversations/{id}/messages`.
///
/// # Errors
/// 400 body / `invalid_idempotency_key`, 401, 404 `conversation_not_found`, 409
/// `idempotency_in_progress` / `conversation_full`, 422 `message_too_long` /
/// `invalid_request` / `idempotency_key_reused` / `ai_blocked`, 429 `quota_exceeded`, 502/503/504
/// `ai_*`.
#[utoipa::path(
    post,
    path = "/v1/tutor/conversations/{conversation_id}/messages",
    tag = "tutor",
    security(("firebase_id_token" = [])),
    params(
        ("conversation_id" = String, Path, description = "Conversation id (`conversation_id` of `POST /v1/tutor/conversations`)."),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; a retry with the same key and message returns the stored answer."),
    ),
    request_body(content = MessageRequest, description = "The student's message."),
    responses(
        (status = 200, description = "With `Accept: text/event-stream`: server-sent events, `delta` (`{\"text\"}`) events, then one `done` (`{\"message_id\", \"conversation_id\", \"finish_reason\", \"usage\"}`) or `error` (`{\"code\", \"detail\", \"partial\"}`) event. Or a JSON replay of an earlier `Idempotency-Key` (`Idempotent-Replayed: true`).", content(
            (crate::schema::AnswerView = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 201, description = "The complete answer as one JSON response (RateLimit headers for limited tiers).", body = crate::schema::AnswerView),
        (status = 400, description = "`malformed_body` or `invalid_idempotency_key`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "`conversation_not_found`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`idempotency_in_progress` (`Retry-After`) or `conversation_full`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`message_too_long`, `invalid_request` (blank), `idempotency_key_reused`, `ai_blocked`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "`quota_exceeded`: the tier's daily tutor messages are used up.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "`ai_bad_output`, `ai_truncated`, `ai_interrupted`: not charged.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "`ai_timeout`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn post_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MessageRequest>,
) -> Result<Response, Problem> {
    let id = parse_id(&raw)?;
    validate(&body.content)?;
    let key = idempotency_key(&headers)?;
    if !state.openai.configured() {
        return Err(shared::ai::AiError::MissingApiKey { variable: "OPENAI_API_KEY" }.into());
    }
    let turn_id = match &key {
        Some(k) => TurnId::for_idempotency_key(&user.uid, &format!("{id}\u{0}{k}")),
        None => TurnId::generate(&user.uid),
    };
    let now = state.clock.now();
    let hash = request_hash(body.content.as_bytes());
    let reservation = turns::reserve(
        state.store.as_ref(),
        &state.user_locks,
        TurnRequest {
            uid: &user.uid,
            tier: user.tier,
            conversation: &id,
            turn: &turn_id,
            content: &body.content,
            request_hash: &hash,
            idempotency_key: key.as_deref(),
            now,
        },
    )
    .await?;
    let (conv, turn, limit, remaining) = match reservation {
        TurnReservation::Started { conversation, turn, limit, remaining } => (conversation, turn, limit, remaining),
        TurnReservation::Replay(t) => {
            let mut res = axum::Json(answer_body(&id, turn_id.as_str(), &t, true)).into_response();
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(res);
        }
        TurnReservation::InProgress => {
            return Err(Problem::new(
                ErrorCode::IdempotencyInProgress,
                "a message with this Idempotency-Key is still being answered; retry later",
            )
            .retry_after(5));
        }
        TurnReservation::KeyReused => {
            return Err(Problem::new(
                ErrorCode::IdempotencyKeyReused,
                format!(
                    "Idempotency-Key {:?} was used with a different message",
                    excerpt(key.as_deref().unwrap_or_default(), 40)
                ),
            ));
        }
        TurnReservation::NoConversation => return Err(not_found()),
        TurnReservation::Full => {
            return Err(Problem::new(
                ErrorCode::ConversationFull,
                format!("a conversation holds at most {} messages; start a new one", turns::MAX_TURNS * 2),
            ));
        }
        TurnReservation::Denied { limit, remaining } => {
            return Err(quota::exceeded(Counter::TutorMessages, user.tier, limit, remaining, 1, now));
        }
    };
    // The answer is produced by a task of its own: if the client goes away meanwhile, the
    // task still settles the turn (an incomplete answer is released, never left pending).
    let task = tokio::spawn(answer(state.clone(), user.tier, id, turn_id, conv, turn, wants_stream(&headers)));
    let mut res = match task.await {
        Ok(Ok(Answer::Json(res))) => res,
        Ok(Ok(Answer::Events(rx))) => crate::stream::sse_response(rx),
        Ok(Err(p)) => return Err(p),
        Err(e) => return Err(Problem::new(ErrorCode::Internal, format!("answer task: {e}"))),
    };
    quota_headers(&mut res, limit, remaining, &state);
    Ok(res)
}

/// What the answering task hands back.
enum Answer {
    /// A complete JSON answer (201).
    Json(Response),
    /// The events of a streamed answer, produced by a running pump.
    Events(tokio::sync::mpsc::Receiver<axum::response::sse::Event>),
}

/// Stores a turn as failed (releasing its reservation) and returns the problem for the client.
async fn failed(state: &AppState, id: &ConversationId, turn_id: &TurnId, p: Problem) -> Problem {
    let end = TurnEnd {
        status: TurnStatus::Failed,
        assistant: String::new(),
        finish_reason: None,
        usage: None,
        error: Some(p.details().code.as_str()),
    };
    match turns::settle(state.store.as_ref(), id, turn_id, &end, state.clock.now()).await {
        Ok(_) => p,
        Err(e) => e.into(),
    }
}

/// Builds the prompt, calls the model and settles the turn (or hands a started stream to the
/// pump, which settles it). Every failure is settled before it is returned.
async fn answer(
    state: AppState,
    tier: Tier,
    id: ConversationId,
    turn_id: TurnId,
    conv: Box<ConversationDoc>,
    turn: Box<TurnDoc>,
    stream: bool,
) -> Result<Answer, Problem> {
    let prompt = match build_prompt(state.store.as_ref(), &state.openai, tier, &id, &conv, &turn).await {
        Ok(p) => p,
        Err(p) => return Err(failed(&state, &id, &turn_id, p).await),
    };
    let settings = state.openai.config().tier(tier);
    let req = ChatRequest {
        model: settings.model.clone(),
        messages: prompt.messages,
        max_tokens: settings.max_answer_tokens,
    };
    if stream {
        return match state.openai.stream(&req).await {
            Ok(upstream) => Ok(Answer::Events(crate::stream::start_pump(state.clone(), id, turn_id, upstream))),
            Err(e) => Err(failed(&state, &id, &turn_id, e.into()).await),
        };
    }
    match state.openai.complete(&req).await {
        Ok(answer) => {
            let end = TurnEnd {
                status: TurnStatus::Complete,
                assistant: answer.content,
                finish_reason: Some(answer.finish_reason),
                usage: Some(answer.usage),
                error: None,
            };
            let stored = turns::settle(state.store.as_ref(), &id, &turn_id, &end, state.clock.now())
                .await?
                .ok_or_else(not_found)?;
            Ok(Answer::Json(
                (StatusCode::CREATED, axum::Json(answer_body(&id, turn_id.as_str(), &stored, false))).into_response(),
            ))
        }
        Err(e) => Err(failed(&state, &id, &turn_id, e.into()).await),
    }
}

/// Query of `GET …/messages`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessagesParams {
    /// Turns per page, 1–100 (default 20); each turn is two messages.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Return turns after this `seq` (the `next_after` of the previous page).
    #[serde(default)]
    #[param(format = Int64, minimum = 0, maximum = 4_294_967_295_u64)]
    pub after: Option<u32>,
}

/// Handler of `GET /v1/tutor/conversations/{id}/messages`: messages in order.
///
/// # Errors
/// 422 `invalid_request`, 401, 404 `conversation_not_found`, 503.
#[utoipa::path(
    get,
    path = "/v1/tutor/conversations/{conversation_id}/messages",
    tag = "tutor",
    security(("firebase_id_token" = [])),
    params(("conversation_id" = String, Path, description = "Conversation id (`conversation_id` of `POST /v1/tutor/conversations`)."), MessagesParams),
    responses(
        (status = 200, description = "The messages in order.", body = crate::schema::MessagePage),
        (status = 404, description = "`conversation_not_found`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_request`: `limit` outside 1–100 or a bad `after`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn list_messages(
    State(state): State<AppState>,
    user: AuthUser,
    Path(raw): Path<String>,
    params: Result<Query<MessagesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let id = parse_id(&raw)?;
    let Query(p) =
        params.map_err(|e| Problem::new(ErrorCode::InvalidRequest, format!("bad query string: {}", e.body_text())))?;
    let limit = page_size(p.limit).map_err(|e| Problem::new(ErrorCode::InvalidRequest, e))?;
    let conv = shared::tutor::conversations::get(state.store.as_ref(), &user.uid, &id, state.clock.now())
        .await?
        .ok_or_else(not_found)?;
    let turns = shared::tutor::conversations::turns(state.store.as_ref(), &id, p.after, limit).await?;
    let next_after = (turns.len() == limit).then(|| turns.last().map(|(_, t)| t.seq)).flatten();
    let mut messages = Vec::with_capacity(turns.len() * 2);
    for (turn_id, t) in &turns {
        messages.push(json!({"message_id": format!("{turn_id}.q"), "role": "user", "content": t.user, "seq": t.seq, "created_at": t.created_at.to_rfc3339()}));
        if t.status != TurnStatus::Pending || !t.assistant.is_empty() {
            messages.push(json!({
                "message_id": turn_id, "role": "assistant", "content": t.assistant, "status": t.status,
                "finish_reason": t.finish_reason, "error": t.error, "seq": t.seq, "created_at": t.updated_at.to_rfc3339(),
            }));
        }
    }
    Ok(axum::Json(json!({
        "conversation_id": id,
        "summary": conv.summary,
        "messages": messages,
        "next_after": next_after,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(v).unwrap());
        wants_stream(&h)
    }

    #[test]
    fn accept_negotiation() {
        assert!(accept("text/event-stream"));
        assert!(accept("TEXT/Event-Stream"));
        assert!(accept("text/event-stream, */*"));
        assert!(accept("application/json;q=0.5, text/event-stream"));
        assert!(!accept("text/event-stream;q=0"));
        assert!(!accept("text/event-stream;q=0.4, application/json"));
        assert!(!accept("*/*"));
        assert!(!accept("application/json"));
        assert!(!wants_stream(&HeaderMap::new()));
    }

    #[test]
    fn blank_and_long_messages() {
        assert!(validate("\u{a0}\u{200b}\u{3000}\n").is_err());
        assert!(validate("\u{0}").is_err());
        assert!(validate("क्या?").is_ok());
        assert!(validate(&"क".repeat(2_000)).is_ok(), "2,000 Devanagari characters fit");
        assert!(validate(&"a".repeat(2_001)).is_err());
    }
}
