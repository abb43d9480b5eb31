//! Configuration from environment variables, validated once at start. Every variable, its
//! default and its meaning is listed in the README ("Configuration").

use std::path::PathBuf;
use std::time::Duration;

/// Which store backend to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Embedded SQLite file.
    Sqlite {
        /// Database file.
        path: PathBuf,
    },
    /// Google Cloud Firestore (or its emulator when `FIRESTORE_EMULATOR_HOST` is set).
    Firestore {
        /// GCP project id.
        project_id: String,
        /// Database id (`(default)` unless set).
        database_id: String,
    },
}

/// Where ID-token signing keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthKeysConfig {
    /// An HTTP(S) URL (Google's certificates by default).
    Url(String),
    /// A JWK Set or certificate-map file.
    File(PathBuf),
    /// A local development key pair in this directory (generated when missing).
    DevDir(PathBuf),
}

/// Authentication of Pub/Sub push requests to `POST /internal/jobs/pubsub` (Google-signed
/// OIDC identity tokens, [`crate::auth::google_oidc`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAuthConfig {
    /// Expected `aud` (`PUSH_AUDIENCE`): the push subscription's OIDC audience. Unset, the route
    /// answers 503 to every request.
    pub audience: Option<String>,
    /// Expected `email` (`PUSH_SERVICE_ACCOUNT`): the subscription's service account; unset,
    /// any Google-signed token for the audience is accepted.
    pub service_account: Option<String>,
    /// Google's signing keys (`GOOGLE_OIDC_KEYS_URL`, default
    /// [`GOOGLE_OIDC_CERTS_URL`](crate::auth::google_oidc::GOOGLE_OIDC_CERTS_URL), or
    /// `GOOGLE_OIDC_KEYS_FILE`).
    pub keys: AuthKeysConfig,
}

impl Default for PushAuthConfig {
    fn default() -> Self {
        Self {
            audience: None,
            service_account: None,
            keys: AuthKeysConfig::Url(crate::auth::google_oidc::GOOGLE_OIDC_CERTS_URL.to_owned()),
        }
    }
}

impl PushAuthConfig {
    /// Reads `PUSH_AUDIENCE`, `PUSH_SERVICE_ACCOUNT`, `GOOGLE_OIDC_KEYS_URL` and
    /// `GOOGLE_OIDC_KEYS_FILE` through `get`.
    ///
    /// # Errors
    /// One line per problem: both key sources set, a key URL that is not http(s), a service
    /// account that is not an email address or is set without an audience.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let audience = get("PUSH_AUDIENCE");
        let service_account = get("PUSH_SERVICE_ACCOUNT");
        if let Some(sa) = &service_account {
            if !sa.contains('@') || sa.chars().any(char::is_whitespace) {
                errors.push(format!("  PUSH_SERVICE_ACCOUNT={sa:?}: expected a service account email"));
            }
            if audience.is_none() {
                errors.push("  PUSH_SERVICE_ACCOUNT is set without PUSH_AUDIENCE (the push route stays closed)".into());
            }
        }
        let keys = match (get("GOOGLE_OIDC_KEYS_URL"), get("GOOGLE_OIDC_KEYS_FILE")) {
            (Some(_), Some(_)) => {
                errors.push("  set at most one of GOOGLE_OIDC_KEYS_URL, GOOGLE_OIDC_KEYS_FILE".into());
                Self::default().keys
            }
            (Some(url), None) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    errors.push(format!("  GOOGLE_OIDC_KEYS_URL={url:?}: must be an http(s) URL"));
                }
                AuthKeysConfig::Url(url)
            }
            (None, Some(file)) => AuthKeysConfig::File(file.into()),
            (None, None) => Self::default().keys,
        };
        if errors.is_empty() { Ok(Self { audience, service_account, keys }) } else { Err(errors) }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (Lambda, Cloud Run).
    Json,
    /// Human-readable (local).
    Pretty,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port for the HTTP path (`PORT`, default 8080).
    pub port: u16,
    /// Address the HTTP path listens on (`JEEVIBE_LISTEN_IP`, default `0.0.0.0`, which Cloud
    /// Run needs; `127.0.0.1` keeps a local server off the network).
    pub listen_ip: std::net::IpAddr,
    /// Store.
    pub store: StoreConfig,
    /// Firebase project whose ID tokens are accepted (`FIREBASE_PROJECT_ID`).
    pub firebase_project_id: String,
    /// Key source.
    pub auth_keys: AuthKeysConfig,
    /// Allowed clock skew for token times (`AUTH_CLOCK_SKEW_SECS`, default 60, max 300).
    pub clock_skew: Duration,
    /// How often the in-memory bank re-checks its version (`QUESTION_BANK_TTL_SECS`, default 300).
    pub bank_ttl: Duration,
    /// How long a generated quiz can be completed (`QUIZ_TTL_HOURS`, default 24).
    pub quiz_ttl: Duration,
    /// Largest accepted request body (`MAX_BODY_BYTES`, default 65536).
    pub max_body_bytes: usize,
    /// Deadline for every store call (`STORE_TIMEOUT_MS`, default 10000: the seed's 10 s).
    pub store_timeout: Duration,
    /// Log format (`LOG_FORMAT` = json | pretty; default json on Lambda/Cloud Run, else pretty).
    pub log_format: LogFormat,
    /// JSONL bank to import at start when the store has no bank (`JEEVIBE_SEED_FILE`).
    pub seed_file: Option<PathBuf>,
    /// Gemini client (`GEMINI_*`), used by snap-solve.
    pub gemini: crate::ai::GeminiConfig,
    /// OpenAI-compatible chat client and per-tier tutor settings (`OPENAI_*`, `TUTOR_*`).
    pub openai: crate::ai::OpenAiConfig,
    /// Snap image storage (`SNAP_IMAGES_*`).
    pub objects: crate::objects::ObjectsConfig,
    /// Job queue (`JOB_QUEUE`, `JOB_QUEUE_URL`, `JOB_QUEUE_TOPIC`, `JOB_WORKERS`).
    pub jobs: crate::jobs::JobsConfig,
    /// How long `POST /v1/snaps` waits for the solution before answering `202 Accepted`
    /// (`SNAP_SYNC_WAIT_MS`, default 20000: the seed's image-processing timeout; 100–60000).
    pub snap_sync_wait: Duration,
    /// Pub/Sub push authentication (`PUSH_AUDIENCE`, `PUSH_SERVICE_ACCOUNT`,
    /// `GOOGLE_OIDC_KEYS_URL` / `GOOGLE_OIDC_KEYS_FILE`).
    pub push: PushAuthConfig,
}

