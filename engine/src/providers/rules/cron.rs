//! The cron expressions of DeploymentWindow rules: six fields (seconds, minutes, hours,
//! day-of-month, month, day-of-week) and an optional year, as CodePipeline documents them
//! (Quartz style: day-of-week 1-7 is SUN-SAT, `?` means "no specific value", `L`, `W` and `#`).
//! Only matching is needed: a window is open during every minute the expression matches.
use jiff::ZonedDateTime;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    days: Days,
    months: Field,
    weekdays: Weekdays,
    years: Option<Field>,
}

/// The values a plain field allows.
#[derive(Debug, Clone, PartialEq)]
struct Field(Vec<bool>, i32);

#[derive(Debug, Clone, PartialEq)]
enum Days {
    Any,
    Set(Field),
    /// `L` or `L-n`: n days before the month's last day.
    Last(i8),
    /// `nW`: the weekday (Mon-Fri) nearest to day n, within the month.
    NearestWeekday(i8),
}

#[derive(Debug, Clone, PartialEq)]
enum Weekdays {
    Any,
    /// 1-7, Sunday first.
    Set(Field),
    /// `nL`: the month's last weekday n.
    Last(i8),
    /// `n#k`: the k-th weekday n of the month.
    Nth(i8, i8),
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if !(6..=7).contains(&fields.len()) {
            return Err(format!(
                "the cron expression '{text}' has {} fields; it needs 6 (seconds minutes hours day-of-month month day-of-week) and an optional year",
                fields.len()
            ));
        }
        if fields[0] != "*" {
            return Err(format!("the seconds field '{}' must be '*'", fields[0]));
        }
        let days = parse_days(fields[3])?;
        let weekdays = parse_weekdays(fields[5])?;
        if days != Days::Any && weekdays != Weekdays::Any {
            return Err("day-of-month and day-of-week cannot both be set; use '?' in one of them".into());
        }
        Ok(Cron {
            minutes: Field::parse(fields[1], 0, 59, &[])?,
            hours: Field::parse(fields[2], 0, 23, &[])?,
            days,
            months: Field::parse(fields[4], 1, 12, &MONTHS)?,
            weekdays,
            years: fields.get(6).map(|y| Field::parse(y, 1970, 2199, &[])).transpose()?,
        })
    }

    /// Whether the minute holding `at` is in the window.
    pub fn matches(&self, at: &ZonedDateTime) -> bool {
        self.minutes.has(at.minute().into())
            && self.hours.has(at.hour().into())
            && self.months.has(at.month().into())
            && self.years.as_ref().is_none_or(|y| y.has(at.year().into()))
            && self.days.matches(at)
            && self.weekdays.matches(at)
    }
}

impl Field {
    /// `*`, `?`, `a`, `a-b`, `a/step`, `a-b/step`, `*/step`, comma lists; names where given.
    fn parse(text: &str, min: i32, max: i32, names: &[&str]) -> Result<Field, String> {
        let mut allowed = vec![false; (max - min + 1) as usize];
        let value = |part: &str| -> Result<i32, String> {
            let upper = part.to_ascii_uppercase();
            if let Some(i) = names.iter().position(|n| *n == upper) {
                return Ok(min + i as i32);
            }
            part.parse::<i32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| format!("'{part}' in the cron field '{text}' is not a value between {min} and {max}"))
        };
        for item in text.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => {
                    let step = step
                        .parse::<i32>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("'{step}' in the cron field '{text}' is not a step"))?;
                    (range, step)
                }
                None => (item, 1),
            };
            let (from, to) = match range {
                "*" | "?" => (min, max),
                _ => match range.split_once('-') {
                    Some((a, b)) => (value(a)?, value(b)?),
                    None if item.contains('/') => (value(range)?, max),
                    None => (value(range)?, value(range)?),
                },
            };
            if from > to {
                return Err(format!("the range '{range}' in the cron field '{text}' runs backwards"));
            }
            for v in (from..=to).step_by(step as usize) {
                allowed[(v - min) as usize] = true;
            }
        }
        Ok(Field(allowed, min))
    }

    fn has(&self, value: i32) -> bool {
        usize::try_from(value - self.1).ok().and_then(|i| self.0.get(i)).copied().unwrap_or(false)
    }
}

