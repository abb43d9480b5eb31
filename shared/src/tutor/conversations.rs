//! Creating, listing and reading tutor conversations. A conversation may be anchored to a
//! solved snap of the caller or to a question of one of the caller's completed quizzes; the
//! anchor's text is resolved here, from the caller's own documents only, and frozen.

use chrono::{DateTime, Utc};

use crate::bank::QuestionBank;
use crate::domain::{ConversationId, QuestionId, QuizId, SnapId, Tier, UserId};
use crate::pagination::PageCursor;
use crate::records::completed_batch::COMPLETED_QUIZZES_FIELD;
use crate::records::conversation::{Anchor, ConversationDoc, TURNS, TurnDoc};
use crate::records::snap::SnapStatus;
use crate::records::{QuizStatus, UserDoc};
use crate::store::{Direction, DocumentStore, Query, StoreError, Timestamp, Value, Write, to_fields};

/// What to anchor a new conversation to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorRequest {
    /// Nothing: a free conversation.
    None,
    /// A solved snap of the caller.
    Snap(SnapId),
    /// A question of a completed quiz of the caller.
    QuizQuestion(QuizId, QuestionId),
}

/// Why an anchor was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorError {
    /// The snap is missing, another user's, expired, or not solved.
    SnapNotFound,
    /// The quiz belongs to another user.
    QuizNotOwned,
    /// The quiz is missing or not completed.
    QuizNotFound,
    /// The question is not in that quiz (or no longer in the bank).
    QuestionNotInQuiz,
}

/// Resolves the anchor's context text from the caller's documents. A quiz question reads the
/// user document's `completed_quizzes` (1 read, masked) and, for a quiz not there, a batch and
/// the legacy quiz document ([`crate::practice::completed::find`]: up to 2 more reads).
///
/// # Errors
/// `Ok(Err(_))` when refused; `Err` on store errors.
pub async fn resolve_anchor(
    store: &dyn DocumentStore,
    bank: &QuestionBank,
    uid: &UserId,
    req: &AnchorRequest,
    now: DateTime<Utc>,
) -> Result<Result<Option<Anchor>, AnchorError>, StoreError> {
    Ok(match req {
        AnchorRequest::None => Ok(None),
        AnchorRequest::Snap(id) => match crate::snap::history::get(store, uid, id, now).await? {
            Some(s) if s.status == SnapStatus::Solved => match s.solution {
                Some(sol) => Ok(Some(Anchor {
                    kind: "snap".into(),
                    snap_id: Some(id.to_string()),
                    quiz_id: None,
                    question_id: None,
                    context: format!(
                        "Question (from the student's photo): {}\n\nWorked solution:\n{}\n\nFinal answer: {}",
                        sol.question_text,
                        sol.steps.join("\n"),
                        sol.final_answer
                    ),
                })),
                None => Err(AnchorError::SnapNotFound),
            },
            _ => Err(AnchorError::SnapNotFound),
        },
        AnchorRequest::QuizQuestion(quiz, question) => {
            if !quiz.is_owned_by(uid) {
                return Ok(Err(AnchorError::QuizNotOwned));
            }
            // Completed quizzes live in the user document, a batch or their own document.
            let user: UserDoc = store
                .get(&UserDoc::path(uid)?, Some(&[COMPLETED_QUIZZES_FIELD]))
                .await?
                .map(|d| d.decode())
                .transpose()?
                .unwrap_or_default();
            let found = crate::practice::completed::find(store, None, uid, &user.completed_quizzes, quiz).await?;
            let doc = found.map(|f| f.quiz);
            let Some(doc) = doc.filter(|q| q.uid == uid.as_str() && q.status == QuizStatus::Completed) else {
                return Ok(Err(AnchorError::QuizNotFound));
            };
            let response = doc
                .result
                .as_ref()
                .and_then(|r| r.items.iter().find(|i| i.question_id == question.as_str()))
                .map(|i| (i.response.clone(), i.marks));
            match (response, bank.get(question)) {
                (Some((response, marks)), Some(q)) => {
                    let options: String = q.options.iter().map(|o| format!("({:?}) {}\n", o.key, o.text)).collect();
                    Ok(Some(Anchor {
                        kind: "quiz_question".into(),
                        snap_id: None,
                        quiz_id: Some(quiz.to_string()),
                        question_id: Some(question.to_string()),
                        context: format!(
                            "Question ({} / {} / {}):\n{}\n{}\nCorrect answer: {}\nThe student answered: {} ({} marks)\n\nWorked solution:\n{}",
                            q.subject.as_str(),
                            q.chapter,
                            q.topic,
                            q.stem,
                            options,
                            q.answer.to_json(),
                            response,
                            marks,
                            q.solution
                        ),
                    }))
                }
                _ => Err(AnchorError::QuestionNotInQuiz),
            }
        }
    })
}

