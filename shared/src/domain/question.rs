//! Questions of the bank and their JSON Lines format.
//!
//! One JSON object per line (see `docs/question-bank.md`):
//! `id, subject, chapter, topic, type, stem, options (MCQ only), answer, solution,
//! irt {a, b, c}, tags, source`. [`RawQuestion`] is the wire/stored shape; [`Question`] is the
//! validated one, built with [`RawQuestion::validate`].

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Interner, QuestionId, Subject, TopicKey};

/// Question type, as in JEE Main / Advanced papers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// Single-correct MCQ (four options, one correct).
    SingleCorrect,
    /// Multi-correct MCQ (four options, one or more correct; JEE Advanced partial marking).
    MultiCorrect,
    /// Numerical value answer, correct within a tolerance.
    Numerical,
    /// Integer answer (JEE Main Section B; may be negative).
    Integer,
}

impl QuestionType {
    /// True for the two MCQ types.
    pub fn is_mcq(self) -> bool {
        matches!(self, QuestionType::SingleCorrect | QuestionType::MultiCorrect)
    }
}

/// An MCQ option key: `A`–`D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum OptionKey {
    /// A
    A,
    /// B
    B,
    /// C
    C,
    /// D
    D,
}

impl OptionKey {
    /// The four keys in order.
    pub const ALL: [OptionKey; 4] = [OptionKey::A, OptionKey::B, OptionKey::C, OptionKey::D];

    /// Parses `A`–`D`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "A" => Some(OptionKey::A),
            "B" => Some(OptionKey::B),
            "C" => Some(OptionKey::C),
            "D" => Some(OptionKey::D),
            _ => None,
        }
    }
}

/// One MCQ option (Markdown with LaTeX).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct McqOption {
    /// `A`–`D`.
    pub key: OptionKey,
    /// Option text.
    pub text: String,
}

/// IRT item parameters in the logistic metric (D = 1): discrimination `a`, difficulty `b`,
/// pseudo-guessing `c` (Birnbaum's 3PL; `c = 0` gives the 2PL).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct IrtParams {
    /// Discrimination, in (0, 4].
    pub a: f64,
    /// Difficulty on the theta scale, in [-4, 4].
    pub b: f64,
    /// Lower asymptote, in [0, 0.5); 0 for numerical and integer items.
    #[serde(default)]
    pub c: f64,
}

/// The correct answer of a question.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerKey {
    /// The one correct option.
    Single(OptionKey),
    /// The set of correct options (non-empty).
    Multi(BTreeSet<OptionKey>),
    /// Correct when `|response - value| <= tolerance`.
    Numerical {
        /// Keyed value.
        value: f64,
        /// Absolute tolerance (>= 0).
        tolerance: f64,
    },
    /// The exact integer.
    Integer(i64),
}

impl AnswerKey {
    /// JSON shape used in the bank: `"B"`, `["A","C"]`, `{"value":..,"tolerance":..}`, `7`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AnswerKey::Single(k) => serde_json::json!(k),
            AnswerKey::Multi(ks) => serde_json::json!(ks),
            AnswerKey::Numerical { value, tolerance } => serde_json::json!({"value": value, "tolerance": tolerance}),
            AnswerKey::Integer(i) => serde_json::json!(i),
        }
    }
}

/// A question exactly as written in the JSONL bank and stored in `questions/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    /// Question id.
    pub id: String,
    /// `physics` | `chemistry` | `mathematics`.
    pub subject: String,
    /// Chapter (JEE syllabus name).
    pub chapter: String,
    /// Topic within the chapter.
    pub topic: String,
    /// `single_correct` | `multi_correct` | `numerical` | `integer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Stem, Markdown with LaTeX.
    pub stem: String,
    /// Options, MCQ only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<McqOption>,
    /// Answer in the per-type shape.
    pub answer: serde_json::Value,
    /// Worked solution, Markdown with LaTeX.
    pub solution: String,
    /// IRT parameters.
    pub irt: IrtParams,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Provenance.
    pub source: String,
}

