//! Quiz assembly (topic mix + max-information randomesque selection) over a synthetic
//! 8,000-question bank, for a user with 120 topic estimates and a full recent window.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use shared::bank::QuestionBank;
use shared::bank::synthetic::generate;
use shared::domain::{Subject, TopicKey};
use shared::irt::Ability;
use shared::irt::selection::{RecentlySeen, assemble};

fn bench(c: &mut Criterion) {
    let bank = QuestionBank::new(generate(8_000, 42), "bench");
    let all = bank.pools(None, None);
    let abilities: HashMap<TopicKey, Ability> = all
        .iter()
        .take(120)
        .enumerate()
        .map(|(i, p)| (p.topic.clone(), Ability { theta: (i as f64 / 30.0) - 2.0, se: 0.4 }))
        .collect();
    let recent_ids: Vec<String> = bank.questions().iter().step_by(26).take(300).map(|q| q.id.to_string()).collect();
    let recent: RecentlySeen = recent_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut group = c.benchmark_group("quiz_assembly_8000");
    for size in [10usize, 30] {
        group.bench_function(format!("all_subjects_size_{size}"), |b| {
            b.iter(|| {
                let pools = bank.pools(None, None);
                black_box(assemble(&pools, &abilities, &recent, size, &mut rng).len())
            })
        });
    }
    group.bench_function("physics_size_10", |b| {
        b.iter(|| {
            let pools = bank.pools(Some(Subject::Physics), None);
            black_box(assemble(&pools, &abilities, &recent, 10, &mut rng).len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
