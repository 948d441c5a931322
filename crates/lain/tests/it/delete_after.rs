//! `lain deploy --delete-after`: a temporary release the cluster uninstalls by itself. The
//! CronJob is checked as the API server stores it, fired by the simulated control plane on the
//! server's clock, and the script its pod runs is run here with the real helm and kubectl
//! against the same cluster (the simulated kubelet does not execute containers).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kube_sim::{Behavior, Rule};
use serde_json::Value;

use crate::both_helms;
use crate::support::{T, VALUES, eventually, setup, tool};

const LAIN_IMAGE: &str = "127.0.0.1:9/lain:ci";

/// The SA's part: the lain image and the service account the deletion runs with.
fn enable(t: &T) {
    let f = t.clusters.path().join("values-test.yaml");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s.push_str(&format!("lain_image: {LAIN_IMAGE}\nlain_service_account: lain-janitor\n"));
    std::fs::write(f, s).unwrap();
}

fn cronjob(t: &T) -> Option<Value> {
    t.get("batch/v1", "cronjobs", "dummy-expire")
}

fn ts(v: &Value, pointer: &str) -> jiff::Timestamp {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("{pointer} in {v}")).parse().unwrap()
}

/// Runs the container of `job` as its pod would: its command and env, with helm and kubectl
/// on PATH and the cluster's kubeconfig (standing in for the service account).
fn run_job_container(t: &T, job: &Value, bin: &Path) -> std::process::Output {
    let c = job.pointer("/spec/template/spec/containers/0").expect("a container");
    let argv: Vec<String> = serde_json::from_value(c["command"].clone()).unwrap();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", t.home.path())
        .env("KUBECONFIG", t.home.path().join(".kube/kubeconfig-test"));
    for e in c["env"].as_array().unwrap() {
        cmd.env(e["name"].as_str().unwrap(), e["value"].as_str().unwrap());
    }
    cmd.output().expect("sh runs")
}

