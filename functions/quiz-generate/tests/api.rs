//! Black-box tests of `POST /v1/quizzes` against a real instance on a loopback port.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use serde_json::json;
use shared::domain::Tier;
use shared::testing::TestApp;

async fn app() -> TestApp {
    TestApp::spawn(quiz_generate::router()).await
}

#[tokio::test]
async fn serves_questions_without_answers() {
    let app = app().await;
    let t = app.token("alice", Tier::Free);
    let r = app.post("/v1/quizzes", &t, json!({"subject": "chemistry", "size": 5})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let qs = r.body["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 5);
    for q in qs {
        assert_eq!(q["subject"], "chemistry");
        assert!(q.get("answer").is_none() && q.get("solution").is_none() && q.get("irt").is_none(), "{q}");
        assert!(q["stem"].as_str().unwrap().len() > 10);
        if q["type"] == "single_correct" || q["type"] == "multi_correct" {
            assert_eq!(q["options"].as_array().unwrap().len(), 4);
        }
    }
    assert!(r.body["quiz_id"].as_str().unwrap().starts_with("qz_"));
    assert_eq!(r.body["quota"]["remaining"], 25);
    assert_eq!(r.header("ratelimit"), Some("\"practice\";r=25;t=43200"));
    assert_eq!(r.header("ratelimit-policy"), Some("\"practice\";q=30;w=86400"));
    // The open quiz, with its grading snapshot, is in the user document; no quiz document yet.
    let id = r.body["quiz_id"].as_str().unwrap();
    let quiz = app.doc_json("users/alice").await["open_quizzes"][id].clone();
    assert_eq!(quiz["items"].as_array().unwrap().len(), 5);
    assert!(quiz["items"][0].get("answer").is_some());
    assert_eq!(quiz["subject"], "chemistry");
    assert!(
        app.store
            .get(&shared::store::DocPath::parse(&format!("users/alice/quizzes/{id}")).unwrap(), None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn chapter_filter_matches_by_name_or_slug() {
    let app = app().await;
    let t = app.token("u1", Tier::Pro);
    for chapter in ["Laws of Motion", "laws-of-motion"] {
        let r = app.post("/v1/quizzes", &t, json!({"chapter": chapter, "size": 2})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(r.body["questions"].as_array().unwrap().iter().all(|q| q["chapter"] == "Laws of Motion"));
    }
}

#[tokio::test]
async fn no_repeats_while_unseen_questions_remain() {
    let app = app().await;
    let t = app.token("bob", Tier::Pro);
    let mut seen = HashSet::new();
    for _ in 0..3 {
        let r = app.post("/v1/quizzes", &t, json!({"subject": "physics", "size": 10})).await;
        assert_eq!(r.status, 201);
        for q in r.body["questions"].as_array().unwrap() {
            assert!(seen.insert(q["id"].as_str().unwrap().to_owned()), "repeated {}", q["id"]);
        }
    }
    assert_eq!(seen.len(), 30, "the 30 physics questions, each once");
    // The pool is now exhausted: the least recently seen come back rather than nothing.
    let r = app.post("/v1/quizzes", &t, json!({"subject": "physics", "size": 10})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["questions"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn free_tier_limit_is_exact_under_concurrency() {
    let app = app().await;
    let t = app.token("carol", Tier::Free);
    let reqs = (0..50).map(|_| app.post("/v1/quizzes", &t, json!({"size": 1})));
    let results = futures::future::join_all(reqs).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    let limited: Vec<_> = results.iter().filter(|r| r.status == 429).collect();
    assert_eq!(ok, 30);
    assert_eq!(limited.len(), 20);
    for r in &limited {
        assert_eq!(r.code(), "quota_exceeded");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.header("retry-after"), Some("43200"), "noon IST: 12 h to midnight");
        assert_eq!(r.header("ratelimit"), Some("\"practice\";r=0;t=43200"));
        assert_eq!(r.body["remaining"], 0);
    }
    let usage = app.doc_json("users/carol").await["usage"]["2026-11-28"].clone();
    assert_eq!(usage["practice_questions"], 30);
    let user = app.doc_json("users/carol").await;
    assert_eq!(user["recent"].as_array().unwrap().len(), 30);
    // Of the 30 quizzes, the newest 5 are open; the older ones were evicted.
    assert_eq!(user["open_quizzes"].as_object().unwrap().len(), shared::records::MAX_OPEN_QUIZZES);
    assert!(user["open_quizzes_evicted_through"].is_object(), "{}", user["open_quizzes_evicted_through"]);
}

#[tokio::test]
async fn paid_tiers_are_unlimited() {
    let app = app().await;
    for (uid, tier) in [("pro1", Tier::Pro), ("ultra1", Tier::Ultra)] {
        let t = app.token(uid, tier);
        for _ in 0..4 {
            let r = app.post("/v1/quizzes", &t, json!({"size": 10})).await;
            assert_eq!(r.status, 201);
            assert!(r.body["quota"]["limit"].is_null());
            assert!(r.header("ratelimit").is_none());
        }
        assert_eq!(app.doc_json(&format!("users/{uid}")).await["usage"]["2026-11-28"]["practice_questions"], 40);
    }
}

#[tokio::test]
async fn quota_resets_at_ist_midnight() {
    let app = app().await;
    // 23:55 IST on 28 Nov = 18:25 UTC.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 18, 25, 0).unwrap());
    let t = app.token("dev", Tier::Free);
    for _ in 0..3 {
        assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 10})).await.status, 201);
    }
    let r = app.post("/v1/quizzes", &t, json!({"size": 1})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("300"));
    // 00:05 IST on 29 Nov = 18:35 UTC: a new day.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 18, 35, 0).unwrap());
    let r = app.post("/v1/quizzes", &t, json!({"size": 10})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let usage = app.doc_json("users/dev").await["usage"].clone();
    assert_eq!(usage["2026-11-28"]["practice_questions"], 30);
    assert_eq!(usage["2026-11-29"]["practice_questions"], 10);
    // Two days later, the days before yesterday are gone from the document.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 18, 35, 0).unwrap());
    let t = app.token("dev", Tier::Free);
    assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 1})).await.status, 201);
    let usage = app.doc_json("users/dev").await["usage"].clone();
    let days: Vec<&String> = usage.as_object().unwrap().keys().collect();
    assert_eq!(days, vec!["2026-12-01"], "only today and yesterday are kept; yesterday had no quiz");
}

#[tokio::test]
async fn request_too_large_for_remaining_quota_is_refused_whole() {
    let app = app().await;
    let t = app.token("erin", Tier::Free);
    assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 25})).await.status, 201);
    let r = app.post("/v1/quizzes", &t, json!({"size": 10})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["remaining"], 5);
    assert_eq!(r.body["requested"], 10);
    assert_eq!(r.header("retry-after"), Some("43200"), "this request succeeds after IST midnight");
    assert_eq!(r.header("ratelimit"), Some("\"practice\";r=5;t=43200"));
    assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 5})).await.status, 201);
}

