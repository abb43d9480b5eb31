//! Job batches arriving as Lambda events: an SQS event (`Records[].eventSource ==
//! "aws:sqs"`) is run through [`handle_sqs_event`](super::handle_sqs_event) with the
//! instance's [`JobDispatcher`](super::JobDispatcher), answering a partial-batch response
//! (`{"batchItemFailures": [...]}`; the event source mapping must enable
//! `ReportBatchItemFailures`). Any other event is not ours.

use std::sync::Arc;

use serde_json::Value;

use super::JobDispatcher;
use crate::runtime::{EventError, LambdaEventHandler};

/// The Lambda event handler of job batches.
pub struct JobEvents(pub Arc<JobDispatcher>);

/// True for an SQS event.
pub fn is_sqs_event(event: &Value) -> bool {
    event["Records"].as_array().is_some_and(|r| !r.is_empty() && r.iter().all(|x| x["eventSource"] == "aws:sqs"))
}

#[async_trait::async_trait]
impl LambdaEventHandler for JobEvents {
    async fn handle(&self, event: Value, _ctx: lambda_http::lambda_runtime::Context) -> Result<Value, EventError> {
        if !is_sqs_event(&event) {
            return Err(EventError::NotMine(event));
        }
        let sqs: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(event).map_err(|e| EventError::from(anyhow::anyhow!("malformed SQS event: {e}")))?;
        let response = super::handle_sqs_event(sqs, self.0.as_ref()).await;
        serde_json::to_value(response).map_err(|e| EventError::from(anyhow::anyhow!("{e}")))
    }
}
