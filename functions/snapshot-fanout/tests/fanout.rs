//! The weekly snapshot fan-out on a real instance (in-memory SQLite with the sample bank, the
//! in-process queue, loopback HTTP): batch splitting, snapshot contents on known data,
//! idempotent triggers and duplicate deliveries, the dead-letter path, an EventBridge scheduled
//! event, Cloud Scheduler's OIDC-authenticated POST, an SQS batch with one bad record, and the
//! recalibration of a known population through the whole run.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::auth::DevKeys;
use shared::clock::Clock;
use shared::config::{AuthKeysConfig, PushAuthConfig};
use shared::domain::{Question, Tier};
use shared::grading::Outcome;
use shared::jobs::{InProcessOptions, InProcessQueue, Job, JobHandler};
use shared::records::UserDoc;
use shared::records::quiz::{AbilityChange, ItemResult, QuizDoc, QuizResult, QuizStatus};
use shared::records::user::{Streak, TopicStats};
use shared::runtime::LambdaEventHandler;
use shared::snapshot::{IsoWeek, RunDoc, RunState, SnapshotDoc, TriggerOutcome, trigger};
use shared::store::{DocPath, Fields, Timestamp, Value as SV, Write, commit_chunked, to_fields};
use shared::testing::TestApp;

const WEEK: &str = "2026-W48";
const AUDIENCE: &str = "https://snapshots.jeevibe.test/internal/snapshots/run";
const SCHEDULER: &str = "scheduler@jeevibe-test.iam.gserviceaccount.com";

fn week() -> IsoWeek {
    IsoWeek::parse(WEEK).unwrap()
}

