//! Embedded backend: one SQLite file (WAL) or an in-memory database, same data model as
//! Firestore. Each document is a row keyed by its full path; fields are stored as Firestore
//! REST JSON. Queries load the collection's rows (indexed by parent path) and evaluate filters
//! and order in memory with [`Query::evaluate`], so results match Firestore's semantics.
//!
//! Concurrency is optimistic, as on Firestore: reads take no store-wide lock (a file database
//! reads through a pool of connections, each read a WAL snapshot, concurrent with the writer),
//! a transaction records the version of every document it read, and its commit checks those
//! versions inside a short critical section (the one writer connection, `BEGIN IMMEDIATE`).
//! When a document changed since it was read, the commit fails with [`StoreError::Aborted`]
//! and the caller's [`super::TransactionRetry`] loop runs the transaction again. Nothing is held
//! between `begin` and `commit`, so the work a caller does between its reads and its commit
//! (assembling a quiz) runs in parallel with other users' transactions. The version check runs
//! in SQLite, so two processes sharing one file cannot lose an update either.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::metering::{record_commit, record_query, record_reads};
use super::patch::{Patched, Rendered};
use super::value::{Fields, Value};
use super::write::{FieldTransform, Precondition, WriteKind, apply_increment};
use super::{DocPath, Document, DocumentStore, Query, StoreError, Transaction, Write, check_commit_size};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    path        TEXT PRIMARY KEY,
    parent      TEXT NOT NULL,
    fields      TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL,
    version     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_by_parent ON documents(parent);
";

/// `PRAGMA user_version` of a database that has [`SCHEMA`]: a start that finds it skips
/// compiling the schema statements (≈ 8% of a function's start before the first response,
/// by a perf profile). Raise it with every schema change; databases created before it
/// existed have 0 and get the (idempotent) schema once.
const SCHEMA_VERSION: i64 = 1;

/// Idle read connections kept open for a file database; more are opened under load and
/// closed when returned to a full pool.
const MAX_IDLE_READERS: usize = 8;

/// Page cache of each connection, KiB (`PRAGMA cache_size = -N`; SQLite's default is 2,000
/// KiB). Every connection holds its own, so with the writer and up to [`MAX_IDLE_READERS`]
/// readers the default let a process keep up to 18 MB of pages the OS page cache holds
/// anyway (loading the bank's chunks alone filled one reader's): a page missed here is one
/// `pread` of a page the kernel has cached.
pub const CACHE_KIB: i64 = 256;

/// SQLite implementation of [`DocumentStore`].
#[derive(Clone)]
pub struct SqliteStore {
    /// The one writer; every commit's version check and writes run under its mutex.
    writer: Arc<Mutex<Connection>>,
    /// Read connections of a file database (`None` for an in-memory one, which is private to
    /// its connection: there reads go through the writer, one statement at a time).
    readers: Option<Arc<ReaderPool>>,
    last_commit: Arc<AtomicI64>,
    /// Background WAL checkpoints of a file database (stop with the last clone).
    _checkpointer: Option<Arc<Checkpointer>>,
}

/// How often the background checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL checkpoints off the commit path. SQLite's automatic checkpoint (after 1,000 WAL pages;
/// <https://www.sqlite.org/wal.html#automatic_checkpoint>) runs inside the commit that crosses
/// the threshold and fsyncs the WAL and the database file while that commit holds the writer,
/// so every commit queued behind it waits for the disk. The writer's automatic checkpoint is
/// off instead, and a thread runs a `PASSIVE` checkpoint (which never blocks writers or
/// readers) every [`CHECKPOINT_INTERVAL`] on its own connection. Dropping this stops the thread.
struct Checkpointer {
    _stop: std::sync::mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the thread. Its connection is opened at the first tick, on that thread, so a
    /// cold start does not pay for it before the first response.
    fn spawn(path: &Path) -> Result<Self, StoreError> {
        use std::sync::mpsc::RecvTimeoutError;
        let path = path.to_owned();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut conn = None;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
                    if conn.is_none() {
                        conn = Connection::open(&path)
                            .inspect_err(|e| tracing::warn!(error = %e, "sqlite checkpoint connection"))
                            .ok();
                    }
                    // A failed checkpoint leaves the frames in the WAL for the next one.
                    if let Some(c) = &conn {
                        let _ = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    }
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("sqlite checkpoint thread: {e}")))?;
        Ok(Self { _stop: stop })
    }
}

/// Checked-out read connections of a file database.
struct ReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open(&self.path).map_err(sql_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sql_err)?;
        conn.pragma_update(None, "query_only", true).map_err(sql_err)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(sql_err)?;
        Ok(conn)
    }

    /// Runs `f` on an idle connection (or a new one), then returns it to the pool.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let taken = self.idle.lock().map_err(|_| poisoned())?.pop();
        let mut conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&mut conn);
        let mut idle = self.idle.lock().map_err(|_| poisoned())?;
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("sqlite connection poisoned".into())
}

