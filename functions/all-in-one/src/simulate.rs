//! Simulated adaptive testing: runs the engine's item selection and θ estimator
//! (`shared::irt`) on a bank and a set of simulated examinees, and reports the time per item
//! selection and the θ RMSE and bias after given test lengths, the standard figures of a CAT
//! simulation study (e.g. catsim's; De Rizzo Meneghetti & Aquino Junior, 2017).
//!
//! Examinees have one true θ drawn from N(0, 1). Each examinee carries one uniform draw per
//! test position; a response at position k is correct when that draw is below P(θ) of the item
//! given there (3PL), so two engines fed the same examinees answer the same way on the same
//! items. [`export`] writes the bank's parameters and the examinees as CSV for an outside
//! simulator (`benches/catsim_compare.py`).
//!
//! Methods ([`Method`]):
//! - `max-info`: after each item, θ̂ is the engine's EAP estimate from all responses so far
//!   (prior N(0, 1)), and the next item is the unused one with the most information at θ̂
//!   ([`InformationIndex::most_informative`]).
//! - `full-itemwise`: the engine's full method (topic mix + randomesque top-5,
//!   [`assemble`]), one item at a time, every topic's ability set to the current θ̂.
//! - `full-quizzes`: the app's own flow: quizzes of 10 assembled at the current estimate, then
//!   one sequential EAP update per quiz with that quiz's responses (as `quiz-complete` does).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde_json::json;
use shared::bank::QuestionBank;
use shared::domain::{Question, TopicKey};
use shared::irt::selection::{InformationIndex, RecentlySeen, assemble};
use shared::irt::{Ability, ItemResponse, p_correct};

/// Items per quiz in the `full-quizzes` method (the API's default quiz size).
pub const QUIZ_SIZE: usize = 10;

/// A simulated examinee.
#[derive(Debug, Clone, PartialEq)]
pub struct Examinee {
    /// True ability (logit scale).
    pub theta: f64,
    /// One U(0, 1) draw per test position; a response is correct when its draw < P(θ).
    pub draws: Vec<f64>,
}

/// `count` examinees with θ ~ N(0, 1) and `max_items` response draws each, deterministic in
/// `seed` (ChaCha8).
pub fn examinees(count: usize, seed: u64, max_items: usize) -> Vec<Examinee> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let theta: f64 = StandardNormal.sample(&mut rng);
            Examinee { theta, draws: (0..max_items).map(|_| rng.random::<f64>()).collect() }
        })
        .collect()
}

/// A selection method of the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Pure maximum information, item by item, EAP after every item.
    MaxInfo,
    /// Topic mix + randomesque, item by item, EAP after every item.
    FullItemwise,
    /// Topic mix + randomesque in quizzes of [`QUIZ_SIZE`], one sequential EAP update per quiz.
    FullQuizzes,
}

impl Method {
    /// Every method, in report order.
    pub const ALL: [Method; 3] = [Method::MaxInfo, Method::FullItemwise, Method::FullQuizzes];

    /// The method's name in reports (`max-info`, `full-itemwise`, `full-quizzes`).
    pub fn name(self) -> &'static str {
        match self {
            Method::MaxInfo => "max-info",
            Method::FullItemwise => "full-itemwise",
            Method::FullQuizzes => "full-quizzes",
        }
    }
}

/// θ accuracy at one test length.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    /// Items administered.
    pub length: usize,
    /// Root mean squared error of θ̂ − θ over the examinees.
    pub rmse: f64,
    /// Mean of θ̂ − θ.
    pub bias: f64,
}

/// What one method did over all examinees.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodReport {
    /// The method.
    pub method: Method,
    /// Mean wall time of one item selection, in µs (a quiz's assembly time over its items
    /// for `full-quizzes`).
    pub selection_us: f64,
    /// Mean wall time of one θ estimation, in µs.
    pub estimation_us: f64,
    /// Accuracy at each requested length.
    pub accuracy: Vec<Accuracy>,
    /// Largest share of examinees that saw one item (exposure rate, 0–1).
    pub max_exposure: f64,
    /// Distinct items administered over all examinees.
    pub items_used: usize,
}

