//! `POST /internal/jobs/pubsub` on a real instance: Google OIDC tokens minted with a key pair
//! generated here, its JWK Set served by a loopback HTTP server the way Google serves
//! `oauth2/v3/certs` (with `Cache-Control: max-age`), and a recording job handler registered
//! on the instance's dispatcher. The last test runs a real push subscription of Google's
//! Pub/Sub emulator through a relay that adds the token Pub/Sub would sign (the emulator does
//! not sign pushes).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shared::auth::DevKeys;
use shared::config::{AuthKeysConfig, PushAuthConfig};
use shared::domain::Tier;
use shared::jobs::{Job, JobFailure, JobHandler, JobQueue, PubSubQueue};
use shared::testing::{TEST_PROJECT, TestApp, TestResponse};
use shared::testing_servers::{free_port, pubsub_emulator};

const ROUTE: &str = "/internal/jobs/pubsub";
const AUDIENCE: &str = "https://jobs.jeevibe.test/internal/jobs/pubsub";
const PUSHER: &str = "pubsub-push@jeevibe-test.iam.gserviceaccount.com";

// ---------------------------------------------------------------------------------------------
// Google's key endpoint, a recording handler, the instance.
// ---------------------------------------------------------------------------------------------

/// Serves `jwks` at `/oauth2/v3/certs` as Google does; `None` answers 500 (an outage).
async fn spawn_certs(jwks: Option<Value>) -> String {
    async fn certs(State(doc): State<Option<Value>>) -> Response {
        match doc {
            Some(d) => (
                [
                    (header::CACHE_CONTROL, "public, max-age=21600, must-revalidate, no-transform"),
                    (header::CONTENT_TYPE, "application/json; charset=UTF-8"),
                ],
                d.to_string(),
            )
                .into_response(),
            None => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down").into_response(),
        }
    }
    let app = Router::new().route("/oauth2/v3/certs", get(certs)).with_state(jwks);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/oauth2/v3/certs")
}

/// Records every job it is given; `fail_first` retryable failures before succeeding.
#[derive(Default)]
struct Recorder {
    jobs: Mutex<Vec<Job>>,
    fail_first: usize,
}

impl Recorder {
    fn jobs(&self) -> Vec<Job> {
        self.jobs.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: Job) -> Result<(), JobFailure> {
        let mut jobs = self.jobs.lock().unwrap();
        jobs.push(job);
        if jobs.len() <= self.fail_first {
            return Err(JobFailure::retryable(format!("attempt {} failed", jobs.len())));
        }
        Ok(())
    }
}

struct Fixture {
    app: TestApp,
    google: DevKeys,
    /// Handler of `test.record` (always succeeds).
    record: Arc<Recorder>,
    /// Handler of `test.flaky` (fails retryably once).
    flaky: Arc<Recorder>,
}

/// An instance whose push route expects [`AUDIENCE`] and, when `service_account`, [`PUSHER`].
async fn fixture_with(service_account: bool) -> Fixture {
    let google = DevKeys::generate().unwrap();
    let certs = spawn_certs(Some(google.jwks().clone())).await;
    let app = TestApp::spawn_with(Router::new(), |c| {
        c.push = PushAuthConfig {
            audience: Some(AUDIENCE.into()),
            service_account: service_account.then(|| PUSHER.into()),
            keys: AuthKeysConfig::Url(certs),
        };
    })
    .await;
    let record = Arc::new(Recorder::default());
    let flaky = Arc::new(Recorder { fail_first: 1, ..Recorder::default() });
    app.state.job_handlers.register("test.record", record.clone());
    app.state.job_handlers.register("test.flaky", flaky.clone());
    Fixture { app, google, record, flaky }
}

async fn fixture() -> Fixture {
    fixture_with(true).await
}

/// The claims of the identity token Pub/Sub attaches for [`PUSHER`], valid at `now`.
fn claims(now: i64) -> Value {
    json!({
        "aud": AUDIENCE,
        "azp": "113774264463038321964",
        "email": PUSHER,
        "email_verified": true,
        "exp": now + 3600,
        "iat": now,
        "iss": "https://accounts.google.com",
        "sub": "113774264463038321964",
    })
}

