//! `lain lint` static checks: a realistic, well-written values file has no findings; each
//! check is then triggered by one mutation of it (and stays quiet on the correct variant).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used)]

use lain_core::lint::{Finding, LintContext, Severity, has_errors, static_checks};
use serde_json::{Value, json};

const GOOD: &str = r#"
appname: dummy
env:
  FOO: bar
  CACHE_KEY_PREFIX: dummy
  MYSQL_PASSWORD: ""
podAnnotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: "9100"
deployments:
  web:
    replicaCount: 3
    containerPort: 5000
    resources:
      requests: {cpu: 100m, memory: 256Mi}
      limits: {cpu: 1, memory: 512Mi}
    readinessProbe:
      httpGet: {path: /healthcheck, port: 5000}
      initialDelaySeconds: 2
      periodSeconds: 3
      failureThreshold: 1
    livenessProbe:
      httpGet: {path: /healthcheck, port: 5000}
      initialDelaySeconds: 60
      periodSeconds: 5
      failureThreshold: 10
  worker:
    command: ["python", "-m", "worker"]
    resources:
      requests: {cpu: 0.5, memory: 1Gi}
      limits: {cpu: 2, memory: 1.5Gi}
jobs:
  migrate:
    backoffLimit: 0
    activeDeadlineSeconds: 3600
    ttlSecondsAfterFinished: 86400
    annotations:
      helm.sh/hook: post-install,pre-upgrade
      helm.sh/hook-delete-policy: before-hook-creation
    command: ["bash", "-c", "alembic upgrade heads"]
  report:
    command: ["python", "report.py"]
cronjobs:
  nightly:
    schedule: "30 2 * * mon-fri"
    resources:
      requests: {cpu: 200m, memory: 256Mi}
      limits: {cpu: 200m, memory: 256Mi}
ingresses:
  - host: dummy
    deployName: web
    paths: [/]
  - host: dummy-api.example.com
    deployName: web
    paths: [/api]
externalIngresses:
  - host: www.dummy.org
    deployName: web
    paths: [/]
build:
  base: python:3.9
"#;

fn good() -> Value {
    serde_saphyr::from_str(GOOD).expect("GOOD parses")
}

/// Where keys were "written": a stand-in for the config layer's index.
fn locate(path: &str) -> Option<String> {
    match path {
        "deployments.web" => Some("chart/values.yaml:12".into()),
        "deployments.web.resources.limits.memory" => Some("chart/values.yaml:17".into()),
        "imageTag" => Some("chart/values-test.yaml:3".into()),
        _ => None,
    }
}

fn lint_with(values: &Value, domain: Option<&str>, loc: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    static_checks(values, &LintContext { cluster: "test", domain, locate: loc })
}

fn lint(values: &Value) -> Vec<Finding> {
    lint_with(values, Some("example.com"), &locate)
}

/// Sets `ptr` (a JSON pointer) in a copy of the good values, creating maps on the way;
/// `Value::Null` removes the key.
fn with(mut v: Value, ptr: &str, new: Value) -> Value {
    let parts: Vec<&str> = ptr.trim_start_matches('/').split('/').collect();
    let mut cur = &mut v;
    for p in &parts[..parts.len() - 1] {
        let p = p.replace("~1", "/");
        cur = if let Ok(i) = p.parse::<usize>() { &mut cur[i] } else { cur.as_object_mut().expect("map").entry(p).or_insert_with(|| json!({})) };
    }
    let last = parts[parts.len() - 1].replace("~1", "/");
    let map = cur.as_object_mut().expect("map");
    if new.is_null() {
        map.remove(&last);
    } else {
        map.insert(last, new);
    }
    v
}

fn only(findings: &[Finding], check: &str, path: &str) -> Finding {
    assert_eq!(
        findings.len(),
        1,
        "expected exactly one finding ({check} at {path}), got:\n{}",
        findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n")
    );
    let f = findings[0].clone();
    assert_eq!((f.check, f.path.as_str()), (check, path), "{f}");
    f
}

fn none_of(findings: &[Finding], check: &str) {
    assert!(!findings.iter().any(|f| f.check == check), "unexpected {check}: {findings:#?}");
}

