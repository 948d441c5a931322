//! One thin module per command: flags in, a call into `lain_core::ops`, results out.

pub mod ci;
pub mod completions;
pub mod images;
pub mod init;
pub mod lint;
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
