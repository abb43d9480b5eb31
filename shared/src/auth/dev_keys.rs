//! A locally generated RS256 key pair for development and tests, so the real verification path
//! runs without Google: the private key signs tokens ([`DevKeys::mint`]), the public key is
//! published as a JWK Set file that [`super::KeySource::File`] (or a test HTTP server) serves.
//!
//! Files in the key directory: `private.pem` (PKCS#8) and `jwks.json`.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

use super::claims::FirebaseClaims;
use crate::domain::Tier;

/// A development signing key.
#[derive(Clone)]
pub struct DevKeys {
    kid: String,
    private_pem: String,
    jwks: serde_json::Value,
}

/// Errors creating or loading keys.
#[derive(Debug, thiserror::Error)]
#[error("dev keys: {0}")]
pub struct DevKeyError(String);

impl DevKeys {
    /// Generates a fresh 2048-bit RSA key pair.
    ///
    /// # Errors
    /// When key generation fails.
    pub fn generate() -> Result<Self, DevKeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| DevKeyError(e.to_string()))?;
        let der = pair.as_der().map_err(|e| DevKeyError(e.to_string()))?;
        let private_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, n.as_bytes());
        let kid = format!("dev-{}", &URL_SAFE_NO_PAD.encode(digest.as_ref())[..16]);
        let jwks =
            serde_json::json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": n, "e": e}]});
        Ok(Self { kid, private_pem, jwks })
    }

    /// Loads the pair from `dir`, or generates and saves one there.
    ///
    /// # Errors
    /// I/O failures or unreadable files.
    pub fn load_or_generate(dir: &Path) -> Result<Self, DevKeyError> {
        let (priv_path, jwks_path) = Self::paths(dir);
        if priv_path.exists() && jwks_path.exists() {
            let private_pem = std::fs::read_to_string(&priv_path)
                .map_err(|e| DevKeyError(format!("{}: {e}", priv_path.display())))?;
            let jwks: serde_json::Value = serde_json::from_slice(
                &std::fs::read(&jwks_path).map_err(|e| DevKeyError(format!("{}: {e}", jwks_path.display())))?,
            )
            .map_err(|e| DevKeyError(format!("{}: {e}", jwks_path.display())))?;
            let kid =
                jwks["keys"][0]["kid"].as_str().ok_or_else(|| DevKeyError("jwks.json has no kid".into()))?.to_owned();
            return Ok(Self { kid, private_pem, jwks });
        }
        let keys = Self::generate()?;
        std::fs::create_dir_all(dir).map_err(|e| DevKeyError(format!("{}: {e}", dir.display())))?;
        std::fs::write(&priv_path, &keys.private_pem).map_err(|e| DevKeyError(e.to_string()))?;
        std::fs::write(&jwks_path, keys.jwks.to_string()).map_err(|e| DevKeyError(e.to_string()))?;
        Ok(keys)
    }

    /// `(private.pem, jwks.json)` inside `dir`.
    pub fn paths(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("private.pem"), dir.join("jwks.json"))
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK Set.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// Signs arbitrary claims with an arbitrary header (tests build bad tokens with this).
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign<T: serde::Serialize>(&self, header: &Header, claims: &T) -> Result<String, DevKeyError> {
        let key = EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).map_err(|e| DevKeyError(e.to_string()))?;
        encode(header, claims, &key).map_err(|e| DevKeyError(e.to_string()))
    }

    /// Mints a Firebase-shaped ID token for `uid` and `tier`, valid for `ttl_secs` from `now`.
    ///
    /// # Errors
    /// When signing fails.
    pub fn mint(
        &self,
        project_id: &str,
        uid: &str,
        tier: Tier,
        now: i64,
        ttl_secs: i64,
    ) -> Result<String, DevKeyError> {
        let claims = FirebaseClaims {
            iss: format!("https://securetoken.google.com/{project_id}"),
            aud: project_id.to_owned(),
            sub: uid.to_owned(),
            exp: now + ttl_secs,
            iat: now,
            auth_time: now,
            tier: Some(tier.as_str().to_owned()),
        };
        self.sign(&self.header(), &claims)
    }

    /// The RS256 header with this key's kid.
    pub fn header(&self) -> Header {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(self.kid.clone());
        h
    }
}
