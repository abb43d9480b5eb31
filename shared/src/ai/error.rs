//! Outcomes of an AI call other than a solution, and their problem+json mapping.

use std::time::Duration;

use crate::problem::{ErrorCode, Problem};

/// Why an AI call produced no solution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// No API key configured (`GEMINI_API_KEY`); no call was made.
    #[error("the AI provider is not configured (GEMINI_API_KEY is not set)")]
    NotConfigured,
    /// The prompt (`promptFeedback.blockReason`) or the candidate (`finishReason` SAFETY,
    /// RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY, …) was blocked. Not
    /// retried, not a breaker failure.
    #[error("blocked by the provider: {reason}")]
    Blocked {
        /// `prompt: <blockReason>` or `candidate: <finishReason>`.
        reason: String,
    },
    /// The answer hit `maxOutputTokens` (finish reason MAX_TOKENS).
    #[error("the answer was cut off at the output-token limit")]
    MaxTokens,
    /// The model's text was not valid JSON of our schema, on the first try and on the retry.
    #[error("the model's answer is not a valid solution: {detail}")]
    BadOutput {
        /// What was wrong with the last answer.
        detail: String,
    },
    /// 429 RESOURCE_EXHAUSTED whose retry delay does not fit in the deadline (or retries ran
    /// out).
    #[error("rate-limited by the provider")]
    RateLimited {
        /// The provider's retry delay (RetryInfo / Retry-After), when given.
        retry_after: Option<Duration>,
    },
    /// The provider failed: 5xx after retries, a connection error (`status` 0), or a 4xx that
    /// means our configuration is wrong (400 INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404
    /// NOT_FOUND for a model name).
    #[error("the AI provider failed (HTTP {status}): {detail}")]
    Unavailable {
        /// HTTP status of the last attempt, 0 when there was no response.
        status: u16,
        /// Provider message or transport error (logged; not sent to clients).
        detail: String,
    },
    /// The call did not finish within its deadline.
    #[error("the AI provider did not answer in time")]
    Timeout,
    /// The provider's circuit breaker is open: failed fast without a call.
    #[error("the AI provider is failing; calls are paused")]
    CircuitOpen {
        /// Time until the breaker lets a call through.
        retry_after: Duration,
    },
    /// No API key in the environment variable `variable` (e.g. `OPENAI_API_KEY`); no call was
    /// made. (The Gemini client reports [`AiError::NotConfigured`].)
    #[error("the AI provider is not configured ({variable} is not set)")]
    MissingApiKey {
        /// The variable that holds the key.
        variable: &'static str,
    },
    /// The provider account's quota or credit is exhausted (OpenAI: 429 with type or code
    /// `insufficient_quota`, <https://platform.openai.com/docs/guides/error-codes>). Not retried:
    /// waiting does not help.
    #[error("the AI provider account's quota is exhausted: {detail}")]
    QuotaExhausted {
        /// Provider message (logged; not sent to clients).
        detail: String,
    },
    /// A streamed answer ended before its end marker: the connection dropped mid-body, the
    /// stream ended without `data: [DONE]`, or the provider sent an error event mid-stream. What
    /// was received is not a complete answer.
    #[error("the AI answer stream was interrupted: {detail}")]
    Interrupted {
        /// What happened (logged; not sent to clients).
        detail: String,
    },
    /// The provider refused this request's input (HTTP 400 INVALID_ARGUMENT, 413): e.g. an
    /// image it cannot read. Not retried, not charged, and not a provider failure for the
    /// breaker (one user's bad uploads must not pause the service for everyone).
    #[error("the AI provider refused this input: {detail}")]
    InputRejected {
        /// The provider's status and message (logged; not sent to clients).
        detail: String,
    },
}

impl AiError {
    /// Short snake_case name of the outcome, for the one log line per AI call.
    pub fn outcome(&self) -> &'static str {
        match self {
            AiError::NotConfigured | AiError::MissingApiKey { .. } => "not_configured",
            AiError::Blocked { .. } => "blocked",
            AiError::MaxTokens => "max_tokens",
            AiError::BadOutput { .. } => "bad_output",
            AiError::RateLimited { .. } => "rate_limited",
            AiError::Unavailable { .. } => "unavailable",
            AiError::Timeout => "timeout",
            AiError::CircuitOpen { .. } => "circuit_open",
            AiError::QuotaExhausted { .. } => "quota_exhausted",
            AiError::Interrupted { .. } => "interrupted",
            AiError::InputRejected { .. } => "input_rejected",
        }
    }
}

