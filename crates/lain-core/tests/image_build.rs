//! Cluster override of `build`, the dirty-tree policy, and `lain compose`.

mod support;

use std::process::Command;

use lain_core::image::ImageError;
use lain_core::image::tag::TagError;
use lain_core::ops::{self, build::BuildOptions, build::BuildOutcome};
use serde_json::{Value, json};
use support::{AppRepo, Cleanup, TestRegistry, run_in, sh};

/// helm's recursive values merge, as the config module does it (null deletes a key).
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else {
                    merge(b.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[test]
fn cluster_override_of_build_drops_prepare_and_changes_the_script() {
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let app = AppRepo::new(&[("app.txt", "hello\n")]);
    // values.yaml builds FROM a prepare image that was never made; values-test.yaml drops
    // prepare and changes the script, so the build must work and carry the override.
    let mut values = json!({
        "appname": "ovr",
        "build": {"base": "127.0.0.1:1/never-pulled:latest", "prepare": {"script": ["true"], "keep": []}, "script": ["echo default > which.txt"]}
    });
    merge(&mut values, &json!({"build": {"base": base, "prepare": null, "script": ["echo override > which.txt"]}}));
    assert!(values["build"].get("prepare").is_none());
    let ctx = support::ctx(&app, &reg.addr, "ovr", values);
    let image = format!("{}/ovr:{}", reg.addr, app.head_tag());
    let _c = Cleanup(vec![image.clone()]);
    let out = support::tokio().block_on(ops::build::run(&ctx, &BuildOptions::default())).expect("build");
    assert!(matches!(out, BuildOutcome::Built { ref image, .. } if image.ends_with(&app.head_tag())));
    let inside = run_in(&image, None, "cat /lain/app/which.txt; cat /lain/app/app.txt; id -u; echo $LAIN_META");
    assert_eq!(inside.lines().collect::<Vec<_>>(), vec!["override", "hello", "1001", app.head_tag().as_str()]);
}

#[test]
fn dirty_tree_is_refused_by_default_and_marked_when_allowed() {
    let app = AppRepo::new(&[("a.txt", "1\n"), ("b.txt", "1\n")]);
    app.write("a.txt", "2\n");
    app.write("new file.txt", "untracked\n");
    // A registry nobody listens on: the policy applies before any network or engine use.
    let dead = format!("127.0.0.1:{}", support::free_port());
    let ctx = support::ctx(&app, &dead, "dirty", json!({"build": {"base": "x", "script": ["true"]}}));
    let head = app.head_tag();

    let e = ops::image::run(&ctx, false).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ImageError::Tag(TagError::Dirty { .. })), "{e:?}");
    assert!(msg.contains("M a.txt") && msg.contains("?? new file.txt") && !msg.contains("b.txt"), "{msg}");
    assert!(msg.contains("commit or stash") && msg.contains("--allow-dirty") && msg.contains(&format!("{head}-dirty")), "{msg}");

    let e = support::tokio().block_on(ops::build::run(&ctx, &BuildOptions::default())).unwrap_err();
    assert!(matches!(e, ImageError::Tag(TagError::Dirty { .. })), "build refuses too: {e:?}");

    assert_eq!(ops::image::run(&ctx, true).unwrap(), format!("{dead}/dirty:{head}-dirty"));
    // A -dirty tag is never "already built" (and the registry is not even asked).
    let t = lain_core::image::tag::current_tag(app.path(), true).unwrap();
    assert!(t.dirty);
    assert!(!support::tokio().block_on(ops::build::already_built(&ctx, &t)).unwrap());

    // Committing makes it clean again, with the new commit's tag.
    app.commit("work");
    assert_eq!(ops::image::run(&ctx, false).unwrap(), format!("{dead}/dirty:{}", app.head_tag()));
}

#[test]
fn compose_writes_a_valid_file_and_refuses_to_overwrite() {
    let app = AppRepo::new(&[("run.py", "print(1)\n")]);
    let values = json!({
        "appname": "dummy",
        "env": {"FOO": "BAR", "ON": "yes"},
        "build": {"base": "python:3.9", "workdir": "/lain/app"},
        "deployments": {
            "web": {"command": ["/lain/app/run.py"], "containerPort": 5000, "env": {"FOO": "web"}},
            "worker": {"command": ["python", "-m", "worker"], "imageTag": "1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
        }
    });
    let ctx = support::ctx(&app, "registry.example.com/team", "dummy", values);
    let path = ops::compose::run(&ctx, &Default::default()).unwrap();
    assert_eq!(path, app.path().join("docker-compose.yaml"));
    let e = ops::compose::run(&ctx, &Default::default()).unwrap_err();
    assert!(matches!(e, ImageError::Exists { .. }) && e.to_string().contains("--force"), "{e}");
    ops::compose::run(&ctx, &ops::compose::ComposeOptions { force: true }).unwrap();

    // docker-compose itself reads it back.
    let cfg = sh(Command::new("docker-compose").arg("-f").arg(&path).arg("config"));
    let v: Value = serde_saphyr::from_str(&cfg).unwrap();
    let web = &v["services"]["web"];
    assert_eq!(web["image"], "registry.example.com/team/dummy:latest");
    assert_eq!(web["command"], json!(["/lain/app/run.py"]));
    assert_eq!(web["environment"], json!({"FOO": "web", "ON": "yes"}));
    assert_eq!(web["working_dir"], "/lain/app");
    let vol = web["volumes"][0].to_string();
    assert!(vol.contains("/lain/app"), "{vol}");
    assert_eq!(v["services"]["worker"]["image"], "registry.example.com/team/dummy:1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# redis:") && text.contains("#     MYSQL_DATABASE: dummy"), "{text}");
}
