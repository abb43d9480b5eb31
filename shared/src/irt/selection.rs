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

/// Pure maximum-information selection (Lord, 1980) over a fixed set of items: the item with
/// the largest Fisher information at θ. This is [`assemble`]'s item choice without the topic
/// mix and with a randomesque set of one, for simulation studies that compare the engine with a
/// plain maximum-information CAT (`jeevibe simulate`).
///
/// Built once per item set: each item's information peak, reached at
/// θ* = b + ln((1 + √(1 + 8c)) / 2) / a (Birnbaum, 1968, in Lord & Novick, *Statistical
/// Theories of Mental Test Scores*, ch. 20), bounds its information at every θ; the items are
/// kept in decreasing order of that bound, so a selection stops as soon as no remaining item
/// can beat the best found (exact, not an approximation).
#[derive(Debug, Clone)]
pub struct InformationIndex<'a> {
    /// `(item, its peak information)`, peak descending.
    items: Vec<(&'a Question, f64)>,
}

impl<'a> InformationIndex<'a> {
    /// Indexes `items` (any order; ties in the bound keep the given order).
    pub fn new(items: &[&'a Question]) -> Self {
        let mut items: Vec<(&'a Question, f64)> = items
            .iter()
            .map(|q| {
                let p = &q.irt;
                let peak = p.b + ((1.0 + (1.0 + 8.0 * p.c).sqrt()) / 2.0).ln() / p.a;
                (*q, fisher_information(peak, p))
            })
            .collect();
        items.sort_by(|x, y| y.1.total_cmp(&x.1));
        Self { items }
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no item is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item with the most information at `theta` among those for which `skip` is false
    /// (asked only of an item that would lead); `None` when every item is skipped. Of items
    /// with equal information the one earlier in the index wins.
    pub fn most_informative(&self, theta: f64, skip: impl Fn(&Question) -> bool) -> Option<&'a Question> {
        let mut best: Option<(&'a Question, f64)> = None;
        for (q, peak) in &self.items {
            if let Some((_, b)) = best
                && *peak * (1.0 + 1e-12) < b
            {
                break;
            }
            let info = fisher_information(theta, &q.irt);
            if best.is_none_or(|(_, b)| info > b) && !skip(q) {
                best = Some((q, info));
            }
        }
        best.map(|(q, _)| q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_finds_the_same_information_as_a_full_scan() {
        let bank = crate::bank::synthetic::generate(3000, 11);
        let items: Vec<&Question> = bank.iter().collect();
        let index = InformationIndex::new(&items);
        assert_eq!(index.len(), 3000);
        let used: Vec<&str> = bank.iter().step_by(7).map(|q| q.id.as_str()).collect();
        for step in 0..=80 {
            let theta = -4.0 + 0.1 * f64::from(step);
            let skip = |q: &Question| used.contains(&q.id.as_str());
            let best = index.most_informative(theta, skip).expect("items left");
            let scan = items
                .iter()
                .filter(|q| !skip(q))
                .map(|q| fisher_information(theta, &q.irt))
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(fisher_information(theta, &best.irt), scan, "theta {theta}");
            assert!(!skip(best));
        }
        assert!(index.most_informative(0.0, |_| true).is_none());
        assert!(InformationIndex::new(&[]).most_informative(0.0, |_| false).is_none());
    }

    #[test]
    fn the_bound_is_each_items_peak() {
        // Every item type of the synthetic bank (c = 0, 0.1, 0.25).
        let two = crate::bank::synthetic::generate(200, 3);
        for q in &two {
            let peak = InformationIndex::new(&[q]).items[0].1;
            for step in 0..=160 {
                let theta = -4.0 + 0.05 * f64::from(step);
                assert!(fisher_information(theta, &q.irt) <= peak * (1.0 + 1e-12), "{:?} at {theta}", q.irt);
            }
        }
    }
}
