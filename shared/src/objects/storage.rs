//! [`ObjectStorage`]: snap images in a local directory, S3 or Cloud Storage through the
//! `object_store` crate, with short-lived read URLs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use super::config::{ObjectsConfig, ObjectsLocation, ProviderOptions};
use super::error::ObjectError;
use super::key;
use super::local_url::LocalUrlSigner;

/// A short-lived URL to read one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectUrl {
    /// Absolute presigned URL (S3, GCS), or a path with query for the app's own route (local:
    /// `/v1/snap-images/{key}?exp=..&sig=..`, to be joined with the app's origin).
    pub url: String,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

/// How read URLs are made.
#[derive(Clone, Debug)]
enum UrlMaker {
    /// The provider's presigned URLs.
    Presigned(Arc<dyn Signer>),
    /// The app's route, HMAC-signed.
    Local(Arc<LocalUrlSigner>),
}

/// Snap image storage: one API over a local directory, S3 and Cloud Storage. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    urls: UrlMaker,
    /// Key prefix inside the bucket ("" for none).
    prefix: String,
    /// Whether `put` can store the content type (object_store's local backend refuses attributes).
    keeps_content_type: bool,
}

/// Builds the S3 client: `options` as `AmazonS3ConfigKey`s; an `http://` endpoint (a local
/// S3-compatible server) is allowed without `AWS_ALLOW_HTTP`.
fn s3(bucket: &str, options: &ProviderOptions) -> Result<object_store::aws::AmazonS3, ObjectError> {
    let mut builder = AmazonS3Builder::new().with_bucket_name(bucket);
    for (name, value) in &options.0 {
        let key = name.to_ascii_lowercase().parse().map_err(|e| ObjectError::Config(format!("{name}: {e}")))?;
        builder = builder.with_config(key, value);
    }
    let endpoint = options.get("AWS_ENDPOINT_URL_S3").or(options.get("AWS_ENDPOINT_URL"));
    if endpoint.is_some_and(|e| e.starts_with("http://")) {
        builder = builder.with_allow_http(true);
    }
    Ok(builder.build()?)
}

/// Builds the Cloud Storage client from `GOOGLE_*` options; an `http://` `GOOGLE_BASE_URL` (a
/// local emulator) is allowed.
fn gcs(bucket: &str, options: &ProviderOptions) -> Result<object_store::gcp::GoogleCloudStorage, ObjectError> {
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    for (name, value) in &options.0 {
        let key = name.to_ascii_lowercase().parse().map_err(|e| ObjectError::Config(format!("{name}: {e}")))?;
        builder = builder.with_config(key, value);
    }
    if options.get("GOOGLE_BASE_URL").is_some_and(|u| u.starts_with("http://")) {
        builder = builder.with_client_options(ClientOptions::new().with_allow_http(true));
    }
    Ok(builder.build()?)
}

impl ObjectStorage {
    /// Storage of an instance that serves no snap route ([`crate::startup::InstanceParts::CORE`]):
    /// an empty in-memory store that nothing writes, with a random URL secret. Building it
    /// reaches none of the S3 or Cloud Storage code, so a binary that never calls
    /// [`ObjectStorage::from_config`] does not link it.
    ///
    /// # Errors
    /// [`ObjectError::Config`] when the operating system has no randomness for the secret.
    pub fn unused(_config: &ObjectsConfig) -> Result<ObjectStorage, ObjectError> {
        Ok(ObjectStorage {
            store: Arc::new(object_store::memory::InMemory::new()),
            urls: UrlMaker::Local(Arc::new(LocalUrlSigner::random().map_err(ObjectError::Config)?)),
            prefix: String::new(),
            keeps_content_type: true,
        })
    }

