//! The users active in a week, as ids only, and their split into batches.
//!
//! # How active users are found
//! Quiz completion writes two top-level fields into `users/{uid}` in the same commit as the
//! weekly statistics: `uid` (the document's own id, so it can be ordered on) and
//! `last_active_week` (`YYYY-Www`). The planner pages through
//!
//! ```text
//! users where last_active_week == "2026-W48" order by uid limit 1000 select uid
//! ```
//!
//! with a cursor on `uid`. On Firestore this needs one composite index
//! (`last_active_week` ASC, `uid` ASC); the field mask keeps the response to the ids.
//!
//! **Cost**: Firestore bills one document read per document returned whether or not a field
//! mask is set (a query returning nothing is billed one read), so planning a week with `N`
//! active users costs `N` reads plus one per empty page: 1,000,000 users ≈ 1,000,000 reads
//! (about $0.30 at $0.03 per 100,000 reads in asia-south1, Firestore pricing page) and
//! `N / 1000` round trips. The mask only saves bandwidth and decoding. A user who was active
//! in week W and again in W+1 before W's run starts is missed by W's run (the field already
//! says W+1); the weekly schedule runs early on Monday, minutes after the week ends, so the
//! window is the schedule's delay.

use crate::store::{CollectionPath, Direction, DocumentStore, Op, Query, StoreError, Value};

/// Field of `users/{uid}` holding the last ISO week (IST) with a completed quiz.
pub const LAST_ACTIVE_WEEK_FIELD: &str = "last_active_week";

/// Field of `users/{uid}` repeating the document id, for ordering and cursors.
pub const UID_FIELD: &str = "uid";

/// Users per batch message (the issue's figure; 100 snapshot writes fit one commit of 500).
pub const BATCH_SIZE: usize = 100;

/// Ids read per planner page.
pub const PAGE_SIZE: usize = 1_000;

/// The ids of the users whose `last_active_week` is `week`, in id order, reading `page` ids per
/// query (values below 1 read as 1).
///
/// # Errors
/// Store errors.
pub async fn active_user_ids(store: &dyn DocumentStore, week: &str, page: usize) -> Result<Vec<String>, StoreError> {
    // The embedded SQLite store evaluates every query over the whole collection, so each page
    // would re-read all users (quadratic); there one query reads every id.
    let page = if store.backend() == "sqlite" { usize::MAX } else { page.max(1) };
    let users = CollectionPath::root("users")?;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = Query::new(users.clone())
            .filter(LAST_ACTIVE_WEEK_FIELD, Op::Eq, Value::string(week))
            .order_by(UID_FIELD, Direction::Asc)
            .select(&[UID_FIELD]);
        if page < usize::MAX {
            q = q.limit(page);
        }
        if let Some(c) = &cursor {
            q = q.start_after(vec![Value::string(c.clone())]);
        }
        let docs = store.query(&q).await?;
        let n = docs.len();
        for d in docs {
            if let Some(uid) = d.fields.get(UID_FIELD).and_then(Value::as_str) {
                out.push(uid.to_owned());
            }
        }
        if n < page {
            return Ok(out);
        }
        cursor = out.last().cloned();
    }
}

/// Splits ids into consecutive batches of at most `size` (values below 1 read as 1); no ids,
/// no batches.
pub fn split_batches(ids: Vec<String>, size: usize) -> Vec<Vec<String>> {
    let size = size.max(1);
    let mut out = Vec::with_capacity(ids.len().div_ceil(size));
    let mut it = ids.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(size).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i:04}")).collect()
    }

    #[test]
    fn batches_of_one_hundred() {
        let sizes = |n| split_batches(ids(n), BATCH_SIZE).iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(100), vec![100]);
        assert_eq!(sizes(101), vec![100, 1]);
        assert_eq!(sizes(250), vec![100, 100, 50]);
        let b = split_batches(ids(250), BATCH_SIZE);
        assert_eq!(b.concat(), ids(250));
    }
}
