//! A question as served to a student: no answer key, no solution, no IRT parameters.

use serde::Serialize;

use super::{McqOption, Question, QuestionType, Subject};

/// The served view of a [`Question`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServedQuestion<'a> {
    id: &'a str,
    subject: Subject,
    chapter: &'a str,
    topic: &'a str,
    #[serde(rename = "type")]
    kind: QuestionType,
    stem: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    options: &'a [McqOption],
}

impl<'a> From<&'a Question> for ServedQuestion<'a> {
    fn from(q: &'a Question) -> Self {
        ServedQuestion {
            id: q.id.as_str(),
            subject: q.subject,
            chapter: &q.chapter,
            topic: &q.topic,
            kind: q.kind,
            stem: &q.stem,
            options: &q.options,
        }
    }
}
