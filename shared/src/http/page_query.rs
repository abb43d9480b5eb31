//! The `?limit=&cursor=` query of newest-first listings as an extractor whose rejections are
//! `400 invalid_request` problems.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use crate::pagination::{PageCursor, PageParams};
use crate::problem::{ErrorCode, Problem};

/// A validated page request: size and optional cursor.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Page size.
    pub limit: usize,
    /// Where the page starts (after this instant).
    pub cursor: Option<PageCursor>,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(params) = Query::<PageParams>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::new(ErrorCode::InvalidRequest, format!("bad query string: {}", e.body_text())))?;
        let (limit, cursor) = params.parse().map_err(|e| Problem::new(ErrorCode::InvalidRequest, e))?;
        Ok(Page { limit, cursor })
    }
}
