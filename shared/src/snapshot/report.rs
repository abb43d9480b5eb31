//! The per-user weekly snapshot, `users/{uid}/snapshots/{week}`: built from the user document,
//! the quizzes completed that week (in the user document, in batches or in quiz documents), and
//! the snaps and tutor conversations of that week. The id is the week label, so a re-run or a
//! duplicate delivery rewrites the same document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::week::IsoWeek;
use crate::domain::{Subject, UserId};
use crate::grading::Outcome;
use crate::records::UserDoc;
use crate::records::completed_batch::{LAST_COMPLETED_AT_FIELD, QuizBatchDoc, completed_at, completed_between};
use crate::records::quiz::QuizDoc;
use crate::store::{CollectionPath, DocPath, DocumentStore, Op, Query, StoreError, Timestamp, Value};

/// Collection of a user's snapshots, under `users/{uid}`.
pub const SNAPSHOTS: &str = "snapshots";

/// Weakest topics listed in a snapshot.
pub const WEAKEST_TOPICS: usize = 3;

/// Attempts and marks in one subject or chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaStats {
    /// Subject.
    pub subject: Subject,
    /// Chapter (absent on a per-subject line).
    #[serde(default)]
    pub chapter: Option<String>,
    /// Questions attempted (not skipped).
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// `correct / answered`, 0 when nothing was answered.
    pub accuracy: f64,
    /// Marks (JEE scheme: +4, −1, partial).
    pub marks: i64,
}

impl AreaStats {
    fn empty(subject: Subject, chapter: Option<String>) -> Self {
        AreaStats { subject, chapter, answered: 0, correct: 0, accuracy: 0.0, marks: 0 }
    }
}

/// How θ of one topic moved during the week (first quiz's θ before, last quiz's θ after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThetaChange {
    /// Topic key.
    pub topic_key: String,
    /// θ before the week's first quiz touching the topic.
    pub theta_start: f64,
    /// θ after the week's last quiz touching the topic.
    pub theta_end: f64,
    /// `theta_end − theta_start`.
    pub change: f64,
}

/// One of the weakest topics (lowest θ among those practised that week).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeakTopic {
    /// Topic key.
    pub topic_key: String,
    /// Subject.
    pub subject: Subject,
    /// Chapter.
    pub chapter: String,
    /// Topic.
    pub topic: String,
    /// Current θ.
    pub theta: f64,
    /// Its standard error.
    pub se: f64,
}

/// The streak as of the week's end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StreakView {
    /// Current run of IST days with a completed quiz (0 when broken before the week ended).
    pub current: i64,
    /// Longest run ever.
    pub longest: i64,
}

/// `users/{uid}/snapshots/{week}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotDoc {
    /// Owner.
    pub uid: String,
    /// Week label `YYYY-Www`.
    pub week: String,
    /// Monday 00:00 IST of the week (orders the listing).
    #[schema(value_type = String, format = DateTime)]
    pub week_start: Timestamp,
    /// When this document was (re)written.
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: Timestamp,
    /// Quizzes completed in the week.
    pub quizzes: i64,
    /// Questions attempted.
    pub answered: i64,
    /// Full-mark answers.
    pub correct: i64,
    /// Skipped questions.
    pub skipped: i64,
    /// `correct / answered`, 0 when nothing was answered.
    pub accuracy: f64,
    /// Marks.
    pub marks: i64,
    /// Highest possible marks (4 per question).
    pub max_marks: i64,
    /// Seconds spent on the week's questions.
    pub seconds: i64,
    /// Per subject.
    pub subjects: Vec<AreaStats>,
    /// Per chapter.
    pub chapters: Vec<AreaStats>,
    /// θ change per topic practised.
    pub topics: Vec<ThetaChange>,
    /// Streak at the week's end.
    pub streak: StreakView,
    /// Snaps taken in the week.
    pub snaps: i64,
    /// Tutor conversations active (updated) in the week.
    pub tutor_conversations: i64,
    /// Up to [`WEAKEST_TOPICS`] weakest topics practised.
    pub weakest: Vec<WeakTopic>,
    /// Body for `POST /v1/quizzes` aimed at the weakest topic's chapter (absent when nothing
    /// was practised).
    #[serde(default)]
    pub suggested_quiz: Option<serde_json::Value>,
}

impl SnapshotDoc {
    /// `users/{uid}/snapshots/{week}`.
    ///
    /// # Errors
    /// Invalid path (cannot happen for a parsed uid and week).
    pub fn path(uid: &str, week: IsoWeek) -> Result<DocPath, StoreError> {
        Self::collection(uid)?.doc(&week.label())
    }

