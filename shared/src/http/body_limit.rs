//! Body size limits per route. JSON routes accept `MAX_BODY_BYTES` (64 KiB by default); the
//! photo upload routes accept [`UPLOAD_BODY_LIMIT`], the Pub/Sub push route
//! [`PUSH_BODY_LIMIT`](super::jobs_push::PUSH_BODY_LIMIT). Extractors enforce the limit while reading
//! (axum's `DefaultBodyLimit`, set per route); this middleware refuses a declared
//! `Content-Length` over the route's limit at once, before any of the body is read, so a client
//! announcing 1 MB to a JSON route gets 413 immediately instead of a 30 s wait.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::problem::{ErrorCode, Problem};

/// Largest snap photo, bytes (10 MiB, after base64 decoding).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// Largest body of an upload route: a [`MAX_IMAGE_BYTES`] photo in base64 (4/3) plus JSON or
/// multipart overhead.
pub const UPLOAD_BODY_LIMIT: usize = MAX_IMAGE_BYTES / 3 * 4 + 64 * 1024;

/// `POST` routes that take a photo.
pub const UPLOAD_ROUTES: &[&str] = &["/v1/snaps"];

/// The body limit of a request to `route` (a route template) with `method`.
pub fn limit_for(method: &Method, route: Option<&str>, default: usize) -> usize {
    match route {
        Some(r) if method == Method::POST && UPLOAD_ROUTES.contains(&r) => UPLOAD_BODY_LIMIT,
        Some(super::jobs_push::PUSH_ROUTE) if method == Method::POST => super::jobs_push::PUSH_BODY_LIMIT,
        _ => default,
    }
}

/// Middleware: 413 problem when the declared `Content-Length` exceeds the route's limit.
pub async fn refuse_declared_oversize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let limit = limit_for(req.method(), route, state.max_body_bytes);
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Problem::new(ErrorCode::PayloadTooLarge, format!("the request body is larger than {limit} bytes"))
            .with("limit", limit)
            .into_response();
    }
    next.run(req).await
}