/// An error with its sources, for the log (reqwest's top-level message hides the cause).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// Whole seconds for `Retry-After`, rounded up, at least 1.
fn seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl From<AiError> for Problem {
    /// `ai_unavailable` 503 (NotConfigured, MissingApiKey, CircuitOpen, RateLimited,
    /// Unavailable; with `Retry-After` when a wait is known), `ai_quota_exhausted` 503,
    /// `ai_blocked` 422, `ai_bad_output` 502, `ai_truncated` 502, `ai_interrupted` 502,
    /// `ai_timeout` 504. Provider messages stay in the log.
    fn from(e: AiError) -> Self {
        match e {
            AiError::NotConfigured => Problem::new(
                ErrorCode::AiUnavailable,
                "the AI service is not configured on this server: GEMINI_API_KEY is not set",
            ),
            AiError::CircuitOpen { retry_after } => Problem::new(
                ErrorCode::AiUnavailable,
                "the AI provider has been failing; calls are paused for a short while",
            )
            .retry_after(seconds(retry_after)),
            AiError::RateLimited { retry_after } => {
                let p = Problem::new(ErrorCode::AiUnavailable, "the AI provider's rate limit is reached; retry later");
                match retry_after {
                    Some(d) => p.retry_after(seconds(d)),
                    None => p,
                }
            }
            AiError::Unavailable { status, .. } if status == 0 || status >= 500 => {
                Problem::new(ErrorCode::AiUnavailable, "the AI provider is unavailable; retry later").retry_after(5)
            }
            AiError::Unavailable { status, .. } => Problem::new(
                ErrorCode::AiUnavailable,
                format!(
                    "the AI provider refused the request (HTTP {status}); the server's AI configuration needs attention"
                ),
            ),
            AiError::Blocked { reason } => Problem::new(
                ErrorCode::AiBlocked,
                "the image or its solution was blocked by the AI provider's safety filters",
            )
            .with("reason", reason),
            AiError::BadOutput { .. } => {
                Problem::new(ErrorCode::AiBadOutput, "the AI model returned an invalid answer; please try again")
            }
            AiError::MaxTokens => {
                Problem::new(ErrorCode::AiTruncated, "the AI model's answer was too long and was cut off")
            }
            AiError::Timeout => Problem::new(ErrorCode::AiTimeout, "the AI model did not answer in time"),
            AiError::MissingApiKey { variable } => Problem::new(
                ErrorCode::AiUnavailable,
                format!("the AI service is not configured on this server: {variable} is not set"),
            ),
            AiError::QuotaExhausted { .. } => Problem::new(
                ErrorCode::AiQuotaExhausted,
                "the AI provider account's quota is exhausted; the server's AI billing needs attention",
            ),
            AiError::InputRejected { .. } => Problem::new(
                ErrorCode::AiInputRejected,
                "the AI provider could not process this input (is the photo a readable image?); this request was not charged",
            ),
            AiError::Interrupted { .. } => {
                Problem::new(ErrorCode::AiInterrupted, "the AI model's answer was interrupted; please try again")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{StatusCode, header};

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_secs(30)), 30);
        assert_eq!(seconds(Duration::from_millis(29_001)), 30);
        assert_eq!(seconds(Duration::ZERO), 1);
    }

    #[test]
    fn codes_statuses_and_headers() {
        let cases = [
            (AiError::NotConfigured, ErrorCode::AiUnavailable, None),
            (AiError::CircuitOpen { retry_after: Duration::from_millis(12_300) }, ErrorCode::AiUnavailable, Some("13")),
            (AiError::RateLimited { retry_after: Some(Duration::from_secs(40)) }, ErrorCode::AiUnavailable, Some("40")),
            (AiError::Unavailable { status: 503, detail: "x".into() }, ErrorCode::AiUnavailable, Some("5")),
            (AiError::Unavailable { status: 403, detail: "x".into() }, ErrorCode::AiUnavailable, None),
            (AiError::Blocked { reason: "prompt: SAFETY".into() }, ErrorCode::AiBlocked, None),
            (AiError::BadOutput { detail: "x".into() }, ErrorCode::AiBadOutput, None),
            (AiError::MaxTokens, ErrorCode::AiTruncated, None),
            (AiError::Timeout, ErrorCode::AiTimeout, None),
            (AiError::MissingApiKey { variable: "OPENAI_API_KEY" }, ErrorCode::AiUnavailable, None),
            (AiError::QuotaExhausted { detail: "x".into() }, ErrorCode::AiQuotaExhausted, None),
            (AiError::Interrupted { detail: "x".into() }, ErrorCode::AiInterrupted, None),
        ];
        for (e, code, retry_after) in cases {
            let p = Problem::from(e.clone());
            assert_eq!(p.details().code, code, "{e:?}");
            let got = p.details().headers.get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(got.as_deref(), retry_after, "{e:?}");
        }
        assert_eq!(ErrorCode::AiUnavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ErrorCode::AiBlocked.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(ErrorCode::AiBadOutput.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(ErrorCode::AiTruncated.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(ErrorCode::AiTimeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(ErrorCode::AiBadOutput.as_str(), "ai_bad_output");
        assert_eq!(ErrorCode::AiQuotaExhausted.as_str(), "ai_quota_exhausted");
        assert_eq!(ErrorCode::AiQuotaExhausted.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ErrorCode::AiInterrupted.as_str(), "ai_interrupted");
        assert_eq!(ErrorCode::AiInterrupted.status(), StatusCode::BAD_GATEWAY);
        let p = Problem::from(AiError::MissingApiKey { variable: "OPENAI_API_KEY" });
        assert!(p.details().detail.contains("OPENAI_API_KEY"));
        let p = Problem::from(AiError::NotConfigured);
        assert!(p.details().detail.contains("GEMINI_API_KEY"));
    }
}
