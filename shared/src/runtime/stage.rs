//! API Gateway stage names and the request path.
//!
//! A stage other than `$default` is part of the URL the client calls
//! (`https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/v1/quizzes`). An HTTP API
//! (payload 2.0) keeps it in `rawPath` (`/{stage}/v1/quizzes`); a REST API (payload 1.0) drops
//! it from `path`; custom domains with API mappings differ again. The function must route the
//! same on every stage, so the path with the stage prefix removed and the path as given are
//! both candidates, and the router decides: the first candidate that names a route wins
//! (a stage named like a route segment, `v1`, is then still right), and when none does the
//! request goes on unchanged to be answered 404.

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::lambda_event::HttpOrigin;

/// The paths to try, best first: for an HTTP API (which puts the stage in `rawPath`) the
/// stage-stripped path, then the path as given; for a REST API the reverse. Only one
/// candidate when there is no stage or the path does not start with `/{stage}`.
pub fn candidates(origin: HttpOrigin, stage: Option<&str>, path: &str) -> Vec<String> {
    let stripped = stage.and_then(|stage| {
        let rest = path.strip_prefix('/')?.strip_prefix(stage)?;
        match rest {
            "" => Some("/".to_owned()),
            r if r.starts_with('/') => Some(r.to_owned()),
            _ => None,
        }
    });
    match (stripped, origin) {
        (None, _) => vec![path.to_owned()],
        (Some(s), HttpOrigin::ApiGatewayHttp) => vec![s, path.to_owned()],
        (Some(s), _) => vec![path.to_owned(), s],
    }
}

/// Answers 200 when the router matched a route (any method), 404 otherwise, without running
/// the route: the router sets [`MatchedPath`] before it calls the route's layers.
async fn matched_only(req: Request, _next: Next) -> Response {
    if req.extensions().get::<MatchedPath>().is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND }.into_response()
}

/// A copy of an application router that only tells whether a path names one of its routes.
#[derive(Clone)]
pub struct RouteProbe(Router);

impl RouteProbe {
    /// The probe for `app` (cheap: routers share their routes).
    pub fn new(app: &Router) -> Self {
        Self(app.clone().layer(middleware::from_fn(matched_only)))
    }

    /// True when `path` (no query) names a route of the application, whatever its methods.
    pub async fn matches(&self, method: &Method, path: &str) -> bool {
        let Ok(req) = Request::builder().method(method.clone()).uri(path).body(Body::empty()) else {
            return false;
        };
        self.0.clone().oneshot(req).await.is_ok_and(|res| res.status() == StatusCode::OK)
    }

    /// The first of `candidates` that names a route; the first candidate when none does.
    pub async fn choose(&self, method: &Method, candidates: Vec<String>) -> String {
        if candidates.len() > 1 {
            for c in &candidates {
                if self.matches(method, c).await {
                    return c.clone();
                }
            }
        }
        candidates.into_iter().next().unwrap_or_else(|| "/".to_owned())
    }
}
