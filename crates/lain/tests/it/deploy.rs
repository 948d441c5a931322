use std::time::Duration;

use kube_sim::{Behavior, Rule};
use serde_json::Value;

use crate::both_helms;
use crate::support::{REGISTRY, VALUES, setup};

async fn goes_green(helm: &str) {
    let t = setup(helm, VALUES, 10.0).await;
    let tag = t.tag();
    let out = t.lain(&["deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("upgrade --install dummy ./chart --namespace default"), "the helm command is printed: {}", out.stderr);
    assert!(out.stderr.contains("is green"), "{}", out.stderr);
    assert_eq!(t.image_of("web"), format!("{REGISTRY}/dummy:{tag}"));
    let d = t.deployment("web");
    assert_eq!(d.pointer("/status/readyReplicas").and_then(Value::as_i64), Some(2), "green before web was ready: {d}");
    let h = t.history().await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1, "deployed");
    let values = t.helm(&["get", "values", "dummy", "-o", "json"]).await;
    let v: Value = serde_json::from_str(&values).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["imageTag"], tag.as_str());
    t.shutdown().await;
}
both_helms!(goes_green_, goes_green);

async fn crash_loop_is_reported(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.sim.add_rule(
        Rule::image("*/dummy:*", Behavior::CrashLoop { exit_code: 3, run_for: Duration::from_secs(1) })
            .in_container("web")
            .with_logs(&["starting web", "Traceback: KeyError: 'DATABASE_URL'"]),
    );
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(4);
    let e = &out.stderr;
    assert!(e.contains("CrashLoopBackOff"), "{e}");
    assert!(e.contains("pod dummy-web-"), "names the pod: {e}");
    assert!(e.contains("container web"), "{e}");
    assert!(e.contains("KeyError: 'DATABASE_URL'"), "shows the log: {e}");
    assert!(e.contains("try:"), "says what to try: {e}");
    t.shutdown().await;
}
both_helms!(crash_loop_is_reported_, crash_loop_is_reported);

async fn missing_image_is_reported(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    // The registry has only the tags in this list (the current commit's was never pushed).
    t.sim.add_rule(Rule::image_not_in_registry(|image| image.ends_with(":pushed-long-ago")));
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(4);
    let e = &out.stderr;
    assert!(e.contains("ImagePullBackOff"), "{e}");
    assert!(e.contains("pod dummy-"), "{e}");
    assert!(e.contains("lain deploy --build"), "says how to fix: {e}");
    t.shutdown().await;
}
both_helms!(missing_image_is_reported_, missing_image_is_reported);

pub const HOOK_VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 1
jobs:
  migrate:
    command: ["sh", "-c", "migrate"]
    annotations:
      helm.sh/hook: post-install,pre-upgrade
      helm.sh/hook-delete-policy: before-hook-creation
"#;

async fn failing_hook_stops_the_deploy(helm: &str) {
    let t = setup(helm, HOOK_VALUES, 20.0).await;
    let first = t.tag();
    t.lain(&["deploy"]).await.ok();
    t.sim.add_rule(
        Rule::pod("dummy-migrate-*", Behavior::Fail { exit_code: 1, run_for: Duration::from_secs(1) })
            .with_logs(&["applying 0042_add_users", "migration failed: relation \"users\" already exists"]),
    );
    t.commit("second");
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(3);
    let e = &out.stderr;
    assert!(e.contains("pod dummy-migrate-"), "names the hook's pod: {e}");
    assert!(e.contains("relation \"users\" already exists"), "shows its log: {e}");
    // The release was not upgraded: helm recorded the failure, the app still runs the old image.
    let h = t.history().await;
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(h[1].1, "failed", "{h:?}");
    assert_eq!(t.image_of("web"), format!("{REGISTRY}/dummy:{first}"));
    t.shutdown().await;
}
both_helms!(failing_hook_stops_the_deploy_, failing_hook_stops_the_deploy);

