//! ISO-8601 weeks of IST days (`2026-W48`): the unit a weekly snapshot covers. A week runs
//! from Monday 00:00 IST to the next Monday 00:00 IST (IST is UTC+05:30 all year).

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use crate::domain::IstDay;

/// An ISO week, e.g. `2026-W48`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsoWeek {
    monday: NaiveDate,
}

impl IsoWeek {
    /// Parses `YYYY-Www` (`W01`..`W53`, the week must exist in that ISO year).
    ///
    /// # Errors
    /// A message naming the expected shape.
    pub fn parse(s: &str) -> Result<IsoWeek, String> {
        let bad = || format!("{s:?} is not an ISO week like 2026-W48");
        let (year, week) = s.split_once("-W").ok_or_else(bad)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { monday })
    }

    /// The week of an IST day.
    pub fn of_day(day: IstDay) -> IsoWeek {
        let d = day.date();
        IsoWeek { monday: d - Duration::days(i64::from(d.weekday().num_days_from_monday())) }
    }

    /// The week containing the instant `t` (in IST).
    pub fn containing(t: DateTime<Utc>) -> IsoWeek {
        Self::of_day(IstDay::of(t))
    }

    /// The last complete week before the instant `t`: what a weekly schedule firing early on
    /// Monday (IST) snapshots.
    pub fn last_complete(t: DateTime<Utc>) -> IsoWeek {
        Self::containing(t).prev()
    }

    /// The week before.
    pub fn prev(self) -> IsoWeek {
        IsoWeek { monday: self.monday - Duration::days(7) }
    }

    /// Monday 00:00 IST, in UTC (inclusive start).
    pub fn start_utc(self) -> DateTime<Utc> {
        IstDay::of(ist_midnight_utc(self.monday)).start_utc()
    }

    /// The next Monday 00:00 IST, in UTC (exclusive end).
    pub fn end_utc(self) -> DateTime<Utc> {
        IsoWeek { monday: self.monday + Duration::days(7) }.start_utc()
    }

    /// The label `YYYY-Www`, the same as [`IstDay::iso_week`] for each of its days.
    pub fn label(self) -> String {
        let w = self.monday.iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    }
}

/// An instant inside the IST day `d` (06:30 UTC is noon IST), to reuse [`IstDay::of`].
fn ist_midnight_utc(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(6, 30, 0).map(|t| t.and_utc()).unwrap_or_default()
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bounds_and_labels() {
        let w = IsoWeek::parse("2026-W48").unwrap();
        assert_eq!(w.label(), "2026-W48");
        // Monday 23 Nov 2026 00:00 IST = Sunday 22 Nov 18:30 UTC.
        assert_eq!(w.start_utc(), Utc.with_ymd_and_hms(2026, 11, 22, 18, 30, 0).unwrap());
        assert_eq!(w.end_utc(), Utc.with_ymd_and_hms(2026, 11, 29, 18, 30, 0).unwrap());
        assert_eq!(IsoWeek::containing(w.start_utc()), w);
        assert_eq!(IsoWeek::containing(w.end_utc() - Duration::seconds(1)), w);
        assert_eq!(IsoWeek::last_complete(w.end_utc()), w);
        assert_eq!(IsoWeek::containing(w.start_utc()).label(), IstDay::of(w.start_utc()).iso_week());
        assert_eq!(IsoWeek::parse("2027-W01").unwrap().prev().label(), "2026-W53");
        for bad in ["2026-48", "2026-W5", "2026-W54", "26-W01", "2026-Wxx", ""] {
            assert!(IsoWeek::parse(bad).is_err(), "{bad}");
        }
    }
}
