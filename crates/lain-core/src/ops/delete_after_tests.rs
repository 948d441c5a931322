use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn parses_durations_and_never() {
    assert_eq!(parse("2h"), Ok(DeleteAfter::After(Duration::from_secs(7200))));
    assert_eq!(parse("3d"), Ok(DeleteAfter::After(Duration::from_secs(3 * 86400))));
    assert_eq!(parse("never"), Ok(DeleteAfter::Never));
    assert!(parse("30s").unwrap_err().contains("less than a minute"));
    assert!(parse("soon").unwrap_err().contains("never"));
}

#[test]
fn due_rounds_up_to_the_next_minute() {
    assert_eq!(due(ts("2026-11-22T10:15:30Z"), Duration::from_secs(7200)), ts("2026-11-22T12:16:00Z"));
    // Already on a minute: kept.
    assert_eq!(due(ts("2026-11-22T10:15:00Z"), Duration::from_secs(3600)), ts("2026-11-22T11:15:00Z"));
    // Crossing a year boundary.
    assert_eq!(due(ts("2026-12-31T23:30:01Z"), Duration::from_secs(3600)), ts("2027-01-01T00:31:00Z"));
}

#[test]
fn schedule_names_one_minute_of_the_year_in_utc() {
    assert_eq!(schedule(ts("2026-11-22T12:16:00Z")), "16 12 22 11 *");
    assert_eq!(schedule(ts("2027-01-01T00:31:00Z")), "31 0 1 1 *");
}

#[test]
fn cronjob_names_fit_the_limit_and_stay_distinct() {
    assert_eq!(cronjob_name("dummy"), "dummy-expire");
    let a = "a".repeat(53);
    let b = format!("{}b", "a".repeat(52));
    let (na, nb) = (cronjob_name(&a), cronjob_name(&b));
    assert!(na.len() <= 52 && nb.len() <= 52, "{na} {nb}");
    assert_ne!(na, nb);
    assert!(na.ends_with("-expire"));
}

#[test]
fn the_cronjob_runs_helm_then_removes_itself() {
    let at = ts("2026-11-22T12:16:00Z");
    let cj = cronjob("dummy", "team-a", at, "registry.example.com/lain:1", Some("lain-janitor"), "alice");
    let spec = cj.spec.as_ref().unwrap();
    assert_eq!(spec.schedule, "16 12 22 11 *");
    assert_eq!(spec.time_zone.as_deref(), Some("Etc/UTC"));
    let pod = spec.job_template.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(pod.service_account_name.as_deref(), Some("lain-janitor"));
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    let c = &pod.containers[0];
    assert_eq!(c.image.as_deref(), Some("registry.example.com/lain:1"));
    let env: BTreeMap<_, _> = c.env.as_ref().unwrap().iter().map(|e| (e.name.as_str(), e.value.clone().unwrap_or_default())).collect();
    assert_eq!(env["RELEASE"], "dummy");
    assert_eq!(env["NAMESPACE"], "team-a");
    assert_eq!(env["CRONJOB"], "dummy-expire");
    assert_eq!(env["DELETE_AT"], "2026-11-22T12:16:00Z");
    let script = &c.command.as_ref().unwrap()[2];
    let uninstall = script.find("helm uninstall").unwrap();
    let remove = script.find("kubectl delete cronjob").unwrap();
    assert!(uninstall < remove, "the CronJob goes last, so a failed uninstall is retried: {script}");
    // Not part of the release: the status and wait of the release must not see its pods.
    let labels = cj.metadata.labels.as_ref().unwrap();
    assert!(!labels.contains_key("app.kubernetes.io/instance"), "{labels:?}");
    assert_eq!(cj.metadata.annotations.as_ref().unwrap()[AT_ANNOTATION], "2026-11-22T12:16:00Z");
}

#[test]
fn describes_the_time_left() {
    let e = Expiry { release: "dummy".into(), cronjob: "dummy-expire".into(), at: ts("2026-11-22T12:16:00Z") };
    let s = e.describe(ts("2026-11-22T10:15:30Z"));
    assert_eq!(s, "dummy will be uninstalled at 2026-11-22 12:16 UTC (in 2h01m) by CronJob dummy-expire");
    assert!(e.describe(ts("2026-11-25T10:15:30Z")).contains("(now)"));
}
