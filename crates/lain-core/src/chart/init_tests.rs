use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::chart::chart_files;

/// Every file and directory under `root` with its contents, to prove "nothing was written".
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(root).expect("prefix").to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                walk(&path, root, out);
            } else {
                out.insert(rel, Some(fs::read(&path).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A temporary app directory named `name` (the default appname comes from it).
fn app_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(name);
    fs::create_dir(&dir).expect("mkdir");
    (tmp, dir)
}

fn opts() -> InitOptions {
    InitOptions::default()
}

#[test]
fn init_writes_the_chart_and_ignore_entries_named_after_the_directory() {
    let (_tmp, dir) = app_dir("dummy");
    let report = init(&dir, &opts()).expect("init");
    assert_eq!(report.appname, "dummy");
    let values = fs::read_to_string(dir.join("chart/values.yaml")).expect("values.yaml");
    assert!(values.contains("\nappname: dummy\n"));
    let chart = fs::read_to_string(dir.join("chart/Chart.yaml")).expect("Chart.yaml");
    assert!(chart.contains("\nname: dummy\n"));
    for file in chart_files() {
        assert!(dir.join("chart").join(file.path).is_file(), "{} missing", file.path);
        if file.kind == FileKind::Template {
            assert_eq!(fs::read_to_string(dir.join("chart").join(file.path)).expect("read"), file.source);
        }
    }
    let gitignore = fs::read_to_string(dir.join(".gitignore")).expect(".gitignore");
    let dockerignore = fs::read_to_string(dir.join(".dockerignore")).expect(".dockerignore");
    for entry in GITIGNORE_ENTRIES {
        assert!(gitignore.lines().any(|l| l == *entry), "{entry} not in .gitignore");
    }
    for entry in DOCKERIGNORE_ENTRIES {
        assert!(dockerignore.lines().any(|l| l == *entry), "{entry} not in .dockerignore");
    }
    // No staging leftovers next to the chart.
    let names: Vec<String> = fs::read_dir(&dir).expect("ls").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".lain-init-")), "{names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("chart")).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode & 0o755, 0o755, "chart/ should be readable by all, got {mode:o}");
    }
}

#[test]
fn appname_flag_wins_over_the_directory_name() {
    let (_tmp, dir) = app_dir("Some_Dir");
    let report = init(&dir, &InitOptions { appname: Some("shop".into()), ..opts() }).expect("init");
    assert_eq!(report.appname, "shop");
    assert!(fs::read_to_string(dir.join("chart/values.yaml")).expect("read").contains("\nappname: shop\n"));
}

