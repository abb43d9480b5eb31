//! Job queue: the envelope and the in-process queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;
use shared::jobs::{
    InProcessOptions, InProcessQueue, Job, JobError, JobFailure, JobHandler, JobQueue, SQS_MAX_MESSAGE_BYTES,
};
use tokio::sync::Semaphore;

/// Records every call; fails as each job's payload says:
/// `{"fail": "retryable" | "permanent" | "panic", "until_attempt": n}` (fails while attempt < n,
/// or always without `until_attempt`).
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, u32)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay: Duration,
    /// When set, each call waits for one permit (never returned) before finishing.
    gate: Option<Arc<Semaphore>>,
}

impl Recorder {
    fn calls(&self) -> Vec<(String, u32)> {
        self.calls.lock().unwrap().clone()
    }

    fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for (id, _) in self.calls() {
            *counts.entry(id).or_insert(0) += 1;
        }
        counts
    }
}

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: Job) -> Result<(), JobFailure> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.calls.lock().unwrap().push((job.id.clone(), job.attempt));
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let until = job.payload["until_attempt"].as_u64().map_or(u32::MAX, |n| n as u32);
        match job.payload["fail"].as_str() {
            Some(_) if job.attempt >= until => Ok(()),
            Some("retryable") => Err(JobFailure::retryable(format!("{} busy", job.id))),
            Some("permanent") => Err(JobFailure::permanent(format!("{} gone", job.id))),
            Some("panic") => panic!("handler bug on {}", job.id),
            _ => Ok(()),
        }
    }
}

fn job(i: usize, payload: serde_json::Value) -> Job {
    Job::new("test.job", format!("job:{i:02}"), payload)
}

fn fast(workers: usize) -> InProcessOptions {
    InProcessOptions {
        workers,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..InProcessOptions::default()
    }
}

// ---------------------------------------------------------------- envelope

