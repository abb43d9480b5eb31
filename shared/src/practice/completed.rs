//! Finding one completed quiz of a user by id, wherever it lives: the one lookup behind a
//! completion's replay ([`super::complete`](mod@super::complete)) and the tutor's
//! `{"quiz_id", "question_id"}` anchor ([`crate::tutor::conversations`]).
//!
//! A completed quiz is in one of three places (see [`crate::records::completed_batch`]):
//!
//! 1. `users/{uid}.completed_quizzes`, the map the caller has already read with the user
//!    document (0 reads);
//! 2. a batch `users/{uid}/quiz_batches/*`, found with `quiz_ids array-contains {id} limit 1`
//!    (1 read, also when nothing matches). Not part of the caller's transaction: a batch is
//!    immutable once written and is created in the same commit that empties the map, so a
//!    quiz absent from the map read in the transaction is in a batch committed before it;
//! 3. the quiz document `users/{uid}/quizzes/{id}` (1 read), written by offline pack sync and by
//!    completions of earlier versions. Read through the caller's transaction when it has one,
//!    because a legacy document still `open` is completed in place.

use std::collections::BTreeMap;

use crate::domain::{QuizId, UserId};
use crate::records::QuizDoc;
use crate::records::completed_batch::{QUIZ_IDS_FIELD, QuizBatchDoc};
use crate::store::{DocumentStore, Op, Query, StoreError, Transaction, Value};

/// Where [`find`] found the quiz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The user document's `completed_quizzes` map.
    UserDocument,
    /// A batch document `users/{uid}/quiz_batches/{batchId}`.
    Batch,
    /// Its own quiz document `users/{uid}/quizzes/{id}` (may still be `open` if written
    /// before open quizzes moved into the user document).
    QuizDocument,
}

/// A quiz found by [`find`].
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The quiz, in the quiz document's shape.
    pub quiz: QuizDoc,
    /// Where it was.
    pub place: Place,
}

/// Finds quiz `quiz_id` of `uid`: in `completed` (the `completed_quizzes` map of the user
/// document the caller read), then in a batch, then in its quiz document (through `txn` when
/// given). Reads: 0, 1 or 2. `None` when it is in none of them.
///
/// # Errors
/// Store errors; a stored document that no longer decodes ([`StoreError::Codec`]).
pub async fn find(
    store: &dyn DocumentStore,
    txn: Option<&mut (dyn Transaction + '_)>,
    uid: &UserId,
    completed: &BTreeMap<String, QuizDoc>,
    quiz_id: &QuizId,
) -> Result<Option<Found>, StoreError> {
    if let Some(quiz) = completed.get(quiz_id.as_str()) {
        return Ok(Some(Found { quiz: quiz.clone(), place: Place::UserDocument }));
    }
    let in_batch = Query::new(QuizBatchDoc::collection(uid)?)
        .filter(QUIZ_IDS_FIELD, Op::ArrayContains, Value::string(quiz_id.as_str()))
        .limit(1);
    for doc in store.query(&in_batch).await? {
        let mut batch: QuizBatchDoc = doc.decode()?;
        if let Some(quiz) = batch.quizzes.remove(quiz_id.as_str()) {
            return Ok(Some(Found { quiz, place: Place::Batch }));
        }
    }
    let path = QuizDoc::path(uid, quiz_id)?;
    let doc = match txn {
        Some(txn) => txn.get(&path).await?,
        None => store.get(&path, None).await?,
    };
    Ok(doc.map(|d| d.decode::<QuizDoc>()).transpose()?.map(|quiz| Found { quiz, place: Place::QuizDocument }))
}
