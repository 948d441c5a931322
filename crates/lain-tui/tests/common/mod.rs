//! Test support: an in-memory API server (kube-sim) holding objects shaped exactly like the
//! lain chart makes them, a tiny HTTP server on 127.0.0.1 standing behind ingress hosts, the
//! live status feed, and rendering into ratatui's TestBackend.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use kube_sim::{KubeSim, Options};
use lain_core::status::build::Target;
use lain_core::status::live::{self, Live, LiveOptions, Update};
use lain_core::status::model::StatusModel;
use lain_tui::UiState;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

pub const NS: &str = "default";
pub const APP: &str = "dummy";
pub const REG: &str = "127.0.0.1:5000";

pub struct Env {
    pub sim: KubeSim,
    pub client: kube::Client,
    pub dir: tempfile::TempDir,
}

pub async fn env() -> Env {
    let sim = KubeSim::start(Options::default()).await.expect("kube-sim starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kc, NS).expect("kubeconfig");
    let client = lain_core::kube::client::client_from_kubeconfig(&kc).await.expect("client");
    Env { sim, client, dir }
}

pub fn labels(proc_: &str, kind: &str) -> Value {
    json!({
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/instance": APP,
        "app.kubernetes.io/managed-by": "Helm",
        "lain.io/proc": proc_,
        "lain.io/kind": kind,
    })
}

/// A Deployment as the chart renders `deployments.PROC` (readiness after 1 s).
pub fn deployment(proc_: &str, replicas: i32, tag: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("{APP}-{proc_}"), "namespace": NS, "labels": labels(proc_, "deployment")},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/instance": APP, "lain.io/proc": proc_}},
            "template": {
                "metadata": {"labels": labels(proc_, "deployment")},
                "spec": {"containers": [{
                    "name": proc_,
                    "image": format!("{REG}/{APP}:{tag}"),
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8000}, "initialDelaySeconds": 1}
                }]}
            }
        }
    })
}

/// An Ingress as the chart renders `ingresses: [{host, deployName: PROC}]`.
pub fn ingress(host: &str, proc_: &str, tls: bool) -> Value {
    let slug = host.replace('.', "-");
    let mut spec = json!({
        "ingressClassName": "lain-internal",
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": format!("{APP}-{proc_}"), "port": {"number": 80}}}}]}}]
    });
    if tls {
        spec["tls"] = json!([{"hosts": [host], "secretName": format!("{slug}-tls")}]);
    }
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": format!("{APP}-{proc_}-{slug}"), "namespace": NS, "labels": labels(proc_, "deployment")},
        "spec": spec
    })
}

/// A one-thread HTTP server on 127.0.0.1 answering every request with `code` (changeable).
pub struct Http {
    pub addr: SocketAddr,
    pub code: Arc<AtomicU16>,
}

pub fn http_server(code: u16) -> Http {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let code = Arc::new(AtomicU16::new(code));
    let c = code.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let code = c.load(Ordering::Relaxed);
            let reason = if code == 502 { "Bad Gateway" } else { "OK" };
            let body = format!("{code}\n");
            let _ = write!(s, "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    Http { addr, code }
}

pub fn target() -> Target {
    Target { appname: APP.into(), release: APP.into(), namespace: NS.into(), cluster: "test".into(), expected_tag: None, links: Default::default() }
}

/// Live options for tests: fast probes and log refreshes, the sim's clock.
pub fn options(env: &Env, resolve: Vec<(String, SocketAddr)>) -> LiveOptions {
    let mut o = LiveOptions::new(target());
    o.resolve = resolve;
    o.probe_every = Duration::from_millis(300);
    o.logs_every = Duration::from_millis(300);
    o.metrics_every = Duration::from_millis(500);
    o.probe_timeout = Duration::from_secs(2);
    let shared = env.sim.shared().clone();
    o.clock = Arc::new(move || shared.clock.now());
    o
}

pub fn start(env: &Env, resolve: Vec<(String, SocketAddr)>) -> Live {
    live::start(env.client.clone(), options(env, resolve)).expect("live starts")
}

/// Waits for a model satisfying `pred`; on timeout fails with the last model as text.
pub async fn wait_model(live: &mut Live, secs: u64, pred: impl Fn(&StatusModel) -> bool) -> Arc<StatusModel> {
    let mut last: Option<Arc<StatusModel>> = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, live.updates.recv()).await {
            Ok(Some(Update::Model(m))) => {
                if pred(&m) {
                    return m;
                }
                last = Some(m);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("feed ended"),
            Err(_) => {
                let text = last.map(|m| lain_core::status::plain::render(&m, jiff::Timestamp::now())).unwrap_or_default();
                panic!("timed out waiting for the model; last one:\n{text}");
            }
        }
    }
}

/// Renders into a TestBackend of `w`×`h` and returns the screen as lines of text.
pub fn draw(model: &StatusModel, ui: &UiState, w: u16, h: u16) -> (String, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| lain_tui::render(model, ui, f)).expect("draw");
    let buf = t.backend().buffer().clone();
    (screen(&buf), buf)
}

pub fn screen(buf: &ratatui::buffer::Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in 0..a.height {
        let mut line = String::new();
        for x in 0..a.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The style of the first cell where `needle` starts on screen.
pub fn style_at(buf: &ratatui::buffer::Buffer, needle: &str) -> Option<ratatui::style::Style> {
    let a = buf.area;
    for y in 0..a.height {
        let line: String = (0..a.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        if let Some(i) = line.find(needle) {
            let col = line[..i].chars().count() as u16;
            return Some(buf[(col, y)].style());
        }
    }
    None
}

/// The style of `needle` on the first line that contains `line` (and `needle`).
pub fn style_in_line(buf: &ratatui::buffer::Buffer, line: &str, needle: &str) -> Option<ratatui::style::Style> {
    let a = buf.area;
    for y in 0..a.height {
        let text: String = (0..a.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        if let Some(i) = text.contains(line).then(|| text.find(needle)).flatten() {
            let col = text[..i].chars().count() as u16;
            return Some(buf[(col, y)].style());
        }
    }
    None
}

/// Writes `tests/snapshots/NAME.txt` when UPDATE_SNAPSHOTS=1 (for review by eye); otherwise
/// compares with it when it exists and `exact` is set.
pub fn snapshot(name: &str, screen: &str, exact: bool) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, screen).expect("write snapshot");
        return;
    }
    if exact {
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1 and review it", path.display()));
        assert_eq!(screen, want, "screen differs from {}", path.display());
    }
}
