//! The shapes of the weekly trigger's scheduled events.
//!
//! **AWS**: an EventBridge rule with a schedule expression delivers to Lambda
//! `{"version": "0", "id", "detail-type": "Scheduled Event", "source": "aws.events", "account",
//! "time", "region", "resources": [rule ARN], "detail": {}}` ("Amazon EventBridge events",
//! scheduled-event example). An EventBridge Scheduler schedule delivers its target `Input`
//! verbatim; configure the same shape with `"source": "aws.scheduler"` and
//! `"time": "<aws.scheduler.scheduled-time>"` (a context attribute Scheduler substitutes,
//! "Adding context attributes" in the Scheduler user guide). Both are accepted.
//!
//! **GCP**: Cloud Scheduler's HTTP target POSTs a body of our choosing with a Google-signed
//! OIDC token; the body is `{}` or `{"week": "2026-W48"}`.
//!
//! Without an explicit `week` (`detail.week` on AWS), the run is for the last complete ISO week
//! before the event's `time` (or before now when absent): a schedule firing Monday 00:30 IST
//! snapshots the week that just ended.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::week::IsoWeek;

/// `detail-type` of scheduled events.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// True for an EventBridge scheduled event (rule or Scheduler).
pub fn is_scheduled_event(event: &Value) -> bool {
    event["detail-type"] == SCHEDULED_EVENT && matches!(event["source"].as_str(), Some("aws.events" | "aws.scheduler"))
}

/// The week an explicit label or an event time designates (see the module docs).
///
/// # Errors
/// A message when `week` is present but not `YYYY-Www`.
pub fn week_for(week: Option<&str>, time: Option<&str>, now: DateTime<Utc>) -> Result<IsoWeek, String> {
    if let Some(w) = week {
        return IsoWeek::parse(w);
    }
    let at = time.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map_or(now, |t| t.with_timezone(&Utc));
    Ok(IsoWeek::last_complete(at))
}

/// The week a scheduled event asks for.
///
/// # Errors
/// As [`week_for`].
pub fn event_week(event: &Value, now: DateTime<Utc>) -> Result<IsoWeek, String> {
    week_for(event["detail"]["week"].as_str(), event["time"].as_str(), now)
}
