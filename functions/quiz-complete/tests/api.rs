//! Black-box tests of quiz completion and progress against a real instance.

use chrono::Duration;
use serde_json::{Value, json};
use shared::domain::Tier;
use shared::store::DocPath;
use shared::testing::TestApp;

async fn app() -> TestApp {
    TestApp::spawn(quiz_generate::router().merge(quiz_complete::router())).await
}

/// Generates a quiz and returns (quiz id, the open quiz's items with answer keys, from the
/// user document).
async fn quiz(app: &TestApp, token: &str, uid: &str, body: Value) -> (String, Vec<Value>) {
    let r = app.post("/v1/quizzes", token, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["quiz_id"].as_str().unwrap().to_owned();
    let user = app.doc_json(&format!("users/{uid}")).await;
    (id.clone(), user["open_quizzes"][&id]["items"].as_array().unwrap().clone())
}

fn correct_answers(items: &[Value]) -> Value {
    let answers: Vec<Value> = items
        .iter()
        .map(|i| {
            let a = match i["type"].as_str().unwrap() {
                "numerical" => i["answer"]["value"].clone(),
                _ => i["answer"].clone(),
            };
            json!({"question_id": i["question_id"], "answer": a, "seconds": 30})
        })
        .collect();
    json!({ "answers": answers })
}

#[tokio::test]
async fn all_correct_scores_full_marks_and_raises_theta() {
    let app = app().await;
    let t = app.token("alice", Tier::Pro);
    let (id, items) = quiz(&app, &t, "alice", json!({"subject": "mathematics", "size": 10})).await;
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, correct_answers(&items)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["score"], 40);
    assert_eq!(r.body["max_score"], 40);
    assert_eq!(r.body["correct"], 10);
    assert_eq!(r.body["replayed"], false);
    for item in r.body["items"].as_array().unwrap() {
        assert_eq!(item["outcome"], "correct");
        assert!(item["solution"].as_str().unwrap().len() > 10);
    }
    for change in r.body["abilities"].as_array().unwrap() {
        assert!(change["theta_after"].as_f64().unwrap() > change["theta_before"].as_f64().unwrap());
    }
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.body["questions_answered"], 10);
    assert_eq!(p.body["accuracy"], 1.0);
    assert_eq!(p.body["streak"]["current"], 1);
    assert!(p.body["topics"].as_array().unwrap().iter().all(|t| t["theta"].as_f64().unwrap() > 0.0));
    assert_eq!(p.body["subjects"][0]["subject"], "mathematics");
    let week = app.doc_json("users/alice").await["weeks"]["2026-W48"].clone();
    assert_eq!(week["quizzes"], 1);
    assert_eq!(week["subjects"]["mathematics"]["answered"], 10);
    assert_eq!(week["subjects"]["mathematics"]["correct"], 10);
    assert_eq!(week["seconds"], 300);
}

#[tokio::test]
async fn wrong_and_skipped_answers_lower_theta_and_score() {
    let app = app().await;
    let t = app.token("bob", Tier::Pro);
    let (id, items) = quiz(&app, &t, "bob", json!({"subject": "physics", "size": 6})).await;
    // Answer every single-correct question wrongly, skip the rest.
    let answers: Vec<Value> = items
        .iter()
        .filter(|i| i["type"] == "single_correct")
        .map(|i| {
            let wrong = ["A", "B", "C", "D"].into_iter().find(|k| *k != i["answer"]).unwrap();
            json!({"question_id": i["question_id"], "answer": wrong, "seconds": 10})
        })
        .collect();
    let n_wrong = answers.len() as i64;
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, json!({"answers": answers})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["score"], -n_wrong);
    assert_eq!(r.body["incorrect"], n_wrong);
    assert_eq!(r.body["skipped"], 6 - n_wrong);
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.body["questions_answered"], n_wrong);
    if n_wrong > 0 {
        assert!(p.body["topics"].as_array().unwrap().iter().all(|t| t["theta"].as_f64().unwrap() < 0.0));
    }
}

