//! When a cron runs next (upstream's `CalcNewNext`): 5-field specs (minute hour day-of-month
//! month day-of-week) and descriptors (`@daily`, ...) through croner with seconds and years
//! disallowed, `@every <duration>`, and the parser's optional `TZ=`/`CRON_TZ=` prefix. Times
//! are read in the cron's IANA time zone.
//!
//! The scheduler will need this too; it lives next to the handlers until the scheduler exists.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};

use crate::app::config::parse_go_duration;

/// Why no next run could be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The time zone is not an IANA name (a validation failure upstream).
    #[error("invalid timezone '{0}'")]
    Timezone(String),
    /// The expression does not parse or never fires.
    #[error("{0}")]
    Schedule(String),
}

/// The first run strictly after unix time `now` of `schedule` read in `timezone`.
///
/// # Errors
/// [`ScheduleError::Timezone`] for an unknown zone, [`ScheduleError::Schedule`] for an
/// expression that does not parse.
pub fn next_exec(schedule: &str, timezone: &str, now: i64) -> Result<i64, ScheduleError> {
    let mut zone = parse_zone(timezone)?;
    let mut spec = schedule.trim();
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = spec.strip_prefix(prefix) {
            let (name, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            zone = parse_zone(name).map_err(|e| ScheduleError::Schedule(e.to_string()))?;
            spec = rest.trim_start();
        }
    }
    if let Some(duration) = spec.strip_prefix("@every") {
        let seconds = parse_go_duration(duration.trim()).map_err(ScheduleError::Schedule)?;
        return Ok(now + seconds as i64);
    }
    let parser = CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build();
    let cron = parser.parse(spec).map_err(|e| ScheduleError::Schedule(e.to_string()))?;
    let start = zone.timestamp_opt(now, 0).single().unwrap_or_else(|| Utc::now().with_timezone(&zone));
    let next =
        cron.find_next_occurrence(&start, false).map_err(|e| ScheduleError::Schedule(e.to_string()))?;
    Ok(next.timestamp())
}

/// An IANA zone by name (`UTC` when empty).
fn parse_zone(name: &str) -> Result<Tz, ScheduleError> {
    let name = if name.is_empty() { "UTC" } else { name };
    name.parse().map_err(|_| ScheduleError::Timezone(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z.
    const NEW_YEAR: i64 = 1_767_225_600;

    #[test]
    fn five_fields_and_descriptors_give_the_next_run() {
        assert_eq!(next_exec("*/5 * * * *", "UTC", NEW_YEAR), Ok(NEW_YEAR + 300));
        assert_eq!(next_exec("@daily", "UTC", NEW_YEAR), Ok(NEW_YEAR + 86_400));
        assert_eq!(next_exec("@hourly", "", NEW_YEAR + 1), Ok(NEW_YEAR + 3600));
    }

    #[test]
    fn seconds_fields_and_nonsense_are_refused() {
        assert!(matches!(next_exec("0 */5 * * * *", "UTC", NEW_YEAR), Err(ScheduleError::Schedule(_))));
        assert!(matches!(next_exec("3min", "UTC", NEW_YEAR), Err(ScheduleError::Schedule(_))));
        assert!(matches!(next_exec("@every nope", "UTC", NEW_YEAR), Err(ScheduleError::Schedule(_))));
    }

    #[test]
    fn every_adds_its_duration() {
        assert_eq!(next_exec("@every 1h30m", "UTC", NEW_YEAR), Ok(NEW_YEAR + 5400));
    }

    #[test]
    fn time_zones_shift_the_run() {
        // Midnight in Berlin (UTC+1 in winter) is 23:00 UTC the day before.
        assert_eq!(next_exec("0 0 * * *", "Europe/Berlin", NEW_YEAR), Ok(NEW_YEAR + 23 * 3600));
        assert_eq!(next_exec("TZ=Europe/Berlin 0 0 * * *", "UTC", NEW_YEAR), Ok(NEW_YEAR + 23 * 3600));
        assert_eq!(
            next_exec("@daily", "Mars/Olympus", NEW_YEAR),
            Err(ScheduleError::Timezone("Mars/Olympus".into()))
        );
    }
}
