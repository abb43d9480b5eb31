//! Lambda response streaming through a real process: this test binary runs itself again as a
//! Lambda function (`child_lambda_function`, the whole `runtime::start_with` path a function's
//! `main` takes, with `shared::testing_lambda::streaming_test_routes`) against the fake
//! Runtime API, which reads streamed answers chunk by chunk with their arrival times.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lambda_http::lambda_runtime::Context;
use serde_json::{Value, json};
use shared::runtime::{EventError, LambdaEventHandler, RESPONSE_STREAMING_ENV, ResponseMode};
use shared::testing::InstanceFiles;
use shared::testing_lambda::{
    Answer, BodyEvent, FakeLambdaRuntime, alb_event, function_url_event, joined, rest_api_event, streaming_test_routes,
};

/// Set in the environment of the re-executed test binary.
const CHILD: &str = "JEEVIBE_TEST_LAMBDA_CHILD";

/// Takes SQS batches and reports every record whose body is not a JSON object as failed.
struct SqsHandler;

#[async_trait]
impl LambdaEventHandler for SqsHandler {
    async fn handle(&self, event: Value, _ctx: Context) -> Result<Value, EventError> {
        let Some(records) = event["Records"].as_array() else {
            return Err(EventError::NotMine(event));
        };
        let failures: Vec<Value> = records
            .iter()
            .filter(|r| !serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")).is_ok_and(|b| b.is_object()))
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        Ok(json!({ "batchItemFailures": failures }))
    }
}

/// The function process: does nothing unless started by [`spawn`].
#[test]
fn child_lambda_function() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = rt.block_on(shared::runtime::start_with(
        streaming_test_routes,
        shared::runtime::InstanceParts::ALL,
        Some(Arc::new(SqsHandler)),
    ));
    std::process::exit(i32::from(shared::runtime::exit_code(result) != std::process::ExitCode::SUCCESS));
}

/// Starts this binary as a Lambda function against `runtime`, its stderr (JSON logs) in
/// `{dir}/function.log`; `streaming` is the value of the switch (`None`: unset).
fn spawn(files: &InstanceFiles, runtime: &FakeLambdaRuntime, streaming: Option<&str>) -> Child {
    let log = std::fs::File::create(files.dir.join("function.log")).expect("log file");
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "child_lambda_function", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env_remove(RESPONSE_STREAMING_ENV)
        .envs(files.env())
        .envs(runtime.env("stream-test"))
        .current_dir(&files.dir)
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(v) = streaming {
        cmd.env(RESPONSE_STREAMING_ENV, v);
    }
    cmd.spawn().expect("spawn the function process")
}

fn stop(mut child: Child, files: &InstanceFiles) -> String {
    let _ = child.kill();
    let _ = child.wait();
    std::fs::read_to_string(files.dir.join("function.log")).unwrap_or_default()
}

fn sse_events(n: u32, of: u32) -> String {
    (0..n).map(|i| format!("id: {i}\nevent: tick\ndata: {{\"n\":{i},\"of\":{of}}}\n\n")).collect()
}

