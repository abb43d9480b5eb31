//! A streamed chat completion: server-sent events (WHATWG HTML, "Server-sent events",
//! parsed by `eventsource-stream`: comments and keep-alives, `event:` lines, multi-line
//! `data:`, CR/LF/CRLF line ends, lines and UTF-8 characters split across network chunks) of
//! `chat.completion.chunk` objects, ended by `data: [DONE]`
//! (<https://platform.openai.com/docs/api-reference/chat-streaming>).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, TryStreamExt};
use tokio::time::{Instant, Sleep};

use super::error::error_chain;
use super::openai_wire::{ChatCompletionChunk, Usage};
use super::{AiError, AiUsage, StreamEvent};

/// Parsed server-sent events of one response body; errors as text (transport, UTF-8, syntax).
pub(crate) type EventSource = Pin<Box<dyn Stream<Item = Result<Event, String>> + Send>>;

/// Server-sent events parsed from a body's byte chunks.
pub(crate) fn event_source<S, B, E>(bytes: S) -> EventSource
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]>,
    E: std::error::Error + Send + 'static,
{
    Box::pin(bytes.eventsource().map_err(|e| match e {
        EventStreamError::Transport(e) => format!("connection: {}", error_chain(&e)),
        EventStreamError::Utf8(e) => format!("not UTF-8: {e}"),
        EventStreamError::Parser(e) => format!("not an event stream: {e}"),
    }))
}

/// Whether an event is the stream's end marker.
fn is_done(event: &Event) -> bool {
    event.data.trim() == "[DONE]"
}

/// Whether an event carries a chunk (or an error object): the default `message` type, or
/// `error`. Other named events (a server's own `event: ping` with data) are skipped.
fn carries_chunk(event: &Event) -> bool {
    matches!(event.event.as_str(), "" | "message" | "error")
}

/// The provider error an event reports (`data: {"error": {...}}` or `event: error`), if any.
pub(crate) fn event_error(event: &Event) -> Option<String> {
    if !carries_chunk(event) || is_done(event) {
        return None;
    }
    match serde_json::from_str::<ChatCompletionChunk>(&event.data) {
        Ok(ChatCompletionChunk { error: Some(e), .. }) => Some(format!(
            "{}/{}: {}",
            e.kind.as_deref().unwrap_or(""),
            e.code_text(),
            crate::problem::excerpt(&e.message, 300)
        )),
        Ok(_) => None,
        Err(_) if event.event == "error" => Some(crate::problem::excerpt(&event.data, 300)),
        Err(_) => None,
    }
}

/// The answer as it streams: a [`Stream`] of [`StreamEvent::Delta`] items ending with
/// [`StreamEvent::Done`], or with one `Err` item when the answer is not complete:
/// [`AiError::Interrupted`] (connection dropped mid-body, end of body without `data: [DONE]`,
/// an error event), [`AiError::Timeout`] (the call's deadline passed mid-stream),
/// [`AiError::Blocked`] (finish reason `content_filter`, or a refusal without content),
/// [`AiError::BadOutput`] (a chunk that is not JSON). Nothing follows the last item.
///
/// Chunks without choices (the usage-only last chunk, Azure's content-filter preamble) and
/// keep-alive comments yield nothing. Dropping the stream closes the connection, so the
/// provider stops generating (the call is logged as `cancelled`). Retries happened before the
/// stream was returned; none happen once it is.
pub struct ChatStream {
    /// `None` once the last item is queued (the connection is then released).
    events: Option<EventSource>,
    deadline: Pin<Box<Sleep>>,
    queue: VecDeque<Result<StreamEvent, AiError>>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    refusal: String,
    content_bytes: usize,
    model: String,
    started: Instant,
    attempts: u32,
    /// The outcome once known (logged once).
    logged: bool,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("model", &self.model)
            .field("open", &self.events.is_some())
            .field("queued", &self.queue.len())
            .field("content_bytes", &self.content_bytes)
            .finish()
    }
}

