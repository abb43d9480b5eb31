//! Applying a write to a document stored as Firestore REST JSON (the SQLite backend's
//! `fields` column) while parsing only the top-level fields the write reaches into.
//!
//! The stored object is split into its top-level entries, each kept as its JSON text
//! ([`RawValue`]). A field the write replaces whole is taken from the write by reference; a
//! field a dotted path or a transform reaches into is parsed into a [`Value`] and changed in
//! place; every other field is written back as the text it was read as. So a merge of a few
//! fields into a large document (a user document with every topic's statistics) costs one
//! scan of the stored text and one serialization of what changed.

use std::collections::BTreeMap;

use chrono::SubsecRound;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use super::value::{Fields, Value, get_path, remove_path, set_path};
use super::{StoreError, Write, WriteKind};

/// One top-level field of a document being patched.
enum Slot<'a> {
    /// As stored, not parsed.
    Raw(&'a RawValue),
    /// Replaced whole by a value of the write.
    Borrowed(&'a Value),
    /// Parsed (or built) and changed.
    Owned(Value),
}

impl Serialize for Slot<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Slot::Raw(raw) => raw.serialize(s),
            Slot::Borrowed(v) => v.serialize(s),
            Slot::Owned(v) => v.serialize(s),
        }
    }
}

/// A document's fields during a write: top-level name → slot, in key order (as a
/// [`Fields`] map serializes).
#[derive(Default)]
pub(crate) struct Patched<'a> {
    fields: BTreeMap<String, Slot<'a>>,
}

fn codec(e: serde_json::Error) -> StoreError {
    StoreError::Codec(e.to_string())
}

/// True when `v` holds a timestamp finer than microseconds.
fn has_fine_timestamp(v: &Value) -> bool {
    match v {
        Value::TimestampValue(t) => t.timestamp_subsec_nanos() % 1_000 != 0,
        Value::ArrayValue(a) => a.values.iter().any(has_fine_timestamp),
        Value::MapValue(m) => m.fields.values().any(has_fine_timestamp),
        _ => false,
    }
}

/// Truncates every timestamp in `v` to microseconds, as Firestore stores them.
fn truncate_timestamps(v: &mut Value) {
    match v {
        Value::TimestampValue(t) => *t = t.trunc_subsecs(6),
        Value::ArrayValue(a) => a.values.iter_mut().for_each(truncate_timestamps),
        Value::MapValue(m) => m.fields.values_mut().for_each(truncate_timestamps),
        _ => {}
    }
}

/// The JSON text of the values a write replaces whole (each field of a set, each top-level
/// path of a merge's mask that has a value), timestamps truncated to microseconds. Rendered
/// before the commit takes the writer, so the critical section only splices text.
pub(crate) struct Rendered(Vec<Option<Box<RawValue>>>);

impl Rendered {
    /// Renders the whole-field values of `w`: one entry per field of a set, per mask path of
    /// a merge (`None` for a dotted or absent path), none for a delete.
    ///
    /// # Errors
    /// [`StoreError::Codec`] when a value does not serialize.
    pub(crate) fn of(w: &Write) -> Result<Self, StoreError> {
        let one = |v: &Value| {
            if has_fine_timestamp(v) {
                let mut owned = v.clone();
                truncate_timestamps(&mut owned);
                serde_json::value::to_raw_value(&owned).map_err(codec)
            } else {
                serde_json::value::to_raw_value(v).map_err(codec)
            }
        };
        let values = match &w.kind {
            WriteKind::Set(fields) => fields.values().map(|v| one(v).map(Some)).collect::<Result<_, _>>()?,
            WriteKind::Merge { fields, mask } => mask
                .iter()
                .map(|p| if p.contains('.') { Ok(None) } else { fields.get(p).map(one).transpose() })
                .collect::<Result<_, _>>()?,
            WriteKind::Delete => Vec::new(),
        };
        Ok(Self(values))
    }

    /// The rendered text of entry `i` (see [`Rendered::of`]).
    pub(crate) fn get(&self, i: usize) -> Option<&RawValue> {
        self.0.get(i).and_then(|r| r.as_deref())
    }
}

impl<'a> Patched<'a> {
    /// Splits stored fields (a JSON object of REST values) into raw top-level entries.
    ///
    /// # Errors
    /// [`StoreError::Codec`] when `json` is not a JSON object.
    pub(crate) fn parse(json: &'a str) -> Result<Self, StoreError> {
        let raw: BTreeMap<String, &'a RawValue> = serde_json::from_str(json).map_err(codec)?;
        Ok(Self { fields: raw.into_iter().map(|(k, v)| (k, Slot::Raw(v))).collect() })
    }

