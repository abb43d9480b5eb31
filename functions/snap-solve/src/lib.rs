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
mod upload;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use shared::http::AppState;

pub use create::create_snap;
pub use history::{delete_snap, get_snap, list_snaps};
pub use images::serve_image;

/// The function's routes. The upload route accepts bodies up to the image cap plus base64 and
/// form overhead ([`shared::http::UPLOAD_BODY_LIMIT`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/snaps",
            post(create_snap).layer(DefaultBodyLimit::max(shared::http::UPLOAD_BODY_LIMIT)).get(list_snaps),
        )
        .route("/v1/snaps/{id}", get(get_snap).delete(delete_snap))
        .route("/v1/snap-images/{*key}", get(serve_image))
}
