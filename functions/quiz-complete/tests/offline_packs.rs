//! Black-box tests of offline practice packs: download with ETag revalidation, the Free
//! refusal, and exactly-once sync (repeated, concurrent, partial then full, after a later
//! online quiz), device-time clamping and every refusal.

use chrono::Duration;
use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::{TestApp, TestResponse, default_now};

async fn app() -> TestApp {
    TestApp::spawn(quiz_generate::router().merge(quiz_complete::router())).await
}

async fn get_with(app: &TestApp, path: &str, token: &str, if_none_match: Option<&str>) -> TestResponse {
    let mut req = app.client.get(format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    TestApp::read(req.send().await.unwrap()).await
}

/// Downloads a pack of `size`; returns (pack id, the stored items with their answer keys).
async fn pack(app: &TestApp, token: &str, uid: &str, size: u32) -> (String, Vec<Value>) {
    let r = app.get(&format!("/v1/offline-packs?size={size}"), token).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["pack_id"].as_str().unwrap().to_owned();
    let doc = app.doc_json(&format!("users/{uid}/offline_packs/{id}")).await;
    (id, doc["items"].as_array().unwrap().clone())
}

fn correct(item: &Value) -> Value {
    match item["type"].as_str().unwrap() {
        "numerical" => item["answer"]["value"].clone(),
        _ => item["answer"].clone(),
    }
}

/// Correct results for `items`, answered on the device at `at` (RFC 3339).
fn results(items: &[Value], at: &str) -> Value {
    let r: Vec<Value> = items
        .iter()
        .map(|i| json!({"question_id": i["question_id"], "answer": correct(i), "seconds": 20, "answered_at": at}))
        .collect();
    json!({ "results": r })
}

fn at(minutes: i64) -> String {
    (default_now() + Duration::minutes(minutes)).to_rfc3339()
}

/// Moves the clock two hours past the pack's issue (device times `at(0..=120)` are then
/// trusted) and mints a fresh token.
fn later(app: &TestApp, uid: &str, tier: Tier) -> String {
    app.clock.set(default_now() + Duration::hours(2));
    app.token(uid, tier)
}

async fn progress(app: &TestApp, token: &str) -> Value {
    let p = app.get("/v1/me/progress", token).await;
    assert_eq!(p.status, 200);
    p.body
}

#[tokio::test]
async fn free_tier_is_refused_with_the_tier_it_needs() {
    let app = app().await;
    let t = app.token("fay", Tier::Free);
    let r = app.get("/v1/offline-packs?size=5", &t).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "tier_required"));
    assert_eq!(r.body["required_tier"], "pro");
    assert_eq!(r.body["tier"], "free");
    assert!(r.body["detail"].as_str().unwrap().contains("pro"));
    // Nothing was issued or counted.
    assert_eq!(app.doc_json("users/fay").await, Value::Null);
}

