//! `users/{uid}/offline_packs/{packId}`: an offline practice pack with the grading snapshot of
//! its questions, the served questions (answers withheld) exactly as downloaded, and which of
//! its items have been applied by a sync. The user document points at the pack last issued
//! ([`PackRef`] in `users/{uid}.offline_pack`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::quiz::QuizItem;
use crate::domain::{PackId, UserId};
use crate::grading::Outcome;
use crate::store::{DocPath, StoreError, Timestamp};

/// Collection of a user's packs, under `users/{uid}`.
pub const OFFLINE_PACKS: &str = "offline_packs";

/// Version of the pack format served to the app (part of the pack's `version`).
pub const PACK_FORMAT: u32 = 1;

/// Why a device time was not taken as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeFlag {
    /// Later than the server's clock at sync: clamped to the sync time.
    Future,
    /// Earlier than the pack's issue: clamped to the issue time.
    BeforeIssue,
}

/// One item applied by a sync (never applied twice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedItem {
    /// Sync number that applied it (1 = first sync that applied anything).
    pub sync: i64,
    /// When it was answered: the device time, clamped to [issue, sync].
    pub answered_at: Timestamp,
    /// Set when the device time was clamped.
    #[serde(default)]
    pub time_flag: Option<TimeFlag>,
    /// The response as graded (`null` when skipped).
    pub response: serde_json::Value,
    /// Marks.
    pub marks: i64,
    /// Outcome.
    pub outcome: Outcome,
    /// Seconds spent.
    pub seconds: i64,
    /// The completed quiz record the sync wrote (`users/{uid}/quizzes/{id}`).
    pub quiz_id: String,
}

/// A pack document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackDoc {
    /// Owner.
    pub uid: String,
    /// Issue time.
    pub created_at: Timestamp,
    /// Results are accepted until then; a Firestore TTL policy on this field deletes the pack.
    pub expires_at: Timestamp,
    /// `{PACK_FORMAT}.{bank version}`.
    pub version: String,
    /// Entity tag of the pack as issued (nothing synced yet); what is served is
    /// [`entity_tag`] of the current synced count.
    pub etag: String,
    /// Size asked for.
    pub requested: i64,
    /// Grading snapshot, in pack order.
    pub items: Vec<QuizItem>,
    /// The questions as served (no answers or solutions), in pack order.
    pub questions: Vec<serde_json::Value>,
    /// Question id → how it was applied.
    #[serde(default)]
    pub applied: BTreeMap<String, AppliedItem>,
    /// Syncs that applied at least one item.
    #[serde(default)]
    pub syncs: i64,
}

impl PackDoc {
    /// `users/{uid}/offline_packs/{packId}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for parsed ids).
    pub fn path(uid: &UserId, id: &PackId) -> Result<DocPath, StoreError> {
        DocPath::parse(&format!("users/{}/{OFFLINE_PACKS}/{}", uid.as_str(), id.as_str()))
    }
}

/// The strong entity tag (RFC 9110 §8.8.3) of a pack's representation: its id and the number
/// of its items synced, because the served body carries `synced` (the questions never change),
/// so a client revalidating after a sync gets the new count, not `304`.
pub fn entity_tag(pack_id: &str, synced: usize) -> String {
    format!("\"{pack_id}.{synced}\"")
}

/// `users/{uid}.offline_pack`: the pack last issued, so a download can answer `304` from the
/// user document alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackRef {
    /// Pack id.
    pub id: String,
    /// Its entity tag as issued (see [`entity_tag`] for the one served).
    pub etag: String,
    /// Size asked for.
    pub requested: i64,
    /// Items in the pack.
    pub items: i64,
    /// Items applied so far.
    #[serde(default)]
    pub applied: i64,
    /// Its expiry.
    pub expires_at: Timestamp,
}
