//! The cron dialect Kubernetes CronJobs accept (robfig/cron `ParseStandard`): five fields
//! (minute hour day-of-month month day-of-week), each a `*` / `?`, a number, a range `a-b`, a
//! step `*/s`, `a-b/s` or `a/s`, or a comma list of those; month and weekday names (`jan`,
//! `mon-fri`); and the descriptors `@yearly` `@annually` `@monthly` `@weekly` `@daily`
//! `@midnight` `@hourly` `@every DURATION`.
//!
//! Parsed into bit sets so tests (and a future "next run" display) can ask what matches.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    Fields {
        /// Bit i set = minute i matches (0–59).
        minutes: u64,
        /// 0–23.
        hours: u64,
        /// 1–31.
        days_of_month: u64,
        /// 1–12.
        months: u64,
        /// 0–6, Sunday = 0.
        days_of_week: u64,
    },
    /// `@every 1h30m`: a fixed interval, in seconds.
    Every(u64),
}

impl Schedule {
    /// Whether the schedule fires at this minute. Like cron, when both day fields are
    /// restricted a day matches if either does.
    pub fn matches(&self, minute: u32, hour: u32, dom: u32, month: u32, dow: u32) -> bool {
        match self {
            Schedule::Every(_) => false,
            Schedule::Fields { minutes, hours, days_of_month, months, days_of_week } => {
                let bit = |set: &u64, i: u32| i < 64 && set & (1 << i) != 0;
                let dom_star = *days_of_month == bits(1, 31, 1);
                let dow_star = *days_of_week == bits(0, 6, 1);
                let day =
                    if dom_star || dow_star { bit(days_of_month, dom) && bit(days_of_week, dow) } else { bit(days_of_month, dom) || bit(days_of_week, dow) };
                bit(minutes, minute) && bit(hours, hour) && bit(months, month) && day
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("expected 5 fields (minute hour day-of-month month day-of-week), found {0}")]
    FieldCount(usize),
    #[error("{field}: `{text}` {reason}")]
    Field { field: &'static str, text: String, reason: String },
    #[error("unknown descriptor `{0}` (known: @yearly @annually @monthly @weekly @daily @midnight @hourly @every)")]
    Descriptor(String),
    #[error("time zones are not part of the schedule in Kubernetes (`{0}`); set `timeZone:` on the cronjob instead")]
    TimeZone(String),
}

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [FieldSpec; 5] = [
    FieldSpec { name: "minute", min: 0, max: 59, names: &[] },
    FieldSpec { name: "hour", min: 0, max: 23, names: &[] },
    FieldSpec { name: "day-of-month", min: 1, max: 31, names: &[] },
    FieldSpec { name: "month", min: 1, max: 12, names: &MONTHS },
    FieldSpec { name: "day-of-week", min: 0, max: 6, names: &DAYS },
];

fn bits(lo: u32, hi: u32, step: u32) -> u64 {
    let mut b = 0u64;
    let mut i = lo;
    while i <= hi {
        b |= 1 << i;
        i += step;
    }
    b
}

pub fn parse(schedule: &str) -> Result<Schedule, CronError> {
    let s = schedule.trim();
    let first = s.split_whitespace().next().unwrap_or("");
    if first.starts_with("TZ=") || first.starts_with("CRON_TZ=") {
        return Err(CronError::TimeZone(first.to_string()));
    }
    if let Some(desc) = s.strip_prefix('@') {
        return descriptor(desc);
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(CronError::FieldCount(parts.len()));
    }
    let mut sets = [0u64; 5];
    for (i, (part, spec)) in parts.iter().zip(FIELDS.iter()).enumerate() {
        sets[i] = field(part, spec)?;
    }
    Ok(Schedule::Fields { minutes: sets[0], hours: sets[1], days_of_month: sets[2], months: sets[3], days_of_week: sets[4] })
}

fn descriptor(d: &str) -> Result<Schedule, CronError> {
    let all = |spec: &FieldSpec| bits(spec.min, spec.max, 1);
    let fields = |m: u64, h: u64, dom: u64, mon: u64, dow: u64| Schedule::Fields { minutes: m, hours: h, days_of_month: dom, months: mon, days_of_week: dow };
    let (dom_all, mon_all, dow_all) = (all(&FIELDS[2]), all(&FIELDS[3]), all(&FIELDS[4]));
    Ok(match d.trim() {
        "yearly" | "annually" => fields(1, 1, 1 << 1, 1 << 1, dow_all),
        "monthly" => fields(1, 1, 1 << 1, mon_all, dow_all),
        "weekly" => fields(1, 1, dom_all, mon_all, 1),
        "daily" | "midnight" => fields(1, 1, dom_all, mon_all, dow_all),
        "hourly" => fields(1, all(&FIELDS[1]), dom_all, mon_all, dow_all),
        other => match other.strip_prefix("every") {
            Some(rest) if rest.starts_with(char::is_whitespace) => {
                let secs = go_duration(rest.trim()).ok_or_else(|| CronError::Field {
                    field: "@every",
                    text: rest.trim().to_string(),
                    reason: "is not a duration (examples: 30m, 1h30m, 90s)".to_string(),
                })?;
                Schedule::Every(secs)
            }
            _ => return Err(CronError::Descriptor(format!("@{other}"))),
        },
    })
}

/// A Go duration (`1h30m`, `90s`, `1.5h`) in whole seconds; at least one second.
fn go_duration(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * unit;
        rest = &rest[u_end..];
    }
    (total >= 1.0).then_some(total as u64)
}

fn field(text: &str, spec: &FieldSpec) -> Result<u64, CronError> {
    let fail = |reason: String| CronError::Field { field: spec.name, text: text.to_string(), reason };
    let mut set = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(fail("has an empty list item".to_string()));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| fail(format!("has a step `{s}` that is not a number")))?;
                if step == 0 {
                    return Err(fail("has a step of 0".to_string()));
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, spec).map_err(&fail)?, value(b, spec).map_err(&fail)?)
        } else {
            let v = value(range, spec).map_err(&fail)?;
            // `5/15` means "from 5 to the end, every 15" in robfig/cron.
            (v, if step.is_some() { spec.max } else { v })
        };
        if lo > hi {
            return Err(fail(format!("has a range that goes backwards ({lo} > {hi})")));
        }
        set |= bits(lo, hi, step.unwrap_or(1));
    }
    Ok(set)
}

