//! The Lambda side of the runtime adapter: one function binary receives every event as raw
//! JSON from `lambda_runtime`, answers HTTP events (API Gateway REST / HTTP API, function
//! URLs, ALB) with its axum router, and hands every other event (an SQS batch, an EventBridge
//! schedule, a Pub/Sub envelope, ...) to the binary's [`LambdaEventHandler`], if it has one.
//!
//! HTTP events are normalised first (see [`super::lambda_event`] and [`super::stage`]): the
//! stage is handled the same on every stage name, and text that lambda_http would turn into
//! an invalid URI or header is escaped or dropped, so every HTTP event gets an HTTP answer
//! (a refusal is a 4xx problem) and never a panic. The answer is one buffered document by
//! default; in [`ResponseMode::Streaming`] HTTP answers are streamed instead (see
//! [`super::lambda_stream`]).

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::response::IntoResponse as _;
use lambda_http::lambda_runtime::{self, Context, Diagnostic, FunctionResponse, LambdaEvent, service_fn};
use serde_json::Value;
use tower::ServiceExt as _;

use super::lambda_event::{EventKind, HttpEvent, HttpOrigin};
use super::lambda_response::to_document;
use super::lambda_stream::{LambdaAnswer, ResponseMode, to_stream};
use super::stage::{RouteProbe, candidates};
use crate::problem::{Problem, excerpt};

/// `errorType` reported to the Lambda Runtime API for an event no part of the function takes.
pub const UNRECOGNIZED_EVENT: &str = "UnrecognizedEvent";

/// `errorType` reported for an [`EventError::Failed`] built from an `anyhow::Error`.
pub const HANDLER_ERROR: &str = "HandlerError";

/// Why a [`LambdaEventHandler`] did not answer.
#[derive(Debug)]
pub enum EventError {
    /// The event is not one this handler knows; it is given back untouched. The invocation
    /// then fails with `errorType` [`UNRECOGNIZED_EVENT`].
    NotMine(Value),
    /// The handler failed; the invocation fails with this diagnostic (the Runtime API's
    /// `errorType` / `errorMessage`), and the event source retries as it is configured to.
    Failed(Diagnostic),
}

impl From<anyhow::Error> for EventError {
    fn from(e: anyhow::Error) -> Self {
        Self::Failed(Diagnostic { error_type: HANDLER_ERROR.to_owned(), error_message: format!("{e:#}") })
    }
}

/// A function's handler for non-HTTP events, registered with
/// [`super::start_with`] / [`super::start_with_state`].
#[async_trait]
pub trait LambdaEventHandler: Send + Sync {
    /// Handles one event (raw JSON, as the Lambda Runtime API delivered it) and returns the
    /// function's result document (for an SQS batch, e.g. `{"batchItemFailures": [...]}`).
    ///
    /// # Errors
    /// [`EventError::NotMine`] for an event of a kind it does not handle,
    /// [`EventError::Failed`] when handling failed.
    async fn handle(&self, event: Value, ctx: Context) -> Result<Value, EventError>;
}

/// The dispatcher: an application router, its route probe, the optional event handler and
/// how HTTP answers are sent.
#[derive(Clone)]
pub struct LambdaApp {
    app: Router,
    probe: RouteProbe,
    events: Option<Arc<dyn LambdaEventHandler>>,
    mode: ResponseMode,
}

impl LambdaApp {
    /// Dispatches HTTP events to `app` (a router with its state and layers) and other events
    /// to `events`; answers are buffered ([`ResponseMode::Buffered`]).
    pub fn new(app: Router, events: Option<Arc<dyn LambdaEventHandler>>) -> Self {
        let probe = RouteProbe::new(&app);
        Self { app, probe, events, mode: ResponseMode::Buffered }
    }

    /// The same dispatcher answering HTTP events in `mode`.
    #[must_use]
    pub fn with_response_mode(mut self, mode: ResponseMode) -> Self {
        self.mode = mode;
        self
    }

    /// How this dispatcher answers HTTP events.
    pub fn response_mode(&self) -> ResponseMode {
        self.mode
    }

