//! DeploymentWindow: passes while the evaluation's moment lies inside the window that `Cron`
//! describes, read in `TimeZone` (an IANA name, UTC by default).
use super::cron::Cron;
use super::{RuleContext, RuleProvider, RuleResult};
use crate::providers::{ActionFailure, BoxFuture};

pub struct DeploymentWindow;

impl RuleProvider for DeploymentWindow {
    fn evaluate<'a>(&'a self, ctx: &'a RuleContext) -> BoxFuture<'a, RuleResult> {
        Box::pin(async move {
            let zone = ctx.configuration.get("TimeZone").map(String::as_str).unwrap_or("UTC");
            in_window(ctx.required("Cron")?, zone, ctx.now_ms)
        })
    }
}

/// The verdict for the moment `now_ms`.
pub fn in_window(cron: &str, zone: &str, now_ms: i64) -> RuleResult {
    let expression = Cron::parse(cron).map_err(|why| ActionFailure::configuration(format!("Cron: {why}.")))?;
    let tz = jiff::tz::TimeZone::get(zone)
        .map_err(|_| ActionFailure::configuration(format!("TimeZone '{zone}' is not a known time zone name.")))?;
    let now = jiff::Timestamp::from_millisecond(now_ms)
        .map_err(|e| ActionFailure::configuration(format!("the current time is out of range: {e}")))?
        .to_zoned_datetime(tz);
    let local = now.strftime("%Y-%m-%d %H:%M");
    if expression.matches(&now) {
        Ok(format!("{local} ({zone}) is inside the deployment window '{cron}'."))
    } else {
        Err(ActionFailure::job_failed(format!("{local} ({zone}) is outside the deployment window '{cron}'.")))
    }
}

#[cfg(test)]
mod tests {
    use super::in_window;

    // 2026-11-27T10:30:00Z, a Friday.
    const FRIDAY_10_30_UTC: i64 = 1_795_775_400_000;

    #[test]
    fn the_time_zone_moves_the_window() {
        assert!(in_window("* * 9-16 ? * MON-FRI", "UTC", FRIDAY_10_30_UTC).is_ok());
        // 05:30 in New York.
        assert!(in_window("* * 9-16 ? * MON-FRI", "America/New_York", FRIDAY_10_30_UTC).is_err());
        assert!(in_window("* * 5 ? * FRI", "America/New_York", FRIDAY_10_30_UTC).is_ok());
    }

    #[test]
    fn bad_configuration_is_reported() {
        assert!(in_window("* * 9-16", "UTC", FRIDAY_10_30_UTC).unwrap_err().message.starts_with("Cron:"));
        assert!(in_window("* * * ? * *", "Mars/Olympus", FRIDAY_10_30_UTC)
            .unwrap_err()
            .message
            .contains("Mars/Olympus"));
    }
}
