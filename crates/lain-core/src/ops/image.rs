//! `lain image`: the full image reference of the current commit, for `$(lain image)` in CI.
//! Touches neither the engine nor the registry.

use crate::image::tag;
use crate::image::{ImageContext, ImageError};

/// `REGISTRY/APPNAME:TAG` of the current checkout (same dirty-tree policy as `lain build`, so
/// it names exactly what `lain build` produced).
pub fn run(ctx: &ImageContext, allow_dirty: bool) -> Result<String, ImageError> {
    Ok(ctx.image_ref(&tag::current_tag(&ctx.repo_dir, allow_dirty)?.tag))
}
