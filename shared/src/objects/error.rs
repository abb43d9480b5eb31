//! Errors of the snap-image storage.

use crate::problem::{ErrorCode, Problem};

/// A storage operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The key is not a valid object key (a bug in the caller: keys are built by the server).
    #[error("invalid object key: {0}")]
    InvalidKey(String),
    /// The backend could not be built from the configuration.
    #[error("object storage configuration: {0}")]
    Config(String),
    /// The backend failed (I/O, network, provider error, signing).
    #[error("object storage: {0}")]
    Backend(#[from] object_store::Error),
}

impl From<ObjectError> for Problem {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::Backend(_) => {
                Problem::new(ErrorCode::StoreUnavailable, format!("image storage is unavailable: {e}")).retry_after(5)
            }
            other => Problem::new(ErrorCode::Internal, other.to_string()),
        }
    }
}
