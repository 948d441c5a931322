//! The git fact deploy, template and update-image need: the image tag of the current commit
//! (`%ct-%H`: commit time first, so tags sort by time in plain ASCII order). The reading itself
//! is `image::tag::head_commit`'s; this only phrases the error for commands that deploy.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "{dir} is not a git repository (or has no commit yet), so lain cannot tag the image\n    fix: `git init && git add -A && git commit -m init`, or pass --set imageTag=TAG"
    )]
    NotARepo { dir: String },
}

/// `git log -1 --pretty=format:%ct-%H` in `dir`.
pub fn commit_tag(dir: &Path) -> Result<String, GitError> {
    crate::image::tag::head_commit(dir).map(|(ts, hash)| format!("{ts}-{hash}")).map_err(|_| GitError::NotARepo { dir: dir.display().to_string() })
}
