//! The `Idempotency-Key` request header (IETF draft-ietf-httpapi-idempotency-key-header, with
//! Stripe's semantics: same key + same request → the first result; same key + another request
//! → 422; same key while the first is still running → 409) and the request fingerprint the
//! stored record keeps.

use axum::http::HeaderMap;

use crate::problem::{ErrorCode, Problem};

/// Header name.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Reads and validates `Idempotency-Key`: 1–255 visible ASCII characters (a quoted
/// sf-string as the draft writes it is accepted too).
///
/// # Errors
/// 400 `invalid_idempotency_key`.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(v) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(Problem::new(ErrorCode::InvalidIdempotencyKey, "send one Idempotency-Key header, not several"));
    }
    let key = v.to_str().ok().map(|s| s.trim().trim_matches('"').to_owned()).unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::new(
            ErrorCode::InvalidIdempotencyKey,
            "Idempotency-Key must be 1-255 visible ASCII characters",
        ));
    }
    Ok(Some(key))
}

/// SHA-256 of a request's payload, lower-case hex: what a keyed record compares a retry with.
pub fn request_hash(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