fn parse_days(text: &str) -> Result<Days, String> {
    let number = |n: &str| n.parse::<i8>().ok().filter(|d| (1..=31).contains(d));
    if text == "?" || text == "*" {
        return Ok(Days::Any);
    }
    if text == "L" {
        return Ok(Days::Last(0));
    }
    if let Some(offset) = text.strip_prefix("L-") {
        return offset
            .parse::<i8>()
            .ok()
            .filter(|d| (0..=30).contains(d))
            .map(Days::Last)
            .ok_or_else(|| format!("'{text}' is not a day-of-month"));
    }
    if let Some(day) = text.strip_suffix('W') {
        return number(day).map(Days::NearestWeekday).ok_or_else(|| format!("'{text}' is not a day-of-month"));
    }
    Field::parse(text, 1, 31, &[]).map(Days::Set)
}

fn parse_weekdays(text: &str) -> Result<Weekdays, String> {
    let weekday = |w: &str| -> Result<i8, String> {
        let field = Field::parse(w, 1, 7, &WEEKDAYS)?;
        (1..=7).find(|d| field.has(*d)).map(|d| d as i8).ok_or_else(|| format!("'{w}' is not a day-of-week"))
    };
    match text {
        "?" | "*" => Ok(Weekdays::Any),
        "L" => Ok(Weekdays::Set(Field::parse("7", 1, 7, &[])?)),
        _ if text.ends_with('L') => Ok(Weekdays::Last(weekday(&text[..text.len() - 1])?)),
        _ => match text.split_once('#') {
            Some((day, nth)) => {
                let nth = nth
                    .parse::<i8>()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| format!("'{text}' is not a day-of-week"))?;
                Ok(Weekdays::Nth(weekday(day)?, nth))
            }
            None => Field::parse(text, 1, 7, &WEEKDAYS).map(Weekdays::Set),
        },
    }
}

impl Days {
    fn matches(&self, at: &ZonedDateTime) -> bool {
        let (day, last) = (at.day(), at.days_in_month());
        match self {
            Days::Any => true,
            Days::Set(field) => field.has(day.into()),
            Days::Last(offset) => day == last - offset,
            Days::NearestWeekday(target) => {
                let target = (*target).min(last);
                // Weekday of the target day, Sunday = 0.
                let target_weekday = (at.weekday().to_sunday_zero_offset() + (target - day)).rem_euclid(7);
                let nearest = match target_weekday {
                    6 if target == 1 => target + 2,
                    6 => target - 1,
                    0 if target == last => target - 2,
                    0 => target + 1,
                    _ => target,
                };
                day == nearest
            }
        }
    }
}

impl Weekdays {
    fn matches(&self, at: &ZonedDateTime) -> bool {
        let weekday = at.weekday().to_sunday_one_offset();
        match self {
            Weekdays::Any => true,
            Weekdays::Set(field) => field.has(weekday.into()),
            Weekdays::Last(wanted) => weekday == *wanted && at.day() + 7 > at.days_in_month(),
            Weekdays::Nth(wanted, nth) => weekday == *wanted && (at.day() - 1) / 7 + 1 == *nth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cron;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> jiff::ZonedDateTime {
        date(y, m, d).at(h, min, 0, 0).to_zoned_datetime(TimeZone::UTC).unwrap()
    }

    #[test]
    fn office_hours_on_weekdays() {
        let cron = Cron::parse("* * 9-16 ? * MON-FRI").unwrap();
        assert!(cron.matches(&at(2026, 11, 27, 9, 0))); // a Friday
        assert!(cron.matches(&at(2026, 11, 27, 16, 59)));
        assert!(!cron.matches(&at(2026, 11, 27, 17, 0)));
        assert!(!cron.matches(&at(2026, 11, 28, 10, 0))); // Saturday
    }

    #[test]
    fn lists_steps_last_and_nth() {
        let cron = Cron::parse("* 0/15 * L * ? 2026").unwrap();
        assert!(cron.matches(&at(2026, 2, 28, 3, 45)));
        assert!(!cron.matches(&at(2026, 2, 28, 3, 46)));
        assert!(!cron.matches(&at(2027, 2, 28, 3, 45)));
        let second_monday = Cron::parse("* * * ? * 2#2").unwrap();
        assert!(second_monday.matches(&at(2026, 11, 9, 0, 0)));
        assert!(!second_monday.matches(&at(2026, 11, 2, 0, 0)));
        let last_friday = Cron::parse("* * * ? * 6L").unwrap();
        assert!(last_friday.matches(&at(2026, 11, 27, 0, 0)));
        assert!(!last_friday.matches(&at(2026, 11, 20, 0, 0)));
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(Cron::parse("* * *").unwrap_err().contains("needs 6"));
        assert!(Cron::parse("* 61 * ? * *").unwrap_err().contains("between 0 and 59"));
        assert!(Cron::parse("* * * 1 * MON").unwrap_err().contains("cannot both be set"));
        assert!(Cron::parse("5 * * ? * *").unwrap_err().contains("seconds"));
    }
}
