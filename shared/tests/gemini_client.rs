//! The real Gemini client against a local server speaking Gemini's wire format (FakeGemini).

use std::time::{Duration, Instant};

use base64::Engine;
use shared::ai::{AiError, GeminiClient, GeminiConfig};
use shared::problem::{ErrorCode, Problem};
use shared::resilience::{BreakerPolicy, BreakerState, RetryPolicy};
use shared::testing_gemini::{FakeGemini, Reply, sample_solution};

/// The first bytes of a PNG (the client does not decode images; it sends what it is given).
const IMAGE: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00";
const KEY: &str = "test-key-123";

fn keys() -> Vec<String> {
    ["physics/kinematics/projectile-motion", "chemistry/mole-concept/stoichiometry"].map(String::from).to_vec()
}

fn config(fake: &FakeGemini, deadline: Duration) -> GeminiConfig {
    GeminiConfig {
        api_key: Some(KEY.to_owned()),
        base_url: fake.base_url(),
        deadline,
        max_output_tokens: 2048,
        ..GeminiConfig::default()
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(40) }
}

fn client(fake: &FakeGemini) -> GeminiClient {
    GeminiClient::with_policies(config(fake, Duration::from_secs(3)), BreakerPolicy::default(), fast_retry())
}

async fn solve(c: &GeminiClient) -> Result<(shared::ai::SnapSolution, shared::ai::AiUsage), AiError> {
    c.solve_image(IMAGE, "image/png", &keys()).await
}

#[tokio::test]
async fn success_sends_the_documented_request_and_reports_usage() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::valid_solution());
    let c = client(&fake);
    assert!(c.configured());
    let (s, usage) = solve(&c).await.expect("solution");

    let expected = sample_solution();
    assert_eq!(s.question_text, expected["question_text"].as_str().unwrap());
    assert_eq!(s.subject, "physics");
    assert_eq!((s.chapter.as_str(), s.topic.as_str()), ("Kinematics", "Projectile motion"));
    assert_eq!(s.topic_key.as_deref(), Some("physics/kinematics/projectile-motion"));
    assert_eq!(s.steps.len(), 2);
    assert!(s.steps[1].contains("40"), "{:?}", s.steps);
    assert_eq!(s.final_answer, "$R = 40\\,\\text{m}$");
    assert!((s.confidence - 0.93).abs() < 1e-9);
    assert_eq!(usage.model, "gemini-2.5-flash");
    assert_eq!((usage.input_tokens, usage.output_tokens, usage.attempts), (1290, 470, 1));
    assert!(usage.latency_ms < 3000);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(r.headers.get("x-goog-api-key").map(String::as_str), Some(KEY));
    assert!(r.headers.get("content-type").is_some_and(|v| v.starts_with("application/json")));
    let parts = &r.body["contents"][0]["parts"];
    assert_eq!(r.body["contents"][0]["role"], "user");
    assert_eq!(parts[0]["inlineData"]["mimeType"], "image/png");
    let sent =
        base64::engine::general_purpose::STANDARD.decode(parts[0]["inlineData"]["data"].as_str().unwrap()).unwrap();
    assert_eq!(sent, IMAGE);
    let prompt = parts[1]["text"].as_str().unwrap();
    for k in keys() {
        assert!(prompt.contains(&k), "topic keys offered in the prompt: {prompt}");
    }
    assert!(r.body["systemInstruction"]["parts"][0]["text"].as_str().unwrap().contains("JEE"));
    let generation = &r.body["generationConfig"];
    assert_eq!(generation["responseMimeType"], "application/json");
    assert_eq!(generation["maxOutputTokens"], 2048);
    let schema = &generation["responseSchema"];
    assert_eq!(schema["type"], "OBJECT");
    assert_eq!(schema["properties"]["steps"]["type"], "ARRAY");
    assert_eq!(
        schema["properties"]["subject"]["enum"],
        serde_json::json!(["physics", "chemistry", "mathematics", "other"])
    );
    assert_eq!(schema["properties"]["topic_key"]["nullable"], true);
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for field in ["question_text", "subject", "steps", "final_answer", "confidence", "topic_key"] {
        assert!(required.contains(&field), "{field} required");
    }
}

