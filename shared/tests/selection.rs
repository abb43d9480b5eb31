//! The adaptive engine on a synthetic bank: topic mix, exclusion of recently seen items,
//! oldest-first top-up, maximum-information item choice, and EAP estimation.

use std::collections::{HashMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared::bank::QuestionBank;
use shared::bank::synthetic::generate;
use shared::domain::{IrtParams, Question, Subject, TopicKey};
use shared::irt::selection::{RANDOMESQUE_K, RecentlySeen, TopicPool, assemble, topic_weight};
use shared::irt::{Ability, ItemResponse, fisher_information, p_correct};

fn bank() -> QuestionBank {
    QuestionBank::new(generate(8000, 1), "v")
}

fn ability(theta: f64, se: f64) -> Ability {
    Ability { theta, se }
}

fn ids<'a>(qs: &[&'a Question]) -> Vec<&'a str> {
    qs.iter().map(|q| q.id.as_str()).collect()
}

fn mean(xs: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.into_iter().collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn physics_pools_cover_the_synthetic_spread() {
    let bank = bank();
    assert_eq!(bank.len(), 8000);
    let pools = bank.pools(Some(Subject::Physics), None);
    assert_eq!(pools.len(), 80, "10 chapters × 8 topics");
    let total: usize = pools.iter().map(|p| p.len()).sum();
    assert_eq!(total, 2667, "every third question is physics");
    assert!(pools.iter().all(|p| p.items().all(|q| q.subject == Subject::Physics && &q.topic_key == p.topic)));
    assert!(pools.iter().all(|p| p.len() >= 15), "each topic has enough items for the tests below");
    assert_eq!(bank.pools(Some(Subject::Physics), Some("Chapter 3")).len(), 8);
}

// (a) ------------------------------------------------------------------------------------------

#[test]
fn weak_topics_are_drawn_far_more_often_than_strong_ones() {
    let bank = bank();
    let pools = bank.pools(Some(Subject::Physics), None);
    let weak = pools[0].topic.clone();
    let strong = pools[1].topic.clone();
    let abilities: HashMap<TopicKey, Ability> =
        [(weak.clone(), ability(-1.5, 0.3)), (strong.clone(), ability(1.5, 0.3))].into_iter().collect();
    let recent = RecentlySeen::new();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut n_weak, mut n_strong, mut n_other) = (0usize, 0usize, 0usize);
    for _ in 0..500 {
        let quiz = assemble(&pools, &abilities, &recent, 10, &mut rng);
        assert_eq!(quiz.len(), 10);
        for q in quiz {
            if q.topic_key == weak {
                n_weak += 1;
            } else if q.topic_key == strong {
                n_strong += 1;
            } else {
                n_other += 1;
            }
        }
    }
    assert_eq!(n_weak + n_strong + n_other, 5000);
    assert!(n_weak >= 3 * n_strong, "weak {n_weak} vs strong {n_strong}");
    // Weights: weak e^{1.5}·1.3 ≈ 5.83, unseen e^0·2 = 2, strong e^{-1.5}·1.3 ≈ 0.29, so the
    // weak topic also beats an average unseen topic (5000 / 80 ≈ 62).
    assert!(n_weak > 100, "weak {n_weak}");
    assert!(n_weak as f64 > 2.0 * n_other as f64 / 78.0, "weak {n_weak} vs other mean {}", n_other as f64 / 78.0);
    assert!(n_strong < 5000 / 80, "strong {n_strong}");
    assert!((topic_weight(&ability(-1.5, 0.3)) / topic_weight(&ability(1.5, 0.3)) - 3f64.exp()).abs() < 1e-9);
}

