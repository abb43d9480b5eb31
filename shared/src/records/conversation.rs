//! `conversations/{conversationId}` and `conversations/{conversationId}/turns/{turnId}`: a
//! tutor conversation (owner, optional anchored context frozen at creation, running summary of
//! older turns) and its exchanges, one document per student message and tutor answer.
//!
//! Top-level like snaps, so the retention sweep is one query on `expires_at`; a user's
//! conversations are `uid == X order by updated_at desc` (composite index `uid ASC,
//! updated_at DESC`). Turns are read newest first by `seq` (single-field index).

use serde::{Deserialize, Serialize};

use crate::ai::AiUsage;
use crate::domain::IstDay;
use crate::store::{CollectionPath, DocPath, StoreError, Timestamp};

/// Collection id of conversations.
pub const CONVERSATIONS: &str = "conversations";
/// Subcollection id of turns.
pub const TURNS: &str = "turns";

/// What a conversation is anchored to: the tutor must explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    /// `snap` or `quiz_question`.
    pub kind: String,
    /// The snap, for `snap`.
    #[serde(default)]
    pub snap_id: Option<String>,
    /// The quiz, for `quiz_question`.
    #[serde(default)]
    pub quiz_id: Option<String>,
    /// The question, for `quiz_question`.
    #[serde(default)]
    pub question_id: Option<String>,
    /// The context given to the model (question, the student's answer, the worked solution),
    /// frozen at creation so later edits or deletions cannot change the conversation.
    pub context: String,
}

/// A conversation document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDoc {
    /// Owner uid.
    pub uid: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last turn (listing order).
    pub updated_at: Timestamp,
    /// Retention end (tier at creation); `None` = kept (Ultra).
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Anchored context, if any.
    #[serde(default)]
    pub anchor: Option<Anchor>,
    /// Turns started so far (the next turn's `seq`).
    #[serde(default)]
    pub turns: u32,
    /// Model-written summary of turns `0..summarized_through`.
    #[serde(default)]
    pub summary: Option<String>,
    /// Turns covered by `summary`.
    #[serde(default)]
    pub summarized_through: u32,
    /// First words of the first message (for listings).
    #[serde(default)]
    pub title: Option<String>,
}

impl ConversationDoc {
    /// The `conversations` collection.
    ///
    /// # Errors
    /// Never for the constant id.
    pub fn collection() -> Result<CollectionPath, StoreError> {
        CollectionPath::parse(CONVERSATIONS)
    }

    /// `conversations/{id}`.
    ///
    /// # Errors
    /// Invalid id.
    pub fn path(id: &str) -> Result<DocPath, StoreError> {
        Self::collection()?.doc(id)
    }

    /// True when retention has ended at `now`.
    pub fn is_expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires_at.as_ref().is_some_and(|t| t.0 <= now)
    }
}

/// Lifecycle of a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TurnStatus {
    /// Quota reserved, answer being generated.
    Pending,
    /// Answer complete; charged.
    Complete,
    /// Answer cut short (stream cut, client disconnected); what arrived is kept; not charged.
    Incomplete,
    /// No answer (provider error); not charged.
    Failed,
}

/// One exchange: the student's message and the tutor's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnDoc {
    /// Owner uid (denormalised for checks).
    pub uid: String,
    /// Position in the conversation, from 0.
    pub seq: u32,
    /// Status.
    pub status: TurnStatus,
    /// The student's message.
    pub user: String,
    /// The tutor's answer (partial when incomplete).
    #[serde(default)]
    pub assistant: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// IST day whose `usage.{day}.tutor_messages` holds the reservation or charge.
    pub quota_day: IstDay,
    /// SHA-256 (hex) of the message content, for idempotent retries.
    pub request_hash: String,
    /// The client's `Idempotency-Key`, when sent.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Provider finish reason (`stop`, `length`, …) once known.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Model usage.
    #[serde(default)]
    pub usage: Option<AiUsage>,
    /// Why it failed or stopped early (problem code), when it did.
    #[serde(default)]
    pub error: Option<String>,
}

impl TurnDoc {
    /// `conversations/{conversation}/turns/{turn}`.
    ///
    /// # Errors
    /// Invalid ids.
    pub fn path(conversation: &str, turn: &str) -> Result<DocPath, StoreError> {
        ConversationDoc::path(conversation)?.collection(TURNS)?.doc(turn)
    }
}
