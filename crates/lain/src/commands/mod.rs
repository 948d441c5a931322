//! One thin module per command: flags in, a call into `lain_core::ops`, results out.

pub mod completions;
pub mod init;
pub mod status;
pub mod template;
pub mod use_cluster;

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
        Command::Status(a) => status::run(&ctx, a),
        Command::Completions(a) => completions::run(a),
    }
}
