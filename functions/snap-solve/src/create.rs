//! `POST /v1/snaps`.

use std::time::Instant;

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use shared::auth::AuthUser;
use shared::domain::SnapId;
use shared::http::AppState;
use shared::http::idempotency::{idempotency_key, request_hash};
use shared::problem::{ErrorCode, Problem, excerpt};
use shared::quota::{self, Counter, rate_limit_headers};
use shared::records::snap::{SnapImage, SnapStatus};
use shared::snap::job::SolveJob;
use shared::snap::reserve::{Reservation, ReserveRequest, reserve};
use shared::snap::settle::{Settlement, settle};
use shared::snap::solve::{Attempt, SolveInput};

use crate::upload::Upload;
use crate::view::snap_body;

fn with_quota_headers(mut res: Response, limit: Option<u32>, remaining: Option<u32>, state: &AppState) -> Response {
    if let (Some(limit), Some(remaining)) = (limit, remaining) {
        res.headers_mut().extend(rate_limit_headers(Counter::Snaps.policy(), limit, remaining, state.clock.now()));
    }
    res
}

/// Handler of `POST /v1/snaps`.
///
/// # Errors
/// 400 `malformed_body` / `invalid_idempotency_key`, 401, 409 `idempotency_in_progress`,
/// 413 `payload_too_large`, 415 `unsupported_media_type` / `unsupported_image`, 422
/// `image_dimensions` / `image_unreadable` / `idempotency_key_reused` / `ai_blocked`, 429
/// `quota_exceeded`, 502 `ai_bad_output` / `ai_truncated`, 503 `ai_unavailable` /
/// `store_unavailable`, 504 `ai_timeout`.
#[utoipa::path(
    post,
    path = "/v1/snaps",
    tag = "snaps",
    security(("firebase_id_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; a retry with the same key and photo returns the first result.")),
    request_body(description = "The photo, as a form field `image` or base64 in JSON.", content(
        (crate::schema::SnapUploadForm = "multipart/form-data"),
        (crate::upload::JsonUpload = "application/json"),
    )),
    responses(
        (status = 200, description = "Replay of an earlier request with this `Idempotency-Key` (`Idempotent-Replayed: true`).", body = crate::schema::SnapView),
        (status = 201, description = "Solved within the synchronous wait.", body = crate::schema::SnapView, links(
            ("GetSnap" = (operation_id = "get_snap", parameters(("snap_id" = "$response.body#/snap_id")))),
            ("DeleteSnap" = (operation_id = "delete_snap", parameters(("snap_id" = "$response.body#/snap_id")))),
        )),
        (status = 202, description = "Still solving: poll `Location`.", body = crate::schema::SnapAccepted),
        (status = 400, description = "`malformed_body`, `malformed_request` or `invalid_idempotency_key`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still running (`Retry-After`).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type` (neither multipart nor JSON) or `unsupported_image` (not JPEG/PNG/WebP/HEIC).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`image_dimensions`, `image_unreadable`, `idempotency_key_reused`, `ai_blocked`, `ai_input_rejected`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "`quota_exceeded`: the tier's daily snaps are used up.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "`ai_bad_output` or `ai_truncated`: the model's answer was unusable (not charged).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "`ai_timeout`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn create_snap(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    upload: Upload,
) -> Result<Response, Problem> {
    let key = idempotency_key(&headers)?;
    if !state.gemini.configured() {
        return Err(shared::ai::AiError::NotConfigured.into());
    }
    let request_hash = request_hash(&upload.bytes);
    let limits = state.snaps.image_limits.clone();
    let started = Instant::now();
    let prepared = tokio::task::spawn_blocking(move || shared::images::prepare(&upload.bytes, &limits))
        .await
        .map_err(|e| Problem::new(ErrorCode::Internal, format!("image task: {e}")))??;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, bytes = prepared.bytes.len(), "image prepared");
    let snap_id = match &key {
        Some(k) => SnapId::for_idempotency_key(&user.uid, k),
        None => SnapId::generate(&user.uid),
    };
    let image = SnapImage {
        key: shared::snap::image_key(&snap_id, prepared.mime_type),
        mime_type: prepared.mime_type.to_owned(),
        bytes: prepared.bytes.len() as u64,
        width: prepared.width,
        height: prepared.height,
    };
    let now = state.clock.now();
    let reservation = reserve(
        state.store.as_ref(),
        &state.user_locks,
        ReserveRequest {
            uid: &user.uid,
            tier: user.tier,
            snap_id: &snap_id,
            request_hash: &request_hash,
            idempotency_key: key.as_deref(),
            image: image.clone(),
            now,
        },
    )
    .await?;
    let (snap, limit, remaining) = match reservation {
        Reservation::Started { snap, limit, remaining } => (snap, limit, remaining),
        Reservation::Replay(snap) => {
            let body = snap_body(&state, &snap_id, &snap, true).await;
            let mut res = (StatusCode::OK, axum::Json(body)).into_response();
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(res);
        }
        Reservation::InProgress => {
            return Err(Problem::new(
                ErrorCode::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed; retry later",
            )
            .with("snap_id", snap_id.as_str())
            .retry_after(5));
        }
        Reservation::KeyReused => {
            return Err(Problem::new(
                ErrorCode::IdempotencyKeyReused,
                format!(
                    "Idempotency-Key {:?} was used with a different image; use a new key for a new photo",
                    excerpt(key.as_deref().unwrap_or_default(), 40)
                ),
            ));
        }
        Reservation::Denied { limit, remaining } => {
            return Err(quota::exceeded(Counter::Snaps, user.tier, limit, remaining, 1, now));
        }
    };
    if let Err(e) = state.objects.put(&image.key, prepared.bytes.clone().into(), prepared.mime_type).await {
        let failure = shared::records::snap::SnapFailure {
            code: "storage_unavailable".into(),
            detail: "the image could not be stored; this snap was not charged".into(),
        };
        settle(state.store.as_ref(), &snap_id, &Settlement::Failed(failure), 0, state.clock.now()).await?;
        return Err(
            Problem::new(ErrorCode::StorageUnavailable, format!("the image could not be stored: {e}")).retry_after(5)
        );
    }
    // The inline attempt runs as a task of its own, so a client that goes away does not leave
    // the snap pending: the task still settles it. Past the synchronous wait it is aborted and
    // a queued job takes over.
    let solver = shared::startup::solver(&state);
    let (task_id, task_uid, attempt_no) = (snap_id.clone(), user.uid.clone(), snap.attempts + 1);
    let mut inline = tokio::spawn(async move {
        solver
            .attempt(SolveInput {
                id: &task_id,
                uid: &task_uid,
                image: &prepared.bytes,
                mime_type: prepared.mime_type,
                attempt_no,
                final_attempt: true,
            })
            .await
    });
    let outcome = match tokio::time::timeout(state.snaps.sync_wait, &mut inline).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(join)) => return Err(Problem::new(ErrorCode::Internal, format!("solve task: {join}"))),
        Err(elapsed) => {
            inline.abort();
            Err(elapsed)
        }
    };
    match outcome {
        Ok(Ok(Attempt::Solved(snap))) => {
            let body = snap_body(&state, &snap_id, &snap, false).await;
            Ok(with_quota_headers((StatusCode::CREATED, axum::Json(body)).into_response(), limit, remaining, &state))
        }
        Ok(Ok(Attempt::Failed(_, e))) => Err(e.into()),
        Ok(Ok(Attempt::Retryable(e))) => Err(e.into()),
        Ok(Ok(Attempt::Gone)) => {
            // Settled or deleted by someone else meanwhile: answer with what is stored.
            match shared::snap::history::get(state.store.as_ref(), &user.uid, &snap_id, state.clock.now()).await? {
                Some(s) if s.status == SnapStatus::Solved => {
                    Ok((StatusCode::CREATED, axum::Json(snap_body(&state, &snap_id, &s, false).await)).into_response())
                }
                _ => Err(Problem::new(ErrorCode::SnapNotFound, "the snap was deleted while it was being solved")),
            }
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_elapsed) => {
            // The inline attempt is dropped (a frozen Lambda would lose it anyway); a queued
            // job solves the stored image. Only the job's outcome settles the reservation.
            if let Err(e) = state.jobs.enqueue(SolveJob { snap_id: snap_id.clone() }.job()).await {
                let failure = shared::records::snap::SnapFailure {
                    code: "queue_unavailable".into(),
                    detail: "the solve could not be queued; this snap was not charged".into(),
                };
                settle(state.store.as_ref(), &snap_id, &Settlement::Failed(failure), 1, state.clock.now()).await?;
                return Err(Problem::new(ErrorCode::QueueUnavailable, format!("the solve could not be queued: {e}"))
                    .retry_after(5));
            }
            let body = serde_json::json!({
                "snap_id": snap_id,
                "status": "pending",
                "detail": "the solution is taking longer than usual; poll the Location for it",
            });
            let mut res = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/v1/snaps/{snap_id}")) {
                res.headers_mut().insert(LOCATION, v);
            }
            res.headers_mut().insert("retry-after", HeaderValue::from_static("5"));
            Ok(with_quota_headers(res, limit, remaining, &state))
        }
    }
}