#[tokio::test]
async fn weak_topic_is_chosen_more_often() {
    let app = app().await;
    // Seed a user whose Kinematics/Projectile motion is weak and Friction strong.
    let weak = "physics/kinematics/projectile-motion";
    let strong = "physics/laws-of-motion/friction";
    let stats = |theta: f64| {
        json!({"subject": "physics", "chapter": "x", "topic": "y", "theta": theta, "se": 0.3, "answered": 20, "correct": 10,
               "updated_at": {"$timestamp": "2026-11-01T00:00:00Z"}})
    };
    let fields =
        shared::store::value::to_fields(&json!({"abilities": {weak: stats(-2.0), strong: stats(2.0)}})).unwrap();
    let path = shared::store::DocPath::parse("users/frank").unwrap();
    app.store.commit(vec![shared::store::Write::set(path, fields)]).await.unwrap();
    let (mut w, mut s) = (0, 0);
    for _ in 0..40 {
        // A fresh window each time so only the topic weights matter.
        app.store
            .commit(vec![shared::store::Write::merge(
                shared::store::DocPath::parse("users/frank").unwrap(),
                shared::store::Fields::from([("recent".to_owned(), shared::store::Value::array(vec![]))]),
            )])
            .await
            .unwrap();
        let r2 =
            app.post("/v1/quizzes", &app.token("frank", Tier::Pro), json!({"subject": "physics", "size": 3})).await;
        for q in r2.body["questions"].as_array().unwrap() {
            match q["topic"].as_str().unwrap() {
                "Projectile motion" => w += 1,
                "Friction" => s += 1,
                _ => {}
            }
        }
    }
    assert!(w > 3 * s.max(1), "weak topic {w} times, strong topic {s} times");
}

