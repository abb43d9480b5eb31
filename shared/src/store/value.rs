//! Field values with Firestore's type system, and the bridge to serde types.
//!
//! The serialized form of [`Value`] is Firestore's REST `Value` JSON
//! (<https://firebase.google.com/docs/firestore/reference/rest/v1/Value>), so a document
//! stored by the SQLite backend reads the same as one exported from Firestore.
//!
//! Domain structs convert through [`to_fields`] / [`from_fields`]: plain serde, with
//! [`Timestamp`] as the one special case (it becomes a `timestampValue`, not a string).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::StoreError;

/// The single key of the map a [`Timestamp`] serializes to (`{"$timestamp": RFC 3339}`).
pub(crate) const TIMESTAMP_MARKER: &str = "$timestamp";

/// A document's fields: field name → value.
pub type Fields = BTreeMap<String, Value>;

/// One Firestore value. Timestamps keep microsecond precision (Firestore's precision).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Value {
    /// `nullValue`.
    NullValue(()),
    /// `booleanValue`.
    BooleanValue(bool),
    /// `integerValue`, a 64-bit signed integer (a JSON string in REST form).
    IntegerValue(#[serde(with = "integer_string")] i64),
    /// `doubleValue`, an IEEE 754 double.
    DoubleValue(f64),
    /// `timestampValue`, UTC, microsecond precision.
    TimestampValue(DateTime<Utc>),
    /// `stringValue`, UTF-8.
    StringValue(String),
    /// `arrayValue`.
    ArrayValue(ArrayValue),
    /// `mapValue`.
    MapValue(MapValue),
}

/// Body of an `arrayValue`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArrayValue {
    /// The elements (absent in REST form when empty).
    #[serde(default)]
    pub values: Vec<Value>,
}

/// Body of a `mapValue`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapValue {
    /// The entries (absent in REST form when empty).
    #[serde(default)]
    pub fields: Fields,
}

mod integer_string {
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(IntegerVisitor)
    }

    /// Accepts the REST form (a decimal string) and a plain JSON integer.
    struct IntegerVisitor;

    impl Visitor<'_> for IntegerVisitor {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a 64-bit integer or its decimal string")
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<i64, E> {
            v.parse().map_err(E::custom)
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(E::custom)
        }
    }
}