/// Serves `jwks` at `/oauth2/v3/certs` the way Google serves its keys.
async fn spawn_certs(jwks: Value) -> String {
    let app = Router::new().route(
        "/oauth2/v3/certs",
        get(move || {
            let body = jwks.to_string();
            async move { ([(header::CACHE_CONTROL, "public, max-age=21600")], body).into_response() }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/oauth2/v3/certs")
}

struct Fixture {
    app: TestApp,
    google: DevKeys,
}

async fn fixture() -> Fixture {
    let google = DevKeys::generate().unwrap();
    let certs = spawn_certs(google.jwks().clone()).await;
    let app = TestApp::spawn_with(snapshot_fanout::router(), |c| {
        c.push = PushAuthConfig {
            audience: Some(AUDIENCE.into()),
            service_account: Some(SCHEDULER.into()),
            keys: AuthKeysConfig::Url(certs),
        };
    })
    .await;
    Fixture { app, google }
}

impl Fixture {
    fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    fn oidc(&self, aud: &str, email: &str) -> String {
        let now = self.app.clock.now_secs();
        let claims = json!({"aud": aud, "azp": "1047", "email": email, "email_verified": true,
            "exp": now + 3600, "iat": now, "iss": "https://accounts.google.com", "sub": "1047"});
        self.google.sign(&self.google.header(), &claims).unwrap()
    }

    async fn bank(&self) -> Vec<Question> {
        self.app.state.bank.get().await.unwrap().questions().to_vec()
    }

    /// Waits until the week's run is complete and returns it.
    async fn wait_complete(&self) -> RunDoc {
        for _ in 0..600 {
            let run = RunDoc::read(self.app.store.as_ref(), WEEK).await.unwrap().expect("run exists");
            if run.state == RunState::Complete {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("run not complete: {:?}", RunDoc::read(self.app.store.as_ref(), WEEK).await.unwrap());
    }

    async fn snapshot(&self, uid: &str) -> Option<SnapshotDoc> {
        self.app.store.get(&SnapshotDoc::path(uid, week()).unwrap(), None).await.unwrap().map(|d| d.decode().unwrap())
    }
}

/// A user document marked active in `WEEK` (what quiz completion writes), with `abilities`.
fn user_write(uid: &str, abilities: Vec<(String, TopicStats)>, streak: Streak) -> Write {
    let user = UserDoc { abilities: abilities.into_iter().collect(), streak, ..UserDoc::default() };
    let mut f = to_fields(&user).unwrap();
    f.insert("uid".into(), SV::string(uid));
    f.insert("last_active_week".into(), SV::string(WEEK));
    Write::set(UserDoc::path(&shared::domain::UserId::parse(uid).unwrap()).unwrap(), f)
}

fn stats(q: &Question, theta: f64) -> (String, TopicStats) {
    (
        q.topic_key.as_str().to_owned(),
        TopicStats {
            subject: q.subject,
            chapter: q.chapter.to_string(),
            topic: q.topic.to_string(),
            theta,
            se: 0.5,
            answered: 1,
            correct: 1,
            updated_at: Timestamp(shared::testing::default_now()),
        },
    )
}

fn marks(o: Outcome) -> i64 {
    match o {
        Outcome::Correct => 4,
        Outcome::Incorrect => -1,
        _ => 0,
    }
}

/// A completed quiz of `uid` at `at` over `items` (question, outcome, seconds).
fn quiz_write(
    uid: &str,
    id: &str,
    at: DateTime<Utc>,
    items: &[(&Question, Outcome, i64)],
    abilities: Vec<AbilityChange>,
) -> Write {
    let quiz = QuizDoc {
        uid: uid.into(),
        status: QuizStatus::Completed,
        created_at: Timestamp(at - chrono::Duration::minutes(20)),
        expires_at: Timestamp(at + chrono::Duration::hours(1)),
        subject: None,
        chapter: None,
        retain_until: None,
        items: items.iter().map(|(q, _, _)| shared::practice::quiz_item(q)).collect(),
        result: Some(QuizResult {
            completed_at: Timestamp(at),
            score: items.iter().map(|(_, o, _)| marks(*o)).sum(),
            max_score: 4 * items.len() as i64,
            correct: items.iter().filter(|(_, o, _)| *o == Outcome::Correct).count() as i64,
            partial: 0,
            incorrect: items.iter().filter(|(_, o, _)| *o == Outcome::Incorrect).count() as i64,
            skipped: items.iter().filter(|(_, o, _)| *o == Outcome::Skipped).count() as i64,
            items: items
                .iter()
                .map(|(q, o, s)| ItemResult {
                    question_id: q.id.as_str().into(),
                    response: json!(null),
                    marks: marks(*o),
                    outcome: *o,
                    seconds: *s,
                    correct_answer: json!(null),
                })
                .collect(),
            abilities,
        }),
    };
    Write::set(DocPath::parse(&format!("users/{uid}/quizzes/{id}")).unwrap(), to_fields(&quiz).unwrap())
}

/// `n` active users without quizzes, ids `u00000`…
async fn seed_idle_users(app: &TestApp, n: usize) {
    let writes = (0..n).map(|i| user_write(&format!("u{i:05}"), vec![], Streak::default())).collect();
    commit_chunked(app.store.as_ref(), writes).await.unwrap();
}

#[tokio::test]
async fn batch_splitting_zero_100_101_250_users() {
    for (users, batches) in [(0usize, 0i64), (100, 1), (101, 2), (250, 3)] {
        let f = fixture().await;
        seed_idle_users(&f.app, users).await;
        let out = trigger(f.app.store.as_ref(), f.app.state.jobs.as_ref(), week(), f.now()).await.unwrap();
        assert!(matches!(out, TriggerOutcome::Started(_)), "{out:?}");
        let run = f.wait_complete().await;
        assert_eq!(run.batches_planned, batches, "{users} users");
        assert_eq!(run.batches_done, batches);
        assert_eq!((run.batches_failed, run.batches_retried), (0, 0));
        assert_eq!((run.users_planned, run.users_processed), (users as i64, users as i64));
        assert!(run.finished_at.is_some());
        if users > 0 {
            let last = f.snapshot(&format!("u{:05}", users - 1)).await.expect("last user's snapshot");
            assert_eq!((last.week.as_str(), last.quizzes, last.answered), (WEEK, 0, 0));
        }
    }
}

#[tokio::test]
async fn snapshot_contents_on_known_data_and_the_read_api() {
    let f = fixture().await;
    let bank = f.bank().await;
    let q0 = &bank[0];
    let q1 = bank.iter().find(|q| q.topic_key != q0.topic_key && q.subject != q0.subject).unwrap();
    let q2 = &bank[2];
    let (t0, t1) = (q0.topic_key.as_str().to_owned(), q1.topic_key.as_str().to_owned());
    let day = |d: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, 6, 30, 0).unwrap();
    let store = f.app.store.as_ref();
    let streak = Streak { current: 3, longest: 5, last_day: Some(shared::domain::IstDay::of(day(28))) };
    let ch =
        |k: &str, b: f64, a: f64| AbilityChange { topic_key: k.into(), theta_before: b, theta_after: a, se_after: 0.5 };
    store
        .commit(vec![
            user_write("alice", vec![stats(q0, 0.1), stats(q1, -0.5)], streak),
            // Week 47: not in the snapshot.
            quiz_write("alice", "old", day(20), &[(q0, Outcome::Correct, 50)], vec![ch(&t0, -0.3, 0.0)]),
            quiz_write(
                "alice",
                "first",
                day(24),
                &[(q0, Outcome::Correct, 30), (q1, Outcome::Incorrect, 45), (q2, Outcome::Skipped, 5)],
                vec![ch(&t0, 0.0, 0.4)],
            ),
            quiz_write(
                "alice",
                "second",
                day(27),
                &[(q0, Outcome::Correct, 20), (q1, Outcome::Correct, 40)],
                vec![ch(&t0, 0.4, 0.1), ch(&t1, 0.0, -0.5)],
            ),
        ])
        .await
        .unwrap();
    // Two snaps and one tutor conversation in the week, one snap the week before.
    let raw = |path: &str, field: &str, at: DateTime<Utc>| {
        Write::set(
            DocPath::parse(path).unwrap(),
            Fields::from([("uid".to_owned(), SV::string("alice")), (field.to_owned(), SV::timestamp(at))]),
        )
    };
    store
        .commit(vec![
            raw("snaps/alice-s1", "created_at", day(24)),
            raw("snaps/alice-s2", "created_at", day(26)),
            raw("snaps/alice-s0", "created_at", day(19)),
            raw("conversations/alice-c1", "updated_at", day(25)),
        ])
        .await
        .unwrap();
    trigger(store, f.app.state.jobs.as_ref(), week(), f.now()).await.unwrap();
    let run = f.wait_complete().await;
    assert_eq!((run.batches_done, run.users_processed), (1, 1));
    let s = f.snapshot("alice").await.unwrap();
    assert_eq!((s.quizzes, s.answered, s.correct, s.skipped), (2, 4, 3, 1));
    assert_eq!((s.marks, s.max_marks, s.seconds), (4 - 1 + 4 + 4, 20, 30 + 45 + 5 + 20 + 40));
    assert!((s.accuracy - 0.75).abs() < 1e-12);
    let sub0 = s.subjects.iter().find(|a| a.subject == q0.subject).unwrap();
    let q2_same = q2.subject == q0.subject;
    assert_eq!((sub0.answered, sub0.correct, sub0.marks), (2, 2, 8), "skips are not attempts (q2 same: {q2_same})");
    let sub1 = s.subjects.iter().find(|a| a.subject == q1.subject).unwrap();
    assert_eq!((sub1.answered, sub1.correct, sub1.marks), (2, 1, 3));
    assert!((sub1.accuracy - 0.5).abs() < 1e-12);
    let chap1 = s.chapters.iter().find(|a| a.chapter.as_deref() == Some(&*q1.chapter)).unwrap();
    assert_eq!(chap1.answered, 2);
    let th0 = s.topics.iter().find(|t| t.topic_key == t0).unwrap();
    assert_eq!((th0.theta_start, th0.theta_end), (0.0, 0.1));
    let th1 = s.topics.iter().find(|t| t.topic_key == t1).unwrap();
    assert!((th1.change + 0.5).abs() < 1e-12);
    assert_eq!((s.streak.current, s.streak.longest), (3, 5), "last quiz on Saturday the 28th: alive at the week's end");
    assert_eq!((s.snaps, s.tutor_conversations), (2, 1));
    assert_eq!(s.weakest[0].topic_key, t1);
    assert_eq!(s.suggested_quiz, Some(json!({"subject": q1.subject.as_str(), "chapter": &*q1.chapter})));

    // The read API.
    let token = f.app.token("alice", Tier::Free);
    let one = f.app.get(&format!("/v1/me/snapshots/{WEEK}"), &token).await;
    assert_eq!(one.status, 200, "{:?}", one.body);
    assert_eq!((one.body["week"].as_str(), one.body["answered"].as_i64()), (Some(WEEK), Some(4)));
    assert_eq!(one.body["week_start"], "2026-11-22T18:30:00.000000Z");
    let list = f.app.get("/v1/me/snapshots?limit=1", &token).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"][0]["week"], WEEK);
    assert!(list.body["next_cursor"].is_string(), "a full page has a cursor");
    let next = f
        .app
        .get(&format!("/v1/me/snapshots?limit=1&cursor={}", list.body["next_cursor"].as_str().unwrap()), &token)
        .await;
    assert_eq!((next.status.as_u16(), next.body["items"].as_array().unwrap().len()), (200, 0));
    for path in ["/v1/me/snapshots/2026-W47", "/v1/me/snapshots/not-a-week"] {
        let r = f.app.get(path, &token).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "snapshot_not_found"), "{path}");
    }
    let bob = f.app.get(&format!("/v1/me/snapshots/{WEEK}"), &f.app.token("bob", Tier::Free)).await;
    assert_eq!(bob.status, 404, "another user's snapshot is not visible");
    assert_eq!(f.app.get("/v1/me/snapshots", "").await.status, 401);
}

#[tokio::test]
async fn reruns_and_duplicate_deliveries_count_nothing_twice() {
    let f = fixture().await;
    seed_idle_users(&f.app, 150).await;
    let store = f.app.store.as_ref();
    trigger(store, f.app.state.jobs.as_ref(), week(), f.now()).await.unwrap();
    let run = f.wait_complete().await;
    assert_eq!((run.batches_done, run.users_processed), (2, 150));
    let before = f.snapshot("u00000").await.unwrap();

    // A second trigger of a complete week does nothing.
    f.app.clock.set(f.now() + chrono::Duration::seconds(60));
    let again = trigger(store, f.app.state.jobs.as_ref(), week(), f.now()).await.unwrap();
    assert!(matches!(again, TriggerOutcome::AlreadyComplete(_)), "{again:?}");

    // A duplicate delivery of batch 0 writes and counts nothing.
    let uids: Vec<String> = (0..100).map(|i| format!("u{i:05}")).collect();
    let job =
        Job::new(shared::snapshot::KIND, format!("snapshot:{WEEK}:0"), json!({"week": WEEK, "batch": 0, "uids": uids}));
    f.app.state.job_handlers.handle(Job { attempt: 2, ..job }).await.unwrap();
    let after = RunDoc::read(store, WEEK).await.unwrap().unwrap();
    assert_eq!(after, run, "the run document is untouched");
    assert_eq!(f.snapshot("u00000").await.unwrap().generated_at, before.generated_at);

    // A trigger while a run is in progress starts nothing.
    let next_week = IsoWeek::parse("2026-W49").unwrap();
    let mut running = RunDoc::planning("2026-W49", f.now());
    running.state = RunState::Running;
    running.batches_planned = 4;
    store.commit(vec![Write::set(RunDoc::path("2026-W49").unwrap(), to_fields(&running).unwrap())]).await.unwrap();
    let busy = trigger(store, f.app.state.jobs.as_ref(), next_week, f.now()).await.unwrap();
    assert_eq!(busy, TriggerOutcome::InProgress(running));
}

#[tokio::test]
async fn a_batch_that_cannot_be_written_is_dead_lettered_and_listed_on_the_run() {
    let f = fixture().await;
    seed_idle_users(&f.app, 120).await;
    // An active user whose id breaks the document-id rules: its batch (the second) can never
    // be written.
    let mut bad = Fields::new();
    bad.insert("uid".into(), SV::string("zz/bad"));
    bad.insert("last_active_week".into(), SV::string(WEEK));
    f.app.store.commit(vec![Write::set(DocPath::parse("users/zz-bad").unwrap(), bad)]).await.unwrap();
    let queue = InProcessQueue::new(
        f.app.state.job_handlers.clone(),
        InProcessOptions {
            max_attempts: shared::snapshot::MAX_ATTEMPTS,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..InProcessOptions::default()
        },
    );
    trigger(f.app.store.as_ref(), &queue, week(), f.now()).await.unwrap();
    queue.idle().await;
    let run = f.wait_complete().await;
    assert_eq!((run.batches_planned, run.batches_done, run.batches_failed), (2, 1, 1));
    assert_eq!(run.failed_batches, vec![1]);
    assert_eq!((run.users_planned, run.users_processed), (121, 100));
    let dead = queue.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].job.id, format!("snapshot:{WEEK}:1"));
    assert!(!dead[0].failure.retryable, "{:?}", dead[0].failure);
    assert!(f.snapshot("u00000").await.is_some());
}

