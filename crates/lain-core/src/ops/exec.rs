//! `lain x [PROC] [-- CMD]`: a command (default: a shell) in a running pod of the proc, with a
//! TTY when lain runs on a terminal. The exit code is the command's.

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::exec::{default_shell, exec};
use crate::kube::pods::{is_ready, proc_selector};
use crate::output;

use super::release::{Target, block_on};

#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub proc_: Option<String>,
    pub command: Vec<String>,
}

/// The proc `lain x` and `lain job` use when none is named: `web` if there is one, else the
/// first long-running proc.
pub fn default_proc(t: &Target) -> Result<String, LainError> {
    let procs: Vec<_> = t.app.service_procs().map(|p| p.name.clone()).collect();
    if procs.iter().any(|p| p == "web") {
        return Ok("web".into());
    }
    procs.into_iter().next().ok_or_else(|| LainError::bad_input(format!("{} has no deployments or statefulSets to run in", t.appname)))
}

pub fn run(ctx: &Ctx, opts: &ExecOptions) -> Result<i32, LainError> {
    let t = Target::load(ctx, &[])?;
    let proc_ = match &opts.proc_ {
        Some(p) => {
            super::restart::check_procs(&t, std::slice::from_ref(p))?;
            p.clone()
        }
        None => default_proc(&t)?,
    };
    let command = if opts.command.is_empty() { default_shell() } else { opts.command.clone() };
    let tty = output::interactive() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    block_on(async {
        let kube = t.connect(ctx).await?;
        let pods = kube.pods(&proc_selector(&t.release, &proc_)).await?;
        let alive = |p: &&k8s_openapi::api::core::v1::Pod| p.metadata.deletion_timestamp.is_none();
        let running = |p: &&k8s_openapi::api::core::v1::Pod| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        let pod = pods.iter().filter(alive).find(|p| is_ready(p)).or_else(|| pods.iter().filter(alive).find(running)).ok_or_else(|| {
            LainError::bad_input(format!("no running pod of {proc_} to exec into; see `lain status` (or `lain job` for a one-off container)"))
        })?;
        let name = pod.metadata.name.clone().unwrap_or_default();
        output::info(&format!("exec in pod {name}: {}", command.join(" ")));
        Ok(exec(&kube, &name, Some(&proc_), command, tty).await?)
    })?
}
