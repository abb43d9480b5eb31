//! Instruction counts (Callgrind, through gungraun) of the adaptive engine's hot paths: quiz
//! assembly, grading and the θ update. Counts do not depend on the machine's load, so a 1 %
//! change is visible where wall time moves ±50 %. Run with `make bench-icount` (needs valgrind
//! and `cargo install gungraun-runner --version 0.20.0`).

// The gungraun macros generate undocumented modules and constants.
#![allow(missing_docs)]
use std::collections::HashMap;
use std::hint::black_box;

use gungraun::{library_benchmark, library_benchmark_group, main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use shared::bank::QuestionBank;
use shared::bank::synthetic::generate;
use shared::domain::{AnswerKey, Question, QuestionType, TopicKey};
use shared::grading::{Response, grade};
use shared::irt::selection::{RecentlySeen, assemble};
use shared::irt::{Ability, ItemResponse};

/// The criterion bench's scenario: 8,000 items, 120 topic estimates, a full 300-item window.
struct Scenario {
    bank: QuestionBank,
    abilities: HashMap<TopicKey, Ability>,
    recent: Vec<String>,
}

fn scenario() -> Scenario {
    let bank = QuestionBank::new(generate(8_000, 42), "bench");
    let abilities = bank
        .pools(None, None)
        .iter()
        .take(120)
        .enumerate()
        .map(|(i, p)| (p.topic.clone(), Ability { theta: (i as f64 / 30.0) - 2.0, se: 0.4 }))
        .collect();
    let recent = bank.questions().iter().step_by(26).take(300).map(|q| q.id.to_string()).collect();
    Scenario { bank, abilities, recent }
}

/// Ten questions of the bank, one of each type in turn, with their keys and JSON responses.
fn graded_items() -> Vec<(AnswerKey, serde_json::Value, Question)> {
    let bank = generate(400, 42);
    bank.into_iter()
        .step_by(37)
        .take(10)
        .map(|q| {
            let response = match q.kind {
                QuestionType::SingleCorrect => serde_json::json!("A"),
                QuestionType::MultiCorrect => serde_json::json!(["A", "C"]),
                QuestionType::Numerical => serde_json::json!(1.5),
                QuestionType::Integer => serde_json::json!(3),
            };
            (q.answer.clone(), response, q)
        })
        .collect()
}

#[library_benchmark]
#[bench::all_subjects_size_10(setup = scenario)]
fn assembly(s: Scenario) -> (usize, Scenario) {
    // The scenario is handed back so that dropping the bank is not counted.
    let n = {
        let pools = s.bank.pools(None, None);
        let recent: RecentlySeen = s.recent.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        black_box(assemble(&pools, &s.abilities, &recent, 10, &mut rng).len())
    };
    (n, s)
}

#[library_benchmark]
#[bench::ten_answers(setup = graded_items)]
fn grading(items: Vec<(AnswerKey, serde_json::Value, Question)>) -> i32 {
    items
        .iter()
        .map(|(key, raw, q)| {
            let response = Response::parse(q.kind, black_box(raw)).expect("valid response");
            grade(key, &response).marks
        })
        .sum()
}

fn ten_responses() -> Vec<ItemResponse> {
    generate(400, 42)
        .iter()
        .step_by(37)
        .take(10)
        .enumerate()
        .map(|(i, q)| ItemResponse { item: q.irt, correct: i % 3 != 0 })
        .collect()
}

#[library_benchmark]
#[bench::ten_responses(setup = ten_responses)]
fn theta_update(responses: Vec<ItemResponse>) -> Ability {
    black_box(Ability { theta: 0.3, se: 0.6 }.update(black_box(&responses)))
}

library_benchmark_group!(name = engine, benchmarks = [assembly, grading, theta_update]);

main!(library_benchmark_groups = engine);