#[test]
fn with_two_topics_the_weak_one_dominates_every_quiz_but_the_mix_spreads() {
    let bank = bank();
    let mut pools = bank.pools(Some(Subject::Physics), None);
    let (weak, strong) = (pools[2].topic.clone(), pools[3].topic.clone());
    pools.retain(|p| *p.topic == weak || *p.topic == strong);
    assert_eq!(pools.len(), 2);
    let abilities: HashMap<TopicKey, Ability> =
        [(weak.clone(), ability(-1.5, 0.3)), (strong.clone(), ability(1.5, 0.3))].into_iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut n_weak, mut n_strong) = (0usize, 0usize);
    for _ in 0..500 {
        let quiz = assemble(&pools, &abilities, &RecentlySeen::new(), 10, &mut rng);
        assert_eq!(quiz.len(), 10);
        let w = quiz.iter().filter(|q| q.topic_key == weak).count();
        n_weak += w;
        n_strong += 10 - w;
    }
    assert!(n_weak >= 3 * n_strong, "weak {n_weak} vs strong {n_strong}");
    assert!(n_strong > 0, "the spread factor still gives the strong topic some slots");
}

// (b) ------------------------------------------------------------------------------------------

#[test]
fn items_never_repeat_and_recent_items_are_excluded() {
    let bank = bank();
    let pools = bank.pools(Some(Subject::Physics), Some("Chapter 0"));
    assert_eq!(pools.len(), 8);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // Mark every other item of the chapter as recently seen.
    let all: Vec<&Question> = pools.iter().flat_map(|p| p.items()).collect();
    let recent: RecentlySeen<'_> =
        all.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(i, q)| (q.id.as_str(), i)).collect();
    let unseen = all.len() - recent.len();
    assert!(unseen >= 100, "{unseen} unseen items");
    let abilities: HashMap<TopicKey, Ability> = HashMap::new();
    for size in [1, 10, 30, unseen] {
        for _ in 0..50 {
            let quiz = assemble(&pools, &abilities, &recent, size, &mut rng);
            assert_eq!(quiz.len(), size);
            let distinct: HashSet<&str> = ids(&quiz).into_iter().collect();
            assert_eq!(distinct.len(), size, "no repeats within a quiz");
            for q in &quiz {
                assert!(!recent.contains(q.id.as_str()), "recently seen {} chosen with {unseen} unseen", q.id);
            }
        }
    }
    // Asking for exactly the unseen count returns exactly the unseen items.
    let quiz = assemble(&pools, &abilities, &recent, unseen, &mut rng);
    let got: HashSet<&str> = ids(&quiz).into_iter().collect();
    let expected: HashSet<&str> = all.iter().map(|q| q.id.as_str()).filter(|id| !recent.contains(id)).collect();
    assert_eq!(got, expected);
}

#[test]
fn a_full_quiz_over_the_whole_subject_never_repeats() {
    let bank = bank();
    let pools = bank.pools(Some(Subject::Physics), None);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let quiz = assemble(&pools, &HashMap::new(), &RecentlySeen::new(), 2667, &mut rng);
    assert_eq!(quiz.len(), 2667);
    assert_eq!(ids(&quiz).into_iter().collect::<HashSet<_>>().len(), 2667);
    // More than the pool holds: everything, once.
    let quiz = assemble(&pools, &HashMap::new(), &RecentlySeen::new(), 5000, &mut rng);
    assert_eq!(quiz.len(), 2667);
}

// (c) ------------------------------------------------------------------------------------------

#[test]
fn stale_items_come_back_oldest_first_when_the_pool_runs_short() {
    let bank = bank();
    let source = bank.pools(Some(Subject::Physics), None)[0];
    let sub = QuestionBank::new(source.items().take(8).cloned().collect(), "sub");
    let pools = sub.pools(None, None);
    let items: Vec<&Question> = pools[0].items().collect();
    assert_eq!(items.len(), 8);
    // Items 0..5 were seen; larger rank = more recent.
    let ranks = [10usize, 3, 7, 1, 5];
    let recent: RecentlySeen<'_> = items[..5].iter().zip(ranks).map(|(q, r)| (q.id.as_str(), r)).collect();
    let fresh: HashSet<&str> = items[5..].iter().map(|q| q.id.as_str()).collect();
    let oldest_first =
        [items[3].id.as_str(), items[1].id.as_str(), items[4].id.as_str(), items[2].id.as_str(), items[0].id.as_str()];

    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for _ in 0..20 {
        // Size 6: the three unseen items, then the single oldest stale one.
        let quiz = ids(&assemble(&pools, &HashMap::new(), &recent, 6, &mut rng));
        assert_eq!(quiz.len(), 6);
        assert_eq!(quiz[..3].iter().copied().collect::<HashSet<_>>(), fresh);
        assert_eq!(&quiz[3..], &oldest_first[..3]);

        // Larger than the pool: every item, stale ones ordered oldest first.
        let quiz = ids(&assemble(&pools, &HashMap::new(), &recent, 20, &mut rng));
        assert_eq!(quiz.len(), 8);
        assert_eq!(quiz[..3].iter().copied().collect::<HashSet<_>>(), fresh);
        assert_eq!(&quiz[3..], &oldest_first[..]);
    }

    // Everything seen: the quiz is the oldest items.
    let all_recent: RecentlySeen<'_> = items.iter().enumerate().map(|(i, q)| (q.id.as_str(), 100 - i)).collect();
    let quiz = ids(&assemble(&pools, &HashMap::new(), &all_recent, 3, &mut rng));
    assert_eq!(quiz, vec![items[7].id.as_str(), items[6].id.as_str(), items[5].id.as_str()]);
}

