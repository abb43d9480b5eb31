//! Firebase ID token verification, checked the way the Firebase Admin SDK verifies tokens:
//! a real HTTP server publishes the keys (JWK Set or Google's X.509 certificate map) with a
//! `Cache-Control: max-age`, and every refusal is asserted down to its `AuthError` class.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shared::auth::{AuthError, AuthUser, DevKeys, KeySource, KeyStore, TokenVerifier};
use shared::clock::{Clock, FixedClock};
use shared::domain::{Tier, UserId};
use shared::testing::{TEST_PROJECT, default_now, temp_dir};

const LEEWAY: u64 = 60;

// ---------------------------------------------------------------------------------------------
// A key server: serves a settable document with `Cache-Control: public, max-age=N` and counts
// requests. `None` as the document makes it answer 500 (an outage).
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct KeyServerState {
    body: Arc<Mutex<Option<String>>>,
    hits: Arc<AtomicUsize>,
    max_age: u64,
}

struct KeyServer {
    url: String,
    state: KeyServerState,
}

impl KeyServer {
    async fn spawn(doc: &Value, max_age: u64) -> KeyServer {
        let state = KeyServerState {
            body: Arc::new(Mutex::new(Some(doc.to_string()))),
            hits: Arc::new(AtomicUsize::new(0)),
            max_age,
        };
        let app = Router::new().route("/keys", get(serve_keys)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        KeyServer { url: format!("http://{addr}/keys"), state }
    }

    fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Serves `doc` from now on (key rotation).
    fn serve(&self, doc: &Value) {
        *self.state.body.lock().unwrap() = Some(doc.to_string());
    }

    /// Answers 500 from now on.
    fn fail(&self) {
        *self.state.body.lock().unwrap() = None;
    }
}

async fn serve_keys(State(s): State<KeyServerState>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let body = s.body.lock().unwrap().clone();
    match body {
        Some(b) => (
            [
                (header::CACHE_CONTROL, format!("public, max-age={}, must-revalidate, no-transform", s.max_age)),
                (header::CONTENT_TYPE, "application/json; charset=UTF-8".to_owned()),
            ],
            b,
        )
            .into_response(),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

fn now() -> i64 {
    default_now().timestamp()
}

fn verifier(source: KeySource, min_refresh: Duration) -> TokenVerifier {
    TokenVerifier::new(
        TEST_PROJECT,
        Arc::new(KeyStore::new(source, min_refresh)),
        Duration::from_secs(LEEWAY),
        Arc::new(FixedClock::at(default_now())),
    )
}

/// Firebase-shaped claims valid at [`now`] for `uid` (no tier claim).
fn claims(uid: &str) -> Value {
    let t = now();
    json!({
        "iss": format!("https://securetoken.google.com/{TEST_PROJECT}"),
        "aud": TEST_PROJECT,
        "sub": uid,
        "exp": t + 3600,
        "iat": t - 10,
        "auth_time": t - 20,
    })
}

fn with(mut c: Value, key: &str, v: Value) -> Value {
    c[key] = v;
    c
}

fn user(uid: &str, tier: Tier) -> AuthUser {
    AuthUser { uid: UserId::parse(uid).unwrap(), tier }
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
}

/// One key pair served as a JWK Set, with a verifier trusting it.
struct Fixture {
    keys: DevKeys,
    server: KeyServer,
    verifier: TokenVerifier,
}

async fn fixture() -> Fixture {
    let keys = DevKeys::generate().unwrap();
    let server = KeyServer::spawn(keys.jwks(), 300).await;
    let verifier = verifier(KeySource::Url(server.url.clone()), Duration::from_millis(0));
    Fixture { keys, server, verifier }
}

impl Fixture {
    fn sign(&self, claims: &Value) -> String {
        self.keys.sign(&self.keys.header(), claims).unwrap()
    }

    async fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        self.verifier.verify(token).await
    }
}

/// Asserts `Invalid` whose message contains `needle`.
#[track_caller]
fn assert_invalid(r: Result<AuthUser, AuthError>, needle: &str) {
    match r {
        Err(AuthError::Invalid(m)) => assert!(m.contains(needle), "Invalid({m:?}) does not mention {needle:?}"),
        other => panic!("expected Invalid(..{needle}..), got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Accepted tokens.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn minted_token_verifies_to_uid_and_tier() {
    let f = fixture().await;
    let token = f.keys.mint(TEST_PROJECT, "student-42", Tier::Pro, now(), 3600).unwrap();
    assert_eq!(f.verify(&token).await, Ok(user("student-42", Tier::Pro)));
    assert_eq!(f.verifier.issuer(), "https://securetoken.google.com/jeevibe-test");
}

#[tokio::test]
async fn tier_claim_absent_is_free_and_each_tier_is_read() {
    let f = fixture().await;
    assert_eq!(f.verify(&f.sign(&claims("u-free"))).await, Ok(user("u-free", Tier::Free)));
    for (name, tier) in [("free", Tier::Free), ("pro", Tier::Pro), ("ultra", Tier::Ultra)] {
        let t = f.sign(&with(claims("u1"), "tier", json!(name)));
        assert_eq!(f.verify(&t).await, Ok(user("u1", tier)), "tier {name}");
    }
}

#[tokio::test]
async fn invalid_tier_claim_is_refused() {
    let f = fixture().await;
    assert_invalid(f.verify(&f.sign(&with(claims("u1"), "tier", json!("gold")))).await, "tier claim \"gold\"");
    assert_invalid(f.verify(&f.sign(&with(claims("u1"), "tier", json!("Pro")))).await, "tier claim \"Pro\"");
    // A non-string tier does not even deserialize.
    assert_invalid(f.verify(&f.sign(&with(claims("u1"), "tier", json!(2)))).await, "JSON error");
}

// ---------------------------------------------------------------------------------------------
// Times.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn expiry_honours_the_leeway() {
    let f = fixture().await;
    let t = now();
    let leeway = LEEWAY as i64;
    // Beyond the leeway: expired.
    let expired = f.sign(&with(claims("u1"), "exp", json!(t - leeway - 1)));
    assert_eq!(f.verify(&expired).await, Err(AuthError::Expired));
    let long_expired = f.sign(&with(claims("u1"), "exp", json!(t - 86_400)));
    assert_eq!(f.verify(&long_expired).await, Err(AuthError::Expired));
    // Exactly at the leeway boundary: exp + leeway == now counts as expired.
    let boundary = f.sign(&with(claims("u1"), "exp", json!(t - leeway)));
    assert_eq!(f.verify(&boundary).await, Err(AuthError::Expired));
    // Just inside the leeway: accepted.
    let inside = f.sign(&with(claims("u1"), "exp", json!(t - leeway + 1)));
    assert_eq!(f.verify(&inside).await, Ok(user("u1", Tier::Free)));
    let inside2 = f.sign(&with(claims("u1"), "exp", json!(t - 1)));
    assert_eq!(f.verify(&inside2).await, Ok(user("u1", Tier::Free)));
}

#[tokio::test]
async fn iat_and_auth_time_in_the_future_are_refused() {
    let f = fixture().await;
    let t = now();
    let leeway = LEEWAY as i64;
    let iat_future = f.sign(&with(claims("u1"), "iat", json!(t + leeway + 1)));
    assert_invalid(f.verify(&iat_future).await, "iat is in the future");
    let auth_future = f.sign(&with(claims("u1"), "auth_time", json!(t + leeway + 1)));
    assert_invalid(f.verify(&auth_future).await, "auth_time is in the future");
    // Within the skew allowance both are accepted.
    let skewed = f.sign(&with(with(claims("u1"), "iat", json!(t + leeway)), "auth_time", json!(t + leeway)));
    assert_eq!(f.verify(&skewed).await, Ok(user("u1", Tier::Free)));
}

#[tokio::test]
async fn missing_time_claims_are_refused() {
    let f = fixture().await;
    for claim in ["exp", "iat", "auth_time"] {
        let mut c = claims("u1");
        c.as_object_mut().unwrap().remove(claim);
        let r = f.verify(&f.sign(&c)).await;
        assert!(matches!(r, Err(AuthError::Invalid(_))), "without {claim}: {r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Audience, issuer, subject.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_audience_is_refused() {
    let f = fixture().await;
    assert_invalid(f.verify(&f.sign(&with(claims("u1"), "aud", json!("other-project")))).await, "InvalidAudience");
    let mut no_aud = claims("u1");
    no_aud.as_object_mut().unwrap().remove("aud");
    assert_invalid(f.verify(&f.sign(&no_aud)).await, "aud");
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let f = fixture().await;
    for iss in [
        "https://securetoken.google.com/other-project",
        "https://accounts.google.com",
        "https://securetoken.google.com/jeevibe-test/",
    ] {
        assert_invalid(f.verify(&f.sign(&with(claims("u1"), "iss", json!(iss)))).await, "InvalidIssuer");
    }
}

#[tokio::test]
async fn subject_must_be_1_to_128_characters() {
    let f = fixture().await;
    assert_invalid(f.verify(&f.sign(&claims(""))).await, "sub: uid must be 1-128 characters");
    let long = "x".repeat(129);
    assert_invalid(f.verify(&f.sign(&claims(&long))).await, "sub: uid must be 1-128 characters");
    let max = "y".repeat(128);
    assert_eq!(f.verify(&f.sign(&claims(&max))).await, Ok(user(&max, Tier::Free)));
    let mut no_sub = claims("u1");
    no_sub.as_object_mut().unwrap().remove("sub");
    assert_invalid(f.verify(&f.sign(&no_sub)).await, "sub");
}

// ---------------------------------------------------------------------------------------------
// Header: kid and alg.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_and_missing_kid_are_refused() {
    let f = fixture().await;
    let mut h = f.keys.header();
    h.kid = Some("no-such-kid".into());
    let unknown = f.keys.sign(&h, &claims("u1")).unwrap();
    assert_invalid(f.verify(&unknown).await, "kid \"no-such-kid\" is not a current signing key");

    let mut h = f.keys.header();
    h.kid = None;
    let missing = f.keys.sign(&h, &claims("u1")).unwrap();
    assert_invalid(f.verify(&missing).await, "token has no kid");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let f = fixture().await;
    let token = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims("u1")));
    assert_invalid(f.verify(&token).await, "malformed token");
    // Also with the trusted kid in the header.
    let token = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": f.keys.kid()})), b64(&claims("u1")));
    assert_invalid(f.verify(&token).await, "malformed token");
}

#[tokio::test]
async fn hs256_token_keyed_with_the_public_modulus_is_refused() {
    // The classic algorithm-confusion attack: HMAC with public key material as the secret.
    let f = fixture().await;
    let n = f.keys.jwks()["keys"][0]["n"].as_str().unwrap().to_owned();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(f.keys.kid().to_owned());
    for secret in [n.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(&n).unwrap()] {
        let token = jsonwebtoken::encode(&h, &claims("u1"), &EncodingKey::from_secret(&secret)).unwrap();
        assert_invalid(f.verify(&token).await, "alg HS256 is not RS256");
    }
    // RS512 with the right key is not accepted either: Firebase tokens are RS256.
    let mut h = f.keys.header();
    h.alg = Algorithm::RS512;
    let rs512 = f.keys.sign(&h, &claims("u1")).unwrap();
    assert_invalid(f.verify(&rs512).await, "alg RS512 is not RS256");
}

// ---------------------------------------------------------------------------------------------
// Signature.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tampered_payload_is_refused() {
    let f = fixture().await;
    let token = f.sign(&claims("alice"));
    assert_eq!(f.verify(&token).await, Ok(user("alice", Tier::Free)));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let forged = format!("{}.{}.{}", parts[0], b64(&claims("mallory")), parts[2]);
    assert_invalid(f.verify(&forged).await, "InvalidSignature");
    let upgraded = format!("{}.{}.{}", parts[0], b64(&with(claims("alice"), "tier", json!("ultra"))), parts[2]);
    assert_invalid(f.verify(&upgraded).await, "InvalidSignature");
}

#[tokio::test]
async fn tampered_signature_is_refused() {
    let f = fixture().await;
    let token = f.sign(&claims("alice"));
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
    assert_eq!(raw.len(), 256, "RS256 with a 2048-bit key");
    for i in [0, 128, 255] {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&bad));
        assert_invalid(f.verify(&forged).await, "InvalidSignature");
    }
    // Truncated and empty signatures.
    raw.truncate(200);
    assert_invalid(f.verify(&format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&raw))).await, "InvalidSignature");
    assert_invalid(f.verify(&format!("{signed}.")).await, "InvalidSignature");
}