async fn expires_on_the_servers_clock(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    enable(&t);
    let asked = t.sim.clock().now();
    let out = t.lain(&["deploy", "--delete-after", "2h"]).await;
    out.ok();
    assert!(out.stderr.contains("dummy will be uninstalled at") && out.stderr.contains("by CronJob dummy-expire"), "{}", out.stderr);
    assert!(out.stderr.contains("kubectl get cronjob dummy-expire --namespace default"), "{}", out.stderr);

    let cj = cronjob(&t).expect("CronJob dummy-expire");
    // Two hours after the deploy by the server's clock (which the simulator keeps apart from
    // the host's), rounded up to a minute.
    let at = ts(&cj, "/metadata/annotations/lain.io~1delete-at");
    let lead = at.as_second() - asked.as_second();
    assert!((7200..=7200 + 60 + 30).contains(&lead), "due {lead} s after the deploy, by the server's clock");
    assert_eq!(at.as_second() % 60, 0);
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC);
    assert_eq!(cj["spec"]["schedule"], format!("{} {} {} {} *", utc.minute(), utc.hour(), utc.day(), utc.month()));
    assert_eq!(cj["spec"]["timeZone"], "Etc/UTC");
    let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "lain-janitor");
    assert_eq!(pod["containers"][0]["image"], LAIN_IMAGE);
    // Outside the release: helm neither owns nor rolls it back.
    let manifest = t.helm(&["get", "manifest", "dummy"]).await;
    assert!(!manifest.contains("dummy-expire"), "{manifest}");

    // `lain status` says when it goes.
    let out = t.lain(&["status", "-s"]).await;
    let shown = format!("({} UTC, --delete-after)", at.strftime("%Y-%m-%d %H:%M"));
    assert!(out.stdout.contains("; uninstalled in ") && out.stdout.contains(&shown), "{shown}\n{}", out.all());

    // A later deploy without the flag keeps the date, and says so.
    t.commit("second");
    let out = t.lain(&["deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("set by an earlier `deploy --delete-after`"), "{}", out.stderr);
    assert_eq!(ts(&cronjob(&t).unwrap(), "/metadata/annotations/lain.io~1delete-at"), at);

    // Time passes on the server: the control plane starts the deletion Job at the due minute.
    t.sim.add_rule(Rule::pod("dummy-expire-*", Behavior::Run { job_duration: Duration::from_secs(3600) }));
    t.sim.advance(Duration::from_secs((at.as_second() - t.sim.clock().now().as_second()) as u64 + 61));
    t.sim.settle().await;
    let job = eventually(Duration::from_secs(20), "the deletion Job", || {
        t.sim
            .list("batch/v1", "jobs", Some("default"))
            .into_iter()
            .find(|j| j.pointer("/metadata/labels/lain.io~1delete-after").and_then(Value::as_str) == Some("dummy"))
    })
    .await;
    assert_eq!(job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"], at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());

    // What its pod runs, with the real helm and kubectl.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&t.helm, bin.path().join("helm")).unwrap();
    std::os::unix::fs::symlink(tool("kubectl"), bin.path().join("kubectl")).unwrap();
    let o = run_job_container(&t, &job, bin.path());
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let o2 = t.helm_cmd(&["status", "dummy"]).output().unwrap();
    assert!(!o2.status.success(), "the release is gone");
    assert!(cronjob(&t).is_none(), "the CronJob removed itself");
    eventually(Duration::from_secs(20), "the release's Deployments gone", || t.get("apps/v1", "deployments", "dummy-web").is_none().then_some(())).await;
    // A retry of the same Job (backoffLimit) finds nothing to do and succeeds.
    let o = run_job_container(&t, &job, bin.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t.shutdown().await;
}
both_helms!(expires_on_the_servers_clock_, expires_on_the_servers_clock);

async fn cancel_refuse_and_delete(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    // Without the cluster's lain image: refused before anything happens.
    let out = t.lain(&["deploy", "--delete-after", "8h"]).await;
    out.code(2);
    assert!(out.stderr.contains("lain_image") && out.stderr.contains("values-test.yaml"), "{}", out.stderr);
    assert!(t.helm_cmd(&["status", "dummy"]).output().unwrap().status.code() != Some(0), "nothing was installed");
    // Not a duration.
    let out = t.lain(&["deploy", "--delete-after", "tomorrow"]).await;
    out.code(2);
    assert!(out.stderr.contains("never"), "{}", out.stderr);
    // Not with two releases at stake.
    let out = t.lain(&["deploy", "--blue-green", "--delete-after", "8h"]).await;
    out.code(2);

    enable(&t);
    t.lain(&["deploy", "--delete-after", "8h"]).await.ok();
    assert!(cronjob(&t).is_some());
    let out = t.lain(&["deploy", "--delete-after", "never"]).await;
    out.ok();
    assert!(out.stderr.contains("cancelled the scheduled deletion of dummy"), "{}", out.stderr);
    assert!(cronjob(&t).is_none());
    // A new date moves the existing CronJob rather than adding one.
    t.lain(&["deploy", "--delete-after", "1d"]).await.ok();
    let first = ts(&cronjob(&t).unwrap(), "/metadata/annotations/lain.io~1delete-at");
    t.lain(&["deploy", "--delete-after", "2d"]).await.ok();
    let second = ts(&cronjob(&t).unwrap(), "/metadata/annotations/lain.io~1delete-at");
    assert!(second.as_second() - first.as_second() >= 86400 - 120, "{first} -> {second}");
    assert_eq!(t.sim.list("batch/v1", "cronjobs", Some("default")).len(), 1);
    // `lain delete` leaves nothing scheduled behind.
    let out = t.lain(&["delete"]).await;
    out.ok();
    assert!(out.stderr.contains("deleted CronJob dummy-expire"), "{}", out.stderr);
    assert!(cronjob(&t).is_none());
    t.shutdown().await;
}
both_helms!(cancel_refuse_and_delete_, cancel_refuse_and_delete);
