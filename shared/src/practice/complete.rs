//! Grading a quiz and applying it to the student: JEE marking per item
//! ([`crate::grading`]), a sequential EAP update of θ per topic practised
//! ([`crate::irt::Ability::update`]), running totals, the streak and the weekly statistics the
//! snapshot reads ([`crate::records::weekly`]).
//!
//! [`complete`] runs one transaction that reads the user document, where generation left the
//! open quiz ([`crate::records::open_quiz`]), and writes only the user document: thetas,
//! totals, streak, the open entry removed, the completed quiz (a [`QuizDoc`]) added to
//! `completed_quizzes` ([`crate::records::completed_batch`]), plus the weekly statistics as
//! increment transforms: 1 read, 1 write. Every
//! [`crate::records::completed_batch::COMPLETED_BATCH_SIZE`]th completion also creates the batch
//! document `users/{uid}/quiz_batches/{id}` (precondition `exists = false`) that the map moves
//! into: 1 read, 2 writes. A quiz no longer open is looked up where completed quizzes live
//! ([`super::completed::find`]: the map already read, then a batch, then the legacy quiz
//! document): a completed one answers with the stored result and writes nothing. Offline pack
//! sync ([`super::pack_sync`]) grades with [`grade_items`] and writes the user document with
//! [`user_update`], so both apply results the same way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use serde::Deserialize;

use super::completed::{self, Place};
use super::error::PracticeError;
use crate::clock::Clock;
use crate::domain::{AnswerKey, IstDay, QuizId, Subject, UserId};
use crate::grading::{FULL_MARKS, Outcome, Response as StudentResponse, grade};
use crate::irt::ItemResponse;
use crate::records::completed_batch::{self, COMPLETED_QUIZZES_FIELD, QuizBatchDoc};
use crate::records::open_quiz::{self, OPEN_QUIZZES_FIELD, OpenQuiz};
use crate::records::quiz::retain_until;
use crate::records::weekly::{WeeklyDelta, stale_weeks, weekly_transforms};
use crate::records::{
    AbilityChange, ItemResult, QuizDoc, QuizItem, QuizResult, QuizStatus, TopicStats, Totals, UserDoc,
};
use crate::store::{
    DocPath, DocumentStore, Fields, Precondition, StoreError, Timestamp, TransactionRetry, Value, Write, WriteKind,
    to_fields,
};
use crate::user_lock::UserLocks;

/// Longest time accepted for one question, seconds (a JEE paper is 3 hours).
pub const MAX_SECONDS: f64 = 10_800.0;
/// Most answers accepted in one completion (the largest quiz).
pub const MAX_ANSWERS: usize = 30;

/// One answer: a question id, the response in its type's shape (`null` = skipped) and the
/// seconds spent (0–[`MAX_SECONDS`]).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Question id.
    pub question_id: String,
    /// Response in the per-type shape; `null` = skipped.
    #[serde(default)]
    pub answer: serde_json::Value,
    /// Seconds spent, 0–10800.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10800)]
    pub seconds: f64,
}

/// Checks a list of answers before any read: at most `max`, one per question, seconds in range.
///
/// # Errors
/// [`PracticeError::InvalidRequest`] (too many, seconds out of range),
/// [`PracticeError::DuplicateAnswer`].
pub fn validate_answers(answers: &[Answer], max: usize) -> Result<(), PracticeError> {
    if answers.len() > max {
        return Err(PracticeError::InvalidRequest { detail: format!("at most {max} answers"), question_id: None });
    }
    let mut seen = HashSet::new();
    for a in answers {
        if !seen.insert(a.question_id.as_str()) {
            return Err(PracticeError::DuplicateAnswer(a.question_id.clone()));
        }
        if !(a.seconds.is_finite() && (0.0..=MAX_SECONDS).contains(&a.seconds)) {
            return Err(PracticeError::InvalidRequest {
                detail: format!("seconds must be between 0 and {MAX_SECONDS}"),
                question_id: Some(a.question_id.clone()),
            });
        }
    }
    Ok(())
}

/// Everything grading computes (pure): the result, and the user document's new abilities,
/// totals and weekly increments.
#[derive(Debug, Clone)]
pub struct Graded {
    /// The result (per item marks, θ changes).
    pub result: QuizResult,
    /// Abilities after the update.
    pub abilities: BTreeMap<String, TopicStats>,
    /// Totals after this session.
    pub totals: Totals,
    /// What the session adds to its week.
    pub weekly: WeeklyDelta,
}

