//! Black-box tests of the tier table made visible: `GET /v1/me` for each tier, and the basic
//! (Free) and detailed (Pro, Ultra) progress views.

use chrono::Duration;
use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::{TestApp, default_now};

async fn app() -> TestApp {
    TestApp::spawn(quiz_generate::router().merge(quiz_complete::router())).await
}

/// Generates and completes a quiz answering every question correctly, 30 s each.
async fn practise(app: &TestApp, token: &str, uid: &str, body: Value) -> Value {
    let r = app.post("/v1/quizzes", token, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["quiz_id"].as_str().unwrap().to_owned();
    let items = app.doc_json(&format!("users/{uid}")).await["open_quizzes"][&id]["items"].as_array().unwrap().clone();
    let answers: Vec<Value> = items
        .iter()
        .map(|i| {
            let a = if i["type"] == "numerical" { i["answer"]["value"].clone() } else { i["answer"].clone() };
            json!({"question_id": i["question_id"], "answer": a, "seconds": 30})
        })
        .collect();
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), token, json!({"answers": answers})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn me_serves_each_tiers_entitlements_usage_and_reset() {
    let app = app().await;
    let expected = [
        (
            Tier::Free,
            json!({"practice_questions": 30, "snaps": 3, "tutor_messages": 10}),
            json!(7),
            10_000_000,
            false,
            "basic",
            "limited",
            "basic",
        ),
        (
            Tier::Pro,
            json!({"practice_questions": null, "snaps": 15, "tutor_messages": 50}),
            json!(30),
            100_000_000,
            true,
            "detailed",
            "full",
            "enhanced",
        ),
        (
            Tier::Ultra,
            json!({"practice_questions": null, "snaps": null, "tutor_messages": null}),
            Value::Null,
            500_000_000,
            true,
            "detailed",
            "full",
            "premium",
        ),
    ];
    for (tier, limits, retention, cache, offline, analytics, practice, tutor) in expected {
        let uid = format!("me-{}", tier.as_str());
        let t = app.token(&uid, tier);
        let r = app.post("/v1/quizzes", &t, json!({"size": 4})).await;
        assert_eq!(r.status, 201);
        let me = app.get("/v1/me", &t).await;
        assert_eq!(me.status, 200);
        let b = &me.body;
        assert_eq!((b["uid"].as_str().unwrap(), b["tier"].as_str().unwrap()), (uid.as_str(), tier.as_str()));
        let e = &b["entitlements"];
        assert_eq!(e["daily_limits"], limits, "{tier:?}");
        assert_eq!(e["history_retention_days"], retention);
        assert_eq!(e["image_cache_bytes"], cache);
        assert_eq!(e["offline_practice"], offline);
        assert_eq!(
            (e["analytics"].as_str(), e["practice"].as_str(), e["tutor"].as_str()),
            (Some(analytics), Some(practice), Some(tutor))
        );
        let u = &b["usage"];
        assert_eq!(u["day"], "2026-11-28");
        assert_eq!(u["resets_at"], "2026-11-28T18:30:00Z", "next IST midnight");
        assert_eq!(u["resets_in_seconds"], 12 * 3600);
        assert_eq!(u["practice_questions"]["used"], 4);
        assert_eq!(u["practice_questions"]["limit"], limits["practice_questions"]);
        let remaining = limits["practice_questions"].as_i64().map(|l| l - 4);
        assert_eq!(u["practice_questions"]["remaining"], json!(remaining));
        assert_eq!(u["snaps"]["used"], 0);
        assert_eq!(u["snaps"]["remaining"], limits["snaps"]);
        assert_eq!(u["tutor_messages"]["remaining"], limits["tutor_messages"]);
        assert!(b["offline_pack"].is_null());
    }
    // A new IST day starts every counter at zero.
    app.clock.set(default_now() + Duration::hours(12));
    let me = app.get("/v1/me", &app.token("me-free", Tier::Free)).await;
    assert_eq!(me.body["usage"]["day"], "2026-11-29");
    assert_eq!(me.body["usage"]["practice_questions"]["remaining"], 30);
}

#[tokio::test]
async fn free_gets_the_basic_view() {
    let app = app().await;
    let t = app.token("bea", Tier::Free);
    practise(&app, &t, "bea", json!({"subject": "physics", "size": 5})).await;
    let p = app.get("/v1/me/progress", &t).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.body["view"], "basic");
    assert_eq!(p.body["accuracy"], 1.0);
    assert_eq!(p.body["streak"]["current"], 1);
    assert_eq!(p.body["subjects"][0]["subject"], "physics");
    assert!(p.body["subjects"][0]["mean_theta"].as_f64().unwrap() > 0.0);
    for detailed in ["topics", "chapters", "trend", "weakest", "suggested_quiz", "seconds_per_question"] {
        assert!(p.body.get(detailed).is_none(), "{detailed} is not in the basic view");
    }
}