impl Value {
    /// A timestamp value truncated to microseconds, as Firestore stores it.
    pub fn timestamp(t: DateTime<Utc>) -> Self {
        Value::TimestampValue(t.trunc_subsecs(6))
    }

    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        Value::StringValue(s.into())
    }

    /// An array value.
    pub fn array(values: Vec<Value>) -> Self {
        Value::ArrayValue(ArrayValue { values })
    }

    /// A map value.
    pub fn map(fields: Fields) -> Self {
        Value::MapValue(MapValue { fields })
    }

    /// Integer content, if this is an `integerValue`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::IntegerValue(i) => Some(*i),
            _ => None,
        }
    }

    /// Numeric content of an integer or double.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::IntegerValue(i) => Some(*i as f64),
            Value::DoubleValue(d) => Some(*d),
            _ => None,
        }
    }

    /// String content, if this is a `stringValue`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::StringValue(s) => Some(s),
            _ => None,
        }
    }

    /// Firestore's cross-type ordering rank
    /// (<https://firebase.google.com/docs/firestore/manage-data/data-types#value_type_ordering>).
    pub(crate) fn type_rank(&self) -> u8 {
        match self {
            Value::NullValue(()) => 0,
            Value::BooleanValue(_) => 1,
            Value::IntegerValue(_) | Value::DoubleValue(_) => 2,
            Value::TimestampValue(_) => 3,
            Value::StringValue(_) => 4,
            Value::ArrayValue(_) => 5,
            Value::MapValue(_) => 6,
        }
    }

    /// Total order used by queries: by type rank, then by value (NaN sorts before all numbers,
    /// integers and doubles compare numerically, strings by UTF-8 bytes).
    pub fn firestore_cmp(&self, other: &Value) -> Ordering {
        let rank = self.type_rank().cmp(&other.type_rank());
        if rank != Ordering::Equal {
            return rank;
        }
        match (self, other) {
            (Value::BooleanValue(a), Value::BooleanValue(b)) => a.cmp(b),
            (Value::IntegerValue(a), Value::IntegerValue(b)) => a.cmp(b),
            (Value::TimestampValue(a), Value::TimestampValue(b)) => a.cmp(b),
            (Value::StringValue(a), Value::StringValue(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::ArrayValue(a), Value::ArrayValue(b)) => a
                .values
                .iter()
                .zip(&b.values)
                .map(|(x, y)| x.firestore_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.values.len().cmp(&b.values.len())),
            (Value::MapValue(a), Value::MapValue(b)) => a
                .fields
                .iter()
                .zip(&b.fields)
                .map(|((ka, va), (kb, vb))| ka.cmp(kb).then_with(|| va.firestore_cmp(vb)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.fields.len().cmp(&b.fields.len())),
            (a, b) => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                }
            }
        }
    }

    /// Converts a JSON value: integers that fit i64 become `integerValue`, other numbers
    /// `doubleValue`, and a single-key object `{"$timestamp": RFC 3339}` a `timestampValue`.
    pub fn from_json(json: serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::NullValue(()),
            J::Bool(b) => Value::BooleanValue(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::IntegerValue(i),
                None => Value::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::StringValue(s),
            J::Array(a) => Value::array(a.into_iter().map(Value::from_json).collect()),
            J::Object(o) => {
                if o.len() == 1
                    && let Some(J::String(s)) = o.get(Timestamp::MARKER)
                    && let Ok(t) = DateTime::parse_from_rfc3339(s)
                {
                    return Value::timestamp(t.with_timezone(&Utc));
                }
                Value::map(o.into_iter().map(|(k, v)| (k, Value::from_json(v))).collect())
            }
        }
    }

    /// Converts back to JSON (the inverse of [`Value::from_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::NullValue(()) => J::Null,
            Value::BooleanValue(b) => J::Bool(*b),
            Value::IntegerValue(i) => J::from(*i),
            Value::DoubleValue(d) => serde_json::Number::from_f64(*d).map_or(J::Null, J::Number),
            Value::TimestampValue(t) => serde_json::json!({ Timestamp::MARKER: Timestamp(*t).to_rfc3339() }),
            Value::StringValue(s) => J::String(s.clone()),
            Value::ArrayValue(a) => J::Array(a.values.iter().map(Value::to_json).collect()),
            Value::MapValue(m) => J::Object(m.fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
}

/// A point in time stored as a Firestore `timestampValue` (UTC, microseconds).
///
/// Use it in domain structs instead of `DateTime<Utc>` wherever the field must be a real
/// timestamp in the store (ordering, TTL policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    const MARKER: &'static str = TIMESTAMP_MARKER;

    /// RFC 3339 with microseconds and `Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(Self::MARKER, &self.to_rfc3339())?;
        m.end()
    }
}

/// The newtype name under which [`Timestamp`] asks to be deserialized. The store's own
/// decoder ([`super::decode`]) answers it for a `timestampValue` with the microseconds since
/// the Unix epoch (`visit_i64`), skipping the RFC 3339 text; every other deserializer sees an
/// ordinary newtype around the map `{"$timestamp": RFC 3339}`.
pub(crate) const TIMESTAMP_NEWTYPE: &str = "$jeevibe::store::Timestamp";

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(TIMESTAMP_NEWTYPE, TimestampVisitor)
    }
}

struct TimestampVisitor;

