//! Test support (feature `testing`): spawn a real instance on a loopback port with an
//! in-memory SQLite store, the sample bank, a fresh RS256 key pair and a settable clock, and
//! talk HTTP to it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::auth::DevKeys;
use crate::clock::FixedClock;
use crate::config::Config;
use crate::domain::Tier;
use crate::http::{AppState, with_common_layers};
use crate::store::Store;
use crate::store::sqlite::SqliteStore;

/// Project id used by test tokens.
pub const TEST_PROJECT: &str = "jeevibe-test";

/// The repository's sample bank.
pub fn sample_bank_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/questions.sample.jsonl")
}

/// A fresh temporary directory.
pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("jeevibe-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Noon IST on 2026-11-28 (a fixed, ordinary instant).
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 6, 30, 0).single().expect("valid")
}

/// A default configuration for [`TEST_PROJECT`] that trusts a fresh RS256 key pair (its JWK Set
/// written to a new temporary directory, also returned).
pub fn keyed_config() -> (Config, DevKeys, PathBuf) {
    let dir = temp_dir();
    let keys = DevKeys::generate().expect("keys");
    let (_, jwks_path) = DevKeys::paths(&dir);
    std::fs::write(&jwks_path, keys.jwks().to_string()).expect("write jwks");
    let config = Config::from_lookup(|k| match k {
        "FIREBASE_PROJECT_ID" => Some(TEST_PROJECT.to_owned()),
        "AUTH_KEYS_FILE" => Some(jwks_path.display().to_string()),
        _ => None,
    })
    .expect("test config");
    (config, keys, dir)
}

/// A running instance.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// Signing keys whose JWKS the instance trusts.
    pub keys: DevKeys,
    /// The instance's clock.
    pub clock: FixedClock,
    /// The instance's store.
    pub store: Store,
    /// Directory holding the JWKS file.
    pub dir: PathBuf,
    /// The instance's state (tests register job handlers on `state.job_handlers`).
    pub state: AppState,
}

/// A parsed response.
#[derive(Debug)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as JSON (`Null` when empty or not JSON).
    pub body: serde_json::Value,
}

impl TestResponse {
    /// The problem `code`, if any.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// Spawns `routes` on [`test_store`] with default settings.
    pub async fn spawn(routes: Router<AppState>) -> TestApp {
        Self::spawn_with(routes, |_| {}).await
    }

    /// Spawns `routes`, letting `tweak` adjust the configuration first.
    pub async fn spawn_with(routes: Router<AppState>, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_on(routes, test_store().await, tweak).await
    }

    /// Spawns `routes` over an existing store.
    pub async fn spawn_on(routes: Router<AppState>, store: Store, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let (mut config, keys, dir) = keyed_config();
        tweak(&mut config);
        let clock = FixedClock::at(default_now());
        let store: Store = Arc::new(crate::store::timeout::TimeoutStore::new(store, config.store_timeout));
        let state = crate::startup::state_with(&config, store.clone(), Arc::new(clock.clone())).await.expect("state");
        let app = with_common_layers(routes, state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
            keys,
            clock,
            store,
            dir,
            state,
        }
    }

    /// A valid token for `uid` at the instance's current time.
    pub fn token(&self, uid: &str, tier: Tier) -> String {
        self.keys.mint(TEST_PROJECT, uid, tier, self.clock.now_secs(), 3600).expect("mint")
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// Reads a response.
    pub async fn read(res: reqwest::Response) -> TestResponse {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        TestResponse { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null) }
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: &str, body: serde_json::Value) -> TestResponse {
        self.send(reqwest::Method::POST, path, Some(token), Some(body)).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: &str) -> TestResponse {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }

    /// Reads a document's fields as JSON (`Null` when missing).
    pub async fn doc_json(&self, path: &str) -> serde_json::Value {
        let p = crate::store::DocPath::parse(path).expect("path");
        match self.store.get(&p, None).await.expect("get") {
            Some(d) => serde_json::Value::Object(d.fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            None => serde_json::Value::Null,
        }
    }
}

impl FixedClock {
    /// Seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        crate::clock::Clock::now(self).timestamp()
    }
}

