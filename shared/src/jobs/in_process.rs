//! [`InProcessQueue`]: the embedded default. Jobs run on this process's Tokio runtime.
//!
//! Only for a long-lived process (the all-in-one server, the CLI): a Lambda execution
//! environment is frozen between invocations and may be discarded at any time, so queued or
//! running jobs would be lost without a trace. [`JobsConfig`](super::JobsConfig) refuses it there.
//! Cloud Run with request-based billing throttles the CPU outside requests, so use Pub/Sub there
//! too. Queued jobs also die with the process: a restart loses them (the embedded default accepts
//! this; its callers keep their own state, e.g. a snap stays `pending` and can be re-enqueued).
//!
//! # Behaviour
//! - **Capacity** (`capacity`, default 1,024 jobs) counts every job not yet finished: queued,
//!   running, or waiting out a retry backoff.
//! - **Backpressure**: when full, `enqueue` waits for room up to `enqueue_timeout` (default
//!   30 s), then fails with [`JobError::QueueFull`]. A producer is slowed down to the workers'
//!   pace instead of growing memory without bound, and a stuck queue surfaces as an error rather
//!   than a hung request.
//! - **Workers** (`workers`, default 4): at most that many handler calls run at once. Jobs start
//!   roughly in enqueue order; no order is guaranteed.
//! - **Retries**: a retryable [`JobFailure`] runs the job again after an exponential backoff with
//!   full jitter (delay drawn uniformly from `0..=min(max_backoff, base_backoff × 2^(attempt−1))`,
//!   the "Full Jitter" of the AWS Architecture Blog's "Exponential Backoff and Jitter"), up to
//!   `max_attempts` attempts in all (default 5). A job that fails its last attempt, fails
//!   permanently, or panics goes to the dead-letter list ([`InProcessQueue::dead_letters`], the
//!   latest `dead_letter_limit`, default 1,000) and to the log.
//! - **Drain**: [`InProcessQueue::idle`] resolves when no job is queued, running or waiting to
//!   retry: tests await it, and a graceful shutdown awaits it (with a deadline) after the server
//!   stops accepting requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::error::{FailedJob, JobError, JobFailure};
use super::job::Job;
use super::queue::{JobHandler, JobQueue};

/// Tuning of an [`InProcessQueue`]; see the module docs for what each bound does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProcessOptions {
    /// Handler calls running at once (≥ 1).
    pub workers: usize,
    /// Jobs held at once: queued, running or waiting to retry (≥ 1).
    pub capacity: usize,
    /// Attempts per job, the first included (≥ 1).
    pub max_attempts: u32,
    /// Backoff before the second attempt (before jitter).
    pub base_backoff: Duration,
    /// Longest backoff (before jitter).
    pub max_backoff: Duration,
    /// How long `enqueue` waits for room when the queue is full.
    pub enqueue_timeout: Duration,
    /// Dead letters kept; past it the oldest is dropped (each is also logged at error level).
    pub dead_letter_limit: usize,
}

impl Default for InProcessOptions {
    fn default() -> Self {
        InProcessOptions {
            workers: 4,
            capacity: 1_024,
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            enqueue_timeout: Duration::from_secs(30),
            dead_letter_limit: 1_000,
        }
    }
}

/// A job that will not be attempted again, kept for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The job as last attempted (`attempt` is the number of attempts made).
    pub job: Job,
    /// The last failure.
    pub failure: JobFailure,
}

/// The embedded job queue: bounded, with a fixed number of concurrent handler calls, retries
/// with backoff and a dead-letter list. Cheap to clone (clones share the queue).
#[derive(Clone)]
pub struct InProcessQueue {
    inner: Arc<Inner>,
}

struct Inner {
    handler: Arc<dyn JobHandler>,
    options: InProcessOptions,
    /// Room for jobs: one permit per job held (see `InProcessOptions::capacity`).
    room: Arc<Semaphore>,
    /// One permit per running handler call.
    workers: Arc<Semaphore>,
    /// Jobs held (queued, running, waiting to retry).
    outstanding: watch::Sender<usize>,
    dead: Mutex<Vec<DeadLetter>>,
}

