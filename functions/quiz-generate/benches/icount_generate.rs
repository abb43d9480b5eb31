//! Instruction count (Callgrind, through gungraun) of one whole `POST /v1/quizzes` in process:
//! RS256 token verification, bank lookup, the store transaction on SQLite in memory (1 read,
//! 1 write), JSON. The store's work runs on tokio's blocking threads, so collection is also
//! toggled on for those threads' task loop (`--toggle-collect`); the total is the sum over
//! threads. That toggle also counts the setup's store work (the import of the bank, its first
//! load), which runs on the same threads, so the same setup is measured alone
//! (`setup_only`) and one request costs `post_v1_quizzes − setup_only` (printed by
//! `benches/icount.sh`). Run with `make bench-icount`.

// The gungraun macros generate undocumented modules and constants.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use gungraun::{Callgrind, LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};
use shared::clock::SystemClock;
use shared::domain::Tier;
use shared::http::with_common_layers;
use shared::store::Store;
use shared::store::sqlite::SqliteStore;
use tower::ServiceExt;

/// A warmed-up app (one request served) on an 8,000-question bank, and a token.
struct Endpoint {
    rt: tokio::runtime::Runtime,
    app: Router,
    token: String,
}

fn request(token: &str) -> Request<Body> {
    Request::post("/v1/quizzes")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"size": 10}"#))
        .expect("request")
}

fn endpoint() -> Endpoint {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (config, keys, _) = shared::testing::keyed_config();
    let app = rt.block_on(async {
        let store: Store = Arc::new(SqliteStore::in_memory().expect("sqlite"));
        shared::bank::storage::import(store.as_ref(), &shared::bank::synthetic::generate(8_000, 42))
            .await
            .expect("import");
        let state = shared::startup::state_with(&config, store, Arc::new(SystemClock)).await.expect("state");
        state.bank.get().await.expect("bank");
        with_common_layers(quiz_generate::router(), state)
    });
    let token = keys
        .mint(shared::testing::TEST_PROJECT, "bench-user", Tier::Ultra, chrono::Utc::now().timestamp(), 3600)
        .expect("token");
    let warm = rt.block_on(app.clone().oneshot(request(&token))).expect("warm-up");
    assert_eq!(warm.status(), 201);
    Endpoint { rt, app, token }
}

#[library_benchmark]
#[bench::size_10_bank_8000(setup = endpoint)]
fn post_v1_quizzes(e: Endpoint) -> u16 {
    let res = e.rt.block_on(e.app.clone().oneshot(request(&e.token))).expect("response");
    black_box(res.status().as_u16())
}

// The setup of `post_v1_quizzes` without its request: what the blocking-thread toggle counts
// besides the request. (gungraun takes no doc attribute here.)
#[library_benchmark]
#[bench::size_10_bank_8000(setup = endpoint)]
fn setup_only(e: Endpoint) -> u16 {
    black_box(e.token.len() as u16)
}

library_benchmark_group!(name = generate, benchmarks = [post_v1_quizzes, setup_only]);

main!(
    config = LibraryBenchmarkConfig::default()
        .tool(Callgrind::with_args(["--toggle-collect=*blocking*pool*Inner*run*"]));
    library_benchmark_groups = generate
);
