//! Firestore backend: Google Cloud Firestore (Native mode) over its v1 gRPC API, through the
//! `firestore` crate's authenticated channel.
//!
//! Every call is built as a raw gRPC request from [`FirestoreDb::client`] (the crate's
//! fluent helpers are not used): our [`Value`] maps one to one onto Firestore's `Value`
//! message, writes become `Write` messages with their transforms in `update_transforms`, and
//! streamed responses (`BatchGetDocuments`, `RunQuery`) are read to the end with every stream
//! error returned, never dropped.
//!
//! With `FIRESTORE_EMULATOR_HOST` set (`host:port`), the `firestore` crate sends every request
//! to that emulator with a stub token and looks up no Google credentials; otherwise it uses the
//! Application Default Credentials.
//!
//! Billing ([`super::metering`]) is recorded exactly as [`super::sqlite::SqliteStore`] records
//! it, so both backends report the same usage for the same calls.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use firestore::gcloud_sdk::google::firestore::v1 as pb;
use firestore::gcloud_sdk::prost_types;
use firestore::gcloud_sdk::tonic::{Code, Status};
use firestore::{FirestoreDb, FirestoreDbOptions};
use pb::structured_query::{self as sq, field_filter, unary_filter};

use super::metering::{record_commit, record_query, record_reads};
use super::query::{Direction, Filter};
use super::value::{ArrayValue, Fields, MapValue, Value, project};
use super::write::{FieldTransform, Precondition, WriteKind};
use super::{DocPath, Document, DocumentStore, Op, Query, StoreError, Transaction, Write, check_commit_size};

/// Firestore implementation of [`super::DocumentStore`].
///
/// Cheap to clone (the gRPC channel is shared). Limits are Firestore's own
/// (<https://firebase.google.com/docs/firestore/quotas>), except the number of writes per
/// commit, which [`check_commit_size`] caps at [`super::MAX_WRITES_PER_COMMIT`] (500) before
/// any request is sent, as the SQLite backend does.
#[derive(Clone)]
pub struct FirestoreStore {
    db: FirestoreDb,
    /// `projects/{project}/databases/{database}`.
    database: String,
    /// `projects/{project}/databases/{database}/documents`.
    documents: String,
}

impl FirestoreStore {
    /// Connects to the Firestore database `database_id` (`(default)` for the default one) of
    /// the Google Cloud project `project_id`, or to the emulator named by
    /// `FIRESTORE_EMULATOR_HOST` when that variable is set.
    ///
    /// No request is sent yet: a wrong project or missing permission shows up on the first call.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the credentials cannot be found or the channel cannot be
    /// set up.
    pub async fn connect(project_id: &str, database_id: &str) -> Result<Arc<dyn DocumentStore>, StoreError> {
        Ok(Arc::new(Self::new(project_id, database_id).await?))
    }

