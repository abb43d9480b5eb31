//! A fake AWS Lambda Runtime API (the `2018-06-01` HTTP interface a function polls,
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>) on a loopback port, so
//! a real function binary can be run as Lambda runs it and fed API Gateway / ALB events.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

/// What a function reported for one invocation: its response document, or its error document
/// (`{"errorType", "errorMessage"}`, posted to `/invocation/{id}/error`).
pub type Outcome = Result<serde_json::Value, serde_json::Value>;

type Pending = (String, serde_json::Value, oneshot::Sender<Outcome>);

#[derive(Clone, Default)]
struct Shared {
    queue: Arc<Mutex<VecDeque<Pending>>>,
    waiting: Arc<Mutex<std::collections::HashMap<String, oneshot::Sender<Outcome>>>>,
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

async fn respond(State(s): State<Shared>, Path(id): Path<String>, body: axum::body::Bytes) -> impl IntoResponse {
    let v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    if let Some(tx) = s.waiting.lock().await.remove(&id) {
        let _ = tx.send(Ok(v));
    }
    axum::http::StatusCode::ACCEPTED
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
        let _ = tx.send(Err(v));
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
