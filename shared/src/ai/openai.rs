//! OpenAI chat completions client (`POST {base_url}/chat/completions`,
//! <https://platform.openai.com/docs/api-reference/chat>), streaming and not, behind the
//! [`crate::resilience`] breaker, retries and deadline. The same code serves OpenAI and
//! OpenAI-compatible servers (Ollama, vLLM, llama.cpp's server, gateways) by changing
//! `base_url`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use http_body_util::BodyDataStream;
use tokio::time::Instant;

use super::chat_stream::{EventSource, event_error, event_source};
use super::error::error_chain;
use super::openai_wire::{ChatCompletion, ChatCompletionRequest, ErrorEnvelope, StreamOptions};
use super::{AiError, AiUsage, ChatAnswer, ChatRequest, ChatStream, OpenAiConfig};
use crate::resilience::{Breaker, BreakerPolicy, CallError, Classify, ErrorClass, RetryPolicy, call};

/// The variable that holds the key (named in `AiError::MissingApiKey`).
const API_KEY_VARIABLE: &str = "OPENAI_API_KEY";

/// Client of an OpenAI-compatible chat completions API. Cheap to clone (shared state behind an
/// `Arc`): clones share the HTTP connection pool and the circuit breaker.
#[derive(Clone, Debug)]
pub struct OpenAiClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: OpenAiConfig,
    retry: RetryPolicy,
    breaker: Breaker,
    /// Built on first use, so start-up does not load TLS roots.
    http: OnceLock<reqwest::Client>,
}

/// The failure of one attempt, classified for the retry loop and the breaker.
#[derive(Debug)]
enum Attempt {
    /// Non-2xx with the error envelope (after the body was read).
    Http { status: u16, kind: String, code: String, message: String, retry_after: Option<Duration> },
    /// No HTTP response or the body could not be read (connect, TLS, reset).
    Transport(String),
    /// A stream that failed before its first chunk (error event, end of body, bad syntax).
    StreamStart(String),
    /// 200 whose body is not a chat completion.
    Malformed(String),
    /// Finish reason `content_filter`, or a refusal without content.
    Blocked(String),
}

impl Attempt {
    fn is_insufficient_quota(&self) -> bool {
        matches!(self, Attempt::Http { status: 429, kind, code, .. } if kind == "insufficient_quota" || code == "insufficient_quota")
    }

    fn into_ai_error(self) -> AiError {
        if self.is_insufficient_quota() {
            let Attempt::Http { message, .. } = self else { unreachable!("checked above") };
            return AiError::QuotaExhausted { detail: message };
        }
        match self {
            Attempt::Http { status: 429, retry_after, .. } => AiError::RateLimited { retry_after },
            Attempt::Http { status, kind, code, message, .. } => {
                AiError::Unavailable { status, detail: format!("{kind}/{code}: {message}") }
            }
            Attempt::Transport(detail) => AiError::Unavailable { status: 0, detail },
            Attempt::StreamStart(detail) => {
                AiError::Unavailable { status: 0, detail: format!("stream failed before its first chunk: {detail}") }
            }
            Attempt::Malformed(detail) => AiError::BadOutput { detail },
            Attempt::Blocked(reason) => AiError::Blocked { reason },
        }
    }
}

impl Classify for Attempt {
    /// 429 rate limits, 408, 409 and 5xx, transport errors, streams that fail before their
    /// first chunk and unreadable 200 bodies are retried (after the server's delay when given).
    /// 429 `insufficient_quota` and 401/403/404 (key, permission, model name) are not retried
    /// and count against the provider. 400/413/422 (this request is refused: too long,
    /// malformed) and blocks are not retried and do not count.
    fn class(&self) -> ErrorClass {
        if self.is_insufficient_quota() {
            return ErrorClass::Fatal;
        }
        match self {
            Attempt::Http { status: 408 | 409 | 429 | 500..=599, retry_after, .. } => {
                ErrorClass::Retryable { after: *retry_after }
            }
            Attempt::Http { status: 400 | 413 | 422, .. } | Attempt::Blocked(_) => ErrorClass::Rejected,
            Attempt::Http { .. } => ErrorClass::Fatal,
            Attempt::Transport(_) | Attempt::StreamStart(_) | Attempt::Malformed(_) => {
                ErrorClass::Retryable { after: None }
            }
        }
    }
}

