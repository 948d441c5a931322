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
    /// In-process, or (for the benchmark, KUBE_SIM_BIN) a separate release-built process, so
    /// the simulator's own speed does not count against lain's figures.
    sim: Option<KubeSim>,
    ext: Option<std::process::Child>,
    home: tempfile::TempDir,
    repo: PathBuf,
    clusters: PathBuf,
    helm: PathBuf,
}

async fn world(helm: &str) -> World {
    let home = tempfile::tempdir().expect("home");
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).expect("mkdir");
    let kc = kube.join("kubeconfig-test");
    let (sim, ext) = match std::env::var_os("KUBE_SIM_BIN") {
        Some(bin) => {
            let mut child = Command::new(bin)
                .args(["--port", "0", "--time-scale", "20", "--kubeconfig"])
                .arg(&kc)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("kube-sim starts");
            // It prints the kubeconfig path once it serves.
            let mut out = child.stdout.take().expect("stdout");
            let mut b = [0u8; 1];
            while out.read(&mut b).is_ok_and(|n| n == 1) && b[0] != b'\n' {}
            (None, Some(child))
        }
        None => {
            let sim = KubeSim::start(Options { time_scale: 20.0, ..Options::default() }).await.expect("sim");
            sim.write_kubeconfig(&kc, "default").expect("kubeconfig");
            (Some(sim), None)
        }
    };
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
    let w = World { sim, ext, repo, clusters, helm: tool(helm), home };
    let out = w.lain(&["init"]);
    assert!(out.status.success(), "lain init: {}", String::from_utf8_lossy(&out.stderr));
    w
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(c) = &mut self.ext {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl World {
    async fn shutdown(mut self) {
        if let Some(s) = self.sim.take() {
            s.shutdown().await;
        }
    }

    /// Waits until the app's Deployments have `n` available replicas (the verdict reads them).
    async fn wait_ready(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready: i64 = match &self.sim {
                Some(sim) => sim.list("apps/v1", "deployments", Some("default")).iter().map(|d| d["status"]["availableReplicas"].as_i64().unwrap_or(0)).sum(),
                None => {
                    let out = self
                        .cmd(&tool("kubectl"))
                        .args(["get", "deployments", "-o", "jsonpath={.items[*].status.availableReplicas}"])
                        .output()
                        .expect("kubectl");
                    String::from_utf8_lossy(&out.stdout).split_whitespace().filter_map(|x| x.parse::<i64>().ok()).sum()
                }
            };
            if ready >= n as i64 {
                return;
            }
            assert!(Instant::now() < deadline, "deployments not ready: {ready}/{n}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

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
        self.helm_install_with(tag, &[]);
    }

    fn helm_install_with(&self, tag: &str, sets: &[&str]) {
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
                in_cluster: None,
                lain_release: None,
            },
            Default::default(),
        );
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let app = ctx.load_app(&sets).expect("app loads");
        let args = lain_core::helm::Helm::values_args(&app, &app.injected("alice", tag));
        let out = self.cmd(&self.helm).args(["upgrade", "--install", "dummy", "./chart", "--namespace", "default"]).args(&args).output().expect("helm");
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

async fn one_shot(helm: &str) {
    let w = world(helm).await;
    w.helm_install("v1");
    w.wait_ready(1).await;
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
    assert!(
        text.contains(
            "metrics (Grafana): https://grafana.example.com/d/lain/pods?orgId=1&var-namespace=default&var-app=dummy&var-release=dummy&from=now-1h&to=now"
        ),
        "{text}"
    );
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
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_text_and_json_helm3() {
    one_shot("helm3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_text_and_json_helm4() {
    one_shot("helm4").await;
}

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        Tmux { socket: format!("lain-status-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)) }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("tmux runs (apt-get install tmux)");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "s"])
    }

    /// Polls the screen until `pred` holds; returns it, or fails with the last screen.
    fn wait_screen(&self, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "screen never matched:\n{s}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().args(["kill-server"]).output();
    }
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

struct TtyRun {
    first_paint: Duration,
    max_rss_kb: u64,
}

/// Opens `lain status` in a 120×40 tmux window, waits for the green light with `pods` pods,
/// resizes to 80×20, presses q; checks exit code 0 and a restored terminal.
async fn tty_run(pods: usize, replay: bool) -> TtyRun {
    let w = world("helm3").await;
    let replicas = format!("deployments.web.replicaCount={pods}");
    w.helm_install_with("v1", &[&replicas]);
    w.wait_ready(pods).await;
    let (addr, _code) = http_server(200);
    if replay {
        replay_cluster(&w).await;
    }
    let dir = w.home.path().join("tty");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let d = dir.display();
    let script = format!(
        "while [ ! -e {d}/go ]; do sleep 0.005; done; echo $$ > {d}/sh.pid; \
         '{lain}' status --resolve dummy.test.example.com={addr}; echo $? > {d}/exit; stty -a > {d}/stty; sleep 600",
        lain = lain_bin().display()
    );
    let t = Tmux::new();
    let mut c = t.cmd();
    // The same clean environment as the other tests (no CI variable: this is a terminal).
    c.current_dir(&w.repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.home.path())
        .env("CLUSTER_VALUES_DIR", &w.clusters)
        .env("LAIN_HELM", &w.helm)
        .env("TERM", "xterm-256color")
        .args(["new-session", "-d", "-s", "s", "-x", "120", "-y", "40", "sh", "-c", &script]);
    let out = c.output().expect("tmux starts (apt-get install tmux)");
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));

    let t0 = Instant::now();
    std::fs::write(dir.join("go"), "").expect("go");
    let want = format!("Pods ({pods})");
    // First paint: all the pods and a verdict on screen. The endpoint probe (a request to the
    // app) and the release line (helm, a separate process) may come a little later.
    t.wait_screen(30, |s| s.contains(&want) && !s.contains("loading…"));
    let first_paint = t0.elapsed();
    t.wait_screen(30, |s| s.contains("green light") && s.contains(&want));
    let green = t0.elapsed();
    // A replayed cluster has no helm release to read.
    let screen = t.wait_screen(30, |s| s.contains("green light") && s.contains(&want) && (replay || s.contains("revision 1")));
    eprintln!("{pods} pods: first paint {first_paint:?}, green light {green:?}, with the release line {:?}", t0.elapsed());
    // The tag the pods run, read from the pods themselves (so a replay names it too).
    assert!(screen.lines().next().is_some_and(|l| l.contains(&format!("✔ green light: {pods} pods healthy on v1, 1 endpoint answering"))), "{screen}");
    assert!(screen.contains("http://dummy.test.example.com/") && screen.contains(" 200 "), "{screen}");
    assert!(screen.contains(" q quit"), "{screen}");
    assert_eq!(t.run(&["display", "-p", "-t", "s", "#{alternate_on}"]).trim(), "1", "the dashboard uses the alternate screen");

    // Resize: the layout is redrawn for the new size (footer on the new last line).
    t.run(&["resize-window", "-t", "s", "-x", "80", "-y", "20"]);
    let screen = t.wait_screen(10, |s| s.lines().count() == 20 && s.lines().nth(19).is_some_and(|l| l.contains(" q quit")));
    assert!(screen.lines().next().is_some_and(|l| l.contains("green light")), "{screen}");
    assert!(screen.contains(&want), "{screen}");

    let sh_pid: u32 = std::fs::read_to_string(dir.join("sh.pid")).expect("sh pid").trim().parse().expect("pid");
    let children = std::fs::read_to_string(format!("/proc/{sh_pid}/task/{sh_pid}/children")).expect("children");
    let lain_pid: u32 = children.split_whitespace().next().expect("lain runs").parse().expect("pid");
    // Let a few probe / metrics rounds run before measuring the peak.
    std::thread::sleep(Duration::from_millis(1500));
    let max_rss_kb = vm_hwm_kb(lain_pid).expect("VmHWM");

    t.run(&["send-keys", "-t", "s", "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("stty").exists() {
        assert!(Instant::now() < deadline, "lain did not quit on q:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(std::fs::read_to_string(dir.join("exit")).expect("exit").trim(), "0");
    // Terminal restored: back from the alternate screen, cooked mode, echo on.
    assert_eq!(t.run(&["display", "-p", "-t", "s", "#{alternate_on}"]).trim(), "0");
    assert!(!t.screen().contains("green light"));
    let stty = std::fs::read_to_string(dir.join("stty")).expect("stty");
    assert!(stty.split_whitespace().any(|w| w == "icanon") && stty.split_whitespace().any(|w| w == "echo"), "{stty}");
    drop(t);
    w.shutdown().await;
    TtyRun { first_paint, max_rss_kb }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_a_real_terminal_starts_resizes_and_quits() {
    let r = tty_run(3, false).await;
    eprintln!("first paint {:?}, max RSS {} KiB", r.first_paint, r.max_rss_kb);
}

/// The figures in docs/status.md: 500 pods, release builds of lain and of the simulator (run
/// as its own process): `cargo build --release -p lain -p kube-sim`, then
/// `LAIN_BIN=target/release/lain KUBE_SIM_BIN=target/release/kube-sim cargo test --release -p lain --test status -- --ignored bench --nocapture`.
///
/// Two runs: against kube-sim itself (end to end; the simulator answers a 500-pod list in
/// ~200 ms while its controllers tick over those pods), and against a replay of the same
/// cluster's responses served at once (lain's own time), on which the limits are asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with release builds (LAIN_BIN, KUBE_SIM_BIN) and --ignored"]
async fn bench_500_pods() {
    let sim = tty_run(500, false).await;
    eprintln!("500 pods, kube-sim: first paint {:?}, max RSS {} KiB ({:.1} MiB)", sim.first_paint, sim.max_rss_kb, sim.max_rss_kb as f64 / 1024.0);
    let r = tty_run(500, true).await;
    eprintln!("500 pods, replayed API: first paint {:?}, max RSS {} KiB ({:.1} MiB)", r.first_paint, r.max_rss_kb, r.max_rss_kb as f64 / 1024.0);
    assert!(sim.max_rss_kb < 30 * 1024, "max RSS {} KiB", sim.max_rss_kb);
    assert!(r.max_rss_kb < 30 * 1024, "max RSS {} KiB", r.max_rss_kb);
    assert!(r.first_paint < Duration::from_millis(300), "first paint {:?}", r.first_paint);
}

/// Records the API responses `lain status` reads (lists of the release's objects, warnings,
/// metrics) and serves them from memory on 127.0.0.1, each watch held open with no events;
/// then points the cluster's kubeconfig at it.
async fn replay_cluster(w: &World) {
    let kc = w.home.path().join(".kube/kubeconfig-test");
    let client = lain_core::kube::client::client_from_kubeconfig(&kc).await.expect("client");
    let sel = "labelSelector=app.kubernetes.io%2Finstance%3Ddummy";
    let paths = [
        format!("/api/v1/namespaces/default/pods?{sel}"),
        format!("/apis/apps/v1/namespaces/default/deployments?{sel}"),
        format!("/apis/apps/v1/namespaces/default/statefulsets?{sel}"),
        format!("/apis/networking.k8s.io/v1/namespaces/default/ingresses?{sel}"),
        "/api/v1/namespaces/default/events".to_string(),
        format!("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?{sel}"),
        // The blue/green check of the strategy line: the main Services, green's pods (none).
        "/api/v1/namespaces/default/services?labelSelector=app.kubernetes.io%2Finstance%3Ddummy%2C%21lain.io%2Fcolor".to_string(),
        "/api/v1/namespaces/default/pods?labelSelector=app.kubernetes.io%2Finstance%3Ddummy%2Clain.io%2Fcolor%3Dgreen".to_string(),
    ];
    let mut canned = Vec::new();
    for p in &paths {
        let req = http::Request::get(p.as_str()).body(Vec::new()).expect("request");
        let body = client.request_text(req).await.expect("list");
        canned.push((replay_key(p), body));
    }
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let canned = Arc::new(canned);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let canned = canned.clone();
            std::thread::spawn(move || serve_replay(s, &canned));
        }
    });
    std::fs::write(&kc, kube_sim::kubeconfig(&format!("http://{addr}"), "default")).expect("kubeconfig");
}

/// A request's path and decoded label selector: the same list with another selector is another
/// answer (a real server filters; serving one list for every selector would not be a replay).
fn replay_key(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let sel = query.split('&').find_map(|kv| kv.strip_prefix("labelSelector=")).unwrap_or("");
    let mut decoded = Vec::new();
    let b = sel.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(v)) => {
                decoded.push(v);
                i += 3;
            }
            (c, _) => {
                decoded.push(c);
                i += 1;
            }
        }
    }
    format!("{path}?{}", String::from_utf8_lossy(&decoded))
}

fn serve_replay(mut s: std::net::TcpStream, canned: &[(String, String)]) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // One request head at a time (GETs only, no bodies); connections are kept alive.
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let key = replay_key(&target);
        if query.split('&').any(|kv| kv == "watch=true" || kv == "watch=1") {
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            let _ = s.flush();
            std::thread::sleep(Duration::from_secs(600));
            return;
        }
        let (code, body) = match canned.iter().find(|(k, _)| *k == key) {
            Some((_, b)) => ("200 OK", b.as_str()),
            None => ("404 Not Found", r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"#),
        };
        let _ = write!(s, "HTTP/1.1 {code}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    }
}
