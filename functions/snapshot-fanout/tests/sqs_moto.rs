//! The AWS path end to end against moto's SQS server (`pip install 'moto[server]'`, started
//! here on a free loopback port): the planner sends the batches with `SendMessageBatch`, the
//! messages are received with `ReceiveMessage` and handed to the function as the Lambda SQS
//! event source does, one invocation per message, and the run completes. Prints the time per
//! invocation (one batch of 100 users), the figure the 1,000,000-user projection rests on.

use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use serde_json::json;
use shared::clock::Clock;
use shared::jobs::SqsQueue;
use shared::runtime::LambdaEventHandler;
use shared::snapshot::{IsoWeek, RunDoc, RunState, trigger};
use shared::store::{DocPath, Fields, Value as SV, Write, commit_chunked};
use shared::testing::TestApp;

mod support;

/// Receives one message from `url` (waiting up to 1 s), hands it to the function as the Lambda
/// SQS event source does (a one-record `SqsEvent`), checks that no record failed, deletes it and
/// returns the invocation's wall time; `None` when the queue stayed empty.
async fn deliver_one(client: &Client, url: &str, events: &snapshot_fanout::SnapshotEvents) -> Option<Duration> {
    let out = client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(1)
        .wait_time_seconds(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let m = out.messages().first()?;
    let attrs: serde_json::Map<String, serde_json::Value> =
        m.attributes().cloned().unwrap_or_default().iter().map(|(k, v)| (k.as_str().to_owned(), json!(v))).collect();
    let event = json!({"Records": [{
        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
        "md5OfBody": m.md5_of_body(), "attributes": attrs, "messageAttributes": {},
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:snapshots",
        "awsRegion": "ap-south-1"}]});
    let started = Instant::now();
    let answer = events.handle(event, lambda_http::lambda_runtime::Context::default()).await.unwrap();
    let took = started.elapsed();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    client.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
    Some(took)
}

#[tokio::test]
async fn batches_travel_through_sqs_and_complete_the_run() {
    let Some(moto) = shared::testing_servers::moto().await else { return };
    let endpoint = moto.endpoint.clone();
    let client = shared::testing_servers::moto_sqs_client(&endpoint);
    let url = client.create_queue().queue_name("snapshots").send().await.unwrap().queue_url().unwrap().to_owned();
    let queue = SqsQueue::new(client.clone(), &url);
    let app = TestApp::spawn(snapshot_fanout::router()).await;
    let week = IsoWeek::parse("2026-W48").unwrap();
    let writes = (0..250)
        .map(|i| {
            let uid = format!("s{i:04}");
            Write::set(
                DocPath::parse(&format!("users/{uid}")).unwrap(),
                Fields::from([
                    ("uid".to_owned(), SV::string(uid)),
                    ("last_active_week".to_owned(), SV::string(week.label())),
                ]),
            )
        })
        .collect();
    commit_chunked(app.store.as_ref(), writes).await.unwrap();

    trigger(app.store.as_ref(), &queue, week, app.clock.now()).await.unwrap();
    let events = snapshot_fanout::SnapshotEvents::new(&app.state);
    let mut invocations = Vec::new();
    while invocations.len() < 3 {
        let Some(took) = deliver_one(&client, &url, &events).await else { break };
        invocations.push(took);
        if invocations.len() == 1 {
            let r = RunDoc::read(app.store.as_ref(), &week.label()).await.unwrap().unwrap();
            assert_eq!((r.state, r.batches_done), (RunState::Running, 1), "progress from the counter shards");
            assert!([50, 100].contains(&r.users_processed), "{r:?}");
        }
    }
    assert_eq!(invocations.len(), 3, "three batches: 100, 100, 50 users");
    let run = RunDoc::read(app.store.as_ref(), &week.label()).await.unwrap().unwrap();
    assert_eq!(run.state, RunState::Complete);
    assert_eq!((run.batches_done, run.users_processed), (3, 250));
    let ms: Vec<u128> = invocations.iter().map(Duration::as_millis).collect();
    println!("SQS path via moto: per-invocation wall time (ms) for batches of 100, 100, 50 users: {ms:?}");
}

/// Benchmark (ignored by default): the per-invocation time the 1,000,000-user projection rests
/// on, with a realistic week (10 completed quizzes of 10 questions per user) on the test backend
/// (`JEEVIBE_TEST_BACKEND=firestore` for the emulator), batches of 100 delivered through moto.
///
/// ```sh
/// CI=true BENCH_SQS_USERS=1000 cargo test --release -p snapshot-fanout --test sqs_moto -- --ignored --nocapture
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: BENCH_SQS_USERS=1000 … -- --ignored --nocapture"]
async fn per_invocation_time_of_a_realistic_week_through_sqs() {
    let Some(moto) = shared::testing_servers::moto().await else { return };
    let users: usize = std::env::var("BENCH_SQS_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let client = shared::testing_servers::moto_sqs_client(&moto.endpoint);
    let url = client.create_queue().queue_name("bench").send().await.unwrap().queue_url().unwrap().to_owned();
    let queue = SqsQueue::new(client.clone(), &url);
    let app = TestApp::spawn_with(snapshot_fanout::router(), |c| c.store_timeout = Duration::from_secs(120)).await;
    let bank = shared::bank::synthetic::generate(8_000, 42);
    shared::bank::storage::import(app.store.as_ref(), &bank).await.unwrap();
    let week = IsoWeek::parse("2026-W48").unwrap();
    let at = app.clock.now() - chrono::Duration::hours(2);
    support::population::seed(&app.store, &bank, "q", users, &week.label(), at).await;
    trigger(app.store.as_ref(), &queue, week, app.clock.now()).await.unwrap();
    let events = snapshot_fanout::SnapshotEvents::new(&app.state);
    let mut ms = Vec::new();
    while let Some(took) = deliver_one(&client, &url, &events).await {
        ms.push(took.as_secs_f64() * 1e3);
    }
    let run = RunDoc::read(app.store.as_ref(), &week.label()).await.unwrap().unwrap();
    assert_eq!((run.state, run.users_processed), (RunState::Complete, users as i64));
    ms.sort_by(f64::total_cmp);
    println!(
        "BENCH_SQS backend={} users={users} invocations={} per-invocation ms: median={:.0} p90={:.0} max={:.0}",
        app.store.backend(),
        ms.len(),
        ms[ms.len() / 2],
        ms[ms.len() * 9 / 10],
        ms[ms.len() - 1],
    );
}