#[tokio::test]
async fn an_eventbridge_scheduled_event_triggers_the_last_complete_week() {
    let f = fixture().await;
    seed_idle_users(&f.app, 3).await;
    let events = snapshot_fanout::SnapshotEvents::new(&f.app.state);
    // EventBridge's scheduled-event shape, fired Monday 30 Nov 2026 00:30 IST (29 Nov 19:00 UTC).
    let event = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-29T19:00:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/weekly-snapshot"],
        "detail": {}
    });
    let out = events.handle(event.clone(), lambda_http::lambda_runtime::Context::default()).await.unwrap();
    assert_eq!((out["outcome"].as_str(), out["run"]["week"].as_str()), (Some("started"), Some(WEEK)), "{out}");
    assert_eq!(out["run"]["started_at"], "2026-11-28T06:30:00.000000Z");
    f.wait_complete().await;
    let again = events.handle(event, lambda_http::lambda_runtime::Context::default()).await.unwrap();
    assert_eq!(again["outcome"], "already_complete", "{again}");
    // An EventBridge Scheduler input with an explicit week.
    let sched = json!({"detail-type": "Scheduled Event", "source": "aws.scheduler",
        "time": "2026-11-29T19:00:00Z", "detail": {"week": "2026-W4x"}});
    assert!(events.handle(sched, lambda_http::lambda_runtime::Context::default()).await.is_err());
}

