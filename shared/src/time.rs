//! Time as the engine sees it: seconds since the Unix epoch, passed in by callers (the crate
//! never reads a clock), with the calendar arithmetic rotation policies need.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch. The crate never reads the clock: callers pass `now` in.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Seconds in a day, the unit of vault retention.
    pub const DAY: i64 = 86_400;

    /// This instant moved forward by whole days (saturating, never panics).
    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(Self::DAY)))
    }

    /// This instant moved forward by calendar months, in UTC; a day past the end of the target
    /// month becomes its last day (31 January + 1 month = 28 or 29 February).
    pub fn plus_months(self, months: u32) -> Timestamp {
        let days = self.0.div_euclid(Self::DAY);
        let seconds = self.0.rem_euclid(Self::DAY);
        let (year, month, day) = civil_from_days(days);
        let index = i64::from(month - 1) + i64::from(months);
        let (year, month) = (year + index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
        let day = day.min(days_in_month(year, month));
        Timestamp(days_from_civil(year, month, day) * Self::DAY + seconds)
    }

    /// RFC 3339 in UTC, to the second: `2026-12-01T09:30:00Z`.
    pub fn rfc3339(self) -> String {
        let (year, month, day) = civil_from_days(self.0.div_euclid(Self::DAY));
        let s = self.0.rem_euclid(Self::DAY);
        format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
    }
}

// Calendar arithmetic on the proleptic Gregorian calendar (H. Hinnant's algorithms).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
