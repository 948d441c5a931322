//! A typed wrapper over the `docker` CLI (or podman's docker-compatible CLI).
//!
//! Every command goes through [`crate::process::Cmd`], so it is printed before it runs.
//! `--remote-docker` is `DOCKER_HOST=tcp://ADDR` on each command, shown in the printed line so
//! the user can see (and copy) which daemon did the work.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use crate::process::{Cmd, ProcessError};

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("the `docker` command was not found on PATH; lain builds, pushes and runs images with it\n  fix: install Docker (or podman with its docker-compatible CLI) and make sure `docker` is on PATH{}", remote_hint(.remote))]
    EngineMissing { remote: Option<String> },
    #[error("cannot talk to the container engine{}: {detail}\n  fix: {fix}", at(.remote))]
    EngineUnreachable { remote: Option<String>, detail: String, fix: String },
    #[error("image {image} is not in the local engine{}\n  fix: {fix}", at(.remote))]
    NoSuchImage { image: String, remote: Option<String>, fix: String },
    #[error("{source}{}", fix_suffix(.hint))]
    Failed {
        #[source]
        source: ProcessError,
        hint: String,
    },
}

fn at(remote: &Option<String>) -> String {
    remote.as_ref().map(|r| format!(" at {r}")).unwrap_or_default()
}

fn remote_hint(remote: &Option<String>) -> String {
    if remote.is_some() { " (--remote-docker still needs the docker client locally)".into() } else { String::new() }
}

fn fix_suffix(h: &str) -> String {
    if h.is_empty() { String::new() } else { format!("\n  fix: {h}") }
}

/// Which engine to talk to.
#[derive(Debug, Clone)]
pub struct Docker {
    program: OsString,
    /// `DOCKER_HOST` value when `--remote-docker` is used (`tcp://ADDR`).
    host: Option<String>,
}

/// `ADDR` → `tcp://ADDR`; an address that already has a scheme is kept.
pub fn docker_host_for(addr: &str) -> String {
    if addr.contains("://") { addr.to_string() } else { format!("tcp://{addr}") }
}

impl Docker {
    /// The local engine, or the remote one at `remote_docker` (`HOST:PORT`).
    pub fn new(remote_docker: Option<&str>) -> Docker {
        Docker { program: "docker".into(), host: remote_docker.map(docker_host_for) }
    }

    /// Uses another docker-compatible binary (e.g. a full path).
    pub fn with_program(mut self, program: impl Into<OsString>) -> Docker {
        self.program = program.into();
        self
    }

    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// A `docker` command with the engine selection applied.
    pub fn cmd(&self) -> Cmd {
        let c = Cmd::new(&self.program);
        match &self.host {
            Some(h) => c.env("DOCKER_HOST", h),
            None => c,
        }
    }

    fn map_err(&self, e: ProcessError, hint: &str) -> DockerError {
        match e {
            ProcessError::NotFound { .. } => DockerError::EngineMissing { remote: self.host.clone() },
            ProcessError::Failed { ref stderr, .. } if engine_down(stderr) => DockerError::EngineUnreachable {
                remote: self.host.clone(),
                detail: stderr.trim().lines().last().unwrap_or_default().to_string(),
                fix: self.down_fix(),
            },
            other => DockerError::Failed { source: other, hint: hint.to_string() },
        }
    }

    fn down_fix(&self) -> String {
        match &self.host {
            Some(h) => format!(
                "check that the docker daemon at {h} is up and listening (the cluster's `remote_docker`), or drop --remote-docker to use the local engine"
            ),
            None => "start the Docker daemon (e.g. `systemctl start docker`), or use --remote-docker with a cluster that has `remote_docker`".into(),
        }
    }

    /// Checks that the client exists and the daemon answers, before a long operation whose
    /// live output would otherwise bury the reason. Quiet: it only reads.
    pub fn check_engine(&self) -> Result<(), DockerError> {
        let out = self.cmd().args(["version", "--format", "{{.Server.Version}}"]).quiet().output_unchecked().map_err(|e| self.map_err(e, ""))?;
        if out.status.success() && !out.stdout.trim().is_empty() {
            return Ok(());
        }
        Err(DockerError::EngineUnreachable {
            remote: self.host.clone(),
            detail: out.stderr.trim().lines().last().unwrap_or("no answer from the daemon").to_string(),
            fix: self.down_fix(),
        })
    }

    /// `docker build -t IMAGE [--build-arg NAME]... -f - CONTEXT` with the Dockerfile on stdin,
    /// so nothing is written into the user's repository. Output streams live.
    pub fn build(&self, context: &Path, dockerfile: &str, tags: &[String], build_args: &[String], target: Option<&str>) -> Result<(), DockerError> {
        let mut c = self.cmd().arg("build");
        for t in tags {
            c = c.arg("-t").arg(t);
        }
        if let Some(t) = target {
            c = c.arg("--target").arg(t);
        }
        for a in build_args {
            // No `=VALUE`: docker reads it from its environment (which is ours), and the
            // printed command does not leak tokens passed this way.
            c = c.arg("--build-arg").arg(a);
        }
        c.args(["-f", "-"])
            .arg(context)
            .stdin_bytes(dockerfile.as_bytes().to_vec())
            .run()
            .map_err(|e| self.map_err(e, "read the build output above; the failing step is the last one printed"))
    }

