//! `lain run [--prepare] [--user U] -- CMD`: a throwaway container of the current image for
//! debugging (`docker run --rm -it IMAGE CMD`); the docker command is printed so it can be
//! rerun by hand.

use std::process::ExitStatus;

use crate::image::tag;
use crate::image::{ImageContext, ImageError};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run the `:prepare` image instead of the current commit's.
    pub prepare: bool,
    /// `--user` for docker (e.g. `root` to install a debugging tool).
    pub user: Option<String>,
    /// The command; empty runs `sh`.
    pub command: Vec<String>,
    pub allow_dirty: bool,
    /// Allocate a terminal (`-t`); the CLI sets it when stdin and stdout are terminals.
    pub tty: bool,
}

/// The image `lain run` uses.
pub fn image_for(ctx: &ImageContext, opts: &RunOptions) -> Result<String, ImageError> {
    Ok(if opts.prepare { ctx.image_ref("prepare") } else { ctx.image_ref(&tag::current_tag(&ctx.repo_dir, opts.allow_dirty)?.tag) })
}

/// Runs the container; returns the command's exit status (the CLI exits with it).
pub fn run(ctx: &ImageContext, opts: &RunOptions) -> Result<ExitStatus, ImageError> {
    let image = image_for(ctx, opts)?;
    let docker = ctx.docker();
    docker.check_engine()?;
    let fix = if opts.prepare { "build it: `lain prepare`" } else { "build it: `lain build`" };
    docker.require_image(&image, fix)?;
    let command = if opts.command.is_empty() { vec!["sh".to_string()] } else { opts.command.clone() };
    Ok(docker.run(&image, opts.user.as_deref(), opts.tty, &command)?)
}