    /// Replaces every field with `fields` (a set), each field's text taken from `rendered`
    /// ([`Rendered::of`] of the same write) when there, else the value itself.
    pub(crate) fn replace_all(&mut self, fields: &'a Fields, rendered: &'a Rendered) {
        self.fields = fields
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (k.clone(), rendered.get(i).map_or(Slot::Borrowed(v), Slot::Raw)))
            .collect();
    }

    /// Replaces the top-level field `name` with already rendered JSON text.
    pub(crate) fn set_raw(&mut self, name: &str, raw: &'a RawValue) {
        self.fields.insert(name.to_owned(), Slot::Raw(raw));
    }

    /// The parsed top-level field `head`, if present.
    fn owned(&mut self, head: &str) -> Result<Option<&mut Value>, StoreError> {
        let Some(slot) = self.fields.get_mut(head) else { return Ok(None) };
        let parsed = match slot {
            Slot::Raw(raw) => Some(serde_json::from_str(raw.get()).map_err(codec)?),
            Slot::Borrowed(v) => Some((*v).clone()),
            Slot::Owned(_) => None,
        };
        if let Some(value) = parsed {
            *slot = Slot::Owned(value);
        }
        match slot {
            Slot::Owned(v) => Ok(Some(v)),
            _ => unreachable!("made owned above"),
        }
    }

    /// The value at a dotted path (parsing its top-level field).
    ///
    /// # Errors
    /// [`StoreError::Codec`] when the stored field does not parse.
    pub(crate) fn get(&mut self, path: &str) -> Result<Option<&Value>, StoreError> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let Some(v) = self.owned(head)? else { return Ok(None) };
        Ok(match (rest, &*v) {
            (None, v) => Some(v),
            (Some(rest), Value::MapValue(m)) => get_path(&m.fields, rest),
            (Some(_), _) => None,
        })
    }

    /// Sets the dotted path to `value` of the write: a top-level field is replaced by
    /// reference; a nested one is written into its (parsed) top-level map, creating maps on
    /// the way and replacing non-map values, as [`set_path`] does.
    ///
    /// # Errors
    /// [`StoreError::Codec`] when the stored field does not parse.
    pub(crate) fn set(&mut self, path: &str, value: &'a Value) -> Result<(), StoreError> {
        match path.split_once('.') {
            None => {
                self.fields.insert(path.to_owned(), Slot::Borrowed(value));
                Ok(())
            }
            Some(_) => self.set_owned(path, value.clone()),
        }
    }

    /// Sets the dotted path to an owned value (a transform's result).
    ///
    /// # Errors
    /// [`StoreError::Codec`] when the stored field does not parse.
    pub(crate) fn set_owned(&mut self, path: &str, value: Value) -> Result<(), StoreError> {
        match path.split_once('.') {
            None => {
                self.fields.insert(path.to_owned(), Slot::Owned(value));
            }
            Some((head, rest)) => {
                if !self.fields.contains_key(head) {
                    self.fields.insert(head.to_owned(), Slot::Owned(Value::map(Fields::new())));
                }
                let Some(top) = self.owned(head)? else { unreachable!("inserted above") };
                if !matches!(top, Value::MapValue(_)) {
                    *top = Value::map(Fields::new());
                }
                if let Value::MapValue(m) = top {
                    set_path(&mut m.fields, rest, value);
                }
            }
        }
        Ok(())
    }

    /// Removes the value at a dotted path, if present.
    ///
    /// # Errors
    /// [`StoreError::Codec`] when the stored field does not parse.
    pub(crate) fn remove(&mut self, path: &str) -> Result<(), StoreError> {
        match path.split_once('.') {
            None => {
                self.fields.remove(path);
            }
            Some((head, rest)) => {
                if let Some(Value::MapValue(m)) = self.owned(head)? {
                    remove_path(&mut m.fields, rest);
                }
            }
        }
        Ok(())
    }

    /// The fields as stored JSON, every timestamp truncated to microseconds (fields kept
    /// raw were truncated when first stored).
    ///
    /// # Errors
    /// [`StoreError::Codec`] when a value does not serialize.
    pub(crate) fn into_json(mut self) -> Result<String, StoreError> {
        for slot in self.fields.values_mut() {
            match slot {
                Slot::Raw(_) => {}
                Slot::Borrowed(v) if !has_fine_timestamp(v) => {}
                Slot::Borrowed(v) => {
                    let mut owned = (*v).clone();
                    truncate_timestamps(&mut owned);
                    *slot = Slot::Owned(owned);
                }
                Slot::Owned(v) => truncate_timestamps(v),
            }
        }
        serde_json::to_string(&self).map_err(codec)
    }
}

