//! `snaps/{snapId}`: one photographed question, its stored image, the quota reservation that
//! pays for it and, once solved, the model's worked solution.
//!
//! Snaps live in a top-level collection (owner in `uid`) rather than under `users/{uid}`, so
//! the retention sweep is one query over `expires_at` instead of one query per user; listing a
//! user's history is `uid == X order by created_at desc` (composite index `uid ASC,
//! created_at DESC`, in `firestore.indexes.json`).

use serde::{Deserialize, Serialize};

use crate::ai::{AiUsage, SnapSolution};
use crate::domain::{IstDay, SnapId};
use crate::store::{CollectionPath, DocPath, StoreError, Timestamp};

/// Collection id of snaps.
pub const SNAPS: &str = "snaps";

/// Lifecycle of a snap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnapStatus {
    /// Quota reserved, image stored, solution not yet known (being solved inline or by a job).
    Pending,
    /// Solved; the reservation became a charge.
    Solved,
    /// Failed on our or the provider's side; the reservation was released (not charged).
    Failed,
}

/// The stored, re-encoded image of a snap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapImage {
    /// Object key in the snap image storage.
    pub key: String,
    /// Media type of the stored bytes.
    pub mime_type: String,
    /// Stored size, bytes.
    pub bytes: u64,
    /// Width, px (HEIC/HEIF: as its `ispe` box declares).
    pub width: u32,
    /// Height, px.
    pub height: u32,
}

/// Why a snap failed (the problem code and detail the client was or would have been given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapFailure {
    /// Stable problem code, e.g. `ai_blocked`.
    pub code: String,
    /// Human-readable detail.
    pub detail: String,
}

/// A snap document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapDoc {
    /// Owner uid.
    pub uid: String,
    /// Status.
    pub status: SnapStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When retention ends (creation + the tier's history retention); `None` = kept (Ultra).
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// IST day whose `usage.{day}.snaps` counter holds this snap's reservation or charge.
    pub quota_day: IstDay,
    /// SHA-256 (hex) of the uploaded image bytes: a retry with the same `Idempotency-Key` must
    /// carry the same image.
    pub request_hash: String,
    /// The client's `Idempotency-Key`, when sent.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The stored image.
    pub image: SnapImage,
    /// Attempts at solving (inline and queued).
    #[serde(default)]
    pub attempts: u32,
    /// The worked solution, once solved.
    #[serde(default)]
    pub solution: Option<SnapSolution>,
    /// Up to 3 bank questions of the same topic (ids), chosen by the adaptive engine.
    #[serde(default)]
    pub similar: Vec<String>,
    /// Model usage of the successful call.
    #[serde(default)]
    pub usage: Option<AiUsage>,
    /// Why it failed, when failed.
    #[serde(default)]
    pub failure: Option<SnapFailure>,
}

impl SnapDoc {
    /// The `snaps` collection.
    ///
    /// # Errors
    /// Never for the constant id.
    pub fn collection() -> Result<CollectionPath, StoreError> {
        CollectionPath::parse(SNAPS)
    }

    /// `snaps/{snapId}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for a parsed id).
    pub fn path(id: &SnapId) -> Result<DocPath, StoreError> {
        Self::collection()?.doc(id.as_str())
    }

    /// True when retention has ended at `now` (expired snaps are never listed or served).
    pub fn is_expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires_at.as_ref().is_some_and(|t| t.0 <= now)
    }
}