impl ChatStream {
    /// A stream over `events` whose first event `first` was already read (by the attempt that
    /// opened it), for a call to `model` that started at `started` and must end within
    /// `deadline` of it after `attempts` HTTP attempts.
    pub(crate) fn new(
        events: EventSource,
        first: Event,
        model: String,
        started: Instant,
        deadline: Duration,
        attempts: u32,
    ) -> ChatStream {
        let mut s = ChatStream {
            events: Some(events),
            deadline: Box::pin(tokio::time::sleep_until(started + deadline)),
            queue: VecDeque::new(),
            finish_reason: None,
            usage: None,
            refusal: String::new(),
            content_bytes: 0,
            model,
            started,
            attempts,
            logged: false,
        };
        s.handle(first);
        s
    }

    /// The next item, `None` after the last (an inherent shortcut for `StreamExt::next`).
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent, AiError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Bytes of answer text yielded or queued so far.
    pub fn content_bytes(&self) -> usize {
        self.content_bytes
    }

    fn usage(&self) -> Option<AiUsage> {
        self.usage.map(|u| AiUsage {
            model: self.model.clone(),
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
            latency_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            attempts: self.attempts,
        })
    }

    /// Queues the last item, releases the connection and logs the call.
    fn finish(&mut self, last: Result<StreamEvent, AiError>) {
        self.events = None;
        let usage = self.usage.unwrap_or_default();
        let (outcome, error) = match &last {
            Ok(_) => ("ok", None),
            Err(e) => (e.outcome(), Some(e.to_string())),
        };
        tracing::info!(
            model = %self.model,
            input_tokens = usage.prompt_tokens,
            output_tokens = usage.completion_tokens,
            latency_ms = self.started.elapsed().as_millis() as u64,
            attempts = self.attempts,
            content_bytes = self.content_bytes,
            finish_reason = self.finish_reason.as_deref(),
            outcome,
            error,
            "ai call"
        );
        self.logged = true;
        self.queue.push_back(last);
    }

