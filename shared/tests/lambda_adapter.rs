//! The Lambda adapter in process, on a real router over a real SQLite store: non-HTTP events
//! go to the function's event handler (or are refused clearly), and property tests feed it
//! arbitrary event shapes and arbitrary `Authorization` values.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::routing::get;
use lambda_http::lambda_runtime::{Context, Diagnostic};
use proptest::prelude::*;
use serde_json::{Value, json};
use shared::auth::AuthUser;
use shared::domain::Tier;
use shared::http::{AppState, with_common_layers};
use shared::runtime::lambda_event::{EventKind, HttpEvent};
use shared::runtime::stage::candidates;
use shared::runtime::{EventError, LambdaApp, LambdaEventHandler};
use shared::testing::{TEST_PROJECT, default_now, keyed_config, test_store};
use shared::testing_lambda::{alb_event, aws_sample_events, http_api_event, rest_api_event};

async fn whoami(user: AuthUser) -> String {
    user.uid.to_string()
}

/// A router with one authenticated route, its state, and a valid token.
async fn app(events: Option<Arc<dyn LambdaEventHandler>>) -> (LambdaApp, String) {
    let (config, keys, _dir) = keyed_config();
    let clock = shared::clock::FixedClock::at(default_now());
    let state = shared::startup::state_with(&config, test_store().await, Arc::new(clock)).await.unwrap();
    let routes: Router<AppState> = Router::new().route("/v1/whoami", get(whoami));
    let token = keys.mint(TEST_PROJECT, "adapter-user", Tier::Free, default_now().timestamp(), 3600).unwrap();
    (LambdaApp::new(with_common_layers(routes, state), events), token)
}

/// Takes SQS batches: each record whose body is not a JSON object is reported as a failed
/// item (the partial batch response of
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>).
struct SqsHandler;

