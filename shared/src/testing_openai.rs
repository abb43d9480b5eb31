//! A fake OpenAI API on a loopback port speaking the documented chat completions wire format
//! (<https://platform.openai.com/docs/api-reference/chat>): `POST /v1/chat/completions`
//! answered with a `chat.completion` object, or with server-sent `chat.completion.chunk`
//! events ended by `data: [DONE]` (<https://platform.openai.com/docs/api-reference/chat-streaming>),
//! and the error envelope `{"error": {"message", "type", "param", "code"}}`
//! (<https://platform.openai.com/docs/guides/error-codes>). Scripted replies in order, then a
//! default; every request is recorded; every streamed reply reports how far it got.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde_json::json;

/// Input tokens reported by every scripted answer.
pub const PROMPT_TOKENS: u64 = 120;

/// How a streamed reply ends after its last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The body ends properly (final chunk of the chunked encoding).
    Clean,
    /// The connection is aborted mid-body (no final chunk): the client sees a broken body.
    Cut,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    /// One JSON body.
    Json(String),
    /// Server-sent events, each written as one network chunk, `gap` apart.
    Events { events: Vec<String>, gap: Duration, end: StreamEnd },
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// Wait before the response head is sent.
    pub delay: Duration,
    body: ReplyBody,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Headers, names lower-case.
    pub headers: HashMap<String, String>,
    /// The JSON body (`Null` when it was not JSON).
    pub body: serde_json::Value,
}

/// Progress of one streamed reply, for checking that a client stopped reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Events (SSE comments included) the reply had to send.
    pub planned: usize,
    /// Events handed to the connection before it ended.
    pub written: usize,
    /// Every event was written and the body ended as scripted.
    pub completed: bool,
    /// The client went away before the body was complete (a write found the connection closed).
    pub client_gone: bool,
}

fn data(value: &serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

fn chunk(delta: serde_json::Value, finish_reason: Option<&str>) -> String {
    data(&json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_767_225_600,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        "usage": null
    }))
}