#[test]
fn good_values_have_no_findings() {
    let f = lint(&good());
    assert!(f.is_empty(), "{}", f.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"));
}

#[test]
fn memory_in_millibytes_is_an_error_with_the_mi_fix() {
    let f = lint(&with(good(), "/deployments/web/resources/limits/memory", json!("512m")));
    let f = only(&f, "memory-millibytes", "deployments.web.resources.limits.memory");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.contains("512Mi"), "{f}");
    assert_eq!(f.location.as_deref(), Some("chart/values.yaml:17"));
    assert!(has_errors(&[f]));
    // CPU in millicores is what `m` is for.
    none_of(&lint(&with(good(), "/deployments/web/resources/limits/cpu", json!("1500m"))), "memory-millibytes");
}

#[test]
fn memory_without_unit_and_bad_quantities() {
    let f = lint(&with(good(), "/deployments/worker/resources/requests/memory", json!(512)));
    let f = only(&f, "memory-no-unit", "deployments.worker.resources.requests.memory");
    assert!(f.fix.contains("512Mi"));
    let f = lint(&with(good(), "/deployments/worker/resources/requests/memory", json!("1GB")));
    only(&f, "quantity-invalid", "deployments.worker.resources.requests.memory");
    let f = lint(&with(good(), "/deployments/worker/resources/requests/cpu", json!("1Gi")));
    only(&f, "cpu-unit", "deployments.worker.resources.requests.cpu");
    // A large plain byte count is a legitimate way to write memory.
    assert!(lint(&with(good(), "/deployments/worker/resources/requests/memory", json!(1073741824))).is_empty());
}

#[test]
fn limits_below_requests() {
    let f = lint(&with(good(), "/deployments/web/resources/limits/memory", json!("128Mi")));
    let f = only(&f, "limits-below-requests", "deployments.web.resources.limits.memory");
    assert!(f.message.contains("128Mi") && f.message.contains("256Mi"), "{f}");
    let f = lint(&with(good(), "/deployments/worker/resources/limits/cpu", json!("250m")));
    only(&f, "limits-below-requests", "deployments.worker.resources.limits.cpu");
    // Equal is fine (and what CronJobs should do).
    assert!(lint(&with(good(), "/deployments/web/resources/limits/memory", json!("256Mi"))).is_empty());
}

#[test]
fn cronjobs_should_not_be_oversold() {
    let f = lint(&with(good(), "/cronjobs/nightly/resources/limits/memory", json!("1Gi")));
    let f = only(&f, "cronjob-oversold", "cronjobs.nightly.resources.requests.memory");
    assert_eq!(f.severity, Severity::Suggestion);
}

#[test]
fn procs_without_resources_get_a_suggestion() {
    let f = lint(&with(good(), "/deployments/worker/resources", Value::Null));
    assert_eq!(only(&f, "resources-missing", "deployments.worker.resources").severity, Severity::Suggestion);
}

#[test]
fn web_proc_without_readiness_probe() {
    let f = lint(&with(good(), "/deployments/web/readinessProbe", Value::Null));
    let f = only(&f, "readiness-probe-missing", "deployments.web.readinessProbe");
    assert_eq!(f.severity, Severity::Warning);
    // The missing key has no location; its proc has.
    assert_eq!(f.location.as_deref(), Some("chart/values.yaml:12"));
    // The worker has no port, so no probe is required.
    none_of(&lint(&good()), "readiness-probe-missing");
}

#[test]
fn liveness_must_not_start_before_readiness() {
    let v = with(good(), "/deployments/web/livenessProbe/initialDelaySeconds", json!(1));
    only(&lint(&v), "liveness-delay-shorter", "deployments.web.livenessProbe.initialDelaySeconds");
    // A startupProbe holds liveness back: fine.
    let v = with(v, "/deployments/web/startupProbe", json!({"httpGet": {"path": "/", "port": 5000}}));
    none_of(&lint(&v), "liveness-delay-shorter");
    let v = with(good(), "/deployments/web/livenessProbe/failureThreshold", json!(1));
    only(&lint(&v), "liveness-failure-threshold", "deployments.web.livenessProbe.failureThreshold");
}

