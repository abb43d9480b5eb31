//! Billable store operations per endpoint call, measured through the real router on the test
//! backend (SQLite, or Firestore with `JEEVIBE_TEST_BACKEND=firestore`). These figures feed
//! `docs/cost.md`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shared::clock::SystemClock;
use shared::domain::Tier;
use shared::http::with_common_layers;
use shared::store::metering::{Usage, metered};
use shared::testing::TEST_PROJECT;
use tower::ServiceExt;

async fn app() -> (Router, String) {
    app_for(Tier::Free).await
}

async fn app_for(tier: Tier) -> (Router, String) {
    let (config, keys, _) = shared::testing::keyed_config();
    let state =
        shared::startup::state_with(&config, shared::testing::test_store().await, Arc::new(SystemClock)).await.unwrap();
    let token = keys.mint(TEST_PROJECT, "cost-user", tier, chrono::Utc::now().timestamp(), 3600).unwrap();
    (with_common_layers(all_in_one::router(), state), token)
}

async fn call(app: &Router, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value, Usage) {
    let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
    let ((status, bytes), usage) = metered(async {
        let res = app.clone().oneshot(req).await.unwrap();
        (res.status().as_u16(), res.into_body().collect().await.unwrap().to_bytes())
    })
    .await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), usage)
}

/// Offline results for every question of `pack`, each skipped, answered now.
fn all_skipped(pack: &Value) -> Vec<Value> {
    let now = chrono::Utc::now().to_rfc3339();
    let questions = pack["questions"].as_array().expect("the pack's questions");
    questions.iter().map(|q| json!({"question_id": q["id"], "answer": null, "answered_at": now})).collect()
}

fn ops(reads: u64, writes: u64) -> Usage {
    Usage { reads, writes, deletes: 0 }
}

#[tokio::test]
async fn reads_and_writes_per_endpoint_call() {
    let (app, token) = app().await;
    // Cold instance: the first request also loads the bank (meta + its one chunk).
    let (s, quiz, cold) = call(&app, &token, "POST", "/v1/quizzes", Some(json!({"size": 10}))).await;
    assert_eq!(s, 201);
    // The open quiz goes into the user document: no quiz document until completion.
    assert_eq!(cold, ops(1 + 1 + 1, 1), "cold generate");
    let (s, _, warm) = call(&app, &token, "POST", "/v1/quizzes", Some(json!({"size": 10}))).await;
    assert_eq!(s, 201);
    assert_eq!(warm, ops(1, 1), "warm generate");
    let id = quiz["quiz_id"].as_str().unwrap();
    let path = format!("/v1/quizzes/{id}/complete");
    // Refused after reading the open quiz in the user document.
    let stray = json!({"answers": [{"question_id": "mat-zzz-999", "answer": "A"}]});
    let (s, _, not_in_quiz) = call(&app, &token, "POST", &path, Some(stray)).await;
    assert_eq!(s, 422);
    assert_eq!(not_in_quiz, ops(1, 0), "answer not in the open quiz");
    // Completion moves the quiz from the open to the completed quizzes of the user document:
    // that one write.
    let (s, _, complete) = call(&app, &token, "POST", &path, Some(json!({"answers": []}))).await;
    assert_eq!(s, 200);
    assert_eq!(complete, ops(1, 1), "complete");
    // Replayed from the user document's completed quizzes.
    let (s, _, replay) = call(&app, &token, "POST", &path, Some(json!({"answers": []}))).await;
    assert_eq!(s, 200);
    assert_eq!(replay, ops(1, 0), "replayed complete");
    let stray = json!({"answers": [{"question_id": "mat-zzz-999", "answer": "A"}]});
    let (s, _, stray_replay) = call(&app, &token, "POST", &path, Some(stray)).await;
    assert_eq!(s, 422);
    assert_eq!(stray_replay, ops(1, 0), "answer not in a completed quiz");
    // Found nowhere: the user document, an empty batch query, the absent quiz document.
    let unknown = format!("/v1/quizzes/{}{:08x}89abcdef/complete", &id[..16], chrono::Utc::now().timestamp() + 60);
    let (s, _, not_found) = call(&app, &token, "POST", &unknown, Some(json!({"answers": []}))).await;
    assert_eq!(s, 404);
    assert_eq!(not_found, ops(3, 0), "unknown quiz");
    let expired = format!("/v1/quizzes/{}0123456789abcdef/complete", &id[..16]);
    let (s, _, gone) = call(&app, &token, "POST", &expired, Some(json!({"answers": []}))).await;
    assert_eq!(s, 410);
    assert_eq!(gone, ops(3, 0), "expired quiz");
    let (s, _, progress) = call(&app, &token, "GET", "/v1/me/progress", None).await;
    assert_eq!(s, 200);
    assert_eq!(progress, ops(1, 0), "progress");
    // Refused requests cost nothing or only their reads.
    let (s, _, bad) = call(&app, &token, "POST", "/v1/quizzes", Some(json!({"size": 99}))).await;
    assert_eq!(s, 422);
    assert_eq!(bad, ops(0, 0), "invalid request");
    let (s, _, over) = call(&app, &token, "POST", "/v1/quizzes", Some(json!({"size": 11}))).await;
    assert_eq!(s, 429);
    assert_eq!(over, ops(1, 0), "quota refusal");
    println!(
        "cost per call: cold generate {cold:?}, generate {warm:?}, complete {complete:?}, replay {replay:?}, \
         unknown {not_found:?}, expired {gone:?}, progress {progress:?}"
    );
}

