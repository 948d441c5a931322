//! `lain compose [--force]`: write `docker-compose.yaml` for local debugging.

use std::path::PathBuf;

use crate::image::{ImageContext, ImageError, compose};
use crate::output;

#[derive(Debug, Clone, Default)]
pub struct ComposeOptions {
    /// Overwrite an existing docker-compose.yaml.
    pub force: bool,
}

/// Writes `REPO/docker-compose.yaml`; returns its path.
pub fn run(ctx: &ImageContext, opts: &ComposeOptions) -> Result<PathBuf, ImageError> {
    let path = ctx.repo_dir.join("docker-compose.yaml");
    if path.exists() && !opts.force {
        return Err(ImageError::Exists { path });
    }
    let text = compose::render(&ctx.values, &ctx.appname, &ctx.registry, &ctx.cluster)?;
    std::fs::write(&path, text).map_err(|source| ImageError::Io { path: path.clone(), source })?;
    output::success(&format!("wrote {}; review it before use (lain does not know your local databases)", path.display()));
    Ok(path)
}
