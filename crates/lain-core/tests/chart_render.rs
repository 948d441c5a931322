//! Golden tests of the chart lain writes into apps, rendered by the real helm 3 and helm 4.
//!
//! Each directory in `tests/chart_cases/` is one feature:
//! - `values.yaml`: the app's values (absent: the values.yaml `lain init` writes, appname dummy);
//! - `injected.yaml`: what lain injects (cluster, registry, imageTag, releaseName, ...);
//! - `expected.yaml`: the rendered manifests, i.e. the spec. Review them by eye.
//!
//! The chart is built the way `lain init` builds it, the case's values become its values.yaml,
//! and `helm template RELEASE CHART -f values.yaml -f injected.yaml` runs under both helms. The
//! two outputs must be the same documents, equal to the golden ones, every object must
//! deserialize into its k8s-openapi type and serialize back with no field lost (a misspelt field
//! is lost), and no object may carry empty or null fields.
//!
//! `LAIN_BLESS=1 cargo test -p lain-core --test chart_render` rewrites the golden files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod chart_support;
use chart_support::{diff_values, lost_fields, roundtrip, unclean_fields, uncomment_examples};

fn tools_bin() -> PathBuf {
    match std::env::var_os("LAIN_TOOLS_BIN") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin"),
    }
}

fn helm(version: u8) -> PathBuf {
    let path = tools_bin().join(format!("helm{version}"));
    assert!(path.is_file(), "{} is missing: run scripts/setup-tools (or set LAIN_TOOLS_BIN)", path.display());
    path
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chart_cases")
}

/// A chart directory as `lain init` writes it, with `values` (or the init values) as values.yaml.
fn build_chart(values: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let appname = values
        .and_then(|v| serde_saphyr::from_str::<Value>(v).ok())
        .and_then(|v| v.get("appname").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "dummy".to_string());
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    for file in lain_core::chart::render_chart(&appname).expect("render chart") {
        let contents = match (file.path, values) {
            ("values.yaml", Some(v)) => v.to_string(),
            _ => file.contents,
        };
        std::fs::write(chart.join(file.path), contents).expect("write chart file");
    }
    (tmp, chart)
}

/// `helm template` output, or helm's error message.
fn helm_template(version: u8, release: &str, chart: &Path, values: &[&Path]) -> Result<String, String> {
    let mut cmd = Command::new(helm(version));
    cmd.arg("template").arg(release).arg(chart);
    for v in values {
        cmd.arg("-f").arg(v);
    }
    let out = cmd.output().expect("run helm");
    if out.status.success() { Ok(String::from_utf8(out.stdout).expect("utf-8")) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

fn parse_docs(text: &str, what: &str) -> Vec<Value> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).unwrap_or_else(|e| panic!("{what} is not YAML: {e}\n{text}"));
    let mut docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    // Helm orders objects by kind, then name; sort the same way whatever the helm version.
    docs.sort_by_key(doc_id);
    docs
}

fn doc_id(doc: &Value) -> String {
    format!("{} {}", doc["kind"].as_str().unwrap_or("?"), doc["metadata"]["name"].as_str().unwrap_or("?"))
}

fn release_of(injected: &Path) -> String {
    let text = std::fs::read_to_string(injected).expect("read injected.yaml");
    let v: Value = serde_saphyr::from_str(&text).expect("injected.yaml is YAML");
    v["releaseName"].as_str().expect("injected.yaml sets releaseName").to_string()
}