    /// Like [`FirestoreStore::connect`], returning the concrete type.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the credentials cannot be found or the channel cannot be
    /// set up.
    pub async fn new(project_id: &str, database_id: &str) -> Result<Self, StoreError> {
        let options = FirestoreDbOptions::new(project_id.to_owned()).with_database_id(database_id.to_owned());
        let db = FirestoreDb::with_options(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("firestore connect: {e}")))?;
        let database = db.get_database_path().clone();
        let documents = db.get_documents_path().clone();
        Ok(Self { db, database, documents })
    }

    fn client(&self) -> pb::firestore_client::FirestoreClient<firestore::gcloud_sdk::GoogleAuthMiddleware> {
        self.db.client().get()
    }

    /// Full resource name of a document.
    fn name(&self, path: &DocPath) -> String {
        format!("{}/{}", self.documents, path.as_str())
    }

    /// Our path from a full resource name.
    fn doc_path(&self, name: &str) -> Result<DocPath, StoreError> {
        let rel = name
            .strip_prefix(self.documents.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| StoreError::Unavailable(format!("firestore returned a foreign document name {name:?}")))?;
        DocPath::parse(rel)
    }

    /// Reads `paths` with `BatchGetDocuments` (in a transaction when `transaction` is set),
    /// returning them in `paths` order.
    async fn batch_get(
        &self,
        paths: &[DocPath],
        mask: Option<&[&str]>,
        transaction: Option<&[u8]>,
    ) -> Result<Vec<Option<Document>>, StoreError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        // Firestore rejects duplicate names in one request; ask for each name once.
        let mut names: Vec<String> = paths.iter().map(|p| self.name(p)).collect();
        names.sort();
        names.dedup();
        let request = pb::BatchGetDocumentsRequest {
            database: self.database.clone(),
            documents: names,
            mask: mask.map(document_mask),
            consistency_selector: transaction
                .map(|t| pb::batch_get_documents_request::ConsistencySelector::Transaction(t.to_vec())),
            ..Default::default()
        };
        let mut stream = self.client().batch_get_documents(request).await.map_err(status_err)?.into_inner();
        let mut found: HashMap<String, Document> = HashMap::new();
        while let Some(msg) = stream.message().await.map_err(status_err)? {
            if let Some(pb::batch_get_documents_response::Result::Found(doc)) = msg.result {
                let doc = self.doc_from_proto(doc)?;
                found.insert(self.name(&doc.path), doc);
            }
        }
        Ok(paths
            .iter()
            .map(|p| {
                found.get(&self.name(p)).cloned().map(|d| match mask {
                    // Also projected here so an empty mask means "no fields" as in SQLite.
                    Some(m) => d.project(m),
                    None => d,
                })
            })
            .collect())
    }

    fn doc_from_proto(&self, doc: pb::Document) -> Result<Document, StoreError> {
        Ok(Document {
            path: self.doc_path(&doc.name)?,
            fields: from_proto_fields(doc.fields)?,
            create_time: doc.create_time.map(from_proto_time).unwrap_or_default(),
            update_time: doc.update_time.map(from_proto_time).unwrap_or_default(),
        })
    }

    fn to_proto_write(&self, w: &Write) -> pb::Write {
        let name = self.name(&w.path);
        let current_document = w.precondition.map(|Precondition::Exists(e)| pb::Precondition {
            condition_type: Some(pb::precondition::ConditionType::Exists(e)),
        });
        let (operation, update_mask) = match &w.kind {
            WriteKind::Delete => (pb::write::Operation::Delete(name), None),
            WriteKind::Set(fields) => (pb::write::Operation::Update(proto_doc(name, fields)), None),
            WriteKind::Merge { fields, mask } => {
                // Only the masked values are sent; a masked path absent from them is deleted.
                let masked: Vec<&str> = mask.iter().map(String::as_str).collect();
                let fields = project(fields, &masked);
                // The mask is sent even when empty: without it the write would replace the
                // whole document.
                (pb::write::Operation::Update(proto_doc(name, &fields)), Some(document_mask(&masked)))
            }
        };
        let update_transforms = match &w.kind {
            // A delete carries no transforms (the SQLite backend ignores them too).
            WriteKind::Delete => Vec::new(),
            _ => w.transforms.iter().map(to_proto_transform).collect(),
        };
        pb::Write { update_mask, update_transforms, current_document, operation: Some(operation) }
    }

    /// Sends a `Commit` (in `transaction` when set) and maps precondition failures back to the
    /// write they belong to when that is unambiguous.
    async fn send_commit(&self, writes: &[Write], transaction: Vec<u8>) -> Result<(), StoreError> {
        let request = pb::CommitRequest {
            database: self.database.clone(),
            writes: writes.iter().map(|w| self.to_proto_write(w)).collect(),
            transaction,
            ..Default::default()
        };
        match self.client().commit(request).await {
            Ok(_) => Ok(()),
            Err(status) => Err(match status_err(status) {
                StoreError::AlreadyExists(msg) => StoreError::AlreadyExists(blame(writes, false).unwrap_or(msg)),
                StoreError::NotFound(msg) => StoreError::NotFound(blame(writes, true).unwrap_or(msg)),
                other => other,
            }),
        }
    }

    async fn rollback(&self, transaction: Vec<u8>) -> Result<(), StoreError> {
        let request = pb::RollbackRequest { database: self.database.clone(), transaction, ..Default::default() };
        self.client().rollback(request).await.map_err(status_err)?;
        Ok(())
    }

    fn structured_query(&self, query: &Query) -> Result<(String, pb::StructuredQuery), StoreError> {
        let collection = &query.collection;
        let parent = match collection.as_str().rsplit_once('/') {
            Some((doc, _)) => format!("{}/{doc}", self.documents),
            None => self.documents.clone(),
        };
        let filters: Vec<sq::Filter> = query.filters.iter().map(to_proto_filter).collect::<Result<_, _>>()?;
        let r#where = match filters.len() {
            0 => None,
            1 => filters.into_iter().next(),
            _ => Some(sq::Filter {
                filter_type: Some(sq::filter::FilterType::CompositeFilter(sq::CompositeFilter {
                    op: sq::composite_filter::Operator::And as i32,
                    filters,
                })),
            }),
        };
        let order_by = query
            .order_by
            .iter()
            .map(|(field, dir)| sq::Order {
                field: Some(field_ref(field)),
                direction: match dir {
                    Direction::Asc => sq::Direction::Ascending,
                    Direction::Desc => sq::Direction::Descending,
                } as i32,
            })
            .collect();
        let select = query.mask.as_ref().map(|mask| sq::Projection {
            fields: if mask.is_empty() {
                // An empty projection would return every field; `__name__` returns none.
                vec![sq::FieldReference { field_path: "__name__".into() }]
            } else {
                mask.iter().map(|f| field_ref(f)).collect()
            },
        });
        let limit = query
            .limit
            .map(|n| i32::try_from(n).map_err(|_| StoreError::InvalidArgument(format!("limit {n} exceeds i32"))))
            .transpose()?;
        let structured = pb::StructuredQuery {
            select,
            from: vec![sq::CollectionSelector { collection_id: collection.id().to_owned(), all_descendants: false }],
            r#where,
            order_by,
            start_at: query
                .start_after
                .as_ref()
                .map(|values| pb::Cursor { values: values.iter().map(to_proto_value).collect(), before: false }),
            limit,
            ..Default::default()
        };
        Ok((parent, structured))
    }
}

