//! `POST /internal/snapshots/run`: Cloud Scheduler's weekly HTTP call. The request must carry a
//! Google-signed OIDC token (`Authorization: Bearer`) for the audience `PUSH_AUDIENCE` (and,
//! when set, the service account `PUSH_SERVICE_ACCOUNT`): the same verifier as the Pub/Sub push
//! route, so configure the scheduler job's `oidcToken` with that audience and service account.
//! The body is optional: `{}` or `{"week": "2026-W48"}` (default: the last complete week).
//!
//! Answers: 202 with `{"outcome": "started", "run"}`; 200 with `already_complete` or
//! `in_progress` (nothing started); 401 `missing_token` / `invalid_token` / `token_expired`
//! (nothing started); 422 `invalid_request` for a malformed week or body; 503
//! `push_not_configured` (`PUSH_AUDIENCE` unset), `auth_keys_unavailable`, `store_unavailable`,
//! `queue_unavailable`.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use shared::auth::AuthError;
use shared::http::AppState;
use shared::http::auth_extractor::bearer;
use shared::problem::{ErrorCode, Problem};
use shared::snapshot::schedule::week_for;
use shared::snapshot::{TriggerError, TriggerOutcome};

/// The route path.
pub const RUN_ROUTE: &str = "/internal/snapshots/run";

/// Largest request body, bytes (the body is at most a week label).
const BODY_LIMIT: usize = 4 * 1024;

/// Body of [`RUN_ROUTE`] (optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// ISO week label `YYYY-Www`; default: the last complete IST week.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{4}-W[0-9]{2}$")]
    pub week: Option<String>,
}

/// A trigger's outcome as the route answers it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RunOutcome {
    /// `started`, `already_complete` or `in_progress`.
    #[schema(pattern = "^(started|already_complete|in_progress)$")]
    pub outcome: String,
    /// The week's run document.
    pub run: shared::snapshot::RunDoc,
}

/// Handler of [`RUN_ROUTE`] (see the module docs).
///
/// # Errors
/// The problems listed in the module docs.
#[utoipa::path(
    post,
    path = "/internal/snapshots/run",
    tag = "internal",
    security(("google_oidc_token" = [])),
    request_body(content = RunRequest, description = "Optional; `{}` or no body = the last complete week."),
    responses(
        (status = 200, description = "`already_complete` or `in_progress`: nothing started.", body = RunOutcome),
        (status = 202, description = "`started`: the planner enqueued the week's batches.", body = RunOutcome),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`: nothing started.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_request`: a malformed week or body.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "`push_not_configured` (`PUSH_AUDIENCE` unset), `auth_keys_unavailable`, `store_unavailable`, `queue_unavailable`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
    ),
)]
pub async fn run_now(State(state): State<AppState>, req: Request) -> Result<Response, Problem> {
    let Some(verifier) = state.push_auth.clone() else {
        return Err(Problem::new(ErrorCode::PushNotConfigured, "scheduler calls are not configured (PUSH_AUDIENCE)"));
    };
    let token = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
    let token = token.ok_or(AuthError::Missing)?.to_owned();
    verifier.verify(&token).await?;
    let body = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
        .await
        .map_err(|_| Problem::new(ErrorCode::PayloadTooLarge, format!("the body is over {BODY_LIMIT} bytes")))?;
    let parsed: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Problem::new(ErrorCode::InvalidRequest, format!("body: expected {{\"week\"?}}: {e}")))?
    };
    let now = state.clock.now();
    let week = week_for(parsed.week.as_deref(), None, now).map_err(|e| Problem::new(ErrorCode::InvalidRequest, e))?;
    let outcome =
        shared::snapshot::trigger(state.store.as_ref(), state.jobs.as_ref(), week, now).await.map_err(|e| match e {
            TriggerError::Store(s) => Problem::from(s),
            TriggerError::Queue(q) => Problem::new(ErrorCode::QueueUnavailable, q.to_string()),
        })?;
    let status = if matches!(outcome, TriggerOutcome::Started(_)) { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, axum::Json(outcome_view(&outcome))).into_response())
}

/// A trigger's outcome as API JSON: `{"outcome": "started" | "already_complete" |
/// "in_progress", "run": {...}}`.
pub fn outcome_view(o: &TriggerOutcome) -> serde_json::Value {
    serde_json::json!({"outcome": outcome_name(o), "run": run_view(o.run())})
}

fn outcome_name(o: &TriggerOutcome) -> &'static str {
    match o {
        TriggerOutcome::Started(_) => "started",
        TriggerOutcome::AlreadyComplete(_) => "already_complete",
        TriggerOutcome::InProgress(_) => "in_progress",
    }
}

/// A run document as API JSON (timestamps as RFC 3339 strings).
pub fn run_view(run: &shared::snapshot::RunDoc) -> serde_json::Value {
    crate::read::plain_json(serde_json::to_value(run).unwrap_or_default())
}
