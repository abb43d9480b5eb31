//! Benchmark (ignored by default): a synthetic population on the embedded default (SQLite file,
//! in-process workers), end to end through the planner and the workers.
//!
//! ```sh
//! BENCH_USERS=100000 cargo test --release -p snapshot-fanout --test bench_snapshot -- --ignored --nocapture
//! ```
//!
//! Each user has 10 completed quizzes of 10 questions in the week, drawn from an 8,000-question
//! synthetic bank, and θ on the topics answered. Seeding is timed apart from the run.

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::json;
use shared::clock::Clock;
use shared::domain::Question;
use shared::grading::Outcome;
use shared::records::UserDoc;
use shared::records::quiz::{ItemResult, QuizDoc, QuizItem, QuizResult, QuizStatus};
use shared::records::user::TopicStats;
use shared::snapshot::{IsoWeek, RunDoc, RunState, trigger};
use shared::store::{DocPath, Store, Timestamp, Value as SV, Write, commit_chunked, to_fields};
use shared::testing::TestApp;

fn quiz(uid: &str, n: usize, at: chrono::DateTime<chrono::Utc>, qs: &[&Question], rng: &mut impl Rng) -> Write {
    let outcomes: Vec<Outcome> =
        qs.iter().map(|_| if rng.random_bool(0.6) { Outcome::Correct } else { Outcome::Incorrect }).collect();
    let doc = QuizDoc {
        uid: uid.into(),
        status: QuizStatus::Completed,
        created_at: Timestamp(at),
        expires_at: Timestamp(at + chrono::Duration::hours(1)),
        subject: None,
        chapter: None,
        items: qs
            .iter()
            .map(|q| QuizItem {
                question_id: q.id.as_str().into(),
                topic_key: q.topic_key.as_str().into(),
                subject: q.subject,
                chapter: q.chapter.clone(),
                topic: q.topic.clone(),
                kind: q.kind,
                irt: q.irt,
                answer: json!(null),
            })
            .collect(),
        result: Some(QuizResult {
            completed_at: Timestamp(at),
            score: 0,
            max_score: 40,
            correct: 0,
            partial: 0,
            incorrect: 0,
            skipped: 0,
            items: qs
                .iter()
                .zip(&outcomes)
                .map(|(q, o)| ItemResult {
                    question_id: q.id.as_str().into(),
                    response: json!(null),
                    marks: if *o == Outcome::Correct { 4 } else { -1 },
                    outcome: *o,
                    seconds: 40,
                    correct_answer: json!(null),
                })
                .collect(),
            abilities: vec![],
        }),
    };
    Write::set(DocPath::parse(&format!("users/{uid}/quizzes/w{n}")).unwrap(), to_fields(&doc).unwrap())
}

async fn seed(store: &Store, bank: &[Question], users: usize, at: chrono::DateTime<chrono::Utc>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut writes = Vec::new();
    for u in 0..users {
        let uid = format!("b{u:07}");
        let mut user = UserDoc::default();
        for k in 0..10 {
            let qs: Vec<&Question> = (0..10).map(|_| &bank[rng.random_range(0..bank.len())]).collect();
            for q in &qs {
                user.abilities.entry(q.topic_key.as_str().into()).or_insert_with(|| TopicStats {
                    subject: q.subject,
                    chapter: q.chapter.clone(),
                    topic: q.topic.clone(),
                    theta: rng.random_range(-2.0..2.0),
                    se: 0.4,
                    answered: 1,
                    correct: 1,
                    updated_at: Timestamp(at),
                });
            }
            writes.push(quiz(&uid, k, at - chrono::Duration::minutes(k as i64), &qs, &mut rng));
        }
        let mut f = to_fields(&user).unwrap();
        f.insert("uid".into(), SV::string(uid.clone()));
        f.insert("last_active_week".into(), SV::string("2026-W48"));
        writes.push(Write::set(DocPath::parse(&format!("users/{uid}")).unwrap(), f));
        if writes.len() >= 5_000 {
            commit_chunked(store.as_ref(), std::mem::take(&mut writes)).await.unwrap();
        }
    }
    commit_chunked(store.as_ref(), writes).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: BENCH_USERS=100000 … -- --ignored --nocapture"]
async fn weekly_snapshot_of_a_synthetic_population() {
    let users: usize = std::env::var("BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let db = shared::testing::temp_dir().join("bench.db");
    let store: Store = std::sync::Arc::new(shared::store::sqlite::SqliteStore::open(&db).unwrap());
    let bank = shared::bank::synthetic::generate(8_000, 42);
    shared::bank::storage::import(store.as_ref(), &bank).await.unwrap();
    let app = TestApp::spawn_on(snapshot_fanout::router(), store, |c| c.store_timeout = Duration::from_secs(300)).await;
    let at = app.clock.now() - chrono::Duration::hours(2);
    let t0 = Instant::now();
    seed(&app.store, &bank, users, at).await;
    let seeded = t0.elapsed();
    let week = IsoWeek::parse("2026-W48").unwrap();
    let t1 = Instant::now();
    trigger(app.store.as_ref(), app.state.jobs.as_ref(), week, app.clock.now()).await.unwrap();
    let planned = t1.elapsed();
    let run = loop {
        let r = RunDoc::read(app.store.as_ref(), "2026-W48").await.unwrap().unwrap();
        if r.state == RunState::Complete {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let total = t1.elapsed();
    assert_eq!(run.users_processed, users as i64);
    println!(
        "BENCH users={users} seed={:.1}s plan+dispatch={:.2}s total={:.1}s users/s={:.0} batches={} items_answered={} recalibrated={} workers={}",
        seeded.as_secs_f64(),
        planned.as_secs_f64(),
        total.as_secs_f64(),
        users as f64 / total.as_secs_f64(),
        run.batches_done,
        run.items_answered,
        run.items_recalibrated,
        app.state.jobs.backend(),
    );
}
