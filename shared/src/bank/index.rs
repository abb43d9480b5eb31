//! An immutable, indexed copy of the bank held in memory by each instance: questions by id and
//! grouped by topic, with the selection index precomputed, so assembling a quiz touches no
//! store and recomputes nothing that does not depend on the student.

use std::collections::HashMap;

use crate::domain::{Question, QuestionId, Subject, TopicKey, topic::slug};
use crate::irt::selection::{Pools, SelectionIndex};

/// One topic's filter attributes.
#[derive(Debug)]
struct TopicEntry {
    subject: Subject,
    chapter_slug: String,
}

/// The indexed bank.
#[derive(Debug, Default)]
pub struct QuestionBank {
    questions: Vec<Question>,
    topics: Vec<TopicEntry>,
    selection: SelectionIndex,
    version: String,
}

impl QuestionBank {
    /// Indexes `questions` (a later duplicate id replaces an earlier one).
    pub fn new(mut questions: Vec<Question>, version: impl Into<String>) -> Self {
        questions.sort_by(|a, b| a.id.cmp(&b.id));
        questions.dedup_by(|a, b| a.id == b.id);
        let mut topic_index: HashMap<TopicKey, usize> = HashMap::new();
        let mut topics: Vec<TopicEntry> = Vec::new();
        let mut members: Vec<(TopicKey, Vec<u32>)> = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let t = *topic_index.entry(q.topic_key.clone()).or_insert_with(|| {
                topics.push(TopicEntry { subject: q.subject, chapter_slug: slug(&q.chapter) });
                members.push((q.topic_key.clone(), Vec::new()));
                topics.len() - 1
            });
            members[t].1.push(i as u32);
        }
        let selection = SelectionIndex::new(&questions, members);
        Self { questions, topics, selection, version: version.into() }
    }

    /// Number of questions.
    pub fn len(&self) -> usize {
        self.questions.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    /// Version label of the loaded bank.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A question by id.
    pub fn get(&self, id: &QuestionId) -> Option<&Question> {
        self.selection.position(id.as_str()).map(|i| &self.questions[i])
    }

    /// All questions.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// Topic pools matching the filters, in the bank's topic order. `chapter` matches by slug,
    /// so `"Laws of Motion"` and `"laws-of-motion"` are the same chapter.
    pub fn pools(&self, subject: Option<Subject>, chapter: Option<&str>) -> Pools<'_> {
        let chapter = chapter.map(slug);
        let mut pools = Vec::with_capacity(self.topics.len());
        for (i, t) in self.topics.iter().enumerate() {
            if subject.is_none_or(|s| s == t.subject) && chapter.as_ref().is_none_or(|c| *c == t.chapter_slug) {
                pools.push(self.selection.pool(&self.questions, i));
            }
        }
        Pools::new(&self.selection, &self.questions, pools)
    }
}
