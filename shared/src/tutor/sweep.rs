//! Retention sweep of tutor history: conversations whose retention ended are deleted with
//! their turns, in batches (one query per batch over `expires_at`, one per conversation for its
//! turns). A turn still pending in a deleted conversation has its reservation released.

use chrono::{DateTime, Utc};

use crate::domain::UserId;
use crate::quota::Counter;
use crate::records::UserDoc;
use crate::records::conversation::{ConversationDoc, TURNS, TurnDoc, TurnStatus};
use crate::store::{Direction, DocumentStore, MAX_WRITES_PER_COMMIT, Op, Query, Value, Write, commit_chunked};

/// What a tutor sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TutorSweepReport {
    /// Conversations deleted.
    pub conversations_deleted: usize,
    /// Turns deleted with them.
    pub turns_deleted: usize,
}

/// Deletes expired conversations at `now`, `batch` (1–250) conversations per query.
///
/// # Errors
/// Store errors (what was deleted stays deleted; a re-run continues).
pub async fn sweep(store: &dyn DocumentStore, now: DateTime<Utc>, batch: usize) -> anyhow::Result<TutorSweepReport> {
    let batch = batch.clamp(1, MAX_WRITES_PER_COMMIT / 2);
    let mut report = TutorSweepReport::default();
    loop {
        let q = Query::new(ConversationDoc::collection()?)
            .filter("expires_at", Op::Le, Value::timestamp(now))
            .order_by("expires_at", Direction::Asc)
            .limit(batch)
            .select(&["uid"]);
        let convs = store.query(&q).await?;
        for c in &convs {
            let turns = store.query(&Query::new(c.path.collection(TURNS)?)).await?;
            let mut writes = Vec::with_capacity(turns.len() + 1);
            for t in &turns {
                let turn: TurnDoc = t.decode()?;
                if turn.status == TurnStatus::Pending
                    && let Ok(uid) = UserId::parse(&turn.uid)
                {
                    writes.push(Write::transform(
                        UserDoc::path(&uid)?,
                        vec![Counter::TutorMessages.increment(turn.quota_day, -1)],
                    ));
                }
                writes.push(Write::delete(t.path.clone()));
            }
            // Turns first, the conversation last: an interrupted sweep leaves the conversation
            // to be found again.
            writes.push(Write::delete(c.path.clone()));
            commit_chunked(store, writes).await?;
            report.turns_deleted += turns.len();
            report.conversations_deleted += 1;
        }
        if convs.len() < batch {
            break;
        }
    }
    Ok(report)
}
