//! AI providers: the Gemini client that turns a photographed question into a structured
//! [`SnapSolution`], the OpenAI-compatible chat client of the tutor ([`OpenAiClient`]: complete
//! or streamed answers), their errors ([`AiError`], mapped to problem+json) and usage
//! accounting ([`AiUsage`]). Outbound calls go through [`crate::resilience`].

mod chat;
mod chat_stream;
mod error;
mod gemini;
mod gemini_config;
mod gemini_wire;
mod openai;
mod openai_config;
mod openai_wire;
mod solution;

pub use chat::{ChatAnswer, ChatMessage, ChatRequest, Role, StreamEvent};
pub use chat_stream::ChatStream;
pub use error::AiError;
pub use gemini::GeminiClient;
pub use gemini_config::{DEFAULT_BASE_URL, DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_MODEL, GeminiConfig};
pub use openai::OpenAiClient;
pub use openai_config::{OPENAI_DEFAULT_BASE_URL, OpenAiConfig, TutorTierSettings};
pub use solution::{SUBJECTS, SnapSolution};

/// What one AI call cost and how it went (logged per call; input for `docs/cost.md`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AiUsage {
    /// Model id that was called.
    pub model: String,
    /// Input tokens (`usageMetadata.promptTokenCount`), summed over attempts.
    pub input_tokens: u64,
    /// Output tokens (`candidatesTokenCount + thoughtsTokenCount`: thinking is billed as
    /// output), summed over attempts.
    pub output_tokens: u64,
    /// Wall time of the whole call, retries and waits included, in ms.
    pub latency_ms: u64,
    /// HTTP attempts made (1 without retries).
    pub attempts: u32,
}
