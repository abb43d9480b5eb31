//! Why a practice use case refused or failed, as data; `From<PracticeError> for Problem` maps
//! each case to its RFC 9457 problem and status.

use chrono::{DateTime, Utc};

use crate::domain::Tier;
use crate::problem::{ErrorCode, Problem, excerpt};
use crate::quota::{self, Counter};
use crate::store::{StoreError, Timestamp};

/// A refused or failed practice operation.
#[derive(Debug)]
pub enum PracticeError {
    /// The subject is not physics, chemistry or mathematics (`422 unknown_filter`).
    UnknownSubject(String),
    /// The subject/chapter filter matches no question of the bank (`422 unknown_filter`).
    NoMatchingQuestions,
    /// A field is out of range (`422 invalid_request`); the text says which.
    InvalidRequest {
        /// Explanation.
        detail: String,
        /// The question the problem is about, when it is about one.
        question_id: Option<String>,
    },
    /// No question bank has been imported yet (`503 question_bank_empty`).
    BankEmpty,
    /// The daily practice quota cannot cover the request (`429 quota_exceeded`).
    QuotaExceeded {
        /// Caller's tier.
        tier: Tier,
        /// Daily limit.
        limit: u32,
        /// Units left today.
        remaining: u32,
        /// Units requested.
        requested: u32,
        /// When the decision was made (for `Retry-After`).
        now: DateTime<Utc>,
    },
    /// No such quiz for this user (`404 quiz_not_found`).
    QuizNotFound(String),
    /// The quiz expired before completion (`410 quiz_expired`).
    QuizExpired {
        /// Quiz id.
        quiz_id: String,
        /// Its expiry.
        expires_at: Timestamp,
    },
    /// The quiz was evicted from the open quizzes by a newer one before it was completed
    /// (`410 quiz_evicted`, see [`crate::records::open_quiz::MAX_OPEN_QUIZZES`]).
    QuizEvicted(String),
    /// An answer names a question outside the quiz (`422 answer_not_in_quiz`).
    AnswerNotInQuiz(String),
    /// Two answers for one question (`422 duplicate_answer`).
    DuplicateAnswer(String),
    /// An answer has the wrong shape for its question type (`422 invalid_answer`).
    InvalidAnswer {
        /// Question id.
        question_id: String,
        /// What is wrong.
        detail: String,
    },
    /// The caller's tier does not include this feature (`403 tier_required`).
    TierRequired {
        /// What was asked for.
        feature: &'static str,
        /// Caller's tier.
        tier: Tier,
        /// The lowest tier that includes it.
        required: Tier,
    },
    /// The pack id belongs to another user (`403 pack_not_owned`).
    PackNotOwned,
    /// No such offline pack for this user (`404 pack_not_found`); also a pack deleted after
    /// its expiry.
    PackNotFound(String),
    /// The pack expired before these results were synced (`410 pack_expired`).
    PackExpired {
        /// Pack id.
        pack_id: String,
        /// Its expiry.
        expires_at: Timestamp,
    },
    /// A result names a question that is not in the pack (`422 item_not_in_pack`).
    ItemNotInPack(String),
    /// The store failed (timeouts and unavailability are 503, the rest 500).
    Store(StoreError),
    /// A stored document is inconsistent (`500 internal`).
    Internal(String),
}

impl From<StoreError> for PracticeError {
    fn from(e: StoreError) -> Self {
        PracticeError::Store(e)
    }
}

impl From<PracticeError> for Problem {
    fn from(e: PracticeError) -> Problem {
        match e {
            PracticeError::UnknownSubject(s) => Problem::new(
                ErrorCode::UnknownFilter,
                format!("subject {:?} is not physics, chemistry or mathematics", excerpt(&s, 40)),
            ),
            PracticeError::NoMatchingQuestions => {
                Problem::new(ErrorCode::UnknownFilter, "no question in the bank matches the subject/chapter filter")
            }
            PracticeError::InvalidRequest { detail, question_id } => {
                let p = Problem::new(ErrorCode::InvalidRequest, detail);
                match question_id {
                    Some(q) => p.with("question_id", excerpt(&q, 64)),
                    None => p,
                }
            }
            PracticeError::BankEmpty => {
                Problem::new(ErrorCode::QuestionBankEmpty, "no question bank has been imported yet").retry_after(60)
            }
            PracticeError::QuotaExceeded { tier, limit, remaining, requested, now } => {
                quota::exceeded(Counter::PracticeQuestions, tier, limit, remaining, requested, now)
            }
            PracticeError::QuizNotFound(id) => Problem::new(ErrorCode::QuizNotFound, format!("no quiz {id}")),
            PracticeError::QuizExpired { quiz_id, expires_at } => {
                Problem::new(ErrorCode::QuizExpired, format!("quiz {quiz_id} expired at {}", expires_at.to_rfc3339()))
            }
            PracticeError::QuizEvicted(id) => Problem::new(
                ErrorCode::QuizEvicted,
                format!(
                    "quiz {id} was closed before completion: {} newer quizzes were open",
                    crate::records::MAX_OPEN_QUIZZES
                ),
            )
            .with("max_open_quizzes", crate::records::MAX_OPEN_QUIZZES),
            PracticeError::AnswerNotInQuiz(q) => {
                Problem::new(ErrorCode::AnswerNotInQuiz, format!("question {:?} is not in this quiz", excerpt(&q, 64)))
                    .with("question_id", excerpt(&q, 64))
            }
            PracticeError::DuplicateAnswer(q) => {
                Problem::new(ErrorCode::DuplicateAnswer, format!("question {:?} is answered twice", excerpt(&q, 64)))
                    .with("question_id", excerpt(&q, 64))
            }
            PracticeError::InvalidAnswer { question_id, detail } => {
                Problem::new(ErrorCode::InvalidAnswer, format!("answer to {question_id:?}: {detail}"))
                    .with("question_id", question_id)
            }
            PracticeError::TierRequired { feature, tier, required } => Problem::new(
                ErrorCode::TierRequired,
                format!("{feature} needs the {} tier or higher; this account is {}", required.as_str(), tier.as_str()),
            )
            .with("tier", tier)
            .with("required_tier", required),
            PracticeError::PackNotOwned => Problem::new(ErrorCode::PackNotOwned, "this pack belongs to another user"),
            PracticeError::PackNotFound(id) => Problem::new(ErrorCode::PackNotFound, format!("no offline pack {id}")),
            PracticeError::PackExpired { pack_id, expires_at } => Problem::new(
                ErrorCode::PackExpired,
                format!("pack {pack_id} expired at {}; its results are no longer accepted", expires_at.to_rfc3339()),
            )
            .with("expired_at", expires_at.to_rfc3339()),
            PracticeError::ItemNotInPack(q) => {
                Problem::new(ErrorCode::ItemNotInPack, format!("question {:?} is not in this pack", excerpt(&q, 64)))
                    .with("question_id", excerpt(&q, 64))
            }
            PracticeError::Store(e) => e.into(),
            PracticeError::Internal(detail) => Problem::new(ErrorCode::Internal, detail),
        }
    }
}