impl InProcessQueue {
    /// A queue whose jobs `handler` runs. Zero `workers`, `capacity` or `max_attempts` are
    /// raised to 1. Jobs run on the Tokio runtime current at `enqueue`.
    pub fn new(handler: Arc<dyn JobHandler>, mut options: InProcessOptions) -> Self {
        options.workers = options.workers.max(1);
        options.capacity = options.capacity.max(1);
        options.max_attempts = options.max_attempts.max(1);
        InProcessQueue {
            inner: Arc::new(Inner {
                handler,
                room: Arc::new(Semaphore::new(options.capacity)),
                workers: Arc::new(Semaphore::new(options.workers)),
                options,
                outstanding: watch::Sender::new(0),
                dead: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The options in force (after the raise to 1).
    pub fn options(&self) -> &InProcessOptions {
        &self.inner.options
    }

    /// Jobs dead-lettered so far, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner.dead.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Jobs held now: queued, running or waiting to retry.
    pub fn outstanding(&self) -> usize {
        *self.inner.outstanding.borrow()
    }

    /// Resolves once no job is queued, running or waiting to retry (at once when none is).
    pub async fn idle(&self) {
        let mut rx = self.inner.outstanding.subscribe();
        // The sender lives in `inner`, which `self` keeps alive: `wait_for` cannot fail.
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    fn start(&self, job: Job, room: OwnedSemaphorePermit) {
        self.inner.outstanding.send_modify(|n| *n += 1);
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            inner.run(job).await;
            drop(room);
            inner.outstanding.send_modify(|n| *n -= 1);
        });
    }

    async fn reserve(&self) -> Result<OwnedSemaphorePermit, JobError> {
        let wait = self.inner.options.enqueue_timeout;
        let full = || JobError::QueueFull { waited_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX) };
        match tokio::time::timeout(wait, Arc::clone(&self.inner.room).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(full()),
        }
    }
}

impl Inner {
    /// Runs every attempt of `job`, then dead-letters it if none succeeded.
    async fn run(&self, mut job: Job) {
        loop {
            let outcome = {
                // The semaphore is never closed, so acquire cannot fail.
                let Ok(_worker) = self.workers.acquire().await else { return };
                // Spawned so that a panicking handler fails this job, not the queue's accounting.
                let handler = Arc::clone(&self.handler);
                let attempt = job.clone();
                match tokio::spawn(async move { handler.handle(attempt).await }).await {
                    Ok(result) => result,
                    Err(e) => Err(JobFailure::permanent(format!("handler panicked: {e}"))),
                }
            };
            let failure = match outcome {
                Ok(()) => return,
                Err(failure) => failure,
            };
            if failure.retryable && job.attempt < self.options.max_attempts {
                let delay = self.backoff(job.attempt);
                tracing::warn!(kind = %job.kind, id = %job.id, attempt = job.attempt, delay_ms = delay.as_millis() as u64,
                    detail = %failure.detail, "job failed, will retry");
                tokio::time::sleep(delay).await;
                job.attempt += 1;
                continue;
            }
            tracing::error!(kind = %job.kind, id = %job.id, attempt = job.attempt, retryable = failure.retryable,
                detail = %failure.detail, "job dead-lettered");
            let mut dead = self.dead.lock().unwrap_or_else(|e| e.into_inner());
            if dead.len() >= self.options.dead_letter_limit {
                dead.remove(0);
            }
            dead.push(DeadLetter { job, failure });
            return;
        }
    }

    /// Full-jitter backoff after attempt `attempt` (1-based).
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.options.base_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let ceiling = exp.min(self.options.max_backoff);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=ms))
    }
}

fn full_now() -> JobError {
    JobError::QueueFull { waited_ms: 0 }
}

#[async_trait]
impl JobQueue for InProcessQueue {
    async fn enqueue(&self, job: Job) -> Result<(), JobError> {
        let room = self.reserve().await?;
        self.start(job, room);
        Ok(())
    }

    async fn enqueue_batch(&self, jobs: Vec<Job>) -> Result<(), JobError> {
        let mut failed = Vec::new();
        for job in jobs {
            // Once the queue stayed full for a whole timeout, the rest fail at once instead of
            // each waiting out its own.
            let room = if failed.is_empty() { self.reserve().await } else { Err(full_now()) };
            match room {
                Ok(room) => self.start(job, room),
                Err(e) => failed.push(FailedJob { id: job.id, code: "queue_full".into(), detail: e.to_string() }),
            }
        }
        if failed.is_empty() { Ok(()) } else { Err(JobError::Partial { failed }) }
    }

    fn backend(&self) -> &'static str {
        "inprocess"
    }
}
