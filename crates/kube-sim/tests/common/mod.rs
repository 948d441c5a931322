//! Helpers shared by the fixture's integration tests: start a simulator, find the real tools,
//! run them against it with an isolated HOME.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kube_sim::{KubeSim, Options};

pub struct Env {
    pub sim: KubeSim,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// A real tool (helm3, helm4, kubectl); fails the test with a fix when absent.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".tools/bin"));
    let p = dir.join(name);
    assert!(p.exists(), "{} not found: run scripts/setup-tools (or set LAIN_TOOLS_BIN)", p.display());
    p
}

pub fn fixture_chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo")
}

pub async fn start(time_scale: f64) -> Env {
    let sim = KubeSim::start(Options { time_scale, ..Options::default() }).await.expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig, "default").expect("kubeconfig written");
    Env { sim, dir, kubeconfig }
}

impl Env {
    pub fn cmd(&self, tool_name: &str, args: &[&str]) -> Command {
        let mut c = Command::new(tool(tool_name));
        c.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("HELM_CACHE_HOME", self.dir.path().join("helm-cache"))
            .env("HELM_CONFIG_HOME", self.dir.path().join("helm-config"))
            .env("HELM_DATA_HOME", self.dir.path().join("helm-data"))
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY");
        c
    }

    /// Runs a tool in a blocking thread (so the simulator keeps serving), returns its output.
    pub async fn run(&self, tool_name: &str, args: &[&str]) -> Output {
        let mut c = self.cmd(tool_name, args);
        let label = format!("{tool_name} {}", args.join(" "));
        tokio::task::spawn_blocking(move || c.output().unwrap_or_else(|e| panic!("cannot run {label}: {e}"))).await.expect("runner thread")
    }

    /// Runs and asserts success; returns stdout.
    pub async fn ok(&self, tool_name: &str, args: &[&str]) -> String {
        let out = self.run(tool_name, args).await;
        assert!(
            out.status.success(),
            "{tool_name} {} failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and asserts failure; returns stderr.
    pub async fn fails(&self, tool_name: &str, args: &[&str]) -> String {
        let out = self.run(tool_name, args).await;
        assert!(!out.status.success(), "{tool_name} {} unexpectedly succeeded: {}", args.join(" "), String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write file");
        p
    }

    pub async fn kube_client(&self) -> kube::Client {
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig parses");
        let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default()).await.expect("config");
        kube::Client::try_from(cfg).expect("client")
    }
}

/// Polls `f` until it returns Some, for at most `limit` real time.
pub async fn eventually<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A plain HTTP GET against the simulator (for what kubectl cannot show: raw Table bodies,
/// negotiated forms). Returns the status code and the body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str, accept: &str) -> (u16, String) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("connect to the simulator");
        s.write_all(req.as_bytes()).expect("send request");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read response");
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (code, body.to_string())
    })
    .await
    .expect("http thread")
}

/// The response headers of a plain HTTP GET.
pub async fn http_head(addr: std::net::SocketAddr, path: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("connect to the simulator");
        s.write_all(req.as_bytes()).expect("send request");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("read response");
        raw.split_once("\r\n\r\n").map(|(h, _)| h.to_string()).unwrap_or(raw)
    })
    .await
    .expect("http thread")
}

/// kubectl's table output as (header, rows of cells), cut at the header's column positions
/// (tabwriter aligns every cell under its header, and cells may be empty or hold spaces).
pub fn parse_table(out: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap_or("");
    let mut starts = Vec::new();
    let bytes = header.as_bytes();
    for i in 0..bytes.len() {
        let at_start = bytes[i] != b' ' && (i == 0 || (i >= 2 && bytes[i - 1] == b' ' && bytes[i - 2] == b' '));
        if at_start {
            starts.push(i);
        }
    }
    let cut = |l: &str| -> Vec<String> {
        starts
            .iter()
            .enumerate()
            .map(|(n, &s)| {
                let e = starts.get(n + 1).copied().unwrap_or(l.len()).min(l.len());
                l.get(s.min(l.len())..e).unwrap_or("").trim().to_string()
            })
            .collect()
    };
    (cut(header), lines.map(cut).collect())
}
