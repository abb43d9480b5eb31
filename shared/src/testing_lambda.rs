//! A fake AWS Lambda Runtime API (the `2018-06-01` HTTP interface a function polls,
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>) on a loopback port, so
//! a real function binary can be run as Lambda runs it and fed API Gateway / ALB events.
//!
//! Buffered answers are read whole ([`FakeLambdaRuntime::invoke`]); streamed answers
//! (`Lambda-Runtime-Function-Response-Mode: streaming`, see
//! [`crate::runtime::lambda_stream`]) are read as they arrive
//! ([`FakeLambdaRuntime::invoke_streaming`]): the prelude is parsed and every body chunk is
//! handed over with its arrival time.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

use crate::http::AppState;

/// What a function reported for one invocation: its response document, or its error document
/// (`{"errorType", "errorMessage"}`, posted to `/invocation/{id}/error`).
pub type Outcome = Result<serde_json::Value, serde_json::Value>;

/// What the function sent back for one invocation, buffered or streamed.
pub enum Answer {
    /// A buffered response document or an error document.
    Document(Outcome),
    /// A streamed response (its prelude has arrived; the body may still be coming).
    Streamed(Box<StreamedInvocation>),
}

type Pending = (String, serde_json::Value, oneshot::Sender<Answer>);

#[derive(Clone, Default)]
struct Shared {
    queue: Arc<Mutex<VecDeque<Pending>>>,
    waiting: Arc<Mutex<std::collections::HashMap<String, oneshot::Sender<Answer>>>>,
    ready: Arc<Notify>,
    errors: Option<mpsc::UnboundedSender<String>>,
}

/// The fake runtime API.
pub struct FakeLambdaRuntime {
    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    shared: Shared,
    counter: std::sync::atomic::AtomicU64,
    /// Errors the function reported (`/error` endpoints).
    pub errors: Mutex<mpsc::UnboundedReceiver<String>>,
}

/// The 8 NUL bytes between the JSON prelude and the body of a streamed HTTP answer.
pub const PRELUDE_DELIMITER: [u8; 8] = [0; 8];

/// Longest prelude the fake accepts, in bytes: API Gateway wants the prelude and its delimiter
/// within the first 16 KB of the stream
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html>).
pub const MAX_PRELUDE_BYTES: usize = 16 * 1024;

/// One piece of a streamed body as the fake read it off the connection (an HTTP/1.1 chunk, or
/// several the transport delivered together).
#[derive(Debug, Clone)]
pub struct StreamChunk {
    /// The bytes.
    pub bytes: Bytes,
    /// When the fake received them.
    pub at: Instant,
}

/// How a streamed body ended.
#[derive(Debug, Clone)]
pub struct StreamEnd {
    /// When the end was seen.
    pub at: Instant,
    /// `None` for a complete body (the terminating zero-length chunk arrived); the read error
    /// when the connection broke first.
    pub error: Option<String>,
}

/// What the fake reports while reading a streamed body.
#[derive(Debug, Clone)]
pub enum BodyEvent {
    /// A piece of the body.
    Chunk(StreamChunk),
    /// The body ended.
    End(StreamEnd),
}

/// A streamed answer being read: the POST's headers, the parsed prelude, and the body as it
/// arrives.
pub struct StreamedInvocation {
    /// Headers of the function's `POST .../response` (`content-type`,
    /// `lambda-runtime-function-response-mode`, `transfer-encoding`, `trailer`).
    pub request_headers: HeaderMap,
    /// The prelude as JSON.
    pub prelude: serde_json::Value,
    /// `statusCode` of the prelude.
    pub status: u16,
    /// `headers` of the prelude (lower-case names, as sent).
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// `cookies` of the prelude (the `Set-Cookie` values).
    pub cookies: Vec<String>,
    /// When the prelude's delimiter arrived.
    pub prelude_at: Instant,
    events: mpsc::UnboundedReceiver<BodyEvent>,
    cancel: Option<oneshot::Sender<()>>,
    ended: Option<StreamEnd>,
}

