//! The real OpenAI chat client against a local server speaking OpenAI's chat completions wire
//! format, streaming and not (FakeOpenAi).

use std::time::{Duration, Instant};

use shared::ai::{AiError, ChatMessage, ChatRequest, ChatStream, OpenAiClient, OpenAiConfig, StreamEvent};
use shared::domain::Tier;
use shared::problem::{ErrorCode, Problem};
use shared::resilience::{BreakerPolicy, BreakerState, RetryPolicy};
use shared::testing_openai::{FakeOpenAi, PROMPT_TOKENS, Reply};

const KEY: &str = "sk-test-123";

fn config(fake: &FakeOpenAi, deadline: Duration) -> OpenAiConfig {
    OpenAiConfig { api_key: Some(KEY.to_owned()), base_url: fake.base_url(), deadline, ..OpenAiConfig::default() }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(40) }
}

fn client(fake: &FakeOpenAi) -> OpenAiClient {
    OpenAiClient::with_policies(config(fake, Duration::from_secs(3)), BreakerPolicy::default(), fast_retry())
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".to_owned(),
        messages: vec![
            ChatMessage::system("You are a JEE tutor."),
            ChatMessage::user("What is the range of a projectile?"),
            ChatMessage::assistant("Which quantities do you know?"),
            ChatMessage::user("u = 20 m/s, θ = 45°"),
        ],
        max_tokens: 700,
    }
}

/// Every item of a stream, in order.
async fn drain(mut s: ChatStream) -> Vec<Result<StreamEvent, AiError>> {
    let mut items = Vec::new();
    while let Some(item) = s.next_event().await {
        items.push(item);
    }
    items
}

fn deltas(items: &[Result<StreamEvent, AiError>]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(StreamEvent::Delta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn assert_request(r: &shared::testing_openai::Received, stream: bool) {
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.headers.get("authorization").map(String::as_str), Some("Bearer sk-test-123"));
    assert!(r.headers.get("content-type").is_some_and(|v| v.starts_with("application/json")));
    assert_eq!(r.body["model"], "gpt-4o-mini");
    assert_eq!(r.body["max_tokens"], 700);
    assert_eq!(r.body["stream"], stream);
    assert_eq!(
        r.body["messages"],
        serde_json::json!([
            {"role": "system", "content": "You are a JEE tutor."},
            {"role": "user", "content": "What is the range of a projectile?"},
            {"role": "assistant", "content": "Which quantities do you know?"},
            {"role": "user", "content": "u = 20 m/s, θ = 45°"}
        ])
    );
    if stream {
        assert_eq!(r.body["stream_options"], serde_json::json!({"include_usage": true}));
        assert_eq!(r.headers.get("accept").map(String::as_str), Some("text/event-stream"));
    } else {
        assert!(r.body.get("stream_options").is_none(), "{}", r.body);
    }
}

#[tokio::test]
async fn complete_sends_the_documented_request_and_returns_the_answer() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::answer("$R = \\dfrac{u^2 \\sin 2\\theta}{g} = 40\\,\\text{m}$"));
    let c = client(&fake);
    assert!(c.configured());
    let a = c.complete(&request()).await.expect("answer");
    assert_eq!(a.content, "$R = \\dfrac{u^2 \\sin 2\\theta}{g} = 40\\,\\text{m}$");
    assert_eq!(a.finish_reason, "stop");
    assert_eq!(
        (a.usage.model.as_str(), a.usage.input_tokens, a.usage.output_tokens),
        ("gpt-4o-mini", PROMPT_TOKENS, 42)
    );
    assert_eq!(a.usage.attempts, 1);
    assert!(a.usage.latency_ms < 3000);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_request(&reqs[0], false);
}

#[tokio::test]
async fn a_length_finish_is_returned_with_its_reason() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::answer_with("The range is", "length"));
    let a = client(&fake).complete(&request()).await.unwrap();
    assert_eq!((a.content.as_str(), a.finish_reason.as_str()), ("The range is", "length"));
}

#[tokio::test]
async fn tier_settings_from_the_environment_shape_the_request() {
    let fake = FakeOpenAi::start().await;
    let base = fake.base_url();
    let env = |k: &str| match k {
        "OPENAI_API_KEY" => Some(KEY.to_owned()),
        "OPENAI_BASE_URL" => Some(base.clone()),
        "TUTOR_MODEL_ULTRA" => Some("gpt-4.1".to_owned()),
        "TUTOR_MAX_TOKENS_ULTRA" => Some("3000".to_owned()),
        _ => None,
    };
    let config = OpenAiConfig::from_lookup(&env).unwrap();
    let c = OpenAiClient::new(config);
    let tier = c.config().tier(Tier::Ultra).clone();
    let req =
        ChatRequest { model: tier.model, messages: vec![ChatMessage::user("hi")], max_tokens: tier.max_answer_tokens };
    c.complete(&req).await.unwrap();
    let body = &fake.requests()[0].body;
    assert_eq!((body["model"].as_str(), body["max_tokens"].as_u64()), (Some("gpt-4.1"), Some(3000)));
}