/// A validated question.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// Id.
    pub id: QuestionId,
    /// Subject.
    pub subject: Subject,
    /// Chapter (shared with the other questions of the chapter when parsed with one
    /// [`Interner`]).
    pub chapter: Arc<str>,
    /// Topic (shared like `chapter`).
    pub topic: Arc<str>,
    /// Derived topic key (`subject/chapter/topic` slugs; shared like `chapter`).
    pub topic_key: TopicKey,
    /// Type.
    pub kind: QuestionType,
    /// Stem.
    pub stem: String,
    /// Options (four for MCQ, empty otherwise).
    pub options: Vec<McqOption>,
    /// Answer key.
    pub answer: AnswerKey,
    /// Worked solution.
    pub solution: String,
    /// IRT parameters.
    pub irt: IrtParams,
    /// Tags (each shared like `chapter`).
    pub tags: Box<[Arc<str>]>,
    /// Provenance (shared like `chapter`).
    pub source: Arc<str>,
}

/// Longest stem, option or solution text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 20_000;

impl AnswerKey {
    /// Parses the bank's JSON answer shape for a question type.
    ///
    /// # Errors
    /// A message naming the expected shape.
    pub fn from_json(kind: QuestionType, v: &serde_json::Value) -> Result<AnswerKey, String> {
        let mut errors = Vec::new();
        parse_answer(kind, v, &mut errors).ok_or_else(|| errors.join("; "))
    }
}

fn parse_answer(kind: QuestionType, v: &serde_json::Value, errors: &mut Vec<String>) -> Option<AnswerKey> {
    use serde_json::Value as J;
    let key = |v: &J| v.as_str().and_then(OptionKey::parse);
    match kind {
        QuestionType::SingleCorrect => match key(v) {
            Some(k) => Some(AnswerKey::Single(k)),
            None => {
                errors.push("answer: single_correct needs one option key \"A\"-\"D\"".into());
                None
            }
        },
        QuestionType::MultiCorrect => {
            let keys: Option<Vec<OptionKey>> = v.as_array().map(|a| a.iter().map(key).collect()).unwrap_or(None);
            match keys {
                Some(ks) if !ks.is_empty() && ks.iter().collect::<BTreeSet<_>>().len() == ks.len() => {
                    Some(AnswerKey::Multi(ks.into_iter().collect()))
                }
                _ => {
                    errors.push("answer: multi_correct needs a non-empty array of distinct keys \"A\"-\"D\"".into());
                    None
                }
            }
        }
        QuestionType::Numerical => {
            let value = v.get("value").and_then(J::as_f64);
            let tolerance = v.get("tolerance").and_then(J::as_f64);
            match (value, tolerance) {
                (Some(value), Some(tolerance)) if value.is_finite() && tolerance.is_finite() && tolerance >= 0.0 => {
                    Some(AnswerKey::Numerical { value, tolerance })
                }
                _ => {
                    errors.push("answer: numerical needs {\"value\": number, \"tolerance\": number >= 0}".into());
                    None
                }
            }
        }
        QuestionType::Integer => match v.as_i64() {
            Some(i) => Some(AnswerKey::Integer(i)),
            None => {
                errors.push("answer: integer needs a JSON integer".into());
                None
            }
        },
    }
}

impl RawQuestion {
    /// Validates every field and returns the typed question, or every problem found.
    ///
    /// # Errors
    /// One message per broken rule (field name first).
    pub fn validate(&self) -> Result<Question, Vec<String>> {
        self.clone().into_question(&mut Interner::default())
    }

