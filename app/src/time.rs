//! Human-readable times. Pure functions of (now, then) so the server's HTML and the hydrated page
//! agree (both receive `now` from the server).

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// "just now", "5 minutes ago", "yesterday", "12 Mar 2026".
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let elapsed = now_ms.saturating_sub(then_ms);
    match elapsed {
        // A clock a little ahead of the server's still reads as "just now".
        e if e < 45_000 => "just now".to_string(),
        e if e < 90_000 => "a minute ago".to_string(),
        e if e < 45 * MINUTE => format!("{} minutes ago", (e + MINUTE / 2) / MINUTE),
        e if e < 90 * MINUTE => "an hour ago".to_string(),
        e if e < 22 * HOUR => format!("{} hours ago", (e + HOUR / 2) / HOUR),
        e if e < 36 * HOUR => "yesterday".to_string(),
        e if e < 26 * DAY => format!("{} days ago", (e + DAY / 2) / DAY),
        _ => date(then_ms),
    }
}

/// A duration as "3.1 s".
pub fn seconds(ms: i64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// A duration in its largest whole unit, for chart axes: "500 ms", "15 s", "2 min", "3 h", "2 d".
pub fn compact(ms: i64) -> String {
    match ms {
        ms if ms < 1_000 && ms % 1_000 != 0 => format!("{ms} ms"),
        ms if ms < MINUTE => format!("{} s", ms / 1_000),
        ms if ms < HOUR => format!("{} min", ms / MINUTE),
        ms if ms < DAY => format!("{} h", ms / HOUR),
        ms => format!("{} d", ms / DAY),
    }
}

/// "12 Mar 2026, 14:03 UTC": unambiguous, for tooltips and metadata.
pub fn utc(ms: i64) -> String {
    let minutes = ms.div_euclid(MINUTE);
    let (hour, minute) = (minutes.div_euclid(60).rem_euclid(24), minutes.rem_euclid(60));
    format!("{}, {hour:02}:{minute:02} UTC", date(ms))
}

fn date(ms: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day) = model::time::civil_from_days(ms.div_euclid(DAY));
    format!("{day} {} {year}", MONTHS[(month - 1) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_in_utc() {
        assert_eq!(utc(0), "1 Jan 1970, 00:00 UTC");
        // 2024-02-29T13:05:00Z, a leap day.
        assert_eq!(utc(1_709_211_900_000), "29 Feb 2024, 13:05 UTC");
    }

    #[test]
    fn compact_durations_use_the_largest_unit() {
        let shown: Vec<String> = [0, 200, 15_000, 2 * MINUTE, 3 * HOUR, 2 * DAY].into_iter().map(compact).collect();
        assert_eq!(shown, ["0 s", "200 ms", "15 s", "2 min", "3 h", "2 d"]);
    }

    #[test]
    fn says_how_long_ago() {
        let now = 1_709_211_900_000;
        assert_eq!(ago(now, now + 5_000), "just now");
        assert_eq!(ago(now, now - 5 * MINUTE), "5 minutes ago");
        assert_eq!(ago(now, now - 3 * HOUR), "3 hours ago");
        assert_eq!(ago(now, now - 30 * HOUR), "yesterday");
        assert_eq!(ago(now, now - 4 * DAY), "4 days ago");
        assert_eq!(ago(now, now - 60 * DAY), "31 Dec 2023");
    }
}
