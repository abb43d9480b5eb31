//! The runtime adapter: one router, two ways to serve it.
//!
//! * On AWS Lambda (`AWS_LAMBDA_RUNTIME_API` is set, also under `cargo lambda watch`), our
//!   own adapter over `lambda_runtime` ([`lambda`]) receives each event as raw JSON, answers
//!   API Gateway REST (v1) and HTTP API (v2) events, Lambda function URLs and ALB events with
//!   the router on every stage name, and passes any other event to the binary's
//!   [`LambdaEventHandler`] (see [`start_with`]). HTTP answers are one buffered document,
//!   or, with `JEEVIBE_LAMBDA_RESPONSE_STREAMING=true` (for a function URL with `InvokeMode:
//!   RESPONSE_STREAM`), streamed as they are produced ([`lambda_stream`]).
//! * Elsewhere (Cloud Run, a VM, a laptop) it serves HTTP/1.1 on `0.0.0.0:$PORT` and shuts
//!   down gracefully on SIGTERM (Cloud Run sends it 10 s before SIGKILL) or Ctrl-C, finishing
//!   requests in flight.

pub mod lambda;
pub mod lambda_event;
pub mod lambda_response;
pub mod lambda_stream;
pub mod stage;
pub mod uri_escape;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::{AppState, with_common_layers};
pub use crate::startup::InstanceParts;
pub use lambda::{EventError, LambdaApp, LambdaEventHandler};
pub use lambda_stream::{RESPONSE_STREAMING_ENV, ResponseMode};

/// True when running inside a Lambda execution environment.
pub fn on_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Resolves when SIGTERM or Ctrl-C arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}

/// Serves `app` on `listener` until SIGTERM / Ctrl-C.
///
/// # Errors
/// I/O errors of the server.
pub async fn serve_http(app: Router, listener: TcpListener) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs `app` on Lambda or on `port`, whichever this environment is.
///
/// # Errors
/// Runtime or bind errors.
pub async fn run(app: Router, port: u16) -> anyhow::Result<()> {
    run_with(app, SocketAddr::from(([0, 0, 0, 0], port)), None).await
}

/// [`run`] on `addr`, with `events` answering the non-HTTP events on Lambda (unused over plain
/// HTTP).
/// On Lambda, [`RESPONSE_STREAMING_ENV`] is read once here and decides the [`ResponseMode`].
///
/// # Errors
/// Runtime or bind errors; an invalid [`RESPONSE_STREAMING_ENV`] value.
pub async fn run_with(
    app: Router,
    addr: SocketAddr,
    events: Option<Arc<dyn LambdaEventHandler>>,
) -> anyhow::Result<()> {
    if on_lambda() {
        let mode = ResponseMode::from_env()?;
        lambda::run_lambda(LambdaApp::new(app, events).with_response_mode(mode)).await
    } else {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        serve_http(app, listener).await
    }
}

/// Turns a `main` result into an exit code, printing the error chain (not a backtrace).
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The whole `main` of a function binary: read and validate the configuration, set up
/// logging and state, build the function's routes, and run. On Lambda, SQS batches of jobs
/// (e.g. `snap.solve` after a `202`) are taken by the same binary ([`crate::jobs::JobEvents`]).
/// With `JEEVIBE_SEED_FILE`, the bank is imported first by a child process of the same binary
/// ([`crate::startup::seed_if_empty_in_child`]), which this function runs instead of serving
/// when [`crate::startup::SEED_CHILD_ENV`] is set. `parts` names what the instance builds
/// beyond the core ([`InstanceParts::CORE`] for a function that has no snap storage and no job
/// queue: its binary then links neither).
///
/// # Errors
/// Configuration, start-up or runtime errors (printed by `main`).
pub async fn start(routes: fn() -> Router<AppState>, parts: InstanceParts) -> anyhow::Result<()> {
    start_with_state(routes, parts, |state| Some(Arc::new(crate::jobs::JobEvents(state.job_handlers.clone())))).await
}

/// [`start`] for a binary that also takes non-HTTP Lambda events (an SQS batch, an
/// EventBridge schedule, a Pub/Sub envelope): `events` gets every event that is not an HTTP
/// request.
///
/// # Errors
/// As [`start`].
pub async fn start_with(
    routes: fn() -> Router<AppState>,
    parts: InstanceParts,
    events: Option<Arc<dyn LambdaEventHandler>>,
) -> anyhow::Result<()> {
    start_with_state(routes, parts, move |_| events).await
}

/// [`start_with`] for an event handler that needs the application state (the store, the
/// clock): `events` builds it once the state exists.
///
/// # Errors
/// As [`start`].
pub async fn start_with_state(
    routes: fn() -> Router<AppState>,
    parts: InstanceParts,
    events: impl FnOnce(&AppState) -> Option<Arc<dyn LambdaEventHandler>>,
) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    crate::telemetry::init(config.log_format);
    if std::env::var_os(crate::startup::SEED_CHILD_ENV).is_some() {
        return crate::startup::run_seed_child(&config).await;
    }
    let state = crate::startup::build_state_with(&config, parts).await?;
    if let Some(seed) = &config.seed_file
        && let Some(n) = crate::startup::seed_if_empty_in_child(
            &std::env::current_exe().context("locating this binary to seed the question bank")?,
        )
        .await?
    {
        tracing::info!(questions = n, file = %seed.display(), "seeded question bank");
    }
    let events = events(&state);
    run_with(with_common_layers(routes(), state), SocketAddr::from((config.listen_ip, config.port)), events).await
}