#[tokio::test]
async fn a_topic_key_not_offered_becomes_none() {
    let fake = FakeGemini::start().await;
    let mut sol = sample_solution();
    sol["topic_key"] = serde_json::json!("physics/optics/made-up");
    fake.push(Reply::solution(&sol));
    let (s, _) = solve(&client(&fake)).await.unwrap();
    assert_eq!(s.topic_key, None);
    assert_eq!(s.subject, "physics");
}

#[tokio::test]
async fn blocked_prompt_and_candidates_are_not_retried_and_leave_the_breaker_closed() {
    let fake = FakeGemini::start().await;
    let c = client(&fake);
    fake.push(Reply::prompt_blocked("SAFETY"));
    assert_eq!(solve(&c).await.unwrap_err(), AiError::Blocked { reason: "prompt: SAFETY".into() });
    assert_eq!(fake.count(), 1, "not retried");
    // More blocks than the breaker's threshold: still closed, nothing counted.
    let reasons = ["SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "RECITATION", "SPII", "BLOCKLIST"];
    for (i, reason) in reasons.iter().enumerate() {
        fake.push(Reply::candidate_blocked(reason));
        assert_eq!(solve(&c).await.unwrap_err(), AiError::Blocked { reason: format!("candidate: {reason}") });
        assert_eq!(fake.count(), i + 2, "one request per blocked call");
    }
    assert_eq!(c.breaker().state(), BreakerState::Closed);
    assert_eq!(c.breaker().consecutive_failures(), 0);
    let p = Problem::from(AiError::Blocked { reason: "candidate: SAFETY".into() });
    assert_eq!(p.details().code, ErrorCode::AiBlocked);
    // The next call is answered normally.
    fake.push(Reply::valid_solution());
    assert!(solve(&c).await.is_ok());
}

#[tokio::test]
async fn max_tokens_is_reported_without_retry() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::max_tokens());
    let c = client(&fake);
    assert_eq!(solve(&c).await.unwrap_err(), AiError::MaxTokens);
    assert_eq!(fake.count(), 1);
    assert_eq!(c.breaker().consecutive_failures(), 0);
}

#[tokio::test]
async fn malformed_output_is_retried_once_then_succeeds() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::malformed());
    fake.push(Reply::valid_solution());
    let (s, usage) = solve(&client(&fake)).await.expect("second answer is valid");
    assert_eq!(s.subject, "physics");
    assert_eq!(fake.count(), 2);
    assert_eq!(usage.attempts, 2);
    assert_eq!((usage.input_tokens, usage.output_tokens), (2 * 1290, 2 * 470), "tokens of both attempts");
}

#[tokio::test]
async fn malformed_output_twice_is_bad_output_after_two_calls() {
    let fake = FakeGemini::start().await;
    fake.set_default(Reply::malformed());
    let e = solve(&client(&fake)).await.unwrap_err();
    assert!(matches!(&e, AiError::BadOutput { detail } if detail.contains("not our JSON")), "{e:?}");
    assert_eq!(fake.count(), 2, "one retry only, although the retry policy allows 3");
    assert_eq!(Problem::from(e).details().code, ErrorCode::AiBadOutput);
}

#[tokio::test]
async fn json_outside_our_schema_counts_as_malformed() {
    let fake = FakeGemini::start().await;
    let mut sol = sample_solution();
    sol["confidence"] = serde_json::json!(3.0);
    fake.set_default(Reply::solution(&sol));
    let e = solve(&client(&fake)).await.unwrap_err();
    assert!(matches!(&e, AiError::BadOutput { detail } if detail.contains("confidence")), "{e:?}");
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn rate_limit_with_a_short_retry_delay_is_waited_out() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::rate_limited("0.3s"));
    fake.push(Reply::valid_solution());
    let started = Instant::now();
    let (_, usage) = solve(&client(&fake)).await.expect("retried after the delay");
    assert!(started.elapsed() >= Duration::from_millis(300), "waited the RetryInfo delay, not the 10 ms backoff");
    assert_eq!(fake.count(), 2);
    assert_eq!(usage.attempts, 2);
}

