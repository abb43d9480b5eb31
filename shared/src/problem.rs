//! RFC 9457 problem details (`application/problem+json`) with a stable machine-readable
//! `code` extension member. Every error response of every function is one of these.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// Media type of problem details (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Stable error codes. The string form (snake_case) is part of the API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: no `Authorization: Bearer` header.
    MissingToken,
    /// 401: the ID token failed verification (signature, alg, kid, iss, aud, times, sub).
    InvalidToken,
    /// 401: the ID token has expired.
    TokenExpired,
    /// 503: the token signing keys could not be fetched.
    AuthKeysUnavailable,
    /// 400: the body is not valid JSON or does not match the schema.
    MalformedBody,
    /// 400: the request line, a path parameter or a header could not be read.
    MalformedRequest,
    /// 408: the request (body upload included) took longer than 30 s.
    RequestTimeout,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 413: the body exceeds the size limit.
    PayloadTooLarge,
    /// 422: a field is out of range or inconsistent.
    InvalidRequest,
    /// 422: the subject/chapter filter matches no question in the bank.
    UnknownFilter,
    /// 429: the tier's daily quota is used up.
    QuotaExceeded,
    /// 400: the path's quiz id is not a quiz id.
    InvalidQuizId,
    /// 404: no such quiz for this user.
    QuizNotFound,
    /// 403: the quiz belongs to another user.
    QuizNotOwned,
    /// 410: the quiz expired before it was completed.
    QuizExpired,
    /// 404: no such snap for this user (missing, another user's, expired, or not a snap id).
    SnapNotFound,
    /// 400: the `Idempotency-Key` header is empty, longer than 255 characters or not visible ASCII.
    InvalidIdempotencyKey,
    /// 409: a request with the same `Idempotency-Key` is still being processed.
    IdempotencyInProgress,
    /// 422: the `Idempotency-Key` was already used with a different request body.
    IdempotencyKeyReused,
    /// 404: no such tutor conversation for this user (missing, another user's, expired).
    ConversationNotFound,
    /// 409: the conversation holds the maximum number of messages; start a new one.
    ConversationFull,
    /// 422: a tutor message is over the character or byte limit.
    MessageTooLong,
    /// 503: object storage (snap images) is unavailable; retry later.
    StorageUnavailable,
    /// 503: the job queue is unavailable; retry later.
    QueueUnavailable,
    /// 422: an answer names a question that is not in the quiz.
    AnswerNotInQuiz,
    /// 422: two answers for the same question.
    DuplicateAnswer,
    /// 422: an answer has the wrong shape for its question type.
    InvalidAnswer,
    /// 404: no such route.
    NotFound,
    /// 405: method not allowed on this route.
    MethodNotAllowed,
    /// 503: the question bank is empty (nothing imported yet); retry later.
    QuestionBankEmpty,
    /// 503: the store timed out or is unreachable; retry later.
    StoreUnavailable,
    /// 500: a bug; details are in the log only.
    Internal,
    /// 503: the AI provider cannot be used now: not configured (no API key), circuit open,
    /// rate-limited beyond the deadline, or failing; `Retry-After` when a wait is known.
    AiUnavailable,
    /// 422: the AI provider refused the input or its answer for safety (prompt or candidate
    /// blocked); not retried, not charged.
    AiBlocked,
    /// 502: the model's answer was not valid JSON of our schema, twice.
    AiBadOutput,
    /// 502: the model's answer was cut off at the output-token limit (finish reason MAX_TOKENS).
    AiTruncated,
    /// 504: the AI call did not finish within its deadline (30 s by default).
    AiTimeout,
    /// 503: the AI provider account's quota or credit is exhausted (OpenAI 429
    /// `insufficient_quota`): not retried; needs billing attention, not a wait.
    AiQuotaExhausted,
    /// 502: the AI model's streamed answer was cut off (connection dropped, or the stream ended
    /// without its end marker); the partial answer is not complete.
    AiInterrupted,
    /// 422: the AI provider refused this request's input (e.g. an image it cannot read); not
    /// charged.
    AiInputRejected,
    /// 415: the uploaded photo is not JPEG, PNG, WebP or HEIC/HEIF (decided from its bytes).
    UnsupportedImage,
    /// 422: the photo's declared dimensions exceed the limits (side or pixel count; a
    /// decompression bomb).
    ImageDimensions,
    /// 422: the photo is truncated or cannot be decoded.
    ImageUnreadable,
    /// 503: the Pub/Sub push route is not configured (`PUSH_AUDIENCE` unset), so it accepts
    /// nothing.
    PushNotConfigured,
    /// 503: a pushed job failed with a retryable error (or its handler panicked); not
    /// acknowledged, so Pub/Sub delivers it again.
    JobFailed,
    /// 404: no weekly snapshot for that week (missing, or the week label is not `YYYY-Www`).
    SnapshotNotFound,
    /// 403: the caller's tier does not include the feature (offline packs need Pro or Ultra);
    /// `required_tier` names the lowest tier that does. A new tier takes effect with the next
    /// ID token.
    TierRequired,
    /// 400: the path's pack id is not a pack id (`pk_<12 hex>_<16 hex>`).
    InvalidPackId,
    /// 403: the offline pack belongs to another user.
    PackNotOwned,
    /// 404: no such offline pack for this user (never issued, or deleted after its expiry).
    PackNotFound,
    /// 410: the offline pack expired before these results were synced (results already
    /// applied are still answered as a replay).
    PackExpired,
    /// 422: a synced result names a question that is not in the pack.
    ItemNotInPack,
    /// 410: the quiz was closed before it was completed because the user had generated
    /// `MAX_OPEN_QUIZZES` (5) newer quizzes that were still open (`shared::records::open_quiz`).
    QuizEvicted,
}

