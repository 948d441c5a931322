//! Resource suggestions against a real Prometheus with 2.5 days of backfilled container
//! metrics; the expected P95s are computed here from the very samples that were backfilled.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used)]

mod support {
    pub mod prom;
}

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lain_core::lint::quantity::{self, MI};
use lain_core::lint::{LintError, Resource, ResourceField, Usage, query_usage, resource_suggestions, suggest};
use lain_core::ops::lint::{LintOptions, PrometheusSource, run as lint_run};
use serde_json::{Value, json};
use support::prom::{Prometheus, Rng, Series, free_port, quantile};

const MEM: &str = "container_memory_working_set_bytes";
const CPU: &str = "container_cpu_usage_seconds_total";

/// One container's generated life.
struct Pod {
    proc_name: &'static str,
    namespace: &'static str,
    container: &'static str,
    name: String,
    /// Memory samples and CPU counter samples, one per minute.
    mem: Vec<(i64, f64)>,
    cpu: Vec<(i64, f64)>,
}

struct Shape {
    mem_base: f64,
    mem_spread: f64,
    cpu_lo: f64,
    cpu_hi: f64,
}

#[allow(clippy::too_many_arguments)]
fn pod(rng: &mut Rng, proc_name: &'static str, namespace: &'static str, container: &'static str, name: String, start: i64, end: i64, s: &Shape) -> Pod {
    let mut mem = Vec::new();
    let mut cpu = Vec::new();
    let mut counter = rng.f() * 1000.0;
    let mut rate = s.cpu_lo;
    let mut t = start;
    while t <= end {
        // CPU usage changes every hour (a daily rhythm in miniature); memory is noisy with
        // rare spikes, the shape that makes P95 differ from both mean and max.
        if (t - start) % 3600 == 0 {
            rate = s.cpu_lo + rng.f() * (s.cpu_hi - s.cpu_lo);
        }
        let spike = if rng.f() < 0.02 { 2.0 * s.mem_spread } else { 0.0 };
        mem.push((t, (s.mem_base + rng.f() * s.mem_spread + spike).round()));
        cpu.push((t, counter));
        counter += rate * 60.0;
        t += 60;
    }
    Pod { proc_name, namespace, container, name, mem, cpu }
}

fn generate(now: i64) -> Vec<Pod> {
    let mut rng = Rng(7);
    let end = now - now % 60 - 3600;
    let begin = end - 60 * 3600;
    let mid = begin + 30 * 3600;
    let web = Shape { mem_base: 180.0 * MI, mem_spread: 120.0 * MI, cpu_lo: 0.02, cpu_hi: 0.3 };
    let dev = Shape { mem_base: 1500.0 * MI, mem_spread: 100.0 * MI, cpu_lo: 1.0, cpu_hi: 2.0 };
    let cron = Shape { mem_base: 400.0 * MI, mem_spread: 50.0 * MI, cpu_lo: 0.5, cpu_hi: 0.9 };
    let noise = Shape { mem_base: 4096.0 * MI, mem_spread: 10.0 * MI, cpu_lo: 3.0, cpu_hi: 4.0 };
    let mut pods = Vec::new();
    // Two ReplicaSets of web: a deploy happened half-way.
    for (rs, (a, b)) in [("7d9f8c6b5d", (begin, mid)), ("5f6d7c8b94", (mid + 60, end))] {
        for suffix in ["x2x4z", "q8w9e"] {
            pods.push(pod(&mut rng, "web", "default", "web", format!("dummy-web-{rs}-{suffix}"), a, b, &web));
        }
    }
    // A sibling proc whose pod names start with `dummy-web-`: must not count as web.
    pods.push(pod(&mut rng, "web-dev", "default", "web-dev", "dummy-web-dev-6c7d8e9f7-uvwxy".into(), begin, end, &dev));
    // A CronJob run every 6 hours for 20 minutes.
    let mut t = begin - begin % (6 * 3600) + 6 * 3600;
    while t + 1200 <= end {
        pods.push(pod(&mut rng, "nightly", "default", "nightly", format!("dummy-nightly-{}-k2p9s", t / 60), t, t + 1200, &cron));
        t += 6 * 3600;
    }
    // Noise that a correct query ignores: the same pod name in another namespace, the pause
    // container, and the pod-level cgroup (container="").
    pods.push(pod(&mut rng, "web", "other", "web", "dummy-web-7d9f8c6b5d-x2x4z".into(), begin, end, &noise));
    pods.push(pod(&mut rng, "web", "default", "POD", "dummy-web-7d9f8c6b5d-x2x4z".into(), begin, mid, &noise));
    pods.push(pod(&mut rng, "web", "default", "", "dummy-web-7d9f8c6b5d-x2x4z".into(), begin, mid, &noise));
    pods
}