#[tokio::test]
async fn rate_limit_with_a_delay_beyond_the_deadline_fails_at_once() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::rate_limited("30s"));
    let started = Instant::now();
    let e = solve(&client(&fake)).await.unwrap_err();
    assert_eq!(e, AiError::RateLimited { retry_after: Some(Duration::from_secs(30)) });
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.count(), 1);
    let p = Problem::from(e);
    assert_eq!(p.details().code, ErrorCode::AiUnavailable);
    assert_eq!(p.details().headers.get("retry-after").unwrap(), "30");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::internal());
    fake.push(Reply::unavailable());
    fake.push(Reply::valid_solution());
    let c = client(&fake);
    let (_, usage) = solve(&c).await.expect("third attempt succeeds");
    assert_eq!(fake.count(), 3);
    assert_eq!(usage.attempts, 3);
    assert_eq!(c.breaker().consecutive_failures(), 0, "the success reset the count");
}

#[tokio::test]
async fn a_retry_after_header_is_honoured_when_there_is_no_retry_info() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::unavailable().with_header("retry-after", "1"));
    fake.push(Reply::valid_solution());
    let started = Instant::now();
    solve(&client(&fake)).await.expect("retried after the header's delay");
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn persistent_server_errors_end_as_unavailable() {
    let fake = FakeGemini::start().await;
    fake.set_default(Reply::unavailable());
    let c = client(&fake);
    let e = solve(&c).await.unwrap_err();
    assert!(matches!(&e, AiError::Unavailable { status: 503, detail } if detail.contains("UNAVAILABLE")), "{e:?}");
    assert_eq!(fake.count(), 4, "first attempt + 3 retries");
    assert_eq!(c.breaker().consecutive_failures(), 4);
    assert_eq!(c.breaker().state(), BreakerState::Closed);
    let p = Problem::from(e);
    assert_eq!(p.details().code, ErrorCode::AiUnavailable);
    assert!(!p.details().detail.contains("overloaded"), "provider message stays in the log");
}

#[tokio::test]
async fn permission_denied_is_not_retried_but_counts_against_the_provider() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::error(403, "API key not valid. Please pass a valid API key.", vec![]));
    let c = client(&fake);
    let e = solve(&c).await.unwrap_err();
    assert!(
        matches!(&e, AiError::Unavailable { status: 403, detail } if detail.contains("PERMISSION_DENIED")),
        "{e:?}"
    );
    assert_eq!(fake.count(), 1);
    assert_eq!(c.breaker().consecutive_failures(), 1);
}

#[tokio::test]
async fn refused_input_is_422_and_never_opens_the_breaker() {
    let fake = FakeGemini::start().await;
    fake.set_default(Reply::error(400, "Unable to process input image.", vec![]));
    let c = client(&fake);
    for _ in 0..8 {
        let e = solve(&c).await.unwrap_err();
        assert!(matches!(&e, AiError::InputRejected { detail } if detail.contains("INVALID_ARGUMENT")), "{e:?}");
        let p = Problem::from(e);
        assert_eq!((p.details().code, p.details().code.status().as_u16()), (ErrorCode::AiInputRejected, 422));
    }
    assert_eq!(fake.count(), 8, "not retried");
    assert_eq!(c.breaker().consecutive_failures(), 0);
    assert_eq!(c.breaker().state(), BreakerState::Closed, "one user's bad images do not pause everyone");
    fake.set_default(Reply::valid_solution());
    assert!(solve(&c).await.is_ok());
}

#[tokio::test]
async fn a_slow_answer_beyond_the_deadline_is_a_timeout() {
    let fake = FakeGemini::start().await;
    fake.push(Reply::valid_solution().delayed(2_000));
    let c =
        GeminiClient::with_policies(config(&fake, Duration::from_millis(300)), BreakerPolicy::default(), fast_retry());
    let started = Instant::now();
    let e = solve(&c).await.unwrap_err();
    assert_eq!(e, AiError::Timeout);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(1_500), "{took:?}");
    assert_eq!(fake.count(), 1);
    assert_eq!(c.breaker().consecutive_failures(), 1, "a timeout is a provider failure");
    assert_eq!(Problem::from(e).details().code, ErrorCode::AiTimeout);
}