#[tokio::test]
async fn completion_is_idempotent_even_when_concurrent() {
    let app = app().await;
    let t = app.token("carol", Tier::Pro);
    let (id, items) = quiz(&app, &t, "carol", json!({"size": 5})).await;
    let path = format!("/v1/quizzes/{id}/complete");
    let body = correct_answers(&items);
    let results = futures::future::join_all((0..8).map(|_| app.post(&path, &t, body.clone()))).await;
    assert!(results.iter().all(|r| r.status == 200));
    assert_eq!(results.iter().filter(|r| r.body["replayed"] == false).count(), 1);
    // A replay is validated like a first attempt.
    let stray = app.post(&path, &t, json!({"answers": [{"question_id": "mat-zzz-999", "answer": "A"}]})).await;
    assert_eq!((stray.status.as_u16(), stray.code()), (422, "answer_not_in_quiz"));
    // A later completion with different answers returns the stored result unchanged.
    let again = app.post(&path, &t, json!({"answers": []})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["score"], 20);
    assert_eq!(again.body["items"], results[0].body["items"]);
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.body["quizzes_completed"], 1);
    assert_eq!(p.body["questions_answered"], 5);
    let user = app.doc_json("users/carol").await;
    assert_eq!(user["weeks"]["2026-W48"]["quizzes"], 1);
    // The completion moved the quiz, in the shape of a completed quiz, from the open entries
    // to the completed ones of the user document; no quiz document.
    assert!(user["open_quizzes"].get(&id).is_none(), "{}", user["open_quizzes"]);
    let doc = &user["completed_quizzes"][&id];
    assert_eq!((doc["status"].as_str(), doc["uid"].as_str()), (Some("completed"), Some("carol")));
    assert_eq!(doc["items"].as_array().unwrap(), &items);
    assert_eq!(doc["result"]["score"], 20);
    let stored: shared::records::UserDoc =
        app.store.get(&DocPath::parse("users/carol").unwrap(), None).await.unwrap().unwrap().decode().unwrap();
    let completed = &stored.completed_quizzes[&id];
    let completed_at = completed.result.as_ref().unwrap().completed_at;
    assert_eq!(completed.retain_until.unwrap().0, completed_at.0 + Duration::days(30));
    assert!(
        app.store.get(&DocPath::parse(&format!("users/carol/quizzes/{id}")).unwrap(), None).await.unwrap().is_none()
    );
}

