//! Job queue: the envelope, configuration, the in-process queue, SQS against moto's server and
//! Pub/Sub against Google's emulator.
//!
//! The SQS test starts `moto_server` (`pip install 'moto[server]'`) on a free loopback port; the
//! Pub/Sub test uses `PUBSUB_EMULATOR_HOST` when set, else starts the emulator through
//! `.ci/pubsub-emulator.sh`. Either skips with a printed reason when its server is missing,
//! unless `CI` is set, where it fails.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use shared::jobs::{
    InProcessOptions, InProcessQueue, Job, JobError, JobFailure, JobHandler, JobQueue, JobQueueConfig, JobsConfig,
    PubSubQueue, SQS_MAX_MESSAGE_BYTES, SqsQueue, handle_pubsub_push, handle_sqs_event, job_from_pubsub_push,
};
use shared::testing_servers::{free_port, moto, moto_sqs_client, pubsub_emulator};
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

// ---------------------------------------------------------------- envelope and configuration

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

fn jobs_config(vars: &[(&str, &str)]) -> Result<JobsConfig, Vec<String>> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    JobsConfig::from_lookup(&|k: &str| map.get(k).cloned())
}

#[test]
fn config_defaults_and_backends() {
    assert_eq!(jobs_config(&[]).unwrap(), JobsConfig { queue: JobQueueConfig::InProcess, workers: 4 });
    assert_eq!(jobs_config(&[("JOB_WORKERS", "8")]).unwrap().workers, 8);
    let url = "https://sqs.ap-south-1.amazonaws.com/123456789012/jobs";
    assert_eq!(
        jobs_config(&[("JOB_QUEUE", "sqs"), ("JOB_QUEUE_URL", url), ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")])
            .unwrap()
            .queue,
        JobQueueConfig::Sqs { queue_url: url.into() }
    );
    assert_eq!(
        jobs_config(&[("JOB_QUEUE", "pubsub"), ("JOB_QUEUE_TOPIC", "projects/p1/topics/jobs")]).unwrap().queue,
        JobQueueConfig::PubSub { topic: "projects/p1/topics/jobs".into() }
    );
}

#[test]
fn config_errors_are_all_reported() {
    let errors = jobs_config(&[("JOB_QUEUE", "sqs"), ("JOB_WORKERS", "0")]).unwrap_err();
    assert_eq!(
        errors,
        vec![
            "  JOB_WORKERS=\"0\": expected a number from 1 to 256".to_string(),
            "  JOB_QUEUE=sqs needs JOB_QUEUE_URL".to_string(),
        ]
    );
    // On Lambda an unset queue means none (enqueue refused); an explicit in-process one is an error.
    let lambda = jobs_config(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]).unwrap();
    assert_eq!(lambda.queue, JobQueueConfig::Disabled);
    let errors = jobs_config(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"), ("JOB_QUEUE", "inprocess")]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("  JOB_QUEUE=inprocess on Lambda"), "{errors:?}");
    let errors = jobs_config(&[("JOB_QUEUE", "pubsub"), ("JOB_QUEUE_TOPIC", "jobs")]).unwrap_err();
    assert_eq!(errors, vec!["  JOB_QUEUE_TOPIC=\"jobs\": expected projects/PROJECT/topics/TOPIC".to_string()]);
    assert_eq!(
        jobs_config(&[("JOB_QUEUE", "kafka")]).unwrap_err(),
        vec!["  JOB_QUEUE=\"kafka\": expected inprocess, sqs, pubsub or none".to_string()]
    );
}

#[tokio::test]
async fn config_builds_the_named_backend() {
    let handler: Arc<dyn JobHandler> = Arc::new(Recorder::default());
    let none = |_: &str| None;
    let queue = jobs_config(&[]).unwrap().build(handler.clone(), reqwest::Client::new, &none).await.unwrap();
    assert_eq!(queue.backend(), "inprocess");
    queue.enqueue(job(1, json!({}))).await.unwrap();
    let emulator = |k: &str| (k == "PUBSUB_EMULATOR_HOST").then(|| "127.0.0.1:1".to_owned());
    let config = jobs_config(&[("JOB_QUEUE", "pubsub"), ("JOB_QUEUE_TOPIC", "projects/p1/topics/jobs")]).unwrap();
    let queue = config.build(handler, reqwest::Client::new, &emulator).await.unwrap();
    assert_eq!(queue.backend(), "pubsub");
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

// ---------------------------------------------------------------- external servers

/// A received message as Lambda's SQS event source hands it to the function.
fn lambda_record(message: &aws_sdk_sqs::types::Message) -> serde_json::Value {
    let attrs = message.attributes().cloned().unwrap_or_default();
    let attributes: serde_json::Map<String, serde_json::Value> =
        attrs.iter().map(|(k, v)| (k.as_str().to_owned(), json!(v))).collect();
    let message_attributes: serde_json::Map<String, serde_json::Value> = message
        .message_attributes()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({"stringValue": v.string_value(), "stringListValues": [], "binaryListValues": [],
                       "dataType": v.data_type()}),
            )
        })
        .collect();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body(),
        "md5OfBody": message.md5_of_body(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:jobs",
        "eventSource": "aws:sqs",
        "awsRegion": "ap-south-1",
    })
}

