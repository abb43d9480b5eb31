//! Routes jobs to the handler registered for their `kind`. One dispatcher serves every
//! transport of an instance (its in-process workers, an SQS batch, a Pub/Sub push), and kinds
//! can be registered after the queue is built (a handler may need the state the queue is part
//! of).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{Job, JobFailure, JobHandler};

/// A registry of handlers by job kind.
#[derive(Default)]
pub struct JobDispatcher {
    handlers: RwLock<HashMap<String, Arc<dyn JobHandler>>>,
}

impl JobDispatcher {
    /// Registers (or replaces) the handler of `kind`.
    pub fn register(&self, kind: &str, handler: Arc<dyn JobHandler>) {
        if let Ok(mut h) = self.handlers.write() {
            h.insert(kind.to_owned(), handler);
        }
    }

    /// Kinds with a handler.
    pub fn kinds(&self) -> Vec<String> {
        self.handlers.read().map(|h| h.keys().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl JobHandler for JobDispatcher {
    /// Runs the job's handler; an unknown kind is a permanent failure (no retry can help).
    async fn handle(&self, job: Job) -> Result<(), JobFailure> {
        let handler = self.handlers.read().ok().and_then(|h| h.get(&job.kind).cloned());
        match handler {
            Some(h) => h.handle(job).await,
            None => Err(JobFailure::permanent(format!("no handler for job kind {:?}", job.kind))),
        }
    }
}
