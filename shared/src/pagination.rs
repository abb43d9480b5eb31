//! Opaque page cursors for newest-first listings (snaps, tutor conversations): the
//! `created_at` of the last item returned, in microseconds since the Unix epoch, as unpadded
//! base64url. The next page starts strictly after it (`start_after` on `created_at desc`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// Default page size.
pub const DEFAULT_PAGE: usize = 20;
/// Largest page size.
pub const MAX_PAGE: usize = 100;

/// A decoded cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor(pub DateTime<Utc>);

impl PageCursor {
    /// Encodes the cursor.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.timestamp_micros().to_string())
    }

    /// Decodes a cursor from a query string.
    ///
    /// # Errors
    /// A message when it is not a cursor this API issued.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{:?} is not a cursor returned by this API", crate::problem::excerpt(s, 40));
        let bytes = URL_SAFE_NO_PAD.decode(s.as_bytes()).map_err(|_| bad())?;
        let micros: i64 = std::str::from_utf8(&bytes).ok().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
        DateTime::from_timestamp_micros(micros).map(PageCursor).ok_or_else(bad)
    }
}

/// Validates a requested page size (`None` → [`DEFAULT_PAGE`]).
///
/// # Errors
/// A message when outside 1..=[`MAX_PAGE`].
pub fn page_size(limit: Option<i64>) -> Result<usize, String> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as usize),
        Some(n) => Err(format!("limit must be between 1 and {MAX_PAGE}, got {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let t = DateTime::from_timestamp_micros(1_795_939_200_123_456).unwrap();
        let c = PageCursor(t).encode();
        assert_eq!(PageCursor::parse(&c).unwrap().0, t);
        assert!(PageCursor::parse("!!").is_err());
        assert!(PageCursor::parse(&URL_SAFE_NO_PAD.encode("abc")).is_err());
        assert_eq!(page_size(None).unwrap(), DEFAULT_PAGE);
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
    }
}
