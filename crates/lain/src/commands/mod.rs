//! One thin module per command: flags in, a call into `lain_core::ops`, results out.

pub mod blue_green;
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
pub mod set_canary_group;
pub mod status;
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
        Command::Status(a) => status::run(&ctx, a),
        Command::Completions(a) => completions::run(a),
        Command::Deploy(a) => deploy::run(&ctx, a),
        Command::Redeploy(a) => redeploy::run(&ctx, a),
        Command::UpdateImage(a) => update_image::run(&ctx, a),
        Command::Rollback(a) => rollback::run(&ctx, a),
        Command::SetCanaryGroup(a) => set_canary_group::run(&ctx, a),
        Command::BlueGreen(a) => blue_green::run(&ctx, a),
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
/// `lain --help` and `lain use` start instantly; it is `ops::release::block_on`'s, which also
/// does not wait on a blocking task reading a terminal.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match lain_core::ops::release::block_on(f) {
        Ok(out) => out,
        Err(e) => panic!("cannot start the async runtime: {e}"),
    }
}

/// `lain build --deploy`: deploys the tag just built (no second build, no lint twice).
pub fn deploy_after_build(ctx: &Ctx, _tag: &lain_core::image::tag::ImageTag) -> Result<()> {
    deploy::flow(ctx, &deploy::Args::default(), false)
}

/// The tag deployed in the current cluster, when it can be asked (for `lain version`).
pub fn deployed_tag(ctx: &Ctx, app: &lain_core::config::AppConfig) -> Option<String> {
    let v = ctx.helm().get_values(&app.release_name, &app.cluster.namespace, None).ok()?;
    v.get("imageTag").and_then(|t| t.as_str()).map(str::to_string)
}

/// What runs before every deploy: `lain lint` (unless --ignore-lint), then the image: built
/// and pushed when `build` and its tag is missing; otherwise a missing tag is an error now
/// rather than an ImagePullBackOff later. An unreachable registry only warns (the cluster may
/// reach it when this machine cannot).
pub fn before_deploy(ctx: &Ctx, app: &lain_core::config::AppConfig, build: bool, sets: &[String]) -> Result<()> {
    use lain_core::error::LainError;
    use lain_core::ops::build as build_op;
    if !ctx.globals.ignore_lint {
        let report = block_on(lain_core::ops::lint::for_app(app, false));
        if !report.findings.is_empty() {
            report.print();
        }
        if report.has_errors() {
            return Err(LainError::bad_input("lain lint found errors (above); fix them, or pass --ignore-lint to deploy anyway").into());
        }
    }
    let pinned = sets.iter().any(|s| lain_core::config::set::parse(s).ok().is_some_and(|n| n.get("imageTag").is_some()));
    if pinned {
        return Ok(());
    }
    // `--build` asks for a build; auto-pilot builds only an app that says how to.
    let explicit = build && !ctx.globals.auto_pilot;
    let build = build && (explicit || app.merged.get("build").is_some());
    let ic = lain_core::ops::image_context(ctx, app)?;
    let tag = match lain_core::image::tag::current_tag(&app.repo_dir, true) {
        Ok(t) => t,
        Err(e) if build => return Err(LainError::from(lain_core::image::ImageError::from(e)).into()),
        Err(_) => return Ok(()),
    };
    let clean = lain_core::image::tag::ImageTag { tag: tag.tag.trim_end_matches("-dirty").to_string(), dirty: false, ..tag.clone() };
    let exists = if tag.dirty { Ok(false) } else { block_on(build_op::already_built(&ic, &clean)) };
    match exists {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) if build => {
            let opts = build_op::BuildOptions { push: true, skip_existing: true, ..Default::default() };
            block_on(build_op::run(&ic, &opts)).map_err(LainError::from)?;
            Ok(())
        }
        Ok(false) => Err(LainError::bad_input(format!(
            "image {} is not in the registry\n    fix: `lain deploy --build` (builds and pushes it first), or `lain build --push`",
            ic.image_ref(&clean.tag)
        ))
        .into()),
        Err(e) => {
            lain_core::output::warn(&format!("cannot check the registry for {} ({e}); deploying anyway", clean.tag));
            Ok(())
        }
    }
}

/// The webhook after an env / secret change (key names only).
pub fn announce_change(ctx: &Ctx, change: &lain_core::ops::secret_edit::EnvChange) -> Result<()> {
    if !change.is_empty() {
        lain_core::ops::announce::secret_change(ctx, &ctx.load_app(&[])?, change);
    }
    Ok(())
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
