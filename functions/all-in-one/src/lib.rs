//! Every function's routes on one router: the local default, what the mobile team points at,
//! and a valid single-box deployment.

pub mod operator_events;
pub mod simulate;

use axum::Router;
use shared::http::AppState;

/// The merged routes of every function.
pub fn router() -> Router<AppState> {
    quiz_generate::router()
        .merge(quiz_complete::router())
        .merge(snap_solve::router())
        .merge(tutor_chat::router())
        .merge(snapshot_fanout::router())
}
