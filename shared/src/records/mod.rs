//! The documents the functions read and write, as typed records, with their paths.
//! `docs/data-model.md` describes the same model for operators.

pub mod completed_batch;
pub mod conversation;
pub mod open_quiz;
pub mod pack;
pub mod quiz;
pub mod snap;
pub mod user;
pub mod weekly;

pub use completed_batch::{COMPLETED_BATCH_SIZE, QuizBatchDoc};
pub use open_quiz::{MAX_OPEN_QUIZZES, OpenQuiz};
pub use quiz::{AbilityChange, ItemResult, QuizDoc, QuizItem, QuizResult, QuizStatus};
pub use user::{RECENT_WINDOW, Streak, TopicStats, Totals, UserDoc};
