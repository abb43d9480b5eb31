//! `GET /v1/me/snapshots` and `GET /v1/me/snapshots/{week}`: the caller's weekly snapshots.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use shared::auth::AuthUser;
use shared::http::{AppState, Page};
use shared::pagination::PageCursor;
use shared::problem::{ErrorCode, Problem};
use shared::snapshot::{IsoWeek, SnapshotDoc};

/// Replaces the store's `{"$timestamp": "…"}` objects by their RFC 3339 strings.
pub(crate) fn plain_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(o) if o.len() == 1 && o.get("$timestamp").is_some_and(J::is_string) => {
            o.into_iter().next().map(|(_, t)| t).unwrap_or(J::Null)
        }
        J::Object(o) => J::Object(o.into_iter().map(|(k, v)| (k, plain_json(v))).collect()),
        J::Array(a) => J::Array(a.into_iter().map(plain_json).collect()),
        other => other,
    }
}

/// A snapshot as API JSON: the document's fields, timestamps as RFC 3339 strings.
pub fn snapshot_view(doc: &SnapshotDoc) -> serde_json::Value {
    plain_json(serde_json::to_value(doc).unwrap_or_default())
}

/// Response of `GET /v1/me/snapshots`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SnapshotPage {
    /// Newest week first.
    pub items: Vec<shared::snapshot::SnapshotDoc>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

fn not_found(week: &str) -> Problem {
    Problem::new(ErrorCode::SnapshotNotFound, format!("no snapshot for week {}", shared::problem::excerpt(week, 16)))
}

/// Handler of `GET /v1/me/snapshots`: newest week first, `{"items": [...], "next_cursor"}`.
///
/// # Errors
/// 422 on a bad `limit` or `cursor`, 401, 503.
#[utoipa::path(
    get,
    path = "/v1/me/snapshots",
    tag = "snapshots",
    security(("firebase_id_token" = [])),
    params(shared::pagination::PageParams),
    responses(
        (status = 200, description = "The caller's weekly snapshots, newest week first.", body = SnapshotPage),
        shared::openapi::responses::PageErrors,
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn list_snapshots(
    State(state): State<AppState>,
    user: AuthUser,
    Page { limit, cursor }: Page,
) -> Result<Response, Problem> {
    let collection = SnapshotDoc::collection(user.uid.as_str())?;
    let (docs, next) =
        shared::pagination::owned_page(state.store.as_ref(), collection, &user.uid, "week_start", limit, cursor)
            .await?;
    let items =
        docs.iter().map(|d| d.decode::<SnapshotDoc>().map(|s| snapshot_view(&s))).collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(serde_json::json!({"items": items, "next_cursor": next.map(PageCursor::encode)})).into_response())
}

/// Handler of `GET /v1/me/snapshots/{week}`.
///
/// # Errors
/// 404 `snapshot_not_found` (none for that week, or not a `YYYY-Www` label), 401, 503.
#[utoipa::path(
    get,
    path = "/v1/me/snapshots/{week}",
    tag = "snapshots",
    security(("firebase_id_token" = [])),
    params(("week" = String, Path, description = "ISO week label, `YYYY-Www` (e.g. `2026-W48`).")),
    responses(
        (status = 200, description = "The snapshot of that week.", body = shared::snapshot::SnapshotDoc),
        (status = 404, description = "`snapshot_not_found`: none for that week, or not a `YYYY-Www` label.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn get_snapshot(
    State(state): State<AppState>,
    user: AuthUser,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let week = IsoWeek::parse(&raw).map_err(|_| not_found(&raw))?;
    let doc =
        state.store.get(&SnapshotDoc::path(user.uid.as_str(), week)?, None).await?.ok_or_else(|| not_found(&raw))?;
    Ok(axum::Json(snapshot_view(&doc.decode::<SnapshotDoc>()?)).into_response())
}