#[tokio::test]
async fn concurrent_completions_across_the_batch_boundary_move_ten_quizzes_once() {
    // Two instances over one store, so completions of one user race in the store. 7 quizzes
    // are completed first; 5 more (the open bound) are then each completed twice at once on
    // alternating instances, so the 10th completion, which creates the batch, is among them.
    let first = app().await;
    let second =
        TestApp::spawn_on(quiz_generate::router().merge(quiz_complete::router()), first.store.clone(), |_| {}).await;
    let (t1, t2) = (first.token("bea", Tier::Pro), second.token("bea", Tier::Pro));
    let mut done: Vec<(String, Value)> = Vec::new();
    for _ in 0..7 {
        let (id, items) = quiz(&first, &t1, "bea", json!({"size": 2})).await;
        let r = first.post(&format!("/v1/quizzes/{id}/complete"), &t1, correct_answers(&items)).await;
        assert_eq!(r.status, 200);
        done.push((id, r.body));
    }
    let mut open = Vec::new();
    for _ in 0..shared::records::MAX_OPEN_QUIZZES {
        open.push(quiz(&first, &t1, "bea", json!({"size": 2})).await);
    }
    let calls = open.iter().flat_map(|q| [q, q]).enumerate().map(|(i, (id, items))| {
        let (app, t) = if i % 2 == 0 { (&first, &t1) } else { (&second, &t2) };
        async move { (id.clone(), app.post(&format!("/v1/quizzes/{id}/complete"), t, correct_answers(items)).await) }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(|(_, r)| r.status == 200),
        "{:?}",
        results.iter().map(|(_, r)| &r.body).collect::<Vec<_>>()
    );
    for (id, _) in &open {
        let fresh: Vec<_> = results.iter().filter(|(q, r)| q == id && r.body["replayed"] == false).collect();
        assert_eq!(fresh.len(), 1, "{id} applied exactly once");
        done.push((id.clone(), fresh[0].1.body.clone()));
    }
    let user = first.doc_json("users/bea").await;
    assert_eq!((user["totals"]["quizzes"].clone(), user["totals"]["correct"].clone()), (json!(12), json!(24)));
    let batches = first
        .store
        .query(&shared::store::Query::new(shared::store::CollectionPath::parse("users/bea/quiz_batches").unwrap()))
        .await
        .unwrap();
    assert_eq!(batches.len(), 1, "one batch of {}", shared::records::COMPLETED_BATCH_SIZE);
    let batch: shared::records::QuizBatchDoc = batches[0].decode().unwrap();
    assert_eq!(batch.quiz_ids.len(), shared::records::COMPLETED_BATCH_SIZE);
    assert_eq!(batch.quizzes.len(), shared::records::COMPLETED_BATCH_SIZE);
    let in_map = user["completed_quizzes"].as_object().unwrap();
    assert_eq!(in_map.len(), 2);
    assert!(in_map.keys().all(|id| !batch.quiz_ids.contains(id)), "every quiz in one place");
    assert!(batch.quiz_ids.contains(&batches[0].path.id().to_owned()), "named after the quiz that filled it");
    // Every quiz replays its stored result, whether it is in the batch or the map.
    for (id, body) in &done {
        let r = second.post(&format!("/v1/quizzes/{id}/complete"), &t2, json!({"answers": []})).await;
        assert_eq!((r.status.as_u16(), r.body["replayed"].clone()), (200, json!(true)), "{id}");
        assert_eq!((&r.body["items"], &r.body["score"]), (&body["items"], &body["score"]), "{id}");
    }
}

#[tokio::test]
async fn a_legacy_open_quiz_document_is_completed_in_place() {
    use shared::records::{QuizDoc, QuizStatus};
    use shared::store::{Timestamp, Write, to_fields};
    let app = app().await;
    let t = app.token("lee", Tier::Pro);
    // An open quiz as generations before the move wrote it: its own document, no open entry.
    let (id, items) = quiz(&app, &t, "lee", json!({"size": 3})).await;
    let user: shared::records::UserDoc =
        app.store.get(&DocPath::parse("users/lee").unwrap(), None).await.unwrap().unwrap().decode().unwrap();
    let entry = user.open_quizzes[&id].clone();
    let legacy = QuizDoc {
        uid: "lee".into(),
        status: QuizStatus::Open,
        created_at: entry.created_at,
        expires_at: entry.expires_at,
        subject: None,
        chapter: None,
        items: entry.items,
        result: None,
        retain_until: None,
    };
    let path = DocPath::parse(&format!("users/lee/quizzes/{id}")).unwrap();
    let mut strip = shared::store::Fields::new();
    strip.insert("open_quizzes".into(), shared::store::Value::map(Default::default()));
    app.store
        .commit(vec![
            Write::set(path.clone(), to_fields(&legacy).unwrap()),
            Write::merge(DocPath::parse("users/lee").unwrap(), strip),
        ])
        .await
        .unwrap();
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, correct_answers(&items)).await;
    assert_eq!((r.status.as_u16(), r.body["replayed"].clone()), (200, json!(false)), "{:?}", r.body);
    let doc: QuizDoc = app.store.get(&path, None).await.unwrap().unwrap().decode().unwrap();
    assert_eq!(doc.status, QuizStatus::Completed);
    let completed_at = doc.result.as_ref().unwrap().completed_at;
    assert_eq!(doc.retain_until, Some(Timestamp(completed_at.0 + Duration::days(30))));
    assert!(app.doc_json("users/lee").await.get("completed_quizzes").is_none(), "stays in its own document");
    let again = app.post(&format!("/v1/quizzes/{id}/complete"), &t, json!({"answers": []})).await;
    assert_eq!((again.body["replayed"].clone(), &again.body["items"]), (json!(true), &r.body["items"]));
}