#[tokio::test]
async fn pack_download_withholds_answers_and_revalidates_with_etag() {
    let app = app().await;
    let t = app.token("pia", Tier::Pro);
    let first = app.get("/v1/offline-packs?size=10", &t).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["issued"], true);
    assert_eq!(first.body["size"], 10);
    assert_eq!(
        first.body["expires_at"],
        (default_now() + Duration::days(7)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    );
    assert!(first.body["version"].as_str().unwrap().starts_with("1."));
    let questions = first.body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 10);
    for q in questions {
        assert!(q.get("answer").is_none() && q.get("solution").is_none() && q.get("irt").is_none(), "{q}");
        assert!(q["stem"].as_str().unwrap().len() > 10);
    }
    let ids: std::collections::HashSet<&str> = questions.iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 10, "no question twice");
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}.0\"", first.body["pack_id"].as_str().unwrap()));
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));

    // Revalidation: same tag (strong or weak, alone or in a list) → 304 without a body.
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}")] {
        let r = get_with(&app, "/v1/offline-packs?size=10", &t, Some(&tag)).await;
        assert_eq!(r.status, 304, "{tag}");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.body, Value::Null);
    }
    // Without the tag the same pack comes again, unchanged.
    let again = app.get("/v1/offline-packs?size=10", &t).await;
    assert_eq!(
        (again.body["pack_id"].clone(), again.body["issued"].clone()),
        (first.body["pack_id"].clone(), json!(false))
    );
    assert_eq!(again.body["questions"], first.body["questions"]);
    // A sync changes what the download shows (`synced`), so the old tag no longer matches.
    let pack_id = first.body["pack_id"].as_str().unwrap().to_owned();
    let items = app.doc_json(&format!("users/pia/offline_packs/{pack_id}")).await["items"].as_array().unwrap().clone();
    let synced = app.post(&format!("/v1/offline-packs/{pack_id}/results"), &t, results(&items[..2], &at(1))).await;
    assert_eq!(synced.status, 200, "{:?}", synced.body);
    let after = get_with(&app, "/v1/offline-packs?size=10", &t, Some(&etag)).await;
    assert_eq!((after.status.as_u16(), after.body["synced"].clone()), (200, json!(2)));
    assert_eq!(after.header("etag"), Some(format!("\"{pack_id}.2\"").as_str()));
    assert_eq!(app.get("/v1/me", &t).await.body["offline_pack"]["etag"], format!("\"{pack_id}.2\""));
    let etag = after.header("etag").unwrap().to_owned();
    assert_eq!(get_with(&app, "/v1/offline-packs?size=10", &t, Some(&etag)).await.status, 304);
    // A different size is a different pack; the old tag no longer matches.
    let other = get_with(&app, "/v1/offline-packs?size=5", &t, Some(&etag)).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body["size"], 5);
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    // Pro practice is unlimited but counted: 15 questions issued today.
    let me = app.get("/v1/me", &t).await;
    assert_eq!(me.body["usage"]["practice_questions"]["used"], 15);
    assert_eq!(me.body["offline_pack"]["id"], other.body["pack_id"]);
    // Within a day of its expiry a pack is replaced.
    app.clock.set(default_now() + Duration::days(6) + Duration::hours(1));
    let t = app.token("pia", Tier::Pro);
    let tag5 = other.header("etag").unwrap().to_owned();
    let fresh = get_with(&app, "/v1/offline-packs?size=5", &t, Some(&tag5)).await;
    assert_eq!((fresh.status.as_u16(), fresh.body["issued"].clone()), (200, json!(true)));
    // Validation.
    for q in ["size=0", "size=51", "size=abc", "colour=red"] {
        let r = app.get(&format!("/v1/offline-packs?{q}"), &t).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "invalid_request"), "{q}");
    }
    // Default size.
    assert_eq!(app.get("/v1/offline-packs", &app.token("ula", Tier::Ultra)).await.body["size"], 20);
}

