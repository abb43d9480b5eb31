//! `tutor-chat`: an AI tutor over any OpenAI-compatible chat completions server.
//!
//! * `POST /v1/tutor/conversations` `{"snap_id"?} | {"quiz_id", "question_id"}?` → 201.
//! * `GET /v1/tutor/conversations` (most recently active first, `?limit=&cursor=`).
//! * `POST /v1/tutor/conversations/{id}/messages` `{"content"}` → the tutor's answer: one
//!   JSON response, or server-sent events with `Accept: text/event-stream` (`delta` events,
//!   then one `done` event with the stored message id, usage and finish reason, or an `error`
//!   event). Optional `Idempotency-Key`. Charged against the daily tutor quota only when the
//!   answer completes.
//! * `GET /v1/tutor/conversations/{id}/messages` (in order, `?limit=&after=`).

mod conversations;
mod messages;
mod schema;
mod stream;

use axum::Router;

use shared::http::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use conversations::CreateRequest;
pub use conversations::{create_conversation, list_conversations};
pub use messages::{MessageRequest, MessagesParams, list_messages, post_message};
pub use schema::{
    AnchorView, AnswerView, ConversationCreated, ConversationPage, ConversationSummary, MessagePage, MessageView,
};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::new()
        .routes(routes!(conversations::create_conversation, conversations::list_conversations))
        .routes(routes!(messages::post_message, messages::list_messages));
    shared::openapi::optional_body(api.get_openapi_mut(), "/v1/tutor/conversations", utoipa::openapi::HttpMethod::Post);
    api
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
