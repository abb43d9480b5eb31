//! Writes, preconditions and server-side field transforms, shaped like Firestore's
//! `Write` message (<https://firebase.google.com/docs/firestore/reference/rest/v1/Write>).

use super::path::DocPath;
use super::value::{Fields, Value};

/// Firestore's documented maximum number of writes in one batch or transaction commit
/// (the limit the seed plans for; the current hard limit is the 10 MiB request size).
pub const MAX_WRITES_PER_COMMIT: usize = 500;

/// What a write does to its document.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteKind {
    /// Replace the whole document with these fields (creates it when missing).
    Set(Fields),
    /// Set only the listed dotted field paths from `fields`, keep the others
    /// (Firestore `update` with an `updateMask`; creates the document when missing unless a
    /// precondition says otherwise). A path in the mask that is absent from `fields` is deleted.
    Merge {
        /// Values for the masked paths.
        fields: Fields,
        /// Dotted field paths to write.
        mask: Vec<String>,
    },
    /// Delete the document (a no-op when missing).
    Delete,
}

/// Condition the stored document must meet for the write to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// The document must (true) or must not (false) exist.
    Exists(bool),
}

/// A server-side transform applied after the write's fields, atomically.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldTransform {
    /// Adds a number to the field (missing or non-numeric counts as 0). Integer + integer stays
    /// integer (saturating at the i64 bounds, as Firestore does); otherwise the result is a double.
    Increment(String, Value),
    /// Sets the field to the commit time (`REQUEST_TIME`).
    ServerTimestamp(String),
}

/// One write in a batch or transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// Target document.
    pub path: DocPath,
    /// What to do.
    pub kind: WriteKind,
    /// Transforms applied after `kind`.
    pub transforms: Vec<FieldTransform>,
    /// Optional precondition.
    pub precondition: Option<Precondition>,
}

impl Write {
    /// Replaces the document with `fields`.
    pub fn set(path: DocPath, fields: Fields) -> Self {
        Self { path, kind: WriteKind::Set(fields), transforms: Vec::new(), precondition: None }
    }

    /// Creates the document; fails the commit with `AlreadyExists` if it exists.
    pub fn create(path: DocPath, fields: Fields) -> Self {
        Self::set(path, fields).with_precondition(Precondition::Exists(false))
    }

    /// Writes the given top-level fields and keeps every other field (set with merge).
    pub fn merge(path: DocPath, fields: Fields) -> Self {
        let mask = fields.keys().cloned().collect();
        Self { path, kind: WriteKind::Merge { fields, mask }, transforms: Vec::new(), precondition: None }
    }

    /// Writes exactly the dotted paths in `mask`: those present in `fields` are set, the others
    /// deleted (Firestore `update` with an `updateMask`, no existence precondition).
    pub fn merge_mask(path: DocPath, fields: Fields, mask: Vec<String>) -> Self {
        Self { path, kind: WriteKind::Merge { fields, mask }, transforms: Vec::new(), precondition: None }
    }

    /// Only transforms (e.g. increments); creates the document when missing.
    pub fn transform(path: DocPath, transforms: Vec<FieldTransform>) -> Self {
        Self {
            path,
            kind: WriteKind::Merge { fields: Fields::new(), mask: Vec::new() },
            transforms,
            precondition: None,
        }
    }

    /// Deletes the document.
    pub fn delete(path: DocPath) -> Self {
        Self { path, kind: WriteKind::Delete, transforms: Vec::new(), precondition: None }
    }

    /// Adds a precondition.
    pub fn with_precondition(mut self, p: Precondition) -> Self {
        self.precondition = Some(p);
        self
    }

    /// Adds several transforms.
    pub fn with_transforms(mut self, t: Vec<FieldTransform>) -> Self {
        self.transforms.extend(t);
        self
    }

    /// Adds a transform.
    pub fn with_transform(mut self, t: FieldTransform) -> Self {
        self.transforms.push(t);
        self
    }
}

/// Applies an increment the way Firestore does: integer + integer saturates, anything
/// involving a double yields a double, a missing or non-numeric field counts as zero.
pub fn apply_increment(current: Option<&Value>, by: &Value) -> Value {
    match (current, by) {
        (Some(Value::IntegerValue(a)), Value::IntegerValue(b)) => Value::IntegerValue(a.saturating_add(*b)),
        (Some(Value::DoubleValue(a)), b) => Value::DoubleValue(a + b.as_f64().unwrap_or(0.0)),
        (Some(Value::IntegerValue(a)), Value::DoubleValue(b)) => Value::DoubleValue(*a as f64 + b),
        (_, b) => b.clone(),
    }
}
