//! Public keys that sign ID tokens, fetched and cached the way the Admin SDK does: kept for the
//! `max-age` of the response's `Cache-Control`, and fetched again when a token names a `kid`
//! the cache does not hold (key rotation), at most once per `min_refresh` interval.
//!
//! Two document formats are understood: Google's X.509 map `{kid: PEM certificate}` (the
//! Admin SDK's source, [`GOOGLE_X509_URL`]) and a JWK Set `{"keys": [...]}` (RFC 7517, the
//! format of the local development keys).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::{Mutex, RwLock};

/// Google's published certificates for Firebase ID tokens.
pub const GOOGLE_X509_URL: &str =
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com";

/// How long stale keys keep serving after a failed fetch before the next attempt.
const FAILURE_BACKOFF: Duration = Duration::from_secs(30);

/// Cache lifetime when the response has no usable `Cache-Control: max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An HTTP(S) URL serving either format.
    Url(String),
    /// A local file in either format (re-read on an unknown kid).
    File(PathBuf),
}

/// Errors fetching keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The kid is not among the current keys.
    #[error("no signing key with kid {0:?}")]
    UnknownKid(String),
    /// The key document could not be fetched or parsed.
    #[error("signing keys unavailable: {0}")]
    Unavailable(String),
}

struct Cached {
    keys: HashMap<String, DecodingKey>,
    expires: Option<Instant>,
    fetched: Instant,
}

/// A cache of the current signing keys.
pub struct KeyStore {
    source: KeySource,
    /// Built on the first fetch from a URL: building a client loads the platform's TLS roots
    /// (≈ 150 certificate files), which a cold start should not pay for.
    http: std::sync::OnceLock<reqwest::Client>,
    min_refresh: Duration,
    cache: RwLock<Option<Cached>>,
    refresh: Mutex<()>,
}

/// Parses `max-age=N` out of a `Cache-Control` value.
pub fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control
        .to_ascii_lowercase()
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age=").map(str::to_owned))
        .find_map(|v| v.trim_matches('"').parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Parses a key document in either format.
///
/// # Errors
/// A message when the document is neither a JWK Set nor a `{kid: PEM}` map of RSA keys.
pub fn parse_keys(body: &[u8]) -> Result<HashMap<String, DecodingKey>, String> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("key document is not JSON: {e}"))?;
    if json.get("keys").is_some() {
        let set: JwkSet = serde_json::from_value(json).map_err(|e| format!("bad JWK Set: {e}"))?;
        return set
            .keys
            .iter()
            .filter_map(|jwk| jwk.common.key_id.clone().map(|kid| (kid, jwk)))
            .map(|(kid, jwk)| DecodingKey::from_jwk(jwk).map(|k| (kid, k)).map_err(|e| format!("bad JWK: {e}")))
            .collect();
    }
    let map: HashMap<String, String> = serde_json::from_value(json).map_err(|e| format!("bad certificate map: {e}"))?;
    map.into_iter()
        .map(|(kid, pem)| {
            DecodingKey::from_rsa_pem(pem.as_bytes()).map(|k| (kid, k)).map_err(|e| format!("bad PEM: {e}"))
        })
        .collect()
}

impl KeyStore {
    /// A key store for `source`; an unknown kid triggers at most one refetch per `min_refresh`.
    pub fn new(source: KeySource, min_refresh: Duration) -> Self {
        Self {
            source,
            http: std::sync::OnceLock::new(),
            min_refresh,
            cache: RwLock::new(None),
            refresh: Mutex::new(()),
        }
    }

    /// The source.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    async fn lookup(&self, kid: &str) -> Option<(Option<DecodingKey>, bool)> {
        let cache = self.cache.read().await;
        let c = cache.as_ref()?;
        let fresh = c.expires.is_none_or(|e| Instant::now() < e);
        Some((c.keys.get(kid).cloned(), fresh))
    }

    /// The key for `kid`, fetching or refreshing the key document when needed.
    ///
    /// # Errors
    /// [`KeyError::UnknownKid`] when the kid is absent even after a refresh;
    /// [`KeyError::Unavailable`] when the document cannot be fetched and no cached key serves.
    pub async fn get(&self, kid: &str) -> Result<DecodingKey, KeyError> {
        if let Some((Some(key), true)) = self.lookup(kid).await {
            return Ok(key);
        }
        let _single_flight = self.refresh.lock().await;
        // Another task may have refreshed while we waited.
        let recently_fetched = {
            let cache = self.cache.read().await;
            match cache.as_ref() {
                Some(c) => {
                    let fresh = c.expires.is_none_or(|e| Instant::now() < e);
                    if let (Some(k), true) = (c.keys.get(kid), fresh) {
                        return Ok(k.clone());
                    }
                    fresh && c.fetched.elapsed() < self.min_refresh
                }
                None => false,
            }
        };
        if recently_fetched {
            return Err(KeyError::UnknownKid(kid.to_owned()));
        }
        match self.fetch().await {
            Ok((keys, max_age)) => {
                let key = keys.get(kid).cloned();
                let now = Instant::now();
                *self.cache.write().await = Some(Cached { keys, expires: max_age.map(|a| now + a), fetched: now });
                key.ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))
            }
            Err(e) => {
                // Serve the stale keys rather than fail everyone while the key server is down,
                // and back off: the next fetch waits for FAILURE_BACKOFF.
                let mut cache = self.cache.write().await;
                match cache.as_mut() {
                    Some(c) => {
                        c.expires = Some(Instant::now() + FAILURE_BACKOFF);
                        c.keys.get(kid).cloned().ok_or(KeyError::Unavailable(e))
                    }
                    None => Err(KeyError::Unavailable(e)),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<(HashMap<String, DecodingKey>, Option<Duration>), String> {
        match &self.source {
            KeySource::File(path) => {
                let body = tokio::fs::read(path).await.map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((parse_keys(&body)?, None))
            }
            KeySource::Url(url) => {
                let http = self.http.get_or_init(|| {
                    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default()
                });
                let res = http.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
                if !res.status().is_success() {
                    return Err(format!("GET {url}: HTTP {}", res.status()));
                }
                let age = res
                    .headers()
                    .get(reqwest::header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok())
                    .and_then(max_age)
                    .unwrap_or(DEFAULT_MAX_AGE);
                let body = res.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
                Ok((parse_keys(&body)?, Some(age)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_max_age() {
        assert_eq!(max_age("public, max-age=19845, must-revalidate, no-transform"), Some(Duration::from_secs(19845)));
        assert_eq!(max_age("no-cache"), None);
    }
}
