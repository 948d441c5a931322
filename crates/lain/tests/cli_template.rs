//! `lain init` + `lain template` with the real helm 3 and helm 4: the manifests, the layering of
//! values files, and the printed helm command doing the same thing when pasted into a shell.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tools_bin() -> PathBuf {
    let p = std::env::var_os("LAIN_TOOLS_BIN").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin"));
    assert!(p.join("helm3").exists() && p.join("helm4").exists(), "helm3/helm4 missing in {}: run scripts/setup-tools", p.display());
    p
}

struct App {
    home: tempfile::TempDir,
    dir: tempfile::TempDir,
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

impl App {
    fn new(appname: &str) -> App {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".kube")).unwrap();
        std::fs::write(home.path().join(".kube/kubeconfig-test"), "apiVersion: v1\nkind: Config\n").unwrap();
        std::os::unix::fs::symlink("kubeconfig-test", home.path().join(".kube/config")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let app = App { home, dir };
        git(app.path(), &["init", "-q"]);
        let o = app.lain("helm3", &["init", "--appname", appname]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        git(app.path(), &["add", "-A"]);
        git(app.path(), &["commit", "-qm", "init"]);
        app
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn lain(&self, helm: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_lain"))
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.home.path())
            .env("USER", "alice")
            .env("NO_COLOR", "1")
            .env("LAIN_HELM", tools_bin().join(helm))
            .env_remove("KUBECONFIG")
            .env_remove("CLUSTER_VALUES_DIR")
            .output()
            .unwrap()
    }
    fn template(&self, helm: &str, args: &[&str]) -> (Vec<serde_json::Value>, String) {
        let mut a = vec!["template"];
        a.extend_from_slice(args);
        let o = self.lain(helm, &a);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{helm}: {err}");
        (docs(&String::from_utf8_lossy(&o.stdout)), err)
    }
}

fn docs(yaml: &str) -> Vec<serde_json::Value> {
    serde_saphyr::from_multiple::<serde_json::Value>(yaml).unwrap().into_iter().filter(|d| !d.is_null()).collect()
}

fn find<'a>(docs: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {:?}", docs.iter().map(|d| format!("{}/{}", d["kind"], d["metadata"]["name"])).collect::<Vec<_>>()))
}

fn head_tag(dir: &Path) -> String {
    let o = Command::new("git").args(["log", "-1", "--pretty=format:%ct-%H"]).current_dir(dir).output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn init_then_template_renders_the_app_under_both_helms() {
    let app = App::new("dummy");
    let tag = head_tag(app.path());
    for helm in ["helm3", "helm4"] {
        let (d, _) = app.template(helm, &[]);
        let dep = find(&d, "Deployment", "dummy-web");
        let c = &dep["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], format!("127.0.0.1:5000/dummy:{tag}"), "{helm}");
        let env: Vec<_> = c["env"].as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap().to_string(), e["value"].clone())).collect();
        assert!(env.contains(&("LAIN_CLUSTER".into(), "test".into())), "{env:?}");
        assert!(env.contains(&("IMAGE_TAG".into(), tag.clone().into())), "{env:?}");
        assert_eq!(c["envFrom"][0]["secretRef"]["name"], "dummy-env");
        find(&d, "Service", "dummy-web");
        let ing = d.iter().find(|x| x["kind"] == "Ingress").expect("an ingress");
        assert_eq!(ing["spec"]["rules"][0]["host"], "dummy.test.example.com");
    }
}

