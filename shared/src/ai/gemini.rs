//! Gemini `models.generateContent` REST client for snap solving
//! (<https://ai.google.dev/api/generate-content>): the photo as inline data, structured JSON
//! output against [`SnapSolution::response_schema`], behind the [`crate::resilience`] breaker,
//! retries and deadline.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;

use super::error::error_chain;
use super::gemini_wire::{
    BLOCKING_FINISH_REASONS, Blob, Content, ErrorEnvelope, GenerateContentRequest, GenerateContentResponse,
    GenerationConfig, Part, UsageMetadata,
};
use super::{AiError, AiUsage, GeminiConfig, SnapSolution};
use crate::resilience::{Breaker, BreakerPolicy, CallError, Classify, ErrorClass, RetryPolicy, call};

/// Client of one Gemini model. Cheap to clone (shared state behind an `Arc`): clones share the
/// HTTP connection pool and the circuit breaker.
#[derive(Clone, Debug)]
pub struct GeminiClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: GeminiConfig,
    retry: RetryPolicy,
    breaker: Breaker,
    /// Built on first use, so start-up does not load TLS roots.
    http: OnceLock<reqwest::Client>,
}

/// The failure of one attempt, classified for the retry loop and the breaker.
#[derive(Debug)]
enum Attempt {
    /// Non-2xx from the API (after the body was read).
    Http { status: u16, grpc_status: String, message: String, retry_after: Option<Duration> },
    /// No HTTP response (connect, TLS, body read).
    Transport(String),
    /// Prompt or candidate blocked.
    Blocked(String),
    /// finishReason MAX_TOKENS.
    MaxTokens,
    /// Not a valid solution; retried once.
    Malformed(String),
    /// Not a valid solution on the retry as well.
    BadOutput(String),
}

impl Classify for Attempt {
    fn class(&self) -> ErrorClass {
        match self {
            Attempt::Http { status: 429, retry_after, .. } => ErrorClass::Retryable { after: *retry_after },
            Attempt::Http { status: 408 | 500..=599, retry_after, .. } => ErrorClass::Retryable { after: *retry_after },
            // The request itself was refused (INVALID_ARGUMENT for an image the model cannot
            // read, 413 for a payload over its limit): this input's fault, not the provider's,
            // so one user's bad uploads cannot open the breaker for everyone.
            Attempt::Http { status: 400 | 413, .. } => ErrorClass::Rejected,
            Attempt::Http { .. } => ErrorClass::Fatal,
            Attempt::Transport(_) | Attempt::Malformed(_) => ErrorClass::Retryable { after: None },
            Attempt::BadOutput(_) => ErrorClass::Fatal,
            Attempt::Blocked(_) | Attempt::MaxTokens => ErrorClass::Rejected,
        }
    }
}

impl Attempt {
    fn into_ai_error(self) -> AiError {
        match self {
            Attempt::Http { status: 429, retry_after, .. } => AiError::RateLimited { retry_after },
            Attempt::Http { status: status @ (400 | 413), grpc_status, message, .. } => {
                AiError::InputRejected { detail: format!("HTTP {status} {grpc_status}: {message}") }
            }
            Attempt::Http { status, grpc_status, message, .. } => {
                AiError::Unavailable { status, detail: format!("{grpc_status}: {message}") }
            }
            Attempt::Transport(detail) => AiError::Unavailable { status: 0, detail },
            Attempt::Blocked(reason) => AiError::Blocked { reason },
            Attempt::MaxTokens => AiError::MaxTokens,
            Attempt::Malformed(detail) | Attempt::BadOutput(detail) => AiError::BadOutput { detail },
        }
    }
}

/// The system instruction: the role, the task and the output rules.
const SYSTEM_INSTRUCTION: &str = "You are an expert tutor for India's JEE (Main and Advanced) in physics, chemistry and \
mathematics. You receive a photo of one exam question. Read the question exactly, solve it, and answer only with the \
JSON object of the response schema. Write question_text, every step and final_answer in Markdown with LaTeX \
($...$ inline, $$...$$ display). Give each step one clear idea, in the order a student would work. Set subject to \
physics, chemistry, mathematics or other. Set confidence between 0 and 1: how sure you are that the final answer is \
correct (low when the photo is unclear or the question is incomplete).";

