//! The question bank: JSON Lines import with validation, a deterministic synthetic generator
//! for benchmarks, storage in `questions/{id}`, and the per-instance in-memory copy.

pub mod cache;
pub mod index;
pub mod jsonl;
pub mod storage;
pub mod synthetic;

pub use cache::BankCache;
pub use index::QuestionBank;
pub use jsonl::{ImportReport, LineError, parse_jsonl, parse_jsonl_interned};
