//! Shared copies of the strings that repeat across a question bank (chapters, topics, topic
//! keys, tags, sources): an 8,000-question bank names 240 topics, so holding each name once
//! instead of once per question saves a heap allocation per field and question.

use std::collections::HashSet;
use std::sync::Arc;

/// A set of shared strings: [`Interner::intern`] returns the one `Arc<str>` held for a text.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`, made on its first request.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// Number of distinct strings held.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when nothing was interned yet.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_allocation() {
        let mut interner = Interner::default();
        let a = interner.intern("Kinematics");
        let b = interner.intern(&String::from("Kinematics"));
        let c = interner.intern("Optics");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!((&*a, &*c), ("Kinematics", "Optics"));
        assert_eq!(interner.len(), 2);
    }
}