fn run_case(name: &str) {
    let dir = cases_dir().join(name);
    let values_path = dir.join("values.yaml");
    let values = std::fs::read_to_string(&values_path).ok();
    let (_tmp, chart) = build_chart(values.as_deref());
    let injected = dir.join("injected.yaml");
    let release = release_of(&injected);
    let chart_values = chart.join("values.yaml");
    let files = [chart_values.as_path(), injected.as_path()];

    let out3 = helm_template(3, &release, &chart, &files).unwrap_or_else(|e| panic!("{name}: helm3 template failed:\n{e}"));
    let out4 = helm_template(4, &release, &chart, &files).unwrap_or_else(|e| panic!("{name}: helm4 template failed:\n{e}"));
    let docs3 = parse_docs(&out3, "helm3 output");
    let docs4 = parse_docs(&out4, "helm4 output");
    let ids: Vec<String> = docs3.iter().map(doc_id).collect();
    assert_eq!(ids, docs4.iter().map(doc_id).collect::<Vec<_>>(), "{name}: helm 3 and helm 4 render different objects");
    for (a, b) in docs3.iter().zip(&docs4) {
        let diffs = diff_values(a, b);
        assert!(diffs.is_empty(), "{name}: helm 3 and helm 4 disagree on {}:\n{}", doc_id(a), diffs.join("\n"));
    }

    for doc in &docs3 {
        let back = roundtrip(doc).unwrap_or_else(|e| panic!("{name}: {}: {e}", doc_id(doc)));
        let lost = lost_fields(doc, &back);
        assert!(lost.is_empty(), "{name}: {} does not survive its k8s-openapi type (misspelt field?):\n{}", doc_id(doc), lost.join("\n"));
        let unclean = unclean_fields(doc);
        assert!(unclean.is_empty(), "{name}: {} has empty or null fields: {unclean:?}", doc_id(doc));
    }

    let expected_path = dir.join("expected.yaml");
    if std::env::var_os("LAIN_BLESS").is_some() {
        std::fs::write(&expected_path, &out3).expect("write golden file");
        return;
    }
    let expected_text =
        std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{} is missing: run with LAIN_BLESS=1 and review it", expected_path.display()));
    let expected = parse_docs(&expected_text, "expected.yaml");
    assert_eq!(
        ids,
        expected.iter().map(doc_id).collect::<Vec<_>>(),
        "{name}: rendered objects differ from {} (LAIN_BLESS=1 to accept, after review)",
        expected_path.display()
    );
    for (got, want) in docs3.iter().zip(&expected) {
        let diffs = diff_values(want, got);
        assert!(diffs.is_empty(), "{name}: {} differs from the golden file (LAIN_BLESS=1 to accept, after review):\n{}", doc_id(got), diffs.join("\n"));
    }
}

macro_rules! golden_cases {
    ($($test:ident => $dir:literal,)*) => {
        $( #[test] fn $test() { run_case($dir); } )*
        const CASES: &[&str] = &[$($dir),*];
    };
}

golden_cases! {
    default_init_chart => "default-init",
    web_and_worker => "web-worker",
    statefulset => "statefulset",
    jobs_with_hooks => "jobs-hooks",
    cronjobs => "cronjobs",
    helm_tests => "tests",
    ingresses_and_external_ingresses => "ingresses",
    canary_group => "canary",
    network_policy_pvc_hpa => "netpol-pvc-hpa",
    nodes_host_aliases_image_pins => "nodes-hostaliases-pins",
    volume_mounts_and_extra_env_from => "volumes-envfrom",
    release_name_override => "release-name",
    rollout_strategies_and_hook_weights => "strategies",
    blue_green_color_release => "blue-green",
}

#[test]
fn every_case_directory_has_a_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(cases_dir())
        .expect("read chart_cases")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "add the case to golden_cases! in chart_render.rs");
}

const INJECTED: &str =
    "cluster: test\nregistry: registry.example.com\ndomain: test.example.com\nk8s_namespace: default\nimageTag: \"1700000000-abc\"\nreleaseName: dummy\n";

/// Mistakes only the templates can see (lain's validation catches most before helm runs) fail
/// the render, under both helms, with a message that says what to fix.
#[test]
fn template_guards_fail_with_clear_messages() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "external host without a dot",
            "appname: dummy\ndeployments:\n  web:\n    containerPort: 80\nexternalIngresses:\n  - host: shop\n    deployName: web\n",
            "externalIngresses host \"shop\" is not a full host name",
        ),
        (
            "unknown canary group",
            "appname: dummy\ndeployments:\n  web:\n    containerPort: 80\ncanaryGroup: huge\ncanaryGroups:\n  small: {a: b}\n  big: {a: c}\ningresses:\n  - host: dummy\n    deployName: web\n",
            "canaryGroup \"huge\" is not in canaryGroups (defined: big, small)",
        ),
        (
            "ingress to a proc without a port",
            "appname: dummy\ndeployments:\n  worker: {}\ningresses:\n  - host: dummy\n    deployName: worker\n",
            "proc \"worker\" has no containerPort",
        ),
        ("no appname", "deployments:\n  web: {}\n", "appname is missing"),
        ("cronjob without schedule", "appname: dummy\ncronjobs:\n  daily: {command: [x]}\n", "cronjobs.daily needs a schedule"),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    let injected = tmp.path().join("injected.yaml");
    std::fs::write(&injected, INJECTED).expect("write");
    for (what, values, message) in cases {
        let (_chart_tmp, chart) = build_chart(Some(values));
        for version in [3, 4] {
            let err =
                helm_template(version, "dummy", &chart, &[&chart.join("values.yaml"), &injected]).expect_err(&format!("{what}: helm{version} should fail"));
            assert!(err.contains(message), "{what}: helm{version} said:\n{err}");
        }
    }
}

