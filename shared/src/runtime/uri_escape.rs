//! Percent-encoding of event text that becomes part of a request URI.
//!
//! API Gateway passes a v2 `rawQueryString` as the client sent it and decodes the REST (v1)
//! query maps; an ALB passes its query maps undecoded. `http::Uri` refuses bytes outside
//! RFC 3986 (a space, `"`, `<`, non-ASCII), so such text is escaped here: bytes that may stand
//! in a URI are kept, existing `%XX` escapes included, and every other byte becomes `%XX`
//! (RFC 3986 §2.1), which decodes back to the same text.

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

/// Bytes escaped in text that is already URI-encoded (raw paths and query strings): controls,
/// space and the ASCII characters RFC 3986 §2 allows nowhere outside a fragment delimiter.
/// Non-ASCII is always escaped by `percent_encoding`.
const RAW: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// [`RAW`] plus `?`, which would end a path.
const RAW_PATH: &AsciiSet = &RAW.add(b'?');

/// Bytes escaped in one decoded query name or value: everything but RFC 3986 `unreserved`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A raw (already encoded) path, made valid for a URI: starts with `/`, invalid bytes escaped.
pub fn raw_path(path: &str) -> String {
    let escaped = utf8_percent_encode(path, RAW_PATH).to_string();
    if escaped.starts_with('/') { escaped } else { format!("/{escaped}") }
}

/// A raw (already encoded) query string, or one raw name or value, made valid for a URI.
pub fn raw_query(query: &str) -> String {
    utf8_percent_encode(query, RAW).to_string()
}

/// One decoded query name or value, encoded for a query string.
pub fn component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_a_uri_cannot_hold() {
        assert_eq!(raw_query("q=\"x\"&r=<a>&s=a b&t=%20&u=ü"), "q=%22x%22&r=%3Ca%3E&s=a%20b&t=%20&u=%C3%BC");
        assert_eq!(raw_path("v1/a b?c"), "/v1/a%20b%3Fc");
        assert_eq!(component("a&b=c d+é"), "a%26b%3Dc%20d%2B%C3%A9");
    }
}