/// Grades `items` with `answers` (an item without an answer is skipped) and computes every
/// change to `user`; pure. Every answer must name one of `items`.
///
/// # Errors
/// [`PracticeError::AnswerNotInQuiz`], [`PracticeError::InvalidAnswer`],
/// [`PracticeError::Internal`] (a stored answer key that does not parse).
pub fn grade_items(
    items: &[QuizItem],
    user: &UserDoc,
    answers: &[Answer],
    now: Timestamp,
) -> Result<Graded, PracticeError> {
    let by_id: HashMap<&str, &Answer> = answers.iter().map(|a| (a.question_id.as_str(), a)).collect();
    let in_quiz: HashSet<&str> = items.iter().map(|i| i.question_id.as_str()).collect();
    if let Some(stray) = answers.iter().find(|a| !in_quiz.contains(a.question_id.as_str())) {
        return Err(PracticeError::AnswerNotInQuiz(stray.question_id.clone()));
    }
    let mut results = Vec::with_capacity(items.len());
    let mut per_topic: BTreeMap<&str, Vec<ItemResponse>> = BTreeMap::new();
    let mut counts: HashMap<Outcome, i64> = HashMap::new();
    let mut weekly = WeeklyDelta::default();
    let mut subject_counts: BTreeMap<Subject, (i64, i64)> = BTreeMap::new();
    for item in items {
        let given = by_id.get(item.question_id.as_str());
        let raw = given.map_or(serde_json::Value::Null, |a| a.answer.clone());
        let response = StudentResponse::parse(item.kind, &raw).map_err(|e| PracticeError::InvalidAnswer {
            question_id: item.question_id.clone(),
            detail: e.to_string(),
        })?;
        let key = AnswerKey::from_json(item.kind, &item.answer)
            .map_err(|e| PracticeError::Internal(format!("stored answer key of {}: {e}", item.question_id)))?;
        let mark = grade(&key, &response);
        let seconds = given.map_or(0, |a| a.seconds.round() as i64);
        *counts.entry(mark.outcome).or_default() += 1;
        if mark.outcome != Outcome::Skipped {
            let correct = mark.outcome == Outcome::Correct;
            per_topic.entry(item.topic_key.as_str()).or_default().push(ItemResponse { item: item.irt, correct });
            let e = subject_counts.entry(item.subject).or_default();
            e.0 += 1;
            e.1 += i64::from(correct);
        }
        weekly.seconds += seconds;
        weekly.marks += i64::from(mark.marks);
        results.push(ItemResult {
            question_id: item.question_id.clone(),
            response: response.to_json(),
            marks: i64::from(mark.marks),
            outcome: mark.outcome,
            seconds,
            correct_answer: item.answer.clone(),
        });
    }
    let mut abilities = user.abilities.clone();
    let mut changes = Vec::new();
    for (topic_key, responses) in &per_topic {
        let Some(item) = items.iter().find(|i| i.topic_key == *topic_key) else { continue };
        let before = abilities.get(*topic_key).map(TopicStats::ability).unwrap_or_default();
        let after = before.update(responses);
        let prev = abilities.get(*topic_key);
        let answered = prev.map_or(0, |p| p.answered) + responses.len() as i64;
        let correct = prev.map_or(0, |p| p.correct) + responses.iter().filter(|r| r.correct).count() as i64;
        abilities.insert(
            (*topic_key).to_owned(),
            TopicStats {
                subject: item.subject,
                chapter: item.chapter.clone(),
                topic: item.topic.clone(),
                theta: after.theta,
                se: after.se,
                answered,
                correct,
                updated_at: now,
            },
        );
        changes.push(AbilityChange {
            topic_key: (*topic_key).to_owned(),
            theta_before: before.theta,
            theta_after: after.theta,
            se_after: after.se,
        });
    }
    let count = |o| counts.get(&o).copied().unwrap_or(0);
    let score: i64 = results.iter().map(|i| i.marks).sum();
    let mut totals = user.totals.clone();
    totals.quizzes += 1;
    totals.answered += results.len() as i64 - count(Outcome::Skipped);
    totals.correct += count(Outcome::Correct);
    totals.partial += count(Outcome::Partial);
    totals.incorrect += count(Outcome::Incorrect);
    totals.skipped += count(Outcome::Skipped);
    totals.marks += score;
    totals.seconds += weekly.seconds;
    weekly.skipped = count(Outcome::Skipped);
    weekly.answered = subject_counts.iter().map(|(s, (a, _))| (*s, *a)).collect();
    weekly.correct = subject_counts.iter().map(|(s, (_, c))| (*s, *c)).collect();
    let result = QuizResult {
        completed_at: now,
        score,
        max_score: i64::from(FULL_MARKS) * results.len() as i64,
        correct: count(Outcome::Correct),
        partial: count(Outcome::Partial),
        incorrect: count(Outcome::Incorrect),
        skipped: count(Outcome::Skipped),
        items: results,
        abilities: changes,
    };
    Ok(Graded { result, abilities, totals, weekly })
}