#[tokio::test]
async fn sse_reaches_the_runtime_api_before_the_handler_finishes() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = spawn(&files, &runtime, Some("true"));
    // Five events 500 ms apart: the handler cannot finish before 2 s after the invocation.
    let invoked_at = Instant::now();
    let handler_takes = Duration::from_millis(4 * 500);
    let mut stream =
        runtime.invoke_streaming(function_url_event("GET", "/test/sse", "events=5&gap_ms=500", None)).await;

    // The wire protocol of a streamed answer.
    let h = &stream.request_headers;
    assert_eq!(h["content-type"], "application/vnd.awslambda.http-integration-response");
    assert_eq!(h["lambda-runtime-function-response-mode"], "streaming");
    assert_eq!(h["transfer-encoding"], "chunked");
    assert_eq!((stream.status, stream.header("content-type")), (200, Some("text/event-stream")));
    assert_eq!(stream.header("cache-control"), Some("no-cache"));
    assert!(stream.cookies.is_empty());

    // The prelude and the first event, on its own, arrive while the handler is still producing
    // the others: had the answer been buffered, they would have come after 2 s, with the last.
    let BodyEvent::Chunk(first) = stream.next().await else { panic!("the stream ended before the first event") };
    assert_eq!(std::str::from_utf8(&first.bytes).unwrap(), sse_events(1, 5));
    assert!(stream.prelude_at <= first.at);
    let first_after = first.at - invoked_at;
    assert!(first_after < handler_takes, "the first event came {first_after:?} after the invocation");
    let (rest, end) = stream.collect().await;
    assert_eq!(end.error, None, "the body ended cleanly");
    assert!(end.at - invoked_at >= handler_takes, "the body ended {:?} after the invocation", end.at - invoked_at);
    assert!(!rest.is_empty() && rest.iter().all(|c| c.at >= first.at));
    let mut body = first.bytes.to_vec();
    body.extend(joined(&rest));
    assert_eq!(String::from_utf8(body).unwrap(), sse_events(5, 5));
    let log = stop(child, &files);
    assert!(log.contains("sse producer finished"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn json_routes_arrive_whole_and_other_events_stay_buffered() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = spawn(&files, &runtime, Some("TRUE"));

    // A JSON answer larger than one chunk, with repeated headers and cookies.
    for event in [
        function_url_event("GET", "/test/json", "items=3000", None),
        // REST API with responseTransferMode STREAM: same format, stage prefix handled.
        rest_api_event("GET", "prod", "/test/json", "unused", None),
    ] {
        let stream = runtime.invoke_streaming(event).await;
        assert_eq!(stream.status, 201, "{}", stream.prelude);
        assert_eq!(stream.header("content-type"), Some("application/json"));
        assert_eq!(stream.header("x-test"), Some("one,two"));
        assert_eq!(stream.header("cache-control"), Some("no-store"));
        assert_eq!(stream.header("content-length"), None, "framing headers stay out of the prelude");
        assert_eq!(stream.header("set-cookie"), None);
        assert_eq!(stream.cookies, ["a=1; Path=/", "b=2; Path=/"]);
        let (chunks, end) = stream.collect().await;
        assert_eq!(end.error, None);
        let body: Value = serde_json::from_slice(&joined(&chunks)).expect("the whole JSON body");
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3000);
        assert_eq!((items[0].as_u64(), items[2999].as_u64()), (Some(0), Some(2999)));
    }

    // Problems are streamed too, with their status and media type.
    let stream = runtime.invoke_streaming(function_url_event("POST", "/v1/nope", "", Some("{}"))).await;
    assert_eq!((stream.status, stream.header("content-type")), (404, Some("application/problem+json")));
    let (chunks, _) = stream.collect().await;
    let problem: Value = serde_json::from_slice(&joined(&chunks)).unwrap();
    assert_eq!((problem["status"].as_u64(), problem["code"].as_str()), (Some(404), Some("not_found")));

    // ALB cannot stream: its events still get the buffered document.
    let res = runtime.invoke(alb_event("GET", "/healthz", "unused", None)).await;
    assert_eq!((res["statusCode"].as_u64(), res["statusDescription"].as_str()), (Some(200), Some("200 OK")));
    assert_eq!(serde_json::from_str::<Value>(res["body"].as_str().unwrap()).unwrap(), json!({"status": "ok"}));

    // An SQS batch gets its normal buffered result document.
    let batch = json!({"Records": [
        {"messageId": "m-1", "eventSource": "aws:sqs", "body": "{\"ok\": true}"},
        {"messageId": "m-2", "eventSource": "aws:sqs", "body": "not json"}
    ]});
    match runtime.invoke_answer(batch).await {
        Answer::Document(Ok(doc)) => assert_eq!(doc, json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]})),
        Answer::Document(Err(e)) => panic!("the batch failed: {e}"),
        Answer::Streamed(s) => panic!("an SQS batch was streamed: {}", s.prelude),
    }
    let log = stop(child, &files);
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn a_client_that_hangs_up_does_not_break_the_function() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = spawn(&files, &runtime, Some("1"));
    let mut stream =
        runtime.invoke_streaming(function_url_event("GET", "/test/sse", "events=30&gap_ms=100", None)).await;
    let BodyEvent::Chunk(first) = stream.next().await else { panic!("no first event") };
    assert!(std::str::from_utf8(&first.bytes).unwrap().starts_with("id: 0\n"));
    stream.cancel();

    // The function is still there and answers the next invocation.
    let next = runtime.invoke_streaming(function_url_event("GET", "/healthz", "", None)).await;
    assert_eq!(next.status, 200);
    let (chunks, end) = next.collect().await;
    assert_eq!(end.error, None);
    assert_eq!(serde_json::from_slice::<Value>(&joined(&chunks)).unwrap(), json!({"status": "ok"}));

    // The handler saw its stream closed long before its 30 events (3 s) were out.
    let mut stopped = None;
    for _ in 0..50 {
        let log = std::fs::read_to_string(files.dir.join("function.log")).unwrap_or_default();
        stopped = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["message"] == "sse reader gone; producer stopped");
        if stopped.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = stop(child, &files);
    let stopped = stopped.unwrap_or_else(|| panic!("the producer did not notice the hang-up:\n{log}"));
    assert!(stopped["sent"].as_u64().unwrap() < 30, "{stopped}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn buffered_mode_stays_the_default() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let child = spawn(&files, &runtime, None);
    let res = runtime.invoke(function_url_event("GET", "/test/sse", "events=3&gap_ms=50", None)).await;
    assert_eq!(res["statusCode"], 200, "{res}");
    assert_eq!(res["headers"]["content-type"], "text/event-stream");
    assert_eq!(res["body"], sse_events(3, 3));
    let res = runtime.invoke(function_url_event("GET", "/test/json", "items=2", None)).await;
    assert_eq!(
        (res["statusCode"].as_u64(), res["cookies"].clone()),
        (Some(201), json!(["a=1; Path=/", "b=2; Path=/"]))
    );
    assert_eq!(res["headers"]["x-test"], "one,two");
    stop(child, &files);
}

#[tokio::test]
async fn an_unknown_switch_value_stops_the_function_at_start() {
    let files = InstanceFiles::create().await;
    let runtime = FakeLambdaRuntime::start().await;
    let mut child = spawn(&files, &runtime, Some("yes please"));
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = stop(child, &files);
    let status = status.unwrap_or_else(|| panic!("the function kept running:\n{log}"));
    assert!(!status.success());
    assert!(log.contains("JEEVIBE_LAMBDA_RESPONSE_STREAMING must be true or false, got \"yes please\""), "{log}");
}

#[test]
fn switch_values() {
    for (value, mode) in [
        (None, ResponseMode::Buffered),
        (Some(""), ResponseMode::Buffered),
        (Some("false"), ResponseMode::Buffered),
        (Some("0"), ResponseMode::Buffered),
        (Some("true"), ResponseMode::Streaming),
        (Some(" True "), ResponseMode::Streaming),
        (Some("1"), ResponseMode::Streaming),
    ] {
        assert_eq!(ResponseMode::parse(value).unwrap(), mode, "{value:?}");
    }
    for bad in ["yes", "on", "2", "streaming"] {
        let e = ResponseMode::parse(Some(bad)).unwrap_err().to_string();
        assert!(e.contains(RESPONSE_STREAMING_ENV) && e.contains(bad), "{e}");
    }
}
