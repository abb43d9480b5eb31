//! A JSON body extractor whose rejections are problem details: 415 without a JSON content
//! type, 413 over the size limit, 400 `malformed_body` for bad syntax, a non-object body or a
//! schema mismatch. A schema mismatch names the field path (`size`, `answers[2].seconds`) in
//! the detail and in the problem's `field` member, as serde_path_to_error tracks it.

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
        // Every body of this API is a JSON object; parsing to a value first also stops serde
        // from filling a struct from a positional array.
        let axum::Json(v) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !v.is_object() {
            return Err(Problem::new(ErrorCode::MalformedBody, "the body must be a JSON object"));
        }
        from_value(v).map(ApiJson)
    }
}

/// Deserializes `T` from a JSON value; a mismatch is a 400 `malformed_body` problem whose
/// detail starts with the path of the offending field (`answers[2].seconds`) and whose `field`
/// member holds that path (absent when the body as a whole is wrong).
///
/// # Errors
/// The problem described above.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            Problem::new(ErrorCode::MalformedBody, format!("body does not match the schema: {inner}"))
        } else {
            Problem::new(ErrorCode::MalformedBody, format!("body does not match the schema at `{path}`: {inner}"))
                .with("field", path)
        }
    })
}
