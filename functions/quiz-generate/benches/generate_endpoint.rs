//! The whole `POST /v1/quizzes` request in process: token verification (RS256), bank lookup,
//! the store transaction (2 reads, 3 writes on SQLite in memory) and JSON, over a synthetic
//! 8,000-question bank.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use shared::clock::SystemClock;
use shared::domain::Tier;
use shared::http::with_common_layers;
use shared::store::Store;
use shared::store::sqlite::SqliteStore;
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (config, keys, _) = shared::testing::keyed_config();
    let app = rt.block_on(async {
        let store: Store = Arc::new(SqliteStore::in_memory().unwrap());
        shared::bank::storage::import(store.as_ref(), &shared::bank::synthetic::generate(8_000, 42)).await.unwrap();
        let state = shared::startup::state_with(&config, store, Arc::new(SystemClock)).await.unwrap();
        state.bank.get().await.unwrap();
        with_common_layers(quiz_generate::router(), state)
    });
    let token = keys
        .mint(shared::testing::TEST_PROJECT, "bench-user", Tier::Ultra, chrono::Utc::now().timestamp(), 3600)
        .unwrap();
    c.bench_function("post_v1_quizzes_size_10_bank_8000", |b| {
        b.to_async(&rt).iter(|| {
            let req = Request::post("/v1/quizzes")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"size": 10}"#))
                .unwrap();
            let app = app.clone();
            async move {
                let res = app.oneshot(req).await.unwrap();
                assert_eq!(res.status(), 201);
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
