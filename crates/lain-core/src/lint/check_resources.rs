//! `resources` of every proc: quantities that parse, memory not in millibytes nor in bare bytes
//! by accident, CPU not in byte units, limits not below requests, CronJobs not oversold.

use serde_json::Value;

use super::quantity::{self, MI, Quantity, Suffix};
use super::walk::{self, ALL_PROCS, WORKLOADS};
use super::{Severity, Sink};

pub(crate) fn run(values: &Value, sink: &mut Sink) {
    for section in ALL_PROCS {
        for (name, entry) in walk::entries(values, section) {
            let base = walk::join(&walk::join("", section), name);
            check_proc(section, &base, entry, sink);
        }
    }
}

fn check_proc(section: &str, base: &str, entry: &Value, sink: &mut Sink) {
    let res_path = walk::join(base, "resources");
    let Some(res) = entry.get("resources") else {
        if WORKLOADS.contains(&section) {
            sink.push(
                Severity::Suggestion,
                "resources-missing",
                res_path,
                "no resources declared: the scheduler cannot place the pods sensibly and a leak can take the node",
                "once the app has run a few days, `lain lint` against the cluster prints requests and limits from Prometheus; until then start with generous memory limits",
            );
        }
        return;
    };
    let mut parsed: [[Option<f64>; 2]; 2] = [[None; 2]; 2]; // [requests|limits][cpu|memory]
    for (i, level) in ["requests", "limits"].into_iter().enumerate() {
        let Some(Value::Object(m)) = res.get(level) else { continue };
        for (kind, v) in m {
            let path = walk::join(&walk::join(&res_path, level), kind);
            let Some(q) = parse_one(&path, v, sink) else { continue };
            match kind.as_str() {
                "memory" | "ephemeral-storage" => {
                    // ephemeral-storage is checked like memory but not compared below.
                    let ok = memory_ok(&path, v, &q, sink);
                    if ok && kind == "memory" {
                        parsed[i][1] = Some(q.value);
                    }
                }
                "cpu" if cpu_ok(&path, v, &q, sink) => parsed[i][0] = Some(q.value),
                _ => {}
            }
        }
    }
    for (j, kind) in ["cpu", "memory"].into_iter().enumerate() {
        if let (Some(req), Some(lim)) = (parsed[0][j], parsed[1][j]) {
            let show = |x: f64| if j == 0 { quantity::format_cpu(x) } else { quantity::format_memory(x) };
            if lim < req {
                sink.push(
                    Severity::Error,
                    "limits-below-requests",
                    walk::join(&walk::join(&res_path, "limits"), kind),
                    format!("{kind} limits ({}) are below requests ({}); Kubernetes rejects the pod", show(lim), show(req)),
                    format!("raise limits.{kind} to at least {} or lower requests.{kind}", show(req)),
                );
            } else if section == "cronjobs" && lim > req {
                sink.push(
                    Severity::Suggestion,
                    "cronjob-oversold",
                    walk::join(&walk::join(&res_path, "requests"), kind),
                    format!(
                        "{kind} requests ({}) are below limits ({}): cron runs start together and burst on a node that was not reserved for them",
                        show(req),
                        show(lim)
                    ),
                    format!("set requests.{kind} equal to limits.{kind} ({})", show(lim)),
                );
            }
        }
    }
}

fn parse_one(path: &str, v: &Value, sink: &mut Sink) -> Option<Quantity> {
    match quantity::from_value(v) {
        Ok(q) if q.value < 0.0 => {
            sink.push(Severity::Error, "quantity-invalid", path, format!("`{}` is negative", walk::show(v)), "write a positive quantity");
            None
        }
        Ok(q) => Some(q),
        Err(e) => {
            sink.push(
                Severity::Error,
                "quantity-invalid",
                path,
                e.to_string(),
                "memory: a number with Ki/Mi/Gi (256Mi); cpu: cores (1, 0.5) or millicores (500m)",
            );
            None
        }
    }
}

fn memory_ok(path: &str, v: &Value, q: &Quantity, sink: &mut Sink) -> bool {
    if q.is_milli() {
        let written = walk::show(v);
        let number = written.trim().trim_end_matches('m');
        sink.push(
            Severity::Error,
            "memory-millibytes",
            path,
            format!("`{written}` means {} bytes (`m` is milli, not mega): the container cannot even start", trim_float(q.value)),
            format!("write `{number}Mi` (mebibytes)"),
        );
        return false;
    }
    if q.suffix == Suffix::None && q.value > 0.0 && q.value < MI {
        sink.push(
            Severity::Error,
            "memory-no-unit",
            path,
            format!("`{}` is a number of bytes, less than 1Mi: far too little for any process", walk::show(v)),
            format!("add a unit: `{}Mi`", trim_float(q.value)),
        );
        return false;
    }
    true
}

fn cpu_ok(path: &str, v: &Value, q: &Quantity, sink: &mut Sink) -> bool {
    if let Suffix::Binary(_) = q.suffix {
        sink.push(
            Severity::Error,
            "cpu-unit",
            path,
            format!("`{}` is a byte unit, but CPU is counted in cores", walk::show(v)),
            "write cores (`1`, `0.5`) or millicores (`500m`)",
        );
        return false;
    }
    true
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 { format!("{}", x as i64) } else { format!("{x}") }
}
