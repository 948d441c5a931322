//! `lain save`: the current image as a tarball (`docker save`), for air-gapped transfers.

use std::path::{Path, PathBuf};

use crate::image::tag;
use crate::image::{ImageContext, ImageError};
use crate::output;

#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// Output file; default `APPNAME_TAG.tar` in `out_dir`.
    pub output: Option<PathBuf>,
    /// Save the `:prepare` image instead.
    pub prepare: bool,
    pub allow_dirty: bool,
}

/// Runs `lain save`; `out_dir` is where a default-named file goes (the CLI passes the current
/// directory). Returns the file written.
pub fn run(ctx: &ImageContext, opts: &SaveOptions, out_dir: &Path) -> Result<PathBuf, ImageError> {
    let tag = if opts.prepare { "prepare".to_string() } else { tag::current_tag(&ctx.repo_dir, opts.allow_dirty)?.tag };
    let image = ctx.image_ref(&tag);
    let out = opts.output.clone().unwrap_or_else(|| out_dir.join(format!("{}_{}.tar", ctx.appname, tag)));
    let docker = ctx.docker();
    docker.check_engine()?;
    docker.require_image(&image, if opts.prepare { "build it: `lain prepare`" } else { "build it: `lain build`" })?;
    docker.save(&image, &out)?;
    output::success(&format!("saved {image} to {}", out.display()));
    Ok(out)
}