fn value(s: &str, spec: &FieldSpec) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        // Month names count from 1, weekday names from 0 (Sunday).
        return Ok(i as u32 + spec.min);
    }
    let v: u32 = s.parse().map_err(|_| {
        if spec.names.is_empty() {
            format!("contains `{s}`, which is not a number")
        } else {
            format!("contains `{s}`, which is neither a number nor a name ({})", spec.names.join(" "))
        }
    })?;
    if v < spec.min || v > spec.max {
        let hint = if spec.name == "day-of-week" && v == 7 { " (use 0 or sun for Sunday)" } else { "" };
        return Err(format!("contains {v}, outside {}-{}{hint}", spec.min, spec.max));
    }
    Ok(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fields(s: &str) -> [u64; 5] {
        match parse(s).unwrap() {
            Schedule::Fields { minutes, hours, days_of_month, months, days_of_week } => [minutes, hours, days_of_month, months, days_of_week],
            Schedule::Every(_) => panic!("not fields"),
        }
    }

    #[test]
    fn plain_ranges_steps_lists_names() {
        let f = fields("*/15 9-17 1,15 * mon-fri");
        assert_eq!(f[0], (1 << 0) | (1 << 15) | (1 << 30) | (1 << 45));
        assert_eq!(f[1], bits(9, 17, 1));
        assert_eq!(f[2], (1 << 1) | (1 << 15));
        assert_eq!(f[3], bits(1, 12, 1));
        assert_eq!(f[4], bits(1, 5, 1));
        let f = fields("5/20 0 ? JAN,jul sun");
        assert_eq!(f[0], (1 << 5) | (1 << 25) | (1 << 45));
        assert_eq!(f[3], (1 << 1) | (1 << 7));
        assert_eq!(f[4], 1);
        let f = fields("0-30/10 */6 * * *");
        assert_eq!(f[0], (1 << 0) | (1 << 10) | (1 << 20) | (1 << 30));
        assert_eq!(f[1], (1 << 0) | (1 << 6) | (1 << 12) | (1 << 18));
    }

    #[test]
    fn descriptors() {
        assert_eq!(parse("@hourly").unwrap(), parse("0 * * * *").unwrap());
        assert_eq!(parse("@daily").unwrap(), parse("0 0 * * *").unwrap());
        assert_eq!(parse("@midnight").unwrap(), parse("0 0 * * *").unwrap());
        assert_eq!(parse("@weekly").unwrap(), parse("0 0 * * 0").unwrap());
        assert_eq!(parse("@monthly").unwrap(), parse("0 0 1 * *").unwrap());
        assert_eq!(parse("@yearly").unwrap(), parse("0 0 1 1 *").unwrap());
        assert_eq!(parse("@annually").unwrap(), parse("@yearly").unwrap());
        assert_eq!(parse("@every 1h30m").unwrap(), Schedule::Every(5400));
        assert!(parse("@every").is_err());
        assert!(parse("@every 10x").is_err());
        assert!(parse("@fortnightly").is_err());
    }

    #[test]
    fn rejects_mistakes() {
        for bad in [
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 7",
            "*/0 * * * *",
            "10-5 * * * *",
            "a * * * *",
            "* * * foo *",
            "1,,2 * * * *",
            "*/x * * * *",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(matches!(parse("TZ=Asia/Shanghai 0 1 * * *"), Err(CronError::TimeZone(_))));
        assert!(parse("* * * * 7").unwrap_err().to_string().contains("Sunday"));
    }

    #[test]
    fn matching_follows_cron_day_rules() {
        let s = parse("30 2 * * 1").unwrap();
        assert!(s.matches(30, 2, 17, 3, 1));
        assert!(!s.matches(30, 2, 17, 3, 2));
        // Both day fields restricted: either matches.
        let s = parse("0 0 1 * 1").unwrap();
        assert!(s.matches(0, 0, 1, 5, 3));
        assert!(s.matches(0, 0, 9, 5, 1));
        assert!(!s.matches(0, 0, 9, 5, 3));
    }
}
