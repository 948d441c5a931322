//! The cluster flows against a real Kubernetes cluster, opt-in:
//!
//! ```sh
//! LAIN_E2E_KUBECONFIG=~/.kube/kubeconfig-staging \
//! LAIN_E2E_NAMESPACE=lain-e2e \          # must exist; everything is created and deleted in it
//! LAIN_E2E_IMAGE=busybox:1.36 \          # any image with sh, httpd and sleep the nodes can pull
//! LAIN_E2E_LAIN_IMAGE=reg/lain:latest \  # optional: the lain image, for --delete-after
//! LAIN_E2E_LAIN_SA=lain-janitor \        # optional: its service account (docs/cluster-ops.md)
//! cargo test -p lain --test e2e -- --test-threads 2
//! ```
//!
//! Without LAIN_E2E_KUBECONFIG every test says it is skipped and passes. Each test uses its own
//! release (`lain-e2e-NAME-PID`) and deletes it (with --purge) at the end, failed or not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

fn tool(name: &str) -> PathBuf {
    let dir = var("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin"));
    let p = dir.join(name);
    assert!(p.exists(), "{} not found: run scripts/setup-tools (or set LAIN_TOOLS_BIN)", p.display());
    p
}

struct E2e {
    home: tempfile::TempDir,
    app: tempfile::TempDir,
    clusters: tempfile::TempDir,
    name: String,
}

/// `None` (and a note on stderr) when no cluster is configured.
fn setup(test: &str, values: &str) -> Option<E2e> {
    let Some(kubeconfig) = var("LAIN_E2E_KUBECONFIG") else {
        eprintln!("e2e {test}: skipped, LAIN_E2E_KUBECONFIG is not set (point it at a real cluster's kubeconfig to run)");
        return None;
    };
    let namespace = var("LAIN_E2E_NAMESPACE").unwrap_or_else(|| "lain-e2e".into());
    let name = format!("e2e-{test}-{}", std::process::id()).replace('_', "-");
    let home = tempfile::tempdir().unwrap();
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).unwrap();
    std::fs::copy(shellexpand(&kubeconfig), kube.join("kubeconfig-e2e")).expect("LAIN_E2E_KUBECONFIG readable");
    std::os::unix::fs::symlink("kubeconfig-e2e", kube.join("config")).unwrap();
    let clusters = tempfile::tempdir().unwrap();
    let mut cluster = format!("registry: registry.invalid\nnamespace: {namespace}\ndomain: e2e.invalid\n");
    if let Some(i) = var("LAIN_E2E_LAIN_IMAGE") {
        cluster.push_str(&format!("lain_image: {i}\n"));
    }
    if let Some(sa) = var("LAIN_E2E_LAIN_SA") {
        cluster.push_str(&format!("lain_service_account: {sa}\n"));
    }
    std::fs::write(clusters.path().join("values-e2e.yaml"), cluster).unwrap();
    let app = tempfile::tempdir().unwrap();
    let e = E2e { home, app, clusters, name };
    git(e.app.path(), &["init", "-q"]);
    assert!(e.lain(&["init", "--appname", &e.name]).status.success());
    e.values(values);
    e.commit("init");
    Some(e)
}

fn shellexpand(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => PathBuf::from(var("HOME").unwrap_or_default()).join(rest),
        None => PathBuf::from(p),
    }
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "e2e")
        .env("GIT_AUTHOR_EMAIL", "e2e@example.com")
        .env("GIT_COMMITTER_NAME", "e2e")
        .env("GIT_COMMITTER_EMAIL", "e2e@example.com")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}");
}

fn image() -> String {
    var("LAIN_E2E_IMAGE").unwrap_or_else(|| "busybox:1.36".into())
}

/// A web proc that serves HTTP on 8000 (readiness checks it), from a public image.
fn web_values(replicas: u32, extra: &str) -> String {
    format!(
        "appname: APP\ndeployments:\n  web:\n    replicaCount: {replicas}\n    image: {}\n    command: [sh, -c, 'mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 8000 -h /tmp/www']\n    containerPort: 8000\n    readinessProbe:\n      httpGet: {{path: /, port: 8000}}\n      periodSeconds: 2\n{extra}",
        image()
    )
}

