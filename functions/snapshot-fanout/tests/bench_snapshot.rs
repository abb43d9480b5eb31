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

use shared::clock::Clock;
use shared::snapshot::{IsoWeek, RunDoc, RunState, trigger};
use shared::store::Store;
use shared::testing::TestApp;

mod support;

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
    support::population::seed(&app.store, &bank, "b", users, "2026-W48", at).await;
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
