//! The test cluster and app: an in-memory API server (kube-sim), an isolated HOME whose
//! ~/.kube/kubeconfig-test points at it, an app repository made with `lain init`, and the real
//! `lain` binary run with the real helm 3 or helm 4.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kube_sim::{KubeSim, Options};
use serde_json::Value;

/// The lain binary under test: the one cargo built for this test, or `LAIN_TEST_BIN` (for a
/// target directory shared by several checkouts, where another build can replace
/// target/debug/lain while these tests run).
pub fn lain_bin() -> PathBuf {
    std::env::var_os("LAIN_TEST_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lain")))
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// A real tool; fails the test with the fix when absent.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".tools/bin"));
    let p = dir.join(name);
    assert!(p.exists(), "{} not found: run scripts/setup-tools (or set LAIN_TOOLS_BIN)", p.display());
    p
}

/// The test cluster's registry: nothing listens there, so lain's "is the image pushed?" check
/// before a deploy cannot answer and lets the deploy go on (with a warning); whether an image
/// can be pulled is then up to kube-sim's rules, as each test decides.
pub const REGISTRY: &str = "127.0.0.1:9";

const CLUSTER: &str = "registry: 127.0.0.1:9\nnamespace: default\ndomain: test.example.com\n";

/// A small app: two deployments (web has a readiness delay, so "green" means something).
pub const VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 2
    containerPort: 8000
    readinessProbe:
      httpGet:
        path: /
        port: 8000
      initialDelaySeconds: 2
      periodSeconds: 1
  worker:
    replicaCount: 1
    command: ["sleep", "infinity"]
