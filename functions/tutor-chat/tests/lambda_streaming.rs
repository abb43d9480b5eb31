//! The tutor-chat binary in Lambda mode with response streaming on (as a function URL with
//! `InvokeMode: RESPONSE_STREAM` runs it): the tutor's SSE answer reaches the Lambda Runtime
//! API chunk by chunk, before the model has finished.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use shared::domain::Tier;
use shared::testing::InstanceFiles;
use shared::testing_lambda::{BodyEvent, FakeLambdaRuntime, function_url_event, joined};
use shared::testing_openai::{FakeOpenAi, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_tutor-chat");

fn with_token(mut event: Value, token: &str) -> Value {
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event
}

#[tokio::test]
async fn the_binary_streams_tutor_answers_on_lambda() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let ai = FakeOpenAi::start().await;
    let mut env = files.env();
    env.extend(runtime.env("tutor-chat"));
    env.push(("JEEVIBE_LAMBDA_RESPONSE_STREAMING", "true".into()));
    env.push(("OPENAI_API_KEY", "sk-test".into()));
    env.push(("OPENAI_BASE_URL", ai.base_url()));
    env.push(("SNAP_IMAGES_URL", files.dir.join("images").display().to_string()));
    let mut child = Command::new(BIN)
        .envs(env)
        .current_dir(&files.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let token = files.token("lambda-student", Tier::Free);

    let created = runtime
        .invoke_streaming(with_token(function_url_event("POST", "/v1/tutor/conversations", "", Some("{}")), &token))
        .await;
    assert_eq!(created.status, 201);
    let (chunks, _) = created.collect().await;
    let conv: Value = serde_json::from_slice(&joined(&chunks)).unwrap();
    let conv = conv["conversation_id"].as_str().unwrap().to_owned();

    // Five deltas, 300 ms apart: the first must arrive long before the last is written.
    ai.push(Reply::stream(&["Newton's ", "second ", "law ", "says ", "F = ma."]).slow(300));
    let path = format!("/v1/tutor/conversations/{conv}/messages");
    let mut answer = runtime
        .invoke_streaming(with_token(
            function_url_event("POST", &path, "", Some(r#"{"content": "F = ma kya hai?"}"#)),
            &token,
        ))
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.header("content-type").unwrap().starts_with("text/event-stream"));
    assert_eq!(answer.request_headers["lambda-runtime-function-response-mode"], "streaming");
    let mut body = String::new();
    let mut first_delta_at = None;
    let ended = loop {
        match answer.next().await {
            BodyEvent::Chunk(c) => {
                body.push_str(&String::from_utf8_lossy(&c.bytes));
                if first_delta_at.is_none() && body.contains("event: delta") {
                    first_delta_at = Some(c.at);
                }
            }
            BodyEvent::End(end) => break end,
        }
    };
    assert!(ended.error.is_none(), "{ended:?}");
    let first = first_delta_at.expect("a delta event");
    assert!(ended.at.duration_since(first) >= Duration::from_millis(900), "the answer streamed, not buffered");
    assert!(body.contains("\"text\":\"Newton's \""), "{body}");
    assert!(body.contains("event: done"), "{body}");
    assert!(body.trim_end().ends_with('}'));
    child.kill().unwrap();
    let _ = child.wait();
}
