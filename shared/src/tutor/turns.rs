//! A tutor turn's life: reserve (idempotency + one unit of the daily tutor quota + a `pending`
//! turn, in one transaction), then settle: `complete` keeps the charge; `incomplete` (stream
//! cut, client gone) and `failed` release it. Same exactness argument as snaps: the counter is
//! read and incremented in the transaction that creates the turn, and settlement acts only on
//! a pending turn.

use chrono::{DateTime, Utc};

use crate::ai::AiUsage;
use crate::domain::{ConversationId, IstDay, Tier, TurnId, UserId};
use crate::quota::{self, Counter, Decision};
use crate::records::UserDoc;
use crate::records::conversation::{ConversationDoc, TurnDoc, TurnStatus};
use crate::store::{
    Direction, DocumentStore, Fields, Precondition, Query, StoreError, Timestamp, TransactionRetry, Write, to_fields,
};
use crate::user_lock::UserLocks;

/// Most turns one conversation may hold; a new conversation is needed after that.
pub const MAX_TURNS: u32 = 500;

/// Outcome of [`reserve`].
#[derive(Debug, Clone, PartialEq)]
pub enum TurnReservation {
    /// Reserved; the turn is pending.
    Started {
        /// The conversation (before this turn).
        conversation: Box<ConversationDoc>,
        /// The new turn.
        turn: Box<TurnDoc>,
        /// Daily limit (`None` = unlimited).
        limit: Option<u32>,
        /// Units left after this reservation.
        remaining: Option<u32>,
    },
    /// Same key, same message, complete: replay it.
    Replay(Box<TurnDoc>),
    /// Same key, still being answered.
    InProgress,
    /// Same key, different message.
    KeyReused,
    /// No such conversation for this user (missing, another user's, expired).
    NoConversation,
    /// The conversation holds [`MAX_TURNS`] turns.
    Full,
    /// The day's tutor quota is spent.
    Denied {
        /// Daily limit.
        limit: u32,
        /// Units left.
        remaining: u32,
    },
}

/// What [`reserve`] needs.
#[derive(Debug, Clone)]
pub struct TurnRequest<'a> {
    /// Caller.
    pub uid: &'a UserId,
    /// Caller's tier.
    pub tier: Tier,
    /// Conversation.
    pub conversation: &'a ConversationId,
    /// Turn id (random or from the idempotency key).
    pub turn: &'a TurnId,
    /// The message.
    pub content: &'a str,
    /// SHA-256 hex of the message.
    pub request_hash: &'a str,
    /// The client's key.
    pub idempotency_key: Option<&'a str>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Runs the reservation transaction.
