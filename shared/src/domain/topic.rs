//! Topic keys: the unit at which ability (theta) is tracked.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Subject;

/// `subject/chapter-slug/topic-slug`, e.g. `physics/kinematics/projectile-motion`.
/// Used as a map key in the user document (a valid Firestore map key: non-empty, no `__x__`).
/// Serialised as its text. Clones share the text (the bank's questions of one topic hold one
/// copy).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicKey(Arc<str>);

impl Serialize for TopicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TopicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(TopicKey::from_stored)
    }
}

/// Lowercase ASCII slug: letters and digits kept, runs of anything else become one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

impl TopicKey {
    /// Builds the key from its parts.
    pub fn new(subject: Subject, chapter: &str, topic: &str) -> Self {
        TopicKey(format!("{}/{}/{}", subject.as_str(), slug(chapter), slug(topic)).into())
    }

    /// A key read back from a stored document (already in key form), or a shared copy of one.
    pub fn from_stored(key: impl Into<Arc<str>>) -> Self {
        TopicKey(key.into())
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject part.
    pub fn subject(&self) -> Option<Subject> {
        self.0.split('/').next().and_then(Subject::parse)
    }
}

impl fmt::Display for TopicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Work, Energy and Power"), "work-energy-and-power");
        assert_eq!(
            TopicKey::new(Subject::Physics, "Kinematics", "Projectile motion").as_str(),
            "physics/kinematics/projectile-motion"
        );
    }

    #[test]
    fn serialises_as_its_text() {
        let key = TopicKey::new(Subject::Chemistry, "Mole Concept", "Stoichiometry");
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, r#""chemistry/mole-concept/stoichiometry""#);
        assert_eq!(serde_json::from_str::<TopicKey>(&json).unwrap(), key);
    }
}
