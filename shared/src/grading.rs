//! Grading with the JEE marking schemes.
//!
//! | type | correct | partial | wrong | skipped | source |
//! |---|---|---|---|---|---|
//! | single-correct MCQ | +4 | – | −1 | 0 | JEE Main information bulletin (Section A) |
//! | multi-correct MCQ | +4 | +3/+2/+1 | −2 | 0 | JEE Advanced information brochure (2023–2025) |
//! | numerical value | +4 | – | 0 | 0 | JEE Advanced numerical-value questions (no negative marks) |
//! | integer | +4 | – | −1 | 0 | JEE Main Section B (integer answers, −1 since 2021) |
//!
//! Multi-correct partial marks: when the chosen options are a non-empty proper subset of the
//! correct ones, the mark is the number chosen (+3 for three of four correct, +2 for two of
//! three or more, +1 for one of two or more); any wrong option chosen gives −2.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::{AnswerKey, OptionKey, QuestionType};

/// Most marks one question can earn.
pub const FULL_MARKS: i32 = 4;

/// A student's response to one question, parsed against its type.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// Not attempted.
    Skipped,
    /// One option.
    Single(OptionKey),
    /// One or more options.
    Multi(BTreeSet<OptionKey>),
    /// A numerical value.
    Number(f64),
    /// An integer.
    Integer(i64),
}

/// How a response was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Full marks.
    Correct,
    /// Some but not full marks (multi-correct only).
    Partial,
    /// Zero or negative marks from an attempt.
    Incorrect,
    /// Not attempted.
    Skipped,
}

/// Marks and outcome of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// Marks awarded (may be negative).
    pub marks: i32,
    /// Outcome class.
    pub outcome: Outcome,
}

impl Response {
    /// Parses the JSON `answer` of a completion request against the question type:
    /// `null` → skipped; single-correct `"B"`; multi-correct `["A","C"]` (non-empty, distinct);
    /// numerical a finite number; integer a whole number.
    ///
    /// # Errors
    /// A message saying which shape was expected.
    pub fn parse(kind: QuestionType, v: &serde_json::Value) -> Result<Response, String> {
        use serde_json::Value as J;
        if v.is_null() {
            return Ok(Response::Skipped);
        }
        let key = |v: &J| v.as_str().and_then(OptionKey::parse);
        match kind {
            QuestionType::SingleCorrect => {
                key(v).map(Response::Single).ok_or_else(|| "expected one of \"A\", \"B\", \"C\", \"D\"".into())
            }
            QuestionType::MultiCorrect => {
                let keys: Option<Vec<OptionKey>> = v.as_array().map(|a| a.iter().map(key).collect()).unwrap_or(None);
                match keys {
                    Some(ks) if ks.is_empty() => Ok(Response::Skipped),
                    Some(ks) => {
                        let set: BTreeSet<OptionKey> = ks.iter().copied().collect();
                        if set.len() != ks.len() {
                            return Err("options must not repeat".into());
                        }
                        Ok(Response::Multi(set))
                    }
                    None => Err("expected an array of option keys, e.g. [\"A\", \"C\"]".into()),
                }
            }
            QuestionType::Numerical => match v.as_f64() {
                Some(x) if x.is_finite() => Ok(Response::Number(x)),
                _ => Err("expected a number".into()),
            },
            QuestionType::Integer => match (v.as_i64(), v.as_f64()) {
                (Some(i), _) => Ok(Response::Integer(i)),
                (None, Some(x)) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(Response::Integer(x as i64)),
                _ => Err("expected a whole number".into()),
            },
        }
    }

    /// JSON form (the inverse of [`Response::parse`]).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Response::Skipped => serde_json::Value::Null,
            Response::Single(k) => serde_json::json!(k),
            Response::Multi(ks) => serde_json::json!(ks),
            Response::Number(x) => serde_json::json!(x),
            Response::Integer(i) => serde_json::json!(i),
        }
    }
}

fn mark(marks: i32, outcome: Outcome) -> Mark {
    Mark { marks, outcome }
}

/// Grades a response against an answer key. A response whose shape does not fit the key
/// (which [`Response::parse`] prevents) is graded as wrong.
pub fn grade(key: &AnswerKey, response: &Response) -> Mark {
    match (key, response) {
        (_, Response::Skipped) => mark(0, Outcome::Skipped),
        (AnswerKey::Single(k), Response::Single(r)) => {
            if k == r {
                mark(FULL_MARKS, Outcome::Correct)
            } else {
                mark(-1, Outcome::Incorrect)
            }
        }
        (AnswerKey::Multi(correct), Response::Multi(chosen)) => {
            if chosen == correct {
                mark(FULL_MARKS, Outcome::Correct)
            } else if chosen.is_subset(correct) {
                mark(chosen.len() as i32, Outcome::Partial)
            } else {
                mark(-2, Outcome::Incorrect)
            }
        }
        (AnswerKey::Numerical { value, tolerance }, Response::Number(x)) => {
            // A small relative epsilon absorbs binary rounding of decimal inputs (2.45 vs 2.4500000001).
            let slack = tolerance + 1e-9 * value.abs().max(1.0);
            if (x - value).abs() <= slack { mark(FULL_MARKS, Outcome::Correct) } else { mark(0, Outcome::Incorrect) }
        }
        (AnswerKey::Integer(k), Response::Integer(i)) => {
            if k == i {
                mark(FULL_MARKS, Outcome::Correct)
            } else {
                mark(-1, Outcome::Incorrect)
            }
        }
        (AnswerKey::Integer(_), _) | (AnswerKey::Single(_), _) => mark(-1, Outcome::Incorrect),
        (AnswerKey::Multi(_), _) => mark(-2, Outcome::Incorrect),
        (AnswerKey::Numerical { .. }, _) => mark(0, Outcome::Incorrect),
    }
}