fn with(mut c: Value, key: &str, v: Value) -> Value {
    c[key] = v;
    c
}

fn without(mut c: Value, key: &str) -> Value {
    c.as_object_mut().unwrap().remove(key);
    c
}

/// The push request body Pub/Sub sends for `job`'s envelope.
fn envelope(job: &Job, delivery_attempt: Option<u32>) -> Value {
    let mut e = json!({
        "message": {
            "data": BASE64.encode(serde_json::to_vec(job).unwrap()),
            "attributes": {"kind": job.kind, "id": job.id},
            "messageId": "2070443601311540",
            "message_id": "2070443601311540",
            "publishTime": "2026-11-28T06:29:59.000Z",
            "publish_time": "2026-11-28T06:29:59.000Z",
        },
        "subscription": "projects/jeevibe-test/subscriptions/jobs-push",
    });
    if let Some(n) = delivery_attempt {
        e["deliveryAttempt"] = json!(n);
    }
    e
}

impl Fixture {
    fn now(&self) -> i64 {
        self.app.clock.now_secs()
    }

    fn sign(&self, claims: &Value) -> String {
        self.google.sign(&self.google.header(), claims).unwrap()
    }

    fn token(&self) -> String {
        self.sign(&claims(self.now()))
    }

    async fn push_raw(&self, token: Option<&str>, body: Vec<u8>) -> TestResponse {
        let mut req = self
            .app
            .client
            .post(format!("{}{ROUTE}", self.app.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        TestApp::read(req.send().await.unwrap()).await
    }

    async fn push(&self, token: Option<&str>, body: &Value) -> TestResponse {
        self.push_raw(token, body.to_string().into_bytes()).await
    }
}

#[track_caller]
fn assert_problem(r: &TestResponse, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{:?}", r.body);
    assert_eq!(r.code(), code, "{:?}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

// ---------------------------------------------------------------------------------------------
// Accepted pushes.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn good_token_runs_the_job_once_and_acknowledges() {
    let f = fixture().await;
    let job = Job::new("test.record", "snap:01JPUSH", json!({"snap_id": "01JPUSH", "n": [1, 2]}));
    let r = f.push(Some(&f.token()), &envelope(&job, Some(3))).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(r.body, Value::Null, "204 has no body");
    let seen = f.record.jobs();
    assert_eq!(seen, vec![Job { attempt: 3, ..job.clone() }], "decoded once, attempt from deliveryAttempt");

    // Without deliveryAttempt the producer's attempt (1) stands.
    let r = f.push(Some(&f.token()), &envelope(&job, None)).await;
    assert_eq!(r.status, 204);
    assert_eq!(f.record.jobs().last(), Some(&job));
    assert_eq!(f.record.jobs().len(), 2);
    assert!(f.flaky.jobs().is_empty());
}

#[tokio::test]
async fn both_google_issuers_and_skewed_times_are_accepted() {
    let f = fixture().await;
    let job = Job::new("test.record", "j1", json!({}));
    let now = f.now();
    for c in [
        with(claims(now), "iss", json!("accounts.google.com")),
        // Expired 30 s ago and issued 30 s ahead: inside the 60 s skew.
        with(with(claims(now), "exp", json!(now - 30)), "iat", json!(now - 3000)),
        with(claims(now), "iat", json!(now + 30)),
        // Service account emails compare case-insensitively.
        with(claims(now), "email", json!(PUSHER.to_uppercase())),
    ] {
        let r = f.push(Some(&f.sign(&c)), &envelope(&job, None)).await;
        assert_eq!(r.status, 204, "{c} -> {:?}", r.body);
    }
    assert_eq!(f.record.jobs().len(), 4);
}

#[tokio::test]
async fn retryable_failure_is_not_acknowledged_then_redelivery_succeeds() {
    let f = fixture().await;
    let job = Job::new("test.flaky", "snapshot:2026-W48:17", json!({"week": "2026-W48"}));
    let r = f.push(Some(&f.token()), &envelope(&job, Some(1))).await;
    assert_problem(&r, 503, "job_failed");
    let r = f.push(Some(&f.token()), &envelope(&job, Some(2))).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let attempts: Vec<u32> = f.flaky.jobs().iter().map(|j| j.attempt).collect();
    assert_eq!(attempts, vec![1, 2]);
    assert!(f.flaky.jobs().iter().all(|j| j.id == "snapshot:2026-W48:17"));
}

#[tokio::test]
async fn unknown_kind_is_a_permanent_failure_and_acknowledged() {
    let f = fixture().await;
    let r = f.push(Some(&f.token()), &envelope(&Job::new("test.nobody", "x1", json!({})), None)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert!(f.record.jobs().is_empty() && f.flaky.jobs().is_empty());
}

#[tokio::test]
async fn bodies_that_are_not_jobs_are_400() {
    let f = fixture().await;
    let t = f.token();
    let bodies: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        json!({"subscription": "s"}).to_string().into_bytes(),
        json!({"message": {"attributes": {}}}).to_string().into_bytes(),
        json!({"message": {"data": "%%% not base64"}}).to_string().into_bytes(),
        json!({"message": {"data": BASE64.encode(b"{\"kind\": 7}")}}).to_string().into_bytes(),
        Vec::new(),
    ];
    for body in bodies {
        let r = f.push_raw(Some(&t), body.clone()).await;
        assert_problem(&r, 400, "malformed_body");
        assert!(r.body["detail"].as_str().unwrap().contains("Pub/Sub push envelope"), "{:?}", r.body);
    }
    assert!(f.record.jobs().is_empty());
}

#[tokio::test]
async fn a_push_larger_than_max_body_bytes_is_accepted() {
    // The JSON routes stop at MAX_BODY_BYTES (64 KiB); the push route takes any Pub/Sub message.
    let f = fixture().await;
    let job = Job::new("test.record", "big", json!({"blob": "x".repeat(200 * 1024)}));
    let body = envelope(&job, None);
    assert!(body.to_string().len() > 256 * 1024);
    let r = f.push(Some(&f.token()), &body).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(f.record.jobs(), vec![job]);
    // A JSON route of the same instance still refuses that size.
    let r = f.app.send(reqwest::Method::POST, "/v1/anything", None, Some(json!({"b": "x".repeat(70_000)}))).await;
    assert_problem(&r, 413, "payload_too_large");
}

// ---------------------------------------------------------------------------------------------
// Refused pushes: 401 and the handler never runs.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refused_tokens_are_401_and_nothing_runs() {
    let f = fixture().await;
    let now = f.now();
    let job = Job::new("test.record", "never", json!({}));
    let body = envelope(&job, None);

    // No token, and a token under another scheme.
    assert_problem(&f.push(None, &body).await, 401, "missing_token");
    let r = f
        .app
        .client
        .post(format!("{}{ROUTE}", f.app.base))
        .header(header::AUTHORIZATION, format!("Basic {}", f.token()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let r = TestApp::read(r).await;
    assert_problem(&r, 401, "missing_token");
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"jeevibe\""));

    let expired = f.sign(&with(with(claims(now), "exp", json!(now - 61)), "iat", json!(now - 3661)));
    let r = f.push(Some(&expired), &body).await;
    assert_problem(&r, 401, "token_expired");
    assert!(r.header("www-authenticate").unwrap().contains("invalid_token"));

    // Another key pair with the same kid: the signature does not verify.
    let other = DevKeys::generate().unwrap();
    let forged = other.sign(&f.google.header(), &claims(now)).unwrap();
    // A Firebase ID token from the instance's own Firebase keys (another key set).
    let firebase = f.app.token("student-1", Tier::Pro);
    // A Firebase-shaped token signed with the Google key: refused on its claims.
    let firebase_shaped = f.sign(&json!({
        "iss": format!("https://securetoken.google.com/{TEST_PROJECT}"), "aud": TEST_PROJECT, "sub": "student-1",
        "exp": now + 3600, "iat": now, "auth_time": now,
    }));
    let header_none = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let unsigned = format!("{header_none}.{}.", URL_SAFE_NO_PAD.encode(claims(now).to_string()));
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(f.google.kid().to_owned());
    let hs256 = jsonwebtoken::encode(&hs, &claims(now), &EncodingKey::from_secret(b"secret")).unwrap();
    let mut no_kid = f.google.header();
    no_kid.kid = None;

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong audience",
            f.sign(&with(claims(now), "aud", json!("https://elsewhere.example/push"))),
            "InvalidAudience",
        ),
        ("project id as audience", f.sign(&with(claims(now), "aud", json!(TEST_PROJECT))), "InvalidAudience"),
        ("wrong issuer", f.sign(&with(claims(now), "iss", json!("https://accounts.example.com"))), "InvalidIssuer"),
        ("wrong email", f.sign(&with(claims(now), "email", json!("intruder@evil.iam.gserviceaccount.com"))), "email"),
        ("email not verified", f.sign(&with(claims(now), "email_verified", json!(false))), "email_verified"),
        ("email_verified missing", f.sign(&without(claims(now), "email_verified")), "email_verified"),
        ("no email", f.sign(&without(claims(now), "email")), "no email claim"),
        ("no exp", f.sign(&without(claims(now), "exp")), "exp"),
        ("iat in the future", f.sign(&with(claims(now), "iat", json!(now + 120))), "iat is in the future"),
        ("forged signature", forged, "InvalidSignature"),
        ("unsigned alg none", unsigned, "malformed token"),
        ("HS256", hs256, "not RS256"),
        ("no kid", f.google.sign(&no_kid, &claims(now)).unwrap(), "no kid"),
        ("Firebase ID token", firebase, "not a current signing key"),
        ("Firebase-shaped token", firebase_shaped, "Invalid"),
        ("garbage", "abc.def".to_owned(), "malformed token"),
    ];
    for (name, token, needle) in cases {
        let r = f.push(Some(&token), &body).await;
        assert_problem(&r, 401, "invalid_token");
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(needle), "{name}: {detail:?} does not mention {needle:?}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer error=\"invalid_token\""), "{name}");
    }
    assert!(f.record.jobs().is_empty(), "no refused push ran a job");
}

