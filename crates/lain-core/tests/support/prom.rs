//! A real Prometheus (Debian's `prometheus` 2.x) on 127.0.0.1 with a TSDB backfilled by
//! `promtool tsdb create-blocks-from openmetrics` from samples a test generates.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Finds a tool on PATH; a missing one fails the test with the way to get it.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` is not installed: run scripts/setup-tools (it installs Debian's prometheus package)");
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// One time series: metric name, label set, `(unix seconds, value)` samples in time order.
pub struct Series {
    pub metric: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub samples: Vec<(i64, f64)>,
}

/// OpenMetrics text: samples of a metric family together, `# EOF` at the end. Counters are
/// declared by family name (`…_seconds`) with `_total` samples, as the format requires.
pub fn openmetrics(series: &[Series]) -> String {
    let mut out = String::new();
    let mut families: Vec<&'static str> = series.iter().map(|s| s.metric).collect();
    families.dedup();
    families.sort();
    families.dedup();
    for fam in families {
        match fam.strip_suffix("_total") {
            Some(base) => out.push_str(&format!("# TYPE {base} counter\n")),
            None => out.push_str(&format!("# TYPE {fam} gauge\n")),
        }
        for s in series.iter().filter(|s| s.metric == fam) {
            let labels = s.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(",");
            for (t, v) in &s.samples {
                // `{}` on f64 prints the shortest form that parses back to the same number, so
                // Prometheus sees exactly the values the test computes with.
                out.push_str(&format!("{fam}{{{labels}}} {v} {t}\n"));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

pub struct Prometheus {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Backfills `series` and starts Prometheus on a free 127.0.0.1 port; waits until ready.
    pub fn start(series: &[Series]) -> Prometheus {
        let prometheus = tool("prometheus");
        let promtool = tool("promtool");
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("metrics.om");
        std::fs::File::create(&input).and_then(|mut f| f.write_all(openmetrics(series).as_bytes())).expect("write openmetrics");
        let data = dir.path().join("data");
        let out = Command::new(&promtool).args(["tsdb", "create-blocks-from", "openmetrics", "-q"]).arg(&input).arg(&data).output().expect("run promtool");
        assert!(out.status.success(), "promtool failed: {}", String::from_utf8_lossy(&out.stderr));
        let config = dir.path().join("prometheus.yml");
        // No scrape jobs: the only data is what was backfilled.
        std::fs::write(&config, "global:\n  scrape_interval: 1h\n").expect("write config");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let child = Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=30d")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let p = Prometheus { child, url: format!("http://127.0.0.1:{port}"), _dir: dir };
        p.wait_ready();
        p
    }

    fn log_path(&self) -> PathBuf {
        self._dir.path().join("prometheus.log")
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = self.url.trim_start_matches("http://").to_string();
        while Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                let _ = s.write_all(b"GET /-/ready HTTP/1.0\r\n\r\n");
                let mut buf = String::new();
                let _ = std::io::Read::read_to_string(&mut s, &mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("prometheus did not become ready: {}", std::fs::read_to_string(self.log_path()).unwrap_or_default());
    }

    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }
}

/// Prometheus' `quantile_over_time`: linear interpolation between closest ranks
/// (rank = φ·(n−1)), as in `promql/quantile.go`.
pub fn quantile(phi: f64, values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len() as f64;
    let rank = phi * (n - 1.0);
    let lo = rank.floor().max(0.0) as usize;
    let hi = (lo + 1).min(v.len() - 1);
    let w = rank - rank.floor();
    v[lo] * (1.0 - w) + v[hi] * w
}

/// Deterministic pseudo-random numbers (splitmix64) so the generated data is the same each run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