struct Row {
    fields: Fields,
    create_time: i64,
    update_time: i64,
    version: i64,
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn micros_to_time(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

fn load(conn: &Connection, path: &str) -> Result<Option<Row>, StoreError> {
    conn.prepare_cached("SELECT fields, create_time, update_time, version FROM documents WHERE path = ?1")
        .map_err(sql_err)?
        .query_row(params![path], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
        .map_err(sql_err)?
        .map(|(json, create_time, update_time, version)| {
            let fields = serde_json::from_str(&json).map_err(|e| StoreError::Codec(e.to_string()))?;
            Ok(Row { fields, create_time, update_time, version })
        })
        .transpose()
}

fn to_document(path: &DocPath, row: Row) -> Document {
    Document {
        path: path.clone(),
        fields: row.fields,
        create_time: micros_to_time(row.create_time),
        update_time: micros_to_time(row.update_time),
    }
}

/// A stored document's creation time, version and, when asked for, its fields' JSON text.
struct Stored {
    json: Option<String>,
    create_time: i64,
    version: i64,
}

fn load_stored(conn: &Connection, path: &str, with_json: bool) -> Result<Option<Stored>, StoreError> {
    conn.prepare_cached("SELECT fields, create_time, update_time, version FROM documents WHERE path = ?1")
        .map_err(sql_err)?
        .query_row(params![path], |r| {
            let json = if with_json { Some(r.get::<_, String>(0)?) } else { None };
            Ok(Stored { json, create_time: r.get(1)?, version: r.get(3)? })
        })
        .optional()
        .map_err(sql_err)
}

/// Applies writes in one `BEGIN IMMEDIATE` transaction after checking read versions. A
/// merge parses only the stored top-level fields it reaches into ([`Patched`]).
fn apply_commit(
    conn: &mut Connection,
    writes: &[Write],
    rendered: &[Rendered],
    read_versions: &[(String, Option<i64>)],
    last_commit: &AtomicI64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
    for (path, seen) in read_versions {
        let now: Option<i64> = tx
            .prepare_cached("SELECT version FROM documents WHERE path = ?1")
            .map_err(sql_err)?
            .query_row(params![path], |r| r.get(0))
            .optional()
            .map_err(sql_err)?;
        if now != *seen {
            return Err(StoreError::Aborted);
        }
    }
    // Commit time: wall clock, kept strictly increasing within the process so update times
    // order commits.
    let now = Utc::now().timestamp_micros();
    let now = now.max(last_commit.fetch_max(now, Ordering::SeqCst) + 1);
    last_commit.fetch_max(now, Ordering::SeqCst);
    let commit_time = micros_to_time(now);
    for (w, rendered) in writes.iter().zip(rendered) {
        let merging = matches!(w.kind, WriteKind::Merge { .. });
        let existing = load_stored(&tx, w.path.as_str(), merging)?;
        match w.precondition {
            Some(Precondition::Exists(true)) if existing.is_none() => {
                return Err(StoreError::NotFound(w.path.to_string()));
            }
            Some(Precondition::Exists(false)) if existing.is_some() => {
                return Err(StoreError::AlreadyExists(w.path.to_string()));
            }
            _ => {}
        }
        if matches!(w.kind, WriteKind::Delete) {
            tx.prepare_cached("DELETE FROM documents WHERE path = ?1")
                .map_err(sql_err)?
                .execute(params![w.path.as_str()])
                .map_err(sql_err)?;
            continue;
        }
        // A new version is above the old one (another process sharing the file sees a change)
        // and, for a document created anew, the commit time: unique within the process, so a
        // reader of a deleted document cannot mistake its re-creation for the original.
        let (stored_json, create_time, version) = match existing {
            Some(r) => (r.json, r.create_time, (r.version + 1).max(now)),
            None => (None, now, now),
        };
        let mut fields = match &stored_json {
            Some(json) => Patched::parse(json)?,
            None => Patched::default(),
        };
        match &w.kind {
            WriteKind::Set(new) => fields.replace_all(new, rendered),
            WriteKind::Merge { fields: new, mask } => {
                for (i, path) in mask.iter().enumerate() {
                    match (rendered.get(i), super::value::get_path(new, path)) {
                        (Some(raw), _) => fields.set_raw(path, raw),
                        (None, Some(v)) => fields.set(path, v)?,
                        (None, None) => fields.remove(path)?,
                    }
                }
            }
            WriteKind::Delete => unreachable!("handled above"),
        }
        for t in &w.transforms {
            match t {
                FieldTransform::Increment(path, by) => {
                    let next = apply_increment(fields.get(path)?, by);
                    fields.set_owned(path, next)?;
                }
                FieldTransform::ServerTimestamp(path) => fields.set_owned(path, Value::timestamp(commit_time))?,
            }
        }
        let json = fields.into_json()?;
        tx.prepare_cached(
            "INSERT INTO documents (path, parent, fields, create_time, update_time, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(path) DO UPDATE SET fields = excluded.fields,
                 update_time = excluded.update_time, version = excluded.version",
        )
        .map_err(sql_err)?
        .execute(params![w.path.as_str(), w.path.parent().as_str(), json, create_time, now, version])
        .map_err(sql_err)?;
    }
    tx.commit().map_err(sql_err)
}

impl SqliteStore {
    /// Opens (creating if needed) a database file in WAL mode.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or initialised.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(sql_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sql_err)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(sql_err)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(sql_err)?;
        let readers = ReaderPool { path: path.to_owned(), idle: Mutex::new(Vec::new()) };
        let mut store = Self::init(conn, Some(Arc::new(readers)))?;
        store._checkpointer = Some(Arc::new(Checkpointer::spawn(path)?));
        Ok(store)
    }

    /// A private in-memory database (tests).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if SQLite cannot allocate it.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(sql_err)?, None)
    }

    fn init(conn: Connection, readers: Option<Arc<ReaderPool>>) -> Result<Self, StoreError> {
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql_err)?;
        if version < SCHEMA_VERSION {
            conn.execute_batch(SCHEMA).map_err(sql_err)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql_err)?;
        }
        Ok(Self {
            writer: Arc::new(Mutex::new(conn)),
            readers,
            last_commit: Arc::new(AtomicI64::new(0)),
            _checkpointer: None,
        })
    }

    /// Runs `f` on the writer connection (the commit's critical section) off the async runtime.
    async fn with_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| poisoned())?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("sqlite task: {e}")))?
    }

    /// Commits `writes` if the documents in `reads` still have the versions read. The values
    /// the writes replace whole are rendered to JSON before the writer is taken.
    async fn run_commit(&self, writes: Vec<Write>, reads: Vec<(String, Option<i64>)>) -> Result<(), StoreError> {
        let conn = self.writer.clone();
        let last = self.last_commit.clone();
        tokio::task::spawn_blocking(move || {
            let rendered = writes.iter().map(Rendered::of).collect::<Result<Vec<_>, _>>()?;
            let mut guard = conn.lock().map_err(|_| poisoned())?;
            apply_commit(&mut guard, &writes, &rendered, &reads, &last)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("sqlite task: {e}")))?
    }

    /// Runs `f` on a read connection (the writer for an in-memory database), off the runtime.
    async fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        match &self.readers {
            Some(pool) => {
                let pool = pool.clone();
                tokio::task::spawn_blocking(move || pool.with(f))
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("sqlite task: {e}")))?
            }
            None => self.with_writer(f).await,
        }
    }

    /// Reads `paths` from one snapshot (a read transaction), with each document's version.
    async fn read_many(&self, paths: Vec<DocPath>) -> Result<Vec<(Option<Document>, Option<i64>)>, StoreError> {
        self.with_reader(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(sql_err)?;
            let docs = paths
                .iter()
                .map(|p| {
                    Ok(match load(&tx, p.as_str())? {
                        Some(row) => {
                            let v = row.version;
                            (Some(to_document(p, row)), Some(v))
                        }
                        None => (None, None),
                    })
                })
                .collect();
            tx.finish().map_err(sql_err)?;
            docs
        })
        .await
    }
}

