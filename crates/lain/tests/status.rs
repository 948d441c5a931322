//! `lain status` as a user runs it: a release installed by real helm (3 and 4) from the chart
//! `lain init` writes, into the in-memory API server; `-s` text, `--output json`, exit codes;
//! and the full-screen dashboard inside a real terminal (tmux): start, resize, quit.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use kube_sim::{KubeSim, Options};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".tools/bin"));
    let p = dir.join(name);
    assert!(p.exists(), "{} not found: run scripts/setup-tools (or set LAIN_TOOLS_BIN)", p.display());
    p
}

fn lain_bin() -> PathBuf {
    std::env::var_os("LAIN_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lain")))
}

/// A user's machine: HOME with ~/.kube pointing at the sim, a cluster configuration with
/// Kibana and Grafana, an app repository made by `lain init`.
struct World {
    sim: KubeSim,
    home: tempfile::TempDir,
    repo: PathBuf,
    clusters: PathBuf,
    helm: PathBuf,
}

async fn world(helm: &str) -> World {
    let sim = KubeSim::start(Options { time_scale: 20.0, ..Options::default() }).await.expect("sim");
    let home = tempfile::tempdir().expect("home");
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).expect("mkdir");
    sim.write_kubeconfig(&kube.join("kubeconfig-test"), "default").expect("kubeconfig");
    std::os::unix::fs::symlink("kubeconfig-test", kube.join("config")).expect("link");
    let clusters = home.path().join("clusters");
    std::fs::create_dir_all(&clusters).expect("mkdir");
    std::fs::write(
        clusters.join("values-test.yaml"),
        "registry: 127.0.0.1:5000\nnamespace: default\ndomain: test.example.com\ningressClass: nginx\n\
         kibana: kibana.example.com\ngrafana_url: https://grafana.example.com/d/lain/pods\n",
    )
    .expect("cluster values");
    let repo = home.path().join("dummy");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let w = World { sim, repo, clusters, helm: tool(helm), home };
    let out = w.lain(&["init"]);
    assert!(out.status.success(), "lain init: {}", String::from_utf8_lossy(&out.stderr));
    w
}

impl World {
    fn cmd(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.repo)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("CLUSTER_VALUES_DIR", &self.clusters)
            .env("LAIN_HELM", &self.helm)
            .env("LAIN_USER", "alice")
            .env("KUBECONFIG", self.home.path().join(".kube/config"));
        c
    }

    fn lain(&self, args: &[&str]) -> Output {
        self.cmd(&lain_bin()).args(args).output().expect("run lain")
    }

    /// Installs the app as `lain deploy` would: the chart, the cluster's injected values.
    fn helm_install(&self, tag: &str) {
        let ctx = lain_core::context::Ctx::new(
            lain_core::context::Env {
                home: self.home.path().to_path_buf(),
                cwd: self.repo.clone(),
                cluster_values_dir: Some(self.clusters.clone()),
                user: "alice".into(),
                helm: self.helm.clone(),
                kubectl: "kubectl".into(),
                docker: "docker".into(),
                editor: None,
                kubeconfig_env: None,
            },
            Default::default(),
        );
        let app = ctx.load_app(&[]).expect("app loads");
        let args = lain_core::helm::Helm::values_args(&app, &app.injected("alice", tag));
        let out = self
            .cmd(&self.helm)
            .args(["upgrade", "--install", "dummy", "./chart", "--namespace", "default"])
            .args(&args)
            .output()
            .expect("helm");
        assert!(out.status.success(), "helm install: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An HTTP server on 127.0.0.1 answering `code` to everything.
fn http_server(code: u16) -> (std::net::SocketAddr, Arc<AtomicU16>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let code = Arc::new(AtomicU16::new(code));
    let c = code.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(s, "HTTP/1.1 {} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", c.load(Ordering::Relaxed));
        }
    });
    (addr, code)
}

async fn wait_ready(sim: &KubeSim, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The Deployment's status (what the verdict reads), not just the pods.
        let deps = sim.list("apps/v1", "deployments", Some("default"));
        let ready: i64 = deps.iter().map(|d| d["status"]["availableReplicas"].as_i64().unwrap_or(0)).sum();
        if ready >= n as i64 {
            return;
        }
        assert!(Instant::now() < deadline, "deployments not ready: {deps:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn one_shot(helm: &str) {
    let w = world(helm).await;
    w.helm_install("v1");
    wait_ready(&w.sim, 1).await;
    let (addr, code) = http_server(200);
    let resolve = format!("dummy.test.example.com={addr}");

    let out = w.lain(&["status", "-s", "--resolve", &resolve]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("✔ green light: 1 pod healthy on v1, 1 endpoint answering"), "{text}");
    assert!(text.contains("release dummy revision 1 deployed, tag v1, by alice,"), "{text}");
    assert!(text.contains("dummy-web-"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("ok") && l.contains("http://dummy.test.example.com/") && l.contains(" 200 ")), "{text}");
    assert!(text.contains("logs (Kibana): https://kibana.example.com/app/discover#/?_g=(time:(from:now-1d,to:now))&_a=(query:(language:kuery,query:'kubernetes.namespace:%22default%22%20and%20kubernetes.labels.app_kubernetes_io/instance:%22dummy%22'))"), "{text}");
    assert!(text.contains("metrics (Grafana): https://grafana.example.com/d/lain/pods?orgId=1&var-namespace=default&var-app=dummy&var-release=dummy&from=now-1h&to=now"), "{text}");
    // -s: nothing but the result (helm's command lines are not printed).
    assert!(!String::from_utf8_lossy(&out.stderr).contains("$ "), "{}", String::from_utf8_lossy(&out.stderr));

    // No terminal (this test's pipes) means one-shot too; json for machines.
    let out = w.lain(&["status", "--output", "json", "--resolve", &resolve]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["verdict"]["level"], "green");
    assert_eq!(j["release_info"]["revision"], 1);
    assert_eq!(j["release_info"]["user"], "alice");
    assert_eq!(j["pods"][0]["proc_"], "web");
    assert_eq!(j["endpoints"][0]["probe"]["code"], 200);
    assert!(j["links"]["kibana"].as_str().is_some_and(|k| k.ends_with("'))")));

    // The endpoint starts answering 502: red, and exit code 4 for scripts.
    code.store(502, Ordering::Relaxed);
    let out = w.lain(&["status", "-s", "--resolve", &resolve]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.starts_with("✘ endpoint failing: http://dummy.test.example.com/ answers 502"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("FAIL") && l.contains(" 502 ")), "{text}");
    w.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_text_and_json_helm3() {
    one_shot("helm3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_text_and_json_helm4() {
    one_shot("helm4").await;
}
