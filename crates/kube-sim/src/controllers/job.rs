//! Job: runs pods until `completions` succeed or `backoffLimit` is exceeded, reports
//! active/succeeded/failed/ready, sets SuccessCriteriaMet+Complete or FailureTarget+Failed, and
//! deletes finished jobs after `ttlSecondsAfterFinished`.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{get_condition, int, is_terminating, owned_by, pod_from_template, pod_phase, pod_ready, record_event, set_condition};
use crate::clock::{fmt_time, secs_since};
use crate::resources::id;
use crate::store::{Propagation, Store, meta_str, name_of};

fn finished(job: &Value) -> Option<String> {
    for t in ["Complete", "Failed"] {
        if get_condition(job, t).and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True") {
            return Some(t.to_string());
        }
    }
    None
}

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let job_res = id("batch", "jobs");
    let pod_res = id("", "pods");
    let ts = fmt_time(now);
    for job in store.list_cloned(job_res, None) {
        if is_terminating(&job) {
            continue;
        }
        let ns = meta_str(&job, "namespace").to_string();
        let name = name_of(&job).to_string();
        let uid = meta_str(&job, "uid").to_string();
        if finished(&job).is_some() {
            if let Some(ttl) = job.pointer("/spec/ttlSecondsAfterFinished").and_then(Value::as_i64) {
                let done = job.pointer("/status/completionTime").or_else(|| get_condition(&job, "Failed").and_then(|c| c.get("lastTransitionTime")));
                if done.and_then(Value::as_str).is_some_and(|t| secs_since(now, t) >= ttl as f64) {
                    let _ = store.delete(job_res, &ns, &name, Some(Propagation::Background), None, None, now, false);
                }
            }
            continue;
        }
        if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let pods = owned_by(store, pod_res, &ns, &uid);
        let active: Vec<&Value> = pods.iter().filter(|p| !is_terminating(p) && !matches!(pod_phase(p), "Succeeded" | "Failed")).collect();
        let succeeded = pods.iter().filter(|p| pod_phase(p) == "Succeeded").count() as i64;
        let failed = pods.iter().filter(|p| pod_phase(p) == "Failed").count() as i64 + pods.iter().map(restarts).sum::<i64>();
        let completions = int(&job, "/spec/completions", 1);
        let parallelism = int(&job, "/spec/parallelism", 1);
        let backoff_limit = int(&job, "/spec/backoffLimit", 6);
        let mut st = job.get("status").cloned().unwrap_or(json!({}));
        if st.get("startTime").is_none() {
            st["startTime"] = json!(ts);
        }
        let started = st["startTime"].as_str().unwrap_or(&ts).to_string();
        let mut fail: Option<(&str, String)> = None;
        if failed > backoff_limit {
            fail = Some(("BackoffLimitExceeded", "Job has reached the specified backoff limit".into()));
        } else if let Some(dl) = job.pointer("/spec/activeDeadlineSeconds").and_then(Value::as_i64)
            && secs_since(now, &started) >= dl as f64
        {
            fail = Some(("DeadlineExceeded", "Job was active longer than specified deadline".into()));
        }
        let mut n_active = active.len() as i64;
        if let Some((reason, msg)) = &fail {
            for p in &active {
                let _ = store.delete(pod_res, &ns, name_of(p), None, Some(0), None, now, false);
            }
            n_active = 0;
            set_condition(&mut st, "FailureTarget", "True", reason, msg, &ts, false);
            set_condition(&mut st, "Failed", "True", reason, msg, &ts, false);
            record_event(store, now, &job, "Warning", reason, msg, "job-controller");
        } else if succeeded >= completions {
            set_condition(&mut st, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", &ts, false);
            set_condition(&mut st, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", &ts, false);
            st["completionTime"] = json!(ts);
            record_event(store, now, &job, "Normal", "Completed", "Job completed", "job-controller");
        } else {
            let want = parallelism.min(completions - succeeded) - n_active;
            let tmpl = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
            for _ in 0..want.max(0) {
                let pod = pod_from_template(&tmpl, None, &format!("{name}-"), &job, &[]);
                if let Ok(p) = store.create(pod_res, &ns, pod, now, None, false) {
                    record_event(store, now, &job, "Normal", "SuccessfulCreate", &format!("Created pod: {}", name_of(&p)), "job-controller");
                    n_active += 1;
                }
            }
        }
        st["active"] = json!(n_active);
        st["succeeded"] = json!(succeeded);
        st["failed"] = json!(failed);
        st["ready"] = json!(active.iter().filter(|p| pod_ready(p)).count());
        st["terminating"] = json!(0);
        st["uncountedTerminatedPods"] = json!({});
        for f in ["active", "succeeded", "failed"] {
            if st[f] == json!(0) {
                st.as_object_mut().map(|m| m.remove(f));
            }
        }
        store.modify(job_res, &ns, &name, |o| o["status"] = st);
    }
}

/// Container restarts of OnFailure pods count as failures toward backoffLimit.
fn restarts(p: &Value) -> i64 {
    if p.pointer("/spec/restartPolicy").and_then(Value::as_str) != Some("OnFailure") {
        return 0;
    }
    p.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|c| c.get("restartCount").and_then(Value::as_i64).unwrap_or(0)).sum())
        .unwrap_or(0)
}