#[tokio::test]
async fn concurrent_completions_on_two_instances_count_once() {
    // Two instances over one store: no shared in-process queue, so the completions race in the
    // store and serialise on the user document (the loser's commit is aborted and replays).
    let first = app().await;
    let second =
        TestApp::spawn_on(quiz_generate::router().merge(quiz_complete::router()), first.store.clone(), |_| {}).await;
    let (t1, t2) = (first.token("cleo", Tier::Pro), second.token("cleo", Tier::Pro));
    let (id, items) = quiz(&first, &t1, "cleo", json!({"size": 4})).await;
    let path = format!("/v1/quizzes/{id}/complete");
    let body = correct_answers(&items);
    let results = futures::future::join_all((0..8).map(|i| {
        let (app, t) = if i % 2 == 0 { (&first, &t1) } else { (&second, &t2) };
        app.post(&path, t, body.clone())
    }))
    .await;
    assert!(results.iter().all(|r| r.status == 200), "{:?}", results.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(results.iter().filter(|r| r.body["replayed"] == false).count(), 1);
    assert!(results.iter().all(|r| r.body["items"] == results[0].body["items"]));
    let user = first.doc_json("users/cleo").await;
    assert_eq!((user["totals"]["quizzes"].clone(), user["totals"]["correct"].clone()), (json!(1), json!(4)));
    assert_eq!(user["weeks"]["2026-W48"]["quizzes"], 1);
}

#[tokio::test]
async fn a_quiz_evicted_by_newer_open_quizzes_is_gone() {
    let app = app().await;
    let t = app.token("finn", Tier::Pro);
    let max = shared::records::MAX_OPEN_QUIZZES;
    let mut quizzes = Vec::new();
    for i in 0..=max {
        // One second apart, as the ids carry their creation second.
        app.clock.set(shared::testing::default_now() + Duration::seconds(i as i64));
        quizzes.push(quiz(&app, &t, "finn", json!({"size": 1})).await);
    }
    let t = app.token("finn", Tier::Pro);
    let user = app.doc_json("users/finn").await;
    assert_eq!(user["open_quizzes"].as_object().unwrap().len(), max);
    let (oldest, _) = &quizzes[0];
    let r = app.post(&format!("/v1/quizzes/{oldest}/complete"), &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "quiz_evicted"), "{:?}", r.body);
    assert_eq!(r.body["max_open_quizzes"], max);
    // The next one is still open and completes.
    let (next, items) = &quizzes[1];
    let r = app.post(&format!("/v1/quizzes/{next}/complete"), &t, correct_answers(items)).await;
    assert_eq!((r.status.as_u16(), r.body["replayed"].clone()), (200, json!(false)), "{:?}", r.body);
    assert_eq!(app.doc_json("users/finn").await["open_quizzes"].as_object().unwrap().len(), max - 1);
    // An id of this user never issued, created after the eviction: unknown.
    let fp = &oldest[3..15];
    let secs = app.clock.now_secs() + 1;
    let r = app.post(&format!("/v1/quizzes/qz_{fp}_{secs:08x}89abcdef/complete"), &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "quiz_not_found"));
    assert_eq!(app.get("/v1/me/progress", &t).await.body["quizzes_completed"], 1);
}

#[tokio::test]
async fn streak_counts_consecutive_ist_days() {
    let app = app().await;
    for day in 0..3 {
        app.clock.set(shared::testing::default_now() + Duration::days(day));
        let t = app.token("dan", Tier::Pro);
        let (id, items) = quiz(&app, &t, "dan", json!({"size": 2})).await;
        assert_eq!(app.post(&format!("/v1/quizzes/{id}/complete"), &t, correct_answers(&items)).await.status, 200);
    }
    let t = app.token("dan", Tier::Pro);
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!((p.body["streak"]["current"].clone(), p.body["streak"]["longest"].clone()), (json!(3), json!(3)));
    app.clock.set(shared::testing::default_now() + Duration::days(5));
    let t = app.token("dan", Tier::Pro);
    assert_eq!(app.get("/v1/me/progress", &t).await.body["streak"]["current"], 0);
}