fn prompt(topic_keys: &[String]) -> String {
    let mut p = String::from("Solve the question in this photo.\n");
    if topic_keys.is_empty() {
        p.push_str("Set topic_key to null.\n");
    } else {
        p.push_str("Set topic_key to the one key below that matches the question's topic, or null when none does:\n");
        for k in topic_keys {
            p.push_str(k);
            p.push('\n');
        }
    }
    p
}

impl GeminiClient {
    /// A client with the default policies: breaker 5 failures / 30 s / 2 successes, 3 retries
    /// with full-jitter backoff from 0.5 s.
    pub fn new(config: GeminiConfig) -> GeminiClient {
        Self::with_policies(config, BreakerPolicy::default(), RetryPolicy::default())
    }

    /// A client with explicit policies (tests use millisecond durations).
    pub fn with_policies(config: GeminiConfig, breaker: BreakerPolicy, retry: RetryPolicy) -> GeminiClient {
        let inner = Inner { config, retry, breaker: Breaker::new("gemini", breaker), http: OnceLock::new() };
        GeminiClient { inner: Arc::new(inner) }
    }

    /// Whether an API key is configured.
    pub fn configured(&self) -> bool {
        self.inner.config.api_key.is_some()
    }

    /// The model id.
    pub fn model(&self) -> &str {
        &self.inner.config.model
    }

    /// The provider's circuit breaker (shared by clones).
    pub fn breaker(&self) -> &Breaker {
        &self.inner.breaker
    }

    /// The configuration.
    pub fn config(&self) -> &GeminiConfig {
        &self.inner.config
    }