    /// `users/{uid}/snapshots`.
    ///
    /// # Errors
    /// Invalid path.
    pub fn collection(uid: &str) -> Result<CollectionPath, StoreError> {
        CollectionPath::parse(&format!("users/{uid}/{SNAPSHOTS}"))
    }
}

/// One scored response of the week, for the item statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekResponse {
    /// Question id.
    pub question_id: String,
    /// The examinee's current θ on the question's topic (0 when unknown).
    pub theta: f64,
    /// Full marks.
    pub correct: bool,
    /// Seconds spent.
    pub seconds: i64,
}

fn range(q: Query, field: &str, week: IsoWeek) -> Query {
    q.filter(field, Op::Ge, Value::timestamp(week.start_utc())).filter(field, Op::Lt, Value::timestamp(week.end_utc()))
}

/// The quizzes of `uid` completed in `week`, in completion order (then by id), each once: from
/// the user document's `completed_quizzes` (already read), the batches whose
/// `last_completed_at` is in or after the week (1 query; each quiz filtered by its own
/// completion time) and the legacy quiz documents (1 query on `result.completed_at`, written
/// by offline pack sync and earlier versions).
///
/// # Errors
/// Store errors; a stored document that no longer decodes.
pub async fn completed_in_week(
    store: &dyn DocumentStore,
    uid: &UserId,
    user: &UserDoc,
    week: IsoWeek,
) -> Result<Vec<QuizDoc>, StoreError> {
    let (start, end) = (week.start_utc(), week.end_utc());
    let batches_q =
        Query::new(QuizBatchDoc::collection(uid)?).filter(LAST_COMPLETED_AT_FIELD, Op::Ge, Value::timestamp(start));
    let quizzes_q = range(
        Query::new(CollectionPath::parse(&format!("users/{}/quizzes", uid.as_str()))?)
            .order_by("result.completed_at", crate::store::Direction::Asc),
        "result.completed_at",
        week,
    );
    let (batch_docs, quiz_docs) = futures_util::try_join!(store.query(&batches_q), store.query(&quizzes_q))?;
    let batches: Vec<QuizBatchDoc> = batch_docs.iter().map(|d| d.decode()).collect::<Result<_, _>>()?;
    let mut found: BTreeMap<String, QuizDoc> = BTreeMap::new();
    let map = completed_between(&user.completed_quizzes, start, end);
    for (id, quiz) in map.chain(batches.iter().flat_map(|b| b.completed_between(start, end))) {
        found.entry(id.clone()).or_insert_with(|| quiz.clone());
    }
    for doc in &quiz_docs {
        let quiz: QuizDoc = doc.decode()?;
        found.entry(doc.path.id().to_owned()).or_insert(quiz);
    }
    let mut ordered: Vec<(String, QuizDoc)> = found.into_iter().collect();
    ordered.sort_by(|(a_id, a), (b_id, b)| completed_at(a).cmp(&completed_at(b)).then_with(|| a_id.cmp(b_id)));
    Ok(ordered.into_iter().map(|(_, q)| q).collect())
}

