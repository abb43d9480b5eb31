//! The bank in the store: one document per question in `questions/{id}` (the JSONL record's
//! fields), plus `meta/question_bank` holding `{version, count, updated_at}` so instances can
//! check for a new bank with one read instead of re-reading every question.

use chrono::Utc;

use crate::domain::{Question, RawQuestion};
use crate::store::{
    CollectionPath, DocPath, DocumentStore, Query, StoreError, Timestamp, Write, commit_chunked, to_fields,
};

/// Collection of questions.
pub const QUESTIONS: &str = "questions";

/// Path of the bank's metadata document.
pub fn meta_path() -> DocPath {
    DocPath::parse("meta/question_bank").expect("static path is valid")
}

/// Bank metadata.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct BankMeta {
    /// Version label; changes on every import.
    pub version: String,
    /// Number of questions.
    pub count: i64,
    /// When the import finished.
    pub updated_at: Timestamp,
}

/// Writes every question (in batches of at most 500 writes) and then the metadata document.
/// Returns the new version label.
///
/// # Errors
/// Store errors; questions written before the error stay written, metadata is not bumped.
pub async fn import(store: &dyn DocumentStore, questions: &[Question]) -> Result<String, StoreError> {
    let coll = CollectionPath::root(QUESTIONS)?;
    let writes = questions
        .iter()
        .map(|q| Ok(Write::set(coll.doc(q.id.as_str())?, to_fields(&q.to_raw())?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    commit_chunked(store, writes).await?;
    let now = Utc::now();
    let version = format!("{}-{}", now.format("%Y%m%dT%H%M%S%.6fZ"), questions.len());
    let meta = BankMeta { version: version.clone(), count: questions.len() as i64, updated_at: Timestamp(now) };
    store.commit(vec![Write::set(meta_path(), to_fields(&meta)?)]).await?;
    Ok(version)
}

/// Reads the metadata document (one read).
///
/// # Errors
/// Store errors.
pub async fn read_meta(store: &dyn DocumentStore) -> Result<Option<BankMeta>, StoreError> {
    store.get(&meta_path(), None).await?.map(|d| d.decode()).transpose()
}

/// Reads every question. Records that no longer validate are skipped with a warning.
///
/// # Errors
/// Store errors.
pub async fn load_all(store: &dyn DocumentStore) -> Result<Vec<Question>, StoreError> {
    let docs = store.query(&Query::new(CollectionPath::root(QUESTIONS)?)).await?;
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        match d.decode::<RawQuestion>().map_err(|e| vec![e.to_string()]).and_then(|r| r.validate()) {
            Ok(q) => out.push(q),
            Err(errs) => tracing::warn!(path = %d.path, errors = ?errs, "skipping invalid stored question"),
        }
    }
    Ok(out)
}