    /// [`RawQuestion::validate`] consuming the record: its texts move into the question
    /// instead of being copied, and the strings that repeat across a bank (chapter, topic,
    /// topic key, tags, source) are taken from `interner`, so a bank parsed with one interner
    /// holds each of them once.
    ///
    /// # Errors
    /// As [`RawQuestion::validate`].
    pub fn into_question(self, interner: &mut Interner) -> Result<Question, Vec<String>> {
        let mut errors = Vec::new();
        let id = QuestionId::parse(&self.id).map_err(|e| errors.push(format!("id: {e}"))).ok();
        let subject = Subject::parse(&self.subject);
        if subject.is_none() {
            errors.push(format!("subject: {:?} is not physics, chemistry or mathematics", self.subject));
        }
        for (name, text, max) in
            [("chapter", &self.chapter, 200), ("topic", &self.topic, 200), ("source", &self.source, 500)]
        {
            if text.trim().is_empty() || text.len() > max {
                errors.push(format!("{name}: must be non-empty and at most {max} bytes"));
            }
        }
        for (name, text) in [("stem", &self.stem), ("solution", &self.solution)] {
            if text.trim().is_empty() || text.len() > MAX_TEXT_BYTES {
                errors.push(format!("{name}: must be non-empty and at most {MAX_TEXT_BYTES} bytes"));
            }
        }
        let kind = match self.kind.as_str() {
            "single_correct" => Some(QuestionType::SingleCorrect),
            "multi_correct" => Some(QuestionType::MultiCorrect),
            "numerical" => Some(QuestionType::Numerical),
            "integer" => Some(QuestionType::Integer),
            other => {
                errors.push(format!("type: {other:?} is not single_correct, multi_correct, numerical or integer"));
                None
            }
        };
        let answer = kind.and_then(|k| parse_answer(k, &self.answer, &mut errors));
        if let Some(k) = kind {
            if k.is_mcq() {
                let keys: Vec<OptionKey> = self.options.iter().map(|o| o.key).collect();
                if keys != OptionKey::ALL {
                    errors.push("options: MCQ needs exactly four options keyed A, B, C, D in order".into());
                }
                if self.options.iter().any(|o| o.text.trim().is_empty() || o.text.len() > MAX_TEXT_BYTES) {
                    errors.push("options: every option text must be non-empty".into());
                }
            } else if !self.options.is_empty() {
                errors.push("options: only MCQ types have options".into());
            }
            let c_ok = if k.is_mcq() { (0.0..0.5).contains(&self.irt.c) } else { self.irt.c == 0.0 };
            if !c_ok {
                errors.push("irt.c: must be in [0, 0.5) for MCQ and 0 for numerical/integer".into());
            }
        }
        if !(self.irt.a > 0.0 && self.irt.a <= 4.0) {
            errors.push("irt.a: discrimination must be in (0, 4]".into());
        }
        if !(-4.0..=4.0).contains(&self.irt.b) {
            errors.push("irt.b: difficulty must be in [-4, 4]".into());
        }
        if self.tags.len() > 20 || self.tags.iter().any(|t| t.is_empty() || t.len() > 64) {
            errors.push("tags: at most 20 tags of 1-64 bytes".into());
        }
        match (id, subject, kind, answer) {
            (Some(id), Some(subject), Some(kind), Some(answer)) if errors.is_empty() => Ok(Question {
                id,
                subject,
                topic_key: TopicKey::from_stored(
                    interner.intern(TopicKey::new(subject, &self.chapter, &self.topic).as_str()),
                ),
                chapter: interner.intern(&self.chapter),
                topic: interner.intern(&self.topic),
                kind,
                stem: self.stem,
                options: self.options,
                answer,
                solution: self.solution,
                irt: self.irt,
                tags: self.tags.iter().map(|t| interner.intern(t)).collect(),
                source: interner.intern(&self.source),
            }),
            _ => Err(errors),
        }
    }
}

impl Question {
    /// The stored / wire shape of this question.
    pub fn to_raw(&self) -> RawQuestion {
        RawQuestion {
            id: self.id.to_string(),
            subject: self.subject.as_str().to_owned(),
            chapter: self.chapter.to_string(),
            topic: self.topic.to_string(),
            kind: serde_json::to_value(self.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            stem: self.stem.clone(),
            options: self.options.clone(),
            answer: self.answer.to_json(),
            solution: self.solution.clone(),
            irt: self.irt,
            tags: self.tags.iter().map(|t| t.to_string()).collect(),
            source: self.source.to_string(),
        }
    }
}