#[test]
fn stale_top_up_spans_topics_and_breaks_rank_ties_by_id() {
    let bank = bank();
    let all = bank.pools(Some(Subject::Physics), None);
    let sub = QuestionBank::new(all[0].items().take(2).chain(all[1].items().take(2)).cloned().collect(), "sub");
    let pools = sub.pools(None, None);
    assert_eq!(pools.len(), 2);
    let (p0, p1) = (pools[0], pools[1]);
    let (p0, p1): (Vec<&Question>, Vec<&Question>) = (p0.items().collect(), p1.items().collect());
    // All four seen; two share the oldest rank.
    let recent: RecentlySeen<'_> =
        [(p0[0].id.as_str(), 4usize), (p0[1].id.as_str(), 2), (p1[0].id.as_str(), 2), (p1[1].id.as_str(), 9)]
            .into_iter()
            .collect();
    let mut tied = [p0[1].id.as_str(), p1[0].id.as_str()];
    tied.sort();
    let quiz = ids(&assemble(&pools, &HashMap::new(), &recent, 4, &mut ChaCha8Rng::seed_from_u64(1)));
    assert_eq!(quiz, vec![tied[0], tied[1], p0[0].id.as_str(), p1[1].id.as_str()]);
}

// (d) ------------------------------------------------------------------------------------------

/// Ids of `pool`'s items sorted by decreasing information at `theta`.
fn by_information<'a>(pool: &TopicPool<'a>, theta: f64) -> Vec<&'a str> {
    let mut items: Vec<&Question> = pool.items().collect();
    items.sort_by(|x, y| fisher_information(theta, &y.irt).total_cmp(&fisher_information(theta, &x.irt)));
    ids(&items)
}

#[test]
fn items_are_chosen_by_maximum_information_with_randomesque_exposure_control() {
    let bank = bank();
    let all = bank.pools(Some(Subject::Physics), None);
    let pool = *all.iter().max_by_key(|p| p.len()).unwrap();
    let topic = pool.topic.clone();
    let n = pool.len();
    assert!(n >= 30, "{n}");
    let mut pools = bank.pools(Some(Subject::Physics), None);
    pools.retain(|p| *p.topic == topic);

    for (theta, seed) in [(2.0, 21u64), (-2.0, 22), (0.0, 23)] {
        let abilities: HashMap<TopicKey, Ability> = [(topic.clone(), ability(theta, 0.3))].into_iter().collect();
        let ranked = by_information(&pool, theta);
        let topic_info = mean(pool.items().map(|q| fisher_information(theta, &q.irt)));
        let topic_b = mean(pool.items().map(|q| q.irt.b));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut chosen_info = Vec::new();
        let mut chosen_b = Vec::new();
        let mut first_picks = HashSet::new();
        for _ in 0..200 {
            let quiz = assemble(&pools, &abilities, &RecentlySeen::new(), 5, &mut rng);
            assert_eq!(quiz.len(), 5);
            // The i-th pick comes from the best K + i items (K best of what is left each time).
            for (i, q) in quiz.iter().enumerate() {
                let pos = ranked.iter().position(|id| *id == q.id.as_str()).unwrap();
                assert!(pos < RANDOMESQUE_K + i, "θ={theta}: pick {i} has information rank {pos}");
                chosen_info.push(fisher_information(theta, &q.irt));
                chosen_b.push(q.irt.b);
            }
            first_picks.insert(quiz[0].id.as_str());
        }
        // Exposure control: all five best items get used as a first pick.
        assert_eq!(first_picks, ranked[..RANDOMESQUE_K].iter().copied().collect::<HashSet<_>>(), "θ={theta}");
        let (ci, cb) = (mean(chosen_info), mean(chosen_b));
        assert!(ci > 1.5 * topic_info, "θ={theta}: chosen info {ci:.3} vs topic mean {topic_info:.3}");
        if theta > 0.0 {
            assert!(cb > topic_b + 1.0, "θ={theta}: chosen mean b {cb:.2} vs topic mean b {topic_b:.2}");
            assert!(cb > 0.8, "θ={theta}: chosen mean b {cb:.2}");
        } else if theta < 0.0 {
            assert!(cb < topic_b - 1.0, "θ={theta}: chosen mean b {cb:.2} vs topic mean b {topic_b:.2}");
            assert!(cb < -0.8, "θ={theta}: chosen mean b {cb:.2}");
        }
    }
}

