//! Generating a practice quiz: one store transaction that reads the user document (1 read),
//! assembles the quiz in memory from the instance's bank copy ([`crate::irt::selection`]),
//! checks the tier's daily practice limit against the counter in that document, and writes the
//! user document (its recent-question window, the open quiz with its grading snapshot in
//! `open_quizzes` ([`crate::records::open_quiz`]), plus the quota increment as a transform):
//! 1 write. No quiz document is written, at generation or completion
//! ([`super::complete`](mod@super::complete)). The same assembly, applied to offline packs, is
//! [`choose`](fn@choose).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::complete::store_value;
use super::error::PracticeError;
use crate::bank::QuestionBank;
use crate::domain::{IstDay, Question, QuizId, Subject, Tier, TopicKey, UserId};
use crate::irt::Ability;
use crate::irt::selection::{Pools, RecentlySeen, assemble};
use crate::quota::{self, Decision};
use crate::records::open_quiz::{self, EVICTED_THROUGH_FIELD, OPEN_QUIZZES_FIELD, OpenQuiz};
use crate::records::{QuizItem, UserDoc};
use crate::store::{DocumentStore, Fields, StoreError, Timestamp, TransactionRetry, Value, Write};
use crate::user_lock::UserLocks;

/// Default number of questions.
pub const DEFAULT_SIZE: i64 = 10;
/// Largest quiz.
pub const MAX_SIZE: i64 = 30;

/// A validated quiz request.
#[derive(Debug, Clone)]
pub struct QuizRequest {
    /// Subject filter.
    pub subject: Option<Subject>,
    /// Chapter filter (name or slug; needs no subject).
    pub chapter: Option<String>,
    /// Number of questions, 1–[`MAX_SIZE`].
    pub size: usize,
}

impl QuizRequest {
    /// Validates the raw fields of `POST /v1/quizzes` (`size` defaults to [`DEFAULT_SIZE`]).
    ///
    /// # Errors
    /// [`PracticeError::UnknownSubject`], [`PracticeError::InvalidRequest`] (size out of
    /// 1–[`MAX_SIZE`], chapter empty or over 200 bytes).
    pub fn parse(subject: Option<&str>, chapter: Option<String>, size: Option<i64>) -> Result<Self, PracticeError> {
        let subject = match subject {
            None => None,
            Some(s) => Some(Subject::parse(s).ok_or_else(|| PracticeError::UnknownSubject(s.to_owned()))?),
        };
        let size = size.unwrap_or(DEFAULT_SIZE);
        if !(1..=MAX_SIZE).contains(&size) {
            return Err(PracticeError::InvalidRequest {
                detail: format!("size must be between 1 and {MAX_SIZE}, got {size}"),
                question_id: None,
            });
        }
        if let Some(c) = &chapter
            && (c.trim().is_empty() || c.len() > 200)
        {
            return Err(PracticeError::InvalidRequest {
                detail: "chapter must be 1-200 bytes".into(),
                question_id: None,
            });
        }
        Ok(QuizRequest { subject, chapter, size: size as usize })
    }
}

/// A generated quiz.
#[derive(Debug, Clone)]
pub struct GeneratedQuiz {
    /// Its id.
    pub quiz_id: QuizId,
    /// Creation time.
    pub created_at: Timestamp,
    /// Completion deadline.
    pub expires_at: Timestamp,
    /// The questions, in order (the bank's records; serve them as [`crate::domain::ServedQuestion`]).
    pub questions: Vec<Question>,
    /// The tier's daily practice limit (`None` = unlimited).
    pub limit: Option<u32>,
    /// Practice questions used today, this quiz included.
    pub used: i64,
    /// Practice questions left today (`None` = unlimited).
    pub remaining: Option<u32>,
}

/// The grading snapshot of a question (what completion needs without the bank).
pub fn quiz_item(q: &Question) -> QuizItem {
    QuizItem {
        question_id: q.id.to_string(),
        topic_key: q.topic_key.to_string(),
        subject: q.subject,
        chapter: q.chapter.to_string(),
        topic: q.topic.to_string(),
        kind: q.kind,
        irt: q.irt,
        answer: q.answer.to_json(),
    }
}

