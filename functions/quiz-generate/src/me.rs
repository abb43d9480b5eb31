//! `GET /v1/me`: the caller's tier, its entitlements, today's usage and remaining quota per
//! counter and the reset instant ([`shared::account`]); one masked read of the user document.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use shared::account::{ACCOUNT_FIELDS, account};
use shared::auth::AuthUser;
use shared::http::AppState;
use shared::practice;
use shared::problem::Problem;

/// Handler of `GET /v1/me`.
///
/// # Errors
/// 401 (auth); 503 `store_unavailable`.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "account",
    security(("firebase_id_token" = [])),
    responses(
        (status = 200, description = "The caller's tier, entitlements, today's usage per counter and the offline pack last issued.", body = shared::account::Account),
        shared::openapi::responses::AuthErrors,
    ),
)]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Response, Problem> {
    let doc = practice::read_profile(state.store.as_ref(), &user.uid, ACCOUNT_FIELDS).await?;
    Ok(Json(account(&user.uid, user.tier, &doc, state.clock.now())).into_response())
}
