//! A synthetic week of practice for the snapshot benchmarks: users with 10 completed quizzes
//! of 10 questions each, drawn from a bank, and θ on the topics they answered.

use rand::{Rng, SeedableRng};
use serde_json::json;
use shared::domain::Question;
use shared::grading::Outcome;
use shared::records::UserDoc;
use shared::records::quiz::{ItemResult, QuizDoc, QuizResult, QuizStatus};
use shared::records::user::TopicStats;
use shared::store::{DocPath, Store, Timestamp, Value as SV, Write, commit_chunked, to_fields};

fn quiz(uid: &str, n: usize, at: chrono::DateTime<chrono::Utc>, qs: &[&Question], rng: &mut impl Rng) -> Write {
    let outcomes: Vec<Outcome> =
        qs.iter().map(|_| if rng.random_bool(0.6) { Outcome::Correct } else { Outcome::Incorrect }).collect();
    let doc = QuizDoc {
        uid: uid.into(),
        status: QuizStatus::Completed,
        created_at: Timestamp(at),
        expires_at: Timestamp(at + chrono::Duration::hours(1)),
        subject: None,
        chapter: None,
        retain_until: None,
        items: qs.iter().map(|q| shared::practice::quiz_item(q)).collect(),
        result: Some(QuizResult {
            completed_at: Timestamp(at),
            score: 0,
            max_score: 40,
            correct: 0,
            partial: 0,
            incorrect: 0,
            skipped: 0,
            items: qs
                .iter()
                .zip(&outcomes)
                .map(|(q, o)| ItemResult {
                    question_id: q.id.as_str().into(),
                    response: json!(null),
                    marks: if *o == Outcome::Correct { 4 } else { -1 },
                    outcome: *o,
                    seconds: 40,
                    correct_answer: json!(null),
                })
                .collect(),
            abilities: vec![],
        }),
    };
    Write::set(DocPath::parse(&format!("users/{uid}/quizzes/w{n}")).unwrap(), to_fields(&doc).unwrap())
}

/// Writes `users` users (ids `{prefix}0000000`…) active in `week`, each with 10 completed quizzes
/// at `at`, questions drawn from `bank` with a fixed seed.
pub async fn seed(
    store: &Store,
    bank: &[Question],
    prefix: &str,
    users: usize,
    week: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut writes = Vec::new();
    for u in 0..users {
        let uid = format!("{prefix}{u:07}");
        let mut user = UserDoc::default();
        for k in 0..10 {
            let qs: Vec<&Question> = (0..10).map(|_| &bank[rng.random_range(0..bank.len())]).collect();
            for q in &qs {
                user.abilities.entry(q.topic_key.as_str().into()).or_insert_with(|| TopicStats {
                    subject: q.subject,
                    chapter: q.chapter.to_string(),
                    topic: q.topic.to_string(),
                    theta: rng.random_range(-2.0..2.0),
                    se: 0.4,
                    answered: 1,
                    correct: 1,
                    updated_at: Timestamp(at),
                });
            }
            writes.push(quiz(&uid, k, at - chrono::Duration::minutes(k as i64), &qs, &mut rng));
        }
        let mut f = to_fields(&user).unwrap();
        f.insert("uid".into(), SV::string(uid.clone()));
        f.insert("last_active_week".into(), SV::string(week));
        writes.push(Write::set(DocPath::parse(&format!("users/{uid}")).unwrap(), f));
        if writes.len() >= 5_000 {
            commit_chunked(store.as_ref(), std::mem::take(&mut writes)).await.unwrap();
        }
    }
    commit_chunked(store.as_ref(), writes).await.unwrap();
}