#[test]
fn envelope_round_trips_and_defaults_attempt() {
    let j = Job::new("snap.solve", "snap:abc", json!({"snap_id": "abc", "n": [1, 2]}));
    let body = j.to_body(SQS_MAX_MESSAGE_BYTES).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"kind": "snap.solve", "id": "snap:abc", "attempt": 1, "payload": {"snap_id": "abc", "n": [1, 2]}})
    );
    assert_eq!(Job::from_body(body.as_bytes()).unwrap(), j);
    let old = Job::from_body(br#"{"kind":"k","id":"i","payload":null,"extra":true}"#).unwrap();
    assert_eq!((old.attempt, old.payload), (1, serde_json::Value::Null));
    assert!(matches!(Job::from_body(br#"{"kind":"k"}"#), Err(JobError::BadMessage(_))));
}

#[test]
fn envelope_over_the_limit_is_refused() {
    let big = Job::new("k", "big", json!("x".repeat(SQS_MAX_MESSAGE_BYTES)));
    match big.to_body(SQS_MAX_MESSAGE_BYTES) {
        Err(JobError::TooLarge { id, bytes, limit }) => {
            assert_eq!((id.as_str(), limit), ("big", 262_144));
            assert_eq!(bytes, SQS_MAX_MESSAGE_BYTES + r#"{"kind":"k","id":"big","attempt":1,"payload":""}"#.len());
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

// ---------------------------------------------------------------- in-process queue

#[tokio::test]
async fn in_process_handles_every_job_once() {
    let rec = Arc::new(Recorder::default());
    let queue = InProcessQueue::new(rec.clone(), fast(4));
    assert_eq!(queue.backend(), "inprocess");
    for i in 0..20 {
        queue.enqueue(job(i, json!({}))).await.unwrap();
    }
    queue.enqueue_batch((20..50).map(|i| job(i, json!({}))).collect()).await.unwrap();
    queue.idle().await;
    let counts = rec.counts();
    assert_eq!(counts.len(), 50);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert!(rec.calls().iter().all(|(_, attempt)| *attempt == 1));
    assert!(queue.dead_letters().is_empty());
    assert_eq!(queue.outstanding(), 0);
}

#[tokio::test]
async fn in_process_retries_then_succeeds() {
    let rec = Arc::new(Recorder::default());
    let queue = InProcessQueue::new(rec.clone(), fast(2));
    queue.enqueue(job(1, json!({"fail": "retryable", "until_attempt": 3}))).await.unwrap();
    queue.enqueue(job(2, json!({}))).await.unwrap();
    queue.idle().await;
    let mut calls = rec.calls();
    calls.sort();
    assert_eq!(calls, vec![("job:01".into(), 1), ("job:01".into(), 2), ("job:01".into(), 3), ("job:02".into(), 1)]);
    assert!(queue.dead_letters().is_empty());
}

#[tokio::test]
async fn in_process_dead_letters_after_max_attempts() {
    let rec = Arc::new(Recorder::default());
    let queue = InProcessQueue::new(rec.clone(), InProcessOptions { max_attempts: 3, ..fast(2) });
    queue.enqueue(job(1, json!({"fail": "retryable"}))).await.unwrap();
    queue.enqueue(job(2, json!({"fail": "permanent"}))).await.unwrap();
    queue.enqueue(job(3, json!({"fail": "panic"}))).await.unwrap();
    queue.enqueue(job(4, json!({}))).await.unwrap();
    queue.idle().await;
    let counts = rec.counts();
    assert_eq!(counts["job:01"], 3, "retried up to max_attempts");
    assert_eq!(counts["job:02"], 1, "a permanent failure is not retried");
    assert_eq!(counts["job:03"], 1, "a panic is not retried");
    assert_eq!(counts["job:04"], 1);
    let mut dead = queue.dead_letters();
    dead.sort_by(|a, b| a.job.id.cmp(&b.job.id));
    let summary: Vec<_> =
        dead.iter().map(|d| (d.job.id.as_str(), d.job.attempt, d.failure.retryable)).collect::<Vec<_>>();
    assert_eq!(summary, vec![("job:01", 3, true), ("job:02", 1, false), ("job:03", 1, false)]);
    assert_eq!(dead[0].failure.detail, "job:01 busy");
    assert_eq!(dead[1].failure.detail, "job:02 gone");
    assert!(dead[2].failure.detail.starts_with("handler panicked"), "{}", dead[2].failure.detail);
    // The queue still works after a panic.
    queue.enqueue(job(5, json!({}))).await.unwrap();
    queue.idle().await;
    assert_eq!(rec.counts()["job:05"], 1);
}

#[tokio::test]
async fn in_process_respects_the_worker_bound() {
    let rec = Arc::new(Recorder { delay: Duration::from_millis(15), ..Recorder::default() });
    let queue = InProcessQueue::new(rec.clone(), fast(3));
    queue.enqueue_batch((0..24).map(|i| job(i, json!({}))).collect()).await.unwrap();
    queue.idle().await;
    assert_eq!(rec.calls().len(), 24);
    assert_eq!(rec.max_in_flight.load(Ordering::SeqCst), 3, "exactly the worker count ran at once");
}

#[tokio::test]
async fn in_process_idle_waits_for_running_jobs() {
    let gate = Arc::new(Semaphore::new(0));
    let rec = Arc::new(Recorder { gate: Some(gate.clone()), ..Recorder::default() });
    let queue = InProcessQueue::new(rec.clone(), fast(2));
    tokio::time::timeout(Duration::from_millis(100), queue.idle()).await.expect("idle at once when empty");
    queue.enqueue_batch((0..3).map(|i| job(i, json!({}))).collect()).await.unwrap();
    assert_eq!(queue.outstanding(), 3);
    assert!(tokio::time::timeout(Duration::from_millis(100), queue.idle()).await.is_err(), "3 jobs held");
    gate.add_permits(3);
    tokio::time::timeout(Duration::from_secs(5), queue.idle()).await.expect("drained");
    assert_eq!(rec.calls().len(), 3);
    assert_eq!(queue.outstanding(), 0);
}

#[tokio::test]
async fn in_process_full_queue_pushes_back_then_errors() {
    let gate = Arc::new(Semaphore::new(0));
    let rec = Arc::new(Recorder { gate: Some(gate.clone()), ..Recorder::default() });
    let options = InProcessOptions { capacity: 2, enqueue_timeout: Duration::from_millis(100), ..fast(1) };
    let queue = InProcessQueue::new(rec.clone(), options);
    queue.enqueue(job(0, json!({}))).await.unwrap();
    queue.enqueue(job(1, json!({}))).await.unwrap();
    let started = Instant::now();
    match queue.enqueue(job(2, json!({}))).await {
        Err(JobError::QueueFull { waited_ms }) => assert_eq!(waited_ms, 100),
        other => panic!("expected QueueFull, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(100), "waited for room first");
    match queue.enqueue_batch(vec![job(3, json!({})), job(4, json!({}))]).await {
        Err(JobError::Partial { failed }) => {
            let ids: Vec<_> = failed.iter().map(|f| (f.id.as_str(), f.code.as_str())).collect();
            assert_eq!(ids, vec![("job:03", "queue_full"), ("job:04", "queue_full")]);
        }
        other => panic!("expected Partial, got {other:?}"),
    }
    // A waiting enqueue goes through as soon as a job finishes.
    let q2 = queue.clone();
    let waiting = tokio::spawn(async move { q2.enqueue(job(5, json!({}))).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    gate.add_permits(1);
    waiting.await.unwrap().unwrap();
    gate.add_permits(2);
    queue.idle().await;
    let mut ids: Vec<_> = rec.calls().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    assert_eq!(ids, vec!["job:00", "job:01", "job:05"]);
}