impl StreamedInvocation {
    /// A prelude header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).and_then(serde_json::Value::as_str)
    }

    /// The next body event; after the end, the end again.
    ///
    /// # Panics
    /// When nothing arrives within 30 s.
    pub async fn next(&mut self) -> BodyEvent {
        if let Some(end) = &self.ended {
            return BodyEvent::End(end.clone());
        }
        let event = tokio::time::timeout(Duration::from_secs(30), self.events.recv())
            .await
            .expect("streamed body event within 30 s")
            .unwrap_or_else(|| BodyEvent::End(StreamEnd { at: Instant::now(), error: Some("reader gone".into()) }));
        if let BodyEvent::End(end) = &event {
            self.ended = Some(end.clone());
        }
        event
    }

    /// Reads the rest of the body: its chunks and how it ended.
    ///
    /// # Panics
    /// As [`StreamedInvocation::next`].
    pub async fn collect(mut self) -> (Vec<StreamChunk>, StreamEnd) {
        let mut chunks = Vec::new();
        loop {
            match self.next().await {
                BodyEvent::Chunk(c) => chunks.push(c),
                BodyEvent::End(end) => return (chunks, end),
            }
        }
    }

    /// Hangs up as a client that goes away would: the fake stops reading, answers the POST
    /// and closes the connection with the rest of the body unread.
    pub fn cancel(mut self) {
        if let Some(tx) = self.cancel.take() {
            let _ = tx.send(());
        }
    }
}

/// The body bytes of `chunks`, joined.
pub fn joined(chunks: &[StreamChunk]) -> Vec<u8> {
    chunks.iter().flat_map(|c| c.bytes.iter().copied()).collect()
}

async fn next(State(s): State<Shared>) -> impl IntoResponse {
    loop {
        let notified = s.ready.notified();
        if let Some((id, event, tx)) = s.queue.lock().await.pop_front() {
            s.waiting.lock().await.insert(id.clone(), tx);
            let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
            let mut h = HeaderMap::new();
            let mut put = |k: &'static str, v: String| {
                if let Ok(v) = v.parse() {
                    h.insert(k, v);
                }
            };
            put("lambda-runtime-aws-request-id", id);
            put("lambda-runtime-deadline-ms", deadline.to_string());
            put("lambda-runtime-invoked-function-arn", "arn:aws:lambda:ap-south-1:123456789012:function:test".into());
            put("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".into());
            return (h, axum::Json(event));
        }
        notified.await;
    }
}

async fn frame(body: &mut Body) -> Option<Result<Bytes, String>> {
    loop {
        match poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
            None => return None,
            Some(Err(e)) => return Some(Err(e.to_string())),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    return Some(Ok(data));
                }
            }
        }
    }
}