    /// Handles one raw event in this dispatcher's [`ResponseMode`]: in streaming mode an HTTP
    /// event (other than ALB, which cannot stream) gets a streamed answer; everything else gets
    /// the document [`LambdaApp::handle`] returns.
    ///
    /// # Errors
    /// As [`LambdaApp::handle`].
    pub async fn answer(&self, event: Value, ctx: Context) -> Result<LambdaAnswer, Diagnostic> {
        match (self.mode, EventKind::of(&event)) {
            (ResponseMode::Streaming, EventKind::Http(origin)) if origin != HttpOrigin::Alb => {
                let res = self.respond(origin, &event, ctx).await;
                Ok(FunctionResponse::StreamingResponse(to_stream(res)))
            }
            _ => self.handle(event, ctx).await.map(FunctionResponse::BufferedResponse),
        }
    }

    /// Handles one raw event.
    ///
    /// # Errors
    /// A [`Diagnostic`] for the Runtime API: [`UNRECOGNIZED_EVENT`] when the event is not HTTP
    /// and no handler takes it, or the handler's own failure. HTTP events always get an HTTP
    /// response document, never an error.
    pub async fn handle(&self, event: Value, ctx: Context) -> Result<Value, Diagnostic> {
        match EventKind::of(&event) {
            EventKind::Http(origin) => Ok(self.handle_http(origin, &event, ctx).await),
            EventKind::Other => {
                let Some(events) = &self.events else {
                    return Err(unrecognized(&event));
                };
                match events.handle(event, ctx).await {
                    Ok(v) => Ok(v),
                    Err(EventError::NotMine(event)) => Err(unrecognized(&event)),
                    Err(EventError::Failed(d)) => Err(d),
                }
            }
        }
    }

    /// Answers an HTTP event of `origin` with the router as a response document; a malformed
    /// event gets a 4xx problem.
    pub async fn handle_http(&self, origin: HttpOrigin, event: &Value, ctx: Context) -> Value {
        to_document(origin, self.respond(origin, event, ctx).await).await
    }

    /// The router's response to an HTTP event of `origin`, body not yet read; a malformed event
    /// gets a 4xx problem.
    pub async fn respond(&self, origin: HttpOrigin, event: &Value, ctx: Context) -> axum::response::Response {
        match self.request(origin, event, ctx).await {
            Ok(req) => match self.app.clone().oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            },
            Err(problem) => problem.into_response(),
        }
    }

    async fn request(
        &self,
        origin: HttpOrigin,
        event: &Value,
        ctx: Context,
    ) -> Result<axum::http::Request<axum::body::Body>, Problem> {
        let parsed = HttpEvent::parse(origin, event)?;
        let paths = candidates(origin, parsed.stage.as_deref(), &parsed.path);
        let path = self.probe.choose(&parsed.method, paths).await;
        let mut req = parsed.into_request(&path)?;
        // As lambda_http does: the X-Ray trace id of the invocation, for the request log.
        if let Some(trace) = ctx.xray_trace_id.as_deref().and_then(|t| t.parse().ok()) {
            req.headers_mut().insert("x-amzn-trace-id", trace);
        }
        req.extensions_mut().insert(ctx);
        Ok(req)
    }
}

/// The error for an event nothing takes: what it looked like, never its content.
fn unrecognized(event: &Value) -> Diagnostic {
    let shape = match event {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).take(12).collect();
            format!("an object with keys [{}]", excerpt(&keys.join(", "), 200))
        }
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::String(_) => "a string".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Null => "null".to_owned(),
    };
    Diagnostic {
        error_type: UNRECOGNIZED_EVENT.to_owned(),
        error_message: format!(
            "unrecognized event: not an API Gateway, function URL or ALB HTTP request, and no event handler of \
             this function takes it; the event is {shape}"
        ),
    }
}

/// Polls the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`) and answers every event with `app`
/// ([`LambdaApp::answer`], so in the app's [`ResponseMode`]).
///
/// # Errors
/// Runtime API errors.
pub async fn run_lambda(app: LambdaApp) -> anyhow::Result<()> {
    let app = Arc::new(app);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { app.answer(event.payload, event.context).await }
    }))
    .await
    .map_err(|e| anyhow::anyhow!("lambda runtime: {e}"))
}