#[tokio::test]
async fn stream_sends_the_stream_flag_and_yields_deltas_then_usage() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::stream(&["The range ", "is $40\\,", "\\text{m}$", " — अच्छा?"]));
    let c = client(&fake);
    let items = drain(c.stream(&request()).await.expect("stream")).await;
    assert_eq!(deltas(&items).concat(), "The range is $40\\,\\text{m}$ — अच्छा?");
    assert_eq!(items.len(), 5, "4 deltas and the end: {items:?}");
    match items.last() {
        Some(Ok(StreamEvent::Done { finish_reason, usage: Some(u) })) => {
            assert_eq!(finish_reason, "stop");
            assert_eq!(
                (u.model.as_str(), u.input_tokens, u.output_tokens, u.attempts),
                ("gpt-4o-mini", PROMPT_TOKENS, 4, 1)
            );
        }
        other => panic!("{other:?}"),
    }
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_request(&reqs[0], true);
    let stats = fake.streams();
    assert!(stats[0].completed && !stats[0].client_gone, "{stats:?}");
}

#[tokio::test]
async fn empty_choices_chunks_yield_nothing() {
    let fake = FakeOpenAi::start().await;
    // Azure's content-filter preamble first, the usage-only chunk last: both `choices: []`.
    fake.push(Reply::stream(&["a", "b"]).with_preamble());
    let items = drain(client(&fake).stream(&request()).await.unwrap()).await;
    assert_eq!(deltas(&items), ["a", "b"]);
    assert!(
        matches!(items.last(), Some(Ok(StreamEvent::Done { usage: Some(u), .. })) if u.output_tokens == 2),
        "{items:?}"
    );
    assert_eq!(items.len(), 3);
}

#[tokio::test]
async fn keep_alive_comments_are_skipped() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::stream(&["x", "y", "z"]).with_keep_alives().slow(5));
    let items = drain(client(&fake).stream(&request()).await.unwrap()).await;
    assert_eq!(deltas(&items), ["x", "y", "z"]);
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done { .. }))), "{items:?}");
    let stats = fake.streams();
    // 7 events (role, 3 deltas, finish, usage, [DONE]) with 8 comments around them; the one
    // after [DONE] may find the client already gone.
    assert_eq!(stats[0].planned, 15, "{stats:?}");
    assert!(stats[0].written >= 14, "comments were sent: {stats:?}");
}

#[tokio::test]
async fn a_stream_cut_midway_ends_with_an_error_item() {
    let fake = FakeOpenAi::start().await;
    // Role chunk and two deltas, then the connection is aborted.
    fake.push(Reply::stream(&["one ", "two ", "three"]).cut_after(3));
    let items = drain(client(&fake).stream(&request()).await.unwrap()).await;
    assert_eq!(deltas(&items), ["one ", "two "]);
    assert_eq!(items.len(), 3, "{items:?}");
    match items.last() {
        Some(Err(AiError::Interrupted { detail })) => assert!(detail.starts_with("connection"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.count(), 1, "no retry once the stream was handed over");
    let p = Problem::from(AiError::Interrupted { detail: "x".into() });
    assert_eq!((p.details().code, p.details().code.status().as_u16()), (ErrorCode::AiInterrupted, 502));
}

#[tokio::test]
async fn a_stream_without_its_end_marker_ends_with_an_error_item() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::stream(&["one ", "two"]).without_done());
    let items = drain(client(&fake).stream(&request()).await.unwrap()).await;
    assert_eq!(deltas(&items), ["one ", "two"]);
    assert_eq!(
        items.last().cloned(),
        Some(Err(AiError::Interrupted { detail: "the stream ended without its end marker (data: [DONE])".into() }))
    );
    assert!(fake.streams()[0].completed, "the server ended the body cleanly");
}

