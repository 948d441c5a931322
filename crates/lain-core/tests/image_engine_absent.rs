//! No `docker` on PATH: a clear error naming the fix, not a stack trace.
//!
//! One test in this binary on purpose: it changes PATH for the whole process.

mod support;

use lain_core::image::ImageError;
use lain_core::image::docker::DockerError;
use lain_core::ops::{self, build::BuildOptions};
use serde_json::json;
use support::AppRepo;

#[test]
fn engine_absent() {
    let app = AppRepo::new(&[("a", "1")]);
    // A PATH holding only git (lain needs it for the tag), no docker.
    let bin = tempfile::tempdir().unwrap();
    let git = support::sh(std::process::Command::new("sh").args(["-c", "command -v git"]));
    std::os::unix::fs::symlink(git.trim(), bin.path().join("git")).unwrap();
    // SAFETY: the only test of this binary; no other thread reads the environment now.
    unsafe { std::env::set_var("PATH", bin.path()) };
    let ctx = support::ctx(&app, "127.0.0.1:1", "x", json!({"build": {"base": "b", "script": ["true"]}}));
    let e = support::tokio().block_on(ops::build::run(&ctx, &BuildOptions::default())).unwrap_err();
    assert!(matches!(e, ImageError::Docker(DockerError::EngineMissing { .. })), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("`docker` command was not found on PATH") && msg.contains("fix: install Docker"), "{msg}");
    let e = ops::push::run(&ctx, &Default::default()).unwrap_err();
    assert!(matches!(e, ImageError::Docker(DockerError::EngineMissing { .. })), "{e:?}");
}