/// Files a function binary needs to run in a test: a SQLite database holding the sample bank
/// and a JWKS file, plus the keys to mint tokens with.
pub struct InstanceFiles {
    /// Working directory.
    pub dir: PathBuf,
    /// SQLite file.
    pub db: PathBuf,
    /// JWKS file.
    pub jwks: PathBuf,
    /// Signing keys.
    pub keys: DevKeys,
}

impl InstanceFiles {
    /// Creates the files.
    pub async fn create() -> Self {
        let dir = temp_dir();
        let db = dir.join("jeevibe.db");
        let store = SqliteStore::open(&db).expect("sqlite file");
        crate::startup::import_file(&store, &sample_bank_path()).await.expect("import");
        let keys = DevKeys::generate().expect("keys");
        let jwks = dir.join("jwks.json");
        std::fs::write(&jwks, keys.jwks().to_string()).expect("jwks");
        Self { dir, db, jwks, keys }
    }

    /// Environment for a function binary using these files.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FIREBASE_PROJECT_ID", TEST_PROJECT.into()),
            ("JEEVIBE_SQLITE_PATH", self.db.display().to_string()),
            ("AUTH_KEYS_FILE", self.jwks.display().to_string()),
            ("LOG_FORMAT", "json".into()),
        ]
    }

    /// A token valid now.
    pub fn token(&self, uid: &str, tier: Tier) -> String {
        self.keys.mint(TEST_PROJECT, uid, tier, Utc::now().timestamp(), 3600).expect("mint")
    }
}

/// A store that forwards to another until [`FlakyStore::hang`] is called; from then on every
/// call waits 60 s (longer than any store deadline), as an unreachable database would.
pub struct FlakyStore {
    inner: Store,
    hanging: std::sync::atomic::AtomicBool,
}

impl FlakyStore {
    /// Wraps `inner`.
    pub fn new(inner: Store) -> Arc<Self> {
        Arc::new(Self { inner, hanging: std::sync::atomic::AtomicBool::new(false) })
    }

    /// Makes every later call hang.
    pub fn hang(&self) {
        self.hanging.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    async fn gate(&self) {
        if self.hanging.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
}

#[async_trait::async_trait]
impl crate::store::DocumentStore for FlakyStore {
    async fn get_all(
        &self,
        paths: &[crate::store::DocPath],
        mask: Option<&[&str]>,
    ) -> Result<Vec<Option<crate::store::Document>>, crate::store::StoreError> {
        self.gate().await;
        self.inner.get_all(paths, mask).await
    }

    async fn query(&self, q: &crate::store::Query) -> Result<Vec<crate::store::Document>, crate::store::StoreError> {
        self.gate().await;
        self.inner.query(q).await
    }

    async fn commit(&self, writes: Vec<crate::store::Write>) -> Result<(), crate::store::StoreError> {
        self.gate().await;
        self.inner.commit(writes).await
    }

    async fn begin(&self) -> Result<Box<dyn crate::store::Transaction>, crate::store::StoreError> {
        self.gate().await;
        self.inner.begin().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

/// The store the API tests run on: Firestore (a fresh emulator project per call, so tests do
/// not see each other's documents) when `JEEVIBE_TEST_BACKEND=firestore` and
/// `FIRESTORE_EMULATOR_HOST` are set, else in-memory SQLite. The sample bank is imported.
pub async fn test_store() -> Store {
    let store: Store = if std::env::var("JEEVIBE_TEST_BACKEND").as_deref() == Ok("firestore")
        && std::env::var_os("FIRESTORE_EMULATOR_HOST").is_some()
    {
        let project = format!("jv-test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        crate::store::firestore::FirestoreStore::connect(&project, "(default)").await.expect("emulator")
    } else {
        Arc::new(SqliteStore::in_memory().expect("sqlite"))
    };
    crate::startup::import_file(store.as_ref(), &sample_bank_path()).await.expect("sample bank imports");
    store
}
