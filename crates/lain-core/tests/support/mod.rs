//! Shared fixtures for the image tests: a real `docker-registry` on 127.0.0.1, a busybox base
//! image made without any pull, git app repositories in temp dirs, and a fake HTTP server for
//! protocol details the real registry does not exercise (bearer tokens, Link paging, Harbor).
#![allow(dead_code)]

pub mod fake;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lain_core::image::ImageContext;

pub const SETUP_HINT: &str = "run scripts/setup-tools (it installs docker-registry, busybox-static and skopeo)";

/// Runs a command, panicking with its output on failure.
pub fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}; {SETUP_HINT}"));
    assert!(out.status.success(), "{cmd:?} failed: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// A `docker-registry serve` on 127.0.0.1 with its own config and storage; killed on drop.
pub struct TestRegistry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    pub fn start() -> TestRegistry {
        Self::start_with(None)
    }

    /// With htpasswd (basic) auth: `user` / `s3cret`.
    pub fn start_with_basic_auth() -> TestRegistry {
        // bcrypt (cost 4, for speed) of "s3cret"; the registry checks it on every request.
        Self::start_with(Some("user:$2b$04$O1IZEkwLeM6DM0SdE9wL9.wdftSVzBJvL95cnBBSvsSfD7X6tZvsq\n"))
    }

    fn start_with(htpasswd: Option<&str>) -> TestRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        for attempt in 0..5 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let mut cfg = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            );
            if let Some(h) = htpasswd {
                let f = dir.path().join("htpasswd");
                std::fs::write(&f, h).expect("write htpasswd");
                cfg.push_str(&format!("auth:\n  htpasswd:\n    realm: lain-test\n    path: {}\n", f.display()));
            }
            let cfg_path = dir.path().join("config.yml");
            std::fs::write(&cfg_path, cfg).expect("write registry config");
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&cfg_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}; {SETUP_HINT}"));
            let mut child = child;
            if wait_ready(&mut child, &addr) {
                return TestRegistry { addr, child, _dir: dir };
            }
            let _ = child.kill();
            let _ = child.wait();
            // Most likely lost the port between probing and binding: try another.
            eprintln!("docker-registry on {addr} did not become ready (attempt {attempt})");
        }
        panic!("docker-registry did not become ready after 5 attempts");
    }
}

fn wait_ready(child: &mut Child, addr: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes());
            let mut buf = [0u8; 12];
            if s.read(&mut buf).map(|n| n >= 12 && buf.starts_with(b"HTTP/1.")).unwrap_or(false) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl TestRegistry {
    /// Pushes the busybox base image here; returns `ADDR/base:latest`.
    pub fn push_base(&self) -> String {
        let local = base_image();
        let remote = format!("{}/base:latest", self.addr);
        sh(Command::new("docker").args(["tag", local, &remote]));
        sh(Command::new("docker").args(["push", &remote]));
        remote
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // Untag the base pushed here (the image itself stays, cached for the next run).
        let _ = Command::new("docker").args(["rmi", &format!("{}/base:latest", self.addr)]).output();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BASE_IMAGE: &str = "lain-test-base:busybox";

/// A base image made from Debian's busybox-static (no pull): created once per machine (the
/// name is checked first), once per test process at most.
pub fn base_image() -> &'static str {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let exists = Command::new("docker").args(["image", "inspect", BASE_IMAGE]).output().map(|o| o.status.success()).unwrap_or(false);
        if exists {
            return;
        }
        let busybox =
            ["/bin/busybox", "/usr/bin/busybox"].into_iter().find(|p| Path::new(p).exists()).unwrap_or_else(|| panic!("busybox not found; {SETUP_HINT}"));
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        for d in ["bin", "etc", "tmp", "root", "home"] {
            std::fs::create_dir_all(r.join(d)).expect("mkdir");
        }
        std::fs::copy(busybox, r.join("bin/busybox")).expect("copy busybox");
        let list = sh(Command::new(busybox).arg("--list"));
        for applet in list.lines().map(str::trim).filter(|a| !a.is_empty() && *a != "busybox") {
            let _ = std::os::unix::fs::symlink("busybox", r.join("bin").join(applet));
        }
        std::fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n").expect("passwd");
        std::fs::write(r.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").expect("group");
        sh(Command::new("chmod").args(["1777"]).arg(r.join("tmp")));
        let script = format!("tar -C {} -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - {BASE_IMAGE}", r.display());
        sh(Command::new("sh").arg("-c").arg(script));
    });
    BASE_IMAGE
}

/// A git repository with the given files, committed.
pub struct AppRepo {
    pub dir: tempfile::TempDir,
}

impl AppRepo {
    pub fn new(files: &[(&str, &str)]) -> AppRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q", "-b", "master"]);
        git(dir.path(), &["config", "user.email", "t@example.com"]);
        git(dir.path(), &["config", "user.name", "t"]);
        let app = AppRepo { dir };
        for (p, c) in files {
            app.write(p, c);
        }
        app.commit("init");
        app
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, p: &str, c: &str) {
        let f = self.dir.path().join(p);
        if let Some(parent) = f.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(f, c).expect("write");
    }

    pub fn commit(&self, msg: &str) {
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "--allow-empty", "-m", msg]);
    }

    /// `%ct-%H` of HEAD, computed independently of lain.
    pub fn head_tag(&self) -> String {
        git(self.path(), &["log", "-1", "--pretty=format:%ct-%H"]).trim().to_string()
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    sh(Command::new("git").arg("-C").arg(dir).args(args))
}

/// Removes images at the end of a test (best effort), and the untagged build-stage images of
/// multi-stage builds whose `LAIN_META` is one of `metas` (so only this test's leftovers go).
pub struct Cleanup(pub Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let metas: Vec<String> = self.0.iter().filter_map(|r| r.rsplit_once(':').map(|(_, t)| format!("LAIN_META={t}"))).collect();
        let _ = Command::new("docker").args(["rmi", "-f"]).args(&self.0).output();
        let Ok(out) = Command::new("docker").args(["images", "-q", "--filter", "dangling=true"]).output() else { return };
        for id in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(env) = Command::new("docker").args(["image", "inspect", "--format", "{{.Config.Env}}", id]).output() else { continue };
            let env = String::from_utf8_lossy(&env.stdout);
            if metas.iter().any(|m| env.split_whitespace().any(|e| e.trim_matches(|c| c == '[' || c == ']') == m)) {
                let _ = Command::new("docker").args(["rmi", id]).output();
            }
        }
    }
}

/// Runs `sh -c SCRIPT` in `image` (as the image's user unless `user` is given), returns stdout.
pub fn run_in(image: &str, user: Option<&str>, script: &str) -> String {
    let mut c = Command::new("docker");
    c.args(["run", "--rm"]);
    if let Some(u) = user {
        c.args(["--user", u]);
    }
    sh(c.args([image, "sh", "-c", script]))
}

pub fn ctx(app: &AppRepo, registry: &str, appname: &str, values: serde_json::Value) -> ImageContext {
    ImageContext::new(app.path(), appname, registry, values, "test")
}

pub fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

pub fn tmp_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