#[tokio::test]
async fn every_tenth_completion_writes_a_batch_and_replays_find_every_place() {
    let size = shared::records::COMPLETED_BATCH_SIZE;
    let (app, token) = app_for(Tier::Pro).await;
    let mut ids = Vec::new();
    for n in 1..=size {
        let (s, quiz, _) = call(&app, &token, "POST", "/v1/quizzes", Some(json!({"size": 1}))).await;
        assert_eq!(s, 201);
        let id = quiz["quiz_id"].as_str().unwrap().to_owned();
        let (s, _, complete) =
            call(&app, &token, "POST", &format!("/v1/quizzes/{id}/complete"), Some(json!({"answers": []}))).await;
        assert_eq!(s, 200);
        // The 10th also creates the batch document the completed quizzes move into.
        let expected = if n == size { ops(1, 2) } else { ops(1, 1) };
        assert_eq!(complete, expected, "completion {n}");
        ids.push(id);
    }
    // In a batch: the user document, then the batch query (1 document).
    let (s, body, from_batch) =
        call(&app, &token, "POST", &format!("/v1/quizzes/{}/complete", ids[0]), Some(json!({"answers": []}))).await;
    assert_eq!((s, body["replayed"].clone()), (200, json!(true)));
    assert_eq!(from_batch, ops(2, 0), "replay from a batch");
    // A quiz document (written by an offline pack sync, or by an earlier version): the user
    // document, the empty batch query, the quiz document.
    let (s, pack, _) = call(&app, &token, "GET", "/v1/offline-packs?size=2", None).await;
    assert_eq!(s, 200);
    let results = all_skipped(&pack);
    let sync_path = format!("/v1/offline-packs/{}/results", pack["pack_id"].as_str().unwrap());
    let (s, synced, _) = call(&app, &token, "POST", &sync_path, Some(json!({"results": results}))).await;
    assert_eq!(s, 200);
    let legacy = synced["quiz_id"].as_str().expect("the sync's quiz record").to_owned();
    let (s, body, from_document) =
        call(&app, &token, "POST", &format!("/v1/quizzes/{legacy}/complete"), Some(json!({"answers": []}))).await;
    assert_eq!((s, body["replayed"].clone()), (200, json!(true)), "{body}");
    assert_eq!(from_document, ops(3, 0), "replay from a quiz document");
    println!(
        "cost per call: 10th completion (batch) ops(1, 2), replay from a batch {from_batch:?}, from a quiz document {from_document:?}"
    );
}

