//! Building an instance from configuration: open the store, set up token verification and
//! the bank cache, and optionally seed the bank.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::ai::{GeminiClient, OpenAiClient};
use crate::auth::{DevKeys, KeySource, KeyStore, TokenVerifier};
use crate::bank::{BankCache, parse_jsonl, storage};
use crate::clock::{Clock, SystemClock};
use crate::config::{AuthKeysConfig, Config, StoreConfig};
use crate::http::AppState;
use crate::http::state::SnapSettings;
use crate::images::ImageLimits;
use crate::jobs::{DisabledQueue, JobDispatcher, JobQueue};
use crate::objects::{ObjectError, ObjectStorage, ObjectsConfig};
use crate::store::sqlite::SqliteStore;
use crate::store::timeout::TimeoutStore;
use crate::store::{DocumentStore, Store};

/// Minimum interval between key refetches triggered by unknown `kid`s.
pub const KEY_REFRESH_COOLDOWN: Duration = Duration::from_secs(5);

/// Opens the configured store, wrapped with the per-call deadline.
///
/// # Errors
/// When the store cannot be opened.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let inner: Store = match &config.store {
        StoreConfig::Sqlite { path } => {
            Arc::new(SqliteStore::open(path).with_context(|| format!("opening SQLite database {}", path.display()))?)
        }
        StoreConfig::Firestore { project_id, database_id } => {
            crate::store::firestore::FirestoreStore::connect(project_id, database_id).await?
        }
    };
    Ok(Arc::new(TimeoutStore::new(inner, config.store_timeout)))
}

/// The key source for the configuration (creating dev keys when asked to).
///
/// # Errors
/// When dev keys cannot be created or read.
pub fn key_source(config: &Config) -> anyhow::Result<KeySource> {
    Ok(match &config.auth_keys {
        AuthKeysConfig::Url(u) => KeySource::Url(u.clone()),
        AuthKeysConfig::File(f) => {
            let body = std::fs::read(f).with_context(|| format!("AUTH_KEYS_FILE {}", f.display()))?;
            crate::auth::keys::parse_keys(&body).map_err(|e| anyhow::anyhow!("AUTH_KEYS_FILE {}: {e}", f.display()))?;
            KeySource::File(f.clone())
        }
        AuthKeysConfig::DevDir(dir) => {
            DevKeys::load_or_generate(dir)?;
            KeySource::File(DevKeys::paths(dir).1)
        }
    })
}

/// Future of [`InstanceParts::jobs`].
pub type JobsFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Arc<dyn JobQueue>>> + Send + 'a>>;

/// Constructors of the parts of an instance that only some functions use: snap image storage,
/// the job queue and the job handlers. They are chosen at compile time (function pointers, not
/// flags) because the linker keeps only code reachable from `main`: a function started with
/// [`InstanceParts::CORE`] links none of object_store's S3 and Cloud Storage clients, the AWS
/// SDK's SQS client, the Pub/Sub publisher, the image codecs or the snap solver, which makes
/// its binary smaller, its start shorter and its resident memory lower (`docs/benchmarks.md`,
/// cold start).
#[derive(Clone, Copy)]
pub struct InstanceParts {
    /// Builds the snap image storage.
    pub objects: fn(&ObjectsConfig) -> Result<ObjectStorage, ObjectError>,
    /// Builds the job queue, whose in-process backend runs jobs with the given dispatcher.
    pub jobs: for<'a> fn(&'a Config, Arc<JobDispatcher>) -> JobsFuture<'a>,
    /// Registers the job handlers this instance runs.
    pub register: fn(&AppState),
}

impl InstanceParts {
    /// Everything (snap-solve, the snapshot fan-out, the all-in-one server, tests): storage
    /// from `SNAP_IMAGES_URL`, the queue from `JOB_QUEUE`, and the handlers of every job kind
    /// ([`register_jobs`]): the SQS and Pub/Sub consumers may receive any kind.
    pub const ALL: InstanceParts =
        InstanceParts { objects: ObjectStorage::from_config, jobs: configured_jobs, register: register_jobs };

