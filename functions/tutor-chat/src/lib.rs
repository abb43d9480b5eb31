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
mod stream;

use axum::Router;
use axum::routing::post;

use shared::http::AppState;

pub use conversations::{create_conversation, list_conversations};
pub use messages::{list_messages, post_message};

/// The function's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tutor/conversations", post(create_conversation).get(list_conversations))
        .route("/v1/tutor/conversations/{id}/messages", post(post_message).get(list_messages))
}