/// `v` as a store value, encoded directly ([`crate::store::to_value`]: no JSON in between;
/// [`Timestamp`]s stay timestamps).
pub(super) fn store_value<T: serde::Serialize>(v: &T) -> Result<Value, PracticeError> {
    crate::store::to_value(v).map_err(|e| PracticeError::Internal(e.to_string()))
}

/// The write that applies `graded` to the user document `users/{uid}` for a session on `day`:
/// abilities, totals, the streak (a `day` before the streak's last day leaves it unchanged),
/// the snapshot planner's `uid` and `last_active_week` (never moved back), weeks beyond the
/// 12 kept deleted, and the weekly increments as transforms.
///
/// # Errors
/// [`PracticeError::Internal`] when a value does not serialize.
pub fn user_update(uid: &UserId, user: &UserDoc, graded: &Graded, day: IstDay) -> Result<Write, PracticeError> {
    let streak = match user.streak.last_day {
        Some(last) if day < last => user.streak.clone(),
        _ => user.streak.record(day),
    };
    let week = day.iso_week();
    let active_week = match &user.last_active_week {
        Some(w) if *w > week => w.clone(),
        _ => week,
    };
    let fields = Fields::from([
        ("abilities".to_owned(), store_value(&graded.abilities)?),
        ("totals".to_owned(), store_value(&graded.totals)?),
        ("streak".to_owned(), store_value(&streak)?),
        // For the weekly snapshot's planner (crate::snapshot::active).
        (crate::snapshot::active::UID_FIELD.to_owned(), Value::string(uid.as_str())),
        (crate::snapshot::active::LAST_ACTIVE_WEEK_FIELD.to_owned(), Value::string(active_week)),
    ]);
    let mut mask: Vec<String> = fields.keys().cloned().collect();
    mask.extend(stale_weeks(&user.weeks, day));
    Ok(Write::merge_mask(UserDoc::path(uid)?, fields, mask).with_transforms(weekly_transforms(day, &graded.weekly)))
}

/// Outcome of [`complete`].
#[derive(Debug, Clone)]
pub struct Completion {
    /// The stored result.
    pub result: QuizResult,
    /// True when the quiz was already completed (nothing was written).
    pub replayed: bool,
}

/// Why a quiz that is neither open in the user document nor stored as a completed quiz
/// ([`super::completed::find`]) cannot be completed, decided from what was read and the id
/// alone (no further read or write).
///
/// The id carries its creation second ([`QuizId::created_at`]): past that plus `quiz_ttl`
/// the quiz is expired (`410 quiz_expired`, with the expiry computed from the id and the
/// current TTL). Within it, an id created no later than the newest quiz evicted by
/// [`crate::records::open_quiz::MAX_OPEN_QUIZZES`] was evicted (`410 quiz_evicted`); any
/// other id was never issued (`404 quiz_not_found`). An id the server never issued but made
/// up with an old enough time is therefore answered as expired or evicted: a 410 instead of a
/// 404 for a request that names no quiz of this user either way.
fn absent(quiz_id: &QuizId, user: &UserDoc, quiz_ttl: Duration, now: DateTime<Utc>) -> PracticeError {
    let created_at = quiz_id.created_at();
    let expires_at = created_at + quiz_ttl;
    if now > expires_at {
        return PracticeError::QuizExpired { quiz_id: quiz_id.to_string(), expires_at: Timestamp(expires_at) };
    }
    match user.open_quizzes_evicted_through {
        Some(through) if created_at <= through.0 => PracticeError::QuizEvicted(quiz_id.to_string()),
        _ => PracticeError::QuizNotFound(quiz_id.to_string()),
    }
}

/// `write` (a merge of the user document) also replacing `open_quizzes` with `open` and
/// `completed_quizzes` with `done`.
fn with_quiz_maps(
    mut write: Write,
    open: &BTreeMap<String, OpenQuiz>,
    done: &BTreeMap<String, QuizDoc>,
) -> Result<Write, PracticeError> {
    if let WriteKind::Merge { fields, mask } = &mut write.kind {
        fields.insert(OPEN_QUIZZES_FIELD.to_owned(), store_value(open)?);
        mask.push(OPEN_QUIZZES_FIELD.to_owned());
        fields.insert(COMPLETED_QUIZZES_FIELD.to_owned(), store_value(done)?);
        mask.push(COMPLETED_QUIZZES_FIELD.to_owned());
    }
    Ok(write)
}

/// [`PracticeError::QuizExpired`] when `now` is past `expires_at`, the end of the time to
/// complete the quiz (open entry or legacy open quiz document alike).
fn check_not_expired(quiz_id: &QuizId, expires_at: Timestamp, now: DateTime<Utc>) -> Result<(), PracticeError> {
    if now > expires_at.0 {
        return Err(PracticeError::QuizExpired { quiz_id: quiz_id.to_string(), expires_at });
    }
    Ok(())
}