///
/// # Errors
/// Store errors.
pub async fn reserve(
    store: &dyn DocumentStore,
    locks: &UserLocks,
    req: TurnRequest<'_>,
) -> Result<TurnReservation, StoreError> {
    let user_path = UserDoc::path(req.uid)?;
    let conv_path = ConversationDoc::path(req.conversation.as_str())?;
    let turn_path = TurnDoc::path(req.conversation.as_str(), req.turn.as_str())?;
    let day = IstDay::of(req.now);
    let limit = Counter::TutorMessages.limit(req.tier);
    let _queue = locks.lock(req.uid.as_str()).await;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let docs = txn.get_all(&[user_path.clone(), conv_path.clone(), turn_path.clone()]).await?;
        let user: UserDoc = docs[0].as_ref().map(|d| d.decode()).transpose()?.unwrap_or_default();
        let Some(mut conv) = docs[1]
            .as_ref()
            .map(|d| d.decode::<ConversationDoc>())
            .transpose()?
            .filter(|c| c.uid == req.uid.as_str() && !c.is_expired(req.now))
        else {
            return Ok(TurnReservation::NoConversation);
        };
        let existing: Option<TurnDoc> = docs[2].as_ref().map(|d| d.decode()).transpose()?;
        if let Some(prev) = &existing {
            if prev.request_hash != req.request_hash {
                return Ok(TurnReservation::KeyReused);
            }
            match prev.status {
                TurnStatus::Complete => return Ok(TurnReservation::Replay(Box::new(prev.clone()))),
                TurnStatus::Pending => return Ok(TurnReservation::InProgress),
                TurnStatus::Incomplete | TurnStatus::Failed => {} // never charged: answer again
            }
        }
        if existing.is_none() && conv.turns >= MAX_TURNS {
            return Ok(TurnReservation::Full);
        }
        let used = Counter::TutorMessages.used(&user.usage, day);
        let remaining = match quota::decide(limit, used, 1) {
            Decision::Allowed { remaining } => remaining,
            Decision::Denied { remaining } => {
                return Ok(TurnReservation::Denied { limit: limit.unwrap_or(0), remaining });
            }
        };
        let before = conv.clone();
        let seq = existing.as_ref().map_or(conv.turns, |p| p.seq);
        let turn = TurnDoc {
            uid: req.uid.to_string(),
            seq,
            status: TurnStatus::Pending,
            user: req.content.to_owned(),
            assistant: String::new(),
            created_at: existing.as_ref().map_or(Timestamp(req.now), |p| p.created_at),
            updated_at: Timestamp(req.now),
            quota_day: day,
            request_hash: req.request_hash.to_owned(),
            idempotency_key: req.idempotency_key.map(str::to_owned),
            finish_reason: None,
            usage: None,
            error: None,
        };
        if existing.is_none() {
            conv.turns += 1;
        }
        conv.updated_at = Timestamp(req.now);
        if conv.title.is_none() {
            conv.title = Some(crate::problem::excerpt(req.content, 60));
        }
        let turn_write = match &existing {
            None => Write::create(turn_path.clone(), to_fields(&turn)?),
            Some(_) => Write::set(turn_path.clone(), to_fields(&turn)?).with_precondition(Precondition::Exists(true)),
        };
        let writes = vec![
            turn_write,
            Write::set(conv_path.clone(), to_fields(&conv)?).with_precondition(Precondition::Exists(true)),
            Write::merge_mask(user_path.clone(), Fields::new(), quota::stale_days(&user.usage, day))
                .with_transform(Counter::TutorMessages.increment(day, 1)),
        ];
        match txn.commit(writes).await {
            Ok(()) => {
                return Ok(TurnReservation::Started {
                    conversation: Box::new(before),
                    turn: Box::new(turn),
                    limit,
                    remaining,
                });
            }
            Err(StoreError::Aborted | StoreError::AlreadyExists(_)) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}

/// How a turn ended.
#[derive(Debug, Clone)]
pub struct TurnEnd {
    /// Final status (not `Pending`).
    pub status: TurnStatus,
    /// The answer text (partial when incomplete).
    pub assistant: String,
    /// Finish reason, when the provider gave one.
    pub finish_reason: Option<String>,
    /// Usage, when known.
    pub usage: Option<AiUsage>,
    /// Problem code when it failed or stopped early.
    pub error: Option<String>,
}

/// Settles a pending turn (exactly once); releases the reservation unless complete. Returns the
/// stored turn, or `None` when it no longer exists.
///
/// # Errors
/// Store errors.
pub async fn settle(
    store: &dyn DocumentStore,
    conversation: &ConversationId,
    turn: &TurnId,
    end: &TurnEnd,
    now: DateTime<Utc>,
) -> Result<Option<TurnDoc>, StoreError> {
    let path = TurnDoc::path(conversation.as_str(), turn.as_str())?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let Some(mut t) = txn.get(&path).await?.map(|d| d.decode::<TurnDoc>()).transpose()? else {
            return Ok(None);
        };
        if t.status != TurnStatus::Pending {
            return Ok(Some(t));
        }
        t.status = end.status;
        t.assistant = end.assistant.clone();
        t.finish_reason = end.finish_reason.clone();
        t.usage = end.usage.clone();
        t.error = end.error.clone();
        t.updated_at = Timestamp(now);
        let mut writes = vec![Write::set(path.clone(), to_fields(&t)?).with_precondition(Precondition::Exists(true))];
        if end.status != TurnStatus::Complete {
            let uid = UserId::parse(&t.uid).map_err(StoreError::Codec)?;
            writes
                .push(Write::transform(UserDoc::path(&uid)?, vec![Counter::TutorMessages.increment(t.quota_day, -1)]));
        }
        match txn.commit(writes).await {
            Ok(()) => return Ok(Some(t)),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The newest `n` turns of a conversation (newest first), for the prompt window.
///
/// # Errors
/// Store errors.
pub async fn recent(
    store: &dyn DocumentStore,
    conversation: &ConversationId,
    n: usize,
) -> Result<Vec<TurnDoc>, StoreError> {
    let q = Query::new(ConversationDoc::path(conversation.as_str())?.collection(crate::records::conversation::TURNS)?)
        .order_by("seq", Direction::Desc)
        .limit(n);
    store.query(&q).await?.iter().map(|d| d.decode()).collect()
}

/// Turns in `from..to` by `seq` (ascending), for refreshing the summary.
///
/// # Errors
/// Store errors.
pub async fn range(
    store: &dyn DocumentStore,
    conversation: &ConversationId,
    from: u32,
    to: u32,
) -> Result<Vec<TurnDoc>, StoreError> {
    let q = Query::new(ConversationDoc::path(conversation.as_str())?.collection(crate::records::conversation::TURNS)?)
        .filter("seq", crate::store::Op::Ge, crate::store::Value::IntegerValue(i64::from(from)))
        .filter("seq", crate::store::Op::Lt, crate::store::Value::IntegerValue(i64::from(to)))
        .order_by("seq", Direction::Asc);
    store.query(&q).await?.iter().map(|d| d.decode()).collect()
}

/// Stores a refreshed summary covering turns `0..through` (only if it advances).
///
/// # Errors
/// Store errors.
pub async fn save_summary(
    store: &dyn DocumentStore,
    conversation: &ConversationId,
    summary: &str,
    through: u32,
) -> Result<(), StoreError> {
    let path = ConversationDoc::path(conversation.as_str())?;
    let mut retry = TransactionRetry::default();
    loop {
        let mut txn = store.begin().await?;
        let Some(mut c) = txn.get(&path).await?.map(|d| d.decode::<ConversationDoc>()).transpose()? else {
            return Ok(());
        };
        if c.summarized_through >= through {
            return Ok(());
        }
        c.summary = Some(summary.to_owned());
        c.summarized_through = through;
        match txn
            .commit(vec![Write::set(path.clone(), to_fields(&c)?).with_precondition(Precondition::Exists(true))])
            .await
        {
            Ok(()) => return Ok(()),
            Err(StoreError::Aborted) if retry.backoff().await => continue,
            Err(e) => return Err(e),
        }
    }
}
