//! Server-sent events to the client. A task reads the provider's stream and forwards each
//! delta; it stores the turn when the provider finishes (`done` event: message id, usage,
//! finish reason), when the provider's stream is cut (`error` event; the partial answer is kept
//! as `incomplete` and not charged), or when the client goes away (the task stops reading
//! upstream and stores what arrived as `incomplete`). Heartbeat comments every 15 s keep
//! proxies from closing an idle stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;

use shared::ai::{ChatStream, StreamEvent};
use shared::domain::{ConversationId, TurnId};
use shared::http::AppState;
use shared::problem::Problem;
use shared::records::conversation::TurnStatus;
use shared::tutor::turns::{self, TurnEnd};

/// Interval of SSE heartbeat comments.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

async fn pump(state: AppState, id: ConversationId, turn_id: TurnId, mut upstream: ChatStream, tx: mpsc::Sender<Event>) {
    let mut text = String::new();
    let end = loop {
        let next = tokio::select! {
            item = upstream.next() => Next::Item(item),
            () = tx.closed() => Next::ClientGone,
        };
        match next {
            Next::Item(Some(Ok(StreamEvent::Delta(d)))) => {
                text.push_str(&d);
                if tx.send(event("delta", json!({"text": d}))).await.is_err() {
                    break disconnected(text);
                }
            }
            Next::Item(Some(Ok(StreamEvent::Done { finish_reason, usage }))) => {
                break TurnEnd {
                    status: TurnStatus::Complete,
                    assistant: text,
                    finish_reason: Some(finish_reason),
                    usage,
                    error: None,
                };
            }
            Next::Item(Some(Err(e))) => break cut(&tx, text, Problem::from(e)).await,
            Next::Item(None) => {
                let p = Problem::new(shared::problem::ErrorCode::AiUnavailable, "the answer stream ended early");
                break cut(&tx, text, p).await;
            }
            Next::ClientGone => break disconnected(text),
        }
    };
    let status = end.status;
    match turns::settle(state.store.as_ref(), &id, &turn_id, &end, state.clock.now()).await {
        Ok(Some(t)) if status == TurnStatus::Complete => {
            let _ = tx
                .send(event(
                    "done",
                    json!({"message_id": turn_id, "conversation_id": id, "finish_reason": t.finish_reason, "usage": t.usage}),
                ))
                .await;
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "turn not stored"),
    }
}

/// What the pump waits for.
enum Next {
    /// The provider's next item (`None`: its stream ended).
    Item(Option<Result<StreamEvent, shared::ai::AiError>>),
    /// The client closed the connection.
    ClientGone,
}

/// The provider's stream broke: tell the client (`error` event) and keep the partial answer.
async fn cut(tx: &mpsc::Sender<Event>, text: String, p: Problem) -> TurnEnd {
    let _ =
        tx.send(event("error", json!({"code": p.details().code, "detail": p.details().detail, "partial": true}))).await;
    TurnEnd {
        status: TurnStatus::Incomplete,
        assistant: text,
        finish_reason: None,
        usage: None,
        error: Some(p.details().code.as_str()),
    }
}

fn disconnected(text: String) -> TurnEnd {
    TurnEnd {
        status: TurnStatus::Incomplete,
        assistant: text,
        finish_reason: None,
        usage: None,
        error: Some("client_disconnected".into()),
    }
}

/// Starts the pump (a task of its own) and returns the receiving end of its events.
pub fn start_pump(state: AppState, id: ConversationId, turn_id: TurnId, upstream: ChatStream) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(pump(state, id, turn_id, upstream, tx));
    rx
}

/// The SSE response over a pump's events, with heartbeat comments every [`HEARTBEAT`].
pub fn sse_response(rx: mpsc::Receiver<Event>) -> Response {
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx)) });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response()
}
