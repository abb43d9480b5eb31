//! Layers every function's router gets: `GET /healthz`, a body size limit, problem-details
//! fallbacks (404, 405), panic → 500 problem, and one log line per request with route,
//! status, latency (ms) and the store reads/writes/deletes it caused.

use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;

use super::state::AppState;
use crate::problem::{ErrorCode, Problem};
use crate::store::metering::metered;

async fn healthz() -> impl IntoResponse {
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
    req.extensions_mut().insert(user.clone());
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let (mut res, usage) = metered(next.run(req)).await;
    if res.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED && !res.headers().contains_key("content-type") {
        let allow = res.headers().get(axum::http::header::ALLOW).cloned();
        res = Problem::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {route}")).into_response();
        if let Some(allow) = allow {
            res.headers_mut().insert(axum::http::header::ALLOW, allow);
        }
    }
    let uid = user.0.get().cloned();
    tracing::info!(
        target: "request",
        method = %method,
        route = %route,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1e3,
        store_reads = usage.reads,
        store_writes = usage.writes,
        store_deletes = usage.deletes,
        uid = uid.as_deref().unwrap_or("-"),
        "request"
    );
    res
}

/// Adds the common routes and layers to a function's routes and binds the state.
pub fn with_common_layers(routes: Router<AppState>, state: AppState) -> Router {
    let limit = state.max_body_bytes;
    routes
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(panic_to_problem))
        .with_state(state)
}
