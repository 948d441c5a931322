//! The few git facts lain needs: the image tag of the current commit (`%ct-%H`: commit time
//! first, so tags sort by time in plain ASCII order) and whether the tree is dirty.

use std::path::Path;

use crate::process::Cmd;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{dir} is not a git repository (or has no commit yet), so lain cannot tag the image\n    fix: `git init && git add -A && git commit -m init`, or pass --set imageTag=TAG")]
    NotARepo { dir: String },
}

/// `git log -1 --pretty=format:%ct-%H` in `dir`.
pub fn commit_tag(dir: &Path) -> Result<String, GitError> {
    let out = Cmd::new("git")
        .args(["log", "-1", "--pretty=format:%ct-%H"])
        .current_dir(dir)
        .quiet()
        .output()
        .map_err(|_| GitError::NotARepo { dir: dir.display().to_string() })?;
    let tag = out.stdout.trim().to_string();
    if tag.is_empty() {
        return Err(GitError::NotARepo { dir: dir.display().to_string() });
    }
    Ok(tag)
}

/// Paths with uncommitted changes (tracked or untracked, ignoring .gitignore'd files).
pub fn dirty_paths(dir: &Path) -> Result<Vec<String>, GitError> {
    let out = Cmd::new("git")
        .args(["status", "--porcelain", "--untracked-files=normal"])
        .current_dir(dir)
        .quiet()
        .output()
        .map_err(|_| GitError::NotARepo { dir: dir.display().to_string() })?;
    Ok(out.stdout.lines().filter(|l| l.len() > 3).map(|l| l[3..].to_string()).collect())
}
