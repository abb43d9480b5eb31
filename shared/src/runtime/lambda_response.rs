//! The response document a front end expects back from a function.
//!
//! Shapes, per front end:
//! * REST API (payload 1.0): `statusCode`, `multiValueHeaders`, `body`, `isBase64Encoded`
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format>);
//! * HTTP API (payload 2.0) and function URLs: `statusCode`, `headers` (repeated values joined
//!   with `,`), `cookies` (the `Set-Cookie` values), `body`, `isBase64Encoded`
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>);
//! * ALB: `statusCode`, `statusDescription` (`200 OK`), `headers` and `multiValueHeaders` (the
//!   target group uses one of them), `body`, `isBase64Encoded`
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html#respond-to-load-balancer>).
//!
//! Bodies are sent as text when they are UTF-8 and of a textual media type, base64 otherwise.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::lambda_event::HttpOrigin;

fn is_textual(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/")
        || ["json", "xml", "javascript", "yaml", "x-www-form-urlencoded"].iter().any(|t| ct.contains(t))
}

fn header_text(v: &axum::http::HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

fn multi_value(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let values = headers.get_all(name).iter().map(|v| Value::String(header_text(v))).collect();
        out.insert(name.as_str().to_owned(), Value::Array(values));
    }
    out
}

fn joined(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers.get_all(name).iter().map(header_text).collect();
        out.insert(name.as_str().to_owned(), Value::String(values.join(",")));
    }
    out
}

/// Converts `res` into the response document for `origin`, reading the whole body.
pub async fn to_document(origin: HttpOrigin, res: Response) -> Value {
    let (parts, body) = res.into_parts();
    let status = parts.status.as_u16();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "response body could not be read");
            return json!({"statusCode": 500, "headers": {}, "body": "", "isBase64Encoded": false});
        }
    };
    let text = if is_textual(&parts.headers) { std::str::from_utf8(&bytes).ok() } else { None };
    let (body, is_base64) = match text {
        Some(t) => (t.to_owned(), false),
        None => (base64::engine::general_purpose::STANDARD.encode(&bytes), true),
    };
    let mut headers = parts.headers;
    match origin {
        HttpOrigin::ApiGatewayRest => json!({
            "statusCode": status,
            "headers": {},
            "multiValueHeaders": multi_value(&headers),
            "body": body,
            "isBase64Encoded": is_base64,
        }),
        HttpOrigin::ApiGatewayHttp => {
            let cookies: Vec<String> = headers.get_all(header::SET_COOKIE).iter().map(header_text).collect();
            headers.remove(header::SET_COOKIE);
            json!({
                "statusCode": status,
                "headers": joined(&headers),
                "cookies": cookies,
                "body": body,
                "isBase64Encoded": is_base64,
            })
        }
        HttpOrigin::Alb => json!({
            "statusCode": status,
            "statusDescription": format!("{status} {}", parts.status.canonical_reason().unwrap_or_default()),
            "headers": joined(&headers),
            "multiValueHeaders": multi_value(&headers),
            "body": body,
            "isBase64Encoded": is_base64,
        }),
    }
}
