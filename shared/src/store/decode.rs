//! A serde [`Deserializer`](serde::Deserializer) that reads a domain type straight from
//! [`Value`]s, without building an intermediate `serde_json::Value`.
//!
//! A value reads as its JSON form (`Value::to_json`) would through `serde_json::from_value`:
//! integers as numbers, a `timestampValue` as the map `{"$timestamp": RFC 3339}` that
//! [`super::Timestamp`] reads, strings as unit variants, one-entry maps as other variants, and
//! map keys as strings (parsed when the key type is a number or a boolean). Strings are lent,
//! not copied, to the visitor.

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::value::{Fields, TIMESTAMP_MARKER, TIMESTAMP_NEWTYPE, Timestamp, Value};

/// Why fields did not decode into the requested type (the type's own message: a missing
/// field, a wrong type).
#[derive(Debug)]
pub struct DecodeError(String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

/// Decodes document fields (a map) into `T`.
///
/// # Errors
/// [`DecodeError`] when the fields do not match `T`.
pub fn from_fields<T: DeserializeOwned>(fields: &Fields) -> Result<T, DecodeError> {
    T::deserialize(FieldsDeserializer(fields))
}

/// Decodes one value into `T`.
///
/// # Errors
/// [`DecodeError`] when the value does not match `T`.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, DecodeError> {
    T::deserialize(value)
}

/// A map of fields read as one map value.
struct FieldsDeserializer<'a>(&'a Fields);

impl<'de> de::Deserializer<'de> for FieldsDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visit_fields(self.0, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        enum_of_map(self.0, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn visit_fields<'de, V: Visitor<'de>>(fields: &'de Fields, visitor: V) -> Result<V::Value, DecodeError> {
    let mut access = MapAccess { entries: fields.iter(), value: None };
    let out = visitor.visit_map(&mut access)?;
    match access.entries.len() {
        0 => Ok(out),
        n => Err(de::Error::invalid_length(fields.len() - n, &"fewer entries in the map")),
    }
}

fn enum_of_map<'de, V: Visitor<'de>>(fields: &'de Fields, visitor: V) -> Result<V::Value, DecodeError> {
    let mut it = fields.iter();
    match (it.next(), it.next()) {
        (Some((name, value)), None) => visitor.visit_enum(EnumAccess { name, value: Some(value) }),
        _ => Err(de::Error::invalid_value(de::Unexpected::Map, &"a map with a single key")),
    }
}

impl<'de> de::Deserializer<'de> for &'de Value {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self {
            Value::NullValue(()) => visitor.visit_unit(),
            Value::BooleanValue(b) => visitor.visit_bool(*b),
            Value::IntegerValue(i) => match u64::try_from(*i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(*i),
            },
            Value::DoubleValue(d) => visitor.visit_f64(*d),
            Value::TimestampValue(t) => visitor.visit_map(TimestampAccess(Some(Timestamp(*t)))),
            Value::StringValue(s) => visitor.visit_borrowed_str(s),
            Value::ArrayValue(a) => {
                let mut access = SeqAccess(a.values.iter());
                let out = visitor.visit_seq(&mut access)?;
                match access.0.len() {
                    0 => Ok(out),
                    n => Err(de::Error::invalid_length(a.values.len() - n, &"fewer elements in the array")),
                }
            }
            Value::MapValue(m) => visit_fields(&m.fields, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self {
            Value::NullValue(()) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self {
            Value::TimestampValue(t) if name == TIMESTAMP_NEWTYPE => visitor.visit_i64(t.timestamp_micros()),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self {
            Value::StringValue(s) => visitor.visit_enum(EnumAccess { name: s, value: None }),
            Value::MapValue(m) => enum_of_map(&m.fields, visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &"a string or a map with a single key")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::NullValue(()) => de::Unexpected::Unit,
        Value::BooleanValue(b) => de::Unexpected::Bool(*b),
        Value::IntegerValue(i) => de::Unexpected::Signed(*i),
        Value::DoubleValue(d) => de::Unexpected::Float(*d),
        Value::StringValue(s) => de::Unexpected::Str(s),
        Value::ArrayValue(_) => de::Unexpected::Seq,
        Value::TimestampValue(_) | Value::MapValue(_) => de::Unexpected::Map,
    }
}

struct SeqAccess<'a>(std::slice::Iter<'a, Value>);

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = DecodeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        self.0.next().map(|v| seed.deserialize(v)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapAccess<'a> {
    entries: std::collections::btree_map::Iter<'a, String, Value>,
    value: Option<&'a Value>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDeserializer(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DecodeError> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::custom("map value requested before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A `timestampValue` read as `{"$timestamp": RFC 3339 with microseconds}`.
struct TimestampAccess(Option<Timestamp>);

impl<'de> de::MapAccess<'de> for TimestampAccess {
    type Error = DecodeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        match self.0 {
            Some(_) => seed.deserialize(KeyDeserializer(TIMESTAMP_MARKER)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DecodeError> {
        match self.0.take() {
            Some(t) => seed.deserialize(t.to_rfc3339().into_deserializer()),
            None => Err(de::Error::custom("map value requested before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.0.is_some()))
    }
}

struct EnumAccess<'a> {
    name: &'a str,
    value: Option<&'a Value>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = DecodeError;
    type Variant = VariantAccess<'de>;

    fn variant_seed<V: de::DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantAccess<'de>), DecodeError> {
        let variant = seed.deserialize(KeyDeserializer(self.name))?;
        Ok((variant, VariantAccess(self.value)))
    }
}

struct VariantAccess<'a>(Option<&'a Value>);

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.0 {
            None | Some(Value::NullValue(())) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"unit variant")),
        }
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DecodeError> {
        match self.0 {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Some(v @ Value::ArrayValue(_)) => de::Deserializer::deserialize_any(v, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"tuple variant")),
            None => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.0 {
            Some(v @ Value::MapValue(_)) => de::Deserializer::deserialize_any(v, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"struct variant")),
            None => Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &"struct variant")),
        }
    }
}