#[tokio::test]
async fn sqs_batch_send_receive_and_partial_batch_response() {
    let Some(moto) = moto().await else { return };
    let endpoint = moto.endpoint.clone();
    let client = moto_sqs_client(&endpoint);
    let url = client.create_queue().queue_name("jobs").send().await.unwrap().queue_url().unwrap().to_owned();
    let queue = SqsQueue::new(client.clone(), &url);
    assert_eq!(queue.backend(), "sqs");

    // 25 jobs in one call: three SendMessageBatch requests of 10, 10 and 5.
    let jobs: Vec<Job> = (0..25)
        .map(|i| match i {
            7 => job(i, json!({"fail": "retryable"})),
            11 => job(i, json!({"fail": "permanent"})),
            _ => job(i, json!({"n": i})),
        })
        .collect();
    queue.enqueue_batch(jobs.clone()).await.unwrap();

    let mut received = Vec::new();
    for _ in 0..20 {
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        received.extend(out.messages().iter().cloned());
        if received.len() >= 25 {
            break;
        }
    }
    assert_eq!(received.len(), 25);
    let mut sent_ids: Vec<String> =
        received.iter().map(|m| Job::from_body(m.body().unwrap().as_bytes()).unwrap().id).collect();
    sent_ids.sort();
    assert_eq!(sent_ids, jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>());
    let kinds = received[0].message_attributes().unwrap();
    assert_eq!(kinds["kind"].string_value(), Some("test.job"));

    let message_id_of = |id: &str| {
        received
            .iter()
            .find(|m| Job::from_body(m.body().unwrap().as_bytes()).unwrap().id == id)
            .and_then(|m| m.message_id())
            .unwrap()
            .to_owned()
    };
    let mut records: Vec<serde_json::Value> = received.iter().map(lambda_record).collect();
    let mut bad = records[0].clone();
    bad["messageId"] = json!("bad-record-1");
    bad["body"] = json!("{not json");
    records.push(bad);
    let event: SqsEvent = serde_json::from_value(json!({"Records": records})).unwrap();
    assert_eq!(event.records.len(), 26);

    let rec = Recorder::default();
    let response = handle_sqs_event(event, &rec).await;
    let mut failures: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    failures.sort();
    let mut expected = vec![message_id_of("job:07"), "bad-record-1".to_owned()];
    expected.sort();
    assert_eq!(failures, expected);
    let counts = rec.counts();
    assert_eq!(counts.len(), 25, "every good record handled");
    assert!(counts.values().all(|&n| n == 1));
    assert!(rec.calls().iter().all(|(_, attempt)| *attempt == 1), "attempt from ApproximateReceiveCount");
    let wire = serde_json::to_value(&response).unwrap();
    assert_eq!(wire["batchItemFailures"].as_array().unwrap().len(), 2);
    assert!(wire["batchItemFailures"][0]["itemIdentifier"].is_string());
}

#[tokio::test]
async fn sqs_errors_are_reported_per_job() {
    let Some(moto) = moto().await else { return };
    let endpoint = moto.endpoint.clone();
    let client = moto_sqs_client(&endpoint);
    let url = client.create_queue().queue_name("small").send().await.unwrap().queue_url().unwrap().to_owned();
    let queue = SqsQueue::new(client.clone(), &url);

    // One oversized job among small ones: only it fails, the rest are sent.
    let mut jobs: Vec<Job> = (0..3).map(|i| job(i, json!({}))).collect();
    jobs.insert(1, Job::new("k", "huge", json!("x".repeat(SQS_MAX_MESSAGE_BYTES))));
    match queue.enqueue_batch(jobs).await {
        Err(JobError::Partial { failed }) => {
            assert_eq!(failed.len(), 1);
            assert_eq!((failed[0].id.as_str(), failed[0].code.as_str()), ("huge", "too_large"));
        }
        other => panic!("expected Partial, got {other:?}"),
    }
    let attrs = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let count =
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages].clone();
    assert_eq!(count, "3");

    // A queue that does not exist: SQS's error code comes through, with the HTTP status.
    let missing = SqsQueue::new(client, format!("{endpoint}/123456789012/nope"));
    match missing.enqueue(job(9, json!({}))).await {
        Err(JobError::Provider { backend, status, code, .. }) => {
            assert_eq!(backend, "sqs");
            assert_eq!(status, Some(400));
            assert!(code.contains("NonExistentQueue"), "{code}");
        }
        other => panic!("expected Provider, got {other:?}"),
    }
    match missing.enqueue_batch(vec![job(1, json!({})), job(2, json!({}))]).await {
        Err(JobError::Partial { failed }) => {
            assert_eq!(failed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), vec!["job:01", "job:02"]);
            assert!(failed[0].code.contains("NonExistentQueue"), "{}", failed[0].code);
        }
        other => panic!("expected Partial, got {other:?}"),
    }
}

