//! Runtime commands: `lain x`, `lain job`, `lain create-job`, `lain delete`, `lain get-values`.

use std::time::Duration;

use kube_sim::{Behavior, ExecResponse, Rule};
use serde_json::Value;

use crate::support::{VALUES, setup};

const CRON_VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 1
    env:
      GREETING: hello
cronjobs:
  nightly:
    schedule: "0 3 * * *"
    command: ["sh", "-c", "report"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_runs_in_a_ready_pod_with_the_commands_exit_code() {
    let t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.sim.set_exec_responder(|r| ExecResponse {
        stdout: format!("ran {} in {}/{}\n", r.command.join(" "), r.pod, r.container).into_bytes(),
        stderr: vec![],
        exit_code: if r.command.first().map(String::as_str) == Some("false") { 3 } else { 0 },
    });
    let out = t.lain(&["x", "worker", "--", "ls", "-l"]).await;
    out.ok();
    assert!(out.stdout.contains("ran ls -l in dummy-worker-"), "{}", out.stdout);
    assert!(out.stdout.contains("/worker"), "in the proc's container: {}", out.stdout);
    let out = t.lain(&["x", "--", "false"]).await;
    out.code(3);
    assert!(out.stdout.contains("in dummy-web-"), "web by default: {}", out.stdout);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_prints_logs_and_exits_with_its_code() {
    let t = setup("helm3", CRON_VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.sim.add_rule(Rule::pod("dummy-job-*", Behavior::Run { job_duration: Duration::from_secs(1) }).with_logs(&["migrating", "done"]));
    let out = t.lain(&["job", "--", "python", "manage.py", "migrate"]).await;
    out.ok();
    assert!(out.stdout.contains("migrating\ndone"), "{}", out.stdout);
    let jobs = t.sim.list("batch/v1", "jobs", Some("default"));
    let job = jobs.iter().find(|j| j["metadata"]["name"].as_str().unwrap_or("").starts_with("dummy-job-")).expect("job created");
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["command"], serde_json::json!(["python", "manage.py", "migrate"]));
    assert_eq!(c["image"].as_str(), t.image_of("web").as_str().into(), "the app's image");
    let env = c["env"].as_array().unwrap();
    assert!(env.iter().any(|e| e["name"] == "GREETING" && e["value"] == "hello"), "the app's env: {env:?}");
    assert!(c["envFrom"].to_string().contains("dummy-env"), "the app's env Secret: {c}");
    assert!(c.get("readinessProbe").is_none_or(Value::is_null));

    t.sim.add_rule(Rule::pod("dummy-job-*", Behavior::Fail { exit_code: 7, run_for: Duration::from_secs(1) }).with_logs(&["no such table"]));
    let out = t.lain(&["job", "--", "false"]).await;
    out.code(7);
    assert!(out.stdout.contains("no such table"), "{}", out.stdout);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_job_runs_a_cronjob_now() {
    let t = setup("helm4", CRON_VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.sim.add_rule(Rule::pod("dummy-nightly-manual-*", Behavior::Run { job_duration: Duration::from_secs(1) }).with_logs(&["report sent"]));
    let out = t.lain(&["create-job", "nightly", "--wait"]).await;
    out.ok();
    assert!(out.stdout.contains("report sent"), "{}", out.stdout);
    let jobs = t.sim.list("batch/v1", "jobs", Some("default"));
    let job = jobs.iter().find(|j| j["metadata"]["name"].as_str().unwrap_or("").starts_with("dummy-nightly-manual-")).expect("job");
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"], "manual");
    let out = t.lain(&["create-job", "weekly"]).await;
    out.code(2);
    assert!(out.stderr.contains("nightly"), "{}", out.stderr);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_values_and_delete_purge() {
    let t = setup("helm4", VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.lain(&["env", "add", "A=1"]).await.ok();
    let out = t.lain(&["get-values"]).await;
    out.ok();
    assert!(out.stdout.lines().any(|l| l == "user: alice"), "`helm get values | grep user` works: {}", out.stdout);
    let out = t.lain(&["delete"]).await;
    out.ok();
    assert!(t.get("apps/v1", "deployments", "dummy-web").is_none());
    assert!(t.secret("dummy-env").is_some(), "kept without --purge");
    let out = t.lain(&["delete", "--purge"]).await;
    out.ok();
    assert!(out.stderr.contains("not installed"), "{}", out.stderr);
    assert!(t.secret("dummy-env").is_none(), "purged");
    t.shutdown().await;
}

/// On a terminal, `lain x` runs with a TTY (raw mode, one stream) and still returns the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_on_a_terminal_uses_a_tty() {
    let t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.sim.set_exec_responder(|r| ExecResponse { stdout: format!("tty-run {}\n", r.command.join(" ")).into_bytes(), stderr: vec![], exit_code: 5 });
    let c = t.lain_cmd(&[]);
    let lain = crate::support::lain_bin().display().to_string();
    let mut s = std::process::Command::new("script");
    s.args(["-qec", &format!("'{lain}' x -- uname -a"), "/dev/null"]).current_dir(t.dir());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => s.env(k, v),
            None => s.env_remove(k),
        };
    }
    let o = tokio::task::block_in_place(|| s.env_remove("CI").output().unwrap());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("tty-run uname -a"), "{text}");
    assert_eq!(o.status.code(), Some(5), "{text}");
    t.shutdown().await;
}