#[test]
fn refuses_to_overwrite_a_chart_without_force_and_writes_nothing() {
    let (_tmp, dir) = app_dir("dummy");
    init(&dir, &opts()).expect("first init");
    fs::write(dir.join("chart/values.yaml"), "appname: dummy\n# mine\n").expect("edit");
    fs::write(dir.join(".gitignore"), "target\n").expect("edit");
    let before = snapshot(&dir);
    let err = init(&dir, &opts()).expect_err("second init must refuse");
    let msg = err.to_string();
    assert!(matches!(err, ChartError::ChartExists { .. }), "{err:?}");
    assert!(msg.contains(&dir.join("chart").display().to_string()), "{msg}");
    assert!(msg.contains("--force") && msg.contains("--template-only"), "{msg}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn force_overwrites_values_yaml_but_not_cluster_values() {
    let (_tmp, dir) = app_dir("dummy");
    init(&dir, &opts()).expect("first init");
    fs::write(dir.join("chart/values.yaml"), "appname: dummy\n").expect("edit");
    fs::write(dir.join("chart/values-prod.yaml"), "deployments: {}\n").expect("edit");
    fs::write(dir.join("chart/templates/job.yaml"), "# stale\n").expect("edit");
    let report = init(&dir, &InitOptions { force: true, ..opts() }).expect("forced init");
    let values = fs::read_to_string(dir.join("chart/values.yaml")).expect("read");
    assert!(values.contains("# chart/values.yaml: everything Kubernetes"), "values.yaml was not rewritten");
    assert_eq!(fs::read_to_string(dir.join("chart/values-prod.yaml")).expect("read"), "deployments: {}\n");
    assert!(report.written.contains(&dir.join("chart/templates/job.yaml")));
    assert!(report.written.contains(&dir.join("chart/values.yaml")));
    assert!(report.unchanged.contains(&dir.join("chart/templates/deployment.yaml")));
}

#[test]
fn template_only_refreshes_templates_and_keeps_values() {
    let (_tmp, dir) = app_dir("checkout");
    init(&dir, &InitOptions { appname: Some("shop".into()), ..opts() }).expect("init");
    let mine = "appname: shop\ndeployments:\n  web:\n    containerPort: 8000\n";
    fs::write(dir.join("chart/values.yaml"), mine).expect("edit");
    fs::write(dir.join("chart/values-prod.yaml"), "env: {A: b}\n").expect("edit");
    fs::write(dir.join("chart/templates/deployment.yaml"), "# edited by hand\n").expect("edit");
    fs::remove_file(dir.join("chart/templates/hpa.yaml")).expect("rm");
    fs::write(dir.join("chart/templates/extra.yaml"), "# the team's own\n").expect("add");

    let report = init(&dir, &InitOptions { template_only: true, ..opts() }).expect("template-only");
    // The appname comes from values.yaml, not from the directory ("checkout").
    assert_eq!(report.appname, "shop");
    assert!(fs::read_to_string(dir.join("chart/Chart.yaml")).expect("read").contains("\nname: shop\n"));
    assert_eq!(fs::read_to_string(dir.join("chart/values.yaml")).expect("read"), mine);
    assert_eq!(fs::read_to_string(dir.join("chart/values-prod.yaml")).expect("read"), "env: {A: b}\n");
    let deployment = chart_files().iter().find(|f| f.path == "templates/deployment.yaml").expect("deployment");
    assert_eq!(fs::read_to_string(dir.join("chart/templates/deployment.yaml")).expect("read"), deployment.source);
    assert!(dir.join("chart/templates/hpa.yaml").is_file());
    assert_eq!(fs::read_to_string(dir.join("chart/templates/extra.yaml")).expect("read"), "# the team's own\n");
    assert_eq!(report.kept, vec![dir.join("chart/values-prod.yaml"), dir.join("chart/values.yaml")]);
    assert_eq!(report.foreign_templates, vec![dir.join("chart/templates/extra.yaml")]);
    assert_eq!(
        report.written.iter().filter(|p| p.starts_with(dir.join("chart"))).cloned().collect::<Vec<_>>(),
        vec![dir.join("chart/templates/deployment.yaml"), dir.join("chart/templates/hpa.yaml")]
    );
}

#[test]
fn template_only_without_a_chart_is_an_error() {
    let (_tmp, dir) = app_dir("dummy");
    let err = init(&dir, &InitOptions { template_only: true, ..opts() }).expect_err("no chart");
    assert!(matches!(err, ChartError::NoChart { .. }), "{err:?}");
    assert!(snapshot(&dir).is_empty());
}

#[test]
fn ignore_entries_are_added_once() {
    let (_tmp, dir) = app_dir("dummy");
    fs::write(dir.join(".gitignore"), "target").expect("write");
    fs::write(dir.join(".dockerignore"), "/.git/\nnode_modules\n").expect("write");
    init(&dir, &opts()).expect("init");
    let gitignore = fs::read_to_string(dir.join(".gitignore")).expect("read");
    let dockerignore = fs::read_to_string(dir.join(".dockerignore")).expect("read");
    assert!(gitignore.starts_with("target\n"), "{gitignore}");
    // `/.git/` already covers `.git`.
    assert_eq!(dockerignore.matches(".git").count(), 1, "{dockerignore}");
    let report = init(&dir, &InitOptions { template_only: true, ..opts() }).expect("again");
    assert_eq!(fs::read_to_string(dir.join(".gitignore")).expect("read"), gitignore);
    assert_eq!(fs::read_to_string(dir.join(".dockerignore")).expect("read"), dockerignore);
    assert!(report.written.is_empty(), "{:?}", report.written);
}

#[test]
fn an_invalid_directory_name_is_refused_with_a_suggestion_and_nothing_written() {
    let (_tmp, dir) = app_dir("My_App");
    let err = init(&dir, &opts()).expect_err("invalid name");
    let msg = err.to_string();
    assert!(msg.contains("\"My_App\"") && msg.contains("--appname my-app"), "{msg}");
    assert!(snapshot(&dir).is_empty());
    let err = init(&dir, &InitOptions { appname: Some("shop.v2".into()), ..opts() }).expect_err("invalid flag");
    assert!(err.to_string().contains("--appname shop-v2"), "{err}");
    assert!(snapshot(&dir).is_empty());
}

#[test]
fn things_in_the_way_are_reported_before_anything_is_written() {
    // .gitignore is a directory: the chart must not be created either.
    let (_tmp, dir) = app_dir("dummy");
    fs::create_dir(dir.join(".gitignore")).expect("mkdir");
    let before = snapshot(&dir);
    let err = init(&dir, &opts()).expect_err(".gitignore is a directory");
    assert!(matches!(err, ChartError::InTheWay { .. }), "{err:?}");
    assert_eq!(snapshot(&dir), before);

    // A non-UTF-8 .dockerignore: same.
    let (_tmp2, dir) = app_dir("dummy");
    fs::write(dir.join(".dockerignore"), [0xff, 0xfe, b'\n']).expect("write");
    let before = snapshot(&dir);
    let err = init(&dir, &opts()).expect_err("binary .dockerignore");
    assert!(err.to_string().contains("chart"), "the fix should list the entries: {err}");
    assert_eq!(snapshot(&dir), before);

    // chart is a file.
    let (_tmp3, dir) = app_dir("dummy");
    fs::write(dir.join("chart"), "not a dir").expect("write");
    let before = snapshot(&dir);
    let err = init(&dir, &InitOptions { force: true, ..opts() }).expect_err("chart is a file");
    assert!(matches!(err, ChartError::InTheWay { expected: "directory", .. }), "{err:?}");
    assert_eq!(snapshot(&dir), before);

    // A directory where a template should be, with --force: nothing else is replaced.
    let (_tmp4, dir) = app_dir("dummy");
    init(&dir, &opts()).expect("init");
    fs::write(dir.join("chart/values.yaml"), "appname: dummy\n").expect("edit");
    fs::remove_file(dir.join("chart/templates/pvc.yaml")).expect("rm");
    fs::create_dir(dir.join("chart/templates/pvc.yaml")).expect("mkdir");
    let before = snapshot(&dir);
    let err = init(&dir, &InitOptions { force: true, ..opts() }).expect_err("dir in the way");
    assert!(err.to_string().contains("pvc.yaml"), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_missing_directory_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = init(&tmp.path().join("nope"), &opts()).expect_err("missing dir");
    assert!(matches!(err, ChartError::NotADirectory { .. }), "{err:?}");
}