#[tokio::test]
async fn account_and_offline_pack_calls() {
    let (app, token) = app_for(Tier::Pro).await;
    let (s, _, _) = call(&app, &token, "GET", "/healthz", None).await;
    assert_eq!(s, 200);
    let (s, _, me) = call(&app, &token, "GET", "/v1/me", None).await;
    assert_eq!(s, 200);
    assert_eq!(me, ops(1, 0), "me");
    // The first pack call also loads the bank (meta + its one chunk).
    let (s, pack, issue) = call(&app, &token, "GET", "/v1/offline-packs?size=5", None).await;
    assert_eq!(s, 200);
    assert_eq!(issue, ops(1 + 2, 2), "pack issued (cold)");
    // Nothing synced yet: the tag is the pack id and a synced count of 0.
    let etag = format!("\"{}.0\"", pack["pack_id"].as_str().unwrap());
    let req = Request::builder()
        .uri("/v1/offline-packs?size=5")
        .header("authorization", format!("Bearer {token}"))
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let (status, not_modified) = metered(async { app.clone().oneshot(req).await.unwrap().status().as_u16() }).await;
    assert_eq!(status, 304);
    assert_eq!(not_modified, ops(1, 0), "pack revalidated");
    let (s, _, again) = call(&app, &token, "GET", "/v1/offline-packs?size=5", None).await;
    assert_eq!(s, 200);
    assert_eq!(again, ops(2, 0), "current pack downloaded again");
    let results = all_skipped(&pack);
    let path = format!("/v1/offline-packs/{}/results", pack["pack_id"].as_str().unwrap());
    let (s, _, sync) = call(&app, &token, "POST", &path, Some(json!({"results": results}))).await;
    assert_eq!(s, 200);
    assert_eq!(sync, ops(2, 3), "sync");
    let (s, _, replay) = call(&app, &token, "POST", &path, Some(json!({"results": results}))).await;
    assert_eq!(s, 200);
    assert_eq!(replay, ops(2, 0), "sync replayed");
    let (s, _, progress) = call(&app, &token, "GET", "/v1/me/progress", None).await;
    assert_eq!(s, 200);
    assert_eq!(progress, ops(1, 0), "detailed progress");
    println!("cost per call: me {me:?}, pack {issue:?}, 304 {not_modified:?}, sync {sync:?}, replay {replay:?}");
}

#[tokio::test]
async fn an_8000_question_bank_loads_in_a_dozen_reads_and_reimport_cleans_up() {
    use shared::bank::storage::{CHUNKS, import, load, read_meta};
    let store = shared::testing::test_store().await;
    let bank = shared::bank::synthetic::generate(8_000, 42);
    let (_, import_usage) = metered(import(store.as_ref(), &bank)).await;
    let meta = read_meta(store.as_ref()).await.unwrap().unwrap();
    assert_eq!(meta.count, 8_000);
    assert!((3..=20).contains(&meta.chunks), "{} chunks", meta.chunks);
    // Writes: every question, every chunk, the meta; deletes: the sample bank's one chunk.
    assert_eq!(import_usage.writes, 8_000 + meta.chunks as u64 + 1);
    assert_eq!(import_usage.deletes, 1);
    let (questions, load_usage) = metered(load(store.as_ref(), Some(&meta))).await;
    assert_eq!(questions.unwrap().len(), 8_000);
    assert_eq!(load_usage, ops(meta.chunks as u64, 0));
    let left =
        store.query(&shared::store::Query::new(shared::store::CollectionPath::root(CHUNKS).unwrap())).await.unwrap();
    assert_eq!(left.len() as i64, meta.chunks, "only the current version's chunks remain");
    println!("8,000-question bank: {} chunks, cold load {} reads (1 more for the meta)", meta.chunks, load_usage.reads);
}
