//! The completion body: wrong-typed fields are named by their path, and arbitrary bodies
//! (arbitrary JSON shapes, near-valid answers, arbitrary bytes) never cause a 5xx.

use proptest::prelude::*;
use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::TestApp;

async fn app() -> TestApp {
    TestApp::spawn(quiz_generate::router().merge(quiz_complete::router())).await
}

/// A quiz of `size` questions for `uid`: (quiz id, its question ids).
async fn quiz(app: &TestApp, token: &str, size: u32) -> (String, Vec<String>) {
    let r = app.post("/v1/quizzes", token, json!({"size": size})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let ids = r.body["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned());
    (r.body["quiz_id"].as_str().unwrap().to_owned(), ids.collect())
}

#[tokio::test]
async fn body_type_errors_name_the_field_path() {
    let app = app().await;
    let t = app.token("fields", Tier::Pro);
    let (id, qs) = quiz(&app, &t, 3).await;
    let ok = |q: &str| json!({"question_id": q, "answer": null, "seconds": 5});
    for (body, field, wrong) in [
        (
            json!({"answers": [ok(&qs[0]), ok(&qs[1]), {"question_id": qs[2], "seconds": "slow"}]}),
            "answers[2].seconds",
            "string \"slow\"",
        ),
        (json!({"answers": [{"question_id": 7}]}), "answers[0].question_id", "integer `7`"),
        (json!({"answers": {"a": 1}}), "answers", "map"),
        (
            json!({"answers": [ok(&qs[0]), {"question_id": qs[1], "extra": 1}]}),
            "answers[1].extra",
            "unknown field `extra`",
        ),
    ] {
        let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "malformed_body"), "{body}: {:?}", r.body);
        assert_eq!(r.body["field"], field, "{body}: {:?}", r.body);
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{field}`")) && detail.contains(wrong), "{body}: {detail}");
    }
    // A missing required field is reported at the object that lacks it.
    let r = app.post(&format!("/v1/quizzes/{id}/complete"), &t, json!({})).await;
    assert_eq!(r.code(), "malformed_body");
    assert!(r.body["detail"].as_str().unwrap().contains("missing field `answers`"), "{:?}", r.body);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies close to valid: known or unknown question ids, any answer, any `seconds`.
fn near_valid(ids: Vec<String>) -> impl Strategy<Value = Value> {
    let id = prop_oneof![prop::sample::select(ids).prop_map(Value::from), arb_json()];
    let seconds = prop_oneof![(-1e6f64..1e6).prop_map(Value::from), arb_json()];
    let answer = (id, arb_json(), seconds).prop_map(|(q, a, s)| json!({"question_id": q, "answer": a, "seconds": s}));
    prop::collection::vec(answer, 0..6).prop_map(|answers| json!({ "answers": answers }))
}

/// 2xx, or a 4xx problem with a code; never a 5xx.
fn assert_answered(status: u16, headers: &reqwest::header::HeaderMap, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{status}: {body}");
    if status >= 400 {
        let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        prop_assert!(ct.starts_with("application/problem+json"), "{status} {ct}");
        prop_assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "{body}");
    }
    Ok(())
}

#[test]
fn arbitrary_completion_bodies_get_2xx_or_a_4xx_problem() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, token, id, ids) = rt.block_on(async {
        let app = app().await;
        let t = app.token("props", Tier::Pro);
        let (id, ids) = quiz(&app, &t, 5).await;
        (app, t, id, ids)
    });
    let url = format!("{}/v1/quizzes/{id}/complete", app.base);
    let send = |body: Vec<u8>| {
        rt.block_on(async {
            let res = app
                .client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, headers) = (res.status().as_u16(), res.headers().clone());
            let body = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null);
            (status, headers, body)
        })
    };
    let config = ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(body in prop_oneof![arb_json(), near_valid(ids.clone())])| {
        let (status, headers, res) = send(serde_json::to_vec(&body).unwrap());
        assert_answered(status, &headers, &res)?;
    });
    proptest!(config, |(bytes in prop::collection::vec(any::<u8>(), 0..64))| {
        let (status, headers, res) = send(bytes);
        assert_answered(status, &headers, &res)?;
        prop_assert!(status >= 400 || status == 200, "{status}");
    });
}
