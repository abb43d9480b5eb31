//! Identifier newtypes.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A Firebase Auth uid (the ID token's `sub`): 1–128 characters (Firebase's documented uid
/// limit) that is also a valid Firestore document id, because it names `users/{uid}`. Uids
/// Firebase itself generates (28 alphanumerics) always qualify; a custom uid containing `/`
/// or of the form `__x__` is refused as an invalid token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Parses a uid.
    ///
    /// # Errors
    /// A message when empty, longer than 128 characters, or not a valid document id.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.chars().count() > 128 {
            return Err("uid must be 1-128 characters".into());
        }
        crate::store::path::validate_id(s).map_err(|e| e.to_string())?;
        Ok(UserId(s.to_owned()))
    }

    /// The uid text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 6 bytes of SHA-256(uid), hex: a non-secret owner tag embedded in quiz ids.
    pub fn fingerprint(&self) -> String {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.0.as_bytes());
        d.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A question id: 3–64 characters of `[a-z0-9-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuestionId(String);

impl QuestionId {
    /// Parses an id.
    ///
    /// # Errors
    /// A message naming the rule broken.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(3..=64).contains(&s.len()) || !ok_chars {
            return Err(format!("question id {s:?} must be 3-64 characters of [a-z0-9-]"));
        }
        Ok(QuestionId(s.to_owned()))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QuestionId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        QuestionId::parse(&s)
    }
}

impl From<QuestionId> for String {
    fn from(q: QuestionId) -> String {
        q.0
    }
}

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A quiz id: `qz_{owner fingerprint, 12 hex}_{random, 16 hex}`. The owner fingerprint lets
/// the API tell "another user's quiz" (403) from "no such quiz" (404) without a read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuizId(String);

impl QuizId {
    /// A fresh random id owned by `owner`.
    pub fn generate(owner: &UserId) -> Self {
        let r: u64 = rand::rng().random();
        QuizId(format!("qz_{}_{r:016x}", owner.fingerprint()))
    }

    /// Parses an id.
    ///
    /// # Errors
    /// A message when the shape is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('_').collect();
        let hex =
            |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match parts.as_slice() {
            ["qz", fp, r] if hex(fp, 12) && hex(r, 16) => Ok(QuizId(s.to_owned())),
            _ => Err(format!("{s:?} is not a quiz id (qz_<12 hex>_<16 hex>)")),
        }
    }

    /// True when `user` owns this quiz (by fingerprint).
    pub fn is_owned_by(&self, user: &UserId) -> bool {
        self.0[3..15] == user.fingerprint()
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QuizId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        QuizId::parse(&s)
    }
}

impl From<QuizId> for String {
    fn from(q: QuizId) -> String {
        q.0
    }
}

impl fmt::Display for QuizId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A snap id: `sn_{owner fingerprint, 12 hex}_{16 hex}`. The 16 hex are random, or, when the
/// client sent an `Idempotency-Key`, the first 8 bytes of SHA-256(uid, key): a retry with the
/// same key names the same snap, so the snap document itself is the idempotency record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnapId(String);

impl SnapId {
    /// A fresh random id owned by `owner`.
    pub fn generate(owner: &UserId) -> Self {
        let r: u64 = rand::rng().random();
        SnapId(format!("sn_{}_{r:016x}", owner.fingerprint()))
    }

    /// The id a request of `owner` with idempotency key `key` maps to (deterministic).
    pub fn for_idempotency_key(owner: &UserId, key: &str) -> Self {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(owner.as_str().as_bytes());
        ctx.update(&[0]);
        ctx.update(key.as_bytes());
        let d = ctx.finish();
        let tail: String = d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
        SnapId(format!("sn_{}_{tail}", owner.fingerprint()))
    }

    /// Parses an id.
    ///
    /// # Errors
    /// A message when the shape is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('_').collect();
        let hex =
            |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match parts.as_slice() {
            ["sn", fp, r] if hex(fp, 12) && hex(r, 16) => Ok(SnapId(s.to_owned())),
            _ => Err(format!("{:?} is not a snap id (sn_<12 hex>_<16 hex>)", crate::problem::excerpt(s, 80))),
        }
    }

    /// True when `user` owns this snap (by fingerprint).
    pub fn is_owned_by(&self, user: &UserId) -> bool {
        self.0[3..15] == user.fingerprint()
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SnapId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SnapId::parse(&s)
    }
}

impl From<SnapId> for String {
    fn from(q: SnapId) -> String {
        q.0
    }
}

impl fmt::Display for SnapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiz_ids_carry_owner() {
        let alice = UserId::parse("alice").unwrap();
        let bob = UserId::parse("bob").unwrap();
        let q = QuizId::generate(&alice);
        let parsed = QuizId::parse(q.as_str()).unwrap();
        assert!(parsed.is_owned_by(&alice));
        assert!(!parsed.is_owned_by(&bob));
        assert!(QuizId::parse("qz_zz").is_err());
        assert!(QuizId::parse("../etc").is_err());
    }

    #[test]
    fn snap_ids() {
        let alice = UserId::parse("alice").unwrap();
        let bob = UserId::parse("bob").unwrap();
        let s = SnapId::generate(&alice);
        assert!(SnapId::parse(s.as_str()).unwrap().is_owned_by(&alice));
        assert!(!s.is_owned_by(&bob));
        let k1 = SnapId::for_idempotency_key(&alice, "key-1");
        assert_eq!(k1, SnapId::for_idempotency_key(&alice, "key-1"));
        assert_ne!(k1, SnapId::for_idempotency_key(&alice, "key-2"));
        assert_ne!(k1.as_str()[15..], SnapId::for_idempotency_key(&bob, "key-1").as_str()[15..]);
        assert!(SnapId::parse(k1.as_str()).is_ok());
        assert!(SnapId::parse("qz_0123456789ab_0123456789abcdef").is_err());
    }

    #[test]
    fn question_ids() {
        assert!(QuestionId::parse("phy-kin-001").is_ok());
        assert!(QuestionId::parse("Phy").is_err());
        assert!(QuestionId::parse("ab").is_err());
    }
}
