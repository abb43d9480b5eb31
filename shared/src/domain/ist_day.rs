//! India Standard Time calendar days. IST is UTC+05:30 all year (no daylight saving), so a
//! fixed offset is exact.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// IST offset from UTC in seconds (+05:30).
pub const IST_OFFSET_SECONDS: i32 = 5 * 3600 + 30 * 60;

fn ist() -> FixedOffset {
    FixedOffset::east_opt(IST_OFFSET_SECONDS).expect("+05:30 is a valid offset")
}

/// A calendar day in India Standard Time, serialized `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IstDay(NaiveDate);

impl IstDay {
    /// The IST day containing the instant `t`.
    pub fn of(t: DateTime<Utc>) -> Self {
        IstDay(t.with_timezone(&ist()).date_naive())
    }

    /// The underlying date.
    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The next day.
    pub fn succ(self) -> Self {
        IstDay(self.0 + Duration::days(1))
    }

    /// The previous day.
    pub fn pred(self) -> Self {
        IstDay(self.0 - Duration::days(1))
    }

    /// The instant this day starts (00:00 IST) in UTC.
    pub fn start_utc(self) -> DateTime<Utc> {
        self.0
            .and_hms_opt(0, 0, 0)
            .and_then(|dt| dt.and_local_timezone(ist()).single())
            .map(|dt| dt.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// Whole seconds from `now` until the next IST midnight (at least 1).
    pub fn seconds_until_next(now: DateTime<Utc>) -> u64 {
        let next = IstDay::of(now).succ().start_utc();
        (next - now).num_seconds().max(1) as u64
    }

    /// ISO-8601 week label of this day, e.g. `2026-W48` (weeks start Monday, IST).
    pub fn iso_week(self) -> String {
        let w = self.0.iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    }
}

impl fmt::Display for IstDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ist_midnight_splits_days() {
        // 23:55 IST on 28 Nov = 18:25 UTC; 00:05 IST on 29 Nov = 18:35 UTC.
        let before = Utc.with_ymd_and_hms(2026, 11, 28, 18, 25, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 28, 18, 35, 0).unwrap();
        assert_eq!(IstDay::of(before).to_string(), "2026-11-28");
        assert_eq!(IstDay::of(after).to_string(), "2026-11-29");
        assert_eq!(IstDay::seconds_until_next(before), 300);
        assert_eq!(IstDay::of(after).start_utc(), Utc.with_ymd_and_hms(2026, 11, 28, 18, 30, 0).unwrap());
    }
}