/// Names the single write whose `Exists(exists)` precondition can have failed, if only one has.
fn blame(writes: &[Write], exists: bool) -> Option<String> {
    let mut candidates = writes.iter().filter(|w| w.precondition == Some(Precondition::Exists(exists)));
    match (candidates.next(), candidates.next()) {
        (Some(w), None) => Some(w.path.to_string()),
        _ => None,
    }
}

/// Maps a gRPC status to a store error.
///
/// ABORTED (contention) becomes [`StoreError::Aborted`], as does FAILED_PRECONDITION about an
/// expired or invalid transaction (retrying with a new transaction fixes both); other
/// FAILED_PRECONDITION (e.g. a missing composite index) and INVALID_ARGUMENT become
/// [`StoreError::InvalidArgument`]; UNAVAILABLE and DEADLINE_EXCEEDED become
/// [`StoreError::Unavailable`] and [`StoreError::Timeout`].
fn status_err(status: Status) -> StoreError {
    let msg = status.message().to_owned();
    match status.code() {
        Code::Aborted => StoreError::Aborted,
        Code::AlreadyExists => StoreError::AlreadyExists(msg),
        Code::NotFound => StoreError::NotFound(msg),
        Code::DeadlineExceeded => StoreError::Timeout,
        Code::FailedPrecondition if msg.to_ascii_lowercase().contains("transaction") => StoreError::Aborted,
        Code::FailedPrecondition | Code::InvalidArgument | Code::OutOfRange => StoreError::InvalidArgument(msg),
        Code::Unavailable => StoreError::Unavailable(format!("firestore unavailable: {msg}")),
        code => StoreError::Unavailable(format!("firestore {code:?}: {msg}")),
    }
}

