//! Non-HTTP Lambda events of the function: an EventBridge scheduled event triggers the planner
//! ([`shared::snapshot::trigger`]); an SQS batch runs its jobs ([`shared::jobs::JobEvents`]).

use std::sync::Arc;

use serde_json::Value;
use shared::http::AppState;
use shared::jobs::JobEvents;
use shared::runtime::{EventError, LambdaEventHandler};
use shared::snapshot::schedule::{event_week, is_scheduled_event};

/// The event handler.
pub struct SnapshotEvents {
    state: AppState,
    jobs: JobEvents,
}

impl SnapshotEvents {
    /// The handler over an instance's state.
    pub fn new(state: &AppState) -> Self {
        SnapshotEvents { state: state.clone(), jobs: JobEvents(state.job_handlers.clone()) }
    }
}

/// The `events` argument of [`shared::runtime::start_with_state`].
pub fn events(state: &AppState) -> Option<Arc<dyn LambdaEventHandler>> {
    Some(Arc::new(SnapshotEvents::new(state)))
}

#[async_trait::async_trait]
impl LambdaEventHandler for SnapshotEvents {
    /// A scheduled event answers the trigger's outcome (`{"outcome": "started" |
    /// "already_complete" | "in_progress", "run": {...}}`); a malformed `detail.week` or a store
    /// failure is an invocation error (EventBridge retries it per the target's retry policy).
    async fn handle(&self, event: Value, ctx: lambda_http::lambda_runtime::Context) -> Result<Value, EventError> {
        if !is_scheduled_event(&event) {
            return self.jobs.handle(event, ctx).await;
        }
        let now = self.state.clock.now();
        let week = event_week(&event, now).map_err(|e| EventError::from(anyhow::anyhow!(e)))?;
        let outcome = shared::snapshot::trigger(self.state.store.as_ref(), self.state.jobs.as_ref(), week, now)
            .await
            .map_err(|e| EventError::from(anyhow::anyhow!("snapshot trigger for {week}: {e}")))?;
        let view = crate::trigger::outcome_view(&outcome);
        tracing::info!(week = %week, outcome = %view["outcome"], "snapshot trigger");
        Ok(view)
    }
}