#[tokio::test]
async fn pro_and_ultra_get_the_detailed_view_with_a_sendable_suggestion() {
    let app = app().await;
    for tier in [Tier::Pro, Tier::Ultra] {
        let uid = format!("det-{}", tier.as_str());
        let t = app.token(&uid, tier);
        // Last week: 4 questions, all correct. This week: one quiz all correct, one all skipped.
        app.clock.set(default_now() - Duration::days(7));
        let t_last = app.token(&uid, tier);
        practise(&app, &t_last, &uid, json!({"subject": "chemistry", "size": 4})).await;
        app.clock.set(default_now());
        practise(&app, &t, &uid, json!({"subject": "mathematics", "size": 6})).await;
        let skip = app.post("/v1/quizzes", &t, json!({"subject": "mathematics", "size": 2})).await;
        let id = skip.body["quiz_id"].as_str().unwrap();
        let done = app.post(&format!("/v1/quizzes/{id}/complete"), &t, json!({"answers": []})).await;
        assert_eq!(done.status, 200);

        let p = app.get("/v1/me/progress", &t).await;
        assert_eq!(p.status, 200);
        let b = &p.body;
        assert_eq!(b["view"], "detailed", "{tier:?}");
        // The basic fields are all there.
        assert_eq!((b["questions_answered"].clone(), b["accuracy"].clone()), (json!(10), json!(1.0)));
        // Per chapter: every chapter practised, with counts adding up.
        let chapters = b["chapters"].as_array().unwrap();
        assert!(!chapters.is_empty());
        assert_eq!(chapters.iter().map(|c| c["answered"].as_i64().unwrap()).sum::<i64>(), 10);
        assert!(
            chapters.iter().any(|c| c["subject"] == "chemistry")
                && chapters.iter().any(|c| c["subject"] == "mathematics")
        );
        // Time per question: 300 s over 12 questions seen.
        assert_eq!(b["seconds_per_question"], 25.0);
        // Trend: 8 weeks, oldest first, this week last.
        let trend = b["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 8);
        assert_eq!(trend[7]["week"], "2026-W48");
        assert_eq!(trend[6]["week"], "2026-W47");
        assert_eq!(trend[0]["week"], "2026-W41");
        assert_eq!(
            (trend[7]["answered"].clone(), trend[7]["quizzes"].clone(), trend[7]["accuracy"].clone()),
            (json!(6), json!(2), json!(1.0))
        );
        assert_eq!(trend[7]["seconds_per_question"], 180.0 / 8.0);
        assert_eq!((trend[6]["answered"].clone(), trend[6]["accuracy"].clone()), (json!(4), json!(1.0)));
        assert!(trend[5]["accuracy"].is_null());
        // Weakest topics: lowest θ first, each with a quiz request that works as is.
        let weakest = b["weakest"].as_array().unwrap();
        assert!(!weakest.is_empty() && weakest.len() <= 3);
        let thetas: Vec<f64> = weakest.iter().map(|w| w["theta"].as_f64().unwrap()).collect();
        assert!(thetas.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(b["suggested_quiz"], weakest[0]["suggested_quiz"]);
        let r = app.post("/v1/quizzes", &t, b["suggested_quiz"].clone()).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert!(r.body["questions"].as_array().unwrap().iter().all(|q| q["chapter"] == weakest[0]["chapter"]));
    }
}

#[tokio::test]
async fn a_tier_change_takes_effect_with_the_next_token() {
    let app = app().await;
    let free = app.token("kim", Tier::Free);
    assert_eq!(app.get("/v1/me/progress", &free).await.body["view"], "basic");
    assert_eq!(app.get("/v1/offline-packs", &free).await.code(), "tier_required");
    let pro = app.token("kim", Tier::Pro);
    assert_eq!(app.get("/v1/me", &pro).await.body["entitlements"]["offline_practice"], true);
    assert_eq!(app.get("/v1/me/progress", &pro).await.body["view"], "detailed");
    assert_eq!(app.get("/v1/offline-packs", &pro).await.status, 200);
    // The old token still carries the old tier.
    assert_eq!(app.get("/v1/me", &free).await.body["tier"], "free");
}
