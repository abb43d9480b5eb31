//! Firebase ID token verification, as the Firebase Admin SDK does it
//! (<https://firebase.google.com/docs/auth/admin/verify-id-tokens#verify_id_tokens_using_a_third-party_jwt_library>),
//! Google OIDC identity tokens of Pub/Sub pushes ([`google_oidc`]), plus a local RS256 key pair
//! and token minting for development and tests.

pub mod claims;
pub mod dev_keys;
pub mod google_oidc;
pub mod keys;
mod rs256;
pub mod verifier;

pub use claims::AuthUser;
pub use dev_keys::DevKeys;
pub use google_oidc::{GoogleOidcClaims, GoogleOidcVerifier};
pub use keys::{KeySource, KeyStore};
pub use verifier::{AuthError, TokenVerifier};