#[tokio::test]
async fn without_a_service_account_any_google_token_for_the_audience_passes() {
    let f = fixture_with(false).await;
    let now = f.now();
    let job = Job::new("test.record", "j", json!({}));
    let other = f.sign(&without(with(claims(now), "email", json!("someone@else.example")), "email_verified"));
    assert_eq!(f.push(Some(&other), &envelope(&job, None)).await.status, 204);
    let wrong_aud = f.sign(&with(claims(now), "aud", json!("https://elsewhere.example")));
    assert_problem(&f.push(Some(&wrong_aud), &envelope(&job, None)).await, 401, "invalid_token");
    assert_eq!(f.record.jobs().len(), 1);
}

#[tokio::test]
async fn unconfigured_route_refuses_everything_with_503() {
    let app = TestApp::spawn(Router::new()).await;
    let record = Arc::new(Recorder::default());
    app.state.job_handlers.register("test.record", record.clone());
    let google = DevKeys::generate().unwrap();
    let token = google.sign(&google.header(), &claims(app.clock.now_secs())).unwrap();
    let body = envelope(&Job::new("test.record", "j", json!({})), None);
    for t in [None, Some(token.as_str()), Some(app.token("u1", Tier::Free).as_str())] {
        let mut req = app.client.post(format!("{}{ROUTE}", app.base)).json(&body);
        if let Some(t) = t {
            req = req.bearer_auth(t);
        }
        let r = TestApp::read(req.send().await.unwrap()).await;
        assert_problem(&r, 503, "push_not_configured");
    }
    assert!(record.jobs().is_empty());
    // Only POST is routed.
    let r = app.send(reqwest::Method::GET, ROUTE, None, None).await;
    assert_problem(&r, 405, "method_not_allowed");
}

