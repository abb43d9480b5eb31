//! The tutor's prompt: a system prompt, the anchored context, a running summary of older turns,
//! then as many recent turns as fit the tier's context budget, then the new message.
//!
//! Token counts are an estimate, not a tokenizer: ⌈UTF-8 bytes / 3⌉ per text plus 4 per message
//! for the chat format's framing. OpenAI documents ≈ 4 characters per token for English
//! (<https://help.openai.com/en/articles/4936856>); Devanagari takes 3 UTF-8 bytes per
//! character and tokenizes at roughly one token per character or two, so bytes / 3
//! over-counts English by about a third and fits Hindi: the budget errs on the safe side for
//! every language a JEE student writes in.

use crate::ai::{ChatMessage, Role};
use crate::records::conversation::{Anchor, TurnDoc, TurnStatus};

/// The tutor's instructions.
pub const SYSTEM_PROMPT: &str = "You are JEEVibe's tutor for students preparing for India's JEE Main and \
JEE Advanced (physics, chemistry, mathematics). Teach, do not just tell: ask one guiding question at a \
time (Socratic method), check the student's reasoning, point out the exact step that went wrong, and give \
the full solution only when the student asks for it or is stuck after trying. Write mathematics in LaTeX \
($...$ inline, $$...$$ for display). Answer in the language the student writes in: English, Hindi \
(Devanagari) or Hinglish (Hindi in Latin script), matching their script. Keep answers short and exam-focused; \
mention the relevant formula, the common trap, and the NCERT chapter when useful. If a question is outside \
JEE preparation, say so briefly and steer back.";

/// Framing tokens per chat message (role, separators), in the estimate.
pub const PER_MESSAGE_TOKENS: usize = 4;

/// Estimated tokens of a text (see the module docs).
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3)
}

/// Estimated tokens of a message list.
pub fn estimate_messages(messages: &[ChatMessage]) -> usize {
    messages.iter().map(|m| estimate_tokens(&m.content) + PER_MESSAGE_TOKENS).sum()
}

/// A prompt ready to send.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// Messages in order.
    pub messages: Vec<ChatMessage>,
    /// Estimated input tokens.
    pub tokens: usize,
    /// Older turns (before the window) that the summary does not cover yet: when true the caller
    /// should refresh the summary.
    pub overflow: bool,
    /// Turns included verbatim.
    pub window: usize,
}

fn message(role: Role, content: impl Into<String>) -> ChatMessage {
    ChatMessage { role, content: content.into() }
}

/// Builds the prompt within `budget` tokens (the tier's context budget minus the answer's
/// max tokens is a sensible budget). `recent` are earlier turns, newest first; only complete or
/// incomplete turns with text are used. The system prompt, context, summary and new message
/// are always included (context and summary are cut to a quarter of the budget each).
pub fn build(
    anchor: Option<&Anchor>,
    summary: Option<&str>,
    summarized_through: u32,
    recent: &[TurnDoc],
    new_message: &str,
    budget: usize,
) -> Prompt {
    let mut head = vec![message(Role::System, SYSTEM_PROMPT)];
    if let Some(a) = anchor {
        head.push(message(
            Role::System,
            format!(
                "The student is asking about this question and its worked solution:\n\n{}",
                clip(&a.context, budget / 4)
            ),
        ));
    }
    if let Some(s) = summary.filter(|s| !s.trim().is_empty()) {
        head.push(message(Role::System, format!("Summary of the conversation so far:\n{}", clip(s, budget / 4))));
    }
    let tail = message(Role::User, new_message);
    let mut used = estimate_messages(&head) + estimate_messages(std::slice::from_ref(&tail));
    let mut window: Vec<&TurnDoc> = Vec::new();
    let usable = recent.iter().filter(|t| {
        matches!(t.status, TurnStatus::Complete | TurnStatus::Incomplete) && !t.assistant.trim().is_empty()
    });
    let mut overflow = false;
    for t in usable {
        let cost = estimate_tokens(&t.user) + estimate_tokens(&t.assistant) + 2 * PER_MESSAGE_TOKENS;
        if used + cost > budget {
            overflow = t.seq >= summarized_through;
            break;
        }
        used += cost;
        window.push(t);
    }
    let mut messages = head;
    for t in window.iter().rev() {
        messages.push(message(Role::User, t.user.clone()));
        messages.push(message(Role::Assistant, t.assistant.clone()));
    }
    messages.push(tail);
    Prompt { tokens: estimate_messages(&messages), messages, overflow, window: window.len() }
}

/// The request that asks the model to fold older turns into the running summary.
pub fn summary_request(previous: Option<&str>, turns: &[TurnDoc], budget: usize) -> Vec<ChatMessage> {
    let mut text = String::new();
    if let Some(p) = previous {
        text.push_str("Summary so far:\n");
        text.push_str(p);
        text.push_str("\n\n");
    }
    text.push_str("Turns to add:\n");
    for t in turns {
        text.push_str(&format!("Student: {}\nTutor: {}\n", t.user, t.assistant));
    }
    vec![
        message(
            Role::System,
            "Summarise this tutoring conversation for the tutor's own memory in at most 150 words: the \
             problems discussed, what the student understood, their mistakes and open questions. Keep \
             key formulas in LaTeX. Write in English.",
        ),
        message(Role::User, clip(&text, budget)),
    ]
}

/// The last `max_tokens` worth of `text`, cut on a character boundary.
fn clip(text: &str, max_tokens: usize) -> String {
    let max_bytes = max_tokens.saturating_mul(3);
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut start = text.len() - max_bytes;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IstDay;
    use crate::store::Timestamp;

    fn turn(seq: u32, user: &str, assistant: &str) -> TurnDoc {
        let now = chrono::Utc::now();
        TurnDoc {
            uid: "u".into(),
            seq,
            status: TurnStatus::Complete,
            user: user.into(),
            assistant: assistant.into(),
            created_at: Timestamp(now),
            updated_at: Timestamp(now),
            quota_day: IstDay::of(now),
            request_hash: String::new(),
            idempotency_key: None,
            finish_reason: Some("stop".into()),
            usage: None,
            error: None,
        }
    }

    #[test]
    fn estimates_err_on_the_safe_side() {
        assert_eq!(estimate_tokens("abcdef"), 2);
        // "नमस्ते" is 6 characters, 18 bytes: 6 tokens.
        assert_eq!(estimate_tokens("नमस्ते"), 6);
    }

    #[test]
    fn keeps_the_newest_turns_that_fit_and_flags_overflow() {
        let turns: Vec<TurnDoc> = (0..200).rev().map(|i| turn(i, &"q".repeat(300), &"a".repeat(900))).collect();
        let p = build(None, None, 0, &turns, "next question", 4_000);
        assert!(p.tokens <= 4_000, "{}", p.tokens);
        assert!(p.window > 0 && p.window < 200);
        assert!(p.overflow);
        // The newest turn is last before the new message.
        assert_eq!(p.messages[p.messages.len() - 2].content, "a".repeat(900));
        // Once everything older is summarised, no overflow.
        let p2 = build(None, Some("summary"), 200, &turns, "next question", 4_000);
        assert!(!p2.overflow);
    }

    #[test]
    fn clips_long_context_on_char_boundaries() {
        let long = "क".repeat(10_000);
        let c = clip(&long, 100);
        assert!(c.len() <= 300 + "…".len());
        assert!(c.starts_with('…'));
    }
}
