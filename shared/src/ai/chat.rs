//! Chat model calls, provider-neutral: the messages and request a caller builds, the complete
//! answer, and the events of a streamed answer.

use serde::{Deserialize, Serialize};

use super::AiUsage;

/// Author of a chat message (OpenAI chat completions `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model (`system`).
    System,
    /// The student (`user`).
    User,
    /// The model (`assistant`).
    Assistant,
}

/// One message of a conversation; serialises as `{"role": "user", "content": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Author.
    pub role: Role,
    /// Text (Markdown with LaTeX for tutor answers).
    pub content: String,
}

impl ChatMessage {
    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }

    /// An `assistant` message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// One chat completion to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// Model id (from the tier's `TutorTierSettings::model`).
    pub model: String,
    /// The prompt: system message first, then the conversation, the new user message last.
    pub messages: Vec<ChatMessage>,
    /// Largest answer in tokens (`max_tokens`; the tier's `max_answer_tokens`).
    pub max_tokens: u32,
}

/// A complete (non-streamed) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAnswer {
    /// The answer text.
    pub content: String,
    /// The provider's finish reason: `stop` (complete) or `length` (cut at `max_tokens`; the
    /// text is usable but unfinished). `content_filter` is reported as `AiError::Blocked`.
    pub finish_reason: String,
    /// Tokens, latency and attempts of the call.
    pub usage: AiUsage,
}

/// One item of a streamed answer (see `ChatStream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Text to append to the answer (never empty).
    Delta(String),
    /// The stream ended with its end marker (`data: [DONE]`): the answer is complete. Always
    /// the last item.
    Done {
        /// `stop`, `length` (cut at `max_tokens`), or `unknown` when the provider sent none.
        finish_reason: String,
        /// Tokens (from the usage-only last chunk), latency from the call's start to the end
        /// marker, and attempts; `None` when the provider sent no usage (servers that ignore
        /// `stream_options.include_usage`).
        usage: Option<AiUsage>,
    },
}