#[async_trait]
impl DocumentStore for SqliteStore {
    async fn get_all(&self, paths: &[DocPath], mask: Option<&[&str]>) -> Result<Vec<Option<Document>>, StoreError> {
        record_reads(paths.len() as u64);
        let docs = self.read_many(paths.to_vec()).await?;
        Ok(docs
            .into_iter()
            .map(|(d, _)| match mask {
                Some(m) => d.map(|d| d.project(m)),
                None => d,
            })
            .collect())
    }

    async fn query(&self, query: &Query) -> Result<Vec<Document>, StoreError> {
        query.validate()?;
        let parent = query.collection.as_str().to_owned();
        // Each row is filtered and, under a field mask, projected as it is read
        // ([`Query::prune`]), so a masked scan holds only what the answer needs.
        let scan = query.clone();
        let candidates = self
            .with_reader(move |conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT path, fields, create_time, update_time FROM documents WHERE parent = ?1")
                    .map_err(sql_err)?;
                let rows = stmt
                    .query_map(params![parent], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
                    })
                    .map_err(sql_err)?;
                let mut kept = Vec::new();
                for row in rows {
                    let (path, json, c, u) = row.map_err(sql_err)?;
                    let doc = Document {
                        path: DocPath::parse(&path)?,
                        fields: serde_json::from_str(&json).map_err(|e| StoreError::Codec(e.to_string()))?,
                        create_time: micros_to_time(c),
                        update_time: micros_to_time(u),
                    };
                    kept.extend(scan.prune(doc));
                }
                Ok(kept)
            })
            .await?;
        let out = query.evaluate(candidates);
        record_query(out.len());
        Ok(out)
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_commit_size(&writes)?;
        record_commit(&writes);
        self.run_commit(writes, Vec::new()).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(SqliteTransaction { store: self.clone(), reads: Vec::new() }))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// An optimistic transaction: the versions it read, checked at commit.