impl ErrorCode {
    /// HTTP status for the code.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            MissingToken | InvalidToken | TokenExpired => StatusCode::UNAUTHORIZED,
            MalformedBody | MalformedRequest | InvalidQuizId | InvalidIdempotencyKey => StatusCode::BAD_REQUEST,
            SnapNotFound | ConversationNotFound => StatusCode::NOT_FOUND,
            IdempotencyInProgress | ConversationFull => StatusCode::CONFLICT,
            IdempotencyKeyReused | MessageTooLong => StatusCode::UNPROCESSABLE_ENTITY,
            StorageUnavailable | QueueUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            InvalidRequest | UnknownFilter | AnswerNotInQuiz | DuplicateAnswer | InvalidAnswer => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
            QuizNotFound | NotFound => StatusCode::NOT_FOUND,
            QuizNotOwned => StatusCode::FORBIDDEN,
            QuizExpired => StatusCode::GONE,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            StoreUnavailable | AuthKeysUnavailable | QuestionBankEmpty => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AiUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AiBlocked => StatusCode::UNPROCESSABLE_ENTITY,
            AiBadOutput | AiTruncated => StatusCode::BAD_GATEWAY,
            AiTimeout => StatusCode::GATEWAY_TIMEOUT,
            AiQuotaExhausted => StatusCode::SERVICE_UNAVAILABLE,
            AiInterrupted => StatusCode::BAD_GATEWAY,
            AiInputRejected => StatusCode::UNPROCESSABLE_ENTITY,
            UnsupportedImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ImageDimensions | ImageUnreadable => StatusCode::UNPROCESSABLE_ENTITY,
            PushNotConfigured | JobFailed => StatusCode::SERVICE_UNAVAILABLE,
            SnapshotNotFound => StatusCode::NOT_FOUND,
            TierRequired | PackNotOwned => StatusCode::FORBIDDEN,
            InvalidPackId => StatusCode::BAD_REQUEST,
            PackNotFound => StatusCode::NOT_FOUND,
            PackExpired => StatusCode::GONE,
            ItemNotInPack => StatusCode::UNPROCESSABLE_ENTITY,
            QuizEvicted => StatusCode::GONE,
        }
    }

    /// The snake_case code string.
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// A client-supplied value for quoting in a `detail`: at most `max` characters, then `…`, so a
/// huge input is not echoed back whole.
pub fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A problem details response (boxed: handlers return it in `Result::Err`).
#[derive(Debug, Clone)]
pub struct Problem(Box<Details>);

/// The parts of a [`Problem`].
#[derive(Debug, Clone)]
pub struct Details {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// Extra members (e.g. `remaining`, `errors`).
    pub extensions: serde_json::Map<String, serde_json::Value>,
    /// Extra response headers (Retry-After, RateLimit, WWW-Authenticate).
    pub headers: HeaderMap,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: ErrorCode,
    #[serde(flatten)]
    extensions: &'a serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem with a code and detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Box::new(Details {
            code,
            detail: detail.into(),
            extensions: serde_json::Map::new(),
            headers: HeaderMap::new(),
        }))
    }

    /// The parts.
    pub fn details(&self) -> &Details {
        &self.0
    }

    /// Adds response headers.
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.0.headers.extend(headers);
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.0.extensions.insert(key.to_owned(), serde_json::to_value(value).unwrap_or_default());
        self
    }

    /// Adds a response header (ignored when the value is not a valid header value).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.0.headers.insert(name, v);
        }
        self
    }

    /// Adds `Retry-After: seconds` (RFC 9110 §10.2.3).
    pub fn retry_after(self, seconds: u64) -> Self {
        self.with_header(header::RETRY_AFTER, &seconds.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let p = *self.0;
        let status = p.code.status();
        if status.is_server_error() {
            tracing::error!(code = ?p.code, detail = %p.detail, "server error");
        }
        let body = Body {
            kind: format!("https://jeevibe.app/problems/{}", p.code.as_str().replace('_', "-")),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &p.detail,
            code: p.code,
            extensions: &p.extensions,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], json).into_response();
        res.headers_mut().extend(p.headers);
        res
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Timeout => {
                Problem::new(ErrorCode::StoreUnavailable, "the database did not answer in time").retry_after(5)
            }
            StoreError::Unavailable(_) | StoreError::Aborted => {
                Problem::new(ErrorCode::StoreUnavailable, format!("the database is unavailable: {e}")).retry_after(5)
            }
            other => Problem::new(ErrorCode::Internal, format!("store: {other}")),
        }
    }
}
