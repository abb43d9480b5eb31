//! The `quiz-complete` binary in Lambda mode (a fake Runtime API feeding it events): AWS's own
//! sample events route on every stage, stages named like a route segment, and event fields
//! that are not valid in a URI or a header get a normal answer instead of a panic.

use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::InstanceFiles;
use shared::testing_lambda::{
    FakeLambdaRuntime, alb_event, aws_sample_events, http_api_event, rest_api_event, spawn_lambda_function,
};

const BIN: &str = env!("CARGO_BIN_EXE_quiz-complete");

struct Function {
    runtime: FakeLambdaRuntime,
    child: std::process::Child,
    token: String,
    _files: InstanceFiles,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn function() -> Function {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = spawn_lambda_function(BIN, "quiz-complete", files.env(), &files.dir, &runtime);
    let token = files.token("stage-user", Tier::Free);
    Function { runtime, child, token, _files: files }
}

/// `(statusCode, body as JSON)` of a response document.
fn answer(res: &Value) -> (u64, Value) {
    let status = res["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode in {res}"));
    let body = serde_json::from_str(res["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (status, body)
}

#[derive(Debug, PartialEq)]
enum Shape {
    Rest,
    Http,
    Alb,
    NotARequest,
}

/// The test's own reading of a sample's shape (independent of the adapter's).
fn shape(ev: &Value) -> Shape {
    let authorizer = ev.get("type").is_some() && (ev.get("methodArn").is_some() || ev.get("routeArn").is_some());
    if authorizer || ev["requestContext"].get("eventType").is_some() {
        Shape::NotARequest
    } else if ev["requestContext"].get("elb").is_some() {
        Shape::Alb
    } else if ev["requestContext"].get("http").is_some() {
        Shape::Http
    } else if ev.get("httpMethod").is_some() {
        Shape::Rest
    } else {
        Shape::NotARequest
    }
}

fn set_header(ev: &mut Value, name: &str, value: &str) {
    for key in ["headers", "multiValueHeaders"] {
        if let Some(map) = ev.get_mut(key).and_then(Value::as_object_mut) {
            map.retain(|k, _| !k.eq_ignore_ascii_case(name));
            let v = if key == "headers" { json!(value) } else { json!([value]) };
            map.insert(name.to_owned(), v);
        }
    }
    if ev.get("headers").is_none_or(Value::is_null) {
        ev["headers"] = json!({ name: value });
    }
}

/// The sample, turned into `GET path` with a valid token (everything else as AWS wrote it).
fn retarget(mut ev: Value, path: &str, token: &str) -> Value {
    match shape(&ev) {
        Shape::Http => {
            ev["rawPath"] = json!(path);
            ev["requestContext"]["http"]["method"] = json!("GET");
            ev["requestContext"]["http"]["path"] = json!(path);
        }
        _ => {
            ev["httpMethod"] = json!("GET");
            ev["path"] = json!(path);
        }
    }
    set_header(&mut ev, "authorization", &format!("Bearer {token}"));
    ev
}

fn stage_of(ev: &Value) -> Option<String> {
    ev["requestContext"]["stage"].as_str().filter(|s| *s != "$default").map(str::to_owned)
}

#[tokio::test]
async fn aws_sample_events_route_on_every_stage() {
    let f = function().await;
    let samples = aws_sample_events();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for (name, ev) in samples {
        let kind = shape(&ev);
        *seen.entry(format!("{kind:?}")).or_default() += 1;
        if kind == Shape::NotARequest {
            // Authorizer and WebSocket events are not requests to route: with no event handler
            // registered they are refused with a clear error, not a panic or a fake 200.
            let err = f.runtime.invoke_outcome(ev).await.expect_err(&name);
            assert_eq!(err["errorType"], "UnrecognizedEvent", "{name}: {err}");
            assert!(err["errorMessage"].as_str().unwrap().contains("unrecognized event"), "{name}: {err}");
            continue;
        }
        let stage = stage_of(&ev);
        let mut paths = vec!["/v1/me/progress".to_owned()];
        if let Some(stage) = &stage {
            paths.push(format!("/{stage}/v1/me/progress"));
        }
        for path in &paths {
            let res = f.runtime.invoke(retarget(ev.clone(), path, &f.token)).await;
            let (status, body) = answer(&res);
            assert_eq!(status, 200, "{name} on stage {stage:?} with path {path}: {res}");
            assert_eq!(body["uid"], "stage-user", "{name}");
        }
        // A route that is not there is still 404, with or without the stage in the path.
        let mut missing = vec!["/v1/me/nope".to_owned()];
        if let Some(stage) = &stage {
            missing.push(format!("/{stage}/v1/me/nope"));
        }
        for path in &missing {
            let res = f.runtime.invoke(retarget(ev.clone(), path, &f.token)).await;
            let (status, body) = answer(&res);
            assert_eq!(status, 404, "{name} {path}: {res}");
            assert_eq!(body["code"], "not_found", "{name} {path}");
        }
    }
    // The corpus is really there: the REST samples on stages testStage / Prod / prod /
    // test-invoke-stage, the HTTP API samples and both ALB samples.
    assert!(seen.get("Rest").copied().unwrap_or(0) >= 5, "{seen:?}");
    assert!(seen.get("Http").copied().unwrap_or(0) >= 5, "{seen:?}");
    assert_eq!(seen.get("Alb").copied(), Some(2), "{seen:?}");
}

#[tokio::test]
async fn stages_named_like_a_route_segment() {
    let f = function().await;
    let t = &f.token;
    for stage in ["v1", "prod", "$default", "me"] {
        // `$default` is never part of a URL, so `/$default/...` is a path like any other.
        let prefixed = format!("/{stage}/v1/me/progress");
        let paths = if stage == "$default" { vec!["/v1/me/progress"] } else { vec!["/v1/me/progress", &prefixed] };
        for path in paths {
            for ev in [http_api_event("GET", stage, path, "", t, None), rest_api_event("GET", stage, path, t, None)] {
                let res = f.runtime.invoke(ev).await;
                assert_eq!(answer(&res).0, 200, "stage {stage} path {path}: {res}");
            }
        }
        for path in ["/v1/nope", &format!("/{stage}/v1/nope"), "/nope", &format!("/{stage}")] {
            let res = f.runtime.invoke(http_api_event("GET", stage, path, "", t, None)).await;
            assert_eq!(answer(&res).0, 404, "stage {stage} path {path}: {res}");
        }
        // The route matched after the stage is removed keeps its methods: 405, not 404.
        let path = if stage == "$default" { "/v1/me/progress" } else { &prefixed };
        let res = f.runtime.invoke(http_api_event("DELETE", stage, path, "", t, None)).await;
        assert_eq!(answer(&res).0, 405, "stage {stage}: {res}");
    }
    let res = f.runtime.invoke(alb_event("GET", "/v1/me/progress", t, None)).await;
    assert_eq!(answer(&res).0, 200, "{res}");
}

#[tokio::test]
async fn fields_invalid_in_a_uri_or_header_get_an_answer_not_a_panic() {
    let f = function().await;
    let t = &f.token;
    for q in ["q=\"x\"", "q=<a>", "q=a b", "q=%", "q=%zz", "q=#frag", "q=ü{}|\\^`", "q=\u{0}\n"] {
        let res = f.runtime.invoke(http_api_event("GET", "$default", "/v1/me/progress", q, t, None)).await;
        assert_eq!(answer(&res).0, 200, "rawQueryString {q:?}: {res}");
    }
    for path in ["/v1/me/progress x", "/v1/me/<progress>", "v1/me/progress", "", "/\u{1F600}", "/v1/me/progress?x#y"] {
        let res = f.runtime.invoke(http_api_event("GET", "prod", path, "", t, None)).await;
        let status = answer(&res).0;
        let expected = if path == "v1/me/progress" { 200 } else { 404 };
        assert_eq!(status, expected, "rawPath {path:?}: {res}");
    }
    // Host and forwarding headers lambda_http would put into an absolute URI, header names and
    // values that are not HTTP, REST and ALB query maps with characters a URI cannot hold.
    let mut ev = rest_api_event("GET", "testStage", "/v1/me/progress", t, None);
    ev["headers"]["Host"] = json!("exa mple.com/<x>");
    ev["headers"]["X-Forwarded-Proto"] = json!("ht tp");
    ev["headers"]["bad name"] = json!("x");
    ev["headers"]["X-Broken"] = json!("a\r\nInjected: yes");
    ev["multiValueHeaders"]["X-Numbers"] = json!([1, null, "ok"]);
    ev["queryStringParameters"] = json!({"q": "a b\"<>", "é": "#"});
    ev["multiValueQueryStringParameters"] = json!({"q": ["a b\"<>", "&="], "é": ["#"]});
    ev["requestContext"]["domainName"] = json!("bad host");
    let res = f.runtime.invoke(ev).await;
    assert_eq!(answer(&res).0, 200, "{res}");
    let mut ev = alb_event("GET", "/v1/me/progress", t, None);
    ev["queryStringParameters"] = json!({"q": "a b\"<>%"});
    ev["headers"]["host"] = json!("bad host");
    let res = f.runtime.invoke(ev).await;
    assert_eq!(answer(&res).0, 200, "{res}");
    let mut ev = http_api_event("GET", "v1", "/v1/v1/me/progress", "", t, None);
    ev["cookies"] = json!(["a=1", "b=\n2", 3]);
    ev["headers"]["host"] = json!("exa mple");
    let res = f.runtime.invoke(ev).await;
    assert_eq!(answer(&res).0, 200, "{res}");

    // Refusals are 4xx problems in the front end's response shape.
    let mut ev = http_api_event("POST", "$default", "/v1/quizzes/q1/complete", "", t, Some("not base64!"));
    ev["isBase64Encoded"] = json!(true);
    let res = f.runtime.invoke(ev).await;
    let (status, body) = answer(&res);
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed_body")), "{res}");
    let mut ev = rest_api_event("GET", "prod", "/v1/me/progress", t, None);
    ev["httpMethod"] = json!("GE T");
    let res = f.runtime.invoke(ev).await;
    let (status, body) = answer(&res);
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed_request")), "{res}");
    assert!(res["multiValueHeaders"]["content-type"][0].as_str().unwrap().starts_with("application/problem+json"));
    let res = f.runtime.invoke(http_api_event("GET", "$default", "/v1/me/progress", "", "not-a-token", None)).await;
    let (status, body) = answer(&res);
    assert_eq!((status, body["code"].as_str()), (401, Some("invalid_token")), "{res}");

    // The process is alive and still answers.
    let res = f.runtime.invoke(http_api_event("GET", "$default", "/v1/me/progress", "", t, None)).await;
    assert_eq!(answer(&res).0, 200);
}
