//! Domain types. Each is parsed once at the edge; an invalid value cannot be constructed.

pub mod entitlements;
pub mod ids;
pub mod interner;
pub mod ist_day;
pub mod question;
pub mod served;
pub mod subject;
pub mod tier;
pub mod topic;

pub use entitlements::{AnalyticsLevel, DailyLimits, Entitlements, PracticeAccess, TIER_TABLE, TutorLevel};
pub use ids::{ConversationId, PackId, QuestionId, QuizId, SnapId, TurnId, UserId};
pub use interner::Interner;
pub use ist_day::IstDay;
pub use question::{AnswerKey, IrtParams, McqOption, OptionKey, Question, QuestionType, RawQuestion};
pub use served::ServedQuestion;
pub use subject::Subject;
pub use tier::Tier;
pub use topic::TopicKey;