#[tokio::test]
async fn sync_grades_with_the_quiz_marking_and_applies_once_when_repeated() {
    let app = app().await;
    let t = app.token("raj", Tier::Pro);
    let (id, items) = pack(&app, &t, "raj", 6).await;
    let t = later(&app, "raj", Tier::Pro);
    let path = format!("/v1/offline-packs/{id}/results");
    let body = results(&items, &at(30));
    let r = app.post(&path, &t, body.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["applied_now"].clone(), r.body["applied_total"].clone()), (json!(6), json!(6)));
    for i in r.body["items"].as_array().unwrap() {
        assert_eq!(
            (i["status"].clone(), i["outcome"].clone(), i["marks"].clone()),
            (json!("applied"), json!("correct"), json!(4))
        );
        assert!(i["solution"].as_str().unwrap().len() > 10);
        assert!(i["time_flag"].is_null());
    }
    assert!(
        r.body["abilities"].as_array().unwrap().iter().all(|a| a["theta_after"].as_f64() > a["theta_before"].as_f64())
    );
    let quiz_id = r.body["quiz_id"].as_str().unwrap().to_owned();
    let p = progress(&app, &t).await;
    assert_eq!(
        (p["questions_answered"].clone(), p["correct"].clone(), p["quizzes_completed"].clone()),
        (json!(6), json!(6), json!(1))
    );
    // The same sync again changes nothing and answers from the pack.
    let again = app.post(&path, &t, body).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["applied_now"], 0);
    assert!(again.body["quiz_id"].is_null());
    assert!(again.body["items"].as_array().unwrap().iter().all(|i| i["status"] == "already_applied"));
    // Even with different answers: the first sync's grading stands.
    let wrong: Vec<Value> =
        items.iter().map(|i| json!({"question_id": i["question_id"], "answer": null, "answered_at": at(40)})).collect();
    let r = app.post(&path, &t, json!({"results": wrong})).await;
    assert_eq!(r.body["applied_now"], 0);
    assert!(r.body["items"].as_array().unwrap().iter().all(|i| i["outcome"] == "correct"));
    assert_eq!(progress(&app, &t).await, p);
    // The session is a completed quiz the weekly snapshot reads.
    let record = app.doc_json(&format!("users/raj/quizzes/{quiz_id}")).await;
    assert_eq!(record["status"], "completed");
    assert_eq!(record["result"]["score"], 24);
    let week = app.doc_json("users/raj").await["weeks"]["2026-W48"].clone();
    assert_eq!((week["quizzes"].clone(), week["seconds"].clone()), (json!(1), json!(120)));
}

