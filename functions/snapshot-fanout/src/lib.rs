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
use axum::routing::{get, post};

use shared::http::AppState;

pub use events::{SnapshotEvents, events};
pub use read::{get_snapshot, list_snapshots, snapshot_view};
pub use trigger::{RUN_ROUTE, outcome_view, run_now, run_view};

/// The function's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(RUN_ROUTE, post(run_now))
        .route("/v1/me/snapshots", get(list_snapshots))
        .route("/v1/me/snapshots/{week}", get(get_snapshot))
}