/// Creates a conversation.
///
/// # Errors
/// Store errors.
pub async fn create(
    store: &dyn DocumentStore,
    uid: &UserId,
    tier: Tier,
    anchor: Option<Anchor>,
    now: DateTime<Utc>,
) -> Result<(ConversationId, ConversationDoc), StoreError> {
    let id = ConversationId::generate(uid);
    let doc = ConversationDoc {
        uid: uid.to_string(),
        created_at: Timestamp(now),
        updated_at: Timestamp(now),
        expires_at: crate::snap::reserve::expiry(tier, now),
        anchor,
        turns: 0,
        summary: None,
        summarized_through: 0,
        title: None,
    };
    store.commit(vec![Write::create(ConversationDoc::path(id.as_str())?, to_fields(&doc)?)]).await?;
    Ok((id, doc))
}

/// The caller's conversation, `None` when missing, another user's or expired.
///
/// # Errors
/// Store errors.
pub async fn get(
    store: &dyn DocumentStore,
    uid: &UserId,
    id: &ConversationId,
    now: DateTime<Utc>,
) -> Result<Option<ConversationDoc>, StoreError> {
    if !id.is_owned_by(uid) {
        return Ok(None);
    }
    let doc = store.get(&ConversationDoc::path(id.as_str())?, None).await?.map(|d| d.decode::<ConversationDoc>());
    Ok(doc.transpose()?.filter(|c| c.uid == uid.as_str() && !c.is_expired(now)))
}

/// The caller's conversations, most recently active first (expired ones left out).
///
/// # Errors
/// Store errors.
pub async fn list(
    store: &dyn DocumentStore,
    uid: &UserId,
    limit: usize,
    cursor: Option<PageCursor>,
    now: DateTime<Utc>,
) -> Result<(Vec<(ConversationId, ConversationDoc)>, Option<PageCursor>), StoreError> {
    let (docs, next) =
        crate::pagination::owned_page(store, ConversationDoc::collection()?, uid, "updated_at", limit, cursor).await?;
    let mut out = Vec::with_capacity(docs.len());
    for d in &docs {
        let c: ConversationDoc = d.decode()?;
        if c.is_expired(now) {
            continue;
        }
        if let Ok(id) = ConversationId::parse(d.path.id()) {
            out.push((id, c));
        }
    }
    Ok((out, next))
}

/// Turns of a conversation in order, `limit` per page, after turn `after_seq`.
///
/// # Errors
/// Store errors.
pub async fn turns(
    store: &dyn DocumentStore,
    id: &ConversationId,
    after_seq: Option<u32>,
    limit: usize,
) -> Result<Vec<(String, TurnDoc)>, StoreError> {
    let mut q =
        Query::new(ConversationDoc::path(id.as_str())?.collection(TURNS)?).order_by("seq", Direction::Asc).limit(limit);
    if let Some(s) = after_seq {
        q = q.start_after(vec![Value::IntegerValue(i64::from(s))]);
    }
    store.query(&q).await?.iter().map(|d| Ok((d.path.id().to_owned(), d.decode()?))).collect()
}