#[tokio::test]
async fn validation_errors_have_their_own_codes() {
    let app = app().await;
    let t = app.token("gina", Tier::Free);
    let cases = [
        (json!({"size": 0}), 422, "invalid_request"),
        (json!({"size": 31}), 422, "invalid_request"),
        (json!({"size": -3}), 422, "invalid_request"),
        (json!({"size": "ten"}), 400, "malformed_body"),
        (json!({"subject": "biology"}), 422, "unknown_filter"),
        (json!({"chapter": "Organic Astrology"}), 422, "unknown_filter"),
        (json!({"subject": "mathematics", "chapter": "Kinematics"}), 422, "unknown_filter"),
        (json!({"colour": "red"}), 400, "malformed_body"),
        (json!([1, 2]), 400, "malformed_body"),
        (json!(["chemistry", null, 2]), 400, "malformed_body"),
        (json!(null), 400, "malformed_body"),
    ];
    for (body, status, code) in cases {
        let r = app.post("/v1/quizzes", &t, body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{body} -> {:?}", r.body);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.body["status"], status);
    }
    // Not JSON at all, wrong media type, oversized.
    let url = format!("{}/v1/quizzes", app.base);
    let raw = |b: reqwest::RequestBuilder| async { TestApp::read(b.send().await.unwrap()).await };
    let r = raw(app.client.post(&url).bearer_auth(&t).header("content-type", "application/json").body("{size:")).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "malformed_body"));
    let r = raw(app.client.post(&url).bearer_auth(&t).header("content-type", "text/plain").body("{}")).await;
    assert_eq!((r.status.as_u16(), r.code()), (415, "unsupported_media_type"));
    let big = format!("{{\"chapter\": \"{}\"}}", "x".repeat(100_000));
    let r = raw(app.client.post(&url).bearer_auth(&t).header("content-type", "application/json").body(big)).await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "payload_too_large"));
    // A path parameter that is not UTF-8 is a problem too, as is a timeout-free framework error.
    let r =
        raw(app.client.post(format!("{}/v1/quizzes/%ff%fe/complete", app.base)).bearer_auth(&t).json(&json!({}))).await;
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.status.as_u16(), 404, "quiz-generate alone has no completion route");
    // Nothing was spent by any refused request.
    assert!(app.doc_json("users/gina").await.is_null());
}

#[tokio::test]
async fn auth_and_routing_errors() {
    let app = app().await;
    let r = app.send(reqwest::Method::POST, "/v1/quizzes", None, Some(json!({}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "missing_token"));
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let r = app.post("/v1/quizzes", "not.a.jwt", json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_token"));
    let t = app.token("hana", Tier::Free);
    let r = app.get("/v1/nothing-here", &t).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"));
    let r = app.get("/v1/quizzes", &t).await;
    assert_eq!((r.status.as_u16(), r.code()), (405, "method_not_allowed"));
    assert_eq!(r.header("allow"), Some("POST"));
    let r = app.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn a_store_that_does_not_answer_gives_503_with_retry_after() {
    let inner: shared::store::Store = std::sync::Arc::new(shared::store::sqlite::SqliteStore::in_memory().unwrap());
    shared::startup::import_file(inner.as_ref(), &shared::testing::sample_bank_path()).await.unwrap();
    let flaky = shared::testing::FlakyStore::new(inner);
    let app = TestApp::spawn_on(quiz_generate::router(), flaky.clone(), |c| {
        c.store_timeout = std::time::Duration::from_millis(200)
    })
    .await;
    let t = app.token("ivan", Tier::Free);
    // The bank is loaded while the store still answers; then the store stops answering.
    assert_eq!(app.post("/v1/quizzes", &t, json!({"size": 1})).await.status, 201);
    flaky.hang();
    let started = std::time::Instant::now();
    let r = app.post("/v1/quizzes", &t, json!({"size": 1})).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "store_unavailable"), "{:?}", r.body);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn an_empty_bank_is_503_not_a_filter_error() {
    let store: shared::store::Store = std::sync::Arc::new(shared::store::sqlite::SqliteStore::in_memory().unwrap());
    let app = TestApp::spawn_on(quiz_generate::router(), store, |_| {}).await;
    let r = app.post("/v1/quizzes", &app.token("zed", Tier::Free), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "question_bank_empty"));
    assert_eq!(r.header("retry-after"), Some("60"));
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_it_arrives() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = app().await;
    let t = app.token("kim", Tier::Free);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/quizzes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{}}"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut buf))
        .await
        .expect("answered at once")
        .unwrap();
    let res = String::from_utf8_lossy(&buf[..n]);
    assert!(res.starts_with("HTTP/1.1 413"), "{res}");
    assert!(res.contains("application/problem+json") && res.contains("payload_too_large"), "{res}");
}