/// The bank's topic pools that match `subject`/`chapter`.
///
/// # Errors
/// [`PracticeError::BankEmpty`], [`PracticeError::NoMatchingQuestions`].
pub fn pools_for<'b>(
    bank: &'b QuestionBank,
    subject: Option<Subject>,
    chapter: Option<&str>,
) -> Result<Pools<'b>, PracticeError> {
    if bank.is_empty() {
        return Err(PracticeError::BankEmpty);
    }
    let pools = bank.pools(subject, chapter);
    if pools.is_empty() {
        return Err(PracticeError::NoMatchingQuestions);
    }
    Ok(pools)
}

/// Chooses up to `size` adaptive questions from `pools` for `user` (weak topics first, recent
/// questions avoided), through [`crate::irt::selection::assemble`].
pub fn choose<'b>(pools: &Pools<'b>, user: &UserDoc, size: usize) -> Vec<&'b Question> {
    let abilities: HashMap<TopicKey, Ability> =
        user.abilities.iter().map(|(k, v)| (TopicKey::from_stored(k.clone()), v.ability())).collect();
    let recent: RecentlySeen = user.recent.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    assemble(pools, &abilities, &recent, size, &mut rand::rng())
}

/// Generates a quiz for `uid` (retried on contention; queued behind the user's other
/// read-modify-write transactions of this instance).
///
/// # Errors
/// [`PracticeError::BankEmpty`], [`PracticeError::NoMatchingQuestions`],
/// [`PracticeError::QuotaExceeded`] (nothing is written), [`PracticeError::Store`].
#[allow(clippy::too_many_arguments)]
pub async fn generate(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    bank: &QuestionBank,
    uid: &UserId,
    tier: Tier,
    req: &QuizRequest,
    quiz_ttl: Duration,
    now: DateTime<Utc>,
) -> Result<GeneratedQuiz, PracticeError> {
    let pools = pools_for(bank, req.subject, req.chapter.as_deref())?;
    let day = IstDay::of(now);
    let user_path = UserDoc::path(uid)?;
    let quiz_id = QuizId::generate_at(uid, now);
    let limit = tier.practice_questions_per_day();
    let _queue = locks.lock(uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let mut user_doc: UserDoc = txn.get(&user_path).await?.map(|d| d.decode()).transpose()?.unwrap_or_default();
        let used = quota::practice_used(&user_doc.usage, day);
        let chosen = choose(&pools, &user_doc, req.size);
        let n = chosen.len() as u32;
        let remaining = match quota::decide(limit, used, n) {
            Decision::Allowed { remaining } => remaining,
            Decision::Denied { remaining } => {
                return Err(PracticeError::QuotaExceeded {
                    tier,
                    limit: limit.unwrap_or(0),
                    remaining,
                    requested: n,
                    now,
                });
            }
        };
        user_doc.remember(chosen.iter().map(|q| q.id.to_string()));
        let quiz = OpenQuiz {
            created_at: Timestamp(now),
            expires_at: Timestamp(now + quiz_ttl),
            subject: req.subject,
            chapter: req.chapter.clone(),
            items: chosen.iter().map(|q| quiz_item(q)).collect(),
        };
        let (created_at, expires_at) = (quiz.created_at, quiz.expires_at);
        let (open, evicted) = open_quiz::admit(&user_doc.open_quizzes, &quiz_id, quiz, now);
        let mut fields = Fields::from([
            ("recent".to_owned(), Value::array(user_doc.recent.iter().map(|id| Value::string(id.clone())).collect())),
            (OPEN_QUIZZES_FIELD.to_owned(), store_value(&open)?),
        ]);
        let mut mask = vec!["recent".to_owned(), OPEN_QUIZZES_FIELD.to_owned()];
        if let Some(newest) = evicted {
            let through = user_doc.open_quizzes_evicted_through.map_or(newest, |t| t.max(newest));
            fields.insert(EVICTED_THROUGH_FIELD.to_owned(), store_value(&through)?);
            mask.push(EVICTED_THROUGH_FIELD.to_owned());
        }
        mask.extend(quota::stale_days(&user_doc.usage, day));
        let writes =
            vec![Write::merge_mask(user_path.clone(), fields, mask).with_transform(quota::spend_practice(day, n))];
        match txn.commit(writes).await {
            Ok(()) => {
                return Ok(GeneratedQuiz {
                    quiz_id,
                    created_at,
                    expires_at,
                    questions: chosen.into_iter().cloned().collect(),
                    limit,
                    used: used + i64::from(n),
                    remaining,
                });
            }
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
