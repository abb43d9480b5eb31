//! AI tutor use cases: conversations (optionally anchored to a snap or a quiz question), the
//! bounded prompt (recent turns within the tier's budget plus a running summary), and each
//! turn's quota reservation and settlement.

pub mod conversations;
pub mod prompt;
pub mod sweep;
pub mod turns;
