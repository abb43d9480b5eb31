//! `GET /v1/offline-packs?size=N` (Pro and Ultra): the caller's offline practice pack, chosen
//! by the quiz engine, answers withheld ([`shared::practice::pack`]). The answer carries a
//! strong `ETag`; a request whose `If-None-Match` holds it gets `304 Not Modified` while the
//! pack is still current. Free gets `403 tier_required`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use shared::auth::AuthUser;
use shared::http::AppState;
use shared::http::conditional::if_none_match;
use shared::practice::pack::{PackDownload, pack_size};
use shared::practice::{self, require_offline};
use shared::problem::{ErrorCode, Problem};

/// Query of `GET /v1/offline-packs`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PackQuery {
    /// Questions, 1–50 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub size: Option<i64>,
}

/// Handler of `GET /v1/offline-packs`.
///
/// # Errors
/// 401 (auth), 403 `tier_required` (Free), 400 `invalid_request` (query string),
/// 422 `invalid_request` (size), 503 `store_unavailable` / `question_bank_empty`.
#[utoipa::path(
    get,
    path = "/v1/offline-packs",
    tag = "practice",
    security(("firebase_id_token" = [])),
    params(
        PackQuery,
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "The `ETag` of the pack the app holds (RFC 9110 §13.1.2): `304` while it is still the current pack."),
    ),
    responses(
        (status = 200, description = "The current pack (issued now or served again); answers withheld.", body = crate::OfflinePack, headers(
            ("ETag" = String, description = "Strong entity tag of this representation: the pack id and how many of its items are synced (send back as `If-None-Match`)."),
            ("Cache-Control" = String, description = "`private, no-cache` (RFC 9111 §5.2.2.4)."),
        ), links(
            ("SyncResults" = (operation_id = "sync_results", parameters(("pack_id" = "$response.body#/pack_id")))),
        )),
        (status = 304, description = "Not Modified: `If-None-Match` holds the current pack's tag; no body.", headers(
            ("ETag" = String, description = "The current pack's entity tag."),
            ("Cache-Control" = String, description = "`private, no-cache`."),
        )),
        (status = 403, description = "`tier_required`: offline practice needs Pro or Ultra.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_request`: a query string that does not parse (unknown or repeated parameter, `size` not an integer) or `size` outside 1–50.", body = shared::openapi::ProblemSchema, content_type = "application/problem+json"),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn download_pack(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<PackQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    require_offline(user.tier)?;
    let Query(q) =
        query.map_err(|e| Problem::new(ErrorCode::InvalidRequest, format!("bad query string: {}", e.body_text())))?;
    let size = pack_size(q.size)?;
    let bank = state.bank.get().await?;
    let holds = |etag: &str| if_none_match(&headers, etag);
    let outcome = practice::download(
        state.store.as_ref(),
        &state.user_locks,
        &bank,
        &user.uid,
        user.tier,
        size,
        &holds,
        state.clock.now(),
    )
    .await?;
    let (status, etag, body) = match outcome {
        PackDownload::NotModified { etag } => (StatusCode::NOT_MODIFIED, etag, None),
        PackDownload::Pack { id, etag, pack, issued } => {
            let body = serde_json::json!({
                "pack_id": id,
                "version": pack.version,
                "issued": issued,
                "created_at": pack.created_at.to_rfc3339(),
                "expires_at": pack.expires_at.to_rfc3339(),
                "size": pack.items.len(),
                "synced": pack.applied.len(),
                "results_url": format!("/v1/offline-packs/{}/results", id.as_str()),
                "questions": pack.questions,
            });
            (StatusCode::OK, etag, Some(body))
        }
    };
    let mut res = match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    // Private to the user; revalidate before reuse (RFC 9111 §5.2.2.4).
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(res)
}