impl Serialize for Patched<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn stored() -> (Fields, String) {
        let fields = Fields::from([
            ("big".to_owned(), Value::map(Fields::from([("x".to_owned(), Value::DoubleValue(0.5))]))),
            ("n".to_owned(), Value::IntegerValue(2)),
            ("s".to_owned(), Value::string("keep")),
        ]);
        let json = serde_json::to_string(&fields).unwrap();
        (fields, json)
    }

    /// Applies the same steps to parsed fields and to a patch; both must serialize alike.
    #[test]
    fn patch_matches_full_parse() {
        let (mut expected, json) = stored();
        let mut patched = Patched::parse(&json).unwrap();
        let replaced = Value::array(vec![Value::IntegerValue(1)]);
        let nested = Value::string("deep");
        let fine = Utc.timestamp_opt(1_764_000_000, 123_456_789).unwrap();
        let stamp = Value::TimestampValue(fine);

        patched.set("n", &replaced).unwrap();
        set_path(&mut expected, "n", replaced.clone());
        patched.set("big.y.z", &nested).unwrap();
        set_path(&mut expected, "big.y.z", nested.clone());
        patched.set("s.t", &nested).unwrap();
        set_path(&mut expected, "s.t", nested.clone());
        patched.set("new.a", &nested).unwrap();
        set_path(&mut expected, "new.a", nested.clone());
        patched.set("at", &stamp).unwrap();
        set_path(&mut expected, "at", Value::timestamp(fine));
        assert_eq!(patched.get("big.x").unwrap(), Some(&Value::DoubleValue(0.5)));
        patched.remove("big.x").unwrap();
        remove_path(&mut expected, "big.x");
        patched.remove("missing.a").unwrap();
        patched.remove("gone").unwrap();
        patched.set_owned("c.d", Value::IntegerValue(9)).unwrap();
        set_path(&mut expected, "c.d", Value::IntegerValue(9));

        let out = patched.into_json().unwrap();
        assert_eq!(out, serde_json::to_string(&expected).unwrap());
        let back: Fields = serde_json::from_str(&out).unwrap();
        assert_eq!(back, expected);
    }

    /// A merge spliced from rendered text stores what a merge of the values stores.
    #[test]
    fn rendered_merge_matches_value_merge() {
        let (_, json) = stored();
        let fine = Utc.timestamp_opt(1_764_000_000, 123_456_789).unwrap();
        let new = Fields::from([
            ("n".to_owned(), Value::TimestampValue(fine)),
            ("s".to_owned(), Value::map(Fields::from([("t".to_owned(), Value::BooleanValue(true))]))),
        ]);
        let mask = vec!["n".to_owned(), "s".to_owned(), "big.x".to_owned(), "gone".to_owned()];
        let write = Write::merge_mask(crate::store::DocPath::parse("d/x").unwrap(), new.clone(), mask.clone());
        let rendered = Rendered::of(&write).unwrap();
        assert!(rendered.get(0).is_some() && rendered.get(1).is_some());
        assert!(rendered.get(2).is_none() && rendered.get(3).is_none());
        let mut spliced = Patched::parse(&json).unwrap();
        let mut plain = Patched::parse(&json).unwrap();
        for (i, path) in mask.iter().enumerate() {
            match (rendered.get(i), get_path(&new, path)) {
                (Some(raw), _) => spliced.set_raw(path, raw),
                (None, Some(v)) => spliced.set(path, v).unwrap(),
                (None, None) => spliced.remove(path).unwrap(),
            }
            match get_path(&new, path) {
                Some(v) => plain.set(path, v).unwrap(),
                None => plain.remove(path).unwrap(),
            }
        }
        let (spliced, plain) = (spliced.into_json().unwrap(), plain.into_json().unwrap());
        assert_eq!(spliced, plain);
        let back: Fields = serde_json::from_str(&spliced).unwrap();
        assert_eq!(back["n"], Value::timestamp(fine));
        assert_eq!(get_path(&back, "big.x"), None);
    }

    #[test]
    fn untouched_fields_keep_their_text() {
        let (_, json) = stored();
        let mut patched = Patched::parse(&json).unwrap();
        patched.set_owned("n", Value::IntegerValue(3)).unwrap();
        let out = patched.into_json().unwrap();
        assert_eq!(out, json.replace(r#""n":{"integerValue":"2"}"#, r#""n":{"integerValue":"3"}"#));
        assert!(Patched::parse("[1]").is_err());
    }
}
