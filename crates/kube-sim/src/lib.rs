//! kube-sim: an in-memory Kubernetes API server for tests and demos. Real helm 3 / helm 4,
//! kubectl and kube-rs talk to it on 127.0.0.1, over plain HTTP or, like a real API server,
//! HTTPS with a bearer token. See README.md for what is
//! faithful, what is simulated, and how a test steers the simulated cluster.

pub mod clock;
pub mod controllers;
pub mod defaults;
pub mod discovery;
mod exec;
pub mod fieldmanager;
mod handlers;
pub mod kubelet;
mod logs;
pub mod negotiate;
pub mod openapi;
pub mod patch;
pub mod protobuf;
mod render;
pub mod resources;
pub mod schema;
pub mod selectors;
mod server;
pub mod status;
pub mod steering;
pub mod store;
pub mod table;
pub mod validation;
mod watch;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch as tokio_watch;

pub use clock::Clock;
pub use steering::{Behavior, ExecRequest, ExecResponse, Rule, Steering};
pub use store::Store;

/// Start-up options. `Default` is a random port on 127.0.0.1, real-time clock, controllers on.
#[derive(Debug, Clone)]
pub struct Options {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Simulated seconds per real second (e.g. 50.0 makes a 30 s readiness delay take 0.6 s).
    pub time_scale: f64,
    /// Real interval between controller passes.
    pub tick: Duration,
    /// Run the simulated controllers and kubelet (off: a bare object store).
    pub controllers: bool,
    /// Log every request to stderr (also enabled by env KUBE_SIM_LOG=1).
    pub log_requests: bool,
    /// How far behind the host clock simulated time starts; `None` picks
    /// [`clock::default_head_start`] for `time_scale` (see the clock module for why).
    pub head_start: Option<Duration>,
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<Tls>,
    /// Require `Authorization: Bearer TOKEN` on every request, answering 401 otherwise as the
    /// real server does for an unknown or missing token.
    pub token: Option<String>,
}

/// HTTPS material, PEM text. `ca` is the certificate clients must trust (what a kubeconfig's
/// `certificate-authority-data` and a pod's `ca.crt` hold).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert_chain: String,
    pub key: String,
    pub ca: String,
}

impl Default for Options {
    fn default() -> Self {
        Self { port: 0, time_scale: 1.0, tick: Duration::from_millis(20), controllers: true, log_requests: false, head_start: None, tls: None, token: None }
    }
}

/// The outcome of one controller pass, published for [`KubeSim::settle`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassDone {
    pub seq: u64,
    /// The pass wrote nothing: every controller was content with what it saw.
    pub quiet: bool,
}

/// At most this many passes (20 ms each by default) are waited for by [`KubeSim::settle`].
pub const SETTLE_MAX_PASSES: u64 = 100;

