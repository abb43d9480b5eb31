//! Gemini API wire format (REST, `v1beta`), the parts this client uses: the
//! `models.generateContent` request and response (<https://ai.google.dev/api/generate-content>)
//! and the error envelope with `google.rpc` details
//! (<https://ai.google.dev/gemini-api/docs/troubleshooting>,
//! <https://cloud.google.com/apis/design/errors>).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `GenerateContentRequest` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    /// System instruction (text parts only).
    pub system_instruction: Content,
    /// The conversation: one user turn with the image and the task.
    pub contents: Vec<Content>,
    /// Output settings.
    pub generation_config: GenerationConfig,
}

/// `Content`: a role and its parts.
#[derive(Debug, Serialize, Deserialize, Default)]
pub struct Content {
    /// `user` or `model` (absent on a system instruction).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
    /// Parts in order.
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// `Part`: text or inline data (other kinds are ignored when read).
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
    /// Inline bytes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inline_data: Option<Blob>,
    /// True on a thought summary part (thinking models); not part of the answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub thought: Option<bool>,
}

/// `Blob`: inline media (the request as a whole is limited to 20 MB by the API).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// IANA media type, e.g. `image/jpeg`.
    pub mime_type: String,
    /// Standard base64 of the bytes.
    pub data: String,
}

/// `GenerationConfig` (the fields used).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    /// `application/json` for structured output.
    pub response_mime_type: &'static str,
    /// OpenAPI-subset schema of the JSON answer.
    pub response_schema: serde_json::Value,
    /// Output token limit (thinking included on 2.5 models).
    pub max_output_tokens: u32,
    /// Sampling temperature; low for worked solutions.
    pub temperature: f32,
}

/// `GenerateContentResponse`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    /// Candidates; empty when the prompt was blocked.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Feedback on the prompt (`blockReason` set when blocked).
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    /// Token counts.
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
}

/// `Candidate`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The generated content (absent when blocked).
    #[serde(default)]
    pub content: Option<Content>,
    /// `STOP`, `MAX_TOKENS`, `SAFETY`, `RECITATION`, `LANGUAGE`, `OTHER`, `BLOCKLIST`,
    /// `PROHIBITED_CONTENT`, `SPII`, `MALFORMED_FUNCTION_CALL`, `IMAGE_SAFETY`, …
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// `PromptFeedback`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    /// `SAFETY`, `OTHER`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `IMAGE_SAFETY`, …
    #[serde(default)]
    pub block_reason: Option<String>,
}

/// `UsageMetadata` (token counts).
#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Input tokens (image included).
    #[serde(default)]
    pub prompt_token_count: u64,
    /// Output tokens of the candidates.
    #[serde(default)]
    pub candidates_token_count: u64,
    /// Thinking tokens (billed as output).
    #[serde(default)]
    pub thoughts_token_count: u64,
}

/// Finish reasons meaning "blocked by a filter": not retried, surfaced as a block.
pub const BLOCKING_FINISH_REASONS: [&str; 7] =
    ["SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"];

impl GenerateContentResponse {
    /// The answer text of the first candidate: its non-thought text parts joined.
    pub fn text(&self) -> Option<String> {
        let parts = &self.candidates.first()?.content.as_ref()?.parts;
        let text: String = parts.iter().filter(|p| p.thought != Some(true)).filter_map(|p| p.text.as_deref()).collect();
        (!text.trim().is_empty()).then_some(text)
    }
}

/// Error envelope: `{"error": {"code", "message", "status", "details": [...]}}`.
#[derive(Debug, Deserialize, Default)]
pub struct ErrorEnvelope {
    /// The error.
    #[serde(default)]
    pub error: ErrorBody,
}

/// `google.rpc.Status` as JSON.
#[derive(Debug, Deserialize, Default)]
pub struct ErrorBody {
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Canonical code name, e.g. `RESOURCE_EXHAUSTED`.
    #[serde(default)]
    pub status: String,
    /// Typed details (`@type` URLs), e.g. `google.rpc.RetryInfo`, `google.rpc.QuotaFailure`.
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

impl ErrorBody {
    /// `google.rpc.RetryInfo.retryDelay`, when present and readable.
    pub fn retry_delay(&self) -> Option<Duration> {
        self.details
            .iter()
            .find(|d| d.get("@type").and_then(|t| t.as_str()) == Some("type.googleapis.com/google.rpc.RetryInfo"))
            .and_then(|d| d.get("retryDelay"))
            .and_then(|v| v.as_str())
            .and_then(parse_proto_duration)
    }
}

/// A `google.protobuf.Duration` in its JSON form: seconds with up to 9 fractional digits and an
/// `s` suffix (`"30s"`, `"1.5s"`, `"0.250s"`). Negative or malformed values give `None`.
pub fn parse_proto_duration(s: &str) -> Option<Duration> {
    let secs = s.trim().strip_suffix('s')?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse::<u32>().ok()? };
    Some(Duration::new(whole.parse().ok()?, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_durations() {
        assert_eq!(parse_proto_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_proto_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_proto_duration("0.250s"), Some(Duration::from_millis(250)));
        for bad in ["", "s", "30", "-1s", "1.2.3s", "abc s", "1.0000000001s"] {
            assert_eq!(parse_proto_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_info_is_found_among_details() {
        let env: ErrorEnvelope = serde_json::from_value(serde_json::json!({"error": {
            "code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"}
            ]
        }}))
        .unwrap();
        assert_eq!(env.error.retry_delay(), Some(Duration::from_secs(22)));
        assert_eq!(env.error.status, "RESOURCE_EXHAUSTED");
    }

    #[test]
    fn text_skips_thoughts() {
        let r: GenerateContentResponse = serde_json::from_value(serde_json::json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "thinking…", "thought": true}, {"text": "{\"a\":"}, {"text": "1}"}
            ]}, "finishReason": "STOP"}]
        }))
        .unwrap();
        assert_eq!(r.text().as_deref(), Some("{\"a\":1}"));
    }
}
