//! Practice use cases, independent of HTTP: generating an adaptive quiz
//! ([`generate`](mod@generate)), completing it ([`complete`](mod@complete): grading, θ update,
//! totals, streak, weekly statistics), finding a completed quiz ([`completed`]), reading progress ([`progress`](mod@progress)), and
//! offline practice packs for Pro and Ultra: download ([`pack`](mod@pack)) and exactly-once
//! sync of their results ([`pack_sync`]). Functions are thin adapters over these: they parse
//! the request, call one use case, and map its outcome or [`PracticeError`] to a response.

pub mod complete;
pub mod completed;
pub mod error;
pub mod generate;
pub mod pack;
pub mod pack_sync;
pub mod progress;

pub use complete::{Answer, Completion, Graded, complete, grade_items, user_update, validate_answers};
pub use error::PracticeError;
pub use generate::{GeneratedQuiz, QuizRequest, choose, generate, pools_for, quiz_item};
pub use pack::{PackDownload, download, require_offline};
pub use pack_sync::{PackResult, SyncOutcome, sync};
pub use progress::{Progress, progress, read_profile};
