//! `lain template`: what a deploy would apply, rendered by helm itself.

use crate::context::Ctx;
use crate::error::LainError;

use crate::{git, output};

/// Renders the app's manifests; returns helm's output (the manifests).
pub fn run(ctx: &Ctx, sets: &[String]) -> Result<String, LainError> {
    let app = ctx.load_app(sets)?;
    // Outside git (or before the first commit) there is no image tag yet; templates still
    // render, with a placeholder that cannot be mistaken for a real tag.
    let tag = match git::commit_tag(&app.repo_dir) {
        Ok(t) => t,
        Err(e) => {
            output::warn(&format!("{e}; rendering with imageTag=UNKNOWN"));
            "UNKNOWN".to_string()
        }
    };
    let injected = app.injected(&ctx.env.user, &tag);
    let out = ctx.helm().template(&app, &injected).output()?;

    Ok(out.stdout)
}