async fn respond(
    State(s): State<Shared>,
    Path(id): Path<String>,
    request_headers: HeaderMap,
    mut body: Body,
) -> impl IntoResponse {
    let Some(tx) = s.waiting.lock().await.remove(&id) else {
        return StatusCode::ACCEPTED;
    };
    let streaming = request_headers
        .get("lambda-runtime-function-response-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
    if !streaming {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        let _ = tx.send(Answer::Document(Ok(v)));
        return StatusCode::ACCEPTED;
    }
    // The prelude: JSON text (which cannot hold a raw NUL) up to the first 8 NUL bytes.
    let mut head = Vec::new();
    let (prelude, rest, prelude_at) = loop {
        let Some(Ok(data)) = frame(&mut body).await else {
            let _ = tx.send(Answer::Document(Err(serde_json::json!({
                "errorType": "FakeRuntime.NoPrelude", "errorMessage": "the stream ended before the prelude delimiter"
            }))));
            return StatusCode::BAD_REQUEST;
        };
        head.extend_from_slice(&data);
        if let Some(at) = head.windows(PRELUDE_DELIMITER.len()).position(|w| w == PRELUDE_DELIMITER) {
            let rest = Bytes::copy_from_slice(&head[at + PRELUDE_DELIMITER.len()..]);
            head.truncate(at);
            break (head, rest, Instant::now());
        }
        if head.len() > MAX_PRELUDE_BYTES {
            let _ = tx.send(Answer::Document(Err(serde_json::json!({
                "errorType": "FakeRuntime.PreludeTooLong", "errorMessage": "no prelude delimiter within 16 KB"
            }))));
            return StatusCode::BAD_REQUEST;
        }
    };
    let prelude: serde_json::Value = match serde_json::from_slice(&prelude) {
        Ok(v) => v,
        Err(e) => {
            let _ = tx.send(Answer::Document(Err(serde_json::json!({
                "errorType": "FakeRuntime.BadPrelude", "errorMessage": format!("the prelude is not JSON: {e}")
            }))));
            return StatusCode::BAD_REQUEST;
        }
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let (cancel_tx, mut cancel) = oneshot::channel();
    let invocation = StreamedInvocation {
        request_headers,
        status: prelude["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(0),
        headers: prelude["headers"].as_object().cloned().unwrap_or_default(),
        cookies: prelude["cookies"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        prelude,
        prelude_at,
        events,
        cancel: Some(cancel_tx),
        ended: None,
    };
    let _ = tx.send(Answer::Streamed(Box::new(invocation)));
    if !rest.is_empty() {
        let _ = events_tx.send(BodyEvent::Chunk(StreamChunk { bytes: rest, at: prelude_at }));
    }
    let mut cancellable = true;
    loop {
        let data = tokio::select! {
            hang_up = &mut cancel, if cancellable => {
                if hang_up.is_ok() {
                    // Returning with the body unread makes the server close the connection.
                    return StatusCode::ACCEPTED;
                }
                cancellable = false;
                continue;
            }
            data = frame(&mut body) => data,
        };
        let at = Instant::now();
        match data {
            Some(Ok(bytes)) => {
                let _ = events_tx.send(BodyEvent::Chunk(StreamChunk { bytes, at }));
            }
            Some(Err(e)) => {
                let _ = events_tx.send(BodyEvent::End(StreamEnd { at, error: Some(e) }));
                return StatusCode::BAD_REQUEST;
            }
            None => {
                let _ = events_tx.send(BodyEvent::End(StreamEnd { at, error: None }));
                return StatusCode::ACCEPTED;
            }
        }
    }
}

async fn invocation_error(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()));
    if let Some(tx) = &s.errors {
        let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
    }
    if let Some(tx) = s.waiting.lock().await.remove(&id) {
        let _ = tx.send(Answer::Document(Err(v)));
    }
    axum::http::StatusCode::ACCEPTED
}

async fn error(State(s): State<Shared>, body: axum::body::Bytes) -> impl IntoResponse {
    if let Some(tx) = &s.errors {
        let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
    }
    axum::http::StatusCode::ACCEPTED
}

impl FakeLambdaRuntime {
    /// Starts the fake on 127.0.0.1:0.
    pub async fn start() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared { errors: Some(tx), ..Shared::default() };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
            .route("/2018-06-01/runtime/init/error", post(error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let address = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { address, shared, counter: Default::default(), errors: Mutex::new(rx) }
    }

    /// Queues `event` and waits (up to 30 s) for the function's response document.
    ///
    /// # Panics
    /// When no response arrives in time, or the function reports an error instead.
    pub async fn invoke(&self, event: serde_json::Value) -> serde_json::Value {
        match self.invoke_outcome(event).await {
            Ok(v) => v,
            Err(e) => panic!("the function reported an error: {e}"),
        }
    }

    /// Queues `event` and waits (up to 30 s) for what the function reports: its response
    /// document, or its error document.
    ///
    /// # Panics
    /// When nothing arrives in time (the function hung or died).
    pub async fn invoke_outcome(&self, event: serde_json::Value) -> Outcome {
        match self.invoke_answer(event).await {
            Answer::Document(outcome) => outcome,
            Answer::Streamed(s) => {
                panic!("the function streamed its answer (prelude {}); use invoke_streaming", s.prelude)
            }
        }
    }

    /// Queues `event` and waits (up to 30 s) for a streamed answer's prelude; the body is then
    /// read from the returned [`StreamedInvocation`] as it arrives.
    ///
    /// # Panics
    /// When nothing arrives in time, or the function answers with a document instead.
    pub async fn invoke_streaming(&self, event: serde_json::Value) -> StreamedInvocation {
        match self.invoke_answer(event).await {
            Answer::Streamed(s) => *s,
            Answer::Document(outcome) => panic!("the function answered with a document, not a stream: {outcome:?}"),
        }
    }

    /// Queues `event` and waits (up to 30 s) for whatever the function sends back.
    ///
    /// # Panics
    /// When nothing arrives in time (the function hung or died).
    pub async fn invoke_answer(&self, event: serde_json::Value) -> Answer {
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("req-{n}");
        let (tx, rx) = oneshot::channel();
        self.shared.queue.lock().await.push_back((id, event, tx));
        self.shared.ready.notify_waiters();
        tokio::time::timeout(Duration::from_secs(30), rx).await.expect("lambda response in time").expect("response")
    }

    /// The environment a Lambda execution environment sets, pointing at this fake.
    pub fn env(&self, function: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test-stream".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "test-group".into()),
        ]
    }
}

/// AWS's own sample events for the HTTP front ends, as the `aws_lambda_events` crate ships
/// them in its source (`src/fixtures/example-apigw-*request*.json`,
/// `example-alb-*request*.json`), read from the cargo registry (`$CARGO_HOME`, else
/// `~/.cargo`): `(file name, event)`, sorted by name. The newest crate version found is used.
///
/// # Panics
/// When the crate's source is not in the registry (it is, once the workspace has been built:
/// lambda_http depends on it).
pub fn aws_sample_events() -> Vec<(String, serde_json::Value)> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let mut crates = Vec::new();
    for index in std::fs::read_dir(home.join("registry/src")).expect("cargo registry sources").flatten() {
        for krate in std::fs::read_dir(index.path()).into_iter().flatten().flatten() {
            let name = krate.file_name().to_string_lossy().into_owned();
            if let Some(version) = name.strip_prefix("aws_lambda_events-") {
                let key: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
                crates.push((key, krate.path()));
            }
        }
    }
    crates.sort();
    let (_, dir) = crates.pop().expect("aws_lambda_events source in the cargo registry");
    let mut events = Vec::new();
    for file in std::fs::read_dir(dir.join("src/fixtures")).expect("fixtures").flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        let wanted = name.ends_with(".json")
            && ((name.starts_with("example-apigw-") && name.contains("request"))
                || (name.starts_with("example-alb-") && name.contains("request")));
        if wanted {
            let text = std::fs::read_to_string(file.path()).expect("read fixture");
            events.push((name, serde_json::from_str(&text).expect("fixture is JSON")));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events
}

/// An API Gateway HTTP API (payload 2.0) event: `stage` in `requestContext.stage`, `raw_path`
/// as `rawPath` (give it the `/{stage}` prefix yourself where the test wants it).
pub fn http_api_event(
    method: &str,
    stage: &str,
    raw_path: &str,
    raw_query: &str,
    token: &str,
    body: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": {"authorization": format!("Bearer {token}"), "content-type": "application/json", "host": "abc.execute-api.ap-south-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.ap-south-1.amazonaws.com",
            "domainPrefix": "abc", "requestId": "r-1", "routeKey": "$default", "stage": stage,
            "time": "29/Nov/2026:08:00:00 +0000", "timeEpoch": 1_795_939_200_000_i64,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"}
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An API Gateway REST API (payload 1.0) proxy event with `path` and `stage`.
pub fn rest_api_event(method: &str, stage: &str, path: &str, token: &str, body: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": {"Authorization": format!("Bearer {token}"), "Content-Type": "application/json"},
        "multiValueHeaders": {"Authorization": [format!("Bearer {token}")], "Content-Type": ["application/json"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": {"proxy": path.trim_start_matches('/')}, "stageVariables": null,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": format!("/{stage}{path}"),
            "stage": stage, "requestId": "r-2", "accountId": "123456789012", "apiId": "abc",
            "identity": {"sourceIp": "203.0.113.7"}},
        "body": body, "isBase64Encoded": false
    })
}

/// An Application Load Balancer event.
pub fn alb_event(method: &str, path: &str, token: &str, body: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:ap-south-1:123456789012:targetgroup/jv/abc"}},
        "httpMethod": method, "path": path, "queryStringParameters": {},
        "headers": {"host": "jv.example", "authorization": format!("Bearer {token}"), "content-type": "application/json"},
        "body": body.unwrap_or(""), "isBase64Encoded": false
    })
}

