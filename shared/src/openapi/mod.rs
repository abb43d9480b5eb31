//! The OpenAPI 3.1 description of the HTTP API, generated from the code.
//!
//! Every function builds its routes with utoipa-axum's [`OpenApiRouter`] and `routes!`, so a
//! route is only mounted together with the `#[utoipa::path]` annotation of its handler. This
//! module adds what every router shares: the document's info, the security schemes (Firebase
//! ID tokens; Google-signed OIDC tokens for the internal routes), the [`ProblemSchema`], the
//! common routes (`GET /healthz`, `POST /internal/jobs/pubsub`, `GET /openapi.json`) and the
//! error responses every route can give (408, 413, 500). [`with_document`] serves the result at
//! [`OPENAPI_ROUTE`].

pub mod responses;
mod schemas;

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::http::AppState;
use crate::problem::{ErrorCode, PROBLEM_JSON};

pub use schemas::{HealthView, ProblemSchema, PushEnvelope};

/// Path of the served document.
pub const OPENAPI_ROUTE: &str = "/openapi.json";
/// Security scheme of the `/v1` routes: a Firebase ID token (`Authorization: Bearer <JWT>`).
pub const FIREBASE_ID_TOKEN: &str = "firebase_id_token";
/// Security scheme of the `/internal` routes: a Google-signed OIDC token (Pub/Sub push,
/// Cloud Scheduler) for the audience `PUSH_AUDIENCE`.
pub const GOOGLE_OIDC_TOKEN: &str = "google_oidc_token";

// Only the annotation of the route: `with_document` mounts a closure over the serialised
// document next to it; this function is never routed. (Its doc comment becomes the operation's
// summary in the document.)
/// `GET /openapi.json`: the OpenAPI 3.1 document of this binary's routes.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This OpenAPI 3.1 document.", content_type = "application/json", body = serde_json::Value)),
)]
pub async fn openapi_json() {}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "JEEVibe API",
        description = "Backend of the JEEVibe exam-prep app: adaptive practice quizzes, photo \
            solutions (snaps), an AI tutor and weekly progress snapshots. Every error is an RFC 9457 \
            problem (`application/problem+json`) with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(crate::http::layers::healthz, crate::http::jobs_push::receive_push, openapi_json),
    components(schemas(ProblemSchema, ErrorCode, HealthView, PushEnvelope)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "practice", description = "Adaptive quizzes and progress"),
        (name = "snaps", description = "Photo of a question → worked solution"),
        (name = "tutor", description = "AI tutor conversations"),
        (name = "snapshots", description = "Weekly progress snapshots"),
        (name = "internal", description = "Called by Google Cloud (Pub/Sub push, Cloud Scheduler), not by the app"),
        (name = "meta", description = "Health and this document"),
        (name = "account", description = "The caller's tier, entitlements and usage"),
    ),
)]
struct Common;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Components::new);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(description.to_owned()))
                    .build(),
            )
        };
        components.add_security_scheme(
            FIREBASE_ID_TOKEN,
            bearer("Firebase ID token of the signed-in user (RS256, issuer securetoken.google.com/<project>)."),
        );
        components.add_security_scheme(
            GOOGLE_OIDC_TOKEN,
            bearer("Google-signed OIDC token of the push subscription / scheduler job (audience PUSH_AUDIENCE)."),
        );
    }
}

/// Error responses any route can give, added to every operation that does not declare them:
/// the 30 s request timeout, the body size limit, and a bug.
const EVERY_ROUTE: [(&str, &str); 3] = [
    ("408", "`request_timeout`: the request (body upload included) took longer than 30 s."),
    ("413", "`payload_too_large`: the body is over the route's size limit."),
    ("500", "`internal`: a bug; the details are in the log only."),
];

/// A problem+json response with `description`.
pub fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("Problem"))).build(),
        )
        .build()
}

/// The complete document of `api`: the common routes, schemas and security schemes merged in,
/// the [`EVERY_ROUTE`] responses added to each operation, and axum's wildcard segments
/// (`{*key}`) written as OpenAPI path parameters (`{key}`).
pub fn document(api: Document) -> Document {
    let mut doc = Common::openapi();
    doc.merge(api);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let paths = std::mem::take(&mut doc.paths.paths);
    for (path, mut item) in paths {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            for (status, description) in EVERY_ROUTE {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(problem_response(description)));
            }
        }
        doc.paths.paths.insert(path.replace("{*", "{"), item);
    }
    doc
}

/// The routes of `api` plus `GET /openapi.json` serving [`document`] of them, finished and
/// serialised on the first request for it (once; ≈ 10% of a function's start before the
/// first response when done at start, by a perf profile).
pub fn with_document(api: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, doc) = api.split_for_parts();
    let body: Arc<LazyLock<bytes::Bytes, Box<dyn FnOnce() -> bytes::Bytes + Send>>> =
        Arc::new(LazyLock::new(Box::new(move || bytes::Bytes::from(to_json(&document(doc))))));
    router.route(
        OPENAPI_ROUTE,
        get(move || async move { ([(CONTENT_TYPE, "application/json")], bytes::Bytes::clone(&body)).into_response() }),
    )
}

/// `doc` as pretty-printed JSON with a final newline: the served bytes and the form of the
/// checked-in `docs/openapi.json`. Link objects get their OpenAPI member names
/// (`operationId`, `operationRef`, `requestBody`): utoipa 5.5 serialises them in snake_case.
pub fn to_json(doc: &Document) -> String {
    let mut v = serde_json::to_value(doc).unwrap_or_default();
    if let Some(paths) = v.get_mut("paths").and_then(serde_json::Value::as_object_mut) {
        let operations = paths.values_mut().filter_map(serde_json::Value::as_object_mut).flat_map(|i| i.values_mut());
        let responses =
            operations.filter_map(|op| op.get_mut("responses")?.as_object_mut()).flat_map(|r| r.values_mut());
        let links = responses.filter_map(|r| r.get_mut("links")?.as_object_mut()).flat_map(|l| l.values_mut());
        for link in links.filter_map(serde_json::Value::as_object_mut) {
            for (from, to) in
                [("operation_id", "operationId"), ("operation_ref", "operationRef"), ("request_body", "requestBody")]
            {
                if let Some(x) = link.remove(from) {
                    link.insert(to.to_owned(), x);
                }
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Marks the request body of `method path` in `doc` as optional (`required: false`): for
/// routes where no body at all means the defaults (utoipa marks a non-`Option` body required).
pub fn optional_body(doc: &mut Document, path: &str, method: utoipa::openapi::HttpMethod) {
    use utoipa::openapi::HttpMethod as M;
    let Some(item) = doc.paths.paths.get_mut(path) else { return };
    let op = match method {
        M::Get => &mut item.get,
        M::Put => &mut item.put,
        M::Post => &mut item.post,
        M::Delete => &mut item.delete,
        M::Options => &mut item.options,
        M::Head => &mut item.head,
        M::Patch => &mut item.patch,
        M::Trace => &mut item.trace,
    };
    if let Some(body) = op.as_mut().and_then(|o| o.request_body.as_mut()) {
        body.required = Some(utoipa::openapi::Required::False);
    }
}