    fn handle(&mut self, event: Event) {
        if is_done(&event) {
            let last = match self.finish_reason.as_deref() {
                Some("content_filter") => Err(AiError::Blocked { reason: "content_filter".to_owned() }),
                _ if self.content_bytes == 0 && !self.refusal.is_empty() => Err(AiError::Blocked {
                    reason: format!("refusal: {}", crate::problem::excerpt(&self.refusal, 200)),
                }),
                reason => {
                    Ok(StreamEvent::Done { finish_reason: reason.unwrap_or("unknown").to_owned(), usage: self.usage() })
                }
            };
            self.finish(last);
            return;
        }
        if !carries_chunk(&event) {
            return;
        }
        if let Some(detail) = event_error(&event) {
            self.finish(Err(AiError::Interrupted { detail: format!("provider error mid-stream: {detail}") }));
            return;
        }
        let chunk: ChatCompletionChunk = match serde_json::from_str(&event.data) {
            Ok(c) => c,
            Err(e) => {
                let detail = format!(
                    "chunk is not a chat.completion.chunk ({e}): {}",
                    crate::problem::excerpt(&event.data, 200)
                );
                self.finish(Err(AiError::BadOutput { detail }));
                return;
            }
        };
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.content_bytes += text.len();
                self.queue.push_back(Ok(StreamEvent::Delta(text)));
            }
            if let Some(r) = choice.delta.refusal {
                self.refusal.push_str(&r);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
        }
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent, AiError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.queue.pop_front() {
                return Poll::Ready(Some(item));
            }
            let Some(events) = this.events.as_mut() else {
                return Poll::Ready(None);
            };
            if this.deadline.as_mut().poll(cx).is_ready() {
                this.finish(Err(AiError::Timeout));
                continue;
            }
            match events.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(event))) => this.handle(event),
                Poll::Ready(Some(Err(detail))) => this.finish(Err(AiError::Interrupted { detail })),
                Poll::Ready(None) => this.finish(Err(AiError::Interrupted {
                    detail: "the stream ended without its end marker (data: [DONE])".to_owned(),
                })),
            }
        }
    }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        if !self.logged {
            tracing::info!(
                model = %self.model,
                latency_ms = self.started.elapsed().as_millis() as u64,
                attempts = self.attempts,
                content_bytes = self.content_bytes,
                outcome = "cancelled",
                "ai call"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// Runs `chunks` (raw body bytes as the network delivered them) through the parser and the
    /// decoder; the first event is read first, as the client's attempt does.
    async fn decode(chunks: Vec<Vec<u8>>) -> Vec<Result<StreamEvent, AiError>> {
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
        let mut events = event_source(body);
        let first = events.next().await.expect("an event").expect("parsed");
        let s = ChatStream::new(events, first, "m".into(), Instant::now(), Duration::from_secs(5), 1);
        s.collect().await
    }

    fn chunk(content: &str) -> String {
        serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]}).to_string()
    }

    fn text(items: &[Result<StreamEvent, AiError>]) -> String {
        items
            .iter()
            .filter_map(|i| match i {
                Ok(StreamEvent::Delta(t)) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn every_split_point_crlf_comments_event_lines_and_multiline_data() {
        let finish = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}"#;
        // The second chunk's JSON is split over two data lines (joined with "\n": JSON whitespace).
        let body = format!(
            ": keep-alive\r\n\r\nevent: message\r\ndata: {}\r\n\r\ndata: {{\"choices\":[{{\"index\":0,\r\ndata: \"delta\":{{\"content\":\"θ = 45°, अब\"}}}}]}}\r\n\r\n: ping\r\n\r\ndata: {finish}\r\n\r\ndata: {usage}\r\n\r\ndata: [DONE]\r\n\r\n",
            chunk("Range: ")
        );
        let bytes = body.as_bytes();
        // Split the body at every byte (inside CRLF pairs and multi-byte characters included).
        for at in 1..bytes.len() {
            let items = decode(vec![bytes[..at].to_vec(), bytes[at..].to_vec()]).await;
            assert_eq!(text(&items), "Range: θ = 45°, अब", "split at {at}");
            match items.last() {
                Some(Ok(StreamEvent::Done { finish_reason, usage: Some(u) })) => {
                    assert_eq!(finish_reason, "stop");
                    assert_eq!((u.input_tokens, u.output_tokens, u.attempts, u.model.as_str()), (11, 7, 1, "m"));
                }
                other => panic!("split at {at}: {other:?}"),
            }
        }
        // One byte per network chunk.
        let items = decode(bytes.iter().map(|b| vec![*b]).collect()).await;
        assert_eq!(text(&items), "Range: θ = 45°, अब");
        assert!(matches!(items.last(), Some(Ok(StreamEvent::Done { .. }))));
    }

    #[tokio::test]
    async fn end_without_marker_error_events_filters_and_bad_chunks() {
        let cases: Vec<(String, &str, AiError)> = vec![
            (
                format!("data: {}\n\n", chunk("a")),
                "a",
                AiError::Interrupted { detail: "the stream ended without its end marker (data: [DONE])".into() },
            ),
            (
                format!(
                    "data: {}\n\ndata: {{\"error\":{{\"message\":\"overloaded\",\"type\":\"server_error\",\"code\":null}}}}\n\n",
                    chunk("a")
                ),
                "a",
                AiError::Interrupted { detail: "provider error mid-stream: server_error/: overloaded".into() },
            ),
            (
                format!(
                    "data: {}\n\ndata: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"content_filter\"}}]}}\n\ndata: [DONE]\n\n",
                    chunk("a")
                ),
                "a",
                AiError::Blocked { reason: "content_filter".into() },
            ),
            (
                format!("data: {}\n\ndata: <html>\n\n", chunk("a")),
                "a",
                AiError::BadOutput {
                    detail: "chunk is not a chat.completion.chunk (expected value at line 1 column 1): <html>".into(),
                },
            ),
        ];
        for (body, expected_text, expected_err) in cases {
            let items = decode(vec![body.into_bytes()]).await;
            assert_eq!(text(&items), expected_text);
            assert_eq!(items.last().cloned(), Some(Err(expected_err)));
        }
    }

    #[tokio::test]
    async fn done_without_finish_reason_or_usage() {
        let items = decode(vec![format!("data: {}\n\ndata: [DONE]\n\n", chunk("x")).into_bytes()]).await;
        assert_eq!(
            items,
            vec![
                Ok(StreamEvent::Delta("x".into())),
                Ok(StreamEvent::Done { finish_reason: "unknown".into(), usage: None })
            ]
        );
    }
}