/// Starts a function binary in Lambda mode against `runtime`, with `env` (an instance's
/// files) and its stderr discarded.
///
/// # Panics
/// When the binary cannot be started.
pub fn spawn_lambda_function(
    bin: &str,
    name: &str,
    env: Vec<(&'static str, String)>,
    dir: &std::path::Path,
    runtime: &FakeLambdaRuntime,
) -> std::process::Child {
    std::process::Command::new(bin)
        .envs(env)
        .envs(runtime.env(name))
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn function binary")
}

/// A Lambda function URL event (payload 2.0, the same shape as an HTTP API's, on the
/// `{url-id}.lambda-url.{region}.on.aws` domain;
/// <https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads>).
pub fn function_url_event(method: &str, raw_path: &str, raw_query: &str, body: Option<&str>) -> serde_json::Value {
    let domain = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.ap-south-1.on.aws";
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": {"content-type": "application/json", "host": domain, "accept": "text/event-stream"},
        "requestContext": {
            "accountId": "anonymous", "apiId": "abcdefghijklmnopqrstuvwxyz012345", "domainName": domain,
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345", "requestId": "r-url", "routeKey": "$default",
            "stage": "$default", "time": "29/Nov/2026:08:00:00 +0000", "timeEpoch": 1_795_939_200_000_i64,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"}
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// Routes that exercise streamed answers, for a test function (mount them with
/// [`crate::runtime::start`]):
/// * `GET /test/sse?events=N&gap_ms=MS` — `text/event-stream`, N events (default 4, at most
///   50) of the form `id: {i}\nevent: tick\ndata: {"n":i,"of":N}\n\n`, the first at once and
///   each next one MS ms (default 300, at most 10 000) after the previous;
/// * `GET /test/json?items=N` — 201 `application/json` `{"items": [0, 1, ..., N-1]}` (default
///   N = 3000, about 15 KB; at most 100 000) with headers `x-test: one`, `x-test: two`,
///   `cache-control: no-store` and cookies `a=1; Path=/` and `b=2; Path=/`.
pub fn streaming_test_routes() -> Router<AppState> {
    Router::new().route("/test/sse", get(sse)).route("/test/json", get(json_items))
}

#[derive(serde::Deserialize)]
struct SseQuery {
    events: Option<u32>,
    gap_ms: Option<u64>,
}

async fn sse(Query(q): Query<SseQuery>) -> Response {
    let total = q.events.unwrap_or(4).min(50);
    let gap = Duration::from_millis(q.gap_ms.unwrap_or(300).min(10_000));
    let (mut tx, body) = lambda_http::lambda_runtime::streaming::channel();
    tokio::spawn(async move {
        for n in 0..total {
            if n > 0 {
                tokio::time::sleep(gap).await;
            }
            let event = format!("id: {n}\nevent: tick\ndata: {{\"n\":{n},\"of\":{total}}}\n\n");
            if tx.send_data(Bytes::from(event)).await.is_err() {
                tracing::info!(target: "test_sse", sent = n, of = total, "sse reader gone; producer stopped");
                return;
            }
        }
        tracing::info!(target: "test_sse", sent = total, of = total, "sse producer finished");
    });
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], Body::new(body))
        .into_response()
}

#[derive(serde::Deserialize)]
struct JsonQuery {
    items: Option<u32>,
}

async fn json_items(Query(q): Query<JsonQuery>) -> Response {
    let items: Vec<u32> = (0..q.items.unwrap_or(3000).min(100_000)).collect();
    let mut res = (StatusCode::CREATED, axum::Json(serde_json::json!({ "items": items }))).into_response();
    let h = res.headers_mut();
    for (name, value) in [
        ("x-test", "one"),
        ("x-test", "two"),
        ("cache-control", "no-store"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; Path=/"),
    ] {
        h.append(name, axum::http::HeaderValue::from_static(value));
    }
    res
}
