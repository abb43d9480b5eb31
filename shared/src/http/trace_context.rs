//! The trace id of a request, from whichever platform header carries it, so one request's log
//! lines join the platform's own traces:
//! * W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<flags>`, W3C Trace Context §3.2);
//! * Cloud Run's `X-Cloud-Trace-Context` (`<32 hex trace id>/<decimal span id>;o=<0|1>`);
//! * AWS X-Ray's `X-Amzn-Trace-Id` (`Root=1-<8 hex>-<24 hex>;Parent=…;Sampled=…`), which API
//!   Gateway, ALB and our Lambda adapter set.

use axum::http::HeaderMap;

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The trace id, lower-case, when a header carries a well-formed one (X-Ray ids keep their
/// `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx` form).
pub fn trace_id(headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(tp) = header("traceparent") {
        let parts: Vec<&str> = tp.split('-').collect();
        if let [version, trace, span, _flags] = parts.as_slice()
            && is_hex(version, 2)
            && is_hex(trace, 32)
            && is_hex(span, 16)
            && trace.bytes().any(|b| b != b'0')
        {
            return Some(trace.to_ascii_lowercase());
        }
    }
    if let Some(cloud) = header("x-cloud-trace-context") {
        let trace = cloud.split('/').next().unwrap_or("");
        if is_hex(trace, 32) {
            return Some(trace.to_ascii_lowercase());
        }
    }
    if let Some(amzn) = header("x-amzn-trace-id") {
        let root = amzn.split(';').find_map(|p| p.trim().strip_prefix("Root="))?;
        let parts: Vec<&str> = root.split('-').collect();
        if let ["1", time, id] = parts.as_slice()
            && is_hex(time, 8)
            && is_hex(id, 24)
        {
            return Some(root.to_ascii_lowercase());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn each_platform_header() {
        let w3c = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        assert_eq!(trace_id(&headers(&[("traceparent", w3c)])).unwrap(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let cloud = "105445aa7843bc8bf206b12000100000/1;o=1";
        assert_eq!(
            trace_id(&headers(&[("x-cloud-trace-context", cloud)])).unwrap(),
            "105445aa7843bc8bf206b12000100000"
        );
        let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
        assert_eq!(trace_id(&headers(&[("x-amzn-trace-id", xray)])).unwrap(), "1-5759e988-bd862e3fe1be46a994272793");
    }

    #[test]
    fn malformed_values_are_ignored() {
        assert_eq!(
            trace_id(&headers(&[("traceparent", "00-0000000000000000000000000000000-00f067aa0ba902b7-01")])),
            None
        );
        assert_eq!(
            trace_id(&headers(&[("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")])),
            None
        );
        assert_eq!(trace_id(&headers(&[("x-cloud-trace-context", "<script>/1")])), None);
        assert_eq!(trace_id(&headers(&[("x-amzn-trace-id", "Root=1-zz-yy")])), None);
        assert_eq!(trace_id(&HeaderMap::new()), None);
    }
}
