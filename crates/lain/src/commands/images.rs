//! The image commands: build, prepare, push, run, save, image, version, compose. Each loads
//! the app for the current cluster (so values-CLUSTER.yaml can change `build`) and calls its op.

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::error::LainError;
use lain_core::ops::{self, build, compose, prepare, push, run as run_op, save, version};
use lain_core::output;

fn image_ctx(ctx: &Ctx) -> Result<lain_core::ops::ImageContext> {
    let app = ctx.load_app(&[])?;
    Ok(ops::image_context(ctx, &app)?)
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// Push the image (and move `latest`) after building.
    #[arg(long)]
    pub push: bool,
    /// Deploy after building (implies --push).
    #[arg(long)]
    pub deploy: bool,
    /// Leave the rendered Dockerfile in the repository.
    #[arg(long)]
    pub keep_dockerfile: bool,
    /// Build a dirty working tree, tagged TAG-dirty (never treated as already built).
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn build(ctx: &Ctx, a: BuildArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    let opts = build::BuildOptions { push: a.push || a.deploy, keep_dockerfile: a.keep_dockerfile, allow_dirty: a.allow_dirty, skip_existing: false };
    let outcome = super::block_on(build::run(&ic, &opts)).map_err(LainError::from)?;
    if a.deploy {
        return super::deploy_after_build(ctx, outcome.tag());
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct PrepareArgs {
    /// Build the prepare image without pushing it.
    #[arg(long)]
    pub skip_push: bool,
    #[arg(long)]
    pub keep_dockerfile: bool,
}

pub fn prepare(ctx: &Ctx, a: PrepareArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    let image = prepare::run(&ic, &prepare::PrepareOptions { push: !a.skip_push, keep_dockerfile: a.keep_dockerfile }).map_err(LainError::from)?;
    output::success(&format!("prepared {image}"));
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct PushArgs {
    /// Push the TAG-dirty image of a dirty tree.
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn push(ctx: &Ctx, a: PushArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    for i in push::run(&ic, &push::PushOptions { allow_dirty: a.allow_dirty }).map_err(LainError::from)? {
        output::success(&format!("pushed {i}"));
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Run the :prepare image instead of the current commit's.
    #[arg(long)]
    pub prepare: bool,
    /// Run as this user (e.g. root to install a debugging tool).
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub allow_dirty: bool,
    /// The command (default: sh).
    #[arg(last = true)]
    pub command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: RunArgs) -> Result<()> {
    use std::io::IsTerminal;
    let ic = image_ctx(ctx)?;
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let status = run_op::run(&ic, &run_op::RunOptions { prepare: a.prepare, user: a.user, command: a.command, allow_dirty: a.allow_dirty, tty })
        .map_err(LainError::from)?;
    // The command's own exit code is the user's; pass it through.
    match status.code() {
        Some(0) => Ok(()),
        Some(c) => std::process::exit(c),
        None => anyhow::bail!("the container was killed by a signal"),
    }
}

#[derive(clap::Args, Debug)]
pub struct SaveArgs {
    /// Output file (default: APPNAME_TAG.tar here).
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    /// Save the :prepare image instead.
    #[arg(long)]
    pub prepare: bool,
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn save(ctx: &Ctx, a: SaveArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    let path =
        save::run(&ic, &save::SaveOptions { output: a.output, prepare: a.prepare, allow_dirty: a.allow_dirty }, &ctx.env.cwd).map_err(LainError::from)?;
    output::success(&format!("saved {}", path.display()));
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ImageArgs {
    #[arg(long)]
    pub allow_dirty: bool,
}

/// Prints the image reference of the current commit (for `$(lain image)` in CI).
pub fn image(ctx: &Ctx, a: ImageArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    output::data(&ops::image::run(&ic, a.allow_dirty).map_err(LainError::from)?);
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct VersionArgs {
    /// Show at most N versions.
    #[arg(short, long)]
    pub n: Option<usize>,
}

pub fn version(ctx: &Ctx, a: VersionArgs) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let ic = ops::image_context(ctx, &app)?;
    let deployed = super::deployed_tag(ctx, &app);
    let list = super::block_on(version::run(&ic, &version::VersionOptions { n: a.n, deployed })).map_err(LainError::from)?;
    output::data(&list.render());
    if let Some(note) = list.note() {
        output::info(&note);
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ComposeArgs {
    /// Overwrite an existing docker-compose.yaml.
    #[arg(long)]
    pub force: bool,
}

pub fn compose(ctx: &Ctx, a: ComposeArgs) -> Result<()> {
    let ic = image_ctx(ctx)?;
    let path = compose::run(&ic, &compose::ComposeOptions { force: a.force }).map_err(LainError::from)?;
    output::success(&format!("wrote {}: review it (databases, env), then `docker-compose up`", path.display()));
    Ok(())
}
