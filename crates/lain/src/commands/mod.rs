//! One thin module per command: flags in, a call into `lain_core::ops`, results out.

pub mod ci;
pub mod completions;
pub mod create_job;
pub mod delete;
pub mod deploy;
pub mod env;
pub mod exec;
pub mod get_values;
pub mod images;
pub mod init;
pub mod job;
pub mod lint;
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
        Command::Build(a) => images::build(&ctx, a),
        Command::Prepare(a) => images::prepare(&ctx, a),
        Command::Push(a) => images::push(&ctx, a),
        Command::Run(a) => images::run(&ctx, a),
        Command::Save(a) => images::save(&ctx, a),
        Command::Image(a) => images::image(&ctx, a),
        Command::Version(a) => images::version(&ctx, a),
        Command::Compose(a) => images::compose(&ctx, a),
        Command::Lint(a) => lint::run(&ctx, a),
        Command::SendMsg(a) => ci::send_msg(&ctx, a),
        Command::AssignMr(a) => ci::assign_mr(&ctx, a),
        Command::WaitMrApproval(a) => ci::wait_mr_approval(&ctx, a),
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

/// Runs an async op to completion. The runtime is made only by commands that need one, so
/// `lain --help` and `lain use` start instantly.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("cannot start the async runtime: {e}"),
    }
}

/// `lain build --deploy`: deploys the tag just built.
pub fn deploy_after_build(_ctx: &Ctx, tag: &lain_core::image::tag::ImageTag) -> Result<()> {
    anyhow::bail!("built {}; deploying after build needs `lain deploy`, which is not in this build yet", tag.tag)
}

/// The tag deployed in the current cluster, when it can be asked (for `lain version`).
pub fn deployed_tag(_ctx: &Ctx, _app: &lain_core::config::AppConfig) -> Option<String> {
    None
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
