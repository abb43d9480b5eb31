//! Lambda response streaming: an HTTP answer sent to the Runtime API as it is produced
//! instead of as one buffered document.
//!
//! **When it applies.** A function URL whose `InvokeMode` is `RESPONSE_STREAM`
//! (<https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html>), or an API
//! Gateway REST API integration whose `responseTransferMode` is `STREAM`
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html>),
//! invokes the function with `InvokeWithResponseStream` and reads this format. API Gateway
//! HTTP APIs and ALB always invoke with `Invoke` and cannot stream: a binary in streaming mode
//! must not sit behind an HTTP API. ALB events (which are unambiguous) still get the buffered
//! document; HTTP API events look like function URL events and are streamed.
//!
//! **The switch.** [`RESPONSE_STREAMING_ENV`] (`JEEVIBE_LAMBDA_RESPONSE_STREAMING=true`), read
//! once at start ([`ResponseMode::from_env`]); the deployment template sets it together with the
//! function URL's `InvokeMode: RESPONSE_STREAM`. Unset, every answer is buffered as before.
//!
//! **Wire format** (what `lambda_runtime` sends for a [`StreamResponse`], see
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming>):
//! `POST /2018-06-01/runtime/invocation/{id}/response` with `Transfer-Encoding: chunked`,
//! `Lambda-Runtime-Function-Response-Mode: streaming` and `Content-Type:
//! application/vnd.awslambda.http-integration-response`; the body is a JSON prelude
//! `{"statusCode", "headers", "cookies"}`, 8 NUL bytes, then the response body, each body frame
//! of the router's response forwarded as soon as it is produced (API Gateway wants the prelude
//! within the first 16 KB).
//!
//! Known upstream behaviours this module works around:
//! * `lambda_runtime` turns a body error into "trailer" text written *into the body*
//!   (`Lambda-Runtime-Function-Error-Type: Runtime.StreamError ...`), which an SSE client would
//!   read as data; here a body error is logged and the stream ends instead.
//! * A `Content-Length` in the prelude makes `cargo lambda watch` drop the connection and AWS
//!   remaps it to `x-amzn-remapped-content-length`
//!   (<https://github.com/cargo-lambda/cargo-lambda/issues/862>); the framing headers
//!   (`content-length`, `transfer-encoding`, `connection`) are left out of the prelude.
//! * A client that goes away mid-stream made older `lambda_runtime` panic
//!   (<https://github.com/aws/aws-lambda-rust-runtime/issues/1051>, fixed in 1.x by #1068); here
//!   the forwarding task stops and drops the router's body, so the handler sees its stream
//!   closed, and the function keeps serving.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, HttpBody as _};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use lambda_http::lambda_runtime::streaming::{self, Sender};
use lambda_http::lambda_runtime::{FunctionResponse, MetadataPrelude, StreamResponse};
use serde_json::Value;

/// Environment variable that switches HTTP answers to response streaming: `true`/`1` streams,
/// `false`/`0`/unset buffers. Any other value is a start-up error.
pub const RESPONSE_STREAMING_ENV: &str = "JEEVIBE_LAMBDA_RESPONSE_STREAMING";

/// The body type of a streamed answer, as `lambda_runtime` consumes it.
pub type StreamBody = streaming::Body;

/// What the function hands `lambda_runtime` for one invocation: a JSON document (buffered mode,
/// non-HTTP events, ALB) or a streamed HTTP answer.
pub type LambdaAnswer = FunctionResponse<Value, StreamBody>;

/// How HTTP events are answered on Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// One response document per invocation (API Gateway, ALB, function URL `BUFFERED`).
    #[default]
    Buffered,
    /// Prelude, delimiter and body frames as they are produced (function URL
    /// `RESPONSE_STREAM`, REST API `responseTransferMode: STREAM`).
    Streaming,
}

impl ResponseMode {
    /// Reads [`RESPONSE_STREAMING_ENV`].
    ///
    /// # Errors
    /// A value other than `true`, `1`, `false`, `0` (case-insensitive) or empty.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::parse(std::env::var(RESPONSE_STREAMING_ENV).ok().as_deref())
    }

    /// The mode for a value of [`RESPONSE_STREAMING_ENV`] (`None`: unset).
    ///
    /// # Errors
    /// As [`ResponseMode::from_env`].
    pub fn parse(value: Option<&str>) -> anyhow::Result<Self> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "false" | "0") => Ok(Self::Buffered),
            Some("true" | "1") => Ok(Self::Streaming),
            Some(other) => {
                anyhow::bail!(
                    "{RESPONSE_STREAMING_ENV} must be true or false, got {:?}",
                    crate::problem::excerpt(other, 40)
                )
            }
        }
    }
}

/// Headers that describe the framing between the function and Lambda, not the response.
const FRAMING: [HeaderName; 3] = [header::CONTENT_LENGTH, header::TRANSFER_ENCODING, header::CONNECTION];

/// The prelude for `res`'s head: its status, its headers (repeated values joined with `,`, as
/// the buffered function URL document does; `Set-Cookie` moved to `cookies`; framing headers
/// left out).
pub fn prelude(res: &Response) -> MetadataPrelude {
    let headers = res.headers();
    let cookies = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut joined = HeaderMap::new();
    for name in headers.keys() {
        if *name == header::SET_COOKIE || FRAMING.contains(name) {
            continue;
        }
        let values: Vec<&[u8]> = headers.get_all(name).iter().map(HeaderValue::as_bytes).collect();
        if let Ok(value) = HeaderValue::from_bytes(&values.join(&b","[..])) {
            joined.insert(name.clone(), value);
        }
    }
    MetadataPrelude { status_code: res.status(), headers: joined, cookies }
}

/// Turns `res` into a streamed answer: the prelude now, and a task that forwards each data
/// frame of the body as it is produced (trailers are dropped; Lambda has no place for them).
pub fn to_stream(res: Response) -> StreamResponse<StreamBody> {
    let metadata_prelude = prelude(&res);
    let (tx, stream) = streaming::channel();
    tokio::spawn(forward(res.into_body(), tx));
    StreamResponse { metadata_prelude, stream }
}

/// Copies `body`'s data frames to `tx` until the body ends, fails (logged; the stream then
/// ends) or the reader goes away (the body is dropped, which closes the handler's stream).
async fn forward(mut body: Body, mut tx: Sender) {
    loop {
        let frame = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return,
            Some(Err(e)) => {
                tracing::error!(error = %e, "streamed response body failed; ending the stream");
                return;
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else { continue };
                if data.is_empty() {
                    continue;
                }
                if tx.send_data(data).await.is_err() {
                    tracing::info!("the reader of the streamed response went away; dropping the body");
                    return;
                }
            }
        }
    }
}