#[tokio::test]
async fn every_completion_error_has_its_own_code() {
    let app = app().await;
    let t = app.token("erin", Tier::Pro);
    let (id, items) = quiz(&app, &t, "erin", json!({"size": 3})).await;
    let path = format!("/v1/quizzes/{id}/complete");
    let q0 = items[0]["question_id"].as_str().unwrap();
    let single = items.iter().find(|i| i["type"] == "single_correct").or(items.first()).unwrap();
    let bad_shape = match single["type"].as_str().unwrap() {
        "single_correct" => json!("E"),
        "multi_correct" => json!("A"),
        _ => json!("seven"),
    };
    let cases = [
        (json!({"answers": [{"question_id": "mat-zzz-999", "answer": "A"}]}), 422, "answer_not_in_quiz"),
        (
            json!({"answers": [{"question_id": q0, "answer": null}, {"question_id": q0, "answer": null}]}),
            422,
            "duplicate_answer",
        ),
        (json!({"answers": [{"question_id": single["question_id"], "answer": bad_shape}]}), 422, "invalid_answer"),
        (json!({"answers": [{"question_id": q0, "answer": null, "seconds": -5}]}), 422, "invalid_request"),
        (json!({"answers": [{"question_id": q0, "answer": null, "seconds": 1e9}]}), 422, "invalid_request"),
        (json!({"answers": "all of them"}), 400, "malformed_body"),
        (json!({}), 400, "malformed_body"),
    ];
    for (body, status, code) in cases {
        let r = app.post(&path, &t, body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{body} -> {:?}", r.body);
    }
    // Nothing was recorded by the refused attempts.
    assert!(app.doc_json("users/erin").await["open_quizzes"][&id].is_object());
    assert!(
        app.store.get(&DocPath::parse(&format!("users/erin/quizzes/{id}")).unwrap(), None).await.unwrap().is_none()
    );
    let r = app.post("/v1/quizzes/not-a-quiz/complete", &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "invalid_quiz_id"));
    let r = app.post("/v1/quizzes/%ff%fe/complete", &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "malformed_request"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let bob = app.token("bob", Tier::Pro);
    let r = app.post(&path, &bob, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "quiz_not_owned"));
    // Quiz ids carry their creation second: an unknown id from within the quiz lifetime is
    // unknown, one older than the lifetime is expired (it could have been issued then).
    let fp = &id[3..15];
    let secs = app.clock.now_secs();
    let r = app.post(&format!("/v1/quizzes/qz_{fp}_{secs:08x}89abcdef/complete"), &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "quiz_not_found"));
    let r = app.post(&format!("/v1/quizzes/qz_{fp}_0123456789abcdef/complete"), &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "quiz_expired"));
    app.clock.set(shared::testing::default_now() + Duration::hours(25));
    let t = app.token("erin", Tier::Pro);
    let r = app.post(&path, &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "quiz_expired"));
    let expired_at = r.body["detail"].as_str().unwrap().to_owned();
    // A later generation prunes the expired entry; the id still tells it expired, at the same time.
    assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 1})).await.status, 201);
    assert!(app.doc_json("users/erin").await["open_quizzes"].get(&id).is_none());
    let r = app.post(&path, &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "quiz_expired"));
    assert_eq!(r.body["detail"].as_str().unwrap(), expired_at, "generated on a whole second");
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.body["quizzes_completed"], 0);
}

#[tokio::test]
async fn progress_of_a_new_user_is_empty() {
    let app = app().await;
    let t = app.token("newbie", Tier::Free);
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.body["uid"], "newbie");
    assert_eq!(p.body["tier"], "free");
    assert_eq!(p.body["questions_answered"], 0);
    assert!(p.body["accuracy"].is_null());
    assert_eq!(p.body["subjects"], json!([]));
    assert_eq!(p.body["view"], "basic");
    assert!(p.body.get("topics").is_none(), "per-topic θ is detailed analytics (Pro, Ultra)");
}

#[tokio::test]
async fn progress_serves_the_cached_profile_when_the_store_hangs() {
    let inner: shared::store::Store = std::sync::Arc::new(shared::store::sqlite::SqliteStore::in_memory().unwrap());
    shared::startup::import_file(inner.as_ref(), &shared::testing::sample_bank_path()).await.unwrap();
    let flaky = shared::testing::FlakyStore::new(inner);
    let app = TestApp::spawn_on(quiz_generate::router().merge(quiz_complete::router()), flaky.clone(), |c| {
        c.store_timeout = std::time::Duration::from_millis(200)
    })
    .await;
    let t = app.token("gus", Tier::Pro);
    let (id, items) = quiz(&app, &t, "gus", json!({"size": 3})).await;
    assert_eq!(app.post(&format!("/v1/quizzes/{id}/complete"), &t, correct_answers(&items)).await.status, 200);
    let fresh = app.get("/v1/me/progress", &t).await;
    assert_eq!(fresh.status, 200);
    assert!(fresh.header("cache-status").is_none());
    flaky.hang();
    let cached = app.get("/v1/me/progress", &t).await;
    assert_eq!(cached.status, 200);
    assert_eq!(cached.header("cache-status"), Some("jeevibe; hit; detail=store-unavailable"));
    assert_eq!(cached.body, fresh.body);
    // A user this instance never read has no copy: 503.
    let other = app.get("/v1/me/progress", &app.token("nobody", Tier::Pro)).await;
    assert_eq!((other.status.as_u16(), other.code()), (503, "store_unavailable"));
    // Writes fail clearly too.
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, json!({"answers": []})).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "store_unavailable"));
    assert!(r.header("retry-after").is_some());
}