#[tokio::test]
async fn cloud_scheduler_post_needs_a_valid_google_oidc_token() {
    let f = fixture().await;
    seed_idle_users(&f.app, 2).await;
    let post = |token: Option<String>, body: Value| {
        let mut req = f.app.client.post(format!("{}/internal/snapshots/run", f.app.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { TestApp::read(req.send().await.unwrap()).await }
    };
    let none = post(None, json!({"week": WEEK})).await;
    assert_eq!((none.status.as_u16(), none.code()), (401, "missing_token"));
    let wrong_aud = post(Some(f.oidc("https://elsewhere.test", SCHEDULER)), json!({"week": WEEK})).await;
    assert_eq!((wrong_aud.status.as_u16(), wrong_aud.code()), (401, "invalid_token"));
    let wrong_sa = post(Some(f.oidc(AUDIENCE, "someone@evil.test")), json!({"week": WEEK})).await;
    assert_eq!((wrong_sa.status.as_u16(), wrong_sa.code()), (401, "invalid_token"));
    let firebase = post(Some(f.app.token("alice", Tier::Ultra)), json!({"week": WEEK})).await;
    assert_eq!(firebase.status, 401, "a Firebase ID token is not a scheduler token");
    assert!(RunDoc::read(f.app.store.as_ref(), WEEK).await.unwrap().is_none(), "no refused call started a run");
    let bad_week = post(Some(f.oidc(AUDIENCE, SCHEDULER)), json!({"week": "48"})).await;
    assert_eq!((bad_week.status.as_u16(), bad_week.code()), (422, "invalid_request"));
    let ok = post(Some(f.oidc(AUDIENCE, SCHEDULER)), json!({"week": WEEK})).await;
    assert_eq!(ok.status, 202, "{:?}", ok.body);
    assert_eq!((ok.body["outcome"].as_str(), ok.body["run"]["week"].as_str()), (Some("started"), Some(WEEK)));
    let run = f.wait_complete().await;
    assert_eq!(run.users_processed, 2);
    let again = post(Some(f.oidc(AUDIENCE, SCHEDULER)), json!({"week": WEEK})).await;
    assert_eq!((again.status.as_u16(), again.body["outcome"].as_str()), (200, Some("already_complete")));
}

#[tokio::test]
async fn an_sqs_batch_with_one_bad_record_reports_only_that_record() {
    let f = fixture().await;
    seed_idle_users(&f.app, 2).await;
    // A run planned on another transport: one batch of the two users, delivered by SQS.
    let mut run = RunDoc::planning(WEEK, f.now());
    run.state = RunState::Running;
    run.batches_planned = 1;
    run.users_planned = 2;
    f.app.store.commit(vec![Write::set(RunDoc::path(WEEK).unwrap(), to_fields(&run).unwrap())]).await.unwrap();
    let good = Job::new(
        shared::snapshot::KIND,
        format!("snapshot:{WEEK}:0"),
        json!({"week": WEEK, "batch": 0, "uids": ["u00000", "u00001"]}),
    );
    let record = |id: &str, body: String| {
        json!({
            "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
            "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1764441000000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1764441000001"},
            "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:jobs",
            "awsRegion": "ap-south-1"
        })
    };
    let event =
        json!({"Records": [record("m-good", good.to_body(262_144).unwrap()), record("m-bad", "{not json".into())]});
    let events = snapshot_fanout::SnapshotEvents::new(&f.app.state);
    let out = events.handle(event, lambda_http::lambda_runtime::Context::default()).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "m-bad"}]}));
    let run = f.wait_complete().await;
    assert_eq!((run.batches_done, run.users_processed), (1, 2));
    assert_eq!(run.batches_retried, 1, "SQS's second receive counts as a retried batch");
}

