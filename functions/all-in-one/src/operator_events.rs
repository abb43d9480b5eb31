//! Non-HTTP Lambda events the `jeevibe` binary answers: `{"task": "sweep"}` (the daily
//! retention sweep, sent by the EventBridge Scheduler rule in `template.yaml`), then whatever
//! snapshot-fanout answers (its weekly scheduled event, and SQS batches of jobs).

use std::sync::Arc;

use serde_json::Value;
use shared::http::AppState;
use shared::runtime::{EventError, LambdaEventHandler};

/// Documents per sweep batch on Lambda.
pub const SWEEP_BATCH: usize = 200;

/// The handler: the sweep task first, then snapshot-fanout's events (schedules, job batches).
pub struct OperatorEvents {
    /// The instance's state (store, image storage, clock).
    pub state: AppState,
    /// Everything else.
    pub next: Option<Arc<dyn LambdaEventHandler>>,
}

impl OperatorEvents {
    /// The handler for `state`.
    pub fn new(state: &AppState) -> Arc<Self> {
        Arc::new(Self { state: state.clone(), next: snapshot_fanout::events(state) })
    }
}

/// Runs both retention sweeps at `now` and returns their report.
///
/// # Errors
/// Store or object storage errors.
pub async fn sweep(state: &AppState, batch: usize) -> anyhow::Result<Value> {
    let now = state.clock.now();
    let snaps = shared::snap::sweep::sweep(state.store.as_ref(), &state.objects, now, batch).await?;
    let tutor = shared::tutor::sweep::sweep(state.store.as_ref(), now, batch).await?;
    Ok(serde_json::json!({"at": shared::store::Timestamp(now).to_rfc3339(), "snaps": snaps, "tutor": tutor}))
}

#[async_trait::async_trait]
impl LambdaEventHandler for OperatorEvents {
    async fn handle(&self, event: Value, ctx: lambda_http::lambda_runtime::Context) -> Result<Value, EventError> {
        if event.get("task").and_then(Value::as_str) == Some("sweep") {
            let report = sweep(&self.state, SWEEP_BATCH).await?;
            tracing::info!(target: "sweep", report = %report, "retention sweep");
            return Ok(report);
        }
        match &self.next {
            Some(next) => next.handle(event, ctx).await,
            None => Err(EventError::NotMine(event)),
        }
    }
}