/// Completes quiz `quiz_id` of `uid` with `answers` (checked with [`validate_answers`] first),
/// exactly once: a completed quiz answers every later valid completion with its stored result.
/// Answers are checked against the quiz even on a replay, so a request refused the first time
/// is refused every time. `quiz_ttl` is the configured quiz lifetime, used only for a quiz
/// found nowhere ([`PracticeError::QuizExpired`] vs [`PracticeError::QuizNotFound`]).
///
/// Reads: the user document (an open quiz, or a replay from `completed_quizzes`: 1 read); for
/// a quiz in neither, the batch query and then the legacy quiz document
/// ([`super::completed::find`]: 2 or 3 reads in all). Writes: the user document, plus the
/// batch document on every [`completed_batch::COMPLETED_BATCH_SIZE`]th completion.
/// Concurrent completions of one user serialise on the user document (the one that commits
/// second sees its read changed, retries, finds the entry gone and replays the completed quiz
/// from the map or the batch that the winner's commit wrote), and the create precondition of
/// the batch document is a second guard: should it fail, the retry looks the quiz up among the
/// completed ones first.
///
/// A quiz document that is still `open` (written by a generation before open quizzes moved
/// into the user document) is completed in place, as before, and gets its `retain_until`.
///
/// # Errors
/// [`PracticeError::QuizNotFound`], [`PracticeError::QuizExpired`],
/// [`PracticeError::QuizEvicted`], the errors of [`grade_items`], [`PracticeError::Store`].
pub async fn complete(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    clock: &dyn Clock,
    uid: &UserId,
    quiz_id: &QuizId,
    answers: &[Answer],
    quiz_ttl: Duration,
) -> Result<Completion, PracticeError> {
    let quiz_path = QuizDoc::path(uid, quiz_id)?;
    let user_path: DocPath = UserDoc::path(uid)?;
    let _queue = locks.lock(uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    let mut record_first = false;
    loop {
        let mut txn = store.begin().await?;
        let mut user: UserDoc = txn.get(&user_path).await?.map(|d| d.decode()).transpose()?.unwrap_or_default();
        let now = clock.now();
        let open = user.open_quizzes.get(quiz_id.as_str()).filter(|_| !record_first);
        let (graded, writes) = match open {
            Some(open) => {
                let graded = grade_items(&open.items, &user, answers, Timestamp(now))?;
                check_not_expired(quiz_id, open.expires_at, now)?;
                let record = open.clone().completed(uid, graded.result.clone());
                let mut still_open = open_quiz::prune(&user.open_quizzes, now);
                still_open.remove(quiz_id.as_str());
                let completed = std::mem::take(&mut user.completed_quizzes);
                let (done, batch) = completed_batch::admit(completed, uid, quiz_id, record, now);
                let mut writes = Vec::with_capacity(2);
                if let Some(batch) = batch {
                    writes.push(Write::create(QuizBatchDoc::path(uid, quiz_id)?, to_fields(&batch)?));
                }
                writes.push(with_quiz_maps(user_update(uid, &user, &graded, IstDay::of(now))?, &still_open, &done)?);
                (graded, writes)
            }
            None => {
                let found = completed::find(store, Some(txn.as_mut()), uid, &user.completed_quizzes, quiz_id).await?;
                let Some(found) = found else {
                    return Err(absent(quiz_id, &user, quiz_ttl, now));
                };
                let quiz = found.quiz;
                let graded = grade_items(&quiz.items, &user, answers, Timestamp(now))?;
                if let (QuizStatus::Completed, Some(result)) = (quiz.status, quiz.result) {
                    return Ok(Completion { result, replayed: true });
                }
                if found.place != Place::QuizDocument {
                    return Err(PracticeError::Internal(format!("quiz {quiz_id} stored without a result")));
                }
                check_not_expired(quiz_id, quiz.expires_at, now)?;
                let quiz_fields = Fields::from([
                    ("status".to_owned(), Value::string("completed")),
                    ("result".to_owned(), store_value(&graded.result)?),
                    ("retain_until".to_owned(), store_value(&retain_until(graded.result.completed_at))?),
                ]);
                let writes = vec![
                    Write::merge(quiz_path.clone(), quiz_fields).with_precondition(Precondition::Exists(true)),
                    user_update(uid, &user, &graded, IstDay::of(now))?,
                ];
                (graded, writes)
            }
        };
        match txn.commit(writes).await {
            Ok(()) => return Ok(Completion { result: graded.result, replayed: false }),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(StoreError::AlreadyExists(_)) if !record_first => record_first = true,
            Err(e) => return Err(e.into()),
        }
    }
}