/// Without one of the values lain injects, a render names it and says how to pass it by hand.
#[test]
fn missing_injected_values_are_named() {
    let (tmp, chart) = build_chart(None);
    for (key, message) in [
        ("registry", "registry is missing: lain sets it from the cluster config (when running helm by hand, pass --set registry="),
        ("imageTag", "imageTag is missing: lain sets it to the image it deploys (when running helm by hand, pass --set imageTag="),
        ("domain", "domain is missing: lain sets it from the cluster config"),
    ] {
        let injected = tmp.path().join(format!("without-{key}.yaml"));
        let text: String = INJECTED.lines().filter(|l| !l.starts_with(&format!("{key}:"))).map(|l| format!("{l}\n")).collect();
        std::fs::write(&injected, text).expect("write");
        for version in [3, 4] {
            let err = helm_template(version, "dummy", &chart, &[&injected]).expect_err(key);
            assert!(err.contains(message), "helm{version} without {key}: {err}");
        }
    }
}

/// The values.yaml `lain init` writes passes lain's validation as written and with every
/// commented-out example switched on, and the switched-on version renders under both helms
/// into well-formed objects: what the file teaches works when copied.
#[test]
fn init_values_and_all_their_examples_are_valid_and_render() {
    let files = lain_core::chart::render_chart("dummy").expect("render chart");
    let init_values = files.iter().find(|f| f.path == "values.yaml").expect("values.yaml").contents.clone();
    let all_on = uncomment_examples(&init_values);
    // The switch-on really switched things on (guards the helper itself).
    for key in [
        "\nenv:",
        "\nstatefulSets:",
        "\njobs:",
        "\ncronjobs:",
        "\ntests:",
        "\nexternalIngresses:",
        "\ncanaryGroups:",
        "\nnetworkPolicy:",
        "\npersistentVolumeClaims:",
        "\nrelease:",
        "\n    readinessProbe:",
        "\n    hpa:",
        "\n  prepare:",
    ] {
        assert!(all_on.contains(key), "{key:?} not switched on:\n{all_on}");
    }
    for (what, text) in [("values.yaml", &init_values), ("values.yaml with every example on", &all_on)] {
        let tree = lain_core::config::yaml::parse(text, "chart/values.yaml").unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
        let problems = lain_core::config::schema::validate(&tree);
        assert!(problems.is_empty(), "{what} fails lain's validation:\n{}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"));
    }

    let (tmp, chart) = build_chart(Some(&all_on));
    let injected = tmp.path().join("injected.yaml");
    std::fs::write(&injected, INJECTED).expect("write");
    let values = chart.join("values.yaml");
    let out3 = helm_template(3, "dummy", &chart, &[&values, &injected]).unwrap_or_else(|e| panic!("helm3: {e}"));
    let out4 = helm_template(4, "dummy", &chart, &[&values, &injected]).unwrap_or_else(|e| panic!("helm4: {e}"));
    let docs3 = parse_docs(&out3, "helm3 output");
    assert_eq!(docs3, parse_docs(&out4, "helm4 output"), "helm 3 and helm 4 disagree");
    let kinds: std::collections::BTreeSet<&str> = docs3.iter().filter_map(|d| d["kind"].as_str()).collect();
    let want =
        ["CronJob", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Job", "NetworkPolicy", "PersistentVolumeClaim", "Pod", "Service", "StatefulSet"];
    assert_eq!(kinds, want.into_iter().collect(), "every kind of object appears");
    for doc in &docs3 {
        let back = roundtrip(doc).unwrap_or_else(|e| panic!("{}: {e}", doc_id(doc)));
        let lost = lost_fields(doc, &back);
        assert!(lost.is_empty(), "{} loses fields:\n{}", doc_id(doc), lost.join("\n"));
        let unclean = unclean_fields(doc);
        assert!(unclean.is_empty(), "{} has empty or null fields: {unclean:?}", doc_id(doc));
    }
}

/// `helm lint --strict` passes on the chart `lain init` writes, with the values lain injects.
#[test]
fn init_chart_passes_helm_lint() {
    let (tmp, chart) = build_chart(None);
    let injected = tmp.path().join("injected.yaml");
    std::fs::write(&injected, INJECTED).expect("write");
    for version in [3, 4] {
        let out = Command::new(helm(version)).arg("lint").arg("--strict").arg(&chart).arg("-f").arg(&injected).output().expect("run helm lint");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "helm{version} lint failed:\n{text}");
        assert!(text.contains("0 chart(s) failed"), "helm{version} lint:\n{text}");
    }
}

/// `lain template` must feel instant: helm renders the init chart well under a second.
#[test]
fn init_chart_renders_fast() {
    let (tmp, chart) = build_chart(None);
    let injected = tmp.path().join("injected.yaml");
    std::fs::write(&injected, INJECTED).expect("write");
    for version in [3, 4] {
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                helm_template(version, "dummy", &chart, &[&injected]).expect("render");
                start.elapsed()
            })
            .min()
            .expect("three runs");
        eprintln!("helm{version} template (init chart): {} ms", best.as_millis());
        assert!(best < Duration::from_millis(1000), "helm{version} took {best:?}");
    }
}
