//! The `quiz-generate` binary in Lambda mode on named stages (the cases of issue 6), and body
//! type errors that name the field, over Lambda and over HTTP.

use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::{InstanceFiles, TestApp};
use shared::testing_lambda::{FakeLambdaRuntime, alb_event, http_api_event, rest_api_event, spawn_lambda_function};

const BIN: &str = env!("CARGO_BIN_EXE_quiz-generate");

fn answer(res: &Value) -> (u64, Value) {
    let status = res["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode in {res}"));
    (status, serde_json::from_str(res["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_route_answers_on_named_stages() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut child = spawn_lambda_function(BIN, "quiz-generate", files.env(), &files.dir, &runtime);
    let t = files.token("stage-user", Tier::Free);
    let body = Some(r#"{"size": 1}"#);

    // REST API, stage `prod`: the path carries no stage (or, behind some mappings, does).
    for path in ["/healthz", "/prod/healthz"] {
        let res = runtime.invoke(rest_api_event("GET", "prod", path, &t, None)).await;
        assert_eq!(answer(&res), (200, json!({"status": "ok"})), "{path}: {res}");
    }
    // HTTP API, stage `v1`: rawPath carries the stage, so route `/v1/quizzes` arrives as
    // `/v1/v1/quizzes`; without the prefix it must work too.
    for path in ["/healthz", "/v1/healthz"] {
        let res = runtime.invoke(http_api_event("GET", "v1", path, "", &t, None)).await;
        assert_eq!(answer(&res).0, 200, "{path}: {res}");
    }
    for path in ["/v1/v1/quizzes", "/v1/quizzes"] {
        let res = runtime.invoke(http_api_event("POST", "v1", path, "", &t, body)).await;
        let (status, b) = answer(&res);
        assert_eq!(status, 201, "{path}: {res}");
        assert_eq!(b["questions"].as_array().unwrap().len(), 1);
    }
    let res = runtime.invoke(rest_api_event("POST", "v1", "/v1/quizzes", &t, body)).await;
    assert_eq!(answer(&res).0, 201, "{res}");
    let res = runtime.invoke(alb_event("POST", "/v1/quizzes", &t, body)).await;
    assert_eq!(answer(&res).0, 201, "{res}");
    assert_eq!(res["statusDescription"], "201 Created");
    // Not there on any stage.
    for (stage, path) in
        [("v1", "/v1/v1/quizzes/x"), ("v1", "/v1/quizzes/x"), ("prod", "/prod/nope"), ("$default", "/v1")]
    {
        let res = runtime.invoke(http_api_event("POST", stage, path, "", &t, body)).await;
        assert_eq!(answer(&res).1["code"], "not_found", "{stage} {path}: {res}");
    }
    // A wrong-typed field is named, on Lambda as over HTTP.
    let res = runtime.invoke(http_api_event("POST", "v1", "/v1/v1/quizzes", "", &t, Some(r#"{"size": 10.5}"#))).await;
    let (status, problem) = answer(&res);
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (400, Some("malformed_body"), Some("size"))
    );
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn body_type_errors_name_the_field() {
    let app = TestApp::spawn(quiz_generate::router()).await;
    let t = app.token("field-user", Tier::Free);
    for (body, field, wrong) in [
        (json!({"size": 10.5}), "size", "floating point `10.5`"),
        (json!({"size": "10"}), "size", "string \"10\""),
        (json!({"subject": 3}), "subject", "integer `3`"),
        (json!({"chapter": ["a"]}), "chapter", "sequence"),
    ] {
        let res = app.post("/v1/quizzes", &t, body.clone()).await;
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(res.code(), "malformed_body");
        assert_eq!(res.body["field"], field, "{body}: {}", res.body);
        let detail = res.body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{field}`")) && detail.contains(wrong), "{body}: {detail}");
    }
}