fn series(pods: &[Pod]) -> Vec<Series> {
    let mut out = Vec::new();
    for p in pods {
        let labels = vec![("namespace", p.namespace.to_string()), ("pod", p.name.clone()), ("container", p.container.to_string())];
        out.push(Series { metric: MEM, labels: labels.clone(), samples: p.mem.clone() });
        out.push(Series { metric: CPU, labels, samples: p.cpu.clone() });
    }
    out
}

/// What lain should measure for a proc: the P95 per pod, worst pod.
fn expected(pods: &[Pod], proc_name: &str) -> (f64, f64) {
    let mine = pods.iter().filter(|p| p.proc_name == proc_name && p.namespace == "default" && p.container == proc_name);
    let mut mem: f64 = 0.0;
    let mut cpu: f64 = 0.0;
    for p in mine {
        let m: Vec<f64> = p.mem.iter().map(|(_, v)| *v).collect();
        mem = mem.max(quantile(0.95, &m));
        // rate(…[5m]) at each minute: samples sit exactly on the window's edges, so it is the
        // plain difference over 300 s (the few extrapolated edge steps are left out).
        let rates: Vec<f64> = p.cpu.windows(6).map(|w| (w[5].1 - w[0].1) / 300.0).collect();
        cpu = cpu.max(quantile(0.95, &rates));
    }
    (mem, cpu)
}

fn app_values() -> Value {
    json!({
        "appname": "dummy",
        "deployments": {
            "web": {"containerPort": 5000, "resources": {
                "requests": {"memory": "128Mi", "cpu": "10m"},
                "limits": {"memory": "256Mi", "cpu": "100m"}}},
            "web-dev": {"containerPort": 5000},
            "worker": {"command": ["python", "worker.py"]}
        },
        "cronjobs": {"nightly": {"schedule": "0 */6 * * *"}}
    })
}

fn close(actual: f64, expected: f64, rel: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs()
}

