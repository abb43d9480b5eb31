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

type Pending = (String, serde_json::Value, oneshot::Sender<serde_json::Value>);

#[derive(Clone, Default)]
struct Shared {
    queue: Arc<Mutex<VecDeque<Pending>>>,
    waiting: Arc<Mutex<std::collections::HashMap<String, oneshot::Sender<serde_json::Value>>>>,
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
        let _ = tx.send(v);
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
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
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
    /// When no response arrives in time.
    pub async fn invoke(&self, event: serde_json::Value) -> serde_json::Value {
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