/// A map key: a string, parsed when the key type asks for a number or a boolean (as JSON
/// object keys are read).
struct KeyDeserializer<'a>(&'a str);

macro_rules! parsed_key {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
                match self.0.parse::<$ty>() {
                    Ok(v) => visitor.$visit(v),
                    Err(_) => visitor.visit_borrowed_str(self.0),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_borrowed_str(self.0)
    }

    parsed_key! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_enum(IntoDeserializer::<DecodeError>::into_deserializer(self.0))
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use serde::{Deserialize, Serialize};

    use super::super::encode::to_value;
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(i64),
        Pair(String, bool),
        Shaped { x: f64, tags: Vec<String> },
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Inner {
        at: Timestamp,
        kinds: Vec<Kind>,
        by_number: BTreeMap<u32, String>,
        by_kind: BTreeMap<Kind, i64>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Doc {
        name: String,
        small: u8,
        negative: i64,
        big: u64,
        ratio: f64,
        whole: f64,
        maybe: Option<String>,
        nothing: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        skipped: Option<i64>,
        unit: (),
        pair: (i32, String),
        json: serde_json::Value,
        inner: Inner,
        nested: Vec<Option<Inner>>,
    }

    impl PartialOrd for Kind {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Kind {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            format!("{self:?}").cmp(&format!("{other:?}"))
        }
    }
    impl Eq for Kind {}

    fn sample() -> Doc {
        let inner = Inner {
            at: Timestamp(Utc.timestamp_opt(1_764_000_000, 123_456_000).unwrap()),
            kinds: vec![
                Kind::Plain,
                Kind::Wrapped(-3),
                Kind::Pair("क".into(), true),
                Kind::Shaped { x: 0.25, tags: vec!["a".into()] },
            ],
            by_number: BTreeMap::from([(7, "seven".into()), (12, "twelve".into())]),
            by_kind: BTreeMap::from([(Kind::Plain, 1)]),
        };
        Doc {
            name: "θ = \\frac{1}{2}".into(),
            small: 200,
            negative: -5,
            big: u64::MAX,
            ratio: 1.5,
            whole: 2.0,
            maybe: Some("x".into()),
            nothing: None,
            skipped: None,
            unit: (),
            pair: (4, "four".into()),
            json: serde_json::json!({"a": [1, -2, 2.5, null, true, "s"], "b": {"c": 18446744073709551615u64}}),
            inner: inner.clone(),
            nested: vec![None, Some(inner)],
        }
    }

    #[test]
    fn encoding_matches_the_json_route() {
        let doc = sample();
        let direct = to_value(&doc).unwrap();
        let via_json = Value::from_json(serde_json::to_value(&doc).unwrap());
        assert_eq!(direct, via_json);
        let Value::MapValue(m) = &direct else { panic!("not a map: {direct:?}") };
        assert!(matches!(super::super::value::get_path(&m.fields, "inner.at"), Some(Value::TimestampValue(_))));
        assert_eq!(m.fields["big"], Value::DoubleValue(u64::MAX as f64));
        assert_eq!(m.fields["small"], Value::IntegerValue(200));
        assert_eq!(m.fields["whole"], Value::DoubleValue(2.0));
        assert!(!m.fields.contains_key("skipped"));
        assert_eq!(to_value(&f64::NAN).unwrap(), Value::NullValue(()));
    }

    #[test]
    fn decoding_matches_the_json_route() {
        let mut doc = sample();
        // u64::MAX is stored as a double and cannot come back as an integer.
        doc.big = 1 << 40;
        doc.json["b"]["c"] = serde_json::json!(1u64 << 40);
        let Value::MapValue(m) = to_value(&doc).unwrap() else { panic!("not a map") };
        let direct: Doc = from_fields(&m.fields).unwrap();
        assert_eq!(direct, doc);
        let json = serde_json::Value::Object(m.fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect());
        let via_json: Doc = serde_json::from_value(json).unwrap();
        assert_eq!(direct, via_json);
    }

    #[test]
    fn mismatches_are_errors_not_panics() {
        let fields = Fields::from([("name".to_owned(), Value::IntegerValue(3))]);
        let err = from_fields::<Doc>(&fields).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        let err = from_value::<Kind>(&Value::IntegerValue(1)).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        let err = from_value::<Kind>(&Value::string("unknown")).unwrap_err().to_string();
        assert!(err.contains("unknown variant"), "{err}");
        assert_eq!(from_value::<Option<i64>>(&Value::NullValue(())).unwrap(), None);
        assert_eq!(from_value::<f64>(&Value::IntegerValue(3)).unwrap(), 3.0);
    }
}