impl Reply {
    fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply { status, headers: vec![], delay: Duration::ZERO, body: ReplyBody::Json(body.to_string()) }
    }

    /// 200 `chat.completion` with `content` and `finish_reason`; usage [`PROMPT_TOKENS`] in, 42
    /// out.
    pub fn answer_with(content: &str, finish_reason: &str) -> Reply {
        Reply::json(
            200,
            json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1_767_225_600,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": null},
                    "logprobs": null,
                    "finish_reason": finish_reason
                }],
                "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 42, "total_tokens": PROMPT_TOKENS + 42},
                "system_fingerprint": "fp_fake"
            }),
        )
    }

    /// 200 `chat.completion` with `content`, finish reason `stop`.
    pub fn answer(content: &str) -> Reply {
        Reply::answer_with(content, "stop")
    }

    /// A stream as OpenAI sends it: a role-only chunk, one chunk per delta, a chunk with
    /// `finish_reason`, the usage-only chunk (`choices: []`, [`PROMPT_TOKENS`] in, one output
    /// token per delta), then `data: [DONE]`.
    pub fn stream_finishing(deltas: &[&str], finish_reason: &str) -> Reply {
        let mut events = vec![chunk(json!({"role": "assistant", "content": "", "refusal": null}), None)];
        events.extend(deltas.iter().map(|d| chunk(json!({"content": d}), None)));
        events.push(chunk(json!({}), Some(finish_reason)));
        let out = deltas.len() as u64;
        events.push(data(&json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1_767_225_600,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": out, "total_tokens": PROMPT_TOKENS + out}
        })));
        events.push("data: [DONE]\n\n".to_owned());
        Reply {
            status: 200,
            headers: vec![],
            delay: Duration::ZERO,
            body: ReplyBody::Events { events, gap: Duration::ZERO, end: StreamEnd::Clean },
        }
    }

    /// [`Reply::stream_finishing`] with finish reason `stop`.
    pub fn stream(deltas: &[&str]) -> Reply {
        Reply::stream_finishing(deltas, "stop")
    }

    /// A 200 stream whose only event is an error object (as OpenAI reports a failure after
    /// the response head was sent), then the body ends.
    pub fn stream_error_event(message: &str) -> Reply {
        let events =
            vec![data(&json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}}))];
        Reply {
            status: 200,
            headers: vec![],
            delay: Duration::ZERO,
            body: ReplyBody::Events { events, gap: Duration::ZERO, end: StreamEnd::Clean },
        }
    }

    fn events_mut(&mut self) -> Option<(&mut Vec<String>, &mut Duration, &mut StreamEnd)> {
        match &mut self.body {
            ReplyBody::Events { events, gap, end } => Some((events, gap, end)),
            ReplyBody::Json(_) => None,
        }
    }

    /// Prepends Azure OpenAI's content-filter preamble: a chunk with empty `choices` and
    /// `prompt_filter_results` (streams only).
    pub fn with_preamble(mut self) -> Reply {
        if let Some((events, ..)) = self.events_mut() {
            let severity = json!({"filtered": false, "severity": "safe"});
            events.insert(
                0,
                data(&json!({
                    "choices": [], "created": 0, "id": "", "model": "", "object": "",
                    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {
                        "hate": severity, "self_harm": severity, "sexual": severity, "violence": severity
                    }}]
                })),
            );
        }
        self
    }

    /// Interleaves SSE comment lines (`: ping`, `: keep-alive`) before and between the events
    /// (streams only), as proxies and some servers send them.
    pub fn with_keep_alives(mut self) -> Reply {
        if let Some((events, ..)) = self.events_mut() {
            let mut with = Vec::with_capacity(events.len() * 2 + 1);
            with.push(": keep-alive\n\n".to_owned());
            for e in events.drain(..) {
                with.push(e);
                with.push(": ping\n\n".to_owned());
            }
            *events = with;
        }
        self
    }

    /// Keeps the first `n` events, then aborts the connection (streams only).
    pub fn cut_after(mut self, n: usize) -> Reply {
        if let Some((events, _, end)) = self.events_mut() {
            events.truncate(n);
            *end = StreamEnd::Cut;
        }
        self
    }

    /// Drops the `data: [DONE]` event; the body still ends cleanly (streams only).
    pub fn without_done(mut self) -> Reply {
        if let Some((events, ..)) = self.events_mut() {
            events.retain(|e| e.trim() != "data: [DONE]");
        }
        self
    }

    /// Waits `ms` milliseconds between events (streams only).
    pub fn slow(mut self, ms: u64) -> Reply {
        if let Some((_, gap, _)) = self.events_mut() {
            *gap = Duration::from_millis(ms);
        }
        self
    }

    /// This reply after `ms` milliseconds (before the response head).
    pub fn delayed(mut self, ms: u64) -> Reply {
        self.delay = Duration::from_millis(ms);
        self
    }

    /// An error envelope: `{"error": {"message", "type", "param": null, "code"}}`.
    pub fn error(status: u16, kind: &str, code: Option<&str>, message: &str) -> Reply {
        Reply::json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
    }

    /// 429 `rate_limit_exceeded` with `retry-after-ms: ms`, `retry-after` (whole seconds, at
    /// least 1) and the `x-ratelimit-*` headers.
    pub fn rate_limited(ms: u64) -> Reply {
        let mut r = Reply::error(
            429,
            "requests",
            Some("rate_limit_exceeded"),
            &format!(
                "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in {ms}ms."
            ),
        );
        r.headers = vec![
            ("retry-after-ms".into(), ms.to_string()),
            ("retry-after".into(), ms.div_ceil(1000).max(1).to_string()),
            ("x-ratelimit-limit-requests".into(), "3".into()),
            ("x-ratelimit-remaining-requests".into(), "0".into()),
            ("x-ratelimit-reset-requests".into(), format!("{ms}ms")),
        ];
        r
    }

    /// 429 `insufficient_quota`: the account's credit is exhausted.
    pub fn insufficient_quota() -> Reply {
        Reply::error(
            429,
            "insufficient_quota",
            Some("insufficient_quota"),
            "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        )
    }

    /// 500 `server_error`.
    pub fn server_error() -> Reply {
        Reply::error(
            500,
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
        )
    }

    /// 503 `server_error` (overloaded).
    pub fn overloaded() -> Reply {
        Reply::error(503, "server_error", None, "The engine is currently overloaded, please try again later.")
    }
}

