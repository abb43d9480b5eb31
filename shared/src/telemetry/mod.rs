//! tracing setup: JSON lines on Lambda / Cloud Run, human-readable locally. The level comes
//! from `RUST_LOG` (default `info`). Request lines carry `severity` and the trace id in the
//! fields Cloud Logging reads (`logging.googleapis.com/trace`); on Lambda each request also
//! writes a CloudWatch EMF metrics line ([`emf`]).

pub mod emf;

/// `projects/{project}/traces/` on Cloud Run (`K_SERVICE` set) when the project is known
/// (`GOOGLE_CLOUD_PROJECT`, else `FIRESTORE_PROJECT_ID`), so Cloud Logging links request lines
/// to Cloud Trace; `None` elsewhere.
pub fn cloud_trace_prefix() -> Option<&'static str> {
    static PREFIX: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PREFIX
        .get_or_init(|| {
            std::env::var_os("K_SERVICE")?;
            let project =
                std::env::var("GOOGLE_CLOUD_PROJECT").or_else(|_| std::env::var("FIRESTORE_PROJECT_ID")).ok()?;
            Some(format!("projects/{project}/traces/"))
        })
        .as_deref()
}

/// Cloud Logging / CloudWatch severity of a response status: `ERROR` for 5xx, `WARNING` for
/// 4xx, else `INFO`.
pub fn severity(status: u16) -> &'static str {
    match status {
        500.. => "ERROR",
        400..=499 => "WARNING",
        _ => "INFO",
    }
}

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber (a second call is a no-op).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).without_time().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
