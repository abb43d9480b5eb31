//! `If-None-Match` (RFC 9110 §13.1.2): does the client already hold a representation with a
//! given entity tag? The field is `*` or a comma-separated list of entity tags (over one or
//! more field lines), compared with the weak comparison (`W/"x"` matches `"x"`). Written here
//! rather than taken from the `headers` crate: that crate would add five dependencies for one
//! list comparison.

use axum::http::{HeaderMap, header};

/// The opaque part of an entity tag (`"abc"` or `W/"abc"` → `abc`), `None` when malformed.
fn opaque(tag: &str) -> Option<&str> {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.strip_prefix('"')?.strip_suffix('"').filter(|o| !o.contains('"'))
}

/// True when `If-None-Match` in `headers` matches `etag` (a quoted strong tag) by weak
/// comparison, or is `*`. Malformed members never match.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(wanted) = opaque(etag) else { return false };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|line| line.split(',').any(|member| member.trim() == "*" || opaque(member) == Some(wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn weak_comparison_over_lists_and_lines() {
        let tag = "\"pk_1\"";
        assert!(if_none_match(&with(&["\"pk_1\""]), tag));
        assert!(if_none_match(&with(&["W/\"pk_1\""]), tag));
        assert!(if_none_match(&with(&["\"a\", \"pk_1\""]), tag));
        assert!(if_none_match(&with(&["\"a\"", "\"pk_1\""]), tag));
        assert!(if_none_match(&with(&["*"]), tag));
        assert!(!if_none_match(&with(&["\"pk_2\""]), tag));
        assert!(!if_none_match(&with(&["pk_1"]), tag));
        assert!(!if_none_match(&HeaderMap::new(), tag));
    }
}