#[tokio::test]
async fn dropping_the_stream_stops_reading_upstream() {
    let fake = FakeOpenAi::start().await;
    let words: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    fake.push(Reply::stream(&words).slow(10));
    let mut s = client(&fake).stream(&request()).await.unwrap();
    for expected in ["w0 ", "w1 ", "w2 "] {
        assert_eq!(s.next_event().await, Some(Ok(StreamEvent::Delta(expected.to_owned()))));
    }
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = fake.streams()[0];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let later = fake.streams()[0];
    assert!(later.client_gone && !later.completed, "{later:?}");
    assert_eq!(first.written, later.written, "nothing written after the client left");
    assert!(later.written < 30, "stopped soon after the drop, not at {} of {}", later.written, later.planned);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_then_succeeds() {
    let fake = FakeOpenAi::start().await;
    let c = client(&fake);
    fake.push(Reply::rate_limited(150));
    let t = Instant::now();
    let a = c.complete(&request()).await.expect("answer after the wait");
    assert!(t.elapsed() >= Duration::from_millis(150), "honoured retry-after-ms: {:?}", t.elapsed());
    assert_eq!((a.usage.attempts, fake.count()), (2, 2));

    fake.push(Reply::rate_limited(100));
    let t = Instant::now();
    let items = drain(c.stream(&request()).await.expect("stream after the wait")).await;
    assert!(t.elapsed() >= Duration::from_millis(100));
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Done { usage: Some(u), .. })) if u.attempts == 2), "{items:?}");
    assert_eq!(fake.count(), 4);
    assert_eq!(c.breaker().state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_deadline_fails_at_once() {
    let fake = FakeOpenAi::start().await;
    fake.push(Reply::rate_limited(10_000));
    let t = Instant::now();
    let e = client(&fake).complete(&request()).await.unwrap_err();
    assert_eq!(e, AiError::RateLimited { retry_after: Some(Duration::from_secs(10)) });
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.count(), 1);
    let p = Problem::from(e);
    assert_eq!(p.details().code, ErrorCode::AiUnavailable);
    assert_eq!(p.details().headers.get("retry-after").unwrap(), "10");
}

#[tokio::test]
async fn an_exhausted_account_quota_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    let c = client(&fake);
    fake.push(Reply::insufficient_quota());
    let e = c.complete(&request()).await.unwrap_err();
    assert!(
        matches!(&e, AiError::QuotaExhausted { detail } if detail.contains("exceeded your current quota")),
        "{e:?}"
    );
    assert_eq!(fake.count(), 1, "one call, no retry");
    let p = Problem::from(e);
    assert_eq!((p.details().code.as_str(), p.details().code.status().as_u16()), ("ai_quota_exhausted".to_owned(), 503));

    fake.push(Reply::insufficient_quota());
    assert!(matches!(c.stream(&request()).await.unwrap_err(), AiError::QuotaExhausted { .. }));
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed_or_fail_after_the_retries() {
    let fake = FakeOpenAi::start().await;
    let c = client(&fake);
    fake.push(Reply::server_error());
    fake.push(Reply::overloaded());
    let a = c.complete(&request()).await.expect("third attempt");
    assert_eq!((a.usage.attempts, fake.count()), (3, 3));

    fake.push(Reply::overloaded());
    fake.push(Reply::stream_error_event("The server had an error while processing your request."));
    let items = drain(c.stream(&request()).await.expect("stream on the third attempt")).await;
    assert_eq!(deltas(&items).concat(), "Hello, student!");
    assert_eq!(fake.count(), 6);

    fake.set_default(Reply::server_error());
    let e = c.complete(&request()).await.unwrap_err();
    assert!(matches!(&e, AiError::Unavailable { status: 500, detail } if detail.contains("server_error")), "{e:?}");
    assert_eq!(fake.count(), 6 + 4, "first attempt and 3 retries");
    assert_eq!(Problem::from(e).details().code, ErrorCode::AiUnavailable);
}

#[tokio::test]
async fn configuration_errors_are_not_retried() {
    let fake = FakeOpenAi::start().await;
    let c = client(&fake);
    fake.push(Reply::error(
        404,
        "invalid_request_error",
        Some("model_not_found"),
        "The model `gpt-9` does not exist or you do not have access to it.",
    ));
    let e = c.complete(&request()).await.unwrap_err();
    assert!(matches!(&e, AiError::Unavailable { status: 404, detail } if detail.contains("model_not_found")), "{e:?}");
    fake.push(Reply::error(
        400,
        "invalid_request_error",
        Some("context_length_exceeded"),
        "This model's maximum context length is 128000 tokens.",
    ));
    let e = c.stream(&request()).await.unwrap_err();
    assert!(
        matches!(&e, AiError::Unavailable { status: 400, detail } if detail.contains("context_length_exceeded")),
        "{e:?}"
    );
    assert_eq!(fake.count(), 2, "neither retried");
    assert_eq!(c.breaker().consecutive_failures(), 1, "the 404 counts against the provider, the 400 does not");

    // Without a Bearer key the fake answers OpenAI's 401.
    let no_key = OpenAiClient::with_policies(
        OpenAiConfig { api_key: Some(" ".to_owned()), ..config(&fake, Duration::from_secs(3)) },
        BreakerPolicy::default(),
        fast_retry(),
    );
    let e = no_key.complete(&request()).await.unwrap_err();
    assert!(matches!(&e, AiError::Unavailable { status: 401, detail } if detail.contains("API key")), "{e:?}");
}