#[tokio::test]
async fn other_key_pair_reusing_the_trusted_kid_is_refused() {
    let f = fixture().await;
    let attacker = DevKeys::generate().unwrap();
    assert_ne!(attacker.kid(), f.keys.kid());
    let mut h = attacker.header();
    h.kid = Some(f.keys.kid().to_owned());
    let token = attacker.sign(&h, &claims("u1")).unwrap();
    assert_invalid(f.verify(&token).await, "InvalidSignature");
    // With its own kid it is simply an unknown key.
    let token = attacker.sign(&attacker.header(), &claims("u1")).unwrap();
    assert_invalid(f.verify(&token).await, "is not a current signing key");
}

#[tokio::test]
async fn garbage_is_refused() {
    let f = fixture().await;
    for junk in ["abc", "", "a.b.c", "..", "Bearer x", "eyJhbGciOiJSUzI1NiJ9"] {
        assert_invalid(f.verify(junk).await, "malformed token");
    }
    // No key fetch is needed to refuse a malformed token.
    assert_eq!(f.server.hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// Key cache.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn keys_are_fetched_once_within_max_age() {
    let f = fixture().await;
    assert_eq!(f.server.hits(), 0, "keys are fetched lazily");
    for i in 0..20 {
        let uid = format!("user-{i}");
        let token = f.keys.mint(TEST_PROJECT, &uid, Tier::Free, now(), 3600).unwrap();
        assert_eq!(f.verify(&token).await, Ok(user(&uid, Tier::Free)));
    }
    assert_eq!(f.server.hits(), 1);
}

#[tokio::test]
async fn rotation_refetches_once_for_a_new_kid() {
    let f = fixture().await;
    let old_token = f.sign(&claims("u1"));
    assert_eq!(f.verify(&old_token).await, Ok(user("u1", Tier::Free)));
    assert_eq!(f.server.hits(), 1);

    // Google publishes a new key alongside the old one; tokens signed by it start arriving.
    let new = DevKeys::generate().unwrap();
    let mut both = f.keys.jwks().clone();
    both["keys"].as_array_mut().unwrap().push(new.jwks()["keys"][0].clone());
    f.server.serve(&both);
    let new_token = new.sign(&new.header(), &claims("u2")).unwrap();
    assert_eq!(f.verifier.verify(&new_token).await, Ok(user("u2", Tier::Free)));
    assert_eq!(f.server.hits(), 2, "exactly one refetch for the new kid");
    // Both keys are now cached.
    for _ in 0..5 {
        assert_eq!(f.verify(&new_token).await, Ok(user("u2", Tier::Free)));
        assert_eq!(f.verify(&old_token).await, Ok(user("u1", Tier::Free)));
    }
    assert_eq!(f.server.hits(), 2);

    // The old key is retired: after the next refetch it no longer verifies.
    f.server.serve(new.jwks());
    let newest = DevKeys::generate().unwrap();
    let unknown = newest.sign(&newest.header(), &claims("u3")).unwrap();
    assert_invalid(f.verify(&unknown).await, "is not a current signing key");
    assert_eq!(f.server.hits(), 3);
    assert_invalid(f.verify(&old_token).await, "is not a current signing key");
    assert_eq!(f.verify(&new_token).await, Ok(user("u2", Tier::Free)));
}

#[tokio::test]
async fn unknown_kid_refetch_is_rate_limited_by_min_refresh() {
    let keys = DevKeys::generate().unwrap();
    let server = KeyServer::spawn(keys.jwks(), 300).await;
    let v = verifier(KeySource::Url(server.url.clone()), Duration::from_secs(60));
    let good = keys.mint(TEST_PROJECT, "u1", Tier::Free, now(), 3600).unwrap();
    assert_eq!(v.verify(&good).await, Ok(user("u1", Tier::Free)));
    assert_eq!(server.hits(), 1);
    let stranger = DevKeys::generate().unwrap();
    let token = stranger.sign(&stranger.header(), &claims("u1")).unwrap();
    for _ in 0..10 {
        assert_invalid(v.verify(&token).await, "is not a current signing key");
    }
    assert_eq!(server.hits(), 1, "unknown kids within min_refresh do not hammer the key server");
}

#[tokio::test]
async fn concurrent_first_verifications_fetch_once() {
    let f = Arc::new(fixture().await);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let uid = format!("c{i}");
            let token = f.keys.mint(TEST_PROJECT, &uid, Tier::Ultra, now(), 3600).unwrap();
            assert_eq!(f.verify(&token).await, Ok(user(&uid, Tier::Ultra)));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(f.server.hits(), 1, "single flight");
}

#[tokio::test]
async fn keys_are_refetched_after_max_age_and_stale_keys_survive_an_outage() {
    let keys = DevKeys::generate().unwrap();
    let server = KeyServer::spawn(keys.jwks(), 1).await;
    let v = verifier(KeySource::Url(server.url.clone()), Duration::from_millis(0));
    let token = keys.mint(TEST_PROJECT, "u1", Tier::Free, now(), 3600).unwrap();
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    assert_eq!(server.hits(), 2, "expired cache is refetched");

    // Outage after expiry: the cached key still serves.
    server.fail();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    assert_eq!(server.hits(), 3);
    // But an unknown kid cannot be served from the stale cache.
    let other = DevKeys::generate().unwrap();
    let r = v.verify(&other.sign(&other.header(), &claims("u1")).unwrap()).await;
    match r {
        Err(AuthError::KeysUnavailable(m)) => assert!(m.contains("HTTP 500"), "{m}"),
        other => panic!("expected KeysUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn unreachable_key_server_is_keys_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/keys");
    let v = verifier(KeySource::Url(url.clone()), Duration::from_millis(0));
    let keys = DevKeys::generate().unwrap();
    let token = keys.mint(TEST_PROJECT, "u1", Tier::Free, now(), 3600).unwrap();
    match v.verify(&token).await {
        Err(AuthError::KeysUnavailable(m)) => assert!(m.contains(&format!("GET {url}")), "{m}"),
        other => panic!("expected KeysUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn non_json_key_document_is_keys_unavailable() {
    let server = KeyServer::spawn(&json!("placeholder"), 300).await;
    *server.state.body.lock().unwrap() = Some("<html>not keys</html>".to_owned());
    let v = verifier(KeySource::Url(server.url.clone()), Duration::from_millis(0));
    let keys = DevKeys::generate().unwrap();
    let token = keys.mint(TEST_PROJECT, "u1", Tier::Free, now(), 3600).unwrap();
    match v.verify(&token).await {
        Err(AuthError::KeysUnavailable(m)) => assert!(m.contains("key document is not JSON"), "{m}"),
        other => panic!("expected KeysUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn file_source_verifies_and_rereads_on_rotation() {
    let dir = temp_dir();
    let keys = DevKeys::load_or_generate(&dir).unwrap();
    let (_, jwks_path) = DevKeys::paths(&dir);
    let v = verifier(KeySource::File(jwks_path.clone()), Duration::from_millis(0));
    let token = keys.mint(TEST_PROJECT, "file-user", Tier::Pro, now(), 3600).unwrap();
    assert_eq!(v.verify(&token).await, Ok(user("file-user", Tier::Pro)));

    let new = DevKeys::generate().unwrap();
    std::fs::write(&jwks_path, new.jwks().to_string()).unwrap();
    let new_token = new.mint(TEST_PROJECT, "file-user", Tier::Ultra, now(), 3600).unwrap();
    assert_eq!(v.verify(&new_token).await, Ok(user("file-user", Tier::Ultra)));

    let missing = verifier(KeySource::File(dir.join("nope.json")), Duration::from_millis(0));
    assert!(matches!(missing.verify(&token).await, Err(AuthError::KeysUnavailable(_))));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fixed_clock_moves_tokens_into_expiry() {
    let keys = DevKeys::generate().unwrap();
    let server = KeyServer::spawn(keys.jwks(), 300).await;
    let clock = FixedClock::at(default_now());
    let v = TokenVerifier::new(
        TEST_PROJECT,
        Arc::new(KeyStore::new(KeySource::Url(server.url.clone()), Duration::from_millis(0))),
        Duration::from_secs(LEEWAY),
        Arc::new(clock.clone()),
    );
    let token = keys.mint(TEST_PROJECT, "u1", Tier::Free, now(), 3600).unwrap();
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    clock.set(default_now() + chrono::Duration::seconds(3600 + LEEWAY as i64 - 1));
    assert_eq!(v.verify(&token).await, Ok(user("u1", Tier::Free)));
    clock.set(default_now() + chrono::Duration::seconds(3600 + LEEWAY as i64));
    assert_eq!(v.verify(&token).await, Err(AuthError::Expired));
    assert_eq!(clock.now().timestamp(), now() + 3600 + LEEWAY as i64);
}

// ---------------------------------------------------------------------------------------------
// Google's X.509 certificate map.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn google_x509_certificate_map_is_understood() {
    let dir = temp_dir();
    let keys = DevKeys::load_or_generate(&dir).unwrap();
    let (private_path, _) = DevKeys::paths(&dir);
    let private_pem = std::fs::read_to_string(&private_path).unwrap();
    let pair = rcgen::KeyPair::from_pem_and_sign_algo(&private_pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["securetoken.system.gserviceaccount.com".to_owned()]).unwrap();
    let cert = params.self_signed(&pair).unwrap();
    let cert_pem = cert.pem();
    assert!(cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));

    // Google's document: two current certificates keyed by kid.
    let other_dir = temp_dir();
    let _other = DevKeys::load_or_generate(&other_dir).unwrap();
    let other_pem = std::fs::read_to_string(DevKeys::paths(&other_dir).0).unwrap();
    let other_pair = rcgen::KeyPair::from_pem_and_sign_algo(&other_pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let other_cert = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap().self_signed(&other_pair).unwrap();
    let kid = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2";
    let doc = json!({ kid: cert_pem, "0f0e0d0c0b0a": other_cert.pem() });

    let server = KeyServer::spawn(&doc, 21_600).await;
    let v = verifier(KeySource::Url(server.url.clone()), Duration::from_millis(0));
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_owned());
    let token = keys.sign(&h, &with(claims("x509-user"), "tier", json!("pro"))).unwrap();
    assert_eq!(v.verify(&token).await, Ok(user("x509-user", Tier::Pro)));
    assert_eq!(v.verify(&token).await, Ok(user("x509-user", Tier::Pro)));
    assert_eq!(server.hits(), 1);

    // The right key under the wrong certificate's kid does not verify.
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("0f0e0d0c0b0a".to_owned());
    let crossed = keys.sign(&h, &claims("x509-user")).unwrap();
    assert_invalid(v.verify(&crossed).await, "InvalidSignature");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other_dir);
}

#[tokio::test]
async fn extreme_time_claims_do_not_overflow() {
    let f = fixture().await;
    // exp at the end of time is simply "not expired".
    let far = with(claims("uid-far"), "exp", json!(i64::MAX));
    assert_eq!(f.verify(&f.sign(&far)).await, Ok(user("uid-far", Tier::Free)));
    // iat / auth_time at the start of time are "in the past".
    let early = with(with(claims("uid-early"), "iat", json!(i64::MIN)), "auth_time", json!(i64::MIN));
    assert_eq!(f.verify(&f.sign(&early)).await, Ok(user("uid-early", Tier::Free)));
    // A negative exp is refused (jsonwebtoken reads spec times as unsigned), not a panic.
    let past = with(claims("uid-past"), "exp", json!(i64::MIN));
    assert_invalid(f.verify(&f.sign(&past)).await, "exp");
}