/// Runs `method` for every examinee up to the largest of `lengths` items.
///
/// # Panics
/// When `lengths` is empty or asks for more items than an examinee has draws.
pub fn run(bank: &[Question], people: &[Examinee], lengths: &[usize], method: Method, seed: u64) -> MethodReport {
    let max_items = *lengths.iter().max().expect("at least one test length");
    let all: Vec<&Question> = bank.iter().collect();
    // Built once per bank, outside the timed selections, as catsim's `ItemBank` precomputes.
    let index = InformationIndex::new(&all);
    // The engine's own index of the bank (topic pools, information rankings), as the server
    // builds it once per bank version.
    let indexed = QuestionBank::new(bank.to_vec(), "simulate");
    let pools = indexed.pools(None, None);
    let topics: Vec<&TopicKey> = pools.iter().map(|p| p.topic).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut selecting = std::time::Duration::ZERO;
    let mut selections = 0usize;
    let mut estimating = std::time::Duration::ZERO;
    let mut estimations = 0usize;
    let mut errors: Vec<Vec<f64>> = vec![Vec::with_capacity(people.len()); lengths.len()];
    let mut exposure: HashMap<&str, usize> = HashMap::new();
    for person in people {
        assert!(person.draws.len() >= max_items, "examinee has fewer draws than items");
        let mut given: Vec<&Question> = Vec::with_capacity(max_items);
        let mut responses: Vec<ItemResponse> = Vec::with_capacity(max_items);
        let mut estimate = Ability::default();
        let mut estimates: Vec<f64> = Vec::with_capacity(max_items);
        while given.len() < max_items {
            let batch = match method {
                Method::FullQuizzes => QUIZ_SIZE.min(max_items - given.len()),
                _ => 1,
            };
            let picked: Vec<&Question> = match method {
                Method::MaxInfo => {
                    let started = Instant::now();
                    let pick = index.most_informative(estimate.theta, |q| given.iter().any(|g| g.id == q.id));
                    selecting += started.elapsed();
                    pick.into_iter().collect()
                }
                Method::FullItemwise | Method::FullQuizzes => {
                    // The caller's inputs (what the handler reads from the user's document) are
                    // built outside the timed call.
                    let abilities: HashMap<TopicKey, Ability> =
                        topics.iter().map(|t| ((*t).clone(), estimate)).collect();
                    let recent: RecentlySeen = given.iter().enumerate().map(|(i, q)| (q.id.as_str(), i + 1)).collect();
                    let started = Instant::now();
                    let picks = assemble(&pools, &abilities, &recent, batch, &mut rng);
                    selecting += started.elapsed();
                    picks
                }
            };
            selections += picked.len();
            if picked.is_empty() {
                break;
            }
            let first_new = responses.len();
            for q in picked {
                let k = given.len();
                let correct = person.draws[k] < p_correct(person.theta, &q.irt);
                *exposure.entry(q.id.as_str()).or_default() += 1;
                given.push(q);
                responses.push(ItemResponse { item: q.irt, correct });
            }
            let started = Instant::now();
            estimate = match method {
                Method::FullQuizzes => estimate.update(&responses[first_new..]),
                _ => Ability::default().update(&responses),
            };
            estimating += started.elapsed();
            estimations += 1;
            estimates.resize(given.len(), estimate.theta);
        }
        for (slot, length) in lengths.iter().enumerate() {
            if let Some(theta_hat) = estimates.get(length - 1) {
                errors[slot].push(theta_hat - person.theta);
            }
        }
    }
    let accuracy = lengths
        .iter()
        .zip(&errors)
        .map(|(length, e)| {
            let n = e.len().max(1) as f64;
            Accuracy {
                length: *length,
                rmse: (e.iter().map(|x| x * x).sum::<f64>() / n).sqrt(),
                bias: e.iter().sum::<f64>() / n,
            }
        })
        .collect();
    MethodReport {
        method,
        selection_us: selecting.as_secs_f64() * 1e6 / selections.max(1) as f64,
        estimation_us: estimating.as_secs_f64() * 1e6 / estimations.max(1) as f64,
        accuracy,
        max_exposure: exposure.values().copied().max().unwrap_or(0) as f64 / people.len().max(1) as f64,
        items_used: exposure.len(),
    }
}

