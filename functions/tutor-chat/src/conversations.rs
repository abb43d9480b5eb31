//! `POST /v1/tutor/conversations` and `GET /v1/tutor/conversations`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use shared::auth::AuthUser;
use shared::domain::{QuestionId, QuizId, SnapId};
use shared::http::{ApiJson, AppState, Page};
use shared::pagination::PageCursor;
use shared::problem::{ErrorCode, Problem};
use shared::tutor::conversations::{self, AnchorError, AnchorRequest};

/// Body of `POST /v1/tutor/conversations` (all optional; `snap_id` or `quiz_id` +
/// `question_id`, not both).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// A solved snap of the caller.
    #[serde(default)]
    pub snap_id: Option<String>,
    /// A completed quiz of the caller.
    #[serde(default)]
    pub quiz_id: Option<String>,
    /// A question of that quiz.
    #[serde(default)]
    pub question_id: Option<String>,
}

fn anchor_request(req: CreateRequest) -> Result<AnchorRequest, Problem> {
    let invalid = |m: &str| Problem::new(ErrorCode::InvalidRequest, m.to_owned());
    match (req.snap_id, req.quiz_id, req.question_id) {
        (None, None, None) => Ok(AnchorRequest::None),
        (Some(s), None, None) => Ok(AnchorRequest::Snap(
            SnapId::parse(&s).map_err(|_| Problem::new(ErrorCode::SnapNotFound, "no such snap"))?,
        )),
        (None, Some(q), Some(question)) => Ok(AnchorRequest::QuizQuestion(
            QuizId::parse(&q).map_err(|e| Problem::new(ErrorCode::InvalidQuizId, e))?,
            QuestionId::parse(&question).map_err(|e| invalid(&e))?,
        )),
        (None, Some(_), None) | (None, None, Some(_)) => Err(invalid("quiz_id and question_id go together")),
        _ => Err(invalid("anchor to a snap_id or to a quiz_id + question_id, not both")),
    }
}

/// Handler of `POST /v1/tutor/conversations`.
///
/// # Errors
/// 400 body / `invalid_quiz_id`, 403 `quiz_not_owned`, 404 `snap_not_found` /
/// `quiz_not_found`, 422 `invalid_request` / `answer_not_in_quiz`, 401, 503.
#[utoipa::path(
    post,
    path = "/v1/tutor/conversations",
    tag = "tutor",
    security(("firebase_id_token" = [])),
    request_body(content = CreateRequest, description = "Optional: no body (or `{}`) starts a free conversation."),
    responses(
        (status = 201, description = "The conversation.", body = crate::schema::ConversationCreated, links(
            ("PostMessage" = (operation_id = "post_message", parameters(("conversation_id" = "$response.body#/conversation_id")))),
            ("ListMessages" = (operation_id = "list_messages", parameters(("conversation_id" = "$response.body#/conversation_id")))),
        )),
        (status = 400, description = "`malformed_body` or `invalid_quiz_id`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "`quiz_not_owned`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "`snap_not_found` (no solved snap) or `quiz_not_found` (no completed quiz).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a body that is not `application/json`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_request` (anchor fields) or `answer_not_in_quiz`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    user: AuthUser,
    headers: axum::http::HeaderMap,
    body: Result<ApiJson<CreateRequest>, Problem>,
) -> Result<Response, Problem> {
    // No body at all means a free conversation; a body must be a valid JSON object.
    let empty = headers.get(axum::http::header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0")
        && headers.get(axum::http::header::TRANSFER_ENCODING).is_none();
    let body = match body {
        Ok(ApiJson(b)) => b,
        Err(_) if empty => CreateRequest::default(),
        Err(p) => return Err(p),
    };
    let req = anchor_request(body)?;
    let now = state.clock.now();
    let bank = state.bank.get().await?;
    let anchor = conversations::resolve_anchor(state.store.as_ref(), &bank, &user.uid, &req, now).await?.map_err(
        |e| match e {
            AnchorError::SnapNotFound => Problem::new(ErrorCode::SnapNotFound, "no solved snap with this id"),
            AnchorError::QuizNotOwned => Problem::new(ErrorCode::QuizNotOwned, "the quiz belongs to another user"),
            AnchorError::QuizNotFound => Problem::new(ErrorCode::QuizNotFound, "no completed quiz with this id"),
            AnchorError::QuestionNotInQuiz => {
                Problem::new(ErrorCode::AnswerNotInQuiz, "the question is not part of that quiz")
            }
        },
    )?;
    let (id, doc) = conversations::create(state.store.as_ref(), &user.uid, user.tier, anchor, now).await?;
    let body = json!({
        "conversation_id": id,
        "created_at": doc.created_at.to_rfc3339(),
        "expires_at": doc.expires_at.as_ref().map(|t| t.to_rfc3339()),
        "anchor": doc.anchor.as_ref().map(|a| json!({"kind": a.kind, "snap_id": a.snap_id, "quiz_id": a.quiz_id, "question_id": a.question_id})),
    });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// Handler of `GET /v1/tutor/conversations`.
///
/// # Errors
/// 422 `invalid_request`, 401, 503.
#[utoipa::path(
    get,
    path = "/v1/tutor/conversations",
    tag = "tutor",
    security(("firebase_id_token" = [])),
    params(shared::pagination::PageParams),
    responses(
        (status = 200, description = "The caller's conversations, most recently active first.", body = crate::schema::ConversationPage),
        shared::openapi::responses::PageErrors,
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    user: AuthUser,
    Page { limit, cursor }: Page,
) -> Result<Response, Problem> {
    let (items, next) = conversations::list(state.store.as_ref(), &user.uid, limit, cursor, state.clock.now()).await?;
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, c)| {
            json!({
                "conversation_id": id,
                "title": c.title,
                "created_at": c.created_at.to_rfc3339(),
                "updated_at": c.updated_at.to_rfc3339(),
                "expires_at": c.expires_at.as_ref().map(|t| t.to_rfc3339()),
                "messages": c.turns * 2,
                "anchor_kind": c.anchor.as_ref().map(|a| a.kind.clone()),
            })
        })
        .collect();
    Ok(axum::Json(json!({"items": items, "next_cursor": next.map(PageCursor::encode)})).into_response())
}
