//! `snap-solve`: a photo of a question becomes a worked solution.
//!
//! * `POST /v1/snaps`: the photo as `multipart/form-data` (field `image`) or JSON
//!   `{"image_base64", "mime_type"?}`; optional `Idempotency-Key`. Checks the image (format
//!   from its bytes, size, dimensions) before anything is charged, reserves one unit of the
//!   daily snap quota, stores the re-encoded image, and asks Gemini for a worked solution.
//!   `201` with the solution when it comes within the synchronous wait (20 s, the seed's image
//!   timeout); otherwise `202 Accepted` + `Location: /v1/snaps/{id}` and a queued job finishes
//!   it. A failed solve is not charged.
//! * `GET /v1/snaps` (newest first, `?limit=&cursor=`), `GET /v1/snaps/{id}`,
//!   `DELETE /v1/snaps/{id}`; another user's or an expired snap is `404` everywhere.
//! * `GET /v1/snap-images/{key}?exp=&sig=`: serves an image through a signed, short-lived URL
//!   (embedded default; in production the URL is a presigned object storage URL).

mod create;
mod history;
mod images;
mod schema;
mod upload;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use shared::http::AppState;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use create::create_snap;
pub use history::{delete_snap, get_snap, list_snaps};
pub use images::serve_image;
pub use schema::{SnapAccepted, SnapImageView, SnapPage, SnapSummary, SnapUploadForm, SnapView};
pub use upload::JsonUpload;

/// The function's routes with their OpenAPI description. The upload route accepts bodies up to the image cap plus base64 and
/// form overhead ([`shared::http::UPLOAD_BODY_LIMIT`]).
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create::create_snap).layer(DefaultBodyLimit::max(shared::http::UPLOAD_BODY_LIMIT)))
        .routes(routes!(history::list_snaps))
        .routes(routes!(history::get_snap, history::delete_snap))
        .routes(routes!(images::serve_image))
}

/// The function's routes (mergeable with other functions' routers).
pub fn router() -> Router<AppState> {
    api().into()
}

/// [`router`] plus `GET /openapi.json` describing it and the common routes: what the binary
/// serves.
pub fn documented_router() -> Router<AppState> {
    shared::openapi::with_document(api())
}
