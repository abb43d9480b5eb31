//! Request metrics as CloudWatch Embedded Metric Format lines
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! on Lambda, one JSON line per request on stdout, which CloudWatch turns into metrics in
//! namespace [`NAMESPACE`] with dimensions `Function` and `Route`, at no API cost: `Latency`
//! (Milliseconds; alarms and dashboards use its p95), `Requests`, `Errors` (5xx) and
//! `ClientErrors` (4xx) (Count; their Sum over `Requests` is the error rate).

use serde_json::{Value, json};

/// CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "JEEVibe";

/// One request's EMF document.
pub fn request_metrics(function: &str, route: &str, status: u16, latency_ms: f64, now_ms: i64) -> Value {
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function", "Route"], ["Function"]],
                "Metrics": [
                    {"Name": "Latency", "Unit": "Milliseconds"},
                    {"Name": "Requests", "Unit": "Count"},
                    {"Name": "Errors", "Unit": "Count"},
                    {"Name": "ClientErrors", "Unit": "Count"}
                ]
            }]
        },
        "Function": function,
        "Route": route,
        "Latency": latency_ms,
        "Requests": 1,
        "Errors": u8::from(status >= 500),
        "ClientErrors": u8::from((400..500).contains(&status)),
        "status": status
    })
}

/// Writes the line to stdout when running on Lambda (`AWS_LAMBDA_FUNCTION_NAME` set).
pub fn emit(route: &str, status: u16, latency_ms: f64) {
    static FUNCTION: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let Some(function) = FUNCTION.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok()) else {
        return;
    };
    let line = request_metrics(function, route, status, latency_ms, chrono::Utc::now().timestamp_millis());
    println!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_cloudwatch_accepts() {
        let v = request_metrics("snap-solve", "/v1/snaps", 503, 12.5, 1_795_939_200_000);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        // Every metric and dimension named in the directive is a top-level member.
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(v.get(m["Name"].as_str().unwrap()).is_some());
        }
        for set in directive["Dimensions"].as_array().unwrap() {
            for d in set.as_array().unwrap() {
                assert!(v[d.as_str().unwrap()].is_string());
            }
        }
        assert_eq!((v["Errors"].as_u64(), v["ClientErrors"].as_u64()), (Some(1), Some(0)));
        assert_eq!(v["_aws"]["Timestamp"], 1_795_939_200_000_i64);
    }
}