#[tokio::test]
async fn unreachable_google_keys_are_503_so_pubsub_retries() {
    let certs = spawn_certs(None).await;
    let app = TestApp::spawn_with(Router::new(), |c| {
        c.push = PushAuthConfig {
            audience: Some(AUDIENCE.into()),
            service_account: Some(PUSHER.into()),
            keys: AuthKeysConfig::Url(certs),
        };
    })
    .await;
    let record = Arc::new(Recorder::default());
    app.state.job_handlers.register("test.record", record.clone());
    let google = DevKeys::generate().unwrap();
    let token = google.sign(&google.header(), &claims(app.clock.now_secs())).unwrap();
    let r = app
        .client
        .post(format!("{}{ROUTE}", app.base))
        .bearer_auth(token)
        .json(&envelope(&Job::new("test.record", "j", json!({})), None))
        .send()
        .await
        .unwrap();
    let r = TestApp::read(r).await;
    assert_problem(&r, 503, "auth_keys_unavailable");
    assert!(record.jobs().is_empty());
}

// ---------------------------------------------------------------------------------------------
// End to end through Google's Pub/Sub emulator.
// ---------------------------------------------------------------------------------------------

/// What stands in for Pub/Sub's signing front end: forwards the emulator's push to the instance
/// with a freshly minted Google OIDC token and answers with the instance's status.
#[derive(Clone)]
struct Relay {
    target: String,
    google: DevKeys,
    now: i64,
    client: reqwest::Client,
    statuses: Arc<Mutex<Vec<u16>>>,
}