/// 120 examinees with θ spread evenly over [−2, 2] answer the same 10 questions, each correct
/// exactly when θ is above a known difficulty; the run's recalibration moves each item's `b`
/// towards it (one bounded step), writes a new bank version, and the bank cache serves it.
#[tokio::test]
async fn the_run_recalibrates_answered_items_into_a_new_bank_version() {
    let f = fixture().await;
    let bank = f.bank().await;
    let items: Vec<&Question> = bank.iter().take(10).collect();
    let truth: Vec<f64> = (0..10).map(|i| -1.8 + 0.4 * i as f64).collect();
    let at = shared::testing::default_now() - chrono::Duration::hours(1);
    let mut writes = Vec::new();
    for u in 0..120 {
        let uid = format!("p{u:04}");
        let theta = -2.0 + 4.0 * u as f64 / 119.0;
        let abilities = items.iter().map(|q| stats(q, theta)).collect();
        writes.push(user_write(&uid, abilities, Streak::default()));
        let answers: Vec<(&Question, Outcome, i64)> = items
            .iter()
            .zip(&truth)
            .map(|(q, b)| (*q, if theta > *b { Outcome::Correct } else { Outcome::Incorrect }, 30))
            .collect();
        writes.push(quiz_write(&uid, "w48", at, &answers, vec![]));
    }
    commit_chunked(f.app.store.as_ref(), writes).await.unwrap();
    let version_before = f.app.state.bank.get().await.unwrap().version().to_owned();
    trigger(f.app.store.as_ref(), f.app.state.jobs.as_ref(), week(), f.now()).await.unwrap();
    let run = f.wait_complete().await;
    assert_eq!((run.batches_planned, run.batches_done, run.items_answered), (2, 2, 10));
    assert_eq!(run.items_recalibrated, 10);
    let version = run.bank_version.clone().expect("a new bank version");
    assert_ne!(version, version_before);
    let meta = shared::bank::storage::read_meta(f.app.store.as_ref()).await.unwrap().unwrap();
    assert_eq!(meta.version, version);
    // Statistics of one item: 120 attempts, correct exactly for θ above its true b.
    let stat = f
        .app
        .store
        .get(&DocPath::parse(&format!("question_stats/{}", items[0].id.as_str())).unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    let correct = (0..120).filter(|u| -2.0 + 4.0 * *u as f64 / 119.0 > truth[0]).count() as i64;
    assert_eq!(stat.fields["attempts"].as_i64(), Some(120));
    assert_eq!(stat.fields["correct"].as_i64(), Some(correct));
    assert_eq!(stat.fields["mean_seconds"].as_f64(), Some(30.0));
    // Every item moved towards its true difficulty, by at most the weekly bound.
    let fresh = shared::bank::storage::load(f.app.store.as_ref(), Some(&meta)).await.unwrap();
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (q, b) in items.iter().zip(&truth) {
        let new = fresh.iter().find(|n| n.id == q.id).unwrap().irt.b;
        assert!((new - q.irt.b).abs() <= shared::snapshot::recalibrate::MAX_STEP + 1e-9);
        assert!(
            (new - b).abs() < (q.irt.b - b).abs() || (q.irt.b - b).abs() < 0.05,
            "{} {} -> {new}, true {b}",
            q.id.as_str(),
            q.irt.b
        );
        before.push(q.irt.b);
        after.push(new);
    }
    println!("recalibration e2e: b before {before:?}\n  after {after:?}\n  true {truth:?}");

    // A finalizer that died after the import, before marking the run complete: the one taking
    // over its claim completes the run without stepping the difficulties again.
    let mut crashed = run.clone();
    crashed.state = RunState::Finalizing;
    crashed.finished_at = None;
    crashed.bank_version = None;
    crashed.recalibrated_from = Some(version_before.clone());
    let path = RunDoc::path(WEEK).unwrap();
    f.app.store.commit(vec![Write::set(path, to_fields(&crashed).unwrap())]).await.unwrap();
    let later = f.now() + chrono::Duration::minutes(20);
    let redone = shared::snapshot::finalize::finalize(f.app.store.as_ref(), WEEK, later).await.unwrap().unwrap();
    assert_eq!((redone.state, redone.bank_version.as_deref()), (RunState::Complete, Some(version.as_str())));
    let meta_after = shared::bank::storage::read_meta(f.app.store.as_ref()).await.unwrap().unwrap();
    assert_eq!(meta_after.version, version, "no second import");
}

#[tokio::test]
async fn a_pubsub_push_delivers_a_batch_and_a_duplicate_push_counts_nothing() {
    use base64::Engine;
    let f = fixture().await;
    seed_idle_users(&f.app, 2).await;
    let mut run = RunDoc::planning(WEEK, f.now());
    run.state = RunState::Running;
    run.batches_planned = 1;
    run.users_planned = 2;
    f.app.store.commit(vec![Write::set(RunDoc::path(WEEK).unwrap(), to_fields(&run).unwrap())]).await.unwrap();
    let job = Job::new(
        shared::snapshot::KIND,
        format!("snapshot:{WEEK}:0"),
        json!({"week": WEEK, "batch": 0, "uids": ["u00000", "u00001"]}),
    );
    // The push request Pub/Sub sends for a message of the job topic.
    let envelope = json!({
        "message": {
            "data": base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&job).unwrap()),
            "attributes": {"kind": job.kind, "id": job.id},
            "messageId": "9171447519112633", "publishTime": "2026-11-28T06:30:01.000Z",
        },
        "subscription": "projects/jeevibe-test/subscriptions/jobs-push",
        "deliveryAttempt": 1,
    });
    let push = |token: Option<String>| {
        let mut req = f.app.client.post(format!("{}/internal/jobs/pubsub", f.app.base)).json(&envelope);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { TestApp::read(req.send().await.unwrap()).await }
    };
    assert_eq!(push(None).await.status, 401, "an unauthenticated push runs nothing");
    assert_eq!(RunDoc::read(f.app.store.as_ref(), WEEK).await.unwrap().unwrap().batches_done, 0);
    let ok = push(Some(f.oidc(AUDIENCE, SCHEDULER))).await;
    assert_eq!(ok.status, 204, "{:?}", ok.body);
    let done = f.wait_complete().await;
    assert_eq!((done.batches_done, done.users_processed), (1, 2));
    let again = push(Some(f.oidc(AUDIENCE, SCHEDULER))).await;
    assert_eq!(again.status, 204, "a redelivery is acknowledged");
    assert_eq!(RunDoc::read(f.app.store.as_ref(), WEEK).await.unwrap().unwrap(), done, "and counts nothing");
}

