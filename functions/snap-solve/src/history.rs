//! `GET /v1/snaps`, `GET /v1/snaps/{id}`, `DELETE /v1/snaps/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use shared::auth::AuthUser;
use shared::domain::SnapId;
use shared::http::{AppState, Page};
use shared::pagination::PageCursor;
use shared::problem::{ErrorCode, Problem};
use shared::snap::history;

use crate::view::{snap_body, snap_summary};

fn not_found() -> Problem {
    Problem::new(ErrorCode::SnapNotFound, "no such snap")
}

/// A path id that is not a snap id reads as "no such snap" (nothing to tell apart).
fn parse_id(raw: &str) -> Result<SnapId, Problem> {
    SnapId::parse(raw).map_err(|_| not_found())
}

/// Handler of `GET /v1/snaps`.
///
/// # Errors
/// 422 `invalid_request` (limit, cursor), 401, 503.
#[utoipa::path(
    get,
    path = "/v1/snaps",
    tag = "snaps",
    security(("firebase_id_token" = [])),
    params(shared::pagination::PageParams),
    responses(
        (status = 200, description = "The caller's snaps, newest first.", body = crate::schema::SnapPage),
        shared::openapi::responses::PageErrors,
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn list_snaps(
    State(state): State<AppState>,
    user: AuthUser,
    Page { limit, cursor }: Page,
) -> Result<Response, Problem> {
    let page = history::list(state.store.as_ref(), &user.uid, limit, cursor, state.clock.now()).await?;
    let items: Vec<serde_json::Value> = page.items.iter().map(|(id, s)| snap_summary(id, s)).collect();
    Ok(axum::Json(serde_json::json!({
        "items": items,
        "next_cursor": page.next.map(PageCursor::encode),
    }))
    .into_response())
}

/// Handler of `GET /v1/snaps/{id}`.
///
/// # Errors
/// 404 `snap_not_found` (missing, another user's, expired, or not a snap id), 401, 503.
#[utoipa::path(
    get,
    path = "/v1/snaps/{snap_id}",
    tag = "snaps",
    security(("firebase_id_token" = [])),
    params(("snap_id" = String, Path, description = "Snap id (`snap_id` of `POST /v1/snaps`).")),
    responses(
        (status = 200, description = "The snap.", body = crate::schema::SnapView),
        (status = 404, description = "`snap_not_found`: missing, another user's, expired, or not a snap id.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn get_snap(
    State(state): State<AppState>,
    user: AuthUser,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&raw)?;
    let snap = history::get(state.store.as_ref(), &user.uid, &id, state.clock.now()).await?.ok_or_else(not_found)?;
    Ok(axum::Json(snap_body(&state, &id, &snap, false).await).into_response())
}

/// Handler of `DELETE /v1/snaps/{id}`: deletes the snap and its image (204).
///
/// # Errors
/// 404 `snap_not_found`, 401, 503.
#[utoipa::path(
    delete,
    path = "/v1/snaps/{snap_id}",
    tag = "snaps",
    security(("firebase_id_token" = [])),
    params(("snap_id" = String, Path, description = "Snap id (`snap_id` of `POST /v1/snaps`).")),
    responses(
        (status = 204, description = "Deleted with its image."),
        (status = 404, description = "`snap_not_found`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn delete_snap(
    State(state): State<AppState>,
    user: AuthUser,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id = parse_id(&raw)?;
    let snap = history::delete(state.store.as_ref(), &user.uid, &id, state.clock.now()).await?.ok_or_else(not_found)?;
    if let Err(e) = state.objects.delete(&snap.image.key).await {
        // The document is gone, so the image is unreachable; the sweep cannot find it again,
        // so log it for the operator.
        tracing::warn!(key = %snap.image.key, error = %e, "snap image not deleted");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