    fn http(&self) -> &reqwest::Client {
        self.inner.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_else(|_| reqwest::Client::new())
        })
    }

    /// Solves the question in `image` (bytes of `mime_type`, e.g. `image/jpeg`, `image/heic`),
    /// offering `topic_keys` (our bank's taxonomy) for `topic_key`. Returns the validated
    /// solution and the usage of all attempts (tokens summed; latency of the whole call).
    ///
    /// Retries 5xx, 408, 429 (after the RetryInfo delay when it fits the deadline), connection
    /// errors and malformed output (once), all within `config.deadline`; logs one line per call.
    ///
    /// # Errors
    /// [`AiError`]: `NotConfigured` and `CircuitOpen` without an HTTP call; `Blocked`,
    /// `MaxTokens` without a retry; `BadOutput` after one retry; `RateLimited`, `Unavailable`,
    /// `Timeout` after retries.
    pub async fn solve_image(
        &self,
        image: &[u8],
        mime_type: &str,
        topic_keys: &[String],
    ) -> Result<(SnapSolution, AiUsage), AiError> {
        let config = &self.inner.config;
        let Some(api_key) = config.api_key.as_deref() else {
            tracing::warn!(model = %config.model, outcome = "not_configured", "ai call");
            return Err(AiError::NotConfigured);
        };
        let body = GenerateContentRequest {
            system_instruction: Content { role: None, parts: vec![text_part(SYSTEM_INSTRUCTION.to_owned())] },
            contents: vec![Content {
                role: Some("user".to_owned()),
                parts: vec![
                    Part {
                        inline_data: Some(Blob {
                            mime_type: mime_type.to_owned(),
                            data: base64::engine::general_purpose::STANDARD.encode(image),
                        }),
                        ..Part::default()
                    },
                    text_part(prompt(topic_keys)),
                ],
            }],
            generation_config: GenerationConfig {
                response_mime_type: "application/json",
                response_schema: SnapSolution::response_schema(),
                max_output_tokens: config.max_output_tokens,
                temperature: 0.2,
            },
        };
        let body = match serde_json::to_vec(&body) {
            Ok(b) => axum::body::Bytes::from(b),
            Err(e) => return Err(AiError::Unavailable { status: 0, detail: format!("request encoding: {e}") }),
        };
        let url = format!("{}/v1beta/models/{}:generateContent", config.base_url, config.model);
        let usage = std::sync::Mutex::new(UsageMetadata::default());
        let malformed = std::sync::atomic::AtomicU32::new(0);
        let outcome = call(&self.inner.breaker, &self.inner.retry, config.deadline, || {
            self.attempt(&url, api_key, body.clone(), topic_keys, &usage, &malformed)
        })
        .await;
        let tokens = usage.lock().map(|u| *u).unwrap_or_default();
        let usage = AiUsage {
            model: config.model.clone(),
            input_tokens: tokens.prompt_token_count,
            output_tokens: tokens.candidates_token_count + tokens.thoughts_token_count,
            latency_ms: u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
            attempts: outcome.attempts,
        };
        let result = outcome.result.map_err(|e| match e {
            CallError::CircuitOpen(open) => AiError::CircuitOpen { retry_after: open.retry_after },
            CallError::DeadlineExceeded => AiError::Timeout,
            CallError::Failed(a) => a.into_ai_error(),
        });
        let outcome = result.as_ref().err().map_or("ok", AiError::outcome);
        let error = result.as_ref().err().map(ToString::to_string);
        tracing::info!(
            model = %usage.model,
            input_tokens = usage.input_tokens,
            output_tokens = usage.output_tokens,
            latency_ms = usage.latency_ms,
            attempts = usage.attempts,
            outcome,
            error,
            "ai call"
        );
        result.map(|s| (s, usage))
    }

    async fn attempt(
        &self,
        url: &str,
        api_key: &str,
        body: axum::body::Bytes,
        topic_keys: &[String],
        usage: &std::sync::Mutex<UsageMetadata>,
        malformed: &std::sync::atomic::AtomicU32,
    ) -> Result<SnapSolution, Attempt> {
        let res = self
            .http()
            .post(url)
            .header("x-goog-api-key", api_key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| Attempt::Transport(error_chain(&e)))?;
        let status = res.status();
        let header_delay = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = res.bytes().await.map_err(|e| Attempt::Transport(error_chain(&e)))?;
        if !status.is_success() {
            let env: ErrorEnvelope = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(Attempt::Http {
                status: status.as_u16(),
                retry_after: env.error.retry_delay().or(header_delay),
                grpc_status: if env.error.status.is_empty() {
                    status.canonical_reason().unwrap_or("").to_owned()
                } else {
                    env.error.status
                },
                message: crate::problem::excerpt(&env.error.message, 300),
            });
        }
        let bad = |detail: String| {
            if malformed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                Attempt::Malformed(detail)
            } else {
                Attempt::BadOutput(detail)
            }
        };
        let response: GenerateContentResponse = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => return Err(bad(format!("HTTP {status} body is not a GenerateContentResponse: {e}"))),
        };
        if let Some(u) = response.usage_metadata
            && let Ok(mut total) = usage.lock()
        {
            total.prompt_token_count += u.prompt_token_count;
            total.candidates_token_count += u.candidates_token_count;
            total.thoughts_token_count += u.thoughts_token_count;
        }
        if let Some(reason) = response.prompt_feedback.as_ref().and_then(|f| f.block_reason.as_deref()) {
            return Err(Attempt::Blocked(format!("prompt: {reason}")));
        }
        let Some(candidate) = response.candidates.first() else {
            return Err(bad("no candidates and no block reason".to_owned()));
        };
        match candidate.finish_reason.as_deref() {
            Some("MAX_TOKENS") => return Err(Attempt::MaxTokens),
            Some(r) if BLOCKING_FINISH_REASONS.contains(&r) => return Err(Attempt::Blocked(format!("candidate: {r}"))),
            Some("STOP") | None | Some("FINISH_REASON_UNSPECIFIED") => {}
            Some(other) => return Err(bad(format!("finish reason {other}"))),
        }
        let Some(text) = response.text() else {
            return Err(bad("empty answer".to_owned()));
        };
        SnapSolution::from_model_json(&text, topic_keys).map_err(bad)
    }
}

fn text_part(text: String) -> Part {
    Part { text: Some(text), ..Part::default() }
}
