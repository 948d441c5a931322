//! Every Dockerfile feature in one app, checked by running the built images and looking
//! inside: prepare + keep, build FROM the prepare image, env (with `${VAR}` from the user's
//! environment and from the image), build args, release copy with src/dest, release env and
//! script, USER 1001, LAIN_META; then push, tags listed, `lain image`, skip-if-built, run, save.
//!
//! One test in this binary on purpose: it sets environment variables (the build args' values)
//! before any thread or child process exists.

mod support;

use std::process::Command;

use lain_core::image::tag::ImageTag;
use lain_core::ops::{self, build::BuildOptions, build::BuildOutcome, prepare::PrepareOptions};
use lain_core::registry::Registry;
use serde_json::json;
use support::{AppRepo, Cleanup, TestRegistry, run_in, sh};

#[test]
fn prepare_build_release_push_and_look_inside() {
    // SAFETY: the only test of this binary, before any other thread or process is started.
    unsafe {
        std::env::set_var("LAIN_TEST_SECRET", "from-user-env");
        std::env::set_var("LAIN_TEST_ARG", "argvalue");
    }
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let app = AppRepo::new(&[("src.txt", "source\n"), ("deploy/keep.conf", "kept\n"), ("deploy/other.conf", "dropped\n"), ("deploy/app.conf", "listen 80\n")]);
    let values = json!({
        "appname": "full",
        "build": {
            "base": base,
            "prepare": {
                "env": {"PREP": "yes"},
                "script": ["mkdir -p cache/deep && echo treasure > cache/deep/t.txt", "echo junk > junk.txt"],
                "keep": ["cache", "./deploy/keep.conf"]
            },
            "env": {"FROM_USER": "${LAIN_TEST_SECRET}", "PATH": "/lain/app/bin:${PATH}", "LITERAL": "a \"b\" 'c'", "LAIN_TEST_SECRET": "${LAIN_TEST_SECRET}"},
            "build_args": ["LAIN_TEST_ARG"],
            "script": [
                "test -f cache/deep/t.txt",
                "mkdir -p out && cp cache/deep/t.txt out/",
                "echo \"$FROM_USER|$LITERAL|$PATH|$LAIN_TEST_ARG|$LAIN_META|$LAIN_TEST_SECRET\" > out/env.txt",
                "id -u > out/build-uid.txt"
            ]
        },
        "release": {
            "dest_base": base,
            "workdir": "/srv",
            "copy": ["out", {"src": "deploy/app.conf", "dest": "/etc/app.conf"}],
            "env": {"REL": "1"},
            "script": ["touch /srv/released"]
        }
    });
    let ctx = support::ctx(&app, &reg.addr, "full", values);
    let head = app.head_tag();
    let image = format!("{}/full:{head}", reg.addr);
    let prepare = format!("{}/full:prepare", reg.addr);
    let _c = Cleanup(vec![image.clone(), prepare.clone(), format!("{}/full:latest", reg.addr)]);
    let rt = support::tokio();

    // lain prepare: built and pushed.
    let p = ops::prepare::run(&ctx, &PrepareOptions::default()).expect("prepare");
    assert_eq!(p, prepare);
    let files = run_in(&prepare, None, "cd /lain/app && find . | sort && echo PREP=$PREP");
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        vec![".", "./cache", "./cache/deep", "./cache/deep/t.txt", "./deploy", "./deploy/keep.conf", "PREP=yes"],
        "prepare must keep only prepare.keep"
    );
    rt.block_on(async {
        assert!(ctx.registry_client().unwrap().tag_exists("full", "prepare").await.unwrap());
    });

    // lain build --push: FROM the prepare image, then the release stage.
    let out = rt.block_on(ops::build::run(&ctx, &BuildOptions { push: true, ..Default::default() })).expect("build");
    let BuildOutcome::Built { image: built, tag, pushed } = &out else { panic!("{out:?}") };
    assert_eq!(built, &image);
    assert_eq!(tag.tag, head, "tag is git log -1 --pretty=format:%ct-%H");
    assert!(!tag.dirty);
    assert_eq!(pushed, &vec![image.clone(), format!("{}/full:latest", reg.addr)]);
    assert!(!app.path().join("Dockerfile").exists(), "no Dockerfile left without --keep-dockerfile");

    let inside = run_in(
        &image,
        None,
        "id -u; cat /lain/app/out/env.txt; cat /lain/app/out/t.txt; cat /lain/app/out/build-uid.txt; cat /etc/app.conf; test -f /srv/released && echo released; echo REL=$REL; echo META=$LAIN_META; pwd; ls -ln /lain/app/out/t.txt | awk '{print $3}'; test -e /lain/app/src.txt || echo no-build-tree",
    );
    let lines: Vec<&str> = inside.lines().collect();
    assert_eq!(lines[0], "1001", "USER 1001 last");
    let env: Vec<&str> = lines[1].split('|').collect();
    assert_eq!(env[0], "from-user-env", "build.env ${{VAR}} from the user's environment");
    assert_eq!(env[1], "a \"b\" 'c'", "quotes survive");
    assert!(env[2].starts_with("/lain/app/bin:/usr/local/bin:/usr/bin:/bin"), "${{PATH}} is the image's PATH: {}", env[2]);
    assert!(!env[2].contains(".cargo"), "the user's PATH must not leak into the image: {}", env[2]);
    assert_eq!(env[3], "argvalue", "build_args come from the user's environment");
    assert_eq!(env[4], head, "LAIN_META during the build");
    assert_eq!(env[5], "from-user-env", "a self-referencing env key takes the user's variable");
    assert_eq!(lines[2], "treasure", "release.copy of a directory (dest defaults to src)");
    assert_eq!(lines[3], "0", "build script runs as root");
    assert_eq!(lines[4], "listen 80", "release.copy with src relative to the build workdir and an explicit dest");
    assert_eq!(lines[5], "released", "release.script ran");
    assert_eq!(lines[6], "REL=1");
    assert_eq!(lines[7], format!("META={head}"));
    assert_eq!(lines[8], "/srv", "release.workdir");
    assert_eq!(lines[9], "1001", "copied files owned by 1001");
    assert_eq!(lines[10], "no-build-tree", "release image holds only what copy takes");

    // Pushed: the registry lists the commit tag and latest; lain version shows it first.
    rt.block_on(async {
        let mut tags = ctx.registry_client().unwrap().list_tags("full").await.unwrap();
        tags.sort();
        let mut want = vec![head.clone(), "latest".to_string(), "prepare".to_string()];
        want.sort();
        assert_eq!(tags, want);
        let v = ops::version::run(&ctx, &ops::version::VersionOptions { n: None, deployed: Some(head.clone()) }).await.unwrap();
        assert_eq!(v.versions.iter().map(|t| t.tag.clone()).collect::<Vec<_>>(), vec![head.clone()]);
        assert_eq!(v.others, vec!["latest", "prepare"]);
        assert!(v.render().contains("<- deployed"));
    });

    // lain image names exactly what was built.
    assert_eq!(ops::image::run(&ctx, false).unwrap(), image);

    // Built already: skip_existing (deploy --build) does not run docker at all.
    let again = rt.block_on(ops::build::run(&ctx, &BuildOptions { skip_existing: true, ..Default::default() })).unwrap();
    assert!(matches!(again, BuildOutcome::AlreadyInRegistry { .. }), "{again:?}");
    let t = ImageTag { tag: head.clone(), timestamp: 0, commit: String::new(), dirty: false };
    assert!(rt.block_on(ops::build::already_built(&ctx, &t)).unwrap());

    // lain run: the command's own exit status; --user.
    let st = ops::run::run(&ctx, &ops::run::RunOptions { command: vec!["sh".into(), "-c".into(), "exit 7".into()], ..Default::default() }).unwrap();
    assert_eq!(st.code(), Some(7));
    let as_root = ops::run::RunOptions { user: Some("root".into()), command: vec!["sh".into(), "-c".into(), "test $(id -u) = 0".into()], ..Default::default() };
    assert!(ops::run::run(&ctx, &as_root).unwrap().success());
    let prep = ops::run::RunOptions { prepare: true, command: vec!["test".into(), "-f".into(), "cache/deep/t.txt".into()], ..Default::default() };
    assert!(ops::run::run(&ctx, &prep).unwrap().success(), "lain run --prepare runs the prepare image");

    // lain save: a docker-loadable tarball.
    let dir = tempfile::tempdir().unwrap();
    let f = ops::save::run(&ctx, &ops::save::SaveOptions::default(), dir.path()).unwrap();
    assert_eq!(f, dir.path().join(format!("full_{head}.tar")));
    let listing = sh(Command::new("tar").arg("-tf").arg(&f));
    assert!(listing.lines().any(|l| l == "manifest.json"), "{listing}");

    // --keep-dockerfile leaves lain's Dockerfile, and the tree stays clean for the next build.
    let kept = rt.block_on(ops::build::run(&ctx, &BuildOptions { keep_dockerfile: true, ..Default::default() })).unwrap();
    assert!(matches!(kept, BuildOutcome::Built { .. }));
    let df = std::fs::read_to_string(app.path().join("Dockerfile")).unwrap();
    assert!(df.contains(&format!("FROM {prepare} AS build")) && df.contains("USER 1001"), "{df}");
    assert_eq!(ops::image::run(&ctx, false).unwrap(), image, "a kept Dockerfile does not make the tree dirty");
}
