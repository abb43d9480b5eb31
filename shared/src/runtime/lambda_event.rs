//! What a raw Lambda event is, and the HTTP request an HTTP event stands for.
//!
//! The event arrives as JSON; its shape tells its source
//! (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html>):
//! * API Gateway REST API, payload 1.0: top-level `httpMethod`
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html>);
//! * API Gateway HTTP API payload 2.0 and Lambda function URLs: `requestContext.http`
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>);
//! * Application Load Balancer: `requestContext.elb`
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>).
//!
//! Lambda authorizer events (`type` with `methodArn` / `routeArn`) and WebSocket events
//! (`requestContext.eventType`) carry some of the same fields but are not requests to route,
//! so they count as other events, as do SQS, EventBridge, Pub/Sub and anything else.
//!
//! [`HttpEvent::parse`] reads an HTTP event leniently and never panics: fields of the wrong
//! JSON type are ignored, headers that are not valid HTTP are dropped, and text that becomes
//! part of the URI is percent-encoded (see [`super::uri_escape`]). lambda_http's own
//! conversion panics on such input ("failed to build request: InvalidUri", upstream
//! <https://github.com/aws/aws-lambda-rust-runtime/issues/515> and #461, #489); this module
//! replaces it.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

use super::uri_escape;
use crate::problem::{ErrorCode, Problem};

/// Which HTTP front end sent an event; it decides the response document's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpOrigin {
    /// API Gateway REST API (payload format 1.0).
    ApiGatewayRest,
    /// API Gateway HTTP API (payload format 2.0) or a Lambda function URL.
    ApiGatewayHttp,
    /// Application Load Balancer target group.
    Alb,
}

/// The kind of a raw event, told by its shape (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An HTTP request from this front end.
    Http(HttpOrigin),
    /// Anything else: queue batches, schedules, authorizer calls, custom payloads.
    Other,
}

impl EventKind {
    /// Classifies `event` by shape.
    pub fn of(event: &Value) -> Self {
        let context = event.get("requestContext");
        let is_authorizer = event.get("type").is_some_and(Value::is_string)
            && (event.get("methodArn").is_some() || event.get("routeArn").is_some());
        let is_websocket = context.and_then(|c| c.get("eventType")).is_some();
        if is_authorizer || is_websocket {
            return Self::Other;
        }
        if context.and_then(|c| c.get("elb")).is_some_and(Value::is_object) {
            Self::Http(HttpOrigin::Alb)
        } else if context.and_then(|c| c.get("http")).is_some_and(Value::is_object) {
            Self::Http(HttpOrigin::ApiGatewayHttp)
        } else if event.get("httpMethod").is_some_and(Value::is_string) {
            Self::Http(HttpOrigin::ApiGatewayRest)
        } else {
            Self::Other
        }
    }
}

/// An HTTP event read into request parts.
#[derive(Debug, Clone)]
pub struct HttpEvent {
    /// The front end that sent it.
    pub origin: HttpOrigin,
    /// Request method.
    pub method: Method,
    /// Path as the event gives it, valid for a URI, starting with `/` (stage not yet handled).
    pub path: String,
    /// API Gateway stage (`requestContext.stage`); `None` for `$default`, ALB or none given.
    pub stage: Option<String>,
    /// Query string without `?`, valid for a URI; empty when there is none.
    pub query: String,
    /// Headers that are valid HTTP; v2 `cookies` joined into one `Cookie` header.
    pub headers: HeaderMap,
    /// Body bytes (base64-decoded when `isBase64Encoded`).
    pub body: Bytes,
}

/// Base64 as API Gateway and ALB send it (standard alphabet), padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