    /// A function that stores no snap image, enqueues no job and consumes none
    /// (quiz-generate, quiz-complete, tutor-chat): storage [`ObjectStorage::unused`], a
    /// [`DisabledQueue`], no job handler.
    pub const CORE: InstanceParts =
        InstanceParts { objects: ObjectStorage::unused, jobs: no_jobs, register: |_: &AppState| {} };
}

/// The queue `config.jobs` names (`JOB_QUEUE`); its Pub/Sub client is built only for Pub/Sub.
fn configured_jobs(config: &Config, handlers: Arc<JobDispatcher>) -> JobsFuture<'_> {
    Box::pin(async move {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        config.jobs.build(handlers, reqwest::Client::new, &env).await.context("job queue (JOB_QUEUE)")
    })
}

/// A queue that refuses every job, for [`InstanceParts::CORE`].
fn no_jobs(_config: &Config, _handlers: Arc<JobDispatcher>) -> JobsFuture<'_> {
    Box::pin(async { Ok(Arc::new(DisabledQueue) as Arc<dyn JobQueue>) })
}

/// Builds the state of one instance with every part ([`InstanceParts::ALL`]).
///
/// # Errors
/// When the store or key source cannot be set up.
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    build_state_with(config, InstanceParts::ALL).await
}

/// Builds the state of one instance with `parts`.
///
/// # Errors
/// When the store, the key source or one of the parts cannot be set up.
pub async fn build_state_with(config: &Config, parts: InstanceParts) -> anyhow::Result<AppState> {
    let store = open_store(config).await?;
    state_with_parts(config, store, Arc::new(SystemClock), parts).await
}

/// Builds the state around an existing store and clock (tests) with every part, and
/// registers the job handlers every consumer runs (`snap.solve`, `snapshot.batch`).
///
/// # Errors
/// When the key source, the image storage or the job queue cannot be set up.
pub async fn state_with(config: &Config, store: Store, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    state_with_parts(config, store, clock, InstanceParts::ALL).await
}

/// Builds the state around an existing store and clock with `parts`, and runs its
/// `register`.
///
/// # Errors
/// When the key source, the image storage or the job queue cannot be set up.
pub async fn state_with_parts(
    config: &Config,
    store: Store,
    clock: Arc<dyn Clock>,
    parts: InstanceParts,
) -> anyhow::Result<AppState> {
    let keys = Arc::new(KeyStore::new(key_source(config)?, KEY_REFRESH_COOLDOWN));
    let verifier = Arc::new(TokenVerifier::new(&config.firebase_project_id, keys, config.clock_skew, clock.clone()));
    let objects = (parts.objects)(&config.objects).context("snap image storage (SNAP_IMAGES_URL)")?;
    let job_handlers = Arc::new(JobDispatcher::default());
    let jobs = (parts.jobs)(config, job_handlers.clone()).await?;
    let push_auth = crate::http::jobs_push::push_verifier(config, clock.clone()).context("Pub/Sub push auth")?;
    let state = AppState {
        bank: Arc::new(BankCache::new(store.clone(), config.bank_ttl)),
        profiles: crate::http::state::profile_cache(),
        user_locks: Arc::default(),
        store,
        verifier,
        clock,
        quiz_ttl: config.quiz_ttl,
        max_body_bytes: config.max_body_bytes,
        gemini: GeminiClient::new(config.gemini.clone()),
        openai: OpenAiClient::new(config.openai.clone()),
        objects,
        jobs,
        job_handlers,
        snaps: SnapSettings {
            sync_wait: config.snap_sync_wait,
            image_limits: ImageLimits::default(),
            url_ttl: config.objects.url_ttl,
        },
        push_auth,
    };
    (parts.register)(&state);
    Ok(state)
}

/// Registers the handlers of every job kind with the state's dispatcher.
pub fn register_jobs(state: &AppState) {
    state.job_handlers.register(
        crate::snap::job::KIND,
        Arc::new(crate::snap::job::SolveJobHandler { solver: solver(state), images: state.objects.clone() }),
    );
    state.job_handlers.register(
        crate::snapshot::KIND,
        Arc::new(crate::snapshot::BatchWorker {
            store: state.store.clone(),
            bank: state.bank.clone(),
            clock: state.clock.clone(),
            max_attempts: crate::snapshot::MAX_ATTEMPTS,
        }),
    );
}

