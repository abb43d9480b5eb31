//! Short-lived URLs for the local directory backend: the app serves the image itself at
//! [`LOCAL_ROUTE`], and the URL carries an expiry and an HMAC-SHA256 signature (RFC 2104) over
//! the method, key and expiry, made with a per-instance secret.

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};

/// Path prefix of the local image route; the key follows it (`/v1/snap-images/{key}`).
pub const LOCAL_ROUTE_PREFIX: &str = "/v1/snap-images/";
/// The same route in axum 0.8 syntax, for `Router::route`.
pub const LOCAL_ROUTE: &str = "/v1/snap-images/{*key}";

/// Signs and checks local route URLs.
pub struct LocalUrlSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for LocalUrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalUrlSigner(<secret>)")
    }
}

impl LocalUrlSigner {
    /// A signer with this secret.
    pub fn new(secret: &[u8]) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    /// A signer with 32 random bytes from the operating system's CSPRNG (`getrandom(2)`
    /// through `rand::rngs::OsRng`). Not from `aws_lc_rs::rand`: the first use of AWS-LC's
    /// generator seeds it with CPU jitter entropy, which took most of an instance's start
    /// (docs/benchmarks.md, "Cold start"); this secret is made at every start.
    ///
    /// # Errors
    /// The system random source failed.
    pub fn random() -> Result<Self, String> {
        use rand::TryRngCore;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut secret).map_err(|e| format!("the system random source failed: {e}"))?;
        Ok(Self::new(&secret))
    }

    fn message(key: &str, exp: i64) -> String {
        format!("GET\n{key}\n{exp}")
    }

    /// The hex HMAC-SHA256 of `GET\n{key}\n{exp}`.
    pub fn signature(&self, key: &str, exp: i64) -> String {
        hex::encode(hmac::sign(&self.key, Self::message(key, exp).as_bytes()).as_ref())
    }

    /// `/v1/snap-images/{key}?exp={exp}&sig={hex}`, valid until `exp` (Unix seconds).
    pub fn url(&self, key: &str, exp: i64) -> String {
        format!("{LOCAL_ROUTE_PREFIX}{key}?exp={exp}&sig={}", self.signature(key, exp))
    }

    /// Whether `sig` is this signer's signature of `key` and `exp`, and `exp` (Unix seconds) is
    /// not before `now`. The comparison is constant-time (`aws_lc_rs::hmac::verify`).
    pub fn verify(&self, key: &str, exp: i64, sig: &str, now: DateTime<Utc>) -> bool {
        if exp < now.timestamp() {
            return false;
        }
        let Ok(tag) = hex::decode(sig) else { return false };
        hmac::verify(&self.key, Self::message(key, exp).as_bytes(), &tag).is_ok()
    }
}