    /// Builds the backend named by `config` (creates the local directory when missing). Makes
    /// no network call: credentials are fetched on first use.
    ///
    /// # Errors
    /// [`ObjectError::Config`] (directory not creatable, bad option, random source failure) or
    /// [`ObjectError::Backend`] (the client builder refused the settings).
    pub fn from_config(config: &ObjectsConfig) -> Result<ObjectStorage, ObjectError> {
        match &config.location {
            ObjectsLocation::Local { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| ObjectError::Config(format!("cannot create {}: {e}", dir.display())))?;
                let store = LocalFileSystem::new_with_prefix(dir)?;
                let signer = match &config.signing_key {
                    Some(secret) => LocalUrlSigner::new(secret),
                    None => LocalUrlSigner::random().map_err(ObjectError::Config)?,
                };
                Ok(ObjectStorage {
                    store: Arc::new(store),
                    urls: UrlMaker::Local(Arc::new(signer)),
                    prefix: String::new(),
                    keeps_content_type: false,
                })
            }
            ObjectsLocation::S3 { bucket, prefix, options } => {
                let store = Arc::new(s3(bucket, options)?);
                Ok(Self::presigned(store.clone(), store, prefix))
            }
            ObjectsLocation::Gcs { bucket, prefix, options } => {
                let store = Arc::new(gcs(bucket, options)?);
                Ok(Self::presigned(store.clone(), store, prefix))
            }
        }
    }

    fn presigned(store: Arc<dyn ObjectStore>, signer: Arc<dyn Signer>, prefix: &str) -> ObjectStorage {
        ObjectStorage { store, urls: UrlMaker::Presigned(signer), prefix: prefix.to_owned(), keeps_content_type: true }
    }

    /// The underlying `object_store` client.
    pub fn inner(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    fn path(&self, key: &str) -> Result<Path, ObjectError> {
        key::validate(key).map_err(ObjectError::InvalidKey)?;
        let full = if self.prefix.is_empty() { key.to_owned() } else { format!("{}/{key}", self.prefix) };
        Path::parse(full).map_err(|e| ObjectError::InvalidKey(e.to_string()))
    }

    /// Stores `bytes` at `key`, replacing any object there. `content_type` (e.g. `image/jpeg`)
    /// is stored as the object's `Content-Type` on S3 and GCS; the local backend cannot keep it
    /// (serve local files with the type sniffed from the bytes, [`crate::images::sniff`]).
    ///
    /// # Errors
    /// [`ObjectError::InvalidKey`], [`ObjectError::Backend`].
    pub async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), ObjectError> {
        let path = self.path(key)?;
        let mut attributes = Attributes::new();
        if self.keeps_content_type {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        let options = PutOptions { attributes, ..PutOptions::default() };
        self.store.put_opts(&path, PutPayload::from_bytes(bytes), options).await?;
        Ok(())
    }

    /// The object at `key`, or `None` when there is none.
    ///
    /// # Errors
    /// [`ObjectError::InvalidKey`], [`ObjectError::Backend`].
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, ObjectError> {
        let path = self.path(key)?;
        match self.store.get(&path).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the object at `key`; a missing object is not an error.
    ///
    /// # Errors
    /// [`ObjectError::InvalidKey`], [`ObjectError::Backend`].
    pub async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        let path = self.path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every object in `keys`; missing objects are not errors. S3 sends `DeleteObjects`
    /// requests of up to 1,000 keys (the API's limit); GCS and the local backend delete one by
    /// one, several at a time. Returns how many keys were processed.
    ///
    /// # Errors
    /// [`ObjectError::InvalidKey`] (checked for all keys before anything is deleted), or the
    /// first [`ObjectError::Backend`] (the other deletions still run).
    pub async fn delete_many<K: AsRef<str>>(&self, keys: &[K]) -> Result<usize, ObjectError> {
        let paths = keys.iter().map(|k| self.path(k.as_ref())).collect::<Result<Vec<_>, _>>()?;
        let count = paths.len();
        let input = futures_util::stream::iter(paths.into_iter().map(Ok)).boxed();
        let results: Vec<_> = self.store.delete_stream(input).collect().await;
        let first_error = results.into_iter().find_map(|r| match r {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => Some(e),
        });
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(count),
        }
    }

    /// A URL that reads the object at `key` for `ttl` (S3/GCS presigned GET; local: the app's
    /// signed route). The object need not exist yet. `ttl` is rounded down to whole seconds,
    /// at least 1 s.
    ///
    /// # Errors
    /// [`ObjectError::InvalidKey`], [`ObjectError::Backend`] (e.g. no credentials to sign with).
    pub async fn url(&self, key: &str, ttl: Duration) -> Result<ObjectUrl, ObjectError> {
        let path = self.path(key)?;
        let ttl = Duration::from_secs(ttl.as_secs().max(1));
        let now = Utc::now();
        let expires_at = now + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 1000));
        let url = match &self.urls {
            UrlMaker::Presigned(signer) => signer.signed_url(http::Method::GET, &path, ttl).await?.to_string(),
            UrlMaker::Local(signer) => signer.url(key, expires_at.timestamp()),
        };
        Ok(ObjectUrl { url, expires_at })
    }

    /// For the local route: whether `sig` signs `key` until `exp` (Unix seconds) and `exp` is
    /// not before `now`. Always `false` on S3/GCS, whose URLs the provider checks.
    pub fn verify_local_url(&self, key: &str, exp: i64, sig: &str, now: DateTime<Utc>) -> bool {
        match &self.urls {
            UrlMaker::Local(signer) => key::validate(key).is_ok() && signer.verify(key, exp, sig, now),
            UrlMaker::Presigned(_) => false,
        }
    }

    /// Whether this is the local directory backend (whose URLs the app must serve).
    pub fn is_local(&self) -> bool {
        matches!(self.urls, UrlMaker::Local(_))
    }
}
