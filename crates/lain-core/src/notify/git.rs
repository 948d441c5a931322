//! Commit subjects between two image tags, for deploy notifications.
//!
//! lain's image tags are `git log -1 --pretty=format:%ct-%H` (`1634199833-f02f668b…`), so the
//! commit of a tag is the part after the dash.

use std::path::Path;

use crate::process::Cmd;

/// The commit hash inside a lain image tag, if the tag has lain's shape.
pub fn commit_of_tag(tag: &str) -> Option<&str> {
    let (ts, hash) = tag.split_once('-')?;
    let ok = !ts.is_empty() && ts.chars().all(|c| c.is_ascii_digit()) && (7..=64).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit());
    ok.then_some(hash)
}

/// More than this is a different history, not a release: the list is cut here.
pub const MAX_SUBJECTS: usize = 1000;

/// Subjects of the commits in `new_tag` but not in `old_tag`, newest first, merges left out, at
/// most [`MAX_SUBJECTS`] (notifications list 20 and count the rest). Empty when either tag is
/// not lain's shape or the commits are not in the local clone (a shallow CI checkout): a
/// notification without commits is better than none.
pub fn commit_subjects(repo: &Path, old_tag: &str, new_tag: &str) -> Vec<String> {
    let (Some(old), Some(new)) = (commit_of_tag(old_tag), commit_of_tag(new_tag)) else {
        return Vec::new();
    };
    if old == new {
        return Vec::new();
    }
    // Plumbing read-only query: not printed (see process::Cmd::quiet).
    let out = Cmd::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "--no-merges", "--format=%s", &format!("--max-count={MAX_SUBJECTS}")])
        .arg(format!("{old}..{new}"))
        .arg("--")
        .quiet()
        .output();
    match out {
        Ok(o) => o.stdout.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(commit_of_tag("1634199833-f02f668bbfb0a630e3d06dcd843a534c29015ca4"), Some("f02f668bbfb0a630e3d06dcd843a534c29015ca4"));
        assert_eq!(commit_of_tag("latest"), None);
        assert_eq!(commit_of_tag("v1.2-abc"), None);
        assert_eq!(commit_of_tag("123-xyz1234"), None);
    }
}