"#;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Out {
    fn from(o: std::process::Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Out {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "expected exit code {code}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub struct T {
    pub sim: KubeSim,
    pub home: tempfile::TempDir,
    /// CLUSTER_VALUES_DIR: the cluster `test`.
    pub clusters: tempfile::TempDir,
    pub app: tempfile::TempDir,
    pub helm: PathBuf,
    pub helm_name: String,
    /// Extra environment for lain (e.g. EDITOR).
    pub env: Vec<(String, String)>,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Starts a simulated cluster (time runs `time_scale` times faster) and an app with `values`.
pub async fn setup(helm: &str, values: &str, time_scale: f64) -> T {
    setup_with(helm, values, Options { time_scale, ..Options::default() }).await
}

/// [`setup`] with the simulator's options (HTTPS, a required token...).
pub async fn setup_with(helm: &str, values: &str, opts: Options) -> T {
    let sim = KubeSim::start(opts).await.expect("kube-sim starts");
    let home = tempfile::tempdir().expect("home");
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).expect("~/.kube");
    sim.write_kubeconfig(&kube.join("kubeconfig-test"), "default").expect("kubeconfig");
    std::os::unix::fs::symlink("kubeconfig-test", kube.join("config")).expect("~/.kube/config link");
    let app = tempfile::tempdir().expect("app dir");
    let clusters = tempfile::tempdir().expect("cluster values dir");
    std::fs::write(clusters.path().join("values-test.yaml"), CLUSTER).expect("values-test.yaml");
    let t = T { sim, home, clusters, app, helm: tool(helm), helm_name: helm.to_string(), env: vec![] };
    git(t.app.path(), &["init", "-q"]);
    t.lain(&["init", "--appname", "dummy"]).await.ok();
    t.write_values(values);
    t.commit("init");
    t
}

impl T {
    pub fn dir(&self) -> &Path {
        self.app.path()
    }

    pub fn write_values(&self, values: &str) {
        std::fs::write(self.dir().join("chart/values.yaml"), values).expect("values.yaml");
    }

    /// Commits everything; returns the new image tag (`%ct-%H`).
    pub fn commit(&self, msg: &str) -> String {
        git(self.dir(), &["add", "-A"]);
        git(self.dir(), &["commit", "-q", "--allow-empty", "-m", msg]);
        self.tag()
    }

    pub fn tag(&self) -> String {
        git(self.dir(), &["log", "-1", "--pretty=format:%ct-%H"])
    }

    pub fn lain_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(lain_bin());
        c.args(args)
            .current_dir(self.dir())
            .env("HOME", self.home.path())
            .env("USER", "alice")
            .env("NO_COLOR", "1")
            .env("CI", "1")
            .env("LAIN_HELM", &self.helm)
            .env_remove("KUBECONFIG")
            .env("CLUSTER_VALUES_DIR", self.clusters.path())
            .env_remove("EDITOR")
            .env_remove("VISUAL")
            .env_remove("LAIN_USER");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs lain (in a blocking thread: the simulator serves from this process).
    pub async fn lain(&self, args: &[&str]) -> Out {
        let mut c = self.lain_cmd(args);
        let label = args.join(" ");
        let o = tokio::task::spawn_blocking(move || c.output().unwrap_or_else(|e| panic!("cannot run lain {label}: {e}"))).await.expect("runner");
        if std::env::var_os("LAIN_TEST_SHOW").is_some() {
            eprintln!("--- lain {} (exit {:?})\n{}{}", args.join(" "), o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        }
        Out::from(o)
    }

    pub fn helm_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.helm);
        c.args(args).current_dir(self.dir()).env("HOME", self.home.path()).env_remove("KUBECONFIG");
        c
    }

    /// Runs the real helm against the simulator, asserting success; returns stdout.
    pub async fn helm(&self, args: &[&str]) -> String {
        let mut c = self.helm_cmd(args);
        let label = args.join(" ");
        let o = tokio::task::spawn_blocking(move || c.output().expect("helm runs")).await.expect("runner");
        assert!(o.status.success(), "helm {label}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// `helm history dummy` as (revision, status, description).
    pub async fn history(&self) -> Vec<(u64, String, String)> {
        let out = self.helm(&["history", "dummy", "-o", "json"]).await;
        let v: Value = serde_json::from_str(&out).expect("history JSON");
        v.as_array()
            .expect("array")
            .iter()
            .map(|r| (r["revision"].as_u64().unwrap_or(0), r["status"].as_str().unwrap_or("").into(), r["description"].as_str().unwrap_or("").into()))
            .collect()
    }

    pub fn get(&self, api: &str, plural: &str, name: &str) -> Option<Value> {
        self.sim.get(api, plural, "default", name)
    }

    pub fn deployment(&self, proc_: &str) -> Value {
        self.get("apps/v1", "deployments", &format!("dummy-{proc_}")).unwrap_or_else(|| panic!("deployment dummy-{proc_} exists"))
    }

    pub fn image_of(&self, proc_: &str) -> String {
        self.deployment(proc_).pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).unwrap_or("").to_string()
    }

    pub fn pods(&self, prefix: &str) -> Vec<Value> {
        self.sim.list("v1", "pods", Some("default")).into_iter().filter(|p| p["metadata"]["name"].as_str().unwrap_or("").starts_with(prefix)).collect()
    }

    /// The Secret's data, decoded.
    pub fn secret(&self, name: &str) -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
        use base64_decode as b;
        let s = self.get("v1", "secrets", name)?;
        Some(s["data"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), b(v.as_str().unwrap_or("")))).collect()).unwrap_or_default())
    }

    /// A file in the home directory (scripts, editors).
    pub fn write_home(&self, name: &str, content: &str, executable: bool) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, content).expect("write");
        if executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        p
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    // A tiny decoder keeps the test crate's dependencies to the workspace's.
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = T.iter().position(|x| *x == c).expect("base64") as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

/// Polls until `f` returns Some, for at most `limit`.
pub async fn eventually<X>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<X>) -> X {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Defines one async test per helm major version.
#[macro_export]
macro_rules! both_helms {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn helm3() {
                super::$body("helm3").await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn helm4() {
                super::$body("helm4").await;
            }
        }
    };
}