/// All configuration problems found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
    ok: impl Fn(&T) -> bool,
    errors: &mut Vec<String>,
) -> T {
    match get(key) {
        None => default,
        Some(raw) => match raw.trim().parse::<T>() {
            Ok(v) if ok(&v) => v,
            _ => {
                errors.push(format!("  {key}={raw:?}: out of range or not a number"));
                default
            }
        },
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads configuration through `get` (tests pass a map).
    ///
    /// # Errors
    /// [`ConfigError`] listing every invalid variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut errors = Vec::new();
        let port = number(&get, "PORT", 8080u16, |_| true, &mut errors);
        let listen_ip = number(&get, "JEEVIBE_LISTEN_IP", std::net::IpAddr::from([0, 0, 0, 0]), |_| true, &mut errors);
        let project = get("FIREBASE_PROJECT_ID").unwrap_or_else(|| "jeevibe-dev".to_owned());
        let project_ok = (4..=30).contains(&project.len())
            && project.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !project_ok {
            errors.push(format!("  FIREBASE_PROJECT_ID={project:?}: a project id is 4-30 characters of [a-z0-9-]"));
        }
        let store = match get("JEEVIBE_STORE").as_deref().unwrap_or("sqlite") {
            "sqlite" => StoreConfig::Sqlite {
                path: get("JEEVIBE_SQLITE_PATH").unwrap_or_else(|| ".dev/jeevibe.db".into()).into(),
            },
            "firestore" => match get("FIRESTORE_PROJECT_ID").or_else(|| get("GOOGLE_CLOUD_PROJECT")) {
                Some(project_id) => StoreConfig::Firestore {
                    project_id,
                    database_id: get("FIRESTORE_DATABASE_ID").unwrap_or_else(|| "(default)".into()),
                },
                None => {
                    errors
                        .push("  JEEVIBE_STORE=firestore needs FIRESTORE_PROJECT_ID (or GOOGLE_CLOUD_PROJECT)".into());
                    StoreConfig::Sqlite { path: PathBuf::new() }
                }
            },
            other => {
                errors.push(format!("  JEEVIBE_STORE={other:?}: expected sqlite or firestore"));
                StoreConfig::Sqlite { path: PathBuf::new() }
            }
        };
        let sources = [get("AUTH_KEYS_URL"), get("AUTH_KEYS_FILE"), get("JEEVIBE_DEV_KEYS_DIR")];
        if sources.iter().filter(|s| s.is_some()).count() > 1 {
            errors.push("  set at most one of AUTH_KEYS_URL, AUTH_KEYS_FILE, JEEVIBE_DEV_KEYS_DIR".into());
        }
        let auth_keys = match sources {
            [Some(url), _, _] => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    errors.push(format!("  AUTH_KEYS_URL={url:?}: must be an http(s) URL"));
                }
                AuthKeysConfig::Url(url)
            }
            [None, Some(file), _] => AuthKeysConfig::File(file.into()),
            [None, None, Some(dir)] => AuthKeysConfig::DevDir(dir.into()),
            [None, None, None] => AuthKeysConfig::Url(crate::auth::keys::GOOGLE_X509_URL.to_owned()),
        };
        let clock_skew = Duration::from_secs(number(&get, "AUTH_CLOCK_SKEW_SECS", 60u64, |v| *v <= 300, &mut errors));
        let bank_ttl = Duration::from_secs(number(&get, "QUESTION_BANK_TTL_SECS", 300u64, |v| *v >= 1, &mut errors));
        let quiz_ttl =
            Duration::from_secs(3600 * number(&get, "QUIZ_TTL_HOURS", 24u64, |v| (1..=720).contains(v), &mut errors));
        let max_body_bytes =
            number(&get, "MAX_BODY_BYTES", 65_536usize, |v| (1_024..=10_485_760).contains(v), &mut errors);
        let store_timeout = Duration::from_millis(number(
            &get,
            "STORE_TIMEOUT_MS",
            10_000u64,
            |v| (10..=60_000).contains(v),
            &mut errors,
        ));
        let on_cloud = get("AWS_LAMBDA_FUNCTION_NAME").is_some() || get("K_SERVICE").is_some();
        let log_format = match get("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            None if on_cloud => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(other) => {
                errors.push(format!("  LOG_FORMAT={other:?}: expected json or pretty"));
                LogFormat::Pretty
            }
        };
        let seed_file = get("JEEVIBE_SEED_FILE").map(PathBuf::from);
        let gemini = crate::ai::GeminiConfig::from_lookup(&get).unwrap_or_else(|e| {
            errors.extend(e);
            crate::ai::GeminiConfig::default()
        });
        let openai = crate::ai::OpenAiConfig::from_lookup(&get).unwrap_or_else(|e| {
            errors.extend(e);
            crate::ai::OpenAiConfig::default()
        });
        let objects = crate::objects::ObjectsConfig::from_lookup(&get).unwrap_or_else(|e| {
            errors.extend(e);
            crate::objects::ObjectsConfig::default()
        });
        let jobs = crate::jobs::JobsConfig::from_lookup(&get).unwrap_or_else(|e| {
            errors.extend(e);
            crate::jobs::JobsConfig::default()
        });
        let snap_sync_wait = Duration::from_millis(number(
            &get,
            "SNAP_SYNC_WAIT_MS",
            20_000u64,
            |v| (100..=60_000).contains(v),
            &mut errors,
        ));
        let push = PushAuthConfig::from_lookup(&get).unwrap_or_else(|e| {
            errors.extend(e);
            PushAuthConfig::default()
        });
        if errors.is_empty() {
            Ok(Config {
                port,
                listen_ip,
                store,
                firebase_project_id: project,
                auth_keys,
                clock_skew,
                bank_ttl,
                quiz_ttl,
                max_body_bytes,
                store_timeout,
                log_format,
                seed_file,
                gemini,
                openai,
                objects,
                jobs,
                snap_sync_wait,
                push,
            })
        } else {
            Err(ConfigError(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.store, StoreConfig::Sqlite { path: ".dev/jeevibe.db".into() });
        assert_eq!(c.auth_keys, AuthKeysConfig::Url(crate::auth::keys::GOOGLE_X509_URL.into()));
        assert_eq!(c.store_timeout, Duration::from_secs(10));
        assert_eq!(c.push, PushAuthConfig::default());
        assert_eq!(c.push.keys, AuthKeysConfig::Url("https://www.googleapis.com/oauth2/v3/certs".into()));
    }

    #[test]
    fn push_auth() {
        let c = cfg(&[
            ("PUSH_AUDIENCE", "https://api.example.com/internal/jobs/pubsub"),
            ("PUSH_SERVICE_ACCOUNT", "pusher@p1.iam.gserviceaccount.com"),
            ("GOOGLE_OIDC_KEYS_FILE", "/tmp/google.json"),
        ])
        .unwrap();
        assert_eq!(c.push.audience.as_deref(), Some("https://api.example.com/internal/jobs/pubsub"));
        assert_eq!(c.push.service_account.as_deref(), Some("pusher@p1.iam.gserviceaccount.com"));
        assert_eq!(c.push.keys, AuthKeysConfig::File("/tmp/google.json".into()));
        let text = cfg(&[
            ("PUSH_SERVICE_ACCOUNT", "pusher"),
            ("GOOGLE_OIDC_KEYS_URL", "ftp://x"),
            ("GOOGLE_OIDC_KEYS_FILE", "/tmp/google.json"),
        ])
        .unwrap_err()
        .to_string();
        for needle in
            ["PUSH_SERVICE_ACCOUNT=\"pusher\"", "without PUSH_AUDIENCE", "at most one of GOOGLE_OIDC_KEYS_URL"]
        {
            assert!(text.contains(needle), "{text}");
        }
        let url = cfg(&[("PUSH_AUDIENCE", "a"), ("GOOGLE_OIDC_KEYS_URL", "ftp://x")]).unwrap_err().to_string();
        assert!(url.contains("GOOGLE_OIDC_KEYS_URL=\"ftp://x\": must be an http(s) URL"), "{url}");
    }

    #[test]
    fn reports_every_problem() {
        let e = cfg(&[
            ("PORT", "http"),
            ("JEEVIBE_STORE", "mongo"),
            ("FIREBASE_PROJECT_ID", "X"),
            ("AUTH_KEYS_URL", "a"),
            ("AUTH_KEYS_FILE", "b"),
        ])
        .unwrap_err();
        let text = e.to_string();
        for needle in ["PORT", "JEEVIBE_STORE", "FIREBASE_PROJECT_ID", "at most one of"] {
            assert!(text.contains(needle), "{text}");
        }
    }
}
