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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Results, at most one per question.
    pub results: Vec<PackResult>,
}

/// Handler of `POST /v1/offline-packs/{id}/results`. A pack issued while the account had an
/// offline tier can be synced after a downgrade, until it expires.
///
/// # Errors
/// 400 `invalid_pack_id`, 403 `pack_not_owned`, 404 `pack_not_found`, 410 `pack_expired`,
/// 422 `item_not_in_pack` / `duplicate_answer` / `invalid_answer` / `invalid_request`, body
/// errors (400/413/415), 401, 503.
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
