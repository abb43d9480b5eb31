//! Deterministic synthetic banks for benchmarks and load tests: the same `(count, seed)` gives
//! the same questions on every machine (ChaCha8 stream). Spread: 3 subjects × 10 chapters ×
//! 8 topics; types 55% single-correct, 20% multi-correct, 15% numerical, 10% integer;
//! b ~ U(−2.5, 2.5), a ~ U(0.5, 2.0), c = 0.25 / 0.1 / 0.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{Interner, IrtParams, McqOption, OptionKey, Question, RawQuestion, Subject};

/// Generates `count` valid questions from `seed`.
pub fn generate(count: usize, seed: u64) -> Vec<Question> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut interner = Interner::default();
    (0..count)
        .map(|i| {
            let subject = Subject::ALL[i % 3];
            let chapter = rng.random_range(0..10);
            let topic = rng.random_range(0..8);
            let roll: f64 = rng.random();
            let (kind, answer, c) = if roll < 0.55 {
                ("single_correct", serde_json::json!(OptionKey::ALL[rng.random_range(0..4)]), 0.25)
            } else if roll < 0.75 {
                ("multi_correct", serde_json::json!(["A", "C"]), 0.1)
            } else if roll < 0.90 {
                (
                    "numerical",
                    serde_json::json!({"value": rng.random_range(0..1000) as f64 / 100.0, "tolerance": 0.01}),
                    0.0,
                )
            } else {
                ("integer", serde_json::json!(rng.random_range(0..100)), 0.0)
            };
            let options = if c > 0.0 {
                OptionKey::ALL.iter().map(|k| McqOption { key: *k, text: format!("Option {k:?}") }).collect()
            } else {
                Vec::new()
            };
            let raw = RawQuestion {
                id: format!("syn-{}-{i:06}", &subject.as_str()[..3]),
                subject: subject.as_str().to_owned(),
                chapter: format!("Chapter {chapter}"),
                topic: format!("Topic {chapter}.{topic}"),
                kind: kind.to_owned(),
                stem: format!("Synthetic question {i}: evaluate $x_{{{i}}}$."),
                options,
                answer,
                solution: "Synthetic solution.".to_owned(),
                irt: IrtParams { a: rng.random_range(0.5..2.0), b: rng.random_range(-2.5..2.5), c },
                tags: vec!["synthetic".to_owned()],
                source: format!("synthetic:seed-{seed}"),
            };
            raw.into_question(&mut interner).expect("synthetic questions are valid by construction")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let a = generate(500, 7);
        let b = generate(500, 7);
        assert_eq!(a, b);
        assert_ne!(a, generate(500, 8));
        assert_eq!(a.len(), 500);
    }
}
