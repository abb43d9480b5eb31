//! OpenAI chat completions wire format, the parts this client uses
//! (<https://platform.openai.com/docs/api-reference/chat>): the request, the response, the
//! streamed `chat.completion.chunk` objects, usage, and the error envelope
//! (<https://platform.openai.com/docs/guides/error-codes>). Unknown fields are ignored, so the
//! same types read OpenAI-compatible servers (Azure, Ollama, vLLM, llama.cpp).

use serde::{Deserialize, Serialize};

use super::ChatMessage;

/// `POST /chat/completions` body.
#[derive(Debug, Serialize)]
pub struct ChatCompletionRequest<'a> {
    /// Model id.
    pub model: &'a str,
    /// The conversation.
    pub messages: &'a [ChatMessage],
    /// Largest answer in tokens.
    pub max_tokens: u32,
    /// Whether the answer streams as server-sent events.
    pub stream: bool,
    /// `{"include_usage": true}` on streams: a last chunk with empty `choices` carries `usage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// `stream_options`.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    /// Ask for the usage-only final chunk.
    pub include_usage: bool,
}

/// `usage` (completion tokens include reasoning tokens on reasoning models).
#[derive(Debug, Deserialize, Default, Clone, Copy)]
pub struct Usage {
    /// Input tokens.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub completion_tokens: u64,
}

/// A `chat.completion` object (non-streaming response).
#[derive(Debug, Deserialize)]
pub struct ChatCompletion {
    /// Choices; this client asks for one (`n` unset).
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Token usage.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One choice of a [`ChatCompletion`].
#[derive(Debug, Deserialize)]
pub struct Choice {
    /// The answer.
    #[serde(default)]
    pub message: ResponseMessage,
    /// `stop`, `length`, `content_filter`, `tool_calls`, …
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The assistant message of a choice.
#[derive(Debug, Deserialize, Default)]
pub struct ResponseMessage {
    /// Text (null when refused or filtered).
    #[serde(default)]
    pub content: Option<String>,
    /// The model's refusal message, when it refused.
    #[serde(default)]
    pub refusal: Option<String>,
}

/// A `chat.completion.chunk` object (one `data:` event of a stream).
#[derive(Debug, Deserialize)]
pub struct ChatCompletionChunk {
    /// Usually one choice; empty in the final usage-only chunk and in Azure's content-filter
    /// preamble (`prompt_filter_results`).
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Set (with empty `choices`) in the final chunk when `include_usage` was requested.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Set instead of the other fields when the provider reports an error mid-stream
    /// (`data: {"error": {...}}`).
    #[serde(default)]
    pub error: Option<ApiError>,
}

/// One choice of a [`ChatCompletionChunk`].
#[derive(Debug, Deserialize)]
pub struct ChunkChoice {
    /// Choice index (0 for the only choice).
    #[serde(default)]
    pub index: u32,
    /// What this chunk adds.
    #[serde(default)]
    pub delta: Delta,
    /// Set on the choice's last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The increment of a streamed choice.
#[derive(Debug, Deserialize, Default)]
pub struct Delta {
    /// Text to append (absent on the role-only first chunk).
    #[serde(default)]
    pub content: Option<String>,
    /// Refusal text to append, when the model refuses.
    #[serde(default)]
    pub refusal: Option<String>,
}

/// `{"error": {...}}`: the body of every non-2xx response, and of an error event mid-stream.
#[derive(Debug, Deserialize, Default)]
pub struct ErrorEnvelope {
    /// The error.
    #[serde(default)]
    pub error: ApiError,
}

/// The error object: `message`, `type`, `param`, `code` (string, number or null: compatible
/// servers differ).
#[derive(Debug, Deserialize, Default)]
pub struct ApiError {
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// `invalid_request_error`, `insufficient_quota`, `server_error`, `requests`, `tokens`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `rate_limit_exceeded`, `insufficient_quota`, `invalid_api_key`, `model_not_found`, …
    #[serde(default)]
    pub code: Option<serde_json::Value>,
}

impl ApiError {
    /// `code` as text (numbers printed), empty when absent.
    pub fn code_text(&self) -> String {
        match &self.code {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
}
