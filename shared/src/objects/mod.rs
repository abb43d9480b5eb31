//! Snap image storage through the `object_store` crate: a local directory (embedded default),
//! Amazon S3 or Google Cloud Storage behind one API, with short-lived read URLs (presigned on
//! S3/GCS, an HMAC-signed app route locally).

mod config;
mod error;
mod key;
mod local_url;
mod storage;

pub use config::{
    AWS_VARIABLES, DEFAULT_LOCAL_DIR, DEFAULT_URL_TTL_SECS, GOOGLE_VARIABLES, MAX_URL_TTL_SECS, MIN_SIGNING_KEY_BYTES,
    ObjectsConfig, ObjectsLocation, ProviderOptions,
};
pub use error::ObjectError;
pub use key::{MAX_KEY_BYTES, validate as validate_key};
pub use local_url::{LOCAL_ROUTE, LOCAL_ROUTE_PREFIX, LocalUrlSigner};
pub use storage::{ObjectStorage, ObjectUrl};
