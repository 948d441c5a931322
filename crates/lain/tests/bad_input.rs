//! The bad-input corpus (`tests/bad-input/<case>/`): broken apps and calls, each with the exit
//! code and the words its error must contain. For every case: one clear error (no panic, no
//! backtrace), the expected exit code, and nothing written or changed in HOME or the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(serde::Deserialize)]
struct Case {
    about: String,
    args: Vec<String>,
    exit: i32,
    stderr: Vec<String>,
    #[serde(default)]
    no_current_cluster: bool,
    #[serde(default)]
    no_kubeconfig: bool,
    #[serde(default)]
    kube_config_regular_file: bool,
    #[serde(default)]
    no_chart: bool,
    /// Write a kubeconfig for cluster `test` pointing at this server.
    #[serde(default)]
    kubeconfig_server: Option<String>,
    /// Contents of values-test.yaml in a CLUSTER_VALUES_DIR (instead of the built-in clusters).
    #[serde(default)]
    cluster_values: Option<String>,
    /// Make the app a git repository with everything committed.
    #[serde(default)]
    git: bool,
    /// A file created after the commit (a dirty working tree).
    #[serde(default)]
    dirty_file: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input")
}

fn copy_dir(from: &Path, to: &Path) {
    if !from.exists() {
        return;
    }
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every file, directory and link under `root`, with contents / targets.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(rel, format!("link -> {}", std::fs::read_link(&p).unwrap().display()));
            } else if m.is_dir() {
                if rel.starts_with(".git") {
                    continue;
                }
                out.insert(rel.clone(), "dir".into());
                walk(root, &p, out);
            } else {
                out.insert(rel, String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned());
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn run_case(name: &str, dir: &Path) -> Result<(), String> {
    let case: Case = serde_saphyr::from_str(&std::fs::read_to_string(dir.join("case.yaml")).unwrap()).map_err(|e| format!("{name}/case.yaml: {e}"))?;
    let home = tempfile::tempdir().unwrap();
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).unwrap();
    if !case.no_kubeconfig {
        let kc = match &case.kubeconfig_server {
            Some(server) => format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster: {{server: \"{server}\"}}\ncontexts:\n- name: test\n  context: {{cluster: test, user: u, namespace: default}}\ncurrent-context: test\nusers:\n- name: u\n  user: {{token: t}}\n"
            ),
            None => "apiVersion: v1\nkind: Config\n".to_string(),
        };
        std::fs::write(kube.join("kubeconfig-test"), kc).unwrap();
    }
    if case.kube_config_regular_file {
        std::fs::write(kube.join("config"), "someone's own config\n").unwrap();
    } else if !case.no_current_cluster {
        std::os::unix::fs::symlink("kubeconfig-test", kube.join("config")).unwrap();
    }
    let app = tempfile::tempdir().unwrap();
    copy_dir(&dir.join("app"), app.path());
    if !case.no_chart && !app.path().join("chart/Chart.yaml").exists() {
        std::fs::create_dir_all(app.path().join("chart")).unwrap();
        std::fs::write(app.path().join("chart/Chart.yaml"), "apiVersion: v2\nname: app\nversion: 0.1.0\n").unwrap();
    }
    if case.no_chart {
        let _ = std::fs::remove_dir_all(app.path().join("chart"));
    }
    if case.git {
        for args in [&["init", "-q"][..], &["add", "-A"], &["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "app"]] {
            let o = Command::new("git").args(args).current_dir(app.path()).output().unwrap();
            assert!(o.status.success(), "{name}: git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
    if let Some(f) = &case.dirty_file {
        std::fs::write(app.path().join(f), "uncommitted\n").unwrap();
    }
    let cv = tempfile::tempdir().unwrap();
    if let Some(text) = &case.cluster_values {
        std::fs::write(cv.path().join("values-test.yaml"), text).unwrap();
    }
    let before = (snapshot(home.path()), snapshot(app.path()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lain"));
    if case.cluster_values.is_some() {
        cmd.env("CLUSTER_VALUES_DIR", cv.path());
    } else {
        cmd.env_remove("CLUSTER_VALUES_DIR");
    }
    let out = cmd
        .args(&case.args)
        .current_dir(app.path())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("LAIN_HELM", "/nonexistent/helm-must-not-run-for-bad-input")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut why = Vec::new();
    if out.status.code() != Some(case.exit) {
        why.push(format!("exit {:?}, expected {}", out.status.code(), case.exit));
    }
    for w in &case.stderr {
        if !stderr.contains(w.as_str()) {
            why.push(format!("stderr lacks {w:?}"));
        }
    }
    if stderr.matches("lain: error:").count() != 1 {
        why.push("expected exactly one `lain: error:`".into());
    }
    if stderr.contains("panicked") || stderr.contains("backtrace") {
        why.push("a panic or backtrace was printed".into());
    }
    let after = (snapshot(home.path()), snapshot(app.path()));
    if before != after {
        why.push("files were written or changed".into());
    }
    if why.is_empty() { Ok(()) } else { Err(format!("{name} ({}): {}\n--- stderr ---\n{stderr}", case.about, why.join("; "))) }
}

#[test]
fn bad_input_corpus() {
    let mut names: Vec<_> = std::fs::read_dir(corpus_dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert!(names.len() >= 10, "corpus missing: {names:?}");
    let failures: Vec<String> = names.iter().filter_map(|n| run_case(n, &corpus_dir().join(n)).err()).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), names.len(), failures.join("\n\n"));
}
