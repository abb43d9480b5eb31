//! `GET /v1/snap-images/{key}?exp=&sig=`: the embedded default's stand-in for a presigned
//! object storage URL. No bearer token: the URL itself is the credential (HMAC-SHA256 over
//! key and expiry, valid for `SNAP_IMAGES_URL_TTL_SECS`), as a presigned S3 or GCS URL is.

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use shared::http::AppState;
use shared::problem::{ErrorCode, Problem};

/// Query of a signed image URL.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signature {
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Hex HMAC-SHA256.
    pub sig: String,
}

/// Handler of `GET /v1/snap-images/{key}`.
///
/// # Errors
/// 404 `snap_not_found` for a bad, expired or foreign signature or a missing object.
#[utoipa::path(
    get,
    path = "/v1/snap-images/{*key}",
    tag = "snaps",
    params(("key" = String, Path, description = "Object key (as in the signed URL)."), Signature),
    responses(
        (status = 200, description = "The image bytes.", content(("image/jpeg"), ("image/heic"))),
        (status = 404, description = "`snap_not_found`: bad, expired or foreign signature, or no such object.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "`storage_unavailable` (`Retry-After`).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
    ),
)]
pub async fn serve_image(
    State(state): State<AppState>,
    Path(key): Path<String>,
    sig: Result<Query<Signature>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let not_found = || Problem::new(ErrorCode::SnapNotFound, "no such image, or the link has expired");
    let Ok(Query(sig)) = sig else { return Err(not_found()) };
    if !state.objects.verify_local_url(&key, sig.exp, &sig.sig, state.clock.now()) {
        return Err(not_found());
    }
    let bytes = state
        .objects
        .get(&key)
        .await
        .map_err(|e| Problem::new(ErrorCode::StorageUnavailable, format!("image storage: {e}")).retry_after(5))?;
    let bytes = bytes.ok_or_else(not_found)?;
    let mime = if key.ends_with(".heic") { "image/heic" } else { "image/jpeg" };
    Ok(([(CONTENT_TYPE, mime), (CACHE_CONTROL, "private, max-age=300")], bytes).into_response())
}