/// The reports as JSON: `{"bank_items", "examinees", "methods": [{"method", "selection_us",
/// "estimation_us", "max_exposure", "items_used", "accuracy": [{"length", "rmse", "bias"}]}]}`.
pub fn to_json(bank_items: usize, examinees: usize, reports: &[MethodReport]) -> serde_json::Value {
    json!({
        "bank_items": bank_items,
        "examinees": examinees,
        "methods": reports.iter().map(|r| json!({
            "method": r.method.name(),
            "selection_us": r.selection_us,
            "estimation_us": r.estimation_us,
            "max_exposure": r.max_exposure,
            "items_used": r.items_used,
            "accuracy": r.accuracy.iter().map(|a| json!({"length": a.length, "rmse": a.rmse, "bias": a.bias})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Writes `items.csv` (`a,b,c`, one item a row, bank order) and `examinees.csv` (`theta`
/// then one column per response draw) into `dir`, creating it.
///
/// # Errors
/// When the directory or a file cannot be written.
pub fn export(dir: &Path, bank: &[Question], people: &[Examinee]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut items = std::io::BufWriter::new(std::fs::File::create(dir.join("items.csv"))?);
    writeln!(items, "a,b,c")?;
    for q in bank {
        writeln!(items, "{},{},{}", q.irt.a, q.irt.b, q.irt.c)?;
    }
    items.flush()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("examinees.csv"))?);
    let width = people.first().map_or(0, |p| p.draws.len());
    let header: Vec<String> = std::iter::once("theta".to_owned()).chain((1..=width).map(|k| format!("u{k}"))).collect();
    writeln!(out, "{}", header.join(","))?;
    for p in people {
        let row: Vec<String> = std::iter::once(p.theta).chain(p.draws.iter().copied()).map(|x| x.to_string()).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examinees_are_deterministic_and_standard_normal() {
        let a = examinees(2000, 7, 30);
        assert_eq!(a, examinees(2000, 7, 30));
        let mean = a.iter().map(|p| p.theta).sum::<f64>() / 2000.0;
        let sd = (a.iter().map(|p| (p.theta - mean).powi(2)).sum::<f64>() / 2000.0).sqrt();
        assert!(mean.abs() < 0.1, "{mean}");
        assert!((sd - 1.0).abs() < 0.1, "{sd}");
        assert!(a.iter().all(|p| p.draws.len() == 30 && p.draws.iter().all(|u| (0.0..1.0).contains(u))));
    }

    #[test]
    fn adaptive_testing_recovers_theta_and_exposure_control_spreads_items() {
        let bank = shared::bank::synthetic::generate(2000, 42);
        let people = examinees(60, 3, 30);
        let lengths = [10, 30];
        let maxinfo = run(&bank, &people, &lengths, Method::MaxInfo, 1);
        let full = run(&bank, &people, &lengths, Method::FullItemwise, 1);
        let quizzes = run(&bank, &people, &lengths, Method::FullQuizzes, 1);
        for r in [&maxinfo, &full, &quizzes] {
            // The prior alone (θ̂ = 0) has RMSE ≈ SD(θ) = 1; 30 items must do far better.
            assert!(r.accuracy[1].rmse < 0.5, "{r:?}");
            assert!(r.accuracy[1].rmse < r.accuracy[0].rmse + 0.05, "{r:?}");
            assert!(r.accuracy[1].bias.abs() < 0.25, "{r:?}");
            assert!(r.selection_us > 0.0 && r.estimation_us > 0.0);
        }
        // Randomesque and the topic mix spread the administrations over more of the bank.
        assert!(full.items_used > maxinfo.items_used, "{} vs {}", full.items_used, maxinfo.items_used);
        assert!(full.max_exposure < maxinfo.max_exposure, "{} vs {}", full.max_exposure, maxinfo.max_exposure);
    }

    #[test]
    fn export_writes_the_bank_and_the_examinees() {
        let dir = std::env::temp_dir().join(format!("jeevibe-sim-{}", std::process::id()));
        let bank = shared::bank::synthetic::generate(50, 1);
        let people = examinees(4, 2, 3);
        export(&dir, &bank, &people).unwrap();
        let items = std::fs::read_to_string(dir.join("items.csv")).unwrap();
        assert_eq!(items.lines().count(), 51);
        assert_eq!(items.lines().nth(1).unwrap(), format!("{},{},{}", bank[0].irt.a, bank[0].irt.b, bank[0].irt.c));
        let rows = std::fs::read_to_string(dir.join("examinees.csv")).unwrap();
        assert_eq!(rows.lines().next().unwrap(), "theta,u1,u2,u3");
        let first: Vec<f64> = rows.lines().nth(1).unwrap().split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(first, std::iter::once(people[0].theta).chain(people[0].draws.clone()).collect::<Vec<_>>());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