#[derive(Default)]
struct Script {
    queue: VecDeque<Reply>,
    default: Option<Reply>,
    received: Vec<Received>,
    streams: Vec<Arc<Mutex<StreamStats>>>,
}

type Shared = Arc<Mutex<Script>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The body chunks a writer task hands to the connection.
struct Chunks(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_util::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().0.poll_recv(cx)
    }
}

/// Writes `events` `gap` apart into a body, recording progress in `stats`.
fn event_body(events: Vec<String>, gap: Duration, end: StreamEnd, stats: Arc<Mutex<StreamStats>>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 && !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            if tx.send(Ok(Bytes::from(event))).await.is_err() {
                lock(&stats).client_gone = true;
                return;
            }
            lock(&stats).written += 1;
        }
        match end {
            StreamEnd::Clean => lock(&stats).completed = true,
            StreamEnd::Cut => {
                let _ = tx.send(Err(std::io::Error::other("connection cut by the fake"))).await;
            }
        }
    });
    Body::from_stream(Chunks(rx))
}

fn respond(reply: Reply, script: &Shared) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = match reply.body {
        ReplyBody::Json(text) => {
            let mut res = Response::new(Body::from(text));
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res
        }
        ReplyBody::Events { events, gap, end } => {
            let stats = Arc::new(Mutex::new(StreamStats { planned: events.len(), ..StreamStats::default() }));
            lock(script).streams.push(stats.clone());
            let mut res = Response::new(event_body(events, gap, end, stats));
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
    };
    *res.status_mut() = status;
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            res.headers_mut().insert(k, v);
        }
    }
    res
}

async fn chat_completions(State(script): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let received = Received {
        path: "/v1/chat/completions".to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    let reply = {
        let mut s = lock(&script);
        let keyed = received
            .headers
            .get("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|k| !k.trim().is_empty());
        let b = &received.body;
        let streaming = b["stream"].as_bool() == Some(true);
        let reply = if !keyed {
            Reply::error(
                401,
                "invalid_request_error",
                None,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        } else if b.is_null() {
            Reply::error(
                400,
                "invalid_request_error",
                None,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
            )
        } else if !b["model"].is_string() {
            Reply::error(400, "invalid_request_error", None, "you must provide a model parameter")
        } else if b["messages"].as_array().is_none_or(Vec::is_empty) {
            Reply::error(400, "invalid_request_error", None, "[] is too short - 'messages'")
        } else {
            s.queue.pop_front().or_else(|| s.default.clone()).unwrap_or_else(|| {
                if streaming { Reply::stream(&["Hello", ", student", "!"]) } else { Reply::answer("Hello, student!") }
            })
        };
        s.received.push(received);
        reply
    };
    tokio::time::sleep(reply.delay).await;
    respond(reply, &script)
}

/// The fake server (stops when the test's runtime ends).
pub struct FakeOpenAi {
    base_url: String,
    script: Shared,
}

impl FakeOpenAi {
    /// Starts the fake on 127.0.0.1:0. With an empty queue it answers
    /// `Reply::stream(["Hello", ", student", "!"])` to streaming requests and
    /// `Reply::answer("Hello, student!")` to others (see [`FakeOpenAi::set_default`]).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> FakeOpenAi {
        Self::start_on(0).await
    }

    /// Starts the fake on `127.0.0.1:port` (0 = any free port).
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start_on(port: u16) -> FakeOpenAi {
        let script = Shared::default();
        let app = Router::new().route("/v1/chat/completions", post(chat_completions)).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("bind");
        let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeOpenAi { base_url, script }
    }

    /// `http://127.0.0.1:PORT/v1` (for `OpenAiConfig::base_url`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Queues a reply (answered in order).
    pub fn push(&self, reply: Reply) {
        lock(&self.script).queue.push_back(reply);
    }

    /// The reply when the queue is empty.
    pub fn set_default(&self, reply: Reply) {
        lock(&self.script).default = Some(reply);
    }

    /// Requests received so far, in order.
    pub fn requests(&self) -> Vec<Received> {
        lock(&self.script).received.clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        lock(&self.script).received.len()
    }

    /// Progress of every streamed reply so far, in order.
    pub fn streams(&self) -> Vec<StreamStats> {
        lock(&self.script).streams.iter().map(|s| *lock(s)).collect()
    }
}
