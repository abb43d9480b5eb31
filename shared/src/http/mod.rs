//! HTTP plumbing shared by every function: application state, extractors that turn bad input
//! into problem details, and the common router layers (health check, request log, limits).

pub mod auth_extractor;
pub mod body_limit;
pub mod conditional;
pub mod idempotency;
pub mod jobs_push;
pub mod json_body;
pub mod layers;
pub mod page_query;
pub mod state;
pub mod trace_context;

pub use body_limit::{MAX_IMAGE_BYTES, UPLOAD_BODY_LIMIT};
pub use json_body::ApiJson;
pub use layers::with_common_layers;
pub use page_query::Page;
pub use state::AppState;