// (e) ------------------------------------------------------------------------------------------

fn simulate(true_theta: f64, n: usize, rng: &mut ChaCha8Rng) -> Vec<ItemResponse> {
    (0..n)
        .map(|_| {
            let item = IrtParams { a: rng.random_range(0.8..2.0), b: rng.random_range(-1.0..2.0), c: 0.0 };
            let correct = rng.random::<f64>() < p_correct(true_theta, &item);
            ItemResponse { item, correct }
        })
        .collect()
}

#[test]
fn eap_recovers_theta_from_thirty_responses() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let responses = simulate(1.0, 30, &mut rng);
    let est = Ability::default().update(&responses);
    assert!((est.theta - 1.0).abs() < 0.6, "{est:?}");
    assert!(est.se < 0.5, "{est:?}");
    assert!(est.se > 0.1, "30 items cannot pin θ that tightly: {est:?}");

    // Three quizzes of ten, updated sequentially, land in the same place.
    let seq = responses.chunks(10).fold(Ability::default(), |a, quiz| a.update(quiz));
    assert!((seq.theta - 1.0).abs() < 0.6, "{seq:?}");
    assert!(seq.se < 0.5, "{seq:?}");
    assert!((seq.theta - est.theta).abs() < 0.15, "sequential {seq:?} vs batch {est:?}");
}

#[test]
fn eap_is_accurate_across_many_simulated_students() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let runs = 300;
    let estimates: Vec<Ability> = (0..runs).map(|_| Ability::default().update(&simulate(1.0, 30, &mut rng))).collect();
    let mean_theta = mean(estimates.iter().map(|e| e.theta));
    let within = estimates.iter().filter(|e| (e.theta - 1.0).abs() < 0.6).count();
    let max_se = estimates.iter().map(|e| e.se).fold(0.0, f64::max);
    // EAP shrinks toward the N(0, 1) prior a little, so the mean sits slightly below 1.
    assert!((0.75..=1.1).contains(&mean_theta), "mean θ {mean_theta:.3}");
    assert!(within as f64 >= 0.9 * runs as f64, "{within}/{runs} within 0.6");
    assert!(max_se < 0.5, "max se {max_se:.3}");
    // The reported SE is calibrated: the empirical spread of the estimates is about the SE.
    let sd = mean(estimates.iter().map(|e| (e.theta - mean_theta).powi(2))).sqrt();
    let mean_se = mean(estimates.iter().map(|e| e.se));
    assert!(sd < 1.3 * mean_se && sd > 0.5 * mean_se, "sd {sd:.3} vs mean se {mean_se:.3}");
}

#[test]
fn eap_separates_low_and_high_ability() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let low = Ability::default().update(&simulate(-1.0, 30, &mut rng));
    let high = Ability::default().update(&simulate(1.5, 30, &mut rng));
    assert!(low.theta < 0.0 && high.theta > 0.8, "low {low:?} high {high:?}");
    assert!(high.theta - low.theta > 1.5, "low {low:?} high {high:?}");
}