async fn pending_upgrade_recovered_by_auto_pilot(helm: &str) {
    let t = setup(helm, HOOK_VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    // A helm killed while its pre-upgrade hook runs leaves the release in pending-upgrade.
    t.sim.add_rule(Rule::pod("dummy-migrate-*", Behavior::Run { job_duration: Duration::from_secs(1_000_000) }));
    let mut child =
        t.helm_cmd(&["upgrade", "dummy", "./chart", "--namespace", "default", "--reuse-values", "--set-string", "imageTag=interrupted"]).spawn().unwrap();
    crate::support::eventually(Duration::from_secs(30), "revision 2 pending", || {
        t.get("v1", "secrets", "sh.helm.release.v1.dummy.v2")
            .filter(|s| s.pointer("/metadata/labels/status").and_then(Value::as_str) == Some("pending-upgrade"))
    })
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    t.sim.clear_rules();
    t.commit("fix");

    let out = t.lain(&["deploy"]).await;
    out.code(2);
    assert!(out.stderr.contains("stuck in pending-upgrade"), "{}", out.stderr);
    assert!(out.stderr.contains("lain --auto-pilot deploy"), "{}", out.stderr);

    let out = t.lain(&["--auto-pilot", "deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("rolling back to revision 1"), "{}", out.stderr);
    let h = t.history().await;
    let statuses: Vec<&str> = h.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(statuses.last(), Some(&"deployed"), "{h:?}");
    // helm leaves the interrupted revision's record as it was; what matters is that the
    // release moved on past it: rolled back, then upgraded.
    let rb = h.iter().position(|r| r.2.starts_with("Rollback to 1")).unwrap_or_else(|| panic!("no rollback in {h:?}"));
    assert!(h[rb..].iter().all(|r| !r.1.starts_with("pending")), "{h:?}");
    assert_eq!(h.len(), rb + 2, "the deploy came right after the rollback: {h:?}");
    assert_eq!(t.image_of("web"), format!("{REGISTRY}/dummy:{}", t.tag()));
    t.shutdown().await;
}
both_helms!(pending_upgrade_recovered_by_auto_pilot_, pending_upgrade_recovered_by_auto_pilot);

async fn wait_times_out(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.sim.add_rule(Rule::image("*/dummy:*", Behavior::NeverReady).in_container("web"));
    t.lain(&["deploy", "--no-wait"]).await.ok();
    let out = t.lain(&["wait", "--timeout", "2s"]).await;
    out.code(5);
    let e = &out.stderr;
    assert!(e.contains("timed out after 2s"), "{e}");
    assert!(e.contains("dummy-web"), "names what is not ready: {e}");
    assert!(e.contains("Unready") || e.contains("readiness"), "{e}");
    t.shutdown().await;
}
both_helms!(wait_times_out_, wait_times_out);

/// Ctrl-C in the terminal while helm runs a migration: lain lets helm finish (the release must
/// not be left pending-upgrade), then stops with 130.
async fn ctrl_c_lets_helm_finish(helm: &str) {
    let t = setup(helm, HOOK_VALUES, 10.0).await;
    t.lain(&["deploy"]).await.ok();
    t.sim.add_rule(Rule::pod("dummy-migrate-*", Behavior::Run { job_duration: Duration::from_secs(20) }));
    t.commit("second");
    let mut cmd = t.lain_cmd(&["deploy"]);
    // Like a shell's foreground job: its own process group, which the terminal's Ctrl-C hits.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    crate::support::eventually(Duration::from_secs(30), "the upgrade's hook running", || {
        t.get("v1", "secrets", "sh.helm.release.v1.dummy.v2")
            .filter(|s| s.pointer("/metadata/labels/status").and_then(Value::as_str) == Some("pending-upgrade"))
    })
    .await;
    let pid = child.id().to_string();
    let k = std::process::Command::new("kill").args(["-INT", "--", &format!("-{pid}")]).status().unwrap();
    assert!(k.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("lets it finish"), "{stderr}");
    let h = t.history().await;
    assert_eq!(h.last().map(|r| (r.0, r.1.as_str())), Some((2, "deployed")), "helm finished the upgrade: {h:?}");
    t.shutdown().await;
}
both_helms!(ctrl_c_lets_helm_finish_, ctrl_c_lets_helm_finish);

/// A first install whose migration fails leaves a `failed` release; fixing and deploying again
/// must just work.
async fn failed_first_install_then_fixed(helm: &str) {
    let t = setup(helm, HOOK_VALUES, 20.0).await;
    t.sim.add_rule(Rule::pod("dummy-migrate-*", Behavior::Fail { exit_code: 1, run_for: Duration::from_secs(1) }).with_logs(&["cannot connect to db"]));
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(3);
    assert!(out.stderr.contains("cannot connect to db"), "{}", out.stderr);
    t.sim.clear_rules();
    t.commit("fixed");
    t.lain(&["deploy"]).await.ok();
    assert_eq!(t.history().await.last().map(|r| r.1.clone()), Some("deployed".to_string()));
    t.shutdown().await;
}
both_helms!(failed_first_install_then_fixed_, failed_first_install_then_fixed);

const TEST_VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 1
tests:
  smoke:
    command: ["sh", "-c", "wget -qO- http://dummy-web"]
"#;

/// `values.tests` run with `helm test` after the green light; a failing test fails the deploy.
async fn helm_tests_run_after_green(helm: &str) {
    let t = setup(helm, TEST_VALUES, 20.0).await;
    let out = t.lain(&["deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("test dummy --namespace default --logs"), "helm test ran: {}", out.stderr);
    assert!(t.get("v1", "pods", "dummy-test-smoke").is_some(), "the test pod ran");
    t.sim.add_rule(Rule::pod("dummy-test-smoke", Behavior::Fail { exit_code: 1, run_for: Duration::from_secs(1) }).with_logs(&["smoke: got 502"]));
    t.commit("again");
    let out = t.lain(&["deploy"]).await;
    out.code(4);
    assert!(out.stderr.contains("helm test failed"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(helm_tests_run_after_green_, helm_tests_run_after_green);

/// A first install killed during its post-install hook: `pending-install` with nothing ever
/// deployed; auto-pilot uninstalls it and installs again.
async fn pending_install_recovered_by_auto_pilot(helm: &str) {
    let t = setup(helm, HOOK_VALUES, 20.0).await;
    t.sim.add_rule(Rule::pod("dummy-migrate-*", Behavior::Run { job_duration: Duration::from_secs(1_000_000) }));
    let args = ["upgrade", "--install", "dummy", "./chart", "--namespace", "default", "--set-string", "imageTag=first", "--set-string", "registry=r"];
    let mut child = t.helm_cmd(&args).spawn().unwrap();
    crate::support::eventually(Duration::from_secs(30), "the install's hook running", || t.get("batch/v1", "jobs", "dummy-migrate")).await;
    child.kill().unwrap();
    let _ = child.wait();
    t.sim.clear_rules();
    let h = t.history().await;
    assert_eq!(h.last().map(|r| r.1.as_str()), Some("pending-install"), "{h:?}");
    let out = t.lain(&["deploy"]).await;
    out.code(2);
    assert!(out.stderr.contains("helm uninstall dummy"), "{}", out.stderr);
    let out = t.lain(&["--auto-pilot", "deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("uninstalling the unfinished install"), "{}", out.stderr);
    let h = t.history().await;
    assert_eq!(h.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["deployed"], "{h:?}");
    t.shutdown().await;
}
both_helms!(pending_install_recovered_by_auto_pilot_, pending_install_recovered_by_auto_pilot);

/// A (non-hook) Job of the release is part of the green light: its failure fails the deploy.
async fn failed_job_fails_the_deploy(helm: &str) {
    let values = "appname: dummy\ndeployments:\n  web:\n    replicaCount: 1\njobs:\n  init:\n    command: [\"sh\", \"-c\", \"seed\"]\n";
    let t = setup(helm, values, 20.0).await;
    t.sim.add_rule(Rule::pod("dummy-init-*", Behavior::Fail { exit_code: 2, run_for: Duration::from_secs(1) }).with_logs(&["seed: duplicate key"]));
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(4);
    assert!(out.stderr.contains("JobFailed"), "{}", out.stderr);
    assert!(out.stderr.contains("seed: duplicate key"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(failed_job_fails_the_deploy_, failed_job_fails_the_deploy);
