//! Incremental question statistics of a week: only the questions answered that week, with
//! attempts, full-mark answers, seconds, and the two sums the difficulty update needs
//! ([`super::recalibrate`]).
//!
//! # Aggregation: per-batch partial documents, merged by the last batch
//! Each batch writes its own tallies to `snapshot_runs/{week}/item_stats/{batch}` with a plain
//! set (a redelivery overwrites it with the same numbers), and the batch that completes the run
//! reads every partial document and merges them. Chosen over sharded counters because:
//! - a redelivered batch must count nothing twice: an increment applied twice is a lost
//!   idempotency, a document overwritten twice is not;
//! - a batch touches about 200 questions × 5 numbers; as increments that is 200 document writes
//!   per batch on hot documents (Firestore sustains about one write per second per document,
//!   so shards would be needed per question), as a partial it is one write;
//! - the merge happens once per week, reading one document per batch (10,000 reads at
//!   1,000,000 users), which is cheaper than reading `questions × shards` counters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::report::WeekResponse;
use crate::bank::QuestionBank;
use crate::domain::{IrtParams, QuestionId};
use crate::store::{CollectionPath, DocPath, StoreError};

/// Sub-collection of a run holding the partial tallies, one document per batch.
pub const ITEM_STATS: &str = "item_stats";

/// One question's tallies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemTally {
    /// Attempts (skips excluded).
    pub attempts: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// Seconds spent over the attempts.
    pub seconds: i64,
    /// Σ ∂ log L / ∂b at the bank's difficulty when tallied (see [`super::recalibrate`]).
    pub score: f64,
    /// Σ Fisher information about b at that difficulty.
    pub info: f64,
}

impl ItemTally {
    /// Adds another tally.
    pub fn add(&mut self, o: &ItemTally) {
        self.attempts += o.attempts;
        self.correct += o.correct;
        self.seconds += o.seconds;
        self.score += o.score;
        self.info += o.info;
    }

    /// Correct rate, 0 without attempts.
    pub fn correct_rate(&self) -> f64 {
        if self.attempts > 0 { self.correct as f64 / self.attempts as f64 } else { 0.0 }
    }

    /// Mean seconds per attempt, 0 without attempts.
    pub fn mean_seconds(&self) -> f64 {
        if self.attempts > 0 { self.seconds as f64 / self.attempts as f64 } else { 0.0 }
    }
}

/// One batch's partial document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemStatsPartial {
    /// Batch index.
    pub batch: i64,
    /// Question id → tallies.
    pub items: BTreeMap<String, ItemTally>,
}

impl ItemStatsPartial {
    /// `snapshot_runs/{week}/item_stats/{batch:05}`.
    ///
    /// # Errors
    /// Invalid path.
    pub fn path(week: &str, batch: i64) -> Result<DocPath, StoreError> {
        Self::collection(week)?.doc(&format!("{batch:05}"))
    }

    /// `snapshot_runs/{week}/item_stats`.
    ///
    /// # Errors
    /// Invalid path.
    pub fn collection(week: &str) -> Result<CollectionPath, StoreError> {
        CollectionPath::parse(&format!("{}/{week}/{ITEM_STATS}", super::run::RUNS))
    }
}

/// The contribution of one response to the score and information about b, for
/// `P(θ) = c + (1 − c)·σ(a(θ − b))`: with `∂P/∂b = −a(1 − c)σ(1 − σ)`,
/// score `= (u − P)·(∂P/∂b) / (P(1 − P))` and information `= (∂P/∂b)² / (P(1 − P))`
/// (Baker & Kim, *Item Response Theory: Parameter Estimation Techniques*, 2nd ed., 2004, ch. 2:
/// the likelihood equations of an item's parameters with abilities known).
pub fn score_and_info(p: &IrtParams, theta: f64, correct: bool) -> (f64, f64) {
    let sigma = 1.0 / (1.0 + (-p.a * (theta - p.b)).exp());
    let prob = (p.c + (1.0 - p.c) * sigma).clamp(1e-9, 1.0 - 1e-9);
    let dp_db = -p.a * (1.0 - p.c) * sigma * (1.0 - sigma);
    let u = if correct { 1.0 } else { 0.0 };
    let pq = prob * (1.0 - prob);
    ((u - prob) * dp_db / pq, dp_db * dp_db / pq)
}

/// Tallies a batch's responses against the bank's current parameters (a question no longer in
/// the bank is counted without score and information).
pub fn tally(responses: &[WeekResponse], bank: &QuestionBank) -> BTreeMap<String, ItemTally> {
    let mut out: BTreeMap<String, ItemTally> = BTreeMap::new();
    for r in responses {
        let t = out.entry(r.question_id.clone()).or_default();
        t.attempts += 1;
        t.correct += i64::from(r.correct);
        t.seconds += r.seconds;
        if let Some(q) = QuestionId::parse(&r.question_id).ok().and_then(|id| bank.get(&id)) {
            let (s, i) = score_and_info(&q.irt, r.theta, r.correct);
            t.score += s;
            t.info += i;
        }
    }
    out
}

/// Merges partial documents into one tally per question.
pub fn merge<'a>(parts: impl IntoIterator<Item = &'a ItemStatsPartial>) -> BTreeMap<String, ItemTally> {
    let mut out: BTreeMap<String, ItemTally> = BTreeMap::new();
    for p in parts {
        for (id, t) in &p.items {
            out.entry(id.clone()).or_default().add(t);
        }
    }
    out
}
