//! The one way lain runs helm, kubectl, docker and git.
//!
//! Transparency is a feature: every command is printed (to stderr) before it runs, in a form a
//! user can copy and run by hand. Arguments and environment values marked secret are printed as
//! `******`, so registry passwords never reach a terminal or a CI log. A failure carries the exit
//! status and the captured stderr, so the error a user sees says what the tool said.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::output;

/// Placeholder printed instead of a secret.
pub const REDACTED: &str = "******";

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("`{program}` was not found on PATH; {hint}")]
    NotFound { program: String, hint: String },
    #[error("could not start `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}){}", stderr_suffix(.stderr))]
    Failed { command: String, status: String, code: Option<i32>, stderr: String },
}

fn stderr_suffix(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() { String::new() } else { format!(":\n{s}") }
}

#[derive(Clone, Debug)]
struct Arg {
    value: OsString,
    secret: bool,
}

/// A command to run, built up like `std::process::Command`, that knows how to print itself.
#[derive(Clone, Debug)]
pub struct Cmd {
    program: OsString,
    args: Vec<Arg>,
    envs: Vec<(String, OsString, bool)>,
    env_removes: Vec<String>,
    cwd: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    quiet: bool,
    own_group: bool,
}

/// What a captured command printed.
#[derive(Debug, Clone)]
pub struct Captured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Self {
        Cmd { program: program.into(), args: Vec::new(), envs: Vec::new(), env_removes: Vec::new(), cwd: None, stdin: None, quiet: false, own_group: false }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(Arg { value: a.into(), secret: false });
        self
    }

    pub fn args<I, S>(mut self, it: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        for a in it {
            self.args.push(Arg { value: a.into(), secret: false });
        }
        self
    }

    /// An argument printed as `******`.
    pub fn secret_arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(Arg { value: a.into(), secret: true });
        self
    }

    pub fn env(mut self, k: impl Into<String>, v: impl Into<OsString>) -> Self {
        self.envs.push((k.into(), v.into(), false));
        self
    }

    /// An environment variable whose value is printed as `******`.
    pub fn secret_env(mut self, k: impl Into<String>, v: impl Into<OsString>) -> Self {
        self.envs.push((k.into(), v.into(), true));
        self
    }

    pub fn env_remove(mut self, k: impl Into<String>) -> Self {
        self.env_removes.push(k.into());
        self
    }

    pub fn current_dir(mut self, d: impl AsRef<Path>) -> Self {
        self.cwd = Some(d.as_ref().to_path_buf());
        self
    }

    /// Bytes fed to the command's standard input (never printed).
    pub fn stdin_bytes(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(b.into());
        self
    }

    /// Do not print this command: for lain's own plumbing (e.g. `git rev-parse`), never for
    /// anything that changes the cluster, the registry or an image.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Runs the command in its own process group, so a Ctrl-C typed in the terminal reaches
    /// lain only. For helm upgrade / rollback: killing helm mid-flight leaves the release in
    /// `pending-*`, so lain decides what an interrupt means instead.
    pub fn own_process_group(mut self) -> Self {
        self.own_group = true;
        self
    }

    pub fn program(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(self.args.iter().map(|a| &a.value));
        for k in &self.env_removes {
            c.env_remove(k);
        }
        for (k, v, _) in &self.envs {
            c.env(k, v);
        }
        if let Some(d) = &self.cwd {
            c.current_dir(d);
        }
        #[cfg(unix)]
        if self.own_group {
            use std::os::unix::process::CommandExt;
            c.process_group(0);
        }
        c
    }

    fn announce(&self) {
        if !self.quiet {
            output::command(&self.to_string());
        }
    }

    fn spawn_error(&self, e: std::io::Error) -> ProcessError {
        if e.kind() == std::io::ErrorKind::NotFound {
            let program = self.program();
            let hint = match program.as_str() {
                "helm" | "helm3" | "helm4" => "install helm 3 or 4 (https://helm.sh/docs/intro/install/) or set LAIN_HELM to its path".to_string(),
                "kubectl" => "install kubectl or set LAIN_KUBECTL to its path".to_string(),
                "docker" => "install Docker (or podman's docker-compatible CLI) and make sure it is on PATH".to_string(),
                "git" => "install git".to_string(),
                _ => "install it or check PATH".to_string(),
            };
            ProcessError::NotFound { program, hint }
        } else {
            ProcessError::Spawn { command: self.to_string(), source: e }
        }
    }

    /// Runs with the terminal's stdout/stderr (output streams live); fails on non-zero exit.
    pub fn run(&self) -> Result<(), ProcessError> {
        self.announce();
        let mut c = self.to_command();
        if self.stdin.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c.spawn().map_err(|e| self.spawn_error(e))?;
        if let Some(bytes) = &self.stdin {
            use std::io::Write;
            if let Some(mut si) = child.stdin.take() {
                // A command that exits without reading stdin is not our error to report.
                let _ = si.write_all(bytes);
            }
        }
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        if status.success() { Ok(()) } else { Err(self.failed(status, String::new())) }
    }

    /// Runs with stdin/stdout/stderr inherited and returns the exit status without judging it
    /// (for `lain run`, `lain x`: the user's own command's exit code is theirs).
    pub fn status(&self) -> Result<ExitStatus, ProcessError> {
        self.announce();
        self.to_command().status().map_err(|e| self.spawn_error(e))
    }

    /// Runs capturing stdout and stderr; fails on non-zero exit with stderr in the error.
    pub fn output(&self) -> Result<Captured, ProcessError> {
        let cap = self.output_unchecked()?;
        if cap.status.success() { Ok(cap) } else { Err(self.failed(cap.status, cap.stderr.clone())) }
    }

    /// Runs capturing output, returning it whatever the exit status.
    pub fn output_unchecked(&self) -> Result<Captured, ProcessError> {
        self.announce();
        let mut c = self.to_command();
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = c.spawn().map_err(|e| self.spawn_error(e))?;
        if let Some(bytes) = self.stdin.clone()
            && let Some(mut si) = child.stdin.take()
        {
            // Written from a thread so a command that fills its stdout pipe before reading
            // all of stdin cannot deadlock us.
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = si.write_all(&bytes);
            });
        }
        let out = child.wait_with_output().map_err(|e| self.spawn_error(e))?;
        Ok(Captured {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Async variant of [`Cmd::output`] for use inside tokio tasks.
    pub async fn output_async(&self) -> Result<Captured, ProcessError> {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.output()).await {
            Ok(r) => r,
            Err(e) => Err(ProcessError::Spawn { command: self.to_string(), source: std::io::Error::other(e.to_string()) }),
        }
    }

    /// Async variant of [`Cmd::run`].
    pub async fn run_async(&self) -> Result<(), ProcessError> {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.run()).await {
            Ok(r) => r,
            Err(e) => Err(ProcessError::Spawn { command: self.to_string(), source: std::io::Error::other(e.to_string()) }),
        }
    }

    fn failed(&self, status: ExitStatus, stderr: String) -> ProcessError {
        ProcessError::Failed { command: self.to_string(), status: status.to_string(), code: status.code(), stderr }
    }
}