/// A stream whose first event arrived.
struct Opened {
    events: EventSource,
    first: eventsource_stream::Event,
}

/// The server's requested wait: `retry-after-ms` (OpenAI, milliseconds) or `Retry-After`
/// (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) =
        text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()).filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let raw = text("retry-after")?;
    if let Some(s) = raw.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0) {
        return Some(Duration::from_secs_f64(s));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

async fn http_error(res: reqwest::Response) -> Attempt {
    let status = res.status();
    let retry_after = retry_after(res.headers());
    let bytes = match res.bytes().await {
        Ok(b) => b,
        Err(e) => return Attempt::Transport(error_chain(&e)),
    };
    let env: ErrorEnvelope = serde_json::from_slice(&bytes).unwrap_or_default();
    let message = if env.error.message.is_empty() {
        crate::problem::excerpt(&String::from_utf8_lossy(&bytes), 300)
    } else {
        crate::problem::excerpt(&env.error.message, 300)
    };
    Attempt::Http {
        status: status.as_u16(),
        kind: env.error.kind.clone().unwrap_or_default(),
        code: env.error.code_text(),
        message,
        retry_after,
    }
}

impl OpenAiClient {
    /// A client with the default policies: breaker 5 failures / 30 s / 2 successes, 3 retries
    /// with full-jitter backoff from 0.5 s.
    pub fn new(config: OpenAiConfig) -> OpenAiClient {
        Self::with_policies(config, BreakerPolicy::default(), RetryPolicy::default())
    }

    /// A client with explicit policies (tests use millisecond durations).
    pub fn with_policies(config: OpenAiConfig, breaker: BreakerPolicy, retry: RetryPolicy) -> OpenAiClient {
        let inner = Inner { config, retry, breaker: Breaker::new("openai", breaker), http: OnceLock::new() };
        OpenAiClient { inner: Arc::new(inner) }
    }

    /// Whether an API key is configured.
    pub fn configured(&self) -> bool {
        self.inner.config.api_key.is_some()
    }

    /// The provider's circuit breaker (shared by clones).
    pub fn breaker(&self) -> &Breaker {
        &self.inner.breaker
    }

    /// The configuration (per-tier models and budgets: [`OpenAiConfig::tier`]).
    pub fn config(&self) -> &OpenAiConfig {
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

    fn url(&self) -> String {
        format!("{}/chat/completions", self.inner.config.base_url)
    }

    fn body(req: &ChatRequest, stream: bool) -> Result<axum::body::Bytes, AiError> {
        let body = ChatCompletionRequest {
            model: &req.model,
            messages: &req.messages,
            max_tokens: req.max_tokens,
            stream,
            stream_options: stream.then_some(StreamOptions { include_usage: true }),
        };
        serde_json::to_vec(&body)
            .map(axum::body::Bytes::from)
            .map_err(|e| AiError::Unavailable { status: 0, detail: format!("request encoding: {e}") })
    }

    fn post(&self, url: &str, key: &str, body: axum::body::Bytes, accept: &'static str) -> reqwest::RequestBuilder {
        self.http()
            .post(url)
            .bearer_auth(key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, accept)
            .body(body)
    }

    fn api_key(&self, model: &str) -> Result<&str, AiError> {
        self.inner.config.api_key.as_deref().ok_or_else(|| {
            tracing::warn!(model, outcome = "not_configured", "ai call");
            AiError::MissingApiKey { variable: API_KEY_VARIABLE }
        })
    }

    /// One complete answer (`stream: false`). Retries 429 rate limits (after `retry-after-ms`
    /// / `Retry-After` when the wait fits the deadline), 408/409/5xx, connection errors and
    /// unreadable bodies, all within `config.deadline`; logs one line per call.
    ///
    /// # Errors
    /// [`AiError`]: `MissingApiKey` and `CircuitOpen` without a request; `QuotaExhausted` (429
    /// `insufficient_quota`), `Blocked` (finish reason `content_filter`, or a refusal) and
    /// `Unavailable` for 4xx without a retry; `RateLimited`, `Unavailable`, `BadOutput`,
    /// `Timeout` after retries.
    pub async fn complete(&self, req: &ChatRequest) -> Result<ChatAnswer, AiError> {
        let key = self.api_key(&req.model)?;
        let body = Self::body(req, false)?;
        let url = self.url();
        let config = &self.inner.config;
        let outcome = call(&self.inner.breaker, &self.inner.retry, config.deadline, || {
            self.complete_attempt(&url, key, body.clone())
        })
        .await;
        let latency_ms = u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX);
        let result = outcome.result.map_err(map_call_error).map(|(content, finish_reason, tokens)| ChatAnswer {
            content,
            finish_reason,
            usage: AiUsage {
                model: req.model.clone(),
                input_tokens: tokens.prompt_tokens,
                output_tokens: tokens.completion_tokens,
                latency_ms,
                attempts: outcome.attempts,
            },
        });
        let (input_tokens, output_tokens) =
            result.as_ref().map_or((0, 0), |a| (a.usage.input_tokens, a.usage.output_tokens));
        tracing::info!(
            model = %req.model,
            input_tokens,
            output_tokens,
            latency_ms,
            attempts = outcome.attempts,
            finish_reason = result.as_ref().ok().map(|a| a.finish_reason.as_str()),
            outcome = result.as_ref().err().map_or("ok", AiError::outcome),
            error = result.as_ref().err().map(ToString::to_string),
            "ai call"
        );
        result
    }

    async fn complete_attempt(
        &self,
        url: &str,
        key: &str,
        body: axum::body::Bytes,
    ) -> Result<(String, String, super::openai_wire::Usage), Attempt> {
        let res = self
            .post(url, key, body, "application/json")
            .send()
            .await
            .map_err(|e| Attempt::Transport(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(http_error(res).await);
        }
        let bytes = res.bytes().await.map_err(|e| Attempt::Transport(error_chain(&e)))?;
        let completion: ChatCompletion = serde_json::from_slice(&bytes).map_err(|e| {
            Attempt::Malformed(format!(
                "not a chat.completion ({e}): {}",
                crate::problem::excerpt(&String::from_utf8_lossy(&bytes), 200)
            ))
        })?;
        let usage = completion.usage.unwrap_or_default();
        let Some(choice) = completion.choices.into_iter().next() else {
            return Err(Attempt::Malformed("a chat.completion without choices".to_owned()));
        };
        let finish_reason = choice.finish_reason.unwrap_or_else(|| "unknown".to_owned());
        if finish_reason == "content_filter" {
            return Err(Attempt::Blocked("content_filter".to_owned()));
        }
        let content = choice.message.content.unwrap_or_default();
        if content.is_empty()
            && let Some(refusal) = choice.message.refusal.filter(|r| !r.is_empty())
        {
            return Err(Attempt::Blocked(format!("refusal: {}", crate::problem::excerpt(&refusal, 200))));
        }
        Ok((content, finish_reason, usage))
    }

    /// A streamed answer (`stream: true`, `stream_options: {"include_usage": true}`).
    /// Retries as [`OpenAiClient::complete`] does, and also when the stream fails before its
    /// first event, all before this returns: once the caller holds the stream, nothing is
    /// retried. The deadline (`config.deadline` from the call's start) also bounds the stream:
    /// past it the stream ends with [`AiError::Timeout`].
    ///
    /// # Errors
    /// As [`OpenAiClient::complete`], except `Blocked`, which comes as the stream's last item.
    pub async fn stream(&self, req: &ChatRequest) -> Result<ChatStream, AiError> {
        let key = self.api_key(&req.model)?;
        let body = Self::body(req, true)?;
        let url = self.url();
        let config = &self.inner.config;
        let started = Instant::now();
        let outcome = call(&self.inner.breaker, &self.inner.retry, config.deadline, || {
            self.stream_attempt(&url, key, body.clone())
        })
        .await;
        match outcome.result {
            Ok(opened) => Ok(ChatStream::new(
                opened.events,
                opened.first,
                req.model.clone(),
                started,
                config.deadline,
                outcome.attempts,
            )),
            Err(e) => {
                let e = map_call_error(e);
                tracing::info!(
                    model = %req.model,
                    latency_ms = outcome.elapsed.as_millis() as u64,
                    attempts = outcome.attempts,
                    outcome = e.outcome(),
                    error = %e,
                    "ai call"
                );
                Err(e)
            }
        }
    }

    async fn stream_attempt(&self, url: &str, key: &str, body: axum::body::Bytes) -> Result<Opened, Attempt> {
        let res = self
            .post(url, key, body, "text/event-stream")
            .send()
            .await
            .map_err(|e| Attempt::Transport(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(http_error(res).await);
        }
        let mut events = event_source(BodyDataStream::new(reqwest::Body::from(res)));
        match events.next().await {
            None => Err(Attempt::StreamStart("the body ended before the first event".to_owned())),
            Some(Err(detail)) => Err(Attempt::StreamStart(detail)),
            Some(Ok(first)) => match event_error(&first) {
                Some(detail) => Err(Attempt::StreamStart(format!("error event: {detail}"))),
                None => Ok(Opened { events, first }),
            },
        }
    }
}

fn map_call_error(e: CallError<Attempt>) -> AiError {
    match e {
        CallError::CircuitOpen(open) => AiError::CircuitOpen { retry_after: open.retry_after },
        CallError::DeadlineExceeded => AiError::Timeout,
        CallError::Failed(a) => a.into_ai_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_micros(150_500)), "the millisecond header wins");
        let mut h = HeaderMap::new();
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        h.insert("retry-after", HeaderValue::from_str(&later.replace("+0000", "GMT")).unwrap());
        let d = retry_after(&h).expect("HTTP-date");
        assert!(d > Duration::from_secs(80) && d <= Duration::from_secs(90), "{d:?}");
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn classes() {
        let http = |status, kind: &str, code: &str| Attempt::Http {
            status,
            kind: kind.into(),
            code: code.into(),
            message: String::new(),
            retry_after: Some(Duration::from_millis(5)),
        };
        let after = ErrorClass::Retryable { after: Some(Duration::from_millis(5)) };
        assert_eq!(http(429, "requests", "rate_limit_exceeded").class(), after);
        assert_eq!(http(429, "insufficient_quota", "insufficient_quota").class(), ErrorClass::Fatal);
        assert_eq!(http(429, "", "insufficient_quota").class(), ErrorClass::Fatal);
        assert_eq!(http(503, "server_error", "").class(), after);
        assert_eq!(http(401, "invalid_request_error", "invalid_api_key").class(), ErrorClass::Fatal);
        assert_eq!(http(404, "invalid_request_error", "model_not_found").class(), ErrorClass::Fatal);
        assert_eq!(http(400, "invalid_request_error", "context_length_exceeded").class(), ErrorClass::Rejected);
        assert_eq!(
            http(429, "insufficient_quota", "insufficient_quota").into_ai_error(),
            AiError::QuotaExhausted { detail: String::new() }
        );
        assert_eq!(
            http(400, "invalid_request_error", "context_length_exceeded").into_ai_error(),
            AiError::Unavailable { status: 400, detail: "invalid_request_error/context_length_exceeded: ".into() }
        );
    }
}
