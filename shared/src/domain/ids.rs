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

/// `{prefix}_{owner fingerprint, 12 hex}_{tail, 16 hex}`: the shape of every owned id.
fn owned_id(prefix: &str, owner: &UserId, tail: u64) -> String {
    format!("{prefix}_{}_{tail:016x}", owner.fingerprint())
}

/// True when `s` has the shape of an owned id with `prefix`.
fn is_owned_id(s: &str, prefix: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    matches!(parts.as_slice(), [p, fp, r] if *p == prefix && hex(fp, 12) && hex(r, 16))
}

/// The first 8 bytes of SHA-256(owner uid, 0, key), for ids derived from an idempotency key.
fn keyed_tail(owner: &UserId, key: &str) -> u64 {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(owner.as_str().as_bytes());
    ctx.update(&[0]);
    ctx.update(key.as_bytes());
    let d = ctx.finish();
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&d.as_ref()[..8]);
    u64::from_be_bytes(tail)
}

/// Defines an owned-id newtype: `{prefix}_{owner fingerprint, 12 hex}_{16 hex}`. The owner
/// fingerprint lets the API tell another user's id from a missing one without a read; the 16
/// hex are random, or derived from (uid, idempotency key) so a retry names the same document.
macro_rules! owned_id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh random id owned by `owner`.
            pub fn generate(owner: &UserId) -> Self {
                $name(owned_id($prefix, owner, rand::rng().random()))
            }

            /// The id a request of `owner` with idempotency key `key` maps to (deterministic).
            pub fn for_idempotency_key(owner: &UserId, key: &str) -> Self {
                $name(owned_id($prefix, owner, keyed_tail(owner, key)))
            }

            /// Parses an id.
            ///
            /// # Errors
            /// A message when the shape is wrong.
            pub fn parse(s: &str) -> Result<Self, String> {
                if is_owned_id(s, $prefix) {
                    Ok($name(s.to_owned()))
                } else {
                    Err(format!(
                        concat!("{:?} is not a ", $what, " (", $prefix, "_<12 hex>_<16 hex>)"),
                        crate::problem::excerpt(s, 80)
                    ))
                }
            }

            /// True when `user` owns this id (by fingerprint).
            pub fn is_owned_by(&self, user: &UserId) -> bool {
                self.0[$prefix.len() + 1..$prefix.len() + 13] == user.fingerprint()
            }

            /// The id text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(q: $name) -> String {
                q.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

owned_id_type!(
    /// A quiz id (`qz_…`): another user's quiz is 403 without a read.
    QuizId,
    "qz",
    "quiz id"
);
impl QuizId {
    /// A fresh id for a quiz of `owner` generated at `at`: the 16-hex tail is the creation
    /// time in Unix seconds (32 bits, big-endian, valid until 2106) followed by 32 random
    /// bits, so [`QuizId::created_at`] can tell when an id was issued without a read (the
    /// completion uses it to tell an expired quiz from an unknown id). Same shape as
    /// [`QuizId::generate`]; two quizzes of one user in the same second collide with
    /// probability 2⁻³².
    pub fn generate_at(owner: &UserId, at: chrono::DateTime<chrono::Utc>) -> Self {
        let secs = u64::from(u32::try_from(at.timestamp().max(0)).unwrap_or(u32::MAX));
        let random: u32 = rand::rng().random();
        QuizId(owned_id("qz", owner, (secs << 32) | u64::from(random)))
    }

    /// The creation time an id of [`QuizId::generate_at`] carries (whole seconds). For an id
    /// made any other way (a random tail, or one a client made up) it is an arbitrary time
    /// between 1970 and 2106, so callers only use it for ids they cannot find.
    pub fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        let tail = u64::from_str_radix(&self.0[16..], 16).unwrap_or(0);
        chrono::DateTime::from_timestamp((tail >> 32) as i64, 0).unwrap_or_default()
    }
}

owned_id_type!(
    /// A snap id (`sn_…`); with an `Idempotency-Key` the snap document is the idempotency record.
    SnapId,
    "sn",
    "snap id"
);
owned_id_type!(
    /// A tutor conversation id (`cv_…`).
    ConversationId,
    "cv",
    "conversation id"
);
owned_id_type!(
    /// A tutor turn id (`tn_…`): one student message and its answer; keyed turns are the
    /// idempotency record of `POST …/messages`.
    TurnId,
    "tn",
    "turn id"
);

owned_id_type!(
    /// An offline practice pack id (`pk_…`): another user's pack is 403 without a read.
    PackId,
    "pk",
    "pack id"
);

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
    fn quiz_ids_carry_their_creation_second() {
        let alice = UserId::parse("alice").unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:15:30.750Z").unwrap().to_utc();
        let q = QuizId::generate_at(&alice, at);
        let parsed = QuizId::parse(q.as_str()).unwrap();
        assert!(parsed.is_owned_by(&alice));
        assert_eq!(parsed.created_at().to_rfc3339(), "2026-11-28T10:15:30+00:00");
        assert_ne!(q, QuizId::generate_at(&alice, at), "32 random bits follow the time");
        let made_up = QuizId::parse(&format!("qz_{}_0123456789abcdef", alice.fingerprint())).unwrap();
        assert_eq!(made_up.created_at().timestamp(), 0x0123_4567);
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