#[tokio::test]
async fn content_filter_is_a_block() {
    let fake = FakeOpenAi::start().await;
    let c = client(&fake);
    fake.push(Reply::answer_with("", "content_filter"));
    assert_eq!(c.complete(&request()).await.unwrap_err(), AiError::Blocked { reason: "content_filter".into() });
    fake.push(Reply::stream_finishing(&["Part"], "content_filter"));
    let items = drain(c.stream(&request()).await.unwrap()).await;
    assert_eq!(deltas(&items), ["Part"]);
    assert_eq!(items.last().cloned(), Some(Err(AiError::Blocked { reason: "content_filter".into() })));
    assert_eq!(fake.count(), 2, "not retried");
    assert_eq!(c.breaker().consecutive_failures(), 0, "not a provider failure");
}

#[tokio::test]
async fn the_deadline_bounds_the_call_and_the_stream() {
    let fake = FakeOpenAi::start().await;
    let c =
        OpenAiClient::with_policies(config(&fake, Duration::from_millis(400)), BreakerPolicy::default(), fast_retry());
    fake.push(Reply::answer("late").delayed(3000));
    let t = Instant::now();
    let e = c.complete(&request()).await.unwrap_err();
    assert_eq!(e, AiError::Timeout);
    assert!(t.elapsed() < Duration::from_millis(1500), "{:?}", t.elapsed());
    assert_eq!(Problem::from(e).details().code, ErrorCode::AiTimeout);

    // Streaming starts in time, then outlasts the deadline.
    let words = ["a ", "b ", "c ", "d ", "e ", "f ", "g ", "h "];
    fake.push(Reply::stream(&words).slow(100));
    let t = Instant::now();
    let items = drain(c.stream(&request()).await.unwrap()).await;
    assert!(t.elapsed() < Duration::from_millis(1000), "{:?}", t.elapsed());
    assert!(!deltas(&items).is_empty() && deltas(&items).len() < words.len(), "{items:?}");
    assert_eq!(items.last().cloned(), Some(Err(AiError::Timeout)));
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = OpenAiConfig {
        api_key: Some(KEY.to_owned()),
        base_url: format!("http://127.0.0.1:{port}/v1"),
        deadline: Duration::from_secs(3),
        ..OpenAiConfig::default()
    };
    let c = OpenAiClient::with_policies(config, BreakerPolicy::default(), fast_retry());
    let e = c.stream(&request()).await.unwrap_err();
    assert!(matches!(&e, AiError::Unavailable { status: 0, .. }), "{e:?}");
    assert_eq!(c.breaker().consecutive_failures(), 4, "first attempt and 3 retries");
}

#[tokio::test]
async fn the_breaker_opens_after_five_failures_and_fails_fast() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(Reply::server_error());
    let c = OpenAiClient::with_policies(
        config(&fake, Duration::from_secs(3)),
        BreakerPolicy { open_for: Duration::from_millis(300), ..BreakerPolicy::default() },
        RetryPolicy::none(),
    );
    for i in 0..5 {
        assert!(
            matches!(c.complete(&request()).await.unwrap_err(), AiError::Unavailable { status: 500, .. }),
            "call {i}"
        );
    }
    assert_eq!(c.breaker().state(), BreakerState::Open);
    let t = Instant::now();
    let e = c.stream(&request()).await.unwrap_err();
    assert!(matches!(e, AiError::CircuitOpen { retry_after } if retry_after <= Duration::from_millis(300)), "{e:?}");
    assert!(matches!(c.complete(&request()).await.unwrap_err(), AiError::CircuitOpen { .. }));
    assert!(t.elapsed() < Duration::from_millis(100), "failed fast");
    assert_eq!(fake.count(), 5, "no request while open");

    // Half-open after the open time: two successful probes close it.
    tokio::time::sleep(Duration::from_millis(320)).await;
    fake.push(Reply::answer("back"));
    fake.push(Reply::stream(&["back"]));
    c.complete(&request()).await.unwrap();
    drain(c.stream(&request()).await.unwrap()).await;
    assert_eq!(c.breaker().state(), BreakerState::Closed);
}

#[tokio::test]
async fn without_a_key_nothing_is_called() {
    let fake = FakeOpenAi::start().await;
    let c = OpenAiClient::new(OpenAiConfig { base_url: fake.base_url(), ..OpenAiConfig::default() });
    assert!(!c.configured());
    let missing = AiError::MissingApiKey { variable: "OPENAI_API_KEY" };
    assert_eq!(c.complete(&request()).await.unwrap_err(), missing);
    assert_eq!(c.stream(&request()).await.unwrap_err(), missing);
    assert_eq!(fake.count(), 0);
    let p = Problem::from(missing);
    assert_eq!((p.details().code, p.details().code.status().as_u16()), (ErrorCode::AiUnavailable, 503));
    assert!(p.details().detail.contains("OPENAI_API_KEY"));
}