#[tokio::test]
async fn suggestions_match_the_p95_of_the_backfilled_samples() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64;
    let pods = generate(now);
    let t0 = Instant::now();
    let prom = Prometheus::start(&series(&pods));
    eprintln!("backfill + start: {:?}", t0.elapsed());
    let values = app_values();

    let t0 = Instant::now();
    let usage = query_usage(&prom.url, None, Some("3d"), "dummy", "default", &values).await.expect("query");
    eprintln!("queries: {:?}", t0.elapsed());
    let get = |p: &str| usage.iter().find(|u| u.proc == p).expect(p).clone();
    for proc_name in ["web", "web-dev", "nightly"] {
        let u: Usage = get(proc_name);
        let (mem, cpu) = expected(&pods, proc_name);
        let (m, c) = (u.memory_p95.expect("memory"), u.cpu_p95.expect("cpu"));
        eprintln!("{proc_name}: memory P95 {:.1}Mi (expected {:.1}Mi), cpu P95 {:.4} (expected {:.4})", m / MI, mem / MI, c, cpu);
        // Memory: the same samples, the same interpolation.
        assert!(close(m, mem, 1e-9), "{proc_name} memory {m} vs {mem}");
        // CPU: rate() at the edges of each pod's life is extrapolated by Prometheus.
        assert!(close(c, cpu, 0.03), "{proc_name} cpu {c} vs {cpu}");
    }
    assert_eq!(get("worker"), Usage { section: "deployments", proc: "worker".into(), memory_p95: None, cpu_p95: None });

    let suggestions = resource_suggestions(&prom.url, None, Some("3d"), "dummy", "default", &values).await.expect("suggest");
    for s in &suggestions {
        eprintln!("{s}");
    }
    let usage = query_usage(&prom.url, None, Some("3d"), "dummy", "default", &values).await.expect("query");
    assert_eq!(suggestions, suggest(&usage, &values, "3d"));
    let find = |p: &str, r, f| suggestions.iter().find(|s| s.proc == p && s.resource == r && s.field == f);

    let (web_mem, web_cpu) = expected(&pods, "web");
    let lim = find("web", Resource::Memory, ResourceField::Limits).expect("web memory limits");
    let want = quantity::format_memory(quantity::round_memory_up(quantity::round_memory_up(web_mem) * 1.5));
    assert_eq!(lim.to_string(), format!("web memory limits: current 256Mi, suggestion {want} (P95 over 3d: {})", quantity::format_memory(web_mem)));
    let req = find("web", Resource::Memory, ResourceField::Requests).expect("web memory requests");
    assert_eq!(req.suggested, quantity::format_memory(quantity::round_memory_up(web_mem)));
    let cpu_req = quantity::parse(&find("web", Resource::Cpu, ResourceField::Requests).expect("cpu").suggested).expect("q").value;
    assert!(
        cpu_req >= quantity::round_cpu_up(web_cpu * 0.97) - 1e-9 && cpu_req <= quantity::round_cpu_up(web_cpu * 1.03) + 1e-9,
        "web cpu requests {cpu_req} for P95 {web_cpu}"
    );
    let cpu_lim = quantity::parse(&find("web", Resource::Cpu, ResourceField::Limits).expect("cpu").suggested).expect("q").value;
    assert!(close(cpu_lim, quantity::round_cpu_up(cpu_req * 4.0), 1e-9), "cpu limits = requests × 4");

    // The CronJob is not oversold: requests = limits.
    let (cron_mem, _) = expected(&pods, "nightly");
    let cr = find("nightly", Resource::Memory, ResourceField::Requests).expect("cron requests");
    let cl = find("nightly", Resource::Memory, ResourceField::Limits).expect("cron limits");
    assert_eq!(cr.suggested, cl.suggested);
    assert_eq!(cr.suggested, quantity::format_memory(quantity::round_memory_up(cron_mem * 1.5)));
    // No metrics, no suggestion.
    assert!(!suggestions.iter().any(|s| s.proc == "worker"));

    // The whole `lain lint`: static findings, suggestions, a note for the proc never seen,
    // and a paste-ready block; `prometheus_query_range` is read from the values.
    let mut with_range = values.clone();
    with_range["prometheus_query_range"] = json!("3d");
    with_range["deployments"]["web"]["resources"]["requests"]["memory"] = json!("128m");
    let report = lint_run(&LintOptions {
        values: &with_range,
        cluster: "test",
        domain: Some("example.com"),
        locate: &|_| None,
        appname: "dummy",
        namespace: "default",
        prometheus: Some(PrometheusSource { url: &prom.url, pql_template: None }),
        range: None,
    })
    .await;
    let text = report.render();
    eprintln!("{text}");
    assert!(report.has_errors(), "memory in millibytes");
    assert!(text.contains("error: deployments.web.resources.requests.memory"), "{text}");
    assert!(text.contains(&format!("  web memory limits: current 256Mi, suggestion {want} (P95 over 3d:")), "{text}");
    assert!(text.contains("note: no metrics over the last 3d for worker"), "{text}");
    assert!(text.contains("  deployments:\n    web:\n      resources:\n        requests: {cpu: "), "{text}");
    assert!(text.contains(&format!("memory: {want}}}")), "{text}");

    // An app Prometheus has never seen: said plainly.
    let err = resource_suggestions(&prom.url, None, Some("3d"), "ghost", "default", &json!({"deployments": {"web": {}}})).await.unwrap_err();
    assert!(matches!(err, LintError::PrometheusNoData { .. }), "{err}");
    assert!(err.to_string().contains("ghost"), "{err}");

    // A cluster's own template: variables rendered, Prometheus evaluates it.
    let tpl = r#"max(max_over_time({% if resource == "memory" %}{{ metric }}{{ selector }}{% else %}rate({{ metric }}{{ selector }}[5m]){% endif %}[{{ range }}:1m]))"#;
    let u = query_usage(&prom.url, Some(tpl), Some("3d"), "dummy", "default", &values).await.expect("custom");
    let web_max = pods
        .iter()
        .filter(|p| p.proc_name == "web" && p.namespace == "default" && p.container == "web")
        .flat_map(|p| p.mem.iter().map(|(_, v)| *v))
        .fold(0.0, f64::max);
    let got = u.iter().find(|u| u.proc == "web").and_then(|u| u.memory_p95).expect("web");
    assert!(close(got, web_max, 1e-9), "max_over_time {got} vs {web_max}");

    // Broken PromQL: Prometheus' own reason comes back.
    let err = query_usage(&prom.url, Some("max(("), Some("3d"), "dummy", "default", &values).await.unwrap_err();
    assert!(matches!(err, LintError::PrometheusQuery { .. }), "{err}");
    let err = query_usage(&prom.url, None, Some("3 days"), "dummy", "default", &values).await.unwrap_err();
    assert!(matches!(err, LintError::InvalidRange(_)), "{err}");
}

#[tokio::test]
async fn prometheus_down_is_reported_quickly() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let t0 = Instant::now();
    let err = resource_suggestions(&url, None, None, "dummy", "default", &app_values()).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(6), "took {:?}", t0.elapsed());
    assert!(matches!(err, LintError::PrometheusUnreachable { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains("static checks still ran"), "{msg}");

    // `lain lint` goes on with the static checks and says why there are no suggestions.
    let mut values = app_values();
    values["deployments"]["web"]["resources"]["limits"]["memory"] = json!("64Mi");
    let report = lint_run(&LintOptions {
        values: &values,
        cluster: "test",
        domain: None,
        locate: &|_| None,
        appname: "dummy",
        namespace: "default",
        prometheus: Some(PrometheusSource { url: &url, pql_template: None }),
        range: None,
    })
    .await;
    assert!(report.findings.iter().any(|f| f.check == "limits-below-requests"), "{:?}", report.findings);
    assert!(report.suggestions.is_empty());
    assert_eq!(report.notes.len(), 1);
    assert!(report.notes[0].contains("unreachable"), "{:?}", report.notes);
    assert!(report.render().contains("resource suggestion(s)"));
}
