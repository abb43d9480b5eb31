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

/// The query string of a newest-first listing: `?limit=&cursor=`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–[`MAX_PAGE`] (default [`DEFAULT_PAGE`]).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The validated page size and cursor.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(&self) -> Result<(usize, Option<PageCursor>), String> {
        Ok((page_size(self.limit)?, self.cursor.as_deref().map(PageCursor::parse).transpose()?))
    }
}

/// One page of the documents of `collection` whose `uid` is `uid`, newest first by the
/// timestamp field `order_field`, and the cursor of the next page (when the page is full).
///
/// # Errors
/// Store errors.
pub async fn owned_page(
    store: &dyn crate::store::DocumentStore,
    collection: crate::store::CollectionPath,
    uid: &crate::domain::UserId,
    order_field: &str,
    limit: usize,
    cursor: Option<PageCursor>,
) -> Result<(Vec<crate::store::Document>, Option<PageCursor>), crate::store::StoreError> {
    use crate::store::{Direction, Op, Query, Value};
    let mut q = Query::new(collection)
        .filter("uid", Op::Eq, Value::string(uid.as_str()))
        .order_by(order_field, Direction::Desc)
        .limit(limit);
    if let Some(c) = cursor {
        q = q.start_after(vec![Value::timestamp(c.0)]);
    }
    let docs = store.query(&q).await?;
    let next = if docs.len() == limit {
        docs.last().and_then(|d| crate::store::value::get_path(&d.fields, order_field)).and_then(|v| match v {
            Value::TimestampValue(t) => Some(PageCursor(*t)),
            _ => None,
        })
    } else {
        None
    };
    Ok((docs, next))
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
