//! Validated Firestore-style resource paths: `collection/doc/collection/doc...`.
//!
//! Rules follow Firestore's documented limits
//! (<https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields>):
//! a document id is non-empty, at most 1,500 bytes, contains no `/`, is not `.` or `..`,
//! and does not match `__.*__` (reserved).

use std::fmt;

use super::StoreError;

/// Maximum size of one document or collection id, in bytes (Firestore limit).
pub const MAX_ID_BYTES: usize = 1_500;

/// Checks one path segment (a collection id or a document id).
///
/// # Errors
/// [`StoreError::InvalidPath`] when the segment breaks one of the Firestore id rules.
pub fn validate_id(id: &str) -> Result<(), StoreError> {
    let why = if id.is_empty() {
        "is empty"
    } else if id.len() > MAX_ID_BYTES {
        "is longer than 1,500 bytes"
    } else if id.contains('/') {
        "contains '/'"
    } else if id == "." || id == ".." {
        "is '.' or '..'"
    } else if id.len() >= 4 && id.starts_with("__") && id.ends_with("__") {
        "matches the reserved pattern __.*__"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidPath(format!("id {id:?} {why}")))
}

/// Path of a collection: an odd number of segments, e.g. `users` or `users/u1/quizzes`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CollectionPath(String);

/// Path of a document: an even number of segments, e.g. `users/u1` or `users/u1/quizzes/q1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocPath(String);

impl CollectionPath {
    /// A top-level collection, e.g. `questions`.
    ///
    /// # Errors
    /// [`StoreError::InvalidPath`] for an invalid id.
    pub fn root(id: &str) -> Result<Self, StoreError> {
        validate_id(id)?;
        Ok(Self(id.to_owned()))
    }

    /// Parses `a/b/c` (odd number of valid segments).
    ///
    /// # Errors
    /// [`StoreError::InvalidPath`] for an even segment count or an invalid segment.
    pub fn parse(path: &str) -> Result<Self, StoreError> {
        let segments: Vec<&str> = path.split('/').collect();
        if segments.len().is_multiple_of(2) {
            return Err(StoreError::InvalidPath(format!(
                "{path:?} is not a collection path (odd segment count expected)"
            )));
        }
        segments.iter().try_for_each(|s| validate_id(s))?;
        Ok(Self(path.to_owned()))
    }

    /// The document `id` inside this collection.
    ///
    /// # Errors
    /// [`StoreError::InvalidPath`] for an invalid id.
    pub fn doc(&self, id: &str) -> Result<DocPath, StoreError> {
        validate_id(id)?;
        Ok(DocPath(format!("{}/{id}", self.0)))
    }

    /// The path as `a/b/c`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment (the collection id).
    pub fn id(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl DocPath {
    /// Parses `a/b` or `a/b/c/d` (even number of valid segments).
    ///
    /// # Errors
    /// [`StoreError::InvalidPath`] for an odd segment count or an invalid segment.
    pub fn parse(path: &str) -> Result<Self, StoreError> {
        let segments: Vec<&str> = path.split('/').collect();
        if !segments.len().is_multiple_of(2) {
            return Err(StoreError::InvalidPath(format!(
                "{path:?} is not a document path (even segment count expected)"
            )));
        }
        segments.iter().try_for_each(|s| validate_id(s))?;
        Ok(Self(path.to_owned()))
    }

    /// The subcollection `id` under this document.
    ///
    /// # Errors
    /// [`StoreError::InvalidPath`] for an invalid id.
    pub fn collection(&self, id: &str) -> Result<CollectionPath, StoreError> {
        validate_id(id)?;
        Ok(CollectionPath(format!("{}/{id}", self.0)))
    }

    /// The collection that holds this document.
    pub fn parent(&self) -> CollectionPath {
        let (parent, _) = self.0.rsplit_once('/').unwrap_or(("", &self.0));
        CollectionPath(parent.to_owned())
    }

    /// The document id (last segment).
    pub fn id(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The path as `a/b`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for CollectionPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_firestore_rules() {
        assert!(validate_id("abc").is_ok());
        assert!(validate_id("पाठ-१").is_ok());
        for bad in ["", ".", "..", "a/b", "__x__"] {
            assert!(validate_id(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_id(&"x".repeat(1_500)).is_ok());
        assert!(validate_id(&"x".repeat(1_501)).is_err());
    }

    #[test]
    fn paths_nest() {
        let users = CollectionPath::root("users").unwrap();
        let u = users.doc("u1").unwrap();
        let q = u.collection("quizzes").unwrap().doc("q1").unwrap();
        assert_eq!(q.as_str(), "users/u1/quizzes/q1");
        assert_eq!(q.parent().as_str(), "users/u1/quizzes");
        assert_eq!(q.id(), "q1");
        assert!(DocPath::parse("users").is_err());
        assert!(CollectionPath::parse("users/u1").is_err());
        assert_eq!(DocPath::parse("users/u1").unwrap(), u);
    }
}
