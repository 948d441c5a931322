//! `lain prepare [--skip-push]`: build and push `REGISTRY/APPNAME:prepare`, the dependency
//! cache `build.prepare` describes (its script run, then everything but `keep` deleted).
//!
//! The tree may be dirty: the prepare image has no commit tag, it is a cache.

use crate::image::dockerfile::{self, RenderInput, Stage};
use crate::image::{ImageContext, ImageError};
use crate::output;

#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// Push the prepare image (default); `--skip-push` sets false.
    pub push: bool,
    pub keep_dockerfile: bool,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions { push: true, keep_dockerfile: false }
    }
}

/// Runs `lain prepare`; returns the image reference.
pub fn run(ctx: &ImageContext, opts: &PrepareOptions) -> Result<String, ImageError> {
    let spec = ctx.spec()?;
    let image = ctx.image_ref("prepare");
    let text =
        dockerfile::render(&spec, Stage::Prepare, &RenderInput { registry: &ctx.registry, appname: &ctx.appname, cluster: &ctx.cluster, meta: "prepare" })?;
    let docker = ctx.docker();
    docker.check_engine()?;
    if opts.keep_dockerfile {
        super::build::keep_dockerfile(ctx, &text)?;
    }
    docker.build(&ctx.repo_dir, &text, std::slice::from_ref(&image), &dockerfile::build_args(&spec, Stage::Prepare), None)?;
    output::success(&format!("built {image}"));
    if opts.push {
        docker.push(&image)?;
    }
    Ok(image)
}