/// The snap solver of an instance.
pub fn solver(state: &AppState) -> crate::snap::solve::Solver {
    crate::snap::solve::Solver {
        store: state.store.clone(),
        bank: state.bank.clone(),
        ai: state.gemini.clone(),
        clock: state.clock.clone(),
    }
}

/// Validates a JSONL bank file and imports it.
///
/// # Errors
/// With every invalid line listed (nothing is written then), or on store errors.
pub async fn import_file(store: &dyn DocumentStore, path: &Path) -> anyhow::Result<(usize, String)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let report = parse_jsonl(std::io::BufReader::new(file));
    if !report.errors.is_empty() {
        anyhow::bail!(
            "{}: {} invalid line(s), nothing imported:\n{}",
            path.display(),
            report.errors.len(),
            report.error_text()
        );
    }
    if report.questions.is_empty() {
        anyhow::bail!("{}: no questions; refusing to replace the bank with an empty one", path.display());
    }
    let version = storage::import(store, &report.questions).await?;
    Ok((report.questions.len(), version))
}

/// Imports `path` when the store holds no bank yet.
///
/// # Errors
/// As [`import_file`].
pub async fn seed_if_empty(store: &dyn DocumentStore, path: &Path) -> anyhow::Result<Option<usize>> {
    if storage::read_meta(store).await?.is_some() {
        return Ok(None);
    }
    Ok(Some(import_file(store, path).await?.0))
}

/// Environment variable that turns a function binary into the seeding child of
/// [`seed_if_empty_in_child`]: [`crate::runtime::start`] (and its variants) then imports
/// `JEEVIBE_SEED_FILE` when the store has no bank, prints the [`SeedOutcome`] as one JSON line
/// on stdout and returns instead of serving.
pub const SEED_CHILD_ENV: &str = "JEEVIBE_SEED_CHILD";

/// What the seeding child did: `{"seeded": 8000}`, or `{"seeded": null}` when the store
/// already held a bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeedOutcome {
    /// Questions imported; `None` when a bank was already present.
    pub seeded: Option<usize>,
}

/// [`seed_if_empty`] in a child process: `program` (this binary, `std::env::current_exe()`)
/// started with the caller's environment plus [`SEED_CHILD_ENV`], awaited without blocking
/// the runtime. The import's transient allocations (≈ 60 MB at peak for an 8,000-question
/// bank: the parsed file, the documents, the write batches) then never enter the serving
/// process. Made in this process, even on a thread of its own, they stayed resident: glibc
/// keeps a thread's malloc arena, and the free memory inside it, after the thread ends
/// (12–15 MB more than a bank imported before the start; docs/benchmarks.md, "Memory").
///
/// # Errors
/// When the child cannot be started, fails (the error names its exit status and carries its
/// stderr, which holds its error), or prints no [`SeedOutcome`].
pub async fn seed_if_empty_in_child(program: &Path) -> anyhow::Result<Option<usize>> {
    let mut command = std::process::Command::new(program);
    command.env(SEED_CHILD_ENV, "1").stdin(std::process::Stdio::null());
    let display = program.display().to_string();
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .context("the bank-seed task ended without an answer")?
        .with_context(|| format!("starting the bank-seed process {display}"))?;
    if !output.status.success() {
        anyhow::bail!(
            "seeding the question bank failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcome: SeedOutcome = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .with_context(|| format!("the bank-seed process printed no outcome: {stdout:?}"))?;
    Ok(outcome.seeded)
}

/// The seeding child's work (see [`SEED_CHILD_ENV`]): opens the configured store, imports
/// `config.seed_file` when the store has no bank, and prints the [`SeedOutcome`] line.
///
/// # Errors
/// When no seed file is configured, or as [`open_store`] and [`seed_if_empty`].
pub async fn run_seed_child(config: &Config) -> anyhow::Result<()> {
    let path = config.seed_file.as_deref().context("JEEVIBE_SEED_FILE is not set")?;
    let store = open_store(config).await?;
    let seeded = seed_if_empty(store.as_ref(), path).await?;
    println!("{}", serde_json::to_string(&SeedOutcome { seeded })?);
    Ok(())
}
