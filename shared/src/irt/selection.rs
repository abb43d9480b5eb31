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
//!
//! What does not depend on the student is computed once per bank ([`SelectionIndex`]): items
//! as integer indices grouped by topic with their IRT parameters, and each topic's items ordered
//! by information at the θ points of a grid ([`GRID_POINTS`] points over [−4, 4], the
//! estimator's quadrature grid; positions stored in 2 bytes, 4 for a topic over 65,536 items).
//! A slot walks the order at the grid point nearest the student's θ, takes the first
//! [`SHORTLIST`] unseen items, ranks those by information at the exact θ and draws from the best
//! [`RANDOMESQUE_K`]: at a grid point this is exactly the best five of all unseen items, and
//! between points (θ at most 0.05 away) the test `shortlist_holds_the_exact_best_five` checks
//! that it still is, for every topic of the synthetic bank at 801 θ values. The recently seen set
//! is a bit set over item indices. The topic weights are computed once per quiz: a pick changes
//! only its own topic's n_t, so only that weight is updated between slots.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rustc_hash::FxHashMap;

use super::estimator::Ability;
use super::model::fisher_information;
use crate::domain::{IrtParams, Question, TopicKey};

/// Size of the randomesque candidate set.
pub const RANDOMESQUE_K: usize = 5;
/// Number of θ points at which each topic's items are ranked: −4, −3.9, …, 4.
pub const GRID_POINTS: usize = 81;
const GRID_MIN: f64 = -4.0;
const GRID_STEP: f64 = 0.1;
/// Unseen items taken from the nearest grid point's ranking and re-ranked at the exact θ.
pub const SHORTLIST: usize = 3 * RANDOMESQUE_K;

/// θ as used for ranking: clamped to the grid's range; a non-finite stored θ counts as 0.
fn usable_theta(theta: f64) -> f64 {
    if theta.is_finite() { theta.clamp(GRID_MIN, -GRID_MIN) } else { 0.0 }
}

/// Index of the grid point nearest `theta` (already usable).
fn grid_point(theta: f64) -> usize {
    (((theta - GRID_MIN) / GRID_STEP).round() as usize).min(GRID_POINTS - 1)
}

/// One row per grid point of positions into a topic's items, as narrow as the topic allows.
#[derive(Debug, Clone)]
enum Ranking {
    /// Topics of at most 65,536 items: positions fit `u16` (2 bytes per item and grid point,
    /// 1.3 MB for the 8,000-item bank).
    Narrow(Vec<u16>),
    /// Larger topics.
    Wide(Vec<u32>),
}

/// Whether every position into `n` items fits a `u16` (positions 0 to n − 1).
fn fits_u16_positions(n: usize) -> bool {
    n <= usize::from(u16::MAX) + 1
}

/// One topic's items and their information rankings.
#[derive(Debug, Clone)]
struct TopicItems {
    key: TopicKey,
    /// Bank indices of the items, ascending.
    items: Vec<u32>,
    /// The items' IRT parameters, by position (so a slot reads no [`Question`]).
    params: Vec<IrtParams>,
    /// `GRID_POINTS` rows of `items.len()` positions into `items`, each row by decreasing
    /// information at its grid θ (ties by position).
    by_information: Ranking,
}

impl TopicItems {
    fn new(key: TopicKey, items: Vec<u32>, questions: &[Question]) -> Self {
        let n = items.len();
        let params: Vec<IrtParams> = items.iter().map(|&i| questions[i as usize].irt).collect();
        let narrow = fits_u16_positions(n);
        let mut by_information = if narrow {
            Ranking::Narrow(Vec::with_capacity(GRID_POINTS * n))
        } else {
            Ranking::Wide(Vec::with_capacity(GRID_POINTS * n))
        };
        let mut info: Vec<f64> = vec![0.0; n];
        let mut row: Vec<u32> = Vec::with_capacity(n);
        for g in 0..GRID_POINTS {
            let theta = GRID_MIN + GRID_STEP * g as f64;
            for (slot, p) in info.iter_mut().zip(&params) {
                *slot = fisher_information(theta, p);
            }
            row.clear();
            row.extend(0..n as u32);
            row.sort_by(|&x, &y| info[y as usize].total_cmp(&info[x as usize]).then(x.cmp(&y)));
            match &mut by_information {
                Ranking::Narrow(r) => r.extend(row.iter().map(|&p| p as u16)),
                Ranking::Wide(r) => r.extend_from_slice(&row),
            }
        }
        Self { key, items, params, by_information }
    }

