//! A serde [`Serializer`](serde::Serializer) that builds a [`Value`] straight from a domain
//! type, without an intermediate `serde_json::Value`.
//!
//! The result is the one `Value::from_json(serde_json::to_value(x))` gives: integers that fit
//! an i64 become `integerValue`, larger unsigned integers and floats `doubleValue` (a NaN or
//! infinite float becomes `nullValue`, as in JSON), unit variants strings, other variants a
//! one-entry map, and a one-entry map `{"$timestamp": RFC 3339}` (how [`super::Timestamp`]
//! serializes) a `timestampValue`.

use chrono::{DateTime, Utc};
use serde::ser::{self, Serialize};

use super::value::{Fields, Value};

/// Why a value could not be encoded (a map key that is not a string or an integer, an
/// integer beyond 64 bits, or a domain type's own error).
#[derive(Debug)]
pub struct EncodeError(String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// Encodes any serializable value as a [`Value`].
///
/// # Errors
/// [`EncodeError`] for a map key that is not a string, integer, boolean or char, an integer
/// outside 64 bits, or the type's own serialization error.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, EncodeError> {
    value.serialize(ValueSerializer)
}

fn float(d: f64) -> Value {
    if d.is_finite() { Value::DoubleValue(d) } else { Value::NullValue(()) }
}

fn unsigned(u: u64) -> Value {
    match i64::try_from(u) {
        Ok(i) => Value::IntegerValue(i),
        Err(_) => Value::DoubleValue(u as f64),
    }
}

/// A finished map: a `timestampValue` when it is exactly `{"$timestamp": RFC 3339}`.
fn finish_map(fields: Fields) -> Value {
    if fields.len() == 1
        && let Some(Value::StringValue(s)) = fields.get(super::value::TIMESTAMP_MARKER)
        && let Ok(t) = DateTime::parse_from_rfc3339(s)
    {
        return Value::timestamp(t.with_timezone(&Utc));
    }
    Value::map(fields)
}

fn variant(name: &str, value: Value) -> Value {
    Value::map(Fields::from([(name.to_owned(), value)]))
}

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = EncodeError;
    type SerializeSeq = SeqEncoder;
    type SerializeTuple = SeqEncoder;
    type SerializeTupleStruct = SeqEncoder;
    type SerializeTupleVariant = VariantSeqEncoder;
    type SerializeMap = MapEncoder;
    type SerializeStruct = MapEncoder;
    type SerializeStructVariant = VariantMapEncoder;

    fn serialize_bool(self, v: bool) -> Result<Value, EncodeError> {
        Ok(Value::BooleanValue(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, EncodeError> {
        if let Ok(i) = i64::try_from(v) {
            Ok(Value::IntegerValue(i))
        } else if let Ok(u) = u64::try_from(v) {
            Ok(unsigned(u))
        } else {
            Err(EncodeError(format!("integer {v} does not fit 64 bits")))
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, EncodeError> {
        Ok(Value::IntegerValue(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, EncodeError> {
        Ok(unsigned(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, EncodeError> {
        u64::try_from(v).map(unsigned).map_err(|_| EncodeError(format!("integer {v} does not fit 64 bits")))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, EncodeError> {
        Ok(float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, EncodeError> {
        Ok(float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, EncodeError> {
        Ok(Value::StringValue(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, EncodeError> {
        Ok(Value::StringValue(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, EncodeError> {
        Ok(Value::array(v.iter().map(|b| Value::IntegerValue((*b).into())).collect()))
    }
    fn serialize_none(self) -> Result<Value, EncodeError> {
        Ok(Value::NullValue(()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, EncodeError> {
        Ok(Value::NullValue(()))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, EncodeError> {
        Ok(Value::NullValue(()))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, EncodeError> {
        Ok(Value::string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Value, EncodeError> {
        Ok(variant(name, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqEncoder, EncodeError> {
        Ok(SeqEncoder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqEncoder, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqEncoder, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<VariantSeqEncoder, EncodeError> {
        Ok(VariantSeqEncoder { name, seq: SeqEncoder(Vec::with_capacity(len)) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapEncoder, EncodeError> {
        Ok(MapEncoder::default())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapEncoder, EncodeError> {
        Ok(MapEncoder::default())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        _len: usize,
    ) -> Result<VariantMapEncoder, EncodeError> {
        Ok(VariantMapEncoder { name, map: MapEncoder::default() })
    }
}

/// Elements of an array being encoded.
struct SeqEncoder(Vec<Value>);

impl ser::SerializeSeq for SeqEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.0.push(to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(Value::array(self.0))
    }
}

impl ser::SerializeTuple for SeqEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

/// A tuple variant: `{variant: [elements]}`.
struct VariantSeqEncoder {
    name: &'static str,
    seq: SeqEncoder,
}

impl ser::SerializeTupleVariant for VariantSeqEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(&mut self.seq, value)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(variant(self.name, Value::array(self.seq.0)))
    }
}

/// Entries of a map or struct being encoded.
#[derive(Default)]
struct MapEncoder {
    fields: Fields,
    key: Option<String>,
}

impl ser::SerializeMap for MapEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let key = self.key.take().ok_or_else(|| EncodeError("map value without a key".into()))?;
        self.fields.insert(key, to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(finish_map(self.fields))
    }
}

impl ser::SerializeStruct for MapEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), EncodeError> {
        self.fields.insert(key.to_owned(), to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(finish_map(self.fields))
    }
}

/// A struct variant: `{variant: {fields}}`.
struct VariantMapEncoder {
    name: &'static str,
    map: MapEncoder,
}

impl ser::SerializeStructVariant for VariantMapEncoder {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), EncodeError> {
        ser::SerializeStruct::serialize_field(&mut self.map, key, value)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(variant(self.name, Value::map(self.map.fields)))
    }
}

/// Map keys: strings as they are; integers, booleans and chars as their decimal or text form
/// (as JSON object keys are written).
struct KeySerializer;

fn key_error() -> EncodeError {
    EncodeError("a map key must be a string, an integer, a boolean or a char".into())
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<String, EncodeError>;
    type SerializeTuple = ser::Impossible<String, EncodeError>;
    type SerializeTupleStruct = ser::Impossible<String, EncodeError>;
    type SerializeTupleVariant = ser::Impossible<String, EncodeError>;
    type SerializeMap = ser::Impossible<String, EncodeError>;
    type SerializeStruct = ser::Impossible<String, EncodeError>;
    type SerializeStructVariant = ser::Impossible<String, EncodeError>;

    fn serialize_bool(self, v: bool) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_f64(self, _v: f64) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_char(self, v: char) -> Result<String, EncodeError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, EncodeError> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, EncodeError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, EncodeError> {
        Err(key_error())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(key_error())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(key_error())
    }
}