#[tokio::test]
async fn pubsub_publish_pull_and_push_envelope() {
    let Some(emulator) = pubsub_emulator() else { return };
    let base = format!("http://{}", emulator.host);
    let http = reqwest::Client::new();
    let project = format!("jobs-{}", free_port());
    let topic = format!("projects/{project}/topics/jobs");
    let subscription = format!("projects/{project}/subscriptions/jobs-pull");
    let res = http.put(format!("{base}/v1/{topic}")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = http
        .put(format!("{base}/v1/{subscription}"))
        .json(&json!({"topic": topic, "ackDeadlineSeconds": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let vars = HashMap::from([("PUBSUB_EMULATOR_HOST".to_owned(), emulator.host.clone())]);
    let queue = PubSubQueue::from_lookup(http.clone(), &topic, &|k: &str| vars.get(k).cloned()).unwrap();
    assert_eq!(queue.backend(), "pubsub");
    let jobs: Vec<Job> = (0..3).map(|i| job(i, json!({"users": [i, i + 1]}))).collect();
    queue.enqueue(jobs[0].clone()).await.unwrap();
    queue.enqueue_batch(jobs[1..].to_vec()).await.unwrap();

    let mut received = Vec::new();
    for _ in 0..20 {
        let pulled: serde_json::Value = http
            .post(format!("{base}/v1/{subscription}:pull"))
            .json(&json!({"maxMessages": 10}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        received.extend(pulled["receivedMessages"].as_array().cloned().unwrap_or_default());
        if received.len() >= 3 {
            break;
        }
    }
    assert_eq!(received.len(), 3);
    let mut decoded = Vec::new();
    for r in &received {
        let message = &r["message"];
        assert_eq!(message["attributes"]["kind"], "test.job");
        // The push envelope Pub/Sub POSTs to a push endpoint, around the pulled message.
        let push = json!({
            "message": {
                "data": message["data"],
                "attributes": message["attributes"],
                "messageId": message["messageId"],
                "message_id": message["messageId"],
                "publishTime": message["publishTime"],
                "publish_time": message["publishTime"],
            },
            "subscription": subscription,
        });
        let job = job_from_pubsub_push(push.to_string().as_bytes()).unwrap();
        assert_eq!(message["attributes"]["id"], job.id.as_str());
        decoded.push(job);
    }
    decoded.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(decoded, jobs);

    // A topic that does not exist: Google's error shape comes through.
    let missing = PubSubQueue::new(http, &base, &format!("projects/{project}/topics/none"), false).unwrap();
    match missing.enqueue(job(9, json!({}))).await {
        Err(JobError::Provider { backend, status, code, detail }) => {
            assert_eq!((backend, status, code.as_str()), ("pubsub", Some(404), "NOT_FOUND"));
            assert_eq!(detail, "Topic not found", "the emulator's message");
        }
        other => panic!("expected Provider, got {other:?}"),
    }
}

// ---------------------------------------------------------------- Pub/Sub push envelope

fn push_body(data: &[u8], delivery_attempt: Option<u32>) -> Vec<u8> {
    let mut envelope = json!({
        "message": {"data": BASE64.encode(data), "attributes": {"kind": "test.job"}, "messageId": "136969346945",
                    "publishTime": "2026-11-29T21:00:00.000Z"},
        "subscription": "projects/p1/subscriptions/jobs-push",
    });
    if let Some(n) = delivery_attempt {
        envelope["deliveryAttempt"] = json!(n);
    }
    envelope.to_string().into_bytes()
}

#[test]
fn push_envelope_parsing() {
    let j = job(4, json!({"week": "2026-W48"}));
    let body = j.to_body(usize::MAX).unwrap();
    assert_eq!(job_from_pubsub_push(&push_body(body.as_bytes(), None)).unwrap(), j);
    assert_eq!(job_from_pubsub_push(&push_body(body.as_bytes(), Some(4))).unwrap().attempt, 4);
    for bad in [
        b"not json".to_vec(),
        br#"{"message": {"attributes": {}}, "subscription": "s"}"#.to_vec(),
        br#"{"message": {"data": "%%%"}, "subscription": "s"}"#.to_vec(),
        push_body(b"{\"no\": \"job\"}", None),
    ] {
        assert!(
            matches!(job_from_pubsub_push(&bad), Err(JobError::BadMessage(_))),
            "{}",
            String::from_utf8_lossy(&bad)
        );
    }
}

#[tokio::test]
async fn push_outcomes_map_to_ack_and_nack_statuses() {
    let rec = Recorder::default();
    let status =
        |payload: serde_json::Value| push_body(job(1, payload).to_body(usize::MAX).unwrap().as_bytes(), Some(2));
    assert_eq!(handle_pubsub_push(&status(json!({})), &rec).await, 204);
    assert_eq!(handle_pubsub_push(&status(json!({"fail": "permanent"})), &rec).await, 204);
    assert_eq!(handle_pubsub_push(&status(json!({"fail": "retryable"})), &rec).await, 503);
    assert_eq!(handle_pubsub_push(&status(json!({"fail": "panic"})), &rec).await, 503);
    assert_eq!(handle_pubsub_push(b"{}", &rec).await, 400);
    assert_eq!(rec.calls(), vec![("job:01".to_owned(), 2); 4]);
}