    /// The positions at grid point `g`, by decreasing information.
    fn row(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        let span = g * self.items.len()..(g + 1) * self.items.len();
        let (narrow, wide): (&[u16], &[u32]) = match &self.by_information {
            Ranking::Narrow(r) => (&r[span], &[]),
            Ranking::Wide(r) => (&[], &r[span]),
        };
        narrow.iter().map(|&p| usize::from(p)).chain(wide.iter().map(|&p| p as usize))
    }

    /// One of the [`RANDOMESQUE_K`] unseen items with the most information at `theta` (usable),
    /// drawn uniformly, as a bank index; `None` when every item was seen. `shortlist` is scratch
    /// space.
    fn draw<R: Rng + ?Sized>(
        &self,
        theta: f64,
        seen: &BitSet,
        shortlist: &mut Vec<(f64, u32)>,
        rng: &mut R,
    ) -> Option<u32> {
        shortlist.clear();
        for pos in self.row(grid_point(theta)) {
            let i = self.items[pos];
            if !seen.contains(i as usize) {
                shortlist.push((fisher_information(theta, &self.params[pos]), i));
                if shortlist.len() == SHORTLIST {
                    break;
                }
            }
        }
        if shortlist.is_empty() {
            return None;
        }
        let k = RANDOMESQUE_K.min(shortlist.len());
        if shortlist.len() > k {
            shortlist.select_nth_unstable_by(k - 1, |x, y| y.0.total_cmp(&x.0));
        }
        Some(shortlist[rng.random_range(0..k)].1)
    }
}

/// Where an item id points: its bank index and its topic number ([`NO_TOPIC`]: none).
#[derive(Debug, Clone, Copy)]
struct ItemRef {
    index: u32,
    topic: u32,
}

/// [`ItemRef::topic`] of an item listed in no topic.
const NO_TOPIC: u32 = u32::MAX;

/// Student-independent selection data over a bank's questions (sorted by id): item ids to
/// indices and topics, and each topic's item parameters and information rankings. Built once
/// per bank version (≈ 650,000 information evaluations for 8,000 items).
#[derive(Debug, Default)]
pub struct SelectionIndex {
    by_id: FxHashMap<Box<str>, ItemRef>,
    topics: Vec<TopicItems>,
    topic_by_key: FxHashMap<TopicKey, u32>,
}

impl SelectionIndex {
    /// Indexes `questions` (sorted by id, ids unique) grouped into `topics`: each a key and the
    /// indices of its items into `questions`. A topic of more than 65,536 items is ranked with
    /// 4-byte positions instead of 2-byte ones.
    ///
    /// # Panics
    /// When a topic lists an index outside `questions` or the bank holds 2³² items or more.
    pub fn new(questions: &[Question], topics: Vec<(TopicKey, Vec<u32>)>) -> Self {
        let mut topic_of = vec![NO_TOPIC; questions.len()];
        let mut topic_by_key = FxHashMap::default();
        let topics: Vec<TopicItems> = topics
            .into_iter()
            .enumerate()
            .map(|(t, (key, items))| {
                for &i in &items {
                    topic_of[i as usize] = t as u32;
                }
                topic_by_key.insert(key.clone(), t as u32);
                TopicItems::new(key, items, questions)
            })
            .collect();
        let by_id = questions
            .iter()
            .zip(topic_of)
            .enumerate()
            .map(|(i, (q, topic))| (q.id.as_str().into(), ItemRef { index: i as u32, topic }))
            .collect();
        Self { by_id, topics, topic_by_key }
    }

