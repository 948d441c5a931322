//! One thin module per command: flags in, a call into `lain_core::ops`, results out.

pub mod completions;
pub mod create_job;
pub mod delete;
pub mod deploy;
pub mod env;
pub mod exec;
pub mod get_values;
pub mod init;
pub mod job;
pub mod logs;
pub mod redeploy;
pub mod restart;
pub mod rollback;
pub mod secret;
pub mod template;
pub mod update_image;
pub mod use_cluster;
pub mod wait;

use anyhow::Result;
use lain_core::context::{Ctx, Env, Globals};

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> Result<()> {
    let globals = Globals {
        values_files: cli.values.clone(),
        use_cluster: cli.use_cluster.clone(),
        auto_pilot: cli.auto_pilot,
        remote_docker: cli.remote_docker,
        ignore_lint: cli.ignore_lint,
        yes: cli.yes,
    };
    let ctx = Ctx::new(Env::from_process(), globals);
    // `--use CLUSTER` is `lain use CLUSTER` followed by the command.
    if let Some(c) = &ctx.globals.use_cluster {
        lain_core::ops::use_cluster::switch(&ctx, c)?;
    }
    match cli.command {
        Command::Init(a) => init::run(&ctx, a),
        Command::Use(a) => use_cluster::run(&ctx, a),
        Command::Template(a) => template::run(&ctx, a),
        Command::Completions(a) => completions::run(a),
        Command::Deploy(a) => deploy::run(&ctx, a),
        Command::Redeploy(a) => redeploy::run(&ctx, a),
        Command::UpdateImage(a) => update_image::run(&ctx, a),
        Command::Rollback(a) => rollback::run(&ctx, a),
        Command::Delete(a) => delete::run(&ctx, a),
        Command::GetValues(a) => get_values::run(&ctx, a),
        Command::Restart(a) => restart::run(&ctx, a),
        Command::Wait(a) => wait::run(&ctx, a),
        Command::Env(a) => env::run(&ctx, a),
        Command::Secret(a) => secret::run(&ctx, a),
        Command::Logs(a) => logs::run(&ctx, a),
        Command::X(a) => exec::run(&ctx, a),
        Command::Job(a) => job::run(&ctx, a),
        Command::CreateJob(a) => create_job::run(&ctx, a),
    }
}

/// Ends the process with a command's own exit code (`lain x`, `lain job`): that code is the
/// user's program's, not one of lain's.
pub fn exit_with(code: i32) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}