    pub fn tag(&self, src: &str, dst: &str) -> Result<(), DockerError> {
        self.cmd().args(["tag", src, dst]).run().map_err(|e| self.map_err(e, ""))
    }

    /// `docker push IMAGE` (live output).
    pub fn push(&self, image: &str) -> Result<(), DockerError> {
        let host = image.split('/').next().unwrap_or(image);
        self.cmd().args(["push", image]).run().map_err(|e| {
            self.map_err(
                e,
                &format!("if the registry refused the push, log in first: `docker login {host}`; if it is unreachable, check the cluster's `registry`"),
            )
        })
    }

    /// The image id if `image` is in the engine.
    pub fn image_id(&self, image: &str) -> Result<Option<String>, DockerError> {
        let out = self.cmd().args(["image", "inspect", "--format", "{{.Id}}", image]).quiet().output_unchecked().map_err(|e| self.map_err(e, ""))?;
        if out.status.success() {
            return Ok(Some(out.stdout.trim().to_string()));
        }
        if engine_down(&out.stderr) {
            return Err(DockerError::EngineUnreachable { remote: self.host.clone(), detail: out.stderr.trim().to_string(), fix: self.down_fix() });
        }
        Ok(None)
    }

    /// Fails with a fix when `image` is not local.
    pub fn require_image(&self, image: &str, fix: &str) -> Result<String, DockerError> {
        match self.image_id(image)? {
            Some(id) => Ok(id),
            None => Err(DockerError::NoSuchImage { image: image.to_string(), remote: self.host.clone(), fix: fix.to_string() }),
        }
    }

    /// `docker run --rm -i[t] [--user U] IMAGE CMD...`, the user's terminal attached; returns
    /// the command's own exit status.
    pub fn run(&self, image: &str, user: Option<&str>, tty: bool, command: &[String]) -> Result<ExitStatus, DockerError> {
        let mut c = self.cmd().args(["run", "--rm", if tty { "-it" } else { "-i" }]);
        if let Some(u) = user {
            c = c.arg("--user").arg(u);
        }
        c.arg(image).args(command).status().map_err(|e| self.map_err(e, ""))
    }

    /// The `docker run` command line `run` would use, for display.
    pub fn run_cmd(&self, image: &str, user: Option<&str>, tty: bool, command: &[String]) -> Cmd {
        let mut c = self.cmd().args(["run", "--rm", if tty { "-it" } else { "-i" }]);
        if let Some(u) = user {
            c = c.arg("--user").arg(u);
        }
        c.arg(image).args(command)
    }

    /// `docker save -o FILE IMAGE`.
    pub fn save(&self, image: &str, out: &Path) -> Result<PathBuf, DockerError> {
        self.cmd().args(["save", "-o"]).arg(out).arg(image).run().map_err(|e| self.map_err(e, ""))?;
        Ok(out.to_path_buf())
    }
}

/// The daemon (not the command) is the problem.
fn engine_down(stderr: &str) -> bool {
    let s = stderr.to_lowercase();
    s.contains("cannot connect to the docker daemon")
        || s.contains("is the docker daemon running")
        || s.contains("error during connect")
        || (s.contains("connection refused") && s.contains("docker"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_docker_sets_docker_host_and_shows_it() {
        let d = Docker::new(Some("10.0.0.5:2375"));
        let c = d.cmd().args(["push", "r/app:1"]);
        assert_eq!(c.to_string(), "DOCKER_HOST=tcp://10.0.0.5:2375 docker push r/app:1");
        assert_eq!(Docker::new(Some("unix:///run/d.sock")).host(), Some("unix:///run/d.sock"));
        assert_eq!(Docker::new(None).cmd().arg("ps").to_string(), "docker ps");
    }

    #[test]
    fn missing_binary_is_engine_missing() {
        let d = Docker::new(None).with_program("docker-that-does-not-exist");
        assert!(matches!(d.check_engine(), Err(DockerError::EngineMissing { .. })));
    }

    #[test]
    fn unreachable_remote_is_a_clear_error() {
        // Port 9 on loopback: nothing listens; the client fails to connect.
        let d = Docker::new(Some("127.0.0.1:9"));
        match d.check_engine() {
            Err(DockerError::EngineUnreachable { remote, fix, .. }) => {
                assert_eq!(remote.as_deref(), Some("tcp://127.0.0.1:9"));
                assert!(fix.contains("remote_docker"), "{fix}");
            }
            Err(DockerError::EngineMissing { .. }) => panic!("docker client not installed: run scripts/setup-tools"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