#[test]
fn rollouts_that_take_everything_down() {
    let v = with(good(), "/deployments/web/strategy", json!({"type": "Recreate"}));
    only(&lint(&v), "rollout-all-at-once", "deployments.web.strategy.type");
    // One replica: Recreate costs nothing more than a rolling update.
    assert!(lint(&with(v, "/deployments/web/replicaCount", json!(1))).is_empty());
    let v = with(good(), "/deployments/web/strategy", json!({"rollingUpdate": {"maxUnavailable": "100%"}}));
    only(&lint(&v), "rollout-all-at-once", "deployments.web.strategy.rollingUpdate.maxUnavailable");
    let v = with(good(), "/deployments/web/strategy", json!({"rollingUpdate": {"maxUnavailable": 1}}));
    assert!(lint(&v).is_empty());
}

#[test]
fn many_replicas_need_a_slow_rollout() {
    let v = with(good(), "/deployments/web/replicaCount", json!(30));
    let f = only(&lint(&v), "rollout-untuned", "deployments.web.strategy.rollingUpdate");
    assert!(f.fix.contains("maxSurge: 1"), "{f}");
    let tuned = with(v.clone(), "/deployments/web/strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}));
    assert!(lint(&tuned).is_empty());
    let loose = with(v, "/deployments/web/strategy", json!({"rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0}}));
    only(&lint(&loose), "rollout-untuned", "deployments.web.strategy.rollingUpdate");
    // An HPA that may scale to 40 counts too.
    let hpa = with(good(), "/deployments/web/hpa", json!({"minReplicas": 3, "maxReplicas": 40}));
    only(&lint(&hpa), "rollout-untuned", "deployments.web.strategy.rollingUpdate");
}

#[test]
fn ingress_hosts_outside_the_cluster_domain() {
    let v = with(good(), "/ingresses/1/host", json!("dummy.other.org"));
    let f = only(&lint(&v), "ingress-host-outside-domain", "ingresses[1].host");
    assert!(f.message.contains("example.com") && f.message.contains("test"), "{f}");
    // Without a known domain the check cannot judge.
    assert!(lint_with(&v, None, &locate).is_empty());
}

#[test]
fn ingress_pointing_at_a_missing_or_portless_proc() {
    let v = with(good(), "/ingresses/0/deployName", json!("wbe"));
    let f = only(&lint(&v), "ingress-unknown-proc", "ingresses[0].deployName");
    assert!(f.fix.contains("web") && f.fix.contains("worker"), "{f}");
    let v = with(good(), "/externalIngresses/0/deployName", json!("worker"));
    only(&lint(&v), "ingress-proc-without-port", "externalIngresses[0].deployName");
}

#[test]
fn forgotten_image_tag_pins() {
    let v = with(good(), "/deployments/worker/imageTag", json!("1634199833-f02f668b"));
    only(&lint(&v), "image-tag-pinned", "deployments.worker.imageTag");
    // A top-level tag counts only when it was written in a values file.
    let v = with(good(), "/imageTag", json!("1634199833-f02f668b"));
    let f = only(&lint(&v), "image-tag-pinned", "imageTag");
    assert_eq!(f.location.as_deref(), Some("chart/values-test.yaml:3"));
    assert!(lint_with(&v, Some("example.com"), &|_| None).is_empty(), "injected by lain");
    assert!(lint_with(&v, Some("example.com"), &|_| Some("--set imageTag".into())).is_empty(), "--set");
}

#[test]
fn floating_latest_images() {
    let f = lint(&with(good(), "/build/base", json!("python:latest")));
    assert_eq!(only(&f, "image-latest", "build.base").severity, Severity::Suggestion);
    only(&lint(&with(good(), "/build/base", json!("registry.example.com:5000/python"))), "image-latest", "build.base");
    assert!(lint(&with(good(), "/build/base", json!("registry.example.com:5000/python:3.9"))).is_empty());
    assert!(lint(&with(good(), "/deployments/worker/image", json!("redis@sha256:abc"))).is_empty());
}

#[test]
fn cron_schedules_must_parse() {
    let f = lint(&with(good(), "/cronjobs/nightly/schedule", json!("61 2 * * *")));
    let f = only(&f, "cron-schedule-invalid", "cronjobs.nightly.schedule");
    assert!(f.message.contains("minute"), "{f}");
    only(&lint(&with(good(), "/cronjobs/nightly/schedule", Value::Null)), "cron-schedule-invalid", "cronjobs.nightly.schedule");
    only(&lint(&with(good(), "/cronjobs/nightly/schedule", json!("TZ=UTC 0 1 * * *"))), "cron-schedule-invalid", "cronjobs.nightly.schedule");
    for ok in ["@daily", "*/10 * * * *", "0 0 1,15 jan-jun ?"] {
        assert!(lint(&with(good(), "/cronjobs/nightly/schedule", json!(ok))).is_empty(), "{ok}");
    }
}

#[test]
fn hook_and_migration_jobs_fail_fast_and_bounded() {
    // Left out, backoffLimit is 0: lain's chart renders that default.
    let v = with(good(), "/jobs/migrate/backoffLimit", Value::Null);
    none_of(&lint(&v), "migration-retries");
    let v = with(good(), "/jobs/migrate/backoffLimit", json!(3));
    let f = only(&lint(&v), "migration-retries", "jobs.migrate.backoffLimit");
    assert!(f.fix.contains("backoffLimit: 0"));
    let v = with(good(), "/jobs/migrate/activeDeadlineSeconds", Value::Null);
    only(&lint(&v), "hook-job-deadline", "jobs.migrate.activeDeadlineSeconds");
    // A hook Job that is not a migration may retry, but must say so.
    let v = with(
        good(),
        "/jobs/warmup",
        json!({"annotations": {"helm.sh/hook": "post-upgrade"}, "backoffLimit": 2, "activeDeadlineSeconds": 60, "command": ["curl", "http://dummy-web/"]}),
    );
    assert!(lint(&v).is_empty());
    // A migration that is not a hook is still a migration (named so).
    let v = with(good(), "/jobs/db-migration", json!({"command": ["./manage.py", "migrate"], "activeDeadlineSeconds": 600, "backoffLimit": 2}));
    only(&lint(&v), "migration-retries", "jobs.db-migration.backoffLimit");
    // Plain jobs are left alone.
    none_of(&lint(&good()), "hook-job-deadline");
}

#[test]
fn secrets_written_in_env_are_flagged_without_echoing_them() {
    let secret = "s3cr3t-hunter2-value";
    let cases = [
        ("/env/MYSQL_PASSWORD", json!(secret), "env.MYSQL_PASSWORD"),
        ("/deployments/web/env", json!({"STRIPE_API_KEY": secret}), "deployments.web.env.STRIPE_API_KEY"),
        ("/env/DATABASE_URL", json!(format!("mysql://root:{secret}@db:3306/app")), "env.DATABASE_URL"),
        (
            "/jobs/migrate/initContainers",
            json!([{"name": "backup", "env": [{"name": "GITHUB_TOKEN", "value": secret}]}]),
            "jobs.migrate.initContainers[0].env[0].value",
        ),
        ("/build/env", json!({"NPM_TOKEN": secret}), "build.env.NPM_TOKEN"),
    ];
    for (ptr, val, path) in cases {
        let f = lint(&with(good(), ptr, val));
        let f = only(&f, "secret-in-env", path);
        assert!(f.fix.contains("lain env edit"), "{f}");
        assert!(!f.to_string().contains(secret), "the value leaked: {f}");
    }
    // Empty values and references are not secrets; neither are names that merely contain KEY.
    let v = with(good(), "/env/API_TOKEN", json!("$(TOKEN_FROM_SECRET)"));
    assert!(lint(&v).is_empty());
    assert!(lint(&with(good(), "/env/REDIS_URL", json!("redis://redis:6379/0"))).is_empty());
}

#[test]
fn annotations_must_be_strings_and_scrape_needs_a_port() {
    let v = with(good(), "/deployments/web/podAnnotations", json!({"sidecar.istio.io/inject": false}));
    let f = only(&lint(&v), "annotation-not-string", "deployments.web.podAnnotations[\"sidecar.istio.io/inject\"]");
    assert!(f.fix.contains("\"false\""), "{f}");
    let v = with(good(), "/podAnnotations/prometheus.io~1port", Value::Null);
    only(&lint(&v), "prometheus-scrape-port", "podAnnotations[\"prometheus.io/port\"]");
    // Each proc names its own port: fine.
    let v = with(v, "/deployments/web/podAnnotations", json!({"prometheus.io/port": "9100"}));
    let v = with(v, "/deployments/worker/podAnnotations", json!({"prometheus.io/port": "9101"}));
    assert!(lint(&v).is_empty());
    // Scrape switched on by one proc only: reported there.
    let v = with(good(), "/podAnnotations", Value::Null);
    let v = with(v, "/deployments/worker/podAnnotations", json!({"prometheus.io/scrape": "true"}));
    only(&lint(&v), "prometheus-scrape-port", "deployments.worker.podAnnotations[\"prometheus.io/port\"]");
}

#[test]
fn errors_come_first_and_findings_print_with_location_and_fix() {
    let v = with(good(), "/deployments/web/resources/limits/memory", json!("512m"));
    let v = with(v, "/deployments/web/readinessProbe", Value::Null);
    let v = with(v, "/deployments/worker/resources", Value::Null);
    let f = lint(&v);
    let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
    assert_eq!(sev, vec![Severity::Error, Severity::Warning, Severity::Suggestion]);
    assert_eq!(
        f[0].to_string(),
        "error: deployments.web.resources.limits.memory (chart/values.yaml:17): `512m` means 0.512 bytes (`m` is milli, not mega): the container cannot even start\n  fix: write `512Mi` (mebibytes)"
    );
}

#[test]
fn odd_shapes_do_not_panic() {
    for v in [
        json!(null),
        json!([]),
        json!({"deployments": []}),
        json!({"deployments": {"web": null}}),
        json!({"deployments": {"web": {"resources": "lots", "strategy": 3, "hpa": [], "env": "x"}}}),
        json!({"ingresses": {"a": 1}, "cronjobs": {"c": {"schedule": 5}}, "jobs": {"m": {"annotations": []}}}),
        json!({"deployments": {"web": {"resources": {"limits": {"memory": null, "cpu": []}}}}}),
    ] {
        let _ = lint(&v);
    }
}

#[test]
fn canary_groups_that_route_nothing_or_everything() {
    let groups = |g: Value| with(good(), "/canaryGroups", g);
    let ok = groups(json!({
        "internal": {"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary", "nginx.ingress.kubernetes.io/canary-by-header-value": "yes"},
        "small": {"nginx.ingress.kubernetes.io/canary-weight": "10"},
        "permille": {"nginx.ingress.kubernetes.io/canary-weight": "5", "nginx.ingress.kubernetes.io/canary-weight-total": "1000"},
        "cookie": {"nginx.ingress.kubernetes.io/canary-by-cookie": "canary"},
    }));
    let f = lint(&ok);
    assert!(f.is_empty(), "{}", f.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"));

    let f = only(
        &lint(&groups(json!({"typo": {"nginx.ingress.kubernetes.io/canary-wieght": "10", "nginx.ingress.kubernetes.io/canary-weight": "10"}}))),
        "canary-annotation-unknown",
        "canaryGroups.typo[\"nginx.ingress.kubernetes.io/canary-wieght\"]",
    );
    assert_eq!(f.severity, Severity::Warning);
    only(
        &lint(&groups(json!({"none": {"example.com/x": "1", "nginx.ingress.kubernetes.io/canary-by-cookie": "c"}}))),
        "canary-annotation-unknown",
        "canaryGroups.none[\"example.com/x\"]",
    );
    only(&lint(&groups(json!({"none": {}}))), "canary-group-no-rule", "canaryGroups.none");
    let f = only(
        &lint(&groups(json!({"big": {"nginx.ingress.kubernetes.io/canary-weight": "150"}}))),
        "canary-weight-range",
        "canaryGroups.big[\"nginx.ingress.kubernetes.io/canary-weight\"]",
    );
    assert!(has_errors(std::slice::from_ref(&f)));
    only(&lint(&groups(json!({"v": {"nginx.ingress.kubernetes.io/canary-by-header-value": "yes"}}))), "canary-header-value-without-header", "canaryGroups.v");
    only(
        &lint(&groups(json!({"lain": {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "1"}}))),
        "canary-annotation-unknown",
        "canaryGroups.lain[\"nginx.ingress.kubernetes.io/canary\"]",
    );
    let no_ingress = with(with(ok, "/ingresses", Value::Null), "/externalIngresses", Value::Null);
    only(&lint(&no_ingress), "canary-without-ingress", "canaryGroups");
}