/// The real store, except that the first `fail` commits writing snapshots fail as an
/// unreachable database would (`Unavailable`, retryable).
struct FailingSnapshotCommits {
    inner: shared::store::Store,
    fail: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl shared::store::DocumentStore for FailingSnapshotCommits {
    async fn get_all(
        &self,
        paths: &[DocPath],
        mask: Option<&[&str]>,
    ) -> Result<Vec<Option<shared::store::Document>>, shared::store::StoreError> {
        self.inner.get_all(paths, mask).await
    }

    async fn query(&self, q: &shared::store::Query) -> Result<Vec<shared::store::Document>, shared::store::StoreError> {
        self.inner.query(q).await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), shared::store::StoreError> {
        use std::sync::atomic::Ordering;
        if writes.iter().any(|w| w.path.as_str().contains("/snapshots/"))
            && self.fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            return Err(shared::store::StoreError::Unavailable("connection reset".into()));
        }
        self.inner.commit(writes).await
    }

    async fn begin(&self) -> Result<Box<dyn shared::store::Transaction>, shared::store::StoreError> {
        self.inner.begin().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

/// Runs the week with a worker over a store whose first `fail` snapshot commits fail.
async fn run_with_failures(fail: usize) -> (Fixture, RunDoc, Vec<shared::jobs::DeadLetter>) {
    let f = fixture().await;
    seed_idle_users(&f.app, 30).await;
    let store: shared::store::Store =
        Arc::new(FailingSnapshotCommits { inner: f.app.store.clone(), fail: fail.into() });
    let worker = shared::snapshot::BatchWorker {
        store: store.clone(),
        bank: f.app.state.bank.clone(),
        clock: Arc::new(f.app.clock.clone()),
        max_attempts: shared::snapshot::MAX_ATTEMPTS,
    };
    let queue = InProcessQueue::new(
        Arc::new(worker),
        InProcessOptions {
            max_attempts: shared::snapshot::MAX_ATTEMPTS,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..InProcessOptions::default()
        },
    );
    trigger(store.as_ref(), &queue, week(), f.now()).await.unwrap();
    queue.idle().await;
    let run = f.wait_complete().await;
    let dead = queue.dead_letters();
    (f, run, dead)
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_counted_once() {
    let (f, run, dead) = run_with_failures(2).await;
    assert!(dead.is_empty(), "{dead:?}");
    assert_eq!((run.batches_done, run.batches_failed, run.batches_retried), (1, 0, 1));
    assert_eq!(run.users_processed, 30);
    assert!(f.snapshot("u00029").await.is_some());
}

#[tokio::test]
async fn a_batch_failing_every_attempt_is_dead_lettered_after_the_bound() {
    let (f, run, dead) = run_with_failures(usize::MAX).await;
    assert_eq!((run.batches_done, run.batches_failed, run.batches_retried), (0, 1, 1));
    assert_eq!(run.failed_batches, vec![0]);
    assert_eq!(run.users_processed, 0);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].job.attempt, shared::snapshot::MAX_ATTEMPTS, "bounded attempts");
    assert!(dead[0].failure.retryable && dead[0].failure.detail.contains("connection reset"), "{:?}", dead[0].failure);
    assert!(f.snapshot("u00000").await.is_none());
}

#[tokio::test]
async fn active_users_are_paged_by_uid_and_other_weeks_left_out() {
    let f = fixture().await;
    seed_idle_users(&f.app, 20).await;
    let mut other = Fields::new();
    other.insert("uid".into(), SV::string("zz-last-week"));
    other.insert("last_active_week".into(), SV::string("2026-W47"));
    f.app.store.commit(vec![Write::set(DocPath::parse("users/zz-last-week").unwrap(), other)]).await.unwrap();
    let ids = shared::snapshot::active::active_user_ids(f.app.store.as_ref(), WEEK, 7).await.unwrap();
    assert_eq!(ids, (0..20).map(|i| format!("u{i:05}")).collect::<Vec<_>>());
}
