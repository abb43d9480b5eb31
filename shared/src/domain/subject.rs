//! JEE subjects.

use serde::{Deserialize, Serialize};

/// One of the three JEE subjects. Serialized lowercase (`physics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// Physics.
    Physics,
    /// Chemistry.
    Chemistry,
    /// Mathematics.
    Mathematics,
}

impl Subject {
    /// All subjects in display order.
    pub const ALL: [Subject; 3] = [Subject::Physics, Subject::Chemistry, Subject::Mathematics];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Physics => "physics",
            Subject::Chemistry => "chemistry",
            Subject::Mathematics => "mathematics",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}
