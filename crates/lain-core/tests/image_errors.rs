//! Bad inputs give typed errors that name the key / path and the fix, before any engine work.

mod support;

use lain_core::image::dockerfile::RenderError;
use lain_core::image::spec::SpecError;
use lain_core::image::tag::TagError;
use lain_core::image::{ImageContext, ImageError};
use lain_core::ops::{self, build::BuildOptions};
use serde_json::json;
use support::{AppRepo, TestRegistry};

fn build(ctx: &ImageContext) -> ImageError {
    support::tokio().block_on(ops::build::run(ctx, &BuildOptions::default())).expect_err("the build fails")
}

#[test]
fn no_build_section() {
    let app = AppRepo::new(&[("a", "1")]);
    let ctx = support::ctx(&app, "127.0.0.1:1", "x", json!({"appname": "x", "deployments": {}}));
    let e = build(&ctx);
    assert!(matches!(e, ImageError::Spec(SpecError::NoBuild)), "{e:?}");
    assert!(e.to_string().contains("no `build` section") && e.to_string().contains("base:"), "{e}");
    let e = ops::prepare::run(&ctx, &Default::default()).unwrap_err();
    assert!(matches!(e, ImageError::Spec(SpecError::NoBuild)), "{e:?}");
}

#[test]
fn release_copy_without_src() {
    let app = AppRepo::new(&[("a", "1")]);
    let v = json!({"build": {"base": "b", "script": ["true"]}, "release": {"dest_base": "d", "copy": ["/lain/app/ok", {"dest": "/srv"}]}});
    let e = build(&support::ctx(&app, "127.0.0.1:1", "x", v));
    assert!(matches!(e, ImageError::Spec(SpecError::Missing { .. })), "{e:?}");
    assert!(e.to_string().starts_with("release.copy[1]: missing src\n  fix:"), "{e}");
}

#[test]
fn prepare_without_build_prepare() {
    let app = AppRepo::new(&[("a", "1")]);
    let e = ops::prepare::run(&support::ctx(&app, "127.0.0.1:1", "x", json!({"build": {"base": "b"}})), &Default::default()).unwrap_err();
    assert!(matches!(e, ImageError::Render(RenderError::NoPrepare { .. })), "{e:?}");
}

#[test]
fn not_a_git_repository_and_no_commits() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ImageContext::new(dir.path(), "x", "127.0.0.1:1", json!({"build": {"base": "b"}}), "test");
    let e = ops::image::run(&ctx, false).unwrap_err();
    assert!(matches!(e, ImageError::Tag(TagError::NotGitRepo { .. })), "{e:?}");
    assert!(e.to_string().contains("not inside a git repository"), "{e}");
    support::git(dir.path(), &["init", "-q"]);
    let e = ops::image::run(&ctx, false).unwrap_err();
    assert!(matches!(e, ImageError::Tag(TagError::NoCommits { .. })), "{e:?}");
}

#[test]
fn build_from_a_prepare_image_that_exists_nowhere() {
    let reg = TestRegistry::start();
    let app = AppRepo::new(&[("a", "1")]);
    let v = json!({"build": {"base": "b", "prepare": {"script": ["true"]}, "script": ["true"]}});
    let e = build(&support::ctx(&app, &reg.addr, "never-prepared", v));
    assert!(matches!(e, ImageError::NoPrepareImage { .. }), "{e:?}");
    assert!(e.to_string().contains("lain prepare"), "{e}");
}

#[test]
fn registry_down_during_build_skip_check() {
    let app = AppRepo::new(&[("a", "1")]);
    let dead = format!("127.0.0.1:{}", support::free_port());
    let ctx = support::ctx(&app, &dead, "x", json!({"build": {"base": "b", "script": ["true"]}}));
    let e = support::tokio().block_on(ops::build::run(&ctx, &BuildOptions { skip_existing: true, ..Default::default() })).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("cannot reach the registry at http://{dead}/v2/x/manifests/")), "{msg}");
    assert!(msg.contains("fix:"), "{msg}");
    let e = support::tokio().block_on(ops::version::run(&ctx, &Default::default())).unwrap_err();
    assert!(matches!(e, ImageError::Registry(lain_core::registry::RegistryError::Unreachable { .. })), "{e:?}");
}

#[test]
fn keep_dockerfile_never_overwrites_a_foreign_dockerfile() {
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let app = AppRepo::new(&[("Dockerfile", "FROM scratch\n")]);
    let ctx = support::ctx(&app, &reg.addr, "foreign", json!({"build": {"base": base, "script": ["true"]}}));
    let e = support::tokio().block_on(ops::build::run(&ctx, &BuildOptions { keep_dockerfile: true, ..Default::default() })).unwrap_err();
    assert!(matches!(e, ImageError::ForeignDockerfile { .. }), "{e:?}");
    assert_eq!(std::fs::read_to_string(app.path().join("Dockerfile")).unwrap(), "FROM scratch\n");
}
