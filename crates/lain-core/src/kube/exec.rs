//! Running a command in a container (`lain x`, `lain job` without a command): the exec
//! subresource over a WebSocket, with a real TTY (raw mode, window size) when lain runs on a
//! terminal, and plain pipes otherwise so `lain x -- cmd | grep` works in scripts.

use std::io::IsTerminal;

use k8s_openapi::api::core::v1::Pod;
use kube::api::AttachParams;
use tokio::io::{AsyncWriteExt, copy};

use super::{Kube, KubeError};

/// Restores the terminal when dropped, so an error or a panic never leaves it in raw mode.
struct RawGuard;

impl RawGuard {
    fn enable() -> Option<RawGuard> {
        crossterm::terminal::enable_raw_mode().ok().map(|_| RawGuard)
    }
}

impl Drop for RawGuard {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// The default shell: bash when the image has it, else sh.
pub fn default_shell() -> Vec<String> {
    vec!["sh".into(), "-c".into(), "command -v bash >/dev/null 2>&1 && exec bash || exec sh".into()]
}

/// Runs `command` in `pod`/`container` and returns its exit code. `tty`: attach the terminal.
pub async fn exec(kube: &Kube, pod: &str, container: Option<&str>, command: Vec<String>, tty: bool) -> Result<i32, KubeError> {
    // stdin is forwarded with a TTY, or when something is piped in; never from a terminal
    // that is not ours to read (e.g. `lain x -- cmd | less`).
    let forward_stdin = tty || !std::io::stdin().is_terminal() && stdin_has_data();
    let mut ap = AttachParams::default().stdin(forward_stdin).stdout(true).stderr(!tty).tty(tty);
    if let Some(c) = container {
        ap = ap.container(c);
    }
    let api = kube.api::<Pod>();
    let mut proc_ = api.exec(pod, command, &ap).await.map_err(|e| KubeError::api(format!("exec into pod {pod}"), e))?;

    let guard = if tty { RawGuard::enable() } else { None };
    if tty && let Some(mut sizes) = proc_.terminal_size() {
        let send = |sizes: &mut futures::channel::mpsc::Sender<kube::api::TerminalSize>| {
            if let Ok((width, height)) = crossterm::terminal::size() {
                let _ = sizes.try_send(kube::api::TerminalSize { width, height });
            }
        };
        send(&mut sizes);
        #[cfg(unix)]
        tokio::spawn(async move {
            let Ok(mut winch) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()) else { return };
            while winch.recv().await.is_some() {
                send(&mut sizes);
            }
        });
    }
    if forward_stdin && let Some(mut w) = proc_.stdin() {
        tokio::spawn(async move {
            let mut stdin = tokio::io::stdin();
            let _ = copy(&mut stdin, &mut w).await;
            let _ = w.shutdown().await;
        });
    }
    let out = proc_.stdout().map(|mut r| {
        tokio::spawn(async move {
            let mut o = tokio::io::stdout();
            let _ = copy(&mut r, &mut o).await;
            let _ = o.flush().await;
        })
    });
    let err = proc_.stderr().map(|mut r| {
        tokio::spawn(async move {
            let mut e = tokio::io::stderr();
            let _ = copy(&mut r, &mut e).await;
            let _ = e.flush().await;
        })
    });
    let status = match proc_.take_status() {
        Some(s) => s.await,
        None => None,
    };
    // The output normally ends with the command; a connection the server keeps open (stdin
    // still attached) must not hold lain once the exit status is known.
    for t in [out, err].into_iter().flatten() {
        let abort = t.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(2), t).await.is_err() {
            abort.abort();
        }
    }
    proc_.abort();
    drop(guard);
    Ok(exit_code(status.as_ref()))
}

/// Whether stdin is a pipe or file (not /dev/null, not a terminal).
fn stdin_has_data() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if let Ok(m) = std::fs::metadata("/dev/stdin") {
            let ft = m.file_type();
            return ft.is_fifo() || ft.is_file() && m.len() > 0 || ft.is_socket();
        }
    }
    false
}

/// The exit code in an exec's final Status (`Success`, or `NonZeroExitCode` with an
/// `ExitCode` cause).
pub fn exit_code(status: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>) -> i32 {
    let Some(s) = status else { return 0 };
    if s.status.as_deref() == Some("Success") {
        return 0;
    }
    s.details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.as_deref())
        .and_then(|m| m.parse().ok())
        .unwrap_or(1)
}
