//! Commit subjects between two lain image tags, from a real git repository.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use lain_core::notify::git::{commit_of_tag, commit_subjects};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// lain's image tag for HEAD: `git log -1 --pretty=format:%ct-%H`.
fn tag(dir: &Path) -> String {
    git(dir, &["log", "-1", "--pretty=format:%ct-%H"])
}

#[test]
fn subjects_between_two_image_tags() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    git(dir, &["init", "-q"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "initial"]);
    let old = tag(dir);
    for s in ["add healthcheck", "fix login redirect", "bump deps"] {
        git(dir, &["commit", "-q", "--allow-empty", "-m", s]);
    }
    let new = tag(dir);
    assert!(commit_of_tag(&new).is_some(), "{new}");
    assert_eq!(commit_subjects(dir, &old, &new), ["bump deps", "fix login redirect", "add healthcheck"]);
    // Same tag, rollback direction, or tags that are not lain's: nothing, and no error.
    assert!(commit_subjects(dir, &new, &new).is_empty());
    assert!(commit_subjects(dir, &new, &old).is_empty());
    assert!(commit_subjects(dir, "latest", &new).is_empty());
    // A commit the clone does not have (shallow CI checkout): nothing, and no error.
    assert!(commit_subjects(dir, "1600000000-0123456789abcdef0123456789abcdef01234567", &new).is_empty());
}
