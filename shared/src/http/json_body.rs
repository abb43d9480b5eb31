//! A JSON body extractor whose rejections are problem details: 415 without a JSON content
//! type, 413 over the size limit, 400 `malformed_body` for bad syntax or a schema mismatch.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::problem::{ErrorCode, Problem};

/// `axum::Json` with problem-details rejections.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Problem::new(ErrorCode::UnsupportedMediaType, "send the body as application/json")
            }
            JsonRejection::BytesRejection(b) if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Problem::new(ErrorCode::PayloadTooLarge, "the request body is larger than the limit")
            }
            JsonRejection::BytesRejection(b) => {
                Problem::new(ErrorCode::MalformedBody, format!("could not read the body: {b}"))
            }
            JsonRejection::JsonSyntaxError(e) => {
                Problem::new(ErrorCode::MalformedBody, format!("body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => {
                Problem::new(ErrorCode::MalformedBody, format!("body does not match the schema: {}", e.body_text()))
            }
            other => Problem::new(ErrorCode::MalformedBody, other.body_text()),
        }
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}