/// State shared by the HTTP server, the controllers and the test's handle.
pub struct Shared {
    pub store: Mutex<Store>,
    pub clock: Clock,
    pub steering: Mutex<Steering>,
    /// The last completed controller pass; `settle` waits on it.
    pub passes: tokio_watch::Sender<PassDone>,
    /// Sequence number of the last controller pass that started (read the clock).
    pub pass_started: AtomicU64,
    pub shutdown: tokio_watch::Sender<bool>,
    pub addr: SocketAddr,
    pub log_requests: bool,
    /// The CA clients must trust, when serving HTTPS.
    pub tls_ca: Option<String>,
    pub token: Option<String>,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn steering(&self) -> MutexGuard<'_, Steering> {
        self.steering.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running simulator. Dropping it without [`KubeSim::shutdown`] stops it too (tasks are aborted).
pub struct KubeSim {
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl KubeSim {
    pub async fn start(opts: Options) -> std::io::Result<Self> {
        let acceptor = opts.tls.as_ref().map(tls_acceptor).transpose()?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        let (passes, _) = tokio_watch::channel(PassDone::default());
        let (shutdown, _) = tokio_watch::channel(false);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            clock: Clock::with_head_start(opts.time_scale, opts.head_start.unwrap_or_else(|| clock::default_head_start(opts.time_scale))),
            steering: Mutex::new(Steering::default()),
            passes,
            pass_started: AtomicU64::new(0),
            shutdown,
            addr,
            log_requests: opts.log_requests || std::env::var("KUBE_SIM_LOG").is_ok_and(|v| v == "1"),
            tls_ca: opts.tls.as_ref().map(|t| t.ca.clone()),
            token: opts.token.clone(),
        });
        controllers::bootstrap(&shared);
        let mut tasks = vec![tokio::spawn(server::serve(listener, acceptor, shared.clone()))];
        if opts.controllers {
            tasks.push(tokio::spawn(controllers::run(shared.clone(), opts.tick)));
        }
        Ok(Self { shared, tasks })
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls_ca.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.shared.addr)
    }

    /// Writes a kubeconfig (context `kube-sim`, given default namespace) pointing at this server,
    /// with its CA and token when it has them.
    pub fn write_kubeconfig(&self, path: &Path, namespace: &str) -> std::io::Result<()> {
        std::fs::write(path, kubeconfig_with(&self.url(), namespace, self.shared.tls_ca.as_deref(), self.shared.token.as_deref().unwrap_or("kube-sim")))
    }

    /// Stops serving: the listener closes, open connections and watches end.
    pub async fn shutdown(mut self) {
        let _ = self.shared.shutdown.send(true);
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Moves simulated time forward by `d` at once (then lets the controllers catch up via
    /// [`KubeSim::settle`]).
    pub fn advance(&self, d: Duration) {
        self.shared.clock.advance(d);
    }

    pub fn set_time_scale(&self, scale: f64) {
        self.shared.clock.set_scale(scale);
    }

    /// Waits until the controllers have caught up with everything that happened before this
    /// call: the first controller pass that *started* after the call and changed nothing. A
    /// fixed number of passes is not enough, because controllers react to each other one pass
    /// apart (a Job completes in one pass, its CronJob trims history in the next). Bounded by
    /// [`SETTLE_MAX_PASSES`] for simulations that never go quiet (fast crash loops).
    pub async fn settle(&self) {
        let mut rx = self.shared.passes.subscribe();
        let after = self.shared.pass_started.load(Ordering::SeqCst);
        loop {
            let done = *rx.borrow_and_update();
            if done.seq > after && (done.quiet || done.seq > after + SETTLE_MAX_PASSES) {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// Adds a behaviour rule (crash loop, OOM, image pull failure, ...). Later rules win.
    pub fn add_rule(&self, rule: Rule) {
        self.shared.steering().rules.push(rule);
    }

    pub fn clear_rules(&self) {
        self.shared.steering().rules.clear();
    }

    /// Sets the responder for `pods/exec`.
    pub fn set_exec_responder(&self, f: impl Fn(&ExecRequest) -> ExecResponse + Send + Sync + 'static) {
        self.shared.steering().exec = Some(Arc::new(f));
    }

    /// Appends a log line to the current instance of a container (visible to `logs -f` at once).
    pub fn push_log(&self, namespace: &str, pod: &str, container: &str, line: &str) {
        let now = self.shared.clock.now();
        logs::push(&self.shared, namespace, pod, container, line, now);
    }

    /// A stored object, by resource (`"apps/v1"`, `"deployments"`), namespace ("" when cluster-scoped) and name.
    pub fn get(&self, api_version: &str, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
        let res = resources::find(g, v, plural)?;
        self.shared.store().get(res, namespace, name).cloned()
    }

    /// All stored objects of a resource in a namespace (`None`: all namespaces).
    pub fn list(&self, api_version: &str, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        let (g, v) = api_version.split_once('/').unwrap_or(("", api_version));
        let Some(res) = resources::find(g, v, plural) else { return vec![] };
        self.shared.store().list_cloned(res, namespace)
    }

    /// Creates an object directly (as a POST would), e.g. a namespace or a secret a test needs.
    pub fn create(&self, obj: Value) -> Result<Value, status::ApiError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let res = resources::by_kind(api_version, kind).ok_or_else(|| status::ApiError::bad_request(format!("unknown kind {api_version}/{kind}")))?;
        let ns = store::meta_str(&obj, "namespace").to_string();
        let now = self.shared.clock.now();
        self.shared.store().create(res, &ns, obj, now, None, false)
    }
}

impl Drop for KubeSim {
    fn drop(&mut self) {
        let _ = self.shared.shutdown.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

pub fn kubeconfig(url: &str, namespace: &str) -> String {
    kubeconfig_with(url, namespace, None, "kube-sim")
}

fn kubeconfig_with(url: &str, namespace: &str, ca: Option<&str>, token: &str) -> String {
    use base64::Engine as _;
    let ca = ca.map(|c| format!("    certificate-authority-data: {}\n", base64::engine::general_purpose::STANDARD.encode(c))).unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: {url}\n{ca}contexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: {namespace}\ncurrent-context: kube-sim\nusers:\n- name: kube-sim\n  user:\n    token: {token}\npreferences: {{}}\n"
    )
}

fn tls_acceptor(t: &Tls) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let bad = |what: &str, e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {e}"));
    let certs = CertificateDer::pem_slice_iter(t.cert_chain.as_bytes()).collect::<Result<Vec<_>, _>>().map_err(|e| bad("TLS certificate", e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(t.key.as_bytes()).map_err(|e| bad("TLS key", e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS certificate", e.to_string()))?;
    // This server speaks HTTP/1.1 only; saying so keeps clients from trying h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
