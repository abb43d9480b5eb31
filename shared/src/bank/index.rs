//! An immutable, indexed copy of the bank held in memory by each instance: questions by id and
//! grouped by topic, so assembling a quiz touches no store.

use std::collections::HashMap;

use crate::domain::{Question, QuestionId, Subject, TopicKey, topic::slug};
use crate::irt::selection::TopicPool;

/// One topic's items.
#[derive(Debug)]
struct TopicEntry {
    key: TopicKey,
    subject: Subject,
    chapter_slug: String,
    items: Vec<usize>,
}

/// The indexed bank.
#[derive(Debug, Default)]
pub struct QuestionBank {
    questions: Vec<Question>,
    by_id: HashMap<QuestionId, usize>,
    topics: Vec<TopicEntry>,
    version: String,
}

impl QuestionBank {
    /// Indexes `questions` (a later duplicate id replaces an earlier one).
    pub fn new(mut questions: Vec<Question>, version: impl Into<String>) -> Self {
        questions.sort_by(|a, b| a.id.cmp(&b.id));
        questions.dedup_by(|a, b| a.id == b.id);
        let by_id = questions.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
        let mut topic_index: HashMap<TopicKey, usize> = HashMap::new();
        let mut topics: Vec<TopicEntry> = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let t = *topic_index.entry(q.topic_key.clone()).or_insert_with(|| {
                topics.push(TopicEntry {
                    key: q.topic_key.clone(),
                    subject: q.subject,
                    chapter_slug: slug(&q.chapter),
                    items: Vec::new(),
                });
                topics.len() - 1
            });
            topics[t].items.push(i);
        }
        Self { questions, by_id, topics, version: version.into() }
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
        self.by_id.get(id).map(|&i| &self.questions[i])
    }

    /// All questions.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// Topic pools matching the filters. `chapter` matches by slug, so `"Laws of Motion"` and
    /// `"laws-of-motion"` are the same chapter.
    pub fn pools(&self, subject: Option<Subject>, chapter: Option<&str>) -> Vec<TopicPool<'_>> {
        let chapter = chapter.map(slug);
        self.topics
            .iter()
            .filter(|t| subject.is_none_or(|s| s == t.subject))
            .filter(|t| chapter.as_ref().is_none_or(|c| *c == t.chapter_slug))
            .map(|t| TopicPool { topic: &t.key, items: t.items.iter().map(|&i| &self.questions[i]).collect() })
            .collect()
    }
}