/// Reads what the snapshot needs (the user document, the week's completed quizzes from the
/// three places of [`completed_in_week`], snaps and conversations: 1 get and 4 queries) and
/// builds it, with the week's attempted responses.
///
/// # Errors
/// Store errors; a stored document that no longer decodes.
pub async fn build_snapshot(
    store: &dyn DocumentStore,
    uid: &str,
    week: IsoWeek,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(SnapshotDoc, Vec<WeekResponse>), StoreError> {
    let user_id = UserId::parse(uid).map_err(StoreError::InvalidPath)?;
    let user: UserDoc =
        store.get(&UserDoc::path(&user_id)?, None).await?.map(|d| d.decode()).transpose()?.unwrap_or_default();
    let quizzes = completed_in_week(store, &user_id, &user, week).await?;
    let owned =
        |c: &str| Query::new(CollectionPath::root(c).expect("static id")).filter("uid", Op::Eq, Value::string(uid));
    let snaps = store.query(&range(owned(crate::records::snap::SNAPS), "created_at", week).select(&[])).await?.len();
    let convs = store
        .query(&range(owned(crate::records::conversation::CONVERSATIONS), "updated_at", week).select(&[]))
        .await?
        .len();
    Ok(assemble(uid, week, &user, &quizzes, snaps as i64, convs as i64, now))
}

/// Builds the snapshot from the documents read (pure; quizzes in completion order).
pub fn assemble(
    uid: &str,
    week: IsoWeek,
    user: &UserDoc,
    quizzes: &[QuizDoc],
    snaps: i64,
    tutor_conversations: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> (SnapshotDoc, Vec<WeekResponse>) {
    let mut subjects: BTreeMap<Subject, AreaStats> = BTreeMap::new();
    let mut chapters: BTreeMap<(Subject, String), AreaStats> = BTreeMap::new();
    let mut thetas: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut responses = Vec::new();
    let (mut answered, mut correct, mut skipped, mut marks, mut max_marks, mut seconds) = (0, 0, 0, 0, 0, 0);
    let mut done = 0;
    for quiz in quizzes {
        let Some(result) = &quiz.result else { continue };
        done += 1;
        max_marks += result.max_score;
        for (item, r) in quiz.items.iter().zip(&result.items) {
            seconds += r.seconds;
            if r.outcome == Outcome::Skipped {
                skipped += 1;
                continue;
            }
            let full = r.outcome == Outcome::Correct;
            answered += 1;
            correct += i64::from(full);
            marks += r.marks;
            for area in [
                subjects.entry(item.subject).or_insert_with(|| AreaStats::empty(item.subject, None)),
                chapters
                    .entry((item.subject, item.chapter.clone()))
                    .or_insert_with(|| AreaStats::empty(item.subject, Some(item.chapter.clone()))),
            ] {
                area.answered += 1;
                area.correct += i64::from(full);
                area.marks += r.marks;
            }
            let theta = user.abilities.get(&item.topic_key).map_or(0.0, |t| t.theta);
            responses.push(WeekResponse {
                question_id: r.question_id.clone(),
                theta,
                correct: full,
                seconds: r.seconds,
            });
        }
        for a in &result.abilities {
            thetas
                .entry(a.topic_key.clone())
                .and_modify(|e| e.1 = a.theta_after)
                .or_insert((a.theta_before, a.theta_after));
        }
    }
    let ratio = |c: i64, n: i64| if n > 0 { c as f64 / n as f64 } else { 0.0 };
    let finish = |mut a: AreaStats| {
        a.accuracy = ratio(a.correct, a.answered);
        a
    };
    let mut weakest: Vec<WeakTopic> = thetas
        .keys()
        .filter_map(|k| user.abilities.get(k).map(|t| (k, t)))
        .map(|(k, t)| WeakTopic {
            topic_key: k.clone(),
            subject: t.subject,
            chapter: t.chapter.clone(),
            topic: t.topic.clone(),
            theta: t.theta,
            se: t.se,
        })
        .collect();
    weakest.sort_by(|a, b| a.theta.total_cmp(&b.theta).then_with(|| a.topic_key.cmp(&b.topic_key)));
    weakest.truncate(WEAKEST_TOPICS);
    let suggested_quiz =
        weakest.first().map(|w| serde_json::json!({"subject": w.subject.as_str(), "chapter": w.chapter}));
    let end_day = crate::domain::IstDay::of(week.end_utc() - chrono::Duration::seconds(1));
    let doc = SnapshotDoc {
        uid: uid.to_owned(),
        week: week.label(),
        week_start: Timestamp(week.start_utc()),
        generated_at: Timestamp(now),
        quizzes: done,
        answered,
        correct,
        skipped,
        accuracy: ratio(correct, answered),
        marks,
        max_marks,
        seconds,
        subjects: subjects.into_values().map(finish).collect(),
        chapters: chapters.into_values().map(finish).collect(),
        topics: thetas
            .into_iter()
            .map(|(k, (s, e))| ThetaChange { topic_key: k, theta_start: s, theta_end: e, change: e - s })
            .collect(),
        streak: StreakView { current: user.streak.as_of(end_day), longest: user.streak.longest },
        snaps,
        tutor_conversations,
        weakest,
        suggested_quiz,
    };
    (doc, responses)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::{IrtParams, QuestionType, QuizId};
    use crate::records::completed_batch::{QUIZ_BATCHES, QuizBatchDoc};
    use crate::records::{ItemResult, QuizItem, QuizResult, QuizStatus};
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Write, to_fields};

    /// A completed one-question quiz of alice's: `marks` 4 (correct) or −1, completed at `at`.
    fn quiz(at: chrono::DateTime<chrono::Utc>, marks: i64) -> QuizDoc {
        let outcome = if marks > 0 { Outcome::Correct } else { Outcome::Incorrect };
        QuizDoc {
            uid: "alice".into(),
            status: QuizStatus::Completed,
            created_at: Timestamp(at - Duration::minutes(10)),
            expires_at: Timestamp(at + Duration::hours(1)),
            subject: None,
            chapter: None,
            items: vec![QuizItem {
                question_id: "phy-kin-001".into(),
                topic_key: "physics/kinematics/projectile-motion".into(),
                subject: Subject::Physics,
                chapter: "Kinematics".into(),
                topic: "Projectile motion".into(),
                kind: QuestionType::SingleCorrect,
                irt: IrtParams { a: 1.0, b: 0.0, c: 0.25 },
                answer: serde_json::json!("A"),
            }],
            result: Some(QuizResult {
                completed_at: Timestamp(at),
                score: marks,
                max_score: 4,
                correct: i64::from(marks > 0),
                partial: 0,
                incorrect: i64::from(marks < 0),
                skipped: 0,
                items: vec![ItemResult {
                    question_id: "phy-kin-001".into(),
                    response: serde_json::json!("A"),
                    marks,
                    outcome,
                    seconds: 30,
                    correct_answer: serde_json::json!("A"),
                }],
                abilities: Vec::new(),
            }),
            retain_until: Some(crate::records::quiz::retain_until(Timestamp(at))),
        }
    }

    #[tokio::test]
    async fn the_weeks_quizzes_come_from_the_user_document_batches_and_quiz_documents() {
        let store = SqliteStore::in_memory().unwrap();
        let alice = UserId::parse("alice").unwrap();
        let week = IsoWeek::parse("2026-W48").unwrap();
        let day = |d: i64| week.start_utc() + Duration::days(d) + Duration::hours(6);
        let id = |t: chrono::DateTime<chrono::Utc>| QuizId::generate_at(&alice, t).to_string();
        // Scores tell the quizzes apart: 4 per correct quiz, −1 per wrong one.
        let before = quiz(day(-2), 4); // last week, in a batch: not counted
        let (b1, b2, b3) = (quiz(day(0), 4), quiz(day(2), -1), quiz(day(8), 4)); // b3: next week
        let (l1, l2) = (quiz(day(1), -1), quiz(day(3), 4)); // quiz documents
        let (m1, m2) = (quiz(day(4), 4), quiz(day(-1), 4)); // user document; m2 last week
        let old_batch = QuizBatchDoc::of(&alice, [(id(day(-2)), before)].into()).unwrap();
        let batch = QuizBatchDoc::of(&alice, [(id(day(0)), b1), (id(day(2)), b2), (id(day(8)), b3)].into()).unwrap();
        let (m1_id, m2_id) = (id(day(4)), id(day(-1)));
        let user =
            UserDoc { completed_quizzes: [(m1_id.clone(), m1.clone()), (m2_id, m2)].into(), ..UserDoc::default() };
        let doc = |c: &str, id: &str| DocPath::parse(&format!("users/alice/{c}/{id}")).unwrap();
        store
            .commit(vec![
                Write::set(UserDoc::path(&alice).unwrap(), to_fields(&user).unwrap()),
                Write::set(doc(QUIZ_BATCHES, &old_batch.quiz_ids[0]), to_fields(&old_batch).unwrap()),
                Write::set(doc(QUIZ_BATCHES, &batch.quiz_ids[2]), to_fields(&batch).unwrap()),
                Write::set(doc("quizzes", &id(day(1))), to_fields(&l1).unwrap()),
                Write::set(doc("quizzes", &id(day(3))), to_fields(&l2).unwrap()),
                // The map's quiz also as a quiz document (never written so, but read once).
                Write::set(doc("quizzes", &m1_id), to_fields(&m1).unwrap()),
            ])
            .await
            .unwrap();
        let read = completed_in_week(&store, &alice, &user, week).await.unwrap();
        let order: Vec<(chrono::DateTime<chrono::Utc>, i64)> = read
            .iter()
            .map(|q| (q.result.as_ref().unwrap().completed_at.0, q.result.as_ref().unwrap().score))
            .collect();
        assert_eq!(order, vec![(day(0), 4), (day(1), -1), (day(2), -1), (day(3), 4), (day(4), 4)]);
        let (snapshot, responses) = build_snapshot(&store, "alice", week, day(7)).await.unwrap();
        assert_eq!((snapshot.quizzes, snapshot.answered, snapshot.correct), (5, 5, 3));
        assert_eq!((snapshot.marks, snapshot.max_marks, snapshot.seconds), (10, 20, 150));
        assert_eq!(responses.len(), 5);
    }
}
