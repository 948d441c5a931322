//! `lain logs [PROC] [-f] [--tail N]`: all pods of the proc (or of the app) at once, each line
//! prefixed with its pod; with `-f`, new pods are followed as they appear (a rollout, a
//! restart) until Ctrl-C. A crashed container's previous instance is shown first: that is
//! where the reason for the crash is.

use std::io::{IsTerminal, Write};

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::logs::{LogOptions, stream};
use crate::kube::pods::{proc_selector, release_selector};
use crate::output;

use super::release::{Target, block_on};

#[derive(Debug, Clone)]
pub struct LogsOptions {
    pub proc_: Option<String>,
    pub follow: bool,
    /// Lines per container (`None`: everything).
    pub tail: Option<i64>,
}

pub fn run(ctx: &Ctx, opts: &LogsOptions) -> Result<(), LainError> {
    let t = Target::load(ctx, &[])?;
    let selector = match &opts.proc_ {
        Some(p) if t.app.proc(p).is_none() => {
            return Err(super::release::unknown_name("proc", p, &t.appname, &t.proc_names()));
        }
        Some(p) => proc_selector(&t.release, p),
        None => release_selector(&t.release),
    };
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let lo = LogOptions { selector, follow: opts.follow, tail: opts.tail, color };
    block_on(async {
        let kube = t.connect(ctx).await?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        // One writer: whole lines only, flushed as they come when following.
        let follow = opts.follow;
        let writer = tokio::task::spawn_blocking(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            while let Some(line) = rx.blocking_recv() {
                if writeln!(out, "{line}").is_err() {
                    // stdout closed (`lain logs | head`): stop quietly.
                    return;
                }
                if follow {
                    let _ = out.flush();
                }
            }
            let _ = out.flush();
        });
        let result = tokio::select! {
            r = stream(&kube, &lo, tx) => r.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        };
        let _ = writer.await;
        match result? {
            Some(0) if !follow => output::info(&format!("no pods match {}", lo.selector)),
            _ => {}
        }
        Ok(())
    })?
}