#[tokio::test]
async fn concurrent_syncs_apply_each_item_once() {
    let app = app().await;
    let t = app.token("cho", Tier::Ultra);
    let (id, items) = pack(&app, &t, "cho", 8).await;
    let t = later(&app, "cho", Tier::Ultra);
    let path = format!("/v1/offline-packs/{id}/results");
    let body = results(&items, &at(10));
    let all = futures::future::join_all((0..8).map(|_| app.post(&path, &t, body.clone()))).await;
    assert!(all.iter().all(|r| r.status == 200), "{:?}", all.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(all.iter().filter(|r| r.body["applied_now"] == 8).count(), 1);
    assert_eq!(all.iter().filter(|r| r.body["applied_now"] == 0).count(), 7);
    let p = progress(&app, &t).await;
    assert_eq!((p["questions_answered"].clone(), p["quizzes_completed"].clone()), (json!(8), json!(1)));
    let doc = app.doc_json(&format!("users/cho/offline_packs/{id}")).await;
    assert_eq!(doc["syncs"], 1);
    assert_eq!(doc["applied"].as_object().unwrap().len(), 8);
}

#[tokio::test]
async fn concurrent_syncs_on_two_instances_apply_each_item_once() {
    // Two instances share the store but not their per-user queues: only the store transaction
    // keeps the sync exactly-once.
    let one = app().await;
    let two =
        TestApp::spawn_on(quiz_generate::router().merge(quiz_complete::router()), one.store.clone(), |_| {}).await;
    let t1 = one.token("duo", Tier::Pro);
    let (id, items) = pack(&one, &t1, "duo", 6).await;
    let t1 = later(&one, "duo", Tier::Pro);
    let t2 = later(&two, "duo", Tier::Pro);
    let path = format!("/v1/offline-packs/{id}/results");
    let body = results(&items, &at(10));
    let calls = (0..6).map(|i| {
        let (app, t) = if i % 2 == 0 { (&one, &t1) } else { (&two, &t2) };
        app.post(&path, t, body.clone())
    });
    let all = futures::future::join_all(calls).await;
    assert!(all.iter().all(|r| r.status == 200), "{:?}", all.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(all.iter().map(|r| r.body["applied_now"].as_i64().unwrap()).sum::<i64>(), 6);
    let p = progress(&one, &t1).await;
    assert_eq!((p["questions_answered"].clone(), p["quizzes_completed"].clone()), (json!(6), json!(1)));
    assert_eq!(one.doc_json(&format!("users/duo/offline_packs/{id}")).await["syncs"], 1);
}

#[tokio::test]
async fn partial_syncs_then_a_full_one_apply_each_item_once() {
    let app = app().await;
    let t = app.token("pam", Tier::Pro);
    let (id, items) = pack(&app, &t, "pam", 10).await;
    let t = later(&app, "pam", Tier::Pro);
    let path = format!("/v1/offline-packs/{id}/results");
    let first = app.post(&path, &t, results(&items[..4], &at(5))).await;
    assert_eq!(first.body["applied_now"], 4);
    let second = app.post(&path, &t, results(&items[2..7], &at(10))).await;
    assert_eq!((second.body["applied_now"].clone(), second.body["applied_total"].clone()), (json!(3), json!(7)));
    let statuses: Vec<&str> =
        second.body["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["already_applied", "already_applied", "applied", "applied", "applied"]);
    let full = app.post(&path, &t, results(&items, &at(15))).await;
    assert_eq!((full.body["applied_now"].clone(), full.body["applied_total"].clone()), (json!(3), json!(10)));
    let p = progress(&app, &t).await;
    assert_eq!((p["questions_answered"].clone(), p["correct"].clone()), (json!(10), json!(10)));
    assert_eq!(p["quizzes_completed"], 3, "each sync that applied something is one session");
    let topics_answered: i64 = p["topics"].as_array().unwrap().iter().map(|t| t["answered"].as_i64().unwrap()).sum();
    assert_eq!(topics_answered, 10);
    let me = app.get("/v1/me", &t).await;
    assert_eq!(
        (me.body["offline_pack"]["applied"].clone(), me.body["offline_pack"]["items"].clone()),
        (json!(10), json!(10))
    );
    // A fully synced pack is replaced by the next download.
    let next = app.get("/v1/offline-packs?size=10", &t).await;
    assert_eq!(next.body["issued"], true);
    assert_ne!(next.body["pack_id"], json!(id));
}

#[tokio::test]
async fn a_sync_arriving_after_a_later_online_quiz_applies_once_in_its_own_week() {
    let app = app().await;
    let t = app.token("oli", Tier::Pro);
    let (id, items) = pack(&app, &t, "oli", 5).await;
    // Practised offline on Saturday 28 (week 48); synced only on Monday 30 (week 49), after an
    // online quiz that day.
    app.clock.set(default_now() + Duration::days(2));
    let t = app.token("oli", Tier::Pro);
    let q = app.post("/v1/quizzes", &t, json!({"size": 3})).await;
    let quiz_id = q.body["quiz_id"].as_str().unwrap();
    let done = app.post(&format!("/v1/quizzes/{quiz_id}/complete"), &t, json!({"answers": []})).await;
    assert_eq!(done.status, 200);
    let before = progress(&app, &t).await;
    let path = format!("/v1/offline-packs/{id}/results");
    let r = app.post(&path, &t, results(&items, &at(60))).await;
    assert_eq!(r.body["applied_now"], 5, "{:?}", r.body);
    assert_eq!(app.post(&path, &t, results(&items, &at(60))).await.body["applied_now"], 0);
    let after = progress(&app, &t).await;
    assert_eq!(after["questions_answered"].as_i64().unwrap(), before["questions_answered"].as_i64().unwrap() + 5);
    // The streak is not rewritten by an older day, and the planner's week does not move back.
    assert_eq!(after["streak"], before["streak"]);
    let user = app.doc_json("users/oli").await;
    assert_eq!(user["last_active_week"], "2026-W49");
    assert_eq!(user["weeks"]["2026-W48"]["quizzes"], 1);
    assert_eq!(user["weeks"]["2026-W49"]["quizzes"], 1);
    let answered48: i64 = user["weeks"]["2026-W48"]["subjects"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["answered"].as_i64().unwrap())
        .sum();
    assert_eq!(answered48, 5);
}

#[tokio::test]
async fn device_times_are_clamped_and_flagged() {
    let app = app().await;
    let t = app.token("tia", Tier::Pro);
    let (id, items) = pack(&app, &t, "tia", 3).await;
    app.clock.set(default_now() + Duration::hours(2));
    let t = app.token("tia", Tier::Pro);
    let body = json!({"results": [
        {"question_id": items[0]["question_id"], "answer": correct(&items[0]), "answered_at": at(24 * 60)},
        {"question_id": items[1]["question_id"], "answer": correct(&items[1]), "answered_at": at(-24 * 60)},
        {"question_id": items[2]["question_id"], "answer": correct(&items[2]), "answered_at": at(30)},
    ]});
    let r = app.post(&format!("/v1/offline-packs/{id}/results"), &t, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got: Vec<(Value, Value)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["time_flag"].clone(), i["answered_at"].clone()))
        .collect();
    let fmt = |m: i64| (default_now() + Duration::minutes(m)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    assert_eq!(
        got,
        [(json!("future"), json!(fmt(120))), (json!("before_issue"), json!(fmt(0))), (Value::Null, json!(fmt(30)))]
    );
}

#[tokio::test]
async fn unknown_foreign_expired_and_stray_results_are_refused_clearly() {
    let app = app().await;
    let t = app.token("ned", Tier::Pro);
    let (id, items) = pack(&app, &t, "ned", 4).await;
    let t = later(&app, "ned", Tier::Pro);
    let path = format!("/v1/offline-packs/{id}/results");
    let q0 = items[0]["question_id"].clone();
    let one = |q: &Value| json!({"results": [{"question_id": q, "answer": null, "answered_at": at(1)}]});
    let cases = [
        (format!("/v1/offline-packs/{}_0123456789abcdef/results", &id[..15]), one(&q0), 404, "pack_not_found"),
        ("/v1/offline-packs/not-a-pack/results".to_owned(), one(&q0), 400, "invalid_pack_id"),
        (path.clone(), one(&json!("mat-zzz-999")), 422, "item_not_in_pack"),
        (
            path.clone(),
            json!({"results": [{"question_id": q0, "answered_at": at(1)}, {"question_id": q0, "answered_at": at(1)}]}),
            422,
            "duplicate_answer",
        ),
        (path.clone(), json!({"results": [{"question_id": q0, "answer": null}]}), 400, "malformed_body"),
        (path.clone(), json!({"results": [{"question_id": q0, "answered_at": "yesterday"}]}), 400, "malformed_body"),
        (
            path.clone(),
            json!({"results": [{"question_id": q0, "seconds": -1, "answered_at": at(1)}]}),
            422,
            "invalid_request",
        ),
    ];
    for (p, body, status, code) in cases {
        let r = app.post(&p, &t, body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{p} {body} -> {:?}", r.body);
    }
    // Another user's pack.
    let r = app.post(&path, &app.token("eve", Tier::Pro), one(&q0)).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "pack_not_owned"));
    // Nothing was applied by the refusals.
    assert_eq!(progress(&app, &t).await["questions_answered"], 0);
    // Sync one item, then let the pack expire: new results are refused, the applied one replays.
    assert_eq!(app.post(&path, &t, results(&items[..1], &at(2))).await.body["applied_now"], 1);
    app.clock.set(default_now() + Duration::days(7) + Duration::seconds(1));
    let t = app.token("ned", Tier::Pro);
    let r = app.post(&path, &t, results(&items, &at(3))).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "pack_expired"));
    let r = app.post(&path, &t, results(&items[..1], &at(2))).await;
    assert_eq!((r.status.as_u16(), r.body["items"][0]["status"].clone()), (200, json!("already_applied")));
}

#[tokio::test]
async fn after_a_downgrade_the_held_pack_still_syncs_but_no_new_one_is_issued() {
    let app = app().await;
    let pro = app.token("dee", Tier::Pro);
    let (id, items) = pack(&app, &pro, "dee", 3).await;
    let free = app.token("dee", Tier::Free);
    let r = app.get("/v1/offline-packs?size=3", &free).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "tier_required"));
    let r = app.post(&format!("/v1/offline-packs/{id}/results"), &free, results(&items, &at(5))).await;
    assert_eq!((r.status.as_u16(), r.body["applied_now"].clone()), (200, json!(3)));
    assert_eq!(progress(&app, &free).await["view"], "basic");
}
