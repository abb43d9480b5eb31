//! The same binary on both runtime paths: HTTP on $PORT (Cloud Run) with graceful SIGTERM
//! shutdown, and Lambda (a fake Runtime API feeding API Gateway v1/v2 and ALB events).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::InstanceFiles;
use shared::testing_lambda::FakeLambdaRuntime;

const BIN: &str = env!("CARGO_BIN_EXE_quiz-generate");

fn spawn(envs: Vec<(&'static str, String)>, dir: &std::path::Path) -> Child {
    Command::new(BIN)
        .envs(envs)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn function binary")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn http_path_serves_and_drains_on_sigterm() {
    let files = InstanceFiles::create().await;
    let port = free_port();
    let mut env = files.env();
    env.push(("PORT", port.to_string()));
    let mut child = spawn(env, &files.dir);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");
    let res = client
        .post(format!("{base}/v1/quizzes"))
        .bearer_auth(files.token("alice", Tier::Free))
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .json(&json!({"size": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["questions"].as_array().unwrap().len(), 3);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..50 {
        if let Some(s) = child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exited = exited.expect("exits within 5 s of SIGTERM");
    assert!(exited.success(), "graceful exit, got {exited:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    let line: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["route"] == "/v1/quizzes")
        .unwrap_or_else(|| panic!("JSON request log line missing in:\n{log}"));
    assert_eq!(line["status"], 201);
    assert_eq!(line["severity"], "INFO", "Cloud Logging reads severity");
    assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(line["uid"], "alice");
    assert!(line["store_reads"].as_u64().unwrap() >= 2);
    assert_eq!(line["store_writes"], 1, "the user document only: the open quiz lives in it");
    assert!(line["latency_ms"].as_f64().is_some());
}

fn v2_event(method: &str, path: &str, token: &str, body: Option<&str>) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}"), "content-type": "application/json", "host": "abc.execute-api.ap-south-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.ap-south-1.amazonaws.com",
            "domainPrefix": "abc", "requestId": "r-1", "routeKey": "$default", "stage": "$default",
            "time": "29/Nov/2026:08:00:00 +0000", "timeEpoch": 1_795_939_200_000_i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"}
        },
        "body": body,
        "isBase64Encoded": false
    })
}

#[tokio::test]
async fn lambda_path_handles_api_gateway_and_alb_events() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut env = files.env();
    env.extend(runtime.env("quiz-generate"));
    let mut child = Command::new(BIN)
        .envs(env)
        .current_dir(&files.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let token = files.token("lambda-user", Tier::Free);

    // API Gateway HTTP API (payload v2.0) and Lambda function URLs use this shape.
    let res = runtime.invoke(v2_event("POST", "/v1/quizzes", &token, Some(r#"{"size": 2}"#))).await;
    assert_eq!(res["statusCode"], 201, "{res}");
    let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["questions"].as_array().unwrap().len(), 2);
    assert_eq!(body["quota"]["remaining"], 28);

    let res = runtime.invoke(v2_event("POST", "/v1/quizzes", &token, Some(r#"{"size": 0}"#))).await;
    assert_eq!(res["statusCode"], 422);
    let problem: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(problem["code"], "invalid_request");

    // API Gateway REST API (payload v1.0).
    let v1 = json!({
        "resource": "/{proxy+}", "path": "/v1/quizzes", "httpMethod": "POST",
        "headers": {"Authorization": format!("Bearer {token}"), "Content-Type": "application/json"},
        "multiValueHeaders": {"Authorization": [format!("Bearer {token}")], "Content-Type": ["application/json"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null, "pathParameters": {"proxy": "v1/quizzes"},
        "stageVariables": null,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "POST", "path": "/v1/quizzes", "stage": "$default",
            "requestId": "r-2", "accountId": "123456789012", "apiId": "abc", "identity": {"sourceIp": "203.0.113.7"}},
        "body": "{\"size\": 1, \"subject\": \"chemistry\"}", "isBase64Encoded": false
    });
    let res = runtime.invoke(v1).await;
    assert_eq!(res["statusCode"], 201, "{res}");
    let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["questions"][0]["subject"], "chemistry");

    // Application Load Balancer.
    let alb = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:ap-south-1:123456789012:targetgroup/jv/abc"}},
        "httpMethod": "GET", "path": "/healthz", "queryStringParameters": {}, "headers": {"host": "jv.example"},
        "body": "", "isBase64Encoded": false
    });
    let res = runtime.invoke(alb).await;
    assert_eq!(res["statusCode"], 200, "{res}");
    assert_eq!(serde_json::from_str::<Value>(res["body"].as_str().unwrap()).unwrap()["status"], "ok");

    // Both invocations on the Lambda path spent the same quota as over HTTP would.
    let store = shared::store::sqlite::SqliteStore::open(&files.db).unwrap();
    let path = shared::store::DocPath::parse("users/lambda-user").unwrap();
    let user = shared::store::DocumentStore::get(&store, &path, None).await.unwrap().unwrap();
    let today = shared::domain::IstDay::of(chrono::Utc::now()).to_string();
    let used = shared::store::value::get_path(&user.fields, &format!("usage.{today}.practice_questions"));
    assert_eq!(used, Some(&shared::store::Value::IntegerValue(3)));
    child.kill().unwrap();
    let _ = child.wait();
}