#[async_trait]
impl LambdaEventHandler for SqsHandler {
    async fn handle(&self, event: Value, _ctx: Context) -> Result<Value, EventError> {
        let Some(records) = event["Records"].as_array().filter(|r| r.iter().all(|r| r["eventSource"] == "aws:sqs"))
        else {
            return Err(EventError::NotMine(event));
        };
        if records.is_empty() {
            return Err(anyhow::anyhow!("empty batch").into());
        }
        let failures: Vec<Value> = records
            .iter()
            .filter(|r| !serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")).is_ok_and(|b| b.is_object()))
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        Ok(json!({ "batchItemFailures": failures }))
    }
}

fn sqs_record(id: &str, body: &str) -> Value {
    json!({"messageId": id, "receiptHandle": "h", "body": body, "attributes": {}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-south-1:123456789012:q", "awsRegion": "ap-south-1"})
}

#[tokio::test]
async fn non_http_events_go_to_the_event_handler() {
    let (lambda, token) = app(Some(Arc::new(SqsHandler))).await;
    let batch =
        json!({"Records": [sqs_record("m1", r#"{"ok": 1}"#), sqs_record("m2", "not json"), sqs_record("m3", "[]")]});
    let out = lambda.handle(batch, Context::default()).await.unwrap();
    assert_eq!(out, json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}));

    // The handler's failure is the invocation's error.
    let err = lambda.handle(json!({"Records": []}), Context::default()).await.unwrap_err();
    assert_eq!(err, Diagnostic { error_type: "HandlerError".into(), error_message: "empty batch".into() });

    // An EventBridge schedule is not the handler's: a clear error naming the event's shape.
    let schedule = json!({"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-29T00:00:00Z", "region": "ap-south-1", "resources": [], "detail": {}});
    let err = lambda.handle(schedule, Context::default()).await.unwrap_err();
    assert_eq!(err.error_type, "UnrecognizedEvent");
    assert!(err.error_message.contains("detail-type"), "{}", err.error_message);

    // HTTP events still reach the router when a handler is registered.
    let res = lambda.handle(http_api_event("GET", "v1", "/v1/v1/whoami", "", &token, None), Context::default()).await;
    let res = res.unwrap();
    assert_eq!((res["statusCode"].as_u64(), res["body"].as_str()), (Some(200), Some("adapter-user")));
}

#[tokio::test]
async fn without_a_handler_other_events_are_refused_clearly() {
    let (lambda, _) = app(None).await;
    for event in [json!({"Records": [sqs_record("m1", "{}")]}), json!("text"), json!([1, 2]), Value::Null] {
        let err = lambda.handle(event.clone(), Context::default()).await.unwrap_err();
        assert_eq!(err.error_type, "UnrecognizedEvent", "{event}");
    }
}

#[test]
fn aws_samples_are_classified_by_shape() {
    let kinds: Vec<(String, EventKind)> =
        aws_sample_events().into_iter().map(|(n, e)| (n, EventKind::of(&e))).collect();
    let kind = |name: &str| kinds.iter().find(|(n, _)| n == name).map(|(_, k)| *k).unwrap();
    use shared::runtime::lambda_event::HttpOrigin::*;
    assert_eq!(kind("example-apigw-request.json"), EventKind::Http(ApiGatewayRest));
    assert_eq!(kind("example-apigw-sam-rest-request.json"), EventKind::Http(ApiGatewayRest));
    assert_eq!(kind("example-apigw-v2-request-iam.json"), EventKind::Http(ApiGatewayHttp));
    assert_eq!(kind("example-alb-lambda-target-request-headers-only.json"), EventKind::Http(Alb));
    assert_eq!(kind("example-apigw-custom-auth-request.json"), EventKind::Other);
    assert_eq!(kind("example-apigw-v2-custom-authorizer-v2-request.json"), EventKind::Other);
    assert_eq!(kind("example-apigw-websocket-request.json"), EventKind::Other);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "[ -~]{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text hostile to URIs and headers: quotes, angle brackets, spaces, `%`, `#`, `?`, controls,
/// non-ASCII.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~]{0,24}", "[\"<> %#?/\\\\{}|^`\r\n\t\u{0}a-z\u{e9}\u{1F600}]{0,16}"]
}

/// Events of every HTTP shape with fields replaced by hostile text or arbitrary JSON.
fn arb_http_event(token: String) -> impl Strategy<Value = Value> {
    let template = prop_oneof![
        Just(http_api_event("GET", "v1", "/v1/v1/whoami", "", &token, None)),
        Just(rest_api_event("GET", "prod", "/v1/whoami", &token, None)),
        Just(alb_event("GET", "/v1/whoami", &token, None)),
    ];
    let pointers = prop::sample::select(vec![
        "/rawPath",
        "/rawQueryString",
        "/path",
        "/httpMethod",
        "/requestContext/http/method",
        "/requestContext/stage",
        "/headers/host",
        "/headers/x-forwarded-proto",
        "/headers/authorization",
        "/multiValueHeaders/Authorization",
        "/queryStringParameters",
        "/multiValueQueryStringParameters",
        "/cookies",
        "/body",
        "/isBase64Encoded",
        "/requestContext",
        "/headers",
    ]);
    let value = prop_oneof![hostile_text().prop_map(Value::from), arb_json()];
    (template, prop::collection::vec((pointers, value), 0..5)).prop_map(|(mut ev, edits)| {
        for (pointer, value) in edits {
            if let Some(slot) = ev.pointer_mut(pointer) {
                *slot = value;
            } else if let Some((parent, key)) = pointer.rsplit_once('/')
                && let Some(obj) = ev.pointer_mut(parent).and_then(Value::as_object_mut)
            {
                obj.insert(key.to_owned(), value);
            }
        }
        ev
    })
}

/// The invariant: an HTTP event gets an HTTP answer (2xx, or a 4xx problem); anything else
/// an `UnrecognizedEvent` error; never a 5xx or a panic.
fn check(result: Result<Value, Diagnostic>, event: &Value) -> Result<(), TestCaseError> {
    match result {
        Ok(doc) => {
            prop_assert!(matches!(EventKind::of(event), EventKind::Http(_)), "{event}");
            let status = doc["statusCode"].as_u64().unwrap_or(0);
            prop_assert!((200..500).contains(&status), "{status}: {doc} for {event}");
            if status >= 400 {
                let body: Value = serde_json::from_str(doc["body"].as_str().unwrap_or("")).unwrap_or(Value::Null);
                prop_assert!(body["code"].as_str().is_some(), "{doc}");
            }
        }
        Err(d) => prop_assert_eq!(d.error_type, "UnrecognizedEvent", "{}", event),
    }
    Ok(())
}

#[test]
fn arbitrary_events_get_an_answer_or_a_clear_refusal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lambda, token) = rt.block_on(app(None));
    let config = ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(event in prop_oneof![arb_http_event(token.clone()), arb_json()])| {
        // The request conversion itself: every path candidate makes a valid request.
        if let EventKind::Http(origin) = EventKind::of(&event)
            && let Ok(parsed) = HttpEvent::parse(origin, &event)
        {
            for path in candidates(origin, parsed.stage.as_deref(), &parsed.path) {
                prop_assert!(parsed.clone().into_request(&path).is_ok(), "{path} from {event}");
            }
        }
        let result = rt.block_on(lambda.handle(event.clone(), Context::default()));
        check(result, &event)?;
    });
}

#[test]
fn arbitrary_authorization_headers_are_2xx_or_401() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (lambda, token) = rt.block_on(app(None));
    let config = ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() };
    let header = prop_oneof![
        hostile_text(),
        (
            prop::sample::select(vec!["Bearer", "bearer", "BEARER", "Basic", "", "Bearer\t"]),
            "[ \t]{0,3}",
            hostile_text()
        )
            .prop_map(|(s, sp, t)| format!("{s}{sp}{t}")),
        ("[ \t]{0,2}", prop::sample::select(vec!["Bearer ", "bEaReR  "]))
            .prop_map(move |(sp, s)| format!("{sp}{s}{token}")),
    ];
    proptest!(config, |(value in header)| {
        // The parser alone: a token is non-empty, trimmed and part of the value.
        if let Some(t) = shared::http::auth_extractor::bearer(&value) {
            prop_assert!(!t.is_empty() && t.trim() == t && value.contains(t));
        }
        let mut event = rest_api_event("GET", "prod", "/v1/whoami", "x", None);
        event["headers"] = json!({"Authorization": value});
        event["multiValueHeaders"] = json!({});
        let doc = rt.block_on(lambda.handle(event.clone(), Context::default())).unwrap();
        let status = doc["statusCode"].as_u64().unwrap();
        if status == 200 {
            prop_assert_eq!(doc["body"].as_str(), Some("adapter-user"));
        } else {
            prop_assert_eq!(status, 401, "{}", doc);
            let body: Value = serde_json::from_str(doc["body"].as_str().unwrap()).unwrap();
            let code = body["code"].as_str().unwrap_or("");
            prop_assert!(["missing_token", "invalid_token"].contains(&code), "{}", body);
            prop_assert!(doc["multiValueHeaders"]["www-authenticate"][0].as_str().is_some_and(|c| c.starts_with("Bearer")));
        }
    });
}
