//! `lain push`: push the current commit's image, and move `latest` to it (what
//! `docker-compose.yaml` from `lain compose` runs).

use crate::image::tag::{self, ImageTag};
use crate::image::{ImageContext, ImageError};
use crate::output;

#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Push the `-dirty` image of a dirty tree.
    pub allow_dirty: bool,
}

/// Pushes `TAG` and, for a clean tree, `latest`. Returns what was pushed.
pub(crate) fn push_image(ctx: &ImageContext, tag: &ImageTag) -> Result<Vec<String>, ImageError> {
    let docker = ctx.docker();
    let image = ctx.image_ref(&tag.tag);
    docker.require_image(&image, "build it first: `lain build` (or `lain build --push`)")?;
    docker.push(&image)?;
    let mut pushed = vec![image.clone()];
    if tag.dirty {
        // `latest` is what teammates' docker-compose runs: not an uncommitted tree.
        output::warn("not moving `latest` to a dirty build");
    } else {
        let latest = ctx.image_ref("latest");
        docker.tag(&image, &latest)?;
        docker.push(&latest)?;
        pushed.push(latest);
    }
    Ok(pushed)
}

/// Runs `lain push`.
pub fn run(ctx: &ImageContext, opts: &PushOptions) -> Result<Vec<String>, ImageError> {
    let tag = tag::current_tag(&ctx.repo_dir, opts.allow_dirty)?;
    ctx.docker().check_engine()?;
    let pushed = push_image(ctx, &tag)?;
    for p in &pushed {
        output::success(&format!("pushed {p}"));
    }
    Ok(pushed)
}
