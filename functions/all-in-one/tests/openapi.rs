//! The OpenAPI document: what `GET /openapi.json` serves is `docs/openapi.json` (regenerate
//! with `make openapi`), it describes every route the router answers, and each function
//! binary serves a document of its own routes plus the common ones.

use serde_json::Value;
use shared::domain::Tier;
use shared::testing::TestApp;

const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

async fn served(app: &TestApp) -> (reqwest::StatusCode, Option<String>, String) {
    let res = app.client.get(format!("{}/openapi.json", app.base)).send().await.expect("request");
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (res.status(), ct, res.text().await.expect("body"))
}

fn paths(doc: &Value) -> Vec<String> {
    doc["paths"].as_object().expect("paths").keys().cloned().collect()
}

#[tokio::test]
async fn served_document_is_the_checked_in_file() {
    let app = TestApp::spawn(all_in_one::documented_router()).await;
    let (status, ct, body) = served(&app).await;
    assert_eq!(status, 200);
    assert_eq!(ct.as_deref(), Some("application/json"));
    let file = std::fs::read_to_string(CHECKED_IN).unwrap_or_default();
    assert!(
        body == file,
        "docs/openapi.json differs from the document the server serves ({} vs {} bytes); regenerate it with `make openapi`",
        file.len(),
        body.len()
    );
    assert_eq!(body, all_in_one::openapi_json(), "the CLI prints what the server serves");
}

#[tokio::test]
async fn document_is_openapi_3_1_with_problem_errors_and_bearer_security() {
    let doc: Value = serde_json::from_str(&all_in_one::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["firebase_id_token"]["scheme"], "bearer");
    assert_eq!(schemes["firebase_id_token"]["bearerFormat"], "JWT");
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(codes.contains(&"quota_exceeded") && codes.contains(&"snap_not_found"), "{codes:?}");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
            assert!(responses.contains_key("500"), "{method} {path}");
            if path.starts_with("/v1/") && !path.starts_with("/v1/snap-images/") {
                assert_eq!(op["security"][0]["firebase_id_token"], serde_json::json!([]), "{method} {path}");
                assert!(responses.contains_key("401"), "{method} {path}");
            }
        }
    }
    assert_eq!(operations, 21);
    assert!(doc["paths"]["/v1/snap-images/{key}"]["get"].is_object(), "axum's {{*key}} is written as {{key}}");
    let sse =
        &doc["paths"]["/v1/tutor/conversations/{conversation_id}/messages"]["post"]["responses"]["200"]["content"];
    assert!(sse["text/event-stream"].is_object() && sse["application/json"].is_object(), "{sse}");
    let upload = &doc["paths"]["/v1/snaps"]["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object() && upload["application/json"].is_object(), "{upload}");
}

#[tokio::test]
async fn every_documented_route_is_answered_by_the_router() {
    let app = TestApp::spawn(all_in_one::documented_router()).await;
    let token = app.token("oa-user", Tier::Pro);
    let doc: Value = serde_json::from_str(&all_in_one::openapi_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{snap_id}", "nope")
            .replace("{conversation_id}", "nope")
            .replace("{quiz_id}", "nope")
            .replace("{pack_id}", "nope")
            .replace("{week}", "2026-W01")
            .replace("{key}", "a/b.jpg");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res =
                app.client.request(m, format!("{}{concrete}", app.base)).bearer_auth(&token).send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            // A route that does not exist answers 404 `not_found` or 405 `method_not_allowed`.
            assert!(
                status != 405 && body["code"] != "not_found",
                "{method} {path} is documented but not routed: {status} {body}"
            );
        }
    }
}

#[tokio::test]
async fn function_routers_still_merge_and_carry_no_document_of_their_own() {
    let app = TestApp::spawn(quiz_generate::router().merge(quiz_complete::router())).await;
    let (status, _, body) = served(&app).await;
    assert_eq!(status, 404, "only documented_router() serves the document: {body}");
}

#[tokio::test]
async fn a_function_binary_serves_its_own_routes_and_the_common_ones() {
    let app = TestApp::spawn(snap_solve::documented_router()).await;
    let (status, _, body) = served(&app).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        paths(&doc),
        [
            "/healthz",
            "/internal/jobs/pubsub",
            "/openapi.json",
            "/v1/snap-images/{key}",
            "/v1/snaps",
            "/v1/snaps/{snap_id}"
        ]
    );
}