/// Quotes one field name for a field path when it is not a simple identifier
/// (`[A-Za-z_][A-Za-z0-9_]*`), as Firestore's field path syntax requires.
fn quote_segment(segment: &str) -> String {
    let simple = segment.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if simple {
        return segment.to_owned();
    }
    let mut out = String::with_capacity(segment.len() + 2);
    out.push('`');
    for c in segment.chars() {
        if c == '`' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// Our dotted path (`a.b`) as a Firestore field path, each segment quoted when needed.
fn field_path(dotted: &str) -> String {
    dotted.split('.').map(quote_segment).collect::<Vec<_>>().join(".")
}

fn field_ref(dotted: &str) -> sq::FieldReference {
    sq::FieldReference { field_path: field_path(dotted) }
}

fn document_mask(paths: &[&str]) -> pb::DocumentMask {
    pb::DocumentMask { field_paths: paths.iter().map(|p| field_path(p)).collect() }
}

fn proto_doc(name: String, fields: &Fields) -> pb::Document {
    pb::Document { name, fields: to_proto_fields(fields), ..Default::default() }
}

fn to_proto_transform(t: &FieldTransform) -> pb::document_transform::FieldTransform {
    use pb::document_transform::field_transform::{ServerValue, TransformType};
    let (path, transform) = match t {
        FieldTransform::Increment(path, by) => (path, TransformType::Increment(to_proto_value(by))),
        FieldTransform::ServerTimestamp(path) => {
            (path, TransformType::SetToServerValue(ServerValue::RequestTime as i32))
        }
    };
    pb::document_transform::FieldTransform { field_path: field_path(path), transform_type: Some(transform) }
}

fn to_proto_filter(f: &Filter) -> Result<sq::Filter, StoreError> {
    use sq::filter::FilterType;
    // Firestore only accepts null and NaN operands as unary filters.
    let unary = match (&f.op, &f.value) {
        (Op::Eq, Value::NullValue(())) => Some(unary_filter::Operator::IsNull),
        (Op::Ne, Value::NullValue(())) => Some(unary_filter::Operator::IsNotNull),
        (Op::Eq, Value::DoubleValue(d)) if d.is_nan() => Some(unary_filter::Operator::IsNan),
        (Op::Ne, Value::DoubleValue(d)) if d.is_nan() => Some(unary_filter::Operator::IsNotNan),
        _ => None,
    };
    if let Some(op) = unary {
        return Ok(sq::Filter {
            filter_type: Some(FilterType::UnaryFilter(sq::UnaryFilter {
                op: op as i32,
                operand_type: Some(unary_filter::OperandType::Field(field_ref(&f.field))),
            })),
        });
    }
    let op = match f.op {
        Op::Eq => field_filter::Operator::Equal,
        Op::Ne => field_filter::Operator::NotEqual,
        Op::Lt => field_filter::Operator::LessThan,
        Op::Le => field_filter::Operator::LessThanOrEqual,
        Op::Gt => field_filter::Operator::GreaterThan,
        Op::Ge => field_filter::Operator::GreaterThanOrEqual,
        Op::ArrayContains => field_filter::Operator::ArrayContains,
        Op::In => {
            if !matches!(f.value, Value::ArrayValue(_)) {
                return Err(StoreError::InvalidArgument(format!("`in` filter on {:?} needs an array value", f.field)));
            }
            field_filter::Operator::In
        }
    };
    Ok(sq::Filter {
        filter_type: Some(FilterType::FieldFilter(sq::FieldFilter {
            field: Some(field_ref(&f.field)),
            op: op as i32,
            value: Some(to_proto_value(&f.value)),
        })),
    })
}

fn to_proto_time(t: &DateTime<Utc>) -> prost_types::Timestamp {
    // Firestore keeps microseconds; truncate rather than let the server round.
    let t = t.trunc_subsecs(6);
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn from_proto_time(t: prost_types::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)).unwrap_or_default().trunc_subsecs(6)
}

fn to_proto_fields(fields: &Fields) -> HashMap<String, pb::Value> {
    fields.iter().map(|(k, v)| (k.clone(), to_proto_value(v))).collect()
}

fn to_proto_value(v: &Value) -> pb::Value {
    use pb::value::ValueType;
    let t = match v {
        Value::NullValue(()) => ValueType::NullValue(0),
        Value::BooleanValue(b) => ValueType::BooleanValue(*b),
        Value::IntegerValue(i) => ValueType::IntegerValue(*i),
        Value::DoubleValue(d) => ValueType::DoubleValue(*d),
        Value::TimestampValue(t) => ValueType::TimestampValue(to_proto_time(t)),
        Value::StringValue(s) => ValueType::StringValue(s.clone()),
        Value::ArrayValue(a) => {
            ValueType::ArrayValue(pb::ArrayValue { values: a.values.iter().map(to_proto_value).collect() })
        }
        Value::MapValue(m) => ValueType::MapValue(pb::MapValue { fields: to_proto_fields(&m.fields) }),
    };
    pb::Value { value_type: Some(t) }
}

fn from_proto_fields(fields: HashMap<String, pb::Value>) -> Result<Fields, StoreError> {
    fields.into_iter().map(|(k, v)| Ok((k, from_proto_value(v)?))).collect()
}

/// Converts a Firestore value. Types our model lacks (bytes, references, geo points, vectors'
/// internals aside) are a [`StoreError::Codec`] error rather than a silent loss.
fn from_proto_value(v: pb::Value) -> Result<Value, StoreError> {
    use pb::value::ValueType;
    Ok(match v.value_type {
        None | Some(ValueType::NullValue(_)) => Value::NullValue(()),
        Some(ValueType::BooleanValue(b)) => Value::BooleanValue(b),
        Some(ValueType::IntegerValue(i)) => Value::IntegerValue(i),
        Some(ValueType::DoubleValue(d)) => Value::DoubleValue(d),
        Some(ValueType::TimestampValue(t)) => Value::TimestampValue(from_proto_time(t)),
        Some(ValueType::StringValue(s)) => Value::StringValue(s),
        Some(ValueType::ArrayValue(a)) => Value::ArrayValue(ArrayValue {
            values: a.values.into_iter().map(from_proto_value).collect::<Result<_, _>>()?,
        }),
        Some(ValueType::MapValue(m)) => Value::MapValue(MapValue { fields: from_proto_fields(m.fields)? }),
        Some(other) => {
            return Err(StoreError::Codec(format!("unsupported Firestore value type: {other:?}")));
        }
    })
}

#[async_trait]
impl DocumentStore for FirestoreStore {
    async fn get_all(&self, paths: &[DocPath], mask: Option<&[&str]>) -> Result<Vec<Option<Document>>, StoreError> {
        record_reads(paths.len() as u64);
        self.batch_get(paths, mask, None).await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Document>, StoreError> {
        let (parent, structured) = self.structured_query(query)?;
        let request = pb::RunQueryRequest {
            parent,
            query_type: Some(pb::run_query_request::QueryType::StructuredQuery(structured)),
            ..Default::default()
        };
        let mut stream = self.client().run_query(request).await.map_err(status_err)?.into_inner();
        let mut out = Vec::new();
        while let Some(msg) = stream.message().await.map_err(status_err)? {
            if let Some(doc) = msg.document {
                let doc = self.doc_from_proto(doc)?;
                out.push(match &query.mask {
                    Some(mask) => doc.project(&mask.iter().map(String::as_str).collect::<Vec<_>>()),
                    None => doc,
                });
            }
        }
        record_query(out.len());
        Ok(out)
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_commit_size(&writes)?;
        record_commit(&writes);
        if writes.is_empty() {
            return Ok(());
        }
        self.send_commit(&writes, Vec::new()).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let request = pb::BeginTransactionRequest {
            database: self.database.clone(),
            options: Some(pb::TransactionOptions {
                // The database's default concurrency mode (pessimistic for Native mode): reads
                // lock, and contention surfaces as ABORTED at read or commit time.
                mode: Some(pb::transaction_options::Mode::ReadWrite(Default::default())),
            }),
            ..Default::default()
        };
        let id = self.client().begin_transaction(request).await.map_err(status_err)?.into_inner().transaction;
        Ok(Box::new(FirestoreTransaction { store: self.clone(), id: Some(id) }))
    }

    fn backend(&self) -> &'static str {
        "firestore"
    }
}

/// A Firestore read-write transaction. Dropped without commit, it is rolled back by a spawned
/// `Rollback` call (best effort; Firestore also expires idle transactions after 270 s).
struct FirestoreTransaction {
    store: FirestoreStore,
    /// The transaction id; `None` once committed.
    id: Option<Vec<u8>>,
}

impl FirestoreTransaction {
    fn id(&self) -> Result<&[u8], StoreError> {
        self.id.as_deref().ok_or_else(|| StoreError::InvalidArgument("transaction already finished".into()))
    }
}

#[async_trait]
impl Transaction for FirestoreTransaction {
    async fn get_all(&mut self, paths: &[DocPath]) -> Result<Vec<Option<Document>>, StoreError> {
        record_reads(paths.len() as u64);
        let id = self.id()?.to_vec();
        self.store.batch_get(paths, None, Some(&id)).await
    }

    async fn commit(mut self: Box<Self>, writes: Vec<Write>) -> Result<(), StoreError> {
        // Too many writes: rejected before sending; the drop below rolls the transaction back.
        check_commit_size(&writes)?;
        record_commit(&writes);
        let id = self.id.take().ok_or_else(|| StoreError::InvalidArgument("transaction already finished".into()))?;
        let result = self.store.send_commit(&writes, id.clone()).await;
        if result.is_err() {
            // A failed Commit does not always release the transaction's locks (the emulator
            // keeps them until they time out, blocking every retry): roll back before the
            // caller retries, as the official client libraries do. Its own error is moot.
            let _ = self.store.rollback(id).await;
        }
        result
    }
}

impl Drop for FirestoreTransaction {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let store = self.store.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = store.rollback(id).await {
                    tracing::debug!(error = %e, "firestore rollback of an abandoned transaction failed");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn field_paths_are_quoted_when_not_simple() {
        assert_eq!(field_path("a.b_1"), "a.b_1");
        assert_eq!(field_path("त्वरण.x"), "`त्वरण`.x");
        assert_eq!(field_path("1a"), "`1a`");
        assert_eq!(field_path("a-b"), "`a-b`");
        assert_eq!(field_path("\\frac{1}{2}mv^2"), "`\\\\frac{1}{2}mv^2`");
        assert_eq!(field_path("x`y"), "`x\\`y`");
    }

    #[test]
    fn values_round_trip_through_proto() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        let v = Value::map(Fields::from([
            ("n".into(), Value::IntegerValue(i64::MAX)),
            ("d".into(), Value::DoubleValue(0.5)),
            ("t".into(), Value::TimestampValue(t)),
            ("a".into(), Value::array(vec![Value::NullValue(()), Value::BooleanValue(true), Value::string("त्वरण")])),
        ]));
        let back = from_proto_value(to_proto_value(&v)).unwrap();
        let mut expected = v;
        if let Value::MapValue(m) = &mut expected {
            m.fields.insert("t".into(), Value::timestamp(t));
        }
        assert_eq!(back, expected);
    }
}