impl HttpEvent {
    /// Reads an event of `origin` (as [`EventKind::of`] told).
    ///
    /// # Errors
    /// 400 `malformed_request` when the event has no valid method, 400 `malformed_body` when a
    /// body flagged base64 is not base64.
    pub fn parse(origin: HttpOrigin, event: &Value) -> Result<Self, Problem> {
        let method_text = match origin {
            HttpOrigin::ApiGatewayHttp => str_at(event, &["requestContext", "http", "method"]),
            HttpOrigin::ApiGatewayRest | HttpOrigin::Alb => str_at(event, &["httpMethod"]),
        }
        .ok_or_else(|| Problem::new(ErrorCode::MalformedRequest, "the event carries no HTTP method"))?;
        let method = Method::from_bytes(method_text.as_bytes())
            .map_err(|_| Problem::new(ErrorCode::MalformedRequest, "the event's HTTP method is not a valid method"))?;
        let path = match origin {
            HttpOrigin::ApiGatewayHttp => {
                str_at(event, &["rawPath"]).or(str_at(event, &["requestContext", "http", "path"]))
            }
            HttpOrigin::ApiGatewayRest => str_at(event, &["path"]).or(str_at(event, &["requestContext", "path"])),
            HttpOrigin::Alb => str_at(event, &["path"]),
        }
        .unwrap_or("/");
        let stage = match origin {
            HttpOrigin::Alb => None,
            _ => str_at(event, &["requestContext", "stage"])
                .filter(|s| !s.is_empty() && *s != "$default")
                .map(str::to_owned),
        };
        let body = match event.get("body").and_then(Value::as_str) {
            None => Bytes::new(),
            Some(text) if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => {
                BASE64.decode(text).map(Bytes::from).map_err(|_| {
                    Problem::new(ErrorCode::MalformedBody, "the event body is flagged base64 but is not base64")
                })?
            }
            Some(text) => Bytes::copy_from_slice(text.as_bytes()),
        };
        Ok(Self {
            origin,
            method,
            path: uri_escape::raw_path(path),
            stage,
            query: query(origin, event),
            headers: headers(origin, event),
            body,
        })
    }

    /// The request for the router, with `path` (one of the stage candidates) in place of
    /// [`HttpEvent::path`].
    ///
    /// # Errors
    /// 400 `malformed_request` if the URI still cannot be built (not expected: every part is
    /// escaped).
    pub fn into_request(self, path: &str) -> Result<Request<Body>, Problem> {
        let target = if self.query.is_empty() { path.to_owned() } else { format!("{path}?{}", self.query) };
        let uri = Uri::try_from(target)
            .map_err(|e| Problem::new(ErrorCode::MalformedRequest, format!("the request target is not a URI: {e}")))?;
        let mut req = Request::new(Body::from(self.body));
        *req.method_mut() = self.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = self.headers;
        Ok(req)
    }
}

/// The query string: v2 `rawQueryString` as sent; v1 query maps (decoded by API Gateway)
/// encoded again; ALB query maps (passed undecoded) joined as they are.
fn query(origin: HttpOrigin, event: &Value) -> String {
    if origin == HttpOrigin::ApiGatewayHttp {
        return event.get("rawQueryString").and_then(Value::as_str).map(uri_escape::raw_query).unwrap_or_default();
    }
    let encode = |s: &str| match origin {
        HttpOrigin::Alb => uri_escape::raw_query(s),
        _ => uri_escape::component(s),
    };
    let mut pairs = Vec::new();
    let multi = event.get("multiValueQueryStringParameters").and_then(Value::as_object).filter(|m| !m.is_empty());
    if let Some(multi) = multi {
        for (name, values) in multi {
            for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
                pairs.push(format!("{}={}", encode(name), encode(value)));
            }
        }
    } else if let Some(single) = event.get("queryStringParameters").and_then(Value::as_object) {
        for (name, value) in single {
            if let Some(value) = value.as_str() {
                pairs.push(format!("{}={}", encode(name), encode(value)));
            }
        }
    }
    pairs.join("&")
}

fn append(map: &mut HeaderMap, name: &str, value: &str) {
    // Names and values that are not valid HTTP (RFC 9110 §5) are dropped, not fatal.
    if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
    {
        map.append(name, value);
    }
}

/// Headers: `multiValueHeaders` when present (REST, ALB with multi-value headers on), then
/// any `headers` not already there; v2 `cookies` become one `Cookie` header (RFC 6265 §5.4).
fn headers(origin: HttpOrigin, event: &Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    if origin != HttpOrigin::ApiGatewayHttp
        && let Some(multi) = event.get("multiValueHeaders").and_then(Value::as_object)
    {
        for (name, values) in multi {
            for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
                append(&mut map, name, value);
            }
        }
    }
    if let Some(single) = event.get("headers").and_then(Value::as_object) {
        for (name, value) in single {
            let present = HeaderName::from_bytes(name.as_bytes()).is_ok_and(|n| map.contains_key(n));
            if let (false, Some(value)) = (present, value.as_str()) {
                append(&mut map, name, value);
            }
        }
    }
    if origin == HttpOrigin::ApiGatewayHttp
        && let Some(cookies) = event.get("cookies").and_then(Value::as_array)
    {
        let joined = cookies.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; ");
        if !joined.is_empty() {
            append(&mut map, header::COOKIE.as_str(), &joined);
        }
    }
    map
}