    /// Index of the question with id `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|r| r.index as usize)
    }

    /// Number of topics.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// The pool of topic number `t` (in the order given to [`SelectionIndex::new`]).
    ///
    /// # Panics
    /// When `t` is not below [`SelectionIndex::topic_count`].
    pub fn pool<'a>(&'a self, questions: &'a [Question], t: usize) -> TopicPool<'a> {
        let entry = &self.topics[t];
        TopicPool { topic: &entry.key, id: t as u32, entry, questions }
    }
}

/// The items of one topic that pass the request's filters: a view into a [`SelectionIndex`].
#[derive(Debug, Clone, Copy)]
pub struct TopicPool<'a> {
    /// The topic.
    pub topic: &'a TopicKey,
    id: u32,
    entry: &'a TopicItems,
    questions: &'a [Question],
}

impl<'a> TopicPool<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.entry.items.len()
    }

    /// True when the topic has no item.
    pub fn is_empty(&self) -> bool {
        self.entry.items.is_empty()
    }

    /// The items, in id order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &'a Question> + 'a {
        let questions = self.questions;
        self.entry.items.iter().map(move |&i| &questions[i as usize])
    }
}

/// The topics a request may draw from (a list of [`TopicPool`], editable as a `Vec`), with the
/// index they come from.
#[derive(Debug, Clone)]
pub struct Pools<'a> {
    index: &'a SelectionIndex,
    questions: &'a [Question],
    pools: Vec<TopicPool<'a>>,
}

impl<'a> Pools<'a> {
    /// `pools` (views into `index` over `questions`).
    pub fn new(index: &'a SelectionIndex, questions: &'a [Question], pools: Vec<TopicPool<'a>>) -> Self {
        Self { index, questions, pools }
    }
}

impl<'a> Deref for Pools<'a> {
    type Target = Vec<TopicPool<'a>>;
    fn deref(&self) -> &Self::Target {
        &self.pools
    }
}

impl DerefMut for Pools<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.pools
    }
}

/// What the student has seen: question ids with their recency rank (larger = more recent; for
/// an id listed twice the larger rank counts). Ids not in the bank are ignored.
#[derive(Debug, Clone, Default)]
pub struct RecentlySeen<'a> {
    entries: Vec<(&'a str, usize)>,
}

impl<'a> RecentlySeen<'a> {
    /// Nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `id` was seen (a linear scan: for tests and diagnostics).
    pub fn contains(&self, id: &str) -> bool {
        self.entries.iter().any(|(e, _)| *e == id)
    }
}

impl<'a> FromIterator<(&'a str, usize)> for RecentlySeen<'a> {
    fn from_iter<I: IntoIterator<Item = (&'a str, usize)>>(iter: I) -> Self {
        Self { entries: iter.into_iter().collect() }
    }
}

/// Weight of a topic in the mix before the spread factor. Stored estimates are clamped to the
/// estimator's range (θ in [−4, 4], SE in [0, 2]; non-finite values count as the prior), so a
/// corrupted document cannot starve or break the draw.
pub fn topic_weight(ability: &Ability) -> f64 {
    let theta = if ability.theta.is_finite() { ability.theta.clamp(-4.0, 4.0) } else { 0.0 };
    let se = if ability.se.is_finite() { ability.se.clamp(0.0, 2.0) } else { 1.0 };
    (-theta).exp() * (1.0 + se)
}

/// A fixed-size set of item indices.
struct BitSet(Vec<u64>);

impl BitSet {
    fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)])
    }
    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
}

