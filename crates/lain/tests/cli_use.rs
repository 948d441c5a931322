//! `lain use`, `--use`, cluster configuration sources and their errors, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(clusters_with_kubeconfig: &[&str]) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".kube")).unwrap();
        for c in clusters_with_kubeconfig {
            std::fs::write(dir.path().join(format!(".kube/kubeconfig-{c}")), kubeconfig(c)).unwrap();
        }
        Home { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn kube(&self, f: &str) -> PathBuf {
        self.path().join(".kube").join(f)
    }
    fn lain(&self, args: &[&str]) -> Output {
        self.lain_env(args, &[])
    }
    fn lain_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lain"));
        c.args(args).current_dir(self.path()).env("HOME", self.path()).env_remove("KUBECONFIG").env_remove("CLUSTER_VALUES_DIR").env("NO_COLOR", "1");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

fn kubeconfig(cluster: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: u\n    namespace: default\ncurrent-context: {cluster}\nusers:\n- name: u\n  user: {{}}\n"
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tools_bin() -> PathBuf {
    std::env::var_os("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin"))
}

#[test]
fn use_switches_and_hand_typed_kubectl_follows() {
    let h = Home::new(&["test"]);
    let o = h.lain(&["use", "test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_link(h.kube("config")).unwrap(), PathBuf::from("kubeconfig-test"));
    // A real kubectl, given nothing but HOME, reads the cluster lain switched to.
    let kubectl = tools_bin().join("kubectl");
    assert!(kubectl.exists(), "kubectl missing at {}: run scripts/setup-tools", kubectl.display());
    let out = Command::new(kubectl).args(["config", "current-context"]).env("HOME", h.path()).env_remove("KUBECONFIG").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "test");
}

#[test]
fn use_without_argument_lists_and_marks_current() {
    let h = Home::new(&["test"]);
    let o = h.lain(&["use"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "  test\n");
    assert!(h.lain(&["use", "test"]).status.success());
    assert_eq!(stdout(&h.lain(&["use"])), "* test\n");
}

#[test]
fn regular_file_config_is_refused_and_kept() {
    let h = Home::new(&["test"]);
    std::fs::write(h.kube("config"), "my own config").unwrap();
    let o = h.lain(&["use", "test"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("is a regular file"), "{e}");
    assert!(e.contains("mv "), "{e}");
    assert_eq!(std::fs::read_to_string(h.kube("config")).unwrap(), "my own config");
}

#[test]
fn missing_kubeconfig_names_the_file_and_keeps_current() {
    let h = Home::new(&["test"]);
    assert!(h.lain(&["use", "test"]).status.success());
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("values-prod.yaml"), "registry: r.example.com\nextra_docs: ask the SA team in #infra\n").unwrap();
    std::fs::write(d.path().join("values-test.yaml"), "registry: r.example.com\n").unwrap();
    let o = h.lain_env(&["use", "prod"], &[("CLUSTER_VALUES_DIR", d.path().to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("kubeconfig-prod is missing"), "{e}");
    assert!(e.contains("ask the SA team"), "{e}");
    assert_eq!(std::fs::read_link(h.kube("config")).unwrap(), PathBuf::from("kubeconfig-test"));
}

#[test]
fn unknown_cluster_lists_known() {
    let h = Home::new(&["test"]);
    let o = h.lain(&["use", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.starts_with("lain: error: unknown cluster \"nope\""), "{e}");
    assert!(e.contains("known clusters"), "{e}");
    assert!(e.contains("test"), "{e}");
    assert!(std::fs::symlink_metadata(h.kube("config")).is_err(), "nothing written");
}

#[test]
fn cluster_values_dir_replaces_builtin_clusters() {
    let h = Home::new(&["a"]);
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("values-a.yaml"), "registry: r.example.com\n").unwrap();
    let o = h.lain_env(&["use"], &[("CLUSTER_VALUES_DIR", d.path().to_str().unwrap())]);
    assert_eq!(stdout(&o), "  a\n");
    let o = h.lain_env(&["use", "test"], &[("CLUSTER_VALUES_DIR", d.path().to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn broken_cluster_file_is_located() {
    let h = Home::new(&["a"]);
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("values-a.yaml"), "registry: r.example.com\ndomian: a.example.com\n").unwrap();
    let o = h.lain_env(&["use", "a"], &[("CLUSTER_VALUES_DIR", d.path().to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("values-a.yaml:2"), "{e}");
    assert!(e.contains("domian"), "{e}");
}

#[test]
fn commands_needing_a_cluster_say_how_to_pick_one() {
    let h = Home::new(&["test"]);
    let o = h.lain(&["template"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("no current cluster"), "{e}");
    assert!(e.contains("lain use CLUSTER"), "{e}");
}

#[test]
fn global_use_flag_switches_first() {
    let h = Home::new(&["test"]);
    // No chart here, so template fails, but only after the switch happened.
    let o = h.lain(&["--use", "test", "template"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no chart/ directory"), "{}", stderr(&o));
    assert_eq!(std::fs::read_link(h.kube("config")).unwrap(), PathBuf::from("kubeconfig-test"));
}

#[test]
fn completions_are_generated() {
    let h = Home::new(&[]);
    let o = h.lain(&["completions", "bash"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("_lain()"), "{}", &s[..s.len().min(200)]);
    assert!(s.contains("template"));
}
