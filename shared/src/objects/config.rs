//! Where snap images are stored, from environment variables (wired into the app's `Config` by
//! the caller; read here so the storage can be built and tested on its own).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default `SNAP_IMAGES_URL`: a directory under the working directory (embedded default).
pub const DEFAULT_LOCAL_DIR: &str = ".dev/images";
/// Default lifetime of an image URL, s (`SNAP_IMAGES_URL_TTL_SECS`).
pub const DEFAULT_URL_TTL_SECS: u64 = 900;
/// Longest URL lifetime, s: 7 days, the SigV4 presigned-URL maximum (AWS S3 API reference,
/// "Authenticating Requests: Using Query Parameters") and the GCS V4 signed-URL maximum.
pub const MAX_URL_TTL_SECS: u64 = 604_800;
/// Shortest accepted `SNAP_IMAGES_SIGNING_KEY`, bytes (HMAC-SHA256 key as long as its output,
/// RFC 2104 §3).
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// AWS variables passed to the S3 client (names as in the AWS SDKs' environment settings).
/// Credentials from the environment cover Lambda; the container-credential variables cover ECS.
pub const AWS_VARIABLES: [&str; 11] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ALLOW_HTTP",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Google variables passed to the Cloud Storage client (without them it uses the metadata
/// server's credentials, as on Cloud Run).
pub const GOOGLE_VARIABLES: [&str; 4] =
    ["GOOGLE_SERVICE_ACCOUNT", "GOOGLE_SERVICE_ACCOUNT_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_BASE_URL"];

/// Provider settings as `(VARIABLE, value)` pairs. `Debug` shows only the names: values
/// include secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderOptions(pub Vec<(String, String)>);

impl fmt::Debug for ProviderOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(k, _)| k)).finish()
    }
}

impl ProviderOptions {
    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The storage backend and its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectsLocation {
    /// A local directory (created when missing); URLs point to the app's signed route.
    Local {
        /// The directory.
        dir: PathBuf,
    },
    /// Amazon S3 or an S3-compatible server; URLs are SigV4 presigned GETs.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket, without leading or trailing `/` (may be empty).
        prefix: String,
        /// `AWS_*` settings present in the environment.
        options: ProviderOptions,
    },
    /// Google Cloud Storage; URLs are V4 signed GETs.
    Gcs {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket, as for S3.
        prefix: String,
        /// `GOOGLE_*` settings present in the environment.
        options: ProviderOptions,
    },
}

/// Validated snap-image storage settings.
#[derive(Clone, PartialEq, Eq)]
pub struct ObjectsConfig {
    /// Backend (`SNAP_IMAGES_URL`: `file:///abs/dir` or a path, `s3://bucket/prefix`,
    /// `gs://bucket/prefix`; default `.dev/images`).
    pub location: ObjectsLocation,
    /// Lifetime of image URLs (`SNAP_IMAGES_URL_TTL_SECS`, default 900 s, 1 s to 7 days).
    pub url_ttl: Duration,
    /// HMAC key for local route URLs (`SNAP_IMAGES_SIGNING_KEY`, at least 32 bytes); `None`
    /// generates a random key per instance, so URLs do not survive a restart.
    pub signing_key: Option<Vec<u8>>,
}

impl fmt::Debug for ObjectsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectsConfig")
            .field("location", &self.location)
            .field("url_ttl", &self.url_ttl)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Default for ObjectsConfig {
    /// [`DEFAULT_LOCAL_DIR`], [`DEFAULT_URL_TTL_SECS`], a random signing key per instance.
    fn default() -> Self {
        Self::local(DEFAULT_LOCAL_DIR)
    }
}

impl ObjectsConfig {
    /// A local directory backend with the default URL lifetime and a random signing key.
    pub fn local(dir: impl Into<PathBuf>) -> Self {
        ObjectsConfig {
            location: ObjectsLocation::Local { dir: dir.into() },
            url_ttl: Duration::from_secs(DEFAULT_URL_TTL_SECS),
            signing_key: None,
        }
    }