impl E2e {
    fn values(&self, v: &str) {
        std::fs::write(self.app.path().join("chart/values.yaml"), v.replace("APP", &self.name)).unwrap();
    }
    fn commit(&self, msg: &str) {
        git(self.app.path(), &["add", "-A"]);
        git(self.app.path(), &["commit", "-q", "--allow-empty", "-m", msg]);
    }
    fn lain(&self, args: &[&str]) -> Output {
        let o = Command::new(env!("CARGO_BIN_EXE_lain"))
            .args(args)
            .current_dir(self.app.path())
            .env("HOME", self.home.path())
            .env("CLUSTER_VALUES_DIR", self.clusters.path())
            .env("LAIN_HELM", var("LAIN_E2E_HELM").map(PathBuf::from).unwrap_or_else(|| tool("helm3")))
            .env("USER", "lain-e2e")
            .env("NO_COLOR", "1")
            .env("CI", "1")
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        eprintln!("--- lain {} ({})\n{}{}", args.join(" "), o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        o
    }
    fn ok(&self, args: &[&str]) -> Output {
        let o = self.lain(args);
        assert!(o.status.success(), "lain {args:?} failed");
        o
    }
}

impl Drop for E2e {
    fn drop(&mut self) {
        let _ = self.lain(&["delete", "--purge"]);
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn deploy_green_restart_rollback() {
    let Some(e) = setup("green", &web_values(2, "")) else { return };
    e.ok(&["use", "e2e"]);
    e.ok(&["deploy", "--set", "imageTag=first", "--timeout", "5m"]);
    e.values(&web_values(1, ""));
    e.commit("one replica");
    e.ok(&["deploy", "--set", "imageTag=second", "--timeout", "5m"]);
    e.ok(&["restart", "--graceful", "--timeout", "5m"]);
    let o = e.ok(&["rollback", "--timeout", "5m"]);
    assert!(stderr(&o).contains("image tag first"), "{}", stderr(&o));
    let o = e.ok(&["get-values"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("user: lain-e2e"));
}

#[test]
fn crash_loop_and_missing_image_are_reported() {
    let extra = format!("  worker:\n    image: {}\n    command: [sh, -c, 'echo e2e-crash-marker; exit 3']\n", image());
    let Some(e) = setup("crash", &web_values(1, &extra)) else { return };
    e.ok(&["use", "e2e"]);
    let o = e.lain(&["deploy", "--timeout", "5m"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("CrashLoopBackOff") || stderr(&o).contains("Error"), "{}", stderr(&o));
    assert!(stderr(&o).contains("e2e-crash-marker"), "{}", stderr(&o));

    let missing = web_values(1, "").replace(&format!("image: {}", image()), "image: registry.invalid/lain-e2e/missing:nope");
    e.values(&missing);
    e.commit("missing image");
    let o = e.lain(&["deploy", "--timeout", "5m"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("ImagePull") || stderr(&o).contains("ErrImagePull"), "{}", stderr(&o));
}

#[test]
fn wait_times_out_on_a_pod_never_ready() {
    let never = web_values(1, "").replace("port: 8000}", "port: 8001}");
    let Some(e) = setup("wait", &never) else { return };
    e.ok(&["use", "e2e"]);
    e.ok(&["deploy", "--no-wait"]);
    let o = e.lain(&["wait", "--timeout", "60s"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
}

/// `lain wait RELEASE` from a directory without a chart, with only KUBECONFIG (a CI job).
#[test]
fn wait_by_release_name_with_only_a_kubeconfig() {
    let Some(e) = setup("waitname", &web_values(1, "")) else { return };
    e.ok(&["use", "e2e"]);
    e.ok(&["deploy", "--timeout", "5m"]);
    let elsewhere = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lain"))
        .args(["wait", &e.name, "--timeout", "2m"])
        .current_dir(elsewhere.path())
        .env("HOME", elsewhere.path())
        .env("KUBECONFIG", e.home.path().join(".kube/kubeconfig-e2e"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The cluster uninstalls a `--delete-after` release by itself (needs LAIN_E2E_LAIN_IMAGE and a
/// service account allowed to uninstall, LAIN_E2E_LAIN_SA).
#[test]
fn delete_after_uninstalls_on_the_cluster() {
    if var("LAIN_E2E_LAIN_IMAGE").is_none() {
        eprintln!("e2e delete_after: skipped, LAIN_E2E_LAIN_IMAGE is not set (the lain image the deletion runs in)");
        return;
    }
    let Some(e) = setup("expire", &web_values(1, "")) else { return };
    e.ok(&["use", "e2e"]);
    e.ok(&["deploy", "--delete-after", "1m", "--timeout", "5m"]);
    // Due at the next minute boundary after one minute; give the CronJob and helm 4 more.
    let helm = var("LAIN_E2E_HELM").map(PathBuf::from).unwrap_or_else(|| tool("helm3"));
    let namespace = var("LAIN_E2E_NAMESPACE").unwrap_or_else(|| "lain-e2e".into());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let o = Command::new(&helm).args(["status", &e.name, "--namespace", &namespace]).env("HOME", e.home.path()).env_remove("KUBECONFIG").output().unwrap();
        if !o.status.success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} still installed 5 minutes later: kubectl get cronjob,job,pod -l lain.io/delete-after={}",
            e.name,
            e.name
        );
        std::thread::sleep(std::time::Duration::from_secs(10));
    }
}

#[test]
fn env_edit_race_and_secret_values_stay_private() {
    let Some(e) = setup("env", &web_values(1, "")) else { return };
    e.ok(&["use", "e2e"]);
    let secret = "e2e-s3cr3t-value";
    let o = e.ok(&["env", "add", &format!("TOKEN={secret}")]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains(secret));
    let lain = env!("CARGO_BIN_EXE_lain");
    let editor = e.home.path().join("race.sh");
    std::fs::write(&editor, format!("#!/bin/sh\n\"{lain}\" env add THEIRS=1 >/dev/null 2>&1\nsed -i 's/^  TOKEN: .*/  TOKEN: mine/' \"$1\"\n")).unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lain"))
        .args(["env", "edit"])
        .current_dir(e.app.path())
        .env("HOME", e.home.path())
        .env("CLUSTER_VALUES_DIR", e.clusters.path())
        .env("LAIN_HELM", tool("helm3"))
        .env("EDITOR", &editor)
        .env("CI", "1")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("changed by someone else"), "{}", stderr(&o));
    assert!(!stderr(&o).contains(secret));
}
