//! Error response groups for `#[utoipa::path(responses(...))]`: each is an [`IntoResponses`]
//! type listing statuses several routes share, all `application/problem+json` with the
//! [`ProblemSchema`]. A route's own errors (404 `snap_not_found`, 429 `quota_exceeded`, ...)
//! are written in its annotation.

use utoipa::IntoResponses;

use super::ProblemSchema;

/// 401 of every route behind a Firebase ID token, and 503 when its keys cannot be fetched or
/// the store is down.
#[derive(IntoResponses)]
pub enum AuthErrors {
    /// 401.
    #[response(
        status = 401,
        description = "`missing_token`, `invalid_token` or `token_expired` (with `WWW-Authenticate`, RFC 6750 §3).",
        content_type = "application/problem+json"
    )]
    Unauthorized(ProblemSchema),
    /// 503.
    #[response(
        status = 503,
        description = "`auth_keys_unavailable`, `store_unavailable` (and the route's own 503 codes); \
            `Retry-After` when a wait is known.",
        content_type = "application/problem+json"
    )]
    Unavailable(ProblemSchema),
}

/// The errors of reading a JSON request body ([`ApiJson`](crate::http::ApiJson)).
#[derive(IntoResponses)]
pub enum JsonBodyErrors {
    /// 400.
    #[response(
        status = 400,
        description = "`malformed_body`: not JSON, not an object, or not the schema (the `field` member names the path).",
        content_type = "application/problem+json"
    )]
    Malformed(ProblemSchema),
    /// 415.
    #[response(
        status = 415,
        description = "`unsupported_media_type`: the body is not `application/json`.",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(ProblemSchema),
}

/// The error of a bad `?limit=&cursor=` query ([`Page`](crate::http::Page)).
#[derive(IntoResponses)]
pub enum PageErrors {
    /// 422.
    #[response(
        status = 422,
        description = "`invalid_request`: `limit` outside 1–100 or a cursor that is not one of ours.",
        content_type = "application/problem+json"
    )]
    BadQuery(ProblemSchema),
}