    /// Reads the settings through `get` (the process environment, or a map in tests).
    ///
    /// # Errors
    /// Every invalid variable, one message each (`  NAME=value: reason`, as the app's config).
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<ObjectsConfig, Vec<String>> {
        let mut errors = Vec::new();
        let raw_url = get("SNAP_IMAGES_URL").unwrap_or_else(|| DEFAULT_LOCAL_DIR.to_owned());
        let location = match parse_location(&raw_url, get) {
            Ok(l) => Some(l),
            Err(why) => {
                errors.push(format!("  SNAP_IMAGES_URL={raw_url:?}: {why}"));
                None
            }
        };
        let url_ttl = match get("SNAP_IMAGES_URL_TTL_SECS") {
            None => DEFAULT_URL_TTL_SECS,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(v) if (1..=MAX_URL_TTL_SECS).contains(&v) => v,
                _ => {
                    errors.push(format!("  SNAP_IMAGES_URL_TTL_SECS={raw:?}: seconds from 1 to {MAX_URL_TTL_SECS}"));
                    DEFAULT_URL_TTL_SECS
                }
            },
        };
        let signing_key = get("SNAP_IMAGES_SIGNING_KEY").map(String::into_bytes);
        if signing_key.as_ref().is_some_and(|k| k.len() < MIN_SIGNING_KEY_BYTES) {
            errors.push(format!("  SNAP_IMAGES_SIGNING_KEY: at least {MIN_SIGNING_KEY_BYTES} bytes"));
        }
        match location {
            Some(location) if errors.is_empty() => {
                Ok(ObjectsConfig { location, url_ttl: Duration::from_secs(url_ttl), signing_key })
            }
            _ => Err(errors),
        }
    }
}

fn parse_location(raw: &str, get: &impl Fn(&str) -> Option<String>) -> Result<ObjectsLocation, String> {
    let options =
        |names: &[&str]| ProviderOptions(names.iter().filter_map(|n| get(n).map(|v| ((*n).to_owned(), v))).collect());
    if let Some(rest) = raw.strip_prefix("s3://") {
        let (bucket, prefix) = bucket_and_prefix(rest)?;
        return Ok(ObjectsLocation::S3 { bucket, prefix, options: options(&AWS_VARIABLES) });
    }
    if let Some(rest) = raw.strip_prefix("gs://") {
        let (bucket, prefix) = bucket_and_prefix(rest)?;
        return Ok(ObjectsLocation::Gcs { bucket, prefix, options: options(&GOOGLE_VARIABLES) });
    }
    if let Some(path) = raw.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err("a file URL needs an absolute path (file:///abs/dir)".into());
        }
        return Ok(ObjectsLocation::Local { dir: PathBuf::from(path) });
    }
    if raw.contains("://") {
        return Err("expected file:///dir, s3://bucket/prefix, gs://bucket/prefix or a directory".into());
    }
    if raw.trim().is_empty() {
        return Err("empty".into());
    }
    Ok(ObjectsLocation::Local { dir: PathBuf::from(raw) })
}

/// Bucket names: 3-63 characters of `[a-z0-9.-]`, starting and ending with a letter or digit
/// (S3 "Bucket naming rules"; Cloud Storage's rules are the same for names without dots).
fn bucket_and_prefix(rest: &str) -> Result<(String, String), String> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge_ok(bucket.chars().next())
        && edge_ok(bucket.chars().last());
    if !ok {
        return Err(format!("{bucket:?} is not a valid bucket name"));
    }
    let prefix = prefix.trim_matches('/').to_owned();
    if !prefix.is_empty() {
        super::key::validate(&prefix).map_err(|e| format!("prefix: {e}"))?;
    }
    Ok((bucket.to_owned(), prefix))
}
