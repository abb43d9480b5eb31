//! Step 2 of a snap: ask the model for a worked solution of the stored image, pick similar
//! bank questions, and settle the reservation. The same code runs inline (inside the request,
//! up to the synchronous wait) and in a queued job (after a `202 Accepted`).

use std::collections::HashMap;
use std::sync::Arc;

use super::settle::{Settlement, settle};
use crate::ai::{AiError, GeminiClient, SnapSolution};
use crate::bank::BankCache;
use crate::domain::{Question, SnapId, Subject, TopicKey, UserId};
use crate::irt::Ability;
use crate::irt::selection::{RecentlySeen, assemble};
use crate::problem::Problem;
use crate::records::UserDoc;
use crate::records::snap::{SnapDoc, SnapFailure, SnapStatus};
use crate::store::{DocumentStore, StoreError};

/// How many similar bank questions a solved snap links to.
pub const SIMILAR: usize = 3;

/// The outcome of one solving attempt.
#[derive(Debug)]
pub enum Attempt {
    /// Solved; the snap as stored.
    Solved(Box<SnapDoc>),
    /// Failed for good and released (not charged); the snap as stored and the error.
    Failed(Box<SnapDoc>, AiError),
    /// The snap no longer exists or is no longer pending (deleted, or settled elsewhere).
    Gone,
    /// A retryable provider failure; the snap stays pending (a job may try again).
    Retryable(AiError),
}

/// True for provider failures worth another attempt later (a job retry), as opposed to final
/// answers about this image (blocked, bad output, truncated) or configuration.
pub fn retryable(e: &AiError) -> bool {
    matches!(
        e,
        AiError::Timeout | AiError::Unavailable { .. } | AiError::RateLimited { .. } | AiError::CircuitOpen { .. }
    )
}

/// The stored failure for an AI error (its problem code and detail).
pub fn failure_of(e: &AiError) -> SnapFailure {
    let p = Problem::from(e.clone());
    SnapFailure { code: p.details().code.as_str(), detail: p.details().detail.clone() }
}

/// Bank questions of the solution's topic (or chapter), chosen by the adaptive engine for this
/// student: maximum information at their θ with randomesque exposure control, unseen first.
pub fn similar_questions(
    bank: &crate::bank::QuestionBank,
    user: &UserDoc,
    solution: &SnapSolution,
    n: usize,
) -> Vec<String> {
    let subject = Subject::parse(&solution.subject);
    let mut pools = bank.pools(subject, None);
    match &solution.topic_key {
        Some(key) => pools.retain(|p| p.topic.as_str() == key),
        None if subject.is_some() => {
            let chapter = crate::domain::topic::slug(&solution.chapter);
            pools.retain(|p| p.topic.as_str().split('/').nth(1) == Some(chapter.as_str()));
        }
        None => pools.clear(),
    }
    if pools.is_empty() {
        return Vec::new();
    }
    let abilities: HashMap<TopicKey, Ability> =
        user.abilities.iter().map(|(k, v)| (TopicKey::from_stored(k.clone()), v.ability())).collect();
    let recent: RecentlySeen = user.recent.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let chosen: Vec<&Question> = assemble(&pools, &abilities, &recent, n, &mut rand::rng());
    chosen.iter().map(|q| q.id.to_string()).collect()
}

/// Everything a solving attempt needs.
#[derive(Clone)]
pub struct Solver {
    /// Store.
    pub store: Arc<dyn DocumentStore>,
    /// Question bank (taxonomy offered to the model, similar questions).
    pub bank: Arc<BankCache>,
    /// Gemini client (with its breaker and retries).
    pub ai: GeminiClient,
    /// Time source.
    pub clock: Arc<dyn crate::clock::Clock>,
}

/// One solving attempt's input.
#[derive(Debug, Clone, Copy)]
pub struct SolveInput<'a> {
    /// The pending snap.
    pub id: &'a SnapId,
    /// Its owner.
    pub uid: &'a UserId,
    /// The stored (prepared) image.
    pub image: &'a [u8],
    /// Its media type.
    pub mime_type: &'a str,
    /// Attempt number recorded on the snap.
    pub attempt_no: u32,
    /// When true a retryable failure fails the snap too (no later attempt will come).
    pub final_attempt: bool,
}

impl Solver {
    /// Solves `image` for pending snap `id` of `uid` and settles it, unless the failure is
    /// retryable and `final_attempt` is false (then the snap stays pending).
    ///
    /// # Errors
    /// Store errors (the reservation then stays pending; the sweep releases it eventually).
    pub async fn attempt(&self, input: SolveInput<'_>) -> Result<Attempt, StoreError> {
        let SolveInput { id, uid, image, mime_type, attempt_no, final_attempt } = input;
        let bank = self.bank.get().await?;
        let topic_keys: Vec<String> = bank.pools(None, None).iter().map(|p| p.topic.to_string()).collect();
        let mut error = None;
        let outcome = match self.ai.solve_image(image, mime_type, &topic_keys).await {
            Ok((solution, usage)) => {
                let user: UserDoc = self
                    .store
                    .get(&UserDoc::path(uid)?, Some(&["abilities", "recent"]))
                    .await?
                    .map(|d| d.decode())
                    .transpose()?
                    .unwrap_or_default();
                let similar = similar_questions(&bank, &user, &solution, SIMILAR);
                Settlement::Solved { solution: Box::new(solution), similar, usage }
            }
            Err(e) if retryable(&e) && !final_attempt => return Ok(Attempt::Retryable(e)),
            Err(e) => {
                let f = failure_of(&e);
                error = Some(e);
                Settlement::Failed(f)
            }
        };
        Ok(match settle(self.store.as_ref(), id, &outcome, attempt_no, self.clock.now()).await? {
            Some(snap) if snap.status == SnapStatus::Solved => Attempt::Solved(Box::new(snap)),
            Some(snap) if snap.status == SnapStatus::Failed => match error {
                Some(e) => Attempt::Failed(Box::new(snap), e),
                None => Attempt::Gone,
            },
            _ => Attempt::Gone,
        })
    }
}
