//! A fake Gemini API on a loopback port speaking the documented wire format of
//! `POST /v1beta/models/{model}:generateContent` (<https://ai.google.dev/api/generate-content>)
//! and its error envelope (<https://ai.google.dev/gemini-api/docs/troubleshooting>): scripted
//! replies in order, then a default reply; every request is recorded.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response body (JSON text, or anything for malformed bodies).
    pub body: String,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// Wait before answering.
    pub delay: Duration,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`.
    pub path: String,
    /// Headers, names lower-case.
    pub headers: HashMap<String, String>,
    /// The JSON body (`Null` when it was not JSON).
    pub body: serde_json::Value,
}

/// A valid solution object matching `SnapSolution`'s schema (a projectile question).
pub fn sample_solution() -> serde_json::Value {
    serde_json::json!({
        "question_text": "A ball is projected at $20\\,\\text{m/s}$ at $45^\\circ$. Find its range ($g = 10\\,\\text{m/s}^2$).",
        "subject": "physics",
        "chapter": "Kinematics",
        "topic": "Projectile motion",
        "topic_key": "physics/kinematics/projectile-motion",
        "steps": [
            "Range of a projectile: $R = \\dfrac{u^2 \\sin 2\\theta}{g}$.",
            "Substitute: $R = \\dfrac{20^2 \\cdot \\sin 90^\\circ}{10} = 40\\,\\text{m}$."
        ],
        "final_answer": "$R = 40\\,\\text{m}$",
        "confidence": 0.93
    })
}

fn status_name(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

impl Reply {
    fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply { status, body: body.to_string(), headers: vec![], delay: Duration::ZERO }
    }

    /// 200 with one candidate whose text is `text`, finish reason `finish_reason`, and usage
    /// 1290 input / 350 output tokens (+ 120 thinking).
    pub fn candidate(text: &str, finish_reason: &str) -> Reply {
        Reply::json(
            200,
            serde_json::json!({
                "candidates": [{
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": finish_reason,
                    "index": 0
                }],
                "usageMetadata": {
                    "promptTokenCount": 1290,
                    "candidatesTokenCount": 350,
                    "thoughtsTokenCount": 120,
                    "totalTokenCount": 1760
                },
                "modelVersion": "gemini-2.5-flash"
            }),
        )
    }

    /// 200 with `solution` serialised as the candidate's JSON text, finish reason STOP.
    pub fn solution(solution: &serde_json::Value) -> Reply {
        Reply::candidate(&solution.to_string(), "STOP")
    }

    /// 200 with [`sample_solution`].
    pub fn valid_solution() -> Reply {
        Reply::solution(&sample_solution())
    }

    /// 200 whose candidate text is not JSON (finish reason STOP).
    pub fn malformed() -> Reply {
        Reply::candidate("Sure! The range is 40 m.", "STOP")
    }

    /// 200 with no candidates and `promptFeedback.blockReason` = `reason` (e.g. `SAFETY`).
    pub fn prompt_blocked(reason: &str) -> Reply {
        Reply::json(
            200,
            serde_json::json!({
                "promptFeedback": {
                    "blockReason": reason,
                    "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]
                },
                "usageMetadata": {"promptTokenCount": 1290, "totalTokenCount": 1290}
            }),
        )
    }

    /// 200 with a candidate stopped for `finish_reason` (e.g. `SAFETY`) and no content.
    pub fn candidate_blocked(finish_reason: &str) -> Reply {
        Reply::json(
            200,
            serde_json::json!({
                "candidates": [{
                    "finishReason": finish_reason,
                    "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true}]
                }],
                "usageMetadata": {"promptTokenCount": 1290, "totalTokenCount": 1290}
            }),
        )
    }

    /// 200 with a candidate cut off at the token limit (finish reason MAX_TOKENS, partial JSON).
    pub fn max_tokens() -> Reply {
        Reply::candidate("{\"question_text\": \"A ball is projected", "MAX_TOKENS")
    }

    /// An error envelope `{"error": {"code", "message", "status", "details"}}`.
    pub fn error(status: u16, message: &str, details: Vec<serde_json::Value>) -> Reply {
        Reply::json(
            status,
            serde_json::json!({"error": {
                "code": status, "message": message, "status": status_name(status), "details": details
            }}),
        )
    }

    /// 429 RESOURCE_EXHAUSTED with a QuotaFailure and a RetryInfo of `retry_delay` (e.g. `"0.2s"`).
    pub fn rate_limited(retry_delay: &str) -> Reply {
        Reply::error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            vec![
                serde_json::json!({
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                        "quotaValue": "10"
                    }]
                }),
                serde_json::json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}),
            ],
        )
    }

    /// 500 INTERNAL.
    pub fn internal() -> Reply {
        Reply::error(
            500,
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            vec![],
        )
    }

    /// 503 UNAVAILABLE.
    pub fn unavailable() -> Reply {
        Reply::error(503, "The model is overloaded. Please try again later.", vec![])
    }

    /// This reply with an extra response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This reply after `ms` milliseconds.
    pub fn delayed(mut self, ms: u64) -> Reply {
        self.delay = Duration::from_millis(ms);
        self
    }
}

#[derive(Default)]
struct Script {
    queue: VecDeque<Reply>,
    default: Option<Reply>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Script>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Script> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The fake server (stops when the test's runtime ends).
pub struct FakeGemini {
    base_url: String,
    script: Shared,
}

async fn generate(
    State(script): State<Shared>,
    Path(call): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let received = Received {
        path: format!("/v1beta/models/{call}"),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    let reply = {
        let mut s = lock(&script);
        let json_ok = !received.body.is_null();
        let keyed = received.headers.get("x-goog-api-key").is_some_and(|k| !k.is_empty());
        s.received.push(received);
        if !call.ends_with(":generateContent") {
            Reply::error(404, &format!("Method not found: {call}"), vec![])
        } else if !keyed {
            Reply::error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
                vec![],
            )
        } else if !json_ok {
            Reply::error(400, "Invalid JSON payload received.", vec![])
        } else {
            s.queue.pop_front().or_else(|| s.default.clone()).unwrap_or_else(Reply::valid_solution)
        }
    };
    tokio::time::sleep(reply.delay).await;
    let mut res =
        (StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), reply.body).into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (axum::http::HeaderName::try_from(k), axum::http::HeaderValue::try_from(v)) {
            res.headers_mut().insert(k, v);
        }
    }
    res
}

impl FakeGemini {
    /// Starts the fake on 127.0.0.1:0. With an empty queue it answers [`Reply::valid_solution`]
    /// (see [`FakeGemini::set_default`]).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> FakeGemini {
        Self::start_on(0).await
    }

    /// Starts the fake on `127.0.0.1:port` (0 = any free port).
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start_on(port: u16) -> FakeGemini {
        let script = Shared::default();
        let app = Router::new().route("/v1beta/models/{call}", post(generate)).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeGemini { base_url, script }
    }

    /// `http://127.0.0.1:PORT` (for `GeminiConfig::base_url`).
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
}