async fn relay(State(r): State<Relay>, body: axum::body::Bytes) -> axum::http::StatusCode {
    let token = r.google.sign(&r.google.header(), &claims(r.now)).unwrap();
    let res = r
        .client
        .post(&r.target)
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    r.statuses.lock().unwrap().push(res.status().as_u16());
    axum::http::StatusCode::from_u16(res.status().as_u16()).unwrap()
}

#[tokio::test]
async fn emulator_push_subscription_delivers_through_the_route() {
    let Some(emulator) = pubsub_emulator() else { return };
    let f = fixture().await;
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let state = Relay {
        target: format!("{}{ROUTE}", f.app.base),
        google: f.google.clone(),
        now: f.now(),
        client: reqwest::Client::new(),
        statuses: statuses.clone(),
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let relay_url = format!("http://{}/push", listener.local_addr().unwrap());
    let app = Router::new().route("/push", post(relay)).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let base = format!("http://{}", emulator.host);
    let http = reqwest::Client::new();
    let project = format!("push-{}", free_port());
    let topic = format!("projects/{project}/topics/jobs");
    let subscription = format!("projects/{project}/subscriptions/jobs-push");
    let res = http.put(format!("{base}/v1/{topic}")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = http
        .put(format!("{base}/v1/{subscription}"))
        .json(&json!({"topic": topic, "ackDeadlineSeconds": 10, "pushConfig": {"pushEndpoint": relay_url}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let queue = PubSubQueue::new(http.clone(), &base, &topic, false).unwrap();
    let ok = Job::new("test.record", "snap:01JEMU", json!({"snap_id": "01JEMU"}));
    let flaky = Job::new("test.flaky", "snapshot:2026-W48:3", json!({"week": "2026-W48"}));
    queue.enqueue_batch(vec![ok.clone(), flaky.clone()]).await.unwrap();

    // The flaky job is nacked once (503) and redelivered by the emulator.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while (f.record.jobs().is_empty() || f.flaky.jobs().len() < 2) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(f.record.jobs(), vec![ok]);
    let flaky_runs = f.flaky.jobs();
    assert_eq!(flaky_runs.len(), 2, "nacked once, then redelivered: {flaky_runs:?}");
    assert!(flaky_runs.iter().all(|j| j.id == flaky.id && j.payload == flaky.payload));
    let mut seen = statuses.lock().unwrap().clone();
    seen.sort_unstable();
    assert_eq!(seen, vec![204, 204, 503], "two acks and one nack");
}