#[tokio::test]
async fn breaker_full_cycle() {
    let fake = FakeGemini::start().await;
    let open_for = Duration::from_millis(300);
    let c = GeminiClient::with_policies(
        config(&fake, Duration::from_secs(3)),
        BreakerPolicy { open_for, ..BreakerPolicy::default() },
        RetryPolicy::none(),
    );
    fake.set_default(Reply::internal());
    // Closed → open after 5 consecutive failures.
    for i in 1..=5 {
        assert!(matches!(solve(&c).await.unwrap_err(), AiError::Unavailable { status: 500, .. }));
        assert_eq!(fake.count(), i);
    }
    assert_eq!(c.breaker().state(), BreakerState::Open);
    // Open: fail fast without a call, carrying the time until half-open.
    let e = solve(&c).await.unwrap_err();
    let AiError::CircuitOpen { retry_after } = e else { panic!("{e:?}") };
    assert!(retry_after > Duration::ZERO && retry_after <= open_for, "{retry_after:?}");
    assert_eq!(fake.count(), 5, "no HTTP call while open");
    let p = Problem::from(e);
    assert_eq!(p.details().code, ErrorCode::AiUnavailable);
    assert_eq!(p.details().headers.get("retry-after").unwrap(), "1");
    // Half-open after the open time; a failed probe opens it again.
    tokio::time::sleep(retry_after + Duration::from_millis(20)).await;
    assert_eq!(c.breaker().state(), BreakerState::HalfOpen);
    assert!(matches!(solve(&c).await.unwrap_err(), AiError::Unavailable { status: 500, .. }));
    assert_eq!(fake.count(), 6);
    assert_eq!(c.breaker().state(), BreakerState::Open);
    assert!(matches!(solve(&c).await.unwrap_err(), AiError::CircuitOpen { .. }));
    assert_eq!(fake.count(), 6);
    // Half-open again; 2 successes close it.
    tokio::time::sleep(open_for + Duration::from_millis(20)).await;
    fake.set_default(Reply::valid_solution());
    assert!(solve(&c).await.is_ok());
    assert_eq!(c.breaker().state(), BreakerState::HalfOpen, "one success is not enough");
    assert!(solve(&c).await.is_ok());
    assert_eq!(c.breaker().state(), BreakerState::Closed);
    assert_eq!(fake.count(), 8);
}

#[tokio::test]
async fn not_configured_makes_no_call() {
    let fake = FakeGemini::start().await;
    let c = GeminiClient::new(GeminiConfig { api_key: None, ..config(&fake, Duration::from_secs(3)) });
    assert!(!c.configured());
    assert_eq!(c.model(), "gemini-2.5-flash");
    let e = solve(&c).await.unwrap_err();
    assert_eq!(e, AiError::NotConfigured);
    assert_eq!(fake.count(), 0);
    let p = Problem::from(e);
    assert_eq!(p.details().code, ErrorCode::AiUnavailable);
    assert!(p.details().detail.contains("GEMINI_API_KEY"));
}

#[tokio::test]
async fn configured_model_and_base_url_are_used() {
    let fake = FakeGemini::start().await;
    let env = [
        ("GEMINI_API_KEY", KEY.to_owned()),
        ("GEMINI_MODEL", "gemini-2.5-pro".to_owned()),
        ("GEMINI_BASE_URL", format!("{}/", fake.base_url())),
    ];
    let cfg = GeminiConfig::from_lookup(&|k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let c = GeminiClient::new(cfg);
    let (_, usage) = solve(&c).await.expect("default reply is a valid solution");
    assert_eq!(usage.model, "gemini-2.5-pro");
    assert_eq!(fake.requests()[0].path, "/v1beta/models/gemini-2.5-pro:generateContent");
}