#[test]
fn cluster_file_extra_file_and_set_layer_in_order() {
    let app = App::new("dummy");
    std::fs::write(app.path().join("chart/values-test.yaml"), "deployments:\n  web:\n    replicaCount: 2\n    command: [/lain/app/run.py, --debug]\n").unwrap();
    std::fs::write(app.path().join("chart/values-override.yaml"), "releaseName: dummy-override\n").unwrap();
    for helm in ["helm3", "helm4"] {
        let (d, _) = app.template(helm, &[]);
        let dep = find(&d, "Deployment", "dummy-web");
        assert_eq!(dep["spec"]["replicas"], 2);
        assert_eq!(dep["spec"]["template"]["spec"]["containers"][0]["command"], serde_json::json!(["/lain/app/run.py", "--debug"]));

        let (d, _) = app.template(helm, &["-f", "chart/values-override.yaml", "--set", "deployments.web.replicaCount=5"]);
        let dep = find(&d, "Deployment", "dummy-override-web");
        assert_eq!(dep["spec"]["replicas"], 5);
        // releaseName reuses the app's image and Secrets.
        let c = &dep["spec"]["template"]["spec"]["containers"][0];
        assert!(c["image"].as_str().unwrap().starts_with("127.0.0.1:5000/dummy:"));
        assert_eq!(c["envFrom"][0]["secretRef"]["name"], "dummy-env");
    }
}

#[test]
fn user_set_image_tag_wins_over_the_injected_one() {
    let app = App::new("dummy");
    let (d, _) = app.template("helm3", &["--set", "imageTag=1600000000-abc"]);
    let c = &find(&d, "Deployment", "dummy-web")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "127.0.0.1:5000/dummy:1600000000-abc");
}

#[test]
fn the_printed_helm_command_does_the_same_by_hand() {
    let app = App::new("dummy");
    for helm in ["helm3", "helm4"] {
        let o = app.lain(helm, &["template", "--set", "deployments.web.replicaCount=3"]);
        assert!(o.status.success());
        let stderr = String::from_utf8_lossy(&o.stderr);
        let line = stderr.lines().find_map(|l| l.strip_prefix("$ ")).expect("the helm command is printed");
        assert!(line.starts_with(&format!("{helm} template dummy ./chart")), "{line}");
        assert!(line.contains("--set-string user=alice"), "{line}");
        let by_hand = Command::new("sh")
            .args(["-c", line])
            .current_dir(app.path())
            .env("PATH", format!("{}:{}", tools_bin().display(), std::env::var("PATH").unwrap_or_default()))
            .env("HOME", app.home.path())
            .output()
            .unwrap();
        assert!(by_hand.status.success(), "{}", String::from_utf8_lossy(&by_hand.stderr));
        assert_eq!(String::from_utf8_lossy(&by_hand.stdout), String::from_utf8_lossy(&o.stdout), "{helm}");
    }
}

#[test]
fn init_refuses_to_overwrite_and_template_only_keeps_values() {
    let app = App::new("dummy");
    let values = app.path().join("chart/values.yaml");
    std::fs::write(&values, "appname: dummy\n# my edits\n").unwrap();
    let o = app.lain("helm3", &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    let tpl = app.path().join("chart/templates/deployment.yaml");
    std::fs::write(&tpl, "# stale\n").unwrap();
    let o = app.lain("helm3", &["init", "--template-only"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&values).unwrap(), "appname: dummy\n# my edits\n");
    assert_ne!(std::fs::read_to_string(&tpl).unwrap(), "# stale\n");
}

#[test]
fn null_in_a_cluster_file_removes_a_proc_under_both_helms() {
    let app = App::new("dummy");
    let values = app.path().join("chart/values.yaml");
    let v = std::fs::read_to_string(&values).unwrap().replacen("\ndeployments:\n", "\ndeployments:\n  worker:\n    command: [sleep, \"1000\"]\n", 1);
    std::fs::write(&values, v).unwrap();
    for helm in ["helm3", "helm4"] {
        let (d, _) = app.template(helm, &[]);
        find(&d, "Deployment", "dummy-worker");
    }
    std::fs::write(app.path().join("chart/values-test.yaml"), "deployments:\n  worker: null\n").unwrap();
    for helm in ["helm3", "helm4"] {
        let (d, _) = app.template(helm, &[]);
        assert!(!d.iter().any(|x| x["metadata"]["name"] == "dummy-worker"), "{helm} still renders the worker");
        find(&d, "Deployment", "dummy-web");
    }
}
