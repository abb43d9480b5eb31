//! Adaptive quiz assembly.
//!
//! Two stages, each a named method:
//! 1. **Topic mix**: each slot draws a topic with probability ∝ e^{−θ_t}·(1 + SE_t) / (1 + n_t),
//!    where n_t counts slots the topic already has in this quiz. Low θ (weak topics) and high
//!    SE (unseen or rarely seen topics: a new topic has θ = 0, SE = 1) both raise the weight, an
//!    uncertainty bonus in the spirit of upper-confidence-bound exploration (Auer, Cesa-Bianchi &
//!    Fischer, 2002); the 1/(1 + n_t) factor spreads a quiz over several topics.
//! 2. **Item choice**: within the topic, items are ranked by Fisher information at the
//!    student's θ for that topic (maximum-information selection, Lord, 1980) and one is drawn
//!    uniformly from the best five: the "randomesque" exposure control of Kingsbury & Zara
//!    (1989, "Procedures for selecting items for computerized adaptive tests", *Applied
//!    Measurement in Education* 2(4), 359–375).
//!
//! Items the student saw recently are excluded; only when the filtered pool has too few
//! unseen items is the quiz topped up with the least recently seen ones (oldest first).

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

use super::estimator::Ability;
use super::model::fisher_information;
use crate::domain::{Question, TopicKey};

/// Size of the randomesque candidate set.
pub const RANDOMESQUE_K: usize = 5;

/// The items of one topic that pass the request's filters.
#[derive(Debug, Clone)]
pub struct TopicPool<'a> {
    /// The topic.
    pub topic: &'a TopicKey,
    /// Its items.
    pub items: Vec<&'a Question>,
}

/// What the student has seen: question id → recency rank (larger = more recent).
pub type RecentlySeen<'a> = HashMap<&'a str, usize>;

/// Weight of a topic in the mix before the spread factor. Stored estimates are clamped to the
/// estimator's range (θ in [−4, 4], SE in [0, 2]; non-finite values count as the prior), so a
/// corrupted document cannot starve or break the draw.
pub fn topic_weight(ability: &Ability) -> f64 {
    let theta = if ability.theta.is_finite() { ability.theta.clamp(-4.0, 4.0) } else { 0.0 };
    let se = if ability.se.is_finite() { ability.se.clamp(0.0, 2.0) } else { 1.0 };
    (-theta).exp() * (1.0 + se)
}

/// Assembles a quiz of up to `size` items from `pools` (see the module docs for the method).
/// Returns fewer than `size` only when the pools hold fewer items in all.
pub fn assemble<'a, R: Rng + ?Sized>(
    pools: &[TopicPool<'a>],
    abilities: &HashMap<TopicKey, Ability>,
    recent: &RecentlySeen<'_>,
    size: usize,
    rng: &mut R,
) -> Vec<&'a Question> {
    struct Slot<'a> {
        ability: Ability,
        fresh: Vec<&'a Question>,
        picks: usize,
    }
    let mut slots: Vec<Slot<'a>> = pools
        .iter()
        .map(|p| Slot {
            ability: abilities.get(p.topic).copied().unwrap_or_default(),
            fresh: p.items.iter().copied().filter(|q| !recent.contains_key(q.id.as_str())).collect(),
            picks: 0,
        })
        .collect();
    let mut chosen: Vec<&'a Question> = Vec::with_capacity(size);
    while chosen.len() < size {
        let weights: Vec<f64> = slots
            .iter()
            .map(|s| if s.fresh.is_empty() { 0.0 } else { topic_weight(&s.ability) / (1 + s.picks) as f64 })
            .collect();
        let Ok(dist) = WeightedIndex::new(&weights) else { break };
        let slot = &mut slots[dist.sample(rng)];
        let theta = slot.ability.theta;
        let info = |q: &&Question| fisher_information(theta, &q.irt);
        let k = RANDOMESQUE_K.min(slot.fresh.len());
        if slot.fresh.len() > k {
            slot.fresh.select_nth_unstable_by(k - 1, |x, y| info(y).total_cmp(&info(x)));
        }
        let pick = rng.random_range(0..k);
        chosen.push(slot.fresh.swap_remove(pick));
        slot.picks += 1;
    }
    if chosen.len() < size {
        let mut stale: Vec<(&'a Question, usize)> = pools
            .iter()
            .flat_map(|p| p.items.iter().copied())
            .filter_map(|q| recent.get(q.id.as_str()).map(|rank| (q, *rank)))
            .collect();
        stale.sort_by_key(|(q, rank)| (*rank, q.id.as_str()));
        chosen.extend(stale.into_iter().map(|(q, _)| q).take(size - chosen.len()));
    }
    chosen
}

/// Pure maximum-information selection (Lord, 1980): the item of `items` with the largest
/// Fisher information at `theta`, skipping those for which `skip` is true (asked only of an
/// item that would lead); ties go to the earlier item. `None` when every item is skipped. This
/// is [`assemble`]'s item choice without the topic mix and with a randomesque set of one, for
/// simulation studies that compare the engine with a plain maximum-information CAT.
pub fn most_informative<'a>(
    items: &[&'a Question],
    theta: f64,
    skip: impl Fn(&Question) -> bool,
) -> Option<&'a Question> {
    let mut best: Option<(&'a Question, f64)> = None;
    for q in items.iter().copied() {
        let info = fisher_information(theta, &q.irt);
        if best.is_none_or(|(_, b)| info > b) && !skip(q) {
            best = Some((q, info));
        }
    }
    best.map(|(q, _)| q)
}
