//! Reading the photo from a request: `multipart/form-data` with a file field `image`, or JSON
//! `{"image_base64": "...", "mime_type"?: "..."}`. The declared type is only informational: the
//! format is decided from the bytes later ([`shared::images::sniff`]). Both shapes give the
//! same 413 problem past the size cap.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use base64::Engine;
use serde::Deserialize;

use shared::http::{ApiJson, AppState};
use shared::problem::{ErrorCode, Problem};

/// The uploaded photo, still unvalidated.
#[derive(Debug)]
pub struct Upload {
    /// Raw bytes.
    pub bytes: Vec<u8>,
    /// What the client declared (may be wrong or generic; never trusted).
    pub declared_type: Option<String>,
}

/// JSON body of `POST /v1/snaps`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"image_base64": "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP438CAFWEXHbQSAKmzX8FBxi1QAAAAAElFTkSuQmCC", "mime_type": "image/png"}))]
pub struct JsonUpload {
    /// The photo, standard base64 (padding optional; whitespace and a `data:` URL prefix allowed).
    #[schema(min_length = 1, pattern = "^(data:[^,]*;base64,)?[A-Za-z0-9+/_=\\s-]+$")]
    pub image_base64: String,
    /// Declared media type (informational).
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// True when a multipart error comes from the body length limit (a chunked upload over the
/// route's limit surfaces as a stream read failure whose source is the limit).
fn over_limit(e: &axum::extract::multipart::MultipartError) -> bool {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() || err.to_string().contains("length limit exceeded") {
            return true;
        }
        source = err.source();
    }
    false
}

fn too_large(limit: usize) -> Problem {
    Problem::new(ErrorCode::PayloadTooLarge, format!("the image is larger than {limit} bytes")).with("limit", limit)
}

/// Decodes base64 leniently (standard or URL-safe alphabet, with or without padding, line breaks).
fn decode_base64(text: &str) -> Result<Vec<u8>, Problem> {
    let body = text.split_once(";base64,").map_or(text, |(_, b)| b);
    let clean: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let clean = clean.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(clean)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(clean))
        .map_err(|e| Problem::new(ErrorCode::MalformedBody, format!("image_base64 is not base64: {e}")))
}

impl FromRequest<AppState> for Upload {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.snaps.image_limits.max_bytes;
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime == "multipart/form-data" {
            let mut form = Multipart::from_request(req, state).await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    too_large(limit)
                } else {
                    Problem::new(ErrorCode::MalformedBody, format!("could not read the form: {}", e.body_text()))
                }
            })?;
            loop {
                let field = form.next_field().await.map_err(|e| {
                    if over_limit(&e) {
                        too_large(limit)
                    } else {
                        Problem::new(ErrorCode::MalformedBody, format!("could not read the form: {}", e.body_text()))
                    }
                })?;
                let Some(field) = field else {
                    return Err(Problem::new(ErrorCode::MalformedBody, "the form has no file field named \"image\""));
                };
                if field.name() != Some("image") {
                    continue;
                }
                let declared_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| {
                    if over_limit(&e) {
                        too_large(limit)
                    } else {
                        Problem::new(ErrorCode::MalformedBody, format!("could not read the image: {}", e.body_text()))
                    }
                })?;
                if bytes.len() > limit {
                    return Err(too_large(limit));
                }
                return Ok(Upload { bytes: bytes.to_vec(), declared_type });
            }
        }
        if mime == "application/json" || mime.ends_with("+json") {
            let ApiJson(body) = ApiJson::<JsonUpload>::from_request(req, state)
                .await
                .map_err(|p| if p.details().code == ErrorCode::PayloadTooLarge { too_large(limit) } else { p })?;
            let bytes = decode_base64(&body.image_base64)?;
            if bytes.len() > limit {
                return Err(too_large(limit));
            }
            return Ok(Upload { bytes, declared_type: body.mime_type });
        }
        Err(Problem::new(
            ErrorCode::UnsupportedMediaType,
            "send the photo as multipart/form-data (field \"image\") or JSON {\"image_base64\": ...}",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_base64() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64("data:image/png;base64,aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("_-8").unwrap(), vec![0xff, 0xef]);
        assert!(decode_base64("***").is_err());
    }
}