struct SqliteTransaction {
    store: SqliteStore,
    reads: Vec<(String, Option<i64>)>,
}

#[async_trait]
impl Transaction for SqliteTransaction {
    async fn get_all(&mut self, paths: &[DocPath]) -> Result<Vec<Option<Document>>, StoreError> {
        record_reads(paths.len() as u64);
        let docs = self.store.read_many(paths.to_vec()).await?;
        Ok(paths
            .iter()
            .zip(docs)
            .map(|(p, (doc, version))| {
                self.reads.push((p.as_str().to_owned(), version));
                doc
            })
            .collect())
    }

    async fn commit(self: Box<Self>, writes: Vec<Write>) -> Result<(), StoreError> {
        check_commit_size(&writes)?;
        record_commit(&writes);
        let SqliteTransaction { store, reads } = *self;
        store.run_commit(writes, reads).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer does not checkpoint; the background thread copies the WAL into the file.
    #[tokio::test]
    async fn wal_is_checkpointed_off_the_commit_path() {
        let dir = std::env::temp_dir().join(format!("jeevibe-ckpt-{}", uuid::Uuid::new_v4()));
        let db = dir.join("store.db");
        let store = SqliteStore::open(&db).unwrap();
        let writer_setting: i64 =
            store.writer.lock().unwrap().query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
        assert_eq!(writer_setting, 0);
        let text = Value::string("x".repeat(4_000));
        for i in 0..200 {
            let path = DocPath::parse(&format!("docs/d{i}")).unwrap();
            store.commit(vec![Write::set(path, Fields::from([("text".to_owned(), text.clone())]))]).await.unwrap();
        }
        let mut size = 0;
        for _ in 0..40 {
            tokio::time::sleep(CHECKPOINT_INTERVAL).await;
            size = std::fs::metadata(&db).unwrap().len();
            if size > 800_000 {
                break;
            }
        }
        assert!(size > 800_000, "database file has {size} bytes after the checkpoints");
        let back = store.get(&DocPath::parse("docs/d199").unwrap(), None).await.unwrap().unwrap();
        assert_eq!(back.fields["text"], text);
        drop(back);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A database created before `user_version` was set gets the schema once and the
    /// version; a reopened one keeps its documents and skips the schema statements.
    #[tokio::test]
    async fn schema_is_applied_by_user_version() {
        let dir = std::env::temp_dir().join(format!("jeevibe-schema-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("old.db");
        let old = Connection::open(&db).unwrap();
        old.execute_batch(SCHEMA).unwrap();
        old.execute("INSERT INTO documents VALUES ('docs/a', 'docs', '{\"n\":{\"integerValue\":\"7\"}}', 1, 1, 1)", [])
            .unwrap();
        drop(old);
        let version =
            |c: &mut Connection| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map_err(sql_err);
        for _ in 0..2 {
            let store = SqliteStore::open(&db).unwrap();
            assert_eq!(store.with_writer(version).await.unwrap(), SCHEMA_VERSION);
            let a = store.get(&DocPath::parse("docs/a").unwrap(), None).await.unwrap().unwrap();
            assert_eq!(a.fields["n"], Value::IntegerValue(7));
            let path = DocPath::parse("docs/b").unwrap();
            store
                .commit(vec![Write::set(path.clone(), Fields::from([("m".to_owned(), Value::IntegerValue(1))]))])
                .await
                .unwrap();
            assert!(store.get(&path, None).await.unwrap().is_some());
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn every_connection_keeps_a_small_page_cache() {
        let dir = std::env::temp_dir().join(format!("sqlite-cache-{}", std::process::id()));
        let store = SqliteStore::open(&dir.join("cache.db")).unwrap();
        let cache_size =
            |c: &mut Connection| c.pragma_query_value(None, "cache_size", |r| r.get::<_, i64>(0)).map_err(sql_err);
        assert_eq!(store.with_writer(cache_size).await.unwrap(), -CACHE_KIB);
        assert_eq!(store.with_reader(cache_size).await.unwrap(), -CACHE_KIB);
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
