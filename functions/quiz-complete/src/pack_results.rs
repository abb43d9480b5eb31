//! `POST /v1/offline-packs/{id}/results`: results practised offline, each with the device time
//! it was answered, graded with the quiz marking and applied exactly once
//! ([`shared::practice::pack_sync`]).
//!
//! Body: `{"results": [{"question_id": "phy-kin-001", "answer": "B", "seconds": 42,
//! "answered_at": "2026-11-28T07:10:00Z"}]}` (at most 50; a question may appear in several
//! syncs, it is applied by the first).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use shared::auth::AuthUser;
use shared::domain::PackId;
use shared::http::{ApiJson, AppState};
use shared::practice::pack_sync::{PackResult, validate_results};
use shared::practice::{self};
use shared::problem::{ErrorCode, Problem, excerpt};

/// Body of a sync.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"results": []}))]
pub struct SyncRequest {
    /// Results, at most one per question.
    #[schema(max_items = 50)]
    pub results: Vec<PackResult>,
}

/// Handler of `POST /v1/offline-packs/{id}/results`. A pack issued while the account had an
/// offline tier can be synced after a downgrade, until it expires.
///
/// # Errors
/// 400 `invalid_pack_id`, 403 `pack_not_owned`, 404 `pack_not_found`, 410 `pack_expired`,
/// 422 `item_not_in_pack` / `duplicate_answer` / `invalid_answer` / `invalid_request`, body
/// errors (400/413/415), 401, 503.
#[utoipa::path(
    post,
    path = "/v1/offline-packs/{pack_id}/results",
    tag = "practice",
    security(("firebase_id_token" = [])),
    params(("pack_id" = String, Path, description = "Pack id, `pk_<12 hex>_<16 hex>` (the pack_id of `GET /v1/offline-packs`).")),
    request_body(content = SyncRequest, description = "Results practised offline, each with the device time it was answered; a result already applied by an earlier sync changes nothing."),
    responses(
        (status = 200, description = "Every submitted result as graded and stored (`status`: applied now or already applied), with the θ changes of this sync.", body = crate::PackSynced),
        (status = 400, description = "`invalid_pack_id` (path) or `malformed_body`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "`pack_not_owned`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "`pack_not_found`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 410, description = "`pack_expired`: the pack expired before these results were applied.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`item_not_in_pack`, `duplicate_answer`, `invalid_answer`, `invalid_request` (more than 50 results, `seconds` out of range).", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn sync_results(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SyncRequest>,
) -> Result<Response, Problem> {
    let pack_id = PackId::parse(&id).map_err(|_| {
        Problem::new(
            ErrorCode::InvalidPackId,
            format!("{:?} is not a pack id (pk_<12 hex>_<16 hex>)", excerpt(&id, 40)),
        )
    })?;
    validate_results(&req.results)?;
    let out = practice::sync(
        state.store.as_ref(),
        &state.user_locks,
        state.clock.as_ref(),
        &user.uid,
        &pack_id,
        &req.results,
    )
    .await?;
    let bank = state.bank.get().await.ok();
    let items: Vec<serde_json::Value> = out
        .items
        .iter()
        .map(|i| {
            let solution = bank.as_ref().and_then(|b| {
                shared::domain::QuestionId::parse(&i.question_id)
                    .ok()
                    .and_then(|q| b.get(&q).map(|q| q.solution.clone()))
            });
            serde_json::json!({
                "question_id": i.question_id,
                "status": i.status,
                "sync": i.applied.sync,
                "response": i.applied.response,
                "marks": i.applied.marks,
                "outcome": i.applied.outcome,
                "seconds": i.applied.seconds,
                "answered_at": i.applied.answered_at.to_rfc3339(),
                "time_flag": i.applied.time_flag,
                "correct_answer": i.correct_answer,
                "solution": solution,
            })
        })
        .collect();
    let applied_now = out.items.iter().filter(|i| i.status == practice::pack_sync::ItemStatus::Applied).count();
    Ok(Json(serde_json::json!({
        "pack_id": pack_id,
        "quiz_id": out.quiz_id,
        "applied_now": applied_now,
        "applied_total": out.applied_total,
        "pack_items": out.pack_items,
        "expires_at": out.expires_at.to_rfc3339(),
        "items": items,
        "abilities": out.abilities,
    }))
    .into_response())
}