/// Assembles a quiz of up to `size` items from `pools` (see the module docs for the method).
/// Returns fewer than `size` only when the pools hold fewer items in all.
pub fn assemble<'a, R: Rng + ?Sized>(
    pools: &Pools<'a>,
    abilities: &HashMap<TopicKey, Ability>,
    recent: &RecentlySeen<'_>,
    size: usize,
    rng: &mut R,
) -> Vec<&'a Question> {
    struct Slot<'a> {
        entry: &'a TopicItems,
        theta: f64,
        weight: f64,
        fresh: usize,
        picks: usize,
    }
    let index = pools.index;
    let questions = pools.questions;
    // The request's slot of each bank topic (u32::MAX: not in this request).
    let mut slot_of = vec![u32::MAX; index.topic_count()];
    let default_weight = topic_weight(&Ability::default());
    let mut slots: Vec<Slot<'a>> = Vec::with_capacity(pools.len());
    for p in pools.iter() {
        if slot_of[p.id as usize] != u32::MAX {
            continue; // a topic listed twice is one pool
        }
        slot_of[p.id as usize] = slots.len() as u32;
        slots.push(Slot { entry: p.entry, theta: 0.0, weight: default_weight, fresh: p.len(), picks: 0 });
    }
    for (key, ability) in abilities {
        if let Some(&t) = index.topic_by_key.get(key)
            && let Some(slot) = slots.get_mut(slot_of[t as usize] as usize)
        {
            slot.theta = usable_theta(ability.theta);
            slot.weight = topic_weight(ability);
        }
    }
    // Seen (recently, or chosen for this quiz) items; the recent ones of these topics, with rank.
    let mut seen = BitSet::new(questions.len());
    let mut stale: Vec<(usize, u32)> = Vec::new();
    for &(id, rank) in recent.entries.iter().rev() {
        let Some(&ItemRef { index: i, topic }) = index.by_id.get(id) else { continue };
        if seen.contains(i as usize) {
            continue; // listed again earlier: the later (larger) rank was taken
        }
        seen.insert(i as usize);
        if let Some(&s) = slot_of.get(topic as usize)
            && let Some(slot) = slots.get_mut(s as usize)
        {
            slot.fresh -= 1;
            stale.push((rank, i));
        }
    }
    // The mix's weights are computed once; a pick changes only its own topic's weight.
    let mut chosen: Vec<&'a Question> = Vec::with_capacity(size.min(questions.len()));
    let mut live = slots.iter().filter(|s| s.fresh > 0).count();
    let mix = WeightedIndex::new(slots.iter().map(|s| if s.fresh == 0 { 0.0 } else { s.weight }));
    if let Ok(mut mix) = mix {
        let mut shortlist: Vec<(f64, u32)> = Vec::with_capacity(SHORTLIST);
        while chosen.len() < size && live > 0 {
            let t = mix.sample(rng);
            let slot = &mut slots[t];
            if slot.fresh == 0 {
                continue; // drawn only through rounding in the running total: draw again
            }
            match slot.entry.draw(slot.theta, &seen, &mut shortlist, rng) {
                Some(pick) => {
                    seen.insert(pick as usize);
                    chosen.push(&questions[pick as usize]);
                    slot.fresh -= 1;
                    slot.picks += 1;
                }
                None => slot.fresh = 0, // unreachable while the counts are right; never loop on it
            }
            let weight = if slot.fresh == 0 {
                live -= 1;
                0.0
            } else {
                slot.weight / (1 + slot.picks) as f64
            };
            if live > 0 && mix.update_weights(&[(t, &weight)]).is_err() {
                break;
            }
        }
    }
    if chosen.len() < size {
        stale.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| questions[a.1 as usize].id.cmp(&questions[b.1 as usize].id)));
        chosen.extend(stale.into_iter().map(|(_, i)| &questions[i as usize]).take(size - chosen.len()));
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
    use rand::SeedableRng;

    use super::*;
    use crate::bank::QuestionBank;
    use crate::bank::synthetic::generate;
    use crate::domain::QuestionId;

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

    /// The shortlist taken at the nearest grid point holds the exact best [`RANDOMESQUE_K`]
    /// items at θ (compared by information value, so ties cannot make it flaky), for every topic
    /// of the synthetic 8,000-item bank and θ from −4 to 4 in steps of 0.01.
    #[test]
    fn shortlist_holds_the_exact_best_five() {
        let bank = QuestionBank::new(generate(8000, 42), "v");
        let questions = bank.questions();
        let pools = bank.pools(None, None);
        assert_eq!(pools.len(), 240);
        for pool in pools.iter() {
            let entry = pool.entry;
            for step in 0..=800 {
                let theta = -4.0 + 0.01 * step as f64;
                let info = |i: u32| fisher_information(theta, &questions[i as usize].irt);
                let mut exact: Vec<f64> = entry.items.iter().map(|&i| info(i)).collect();
                exact.sort_by(|a, b| b.total_cmp(a));
                let row = entry.row(grid_point(usable_theta(theta)));
                let mut short: Vec<f64> = row.take(SHORTLIST).map(|p| info(entry.items[p])).collect();
                short.sort_by(|a, b| b.total_cmp(a));
                let k = RANDOMESQUE_K.min(exact.len());
                assert_eq!(&short[..k], &exact[..k], "topic {} at θ = {theta}", pool.topic);
            }
        }
    }

    #[test]
    fn positions_are_narrow_up_to_65536_items() {
        assert!(fits_u16_positions(0));
        assert!(fits_u16_positions(65_536));
        assert!(!fits_u16_positions(65_537));
        let bank = QuestionBank::new(generate(8000, 42), "v");
        assert!(bank.pools(None, None).iter().all(|p| matches!(p.entry.by_information, Ranking::Narrow(_))));
    }

    /// A topic of 65,537 items (one more than 2-byte positions can address) is ranked with
    /// 4-byte positions, and quizzes from it still take the exact best items.
    #[test]
    fn a_topic_over_65536_items_is_ranked_with_wide_positions() {
        let n = 65_537;
        let template = generate(1, 5).remove(0);
        let questions: Vec<Question> = (0..n)
            .map(|i| {
                let mut q = template.clone();
                q.id = QuestionId::parse(&format!("big-{i:06}")).expect("id");
                // Difficulties spread over [−4, 4], discriminations over [0.5, 2].
                q.irt = IrtParams {
                    a: 0.5 + 1.5 * ((i * 7919) % n) as f64 / n as f64,
                    b: -4.0 + 8.0 * i as f64 / n as f64,
                    c: 0.0,
                };
                q
            })
            .collect();
        let key = template.topic_key.clone();
        let index = SelectionIndex::new(&questions, vec![(key.clone(), (0..n as u32).collect())]);
        let pools = Pools::new(&index, &questions, vec![index.pool(&questions, 0)]);
        let entry = pools[0].entry;
        assert!(matches!(entry.by_information, Ranking::Wide(_)));
        assert_eq!(index.position("big-065536"), Some(65_536));
        // At grid points, where the grid's ranking is the exact one.
        for g in [10, 40, 47, 65] {
            let theta = GRID_MIN + GRID_STEP * g as f64;
            assert_eq!(grid_point(usable_theta(theta)), g);
            let row: Vec<usize> = entry.row(g).collect();
            assert_eq!(row.len(), n);
            let mut sorted = row.clone();
            sorted.sort_unstable();
            assert!(sorted.iter().enumerate().all(|(i, &p)| i == p), "each position once");
            let info = |p: usize| fisher_information(theta, &questions[p].irt);
            assert!(row.windows(2).all(|w| info(w[0]) >= info(w[1])), "by decreasing information");
            // Five quizzes of one item each: always one of the exact best five at θ.
            let mut exact: Vec<f64> = questions.iter().map(|q| fisher_information(theta, &q.irt)).collect();
            exact.sort_by(|a, b| b.total_cmp(a));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
            let abilities = HashMap::from([(key.clone(), Ability { theta, se: 0.3 })]);
            for _ in 0..5 {
                let quiz = assemble(&pools, &abilities, &RecentlySeen::new(), 1, &mut rng);
                assert!(fisher_information(theta, &quiz[0].irt) >= exact[RANDOMESQUE_K - 1], "θ = {theta}");
            }
        }
    }

    #[test]
    fn grid_points_cover_the_range() {
        assert_eq!(grid_point(usable_theta(-9.0)), 0);
        assert_eq!(grid_point(usable_theta(f64::NAN)), 40);
        assert_eq!(grid_point(usable_theta(0.04)), 40);
        assert_eq!(grid_point(usable_theta(0.06)), 41);
        assert_eq!(grid_point(usable_theta(4.0)), GRID_POINTS - 1);
        assert_eq!(grid_point(usable_theta(f64::INFINITY)), 40);
    }
}
