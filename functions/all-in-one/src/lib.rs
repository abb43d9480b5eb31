//! Every function's routes on one router: the local default, what the mobile team points at,
//! and a valid single-box deployment.

pub mod operator_events;
pub mod simulate;

use axum::Router;
use shared::http::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The merged routes of every function with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    quiz_generate::api()
        .merge(quiz_complete::api())
        .merge(snap_solve::api())
        .merge(tutor_chat::api())
        .merge(snapshot_fanout::api())
}

/// The merged routes of every function.
pub fn router() -> Router<AppState> {
    api().into()
}

/// [`router`] plus `GET /openapi.json` describing the whole API: what `jeevibe serve` serves.
pub fn documented_router() -> Router<AppState> {
    shared::openapi::with_document(api())
}

/// The whole API's OpenAPI document as served at `GET /openapi.json` (and checked in as
/// `docs/openapi.json`: `make openapi`).
pub fn openapi_json() -> String {
    shared::openapi::to_json(&shared::openapi::document(api().into_openapi()))
}
