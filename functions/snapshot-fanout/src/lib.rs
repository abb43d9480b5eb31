//! `snapshot-fanout`: the weekly progress snapshot as a scheduled fan-out
//! (see [`shared::snapshot`] for the planner, the worker and the run document).
//!
//! * Planner triggers: an EventBridge scheduled event on Lambda ([`SnapshotEvents`]); Cloud
//!   Scheduler's `POST /internal/snapshots/run` with a Google-signed OIDC token ([`run_now`]);
//!   `jeevibe snapshot run [--week 2026-W48]` (all-in-one CLI).
//! * Worker: the `snapshot.batch` job, registered on every instance's dispatcher, delivered as
//!   an SQS batch (Lambda event), a Pub/Sub push (`POST /internal/jobs/pubsub`), or an
//!   in-process task.
//! * `GET /v1/me/snapshots` (newest week first, `?limit=&cursor=`) and
//!   `GET /v1/me/snapshots/{week}`.

mod events;
mod read;
mod trigger;

use axum::Router;

use shared::http::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use events::{SnapshotEvents, events};
pub use read::{SnapshotPage, get_snapshot, list_snapshots, snapshot_view};
pub use trigger::{RUN_ROUTE, RunOutcome, RunRequest, outcome_view, run_now, run_view};

/// The function's routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::new()
        .routes(routes!(trigger::run_now))
        .routes(routes!(read::list_snapshots))
        .routes(routes!(read::get_snapshot));
    shared::openapi::optional_body(api.get_openapi_mut(), RUN_ROUTE, utoipa::openapi::HttpMethod::Post);
    api
}

/// The function's routes (mergeable with other functions' routers).
pub fn router() -> Router<AppState> {
    api().into()
}

/// [`router`] plus `GET /openapi.json` describing it and the common routes: what the binary
/// serves.
pub fn documented_router() -> Router<AppState> {
    shared::openapi::with_document(api())
}
