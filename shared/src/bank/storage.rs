//! The bank in the store.
//!
//! * `questions/{id}`: one document per question (the JSONL record's fields), for the
//!   console, editing tools and queries.
//! * `question_bank_chunks/{version}-{nnnn}`: the whole bank as JSON Lines text, split into
//!   chunks of at most [`CHUNK_BYTES`] (Firestore's limit is 1 MiB per document), so a cold
//!   instance loads an 8,000-question bank with about a dozen reads instead of 8,000.
//! * `meta/question_bank`: `{version, count, chunks, updated_at}`; instances re-check it with
//!   one read per TTL and reload only when the version changed.
//!
//! Import order makes a switch atomic for readers: questions and chunks first, then the meta
//! document (the commit point), then the previous version's chunks are deleted.

use chrono::Utc;

use super::jsonl::parse_jsonl_interned;
use crate::domain::{Interner, Question, RawQuestion};
use crate::store::{
    CollectionPath, DocPath, DocumentStore, Fields, Query, StoreError, Timestamp, Value, Write, commit_chunked,
    to_fields,
};

/// Collection of questions.
pub const QUESTIONS: &str = "questions";

/// Collection of bank chunks.
pub const CHUNKS: &str = "question_bank_chunks";

/// Largest JSONL text in one chunk, bytes (well under Firestore's 1 MiB document limit).
pub const CHUNK_BYTES: usize = 700_000;

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
    /// Number of chunk documents of this version (0 for banks imported before chunking).
    #[serde(default)]
    pub chunks: i64,
    /// When the import finished.
    pub updated_at: Timestamp,
}

fn chunk_path(version: &str, index: i64) -> Result<DocPath, StoreError> {
    CollectionPath::root(CHUNKS)?.doc(&format!("{version}-{index:04}"))
}

/// Splits JSONL lines into texts of at most [`CHUNK_BYTES`] (a longer single line gets a chunk
/// of its own; question texts are capped far below that).
fn chunk_texts(lines: &[String]) -> Vec<String> {
    let mut chunks = vec![String::new()];
    for line in lines {
        let current = chunks.last_mut().expect("never empty");
        if !current.is_empty() && current.len() + line.len() + 1 > CHUNK_BYTES {
            chunks.push(String::new());
        }
        let current = chunks.last_mut().expect("never empty");
        current.push_str(line);
        current.push('\n');
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// Writes every question (in batches of at most 500 writes), the chunks, then the metadata
/// document, then deletes the previous version's chunks. Returns the new version label.
///
/// # Errors
/// Store errors; before the metadata write nothing changes for readers.
pub async fn import(store: &dyn DocumentStore, questions: &[Question]) -> Result<String, StoreError> {
    let previous = read_meta(store).await?;
    let coll = CollectionPath::root(QUESTIONS)?;
    let raws: Vec<RawQuestion> = questions.iter().map(Question::to_raw).collect();
    let mut writes =
        raws.iter().map(|r| Ok(Write::set(coll.doc(&r.id)?, to_fields(r)?))).collect::<Result<Vec<_>, StoreError>>()?;
    let now = Utc::now();
    let version = format!("{}-{}", now.format("%Y%m%dT%H%M%S%6fZ"), questions.len());
    let lines = raws
        .iter()
        .map(|r| serde_json::to_string(r).map_err(|e| StoreError::Codec(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let texts = chunk_texts(&lines);
    for (i, text) in texts.iter().enumerate() {
        let fields = Fields::from([
            ("version".to_owned(), Value::string(version.clone())),
            ("index".to_owned(), Value::IntegerValue(i as i64)),
            ("jsonl".to_owned(), Value::string(text.clone())),
        ]);
        writes.push(Write::set(chunk_path(&version, i as i64)?, fields));
    }
    commit_chunked(store, writes).await?;
    let meta = BankMeta {
        version: version.clone(),
        count: questions.len() as i64,
        chunks: texts.len() as i64,
        updated_at: Timestamp(now),
    };
    store.commit(vec![Write::set(meta_path(), to_fields(&meta)?)]).await?;
    if let Some(old) = previous.filter(|m| m.chunks > 0) {
        let deletes = (0..old.chunks)
            .map(|i| Ok(Write::delete(chunk_path(&old.version, i)?)))
            .collect::<Result<_, StoreError>>()?;
        commit_chunked(store, deletes).await?;
    }
    Ok(version)
}

/// Reads the metadata document (one read).
///
/// # Errors
/// Store errors.
pub async fn read_meta(store: &dyn DocumentStore) -> Result<Option<BankMeta>, StoreError> {
    store.get(&meta_path(), None).await?.map(|d| d.decode()).transpose()
}

/// Reads the bank described by `meta`: its chunks (one read each), or, for a bank imported
/// before chunking, the whole `questions` collection. Records that no longer validate are
/// skipped with a warning.
///
/// # Errors
/// Store errors, or a chunk missing (an import in progress elsewhere deleted it).
pub async fn load(store: &dyn DocumentStore, meta: Option<&BankMeta>) -> Result<Vec<Question>, StoreError> {
    let Some(meta) = meta.filter(|m| m.chunks > 0) else {
        return load_documents(store).await;
    };
    let paths = (0..meta.chunks).map(|i| chunk_path(&meta.version, i)).collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(meta.count.max(0) as usize);
    let mut interner = Interner::default();
    for (path, doc) in paths.iter().zip(store.get_all(&paths, None).await?) {
        let doc = doc.ok_or_else(|| StoreError::NotFound(path.to_string()))?;
        let text = doc.fields.get("jsonl").and_then(Value::as_str).unwrap_or_default();
        let report = parse_jsonl_interned(text.as_bytes(), &mut interner);
        if !report.errors.is_empty() {
            tracing::warn!(chunk = %path, errors = %report.error_text(), "skipping invalid stored questions");
        }
        out.extend(report.questions);
    }
    Ok(out)
}

async fn load_documents(store: &dyn DocumentStore) -> Result<Vec<Question>, StoreError> {
    let docs = store.query(&Query::new(CollectionPath::root(QUESTIONS)?)).await?;
    let mut out = Vec::with_capacity(docs.len());
    let mut interner = Interner::default();
    for d in docs {
        match d.decode::<RawQuestion>().map_err(|e| vec![e.to_string()]).and_then(|r| r.into_question(&mut interner)) {
            Ok(q) => out.push(q),
            Err(errs) => tracing::warn!(path = %d.path, errors = ?errs, "skipping invalid stored question"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_the_size_limit() {
        let lines: Vec<String> = (0..3_000).map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(600))).collect();
        let chunks = chunk_texts(&lines);
        assert!(chunks.len() >= 3);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK_BYTES));
        assert_eq!(chunks.concat().lines().count(), 3_000);
    }
}
