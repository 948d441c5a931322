//! CronJob → Job. Schedules are standard 5-field cron (with @hourly-style macros), in UTC.

use serde_json::{Value, json};

use super::{controller_ref, get_condition, int, is_terminating, owned_by, record_event};
use crate::clock::fmt_time;
use crate::resources::id;
use crate::store::{Propagation, Store, meta_str, name_of};

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
        self.matches_in(t, &jiff::tz::TimeZone::UTC)
    }

    /// Whether the minute starting at `t` is scheduled, reading the fields in time zone `tz`
    /// (`spec.timeZone`).
    pub fn matches_in(&self, t: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> bool {
        let dt = t.to_zoned(tz.clone());
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

fn job_finished(j: &Value) -> Option<bool> {
    for (t, ok) in [("Complete", true), ("Failed", false)] {
        if get_condition(j, t).and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True") {
            return Some(ok);
        }
    }
    None
}

/// Creates the Job of the most recent scheduled minute not yet run, applies concurrencyPolicy,
/// keeps the history limits, and reports active / lastScheduleTime / lastSuccessfulTime.
pub fn reconcile(store: &mut Store, now: jiff::Timestamp) {
    let cj_res = id("batch", "cronjobs");
    let job_res = id("batch", "jobs");
    for cj in store.list_cloned(cj_res, None) {
        if is_terminating(&cj) {
            continue;
        }
        let ns = meta_str(&cj, "namespace").to_string();
        let name = name_of(&cj).to_string();
        let uid = meta_str(&cj, "uid").to_string();
        let Some(sched) = cj.pointer("/spec/schedule").and_then(Value::as_str).and_then(Schedule::parse) else { continue };
        // spec.timeZone (IANA names); without it, kube-controller-manager's local zone, which
        // is UTC here. An unknown zone schedules nothing, as on a real cluster (which also
        // emits an UnknownTimeZone event; not simulated).
        let tz = match cj.pointer("/spec/timeZone").and_then(Value::as_str) {
            None => jiff::tz::TimeZone::UTC,
            Some(name) => match jiff::tz::TimeZone::get(name) {
                Ok(tz) => tz,
                Err(_) => continue,
            },
        };
        let suspended = cj.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false);
        let last = cj
            .pointer("/status/lastScheduleTime")
            .or_else(|| cj.pointer("/metadata/creationTimestamp"))
            .and_then(Value::as_str)
            .and_then(crate::clock::parse_time)
            .unwrap_or(now);
        let mut st = cj.get("status").cloned().unwrap_or(json!({}));
        // The latest scheduled minute in (last, now], looking back at most a day.
        let now_min = now.as_second() / 60;
        let last_min = last.as_second() / 60;
        let due = ((now_min - 1440).max(last_min + 1)..=now_min).rev().find(|m| jiff::Timestamp::from_second(m * 60).is_ok_and(|t| sched.matches_in(t, &tz)));
        let jobs = owned_by(store, job_res, &ns, &uid);
        let active: Vec<&Value> = jobs.iter().filter(|j| job_finished(j).is_none() && !is_terminating(j)).collect();
        if let (Some(m), false) = (due, suspended) {
            let at = jiff::Timestamp::from_second(m * 60).unwrap_or(now);
            let policy = cj.pointer("/spec/concurrencyPolicy").and_then(Value::as_str).unwrap_or("Allow");
            let skip = policy == "Forbid" && !active.is_empty();
            if policy == "Replace" {
                for j in &active {
                    let _ = store.delete(job_res, &ns, name_of(j), Some(Propagation::Background), None, None, now, false);
                }
            }
            if !skip {
                let tmpl = cj.pointer("/spec/jobTemplate").cloned().unwrap_or(json!({}));
                let jname = format!("{name}-{m}");
                let mut meta = tmpl.get("metadata").cloned().unwrap_or(json!({}));
                meta["name"] = json!(jname);
                meta["ownerReferences"] = json!([controller_ref(&cj)]);
                meta["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] = json!(fmt_time(at));
                let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": tmpl.get("spec").cloned().unwrap_or(json!({}))});
                if store.create(job_res, &ns, job, now, None, false).is_ok() {
                    record_event(store, now, &cj, "Normal", "SuccessfulCreate", &format!("Created job {jname}"), "cronjob-controller");
                }
            }
            st["lastScheduleTime"] = json!(fmt_time(at));
        }
        // History limits.
        let jobs = owned_by(store, job_res, &ns, &uid);
        for (ok, limit) in [(true, int(&cj, "/spec/successfulJobsHistoryLimit", 3)), (false, int(&cj, "/spec/failedJobsHistoryLimit", 1))] {
            let mut done: Vec<&Value> = jobs.iter().filter(|j| job_finished(j) == Some(ok)).collect();
            done.sort_by_key(|j| meta_str(j, "creationTimestamp").to_string());
            let excess = done.len().saturating_sub(limit.max(0) as usize);
            for j in done.iter().take(excess) {
                let _ = store.delete(job_res, &ns, name_of(j), Some(Propagation::Background), None, None, now, false);
            }
        }
        let jobs = owned_by(store, job_res, &ns, &uid);
        let active: Vec<Value> = jobs
            .iter()
            .filter(|j| job_finished(j).is_none() && !is_terminating(j))
            .map(|j| {
                json!({"apiVersion": "batch/v1", "kind": "Job", "name": j["metadata"]["name"], "namespace": ns,
                            "uid": j["metadata"]["uid"], "resourceVersion": j["metadata"]["resourceVersion"]})
            })
            .collect();
        if active.is_empty() {
            st.as_object_mut().map(|m| m.remove("active"));
        } else {
            st["active"] = json!(active);
        }
        if let Some(t) = jobs.iter().filter(|j| job_finished(j) == Some(true)).filter_map(|j| j.pointer("/status/completionTime").and_then(Value::as_str)).max()
        {
            st["lastSuccessfulTime"] = json!(t);
        }
        store.modify(cj_res, &ns, &name, |o| o["status"] = st);
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

    #[test]
    fn fields_are_read_in_the_time_zone() {
        let s = Schedule::parse("0 9 * * *").unwrap();
        let shanghai = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        // 09:00 in Shanghai is 01:00 UTC.
        assert!(s.matches_in("2024-01-02T01:00:00Z".parse().unwrap(), &shanghai));
        assert!(!s.matches_in("2024-01-02T09:00:00Z".parse().unwrap(), &shanghai));
        assert!(s.matches("2024-01-02T09:00:00Z".parse().unwrap()));
    }
}
