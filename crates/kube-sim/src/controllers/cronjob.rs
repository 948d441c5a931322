//! CronJob → Job. Schedules are standard 5-field cron (with @hourly-style macros), in UTC.

/// A parsed cron schedule: the allowed values of each field.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minute: Vec<u32>,
    hour: Vec<u32>,
    dom: Vec<u32>,
    month: Vec<u32>,
    dow: Vec<u32>,
    dom_star: bool,
    dow_star: bool,
}

fn field(s: &str, min: u32, max: u32) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<u32>().ok().filter(|n| *n > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let v: u32 = range.parse().ok()?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return None;
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

impl Schedule {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("TZ=UTC ").or_else(|| s.strip_prefix("CRON_TZ=UTC ")).unwrap_or(s);
        let expanded = match s {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let f: Vec<&str> = expanded.split_whitespace().collect();
        if f.len() != 5 {
            return None;
        }
        let mut dow = field(f[4], 0, 7)?;
        if dow.contains(&7) {
            dow.retain(|d| *d != 7);
            if !dow.contains(&0) {
                dow.insert(0, 0);
            }
        }
        Some(Self {
            minute: field(f[0], 0, 59)?,
            hour: field(f[1], 0, 23)?,
            dom: field(f[2], 1, 31)?,
            month: field(f[3], 1, 12)?,
            dow,
            dom_star: f[2] == "*" || f[2] == "?",
            dow_star: f[4] == "*" || f[4] == "?",
        })
    }

    /// Whether the minute starting at `t` (UTC) is scheduled.
    pub fn matches(&self, t: jiff::Timestamp) -> bool {
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC);
        let (mi, h, d, mo) = (dt.minute() as u32, dt.hour() as u32, dt.day() as u32, dt.month() as u32);
        let wd = dt.weekday().to_sunday_zero_offset() as u32;
        let dom_ok = self.dom.contains(&d);
        let dow_ok = self.dow.contains(&wd);
        // cron: when both day fields are restricted, either may match.
        let day_ok = match (self.dom_star, self.dow_star) {
            (false, false) => dom_ok || dow_ok,
            _ => dom_ok && dow_ok,
        };
        self.minute.contains(&mi) && self.hour.contains(&h) && self.month.contains(&mo) && day_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let s = Schedule::parse("*/15 2 * * 1-5").unwrap();
        let t: jiff::Timestamp = "2024-01-02T02:30:00Z".parse().unwrap(); // a Tuesday
        assert!(s.matches(t));
        assert!(!s.matches("2024-01-02T02:31:00Z".parse().unwrap()));
        assert!(!s.matches("2024-01-06T02:30:00Z".parse().unwrap())); // Saturday
        assert!(Schedule::parse("@hourly").unwrap().matches("2024-01-06T07:00:00Z".parse().unwrap()));
        assert!(Schedule::parse("61 * * * *").is_none());
        assert!(Schedule::parse("* * *").is_none());
    }
}

pub fn reconcile(_store: &mut crate::store::Store, _now: jiff::Timestamp) {}