/// Quotes a word for a POSIX shell only when it needs it, so printed commands stay readable.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,^".contains(c));
    if safe { s.to_string() } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v, secret) in &self.envs {
            // Only variables that change the command's meaning are worth showing; the
            // secret ones are still named so a reader knows they are set.
            let v = if *secret { REDACTED.to_string() } else { shell_quote(&v.to_string_lossy()) };
            write!(f, "{}{k}={v}", if first { "" } else { " " })?;
            first = false;
        }
        let prog = self.program.to_string_lossy();
        // Tools installed under a private name (helm3, helm4) are shown by their path's last
        // component, which is what the user would type.
        let shown = Path::new(prog.as_ref()).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| prog.to_string());
        write!(f, "{}{}", if first { "" } else { " " }, shell_quote(&shown))?;
        for a in &self.args {
            if a.secret {
                write!(f, " {REDACTED}")?;
            } else {
                write!(f, " {}", shell_quote(&a.value.to_string_lossy()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_and_redacts() {
        let c = Cmd::new("/opt/bin/helm")
            .args(["upgrade", "--install", "my app"])
            .arg("--set")
            .arg("user=o'brien")
            .secret_arg("hunter2")
            .secret_env("REGISTRY_PASSWORD", "hunter2")
            .env("DOCKER_HOST", "tcp://10.0.0.1:2375");
        let s = c.to_string();
        assert_eq!(s, "REGISTRY_PASSWORD=****** DOCKER_HOST=tcp://10.0.0.1:2375 helm upgrade --install 'my app' --set 'user=o'\\''brien' ******");
        assert!(!s.contains("hunter2"));
    }

    #[test]
    fn failure_carries_status_and_stderr() {
        let err = Cmd::new("sh").args(["-c", "echo boom >&2; exit 3"]).quiet().output().unwrap_err();
        match err {
            ProcessError::Failed { code, stderr, .. } => {
                assert_eq!(code, Some(3));
                assert_eq!(stderr.trim(), "boom");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_program_is_not_found_with_hint() {
        let err = Cmd::new("helm-that-does-not-exist").quiet().output().unwrap_err();
        assert!(matches!(err, ProcessError::NotFound { .. }), "{err:?}");
    }

    #[test]
    fn stdin_is_fed() {
        let out = Cmd::new("cat").stdin_bytes("hello").quiet().output().unwrap();
        assert_eq!(out.stdout, "hello");
    }
}
