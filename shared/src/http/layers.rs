//! Layers every function's router gets: `GET /healthz`, `POST /internal/jobs/pubsub` (the
//! job topic's push endpoint, [`super::jobs_push`]), a body size limit, a 30 s request
//! timeout, problem details for every error (framework rejections included), panic → 500
//! problem, and one log line per request with route, status, latency (ms) and the store
//! reads/writes/deletes it caused.

use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::state::AppState;
use crate::problem::{ErrorCode, Problem};
use crate::store::metering::metered;

/// `GET /healthz`: liveness; answers without touching the store.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "The process is up.", body = crate::openapi::HealthView)),
)]
pub async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> Problem {
    Problem::new(ErrorCode::NotFound, "no such route")
}

fn panic_to_problem(_: Box<dyn Any + Send + 'static>) -> Response {
    Problem::new(ErrorCode::Internal, "internal error").into_response()
}

/// Per-request slot the auth extractor fills with the caller's uid, for the log line.
#[derive(Clone, Default)]
pub struct RequestUser(pub Arc<OnceLock<String>>);

async fn log_request(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let user = RequestUser::default();
    // The platform's request id, to join this line with the load balancer's logs.
    let request_id = ["x-request-id", "x-cloud-trace-context", "x-amzn-trace-id"]
        .iter()
        .find_map(|h| req.headers().get(*h).and_then(|v| v.to_str().ok()))
        .map(|v| v.chars().take(128).collect::<String>());
    req.extensions_mut().insert(user.clone());
    let trace_id = super::trace_context::trace_id(req.headers());
    let method = req.method().clone();
    // The route template, never the raw path (which the client controls); "-" when unmatched.
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
    let (res, usage) = metered(next.run(req)).await;
    let res = as_problem(res, &method);
    let uid = user.0.get().cloned();
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1e3;
    let cloud_trace =
        crate::telemetry::cloud_trace_prefix().zip(trace_id.as_deref()).map(|(prefix, id)| format!("{prefix}{id}"));
    tracing::info!(
        target: "request",
        severity = crate::telemetry::severity(status),
        method = %method,
        route = %route,
        status,
        latency_ms,
        trace_id = trace_id.as_deref().unwrap_or("-"),
        "logging.googleapis.com/trace" = cloud_trace.as_deref(),
        store_reads = usage.reads,
        store_writes = usage.writes,
        store_deletes = usage.deletes,
        uid = uid.as_deref().unwrap_or("-"),
        request_id = request_id.as_deref().unwrap_or("-"),
        "request"
    );
    crate::telemetry::emf::emit(&route, status, latency_ms);
    res
}

/// Turns any error response that is not already problem details (framework rejections such as
/// an undecodable path parameter, 405 from the router, 408 from the timeout layer) into one,
/// keeping the `Allow` header.
fn as_problem(res: Response, method: &axum::http::Method) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(crate::problem::PROBLEM_JSON.as_bytes()));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (code, detail) = match status.as_u16() {
        405 => (ErrorCode::MethodNotAllowed, format!("{method} is not allowed on this route")),
        408 => (ErrorCode::RequestTimeout, "the request took longer than 30 s".to_owned()),
        404 => (ErrorCode::NotFound, "no such route".to_owned()),
        413 => (ErrorCode::PayloadTooLarge, "the request body is larger than the limit".to_owned()),
        415 => (ErrorCode::UnsupportedMediaType, "send the body as application/json".to_owned()),
        400..=499 => (ErrorCode::MalformedRequest, format!("the request could not be read (HTTP {status})")),
        _ => (ErrorCode::Internal, "internal error".to_owned()),
    };
    let allow = res.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = Problem::new(code, detail).into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    out
}

/// Longest a request may take, body upload included (the seed's 30 s request timeout).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Adds the common routes and layers to a function's routes and binds the state.
pub fn with_common_layers(routes: Router<AppState>, state: AppState) -> Router {
    let limit = state.max_body_bytes;
    routes
        .route("/healthz", get(healthz))
        .route(
            super::jobs_push::PUSH_ROUTE,
            post(super::jobs_push::receive_push).layer(DefaultBodyLimit::max(super::jobs_push::PUSH_BODY_LIMIT)),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        // Refuses a declared Content-Length over the route's limit before reading the body.
        .layer(middleware::from_fn_with_state(state.clone(), super::body_limit::refuse_declared_oversize))
        // The ceiling of every route, enforced while reading chunked bodies too.
        .layer(RequestBodyLimitLayer::new(limit.max(super::body_limit::UPLOAD_BODY_LIMIT)))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(panic_to_problem))
        .with_state(state)
}