impl<'de> serde::de::Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(r#"a map {"$timestamp": RFC 3339}"#)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
        #[derive(Deserialize)]
        struct Repr {
            #[serde(rename = "$timestamp")]
            ts: DateTime<Utc>,
        }
        Ok(Timestamp(Repr::deserialize(d)?.ts.trunc_subsecs(6)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Timestamp, A::Error> {
        self.visit_newtype_struct(serde::de::value::MapAccessDeserializer::new(map))
    }

    fn visit_i64<E: serde::de::Error>(self, micros: i64) -> Result<Timestamp, E> {
        DateTime::from_timestamp_micros(micros)
            .map(Timestamp)
            .ok_or_else(|| E::custom(format!("timestamp of {micros} µs is out of range")))
    }
}

/// Serializes a domain struct into document fields.
///
/// # Errors
/// [`StoreError::Codec`] when the struct does not serialize to a JSON object.
pub fn to_fields<T: Serialize>(value: &T) -> Result<Fields, StoreError> {
    match super::encode::to_value(value).map_err(|e| StoreError::Codec(e.to_string()))? {
        Value::MapValue(m) => Ok(m.fields),
        other => Err(StoreError::Codec(format!("expected an object, got {}", other.to_json()))),
    }
}

/// Deserializes document fields into a domain struct.
///
/// # Errors
/// [`StoreError::Codec`] when the fields do not match the struct.
pub fn from_fields<T: DeserializeOwned>(fields: &Fields) -> Result<T, StoreError> {
    super::decode::from_fields(fields).map_err(|e| StoreError::Codec(e.to_string()))
}

/// Reads the value at a dotted field path (`a.b.c`), descending through maps.
pub fn get_path<'a>(fields: &'a Fields, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = fields.get(parts.next()?)?;
    for part in parts {
        match current {
            Value::MapValue(m) => current = m.fields.get(part)?,
            _ => return None,
        }
    }
    Some(current)
}

/// Writes `value` at a dotted field path, creating (or replacing non-map values with) the
/// intermediate maps, as Firestore's update does.
pub fn set_path(fields: &mut Fields, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            fields.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = fields.entry(head.to_owned()).or_insert_with(|| Value::map(Fields::new()));
            if !matches!(entry, Value::MapValue(_)) {
                *entry = Value::map(Fields::new());
            }
            if let Value::MapValue(m) = entry {
                set_path(&mut m.fields, rest, value);
            }
        }
    }
}

/// Removes the value at a dotted field path, if present.
pub fn remove_path(fields: &mut Fields, path: &str) {
    match path.split_once('.') {
        None => {
            fields.remove(path);
        }
        Some((head, rest)) => {
            if let Some(Value::MapValue(m)) = fields.get_mut(head) {
                remove_path(&mut m.fields, rest);
            }
        }
    }
}

/// Keeps only the given dotted field paths (a Firestore field mask / projection).
pub fn project(fields: &Fields, mask: &[&str]) -> Fields {
    let mut out = Fields::new();
    for path in mask {
        if let Some(v) = get_path(fields, path) {
            set_path(&mut out, path, v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Doc {
        name: String,
        n: i64,
        x: f64,
        at: Timestamp,
        tags: Vec<String>,
    }

    #[test]
    fn rest_json_shape() {
        let v = Value::IntegerValue(5);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"integerValue":"5"}"#);
        let m = Value::map(Fields::from([("a".into(), Value::BooleanValue(true))]));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"mapValue":{"fields":{"a":{"booleanValue":true}}}}"#);
    }

    #[test]
    fn domain_round_trip_keeps_timestamp_type() {
        let at = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        let doc = Doc { name: "θ = \\frac{1}{2}".into(), n: 3, x: 2.5, at: Timestamp(at), tags: vec!["क".into()] };
        let fields = to_fields(&doc).unwrap();
        assert!(matches!(fields["at"], Value::TimestampValue(_)));
        assert!(matches!(fields["n"], Value::IntegerValue(3)));
        assert_eq!(from_fields::<Doc>(&fields).unwrap(), doc);
    }

    #[test]
    fn ordering_across_types() {
        let mut vs = vec![Value::string("a"), Value::IntegerValue(2), Value::DoubleValue(1.5), Value::NullValue(())];
        vs.sort_by(Value::firestore_cmp);
        assert_eq!(vs, vec![Value::NullValue(()), Value::DoubleValue(1.5), Value::IntegerValue(2), Value::string("a")]);
    }

    #[test]
    fn dotted_paths() {
        let mut f = Fields::new();
        set_path(&mut f, "a.b", Value::IntegerValue(1));
        set_path(&mut f, "a.c", Value::IntegerValue(2));
        assert_eq!(get_path(&f, "a.b"), Some(&Value::IntegerValue(1)));
        let p = project(&f, &["a.c"]);
        assert_eq!(get_path(&p, "a.b"), None);
        assert_eq!(get_path(&p, "a.c"), Some(&Value::IntegerValue(2)));
        remove_path(&mut f, "a.b");
        assert_eq!(get_path(&f, "a.b"), None);
    }
}
