//! `lain deploy --delete-after DURATION`: a temporary release (a review app, a load test, a
//! demo) that the cluster uninstalls by itself, because lain has no server of its own and the
//! laptop that deployed may be closed by then.
//!
//! The deletion is a CronJob named RELEASE-expire (outside the release, so helm never deletes
//! or rolls it back), scheduled for the minute the release expires, in UTC. Its pod runs the
//! lain image (`lain_image` in the cluster values: it carries helm and kubectl) with the
//! cluster's `lain_service_account`, and does what a person would:
//!
//! ```sh
//! helm uninstall RELEASE --namespace NS --ignore-not-found --wait
//! kubectl delete cronjob RELEASE-expire --namespace NS --ignore-not-found --wait=false
//! ```
//!
//! Why a CronJob rather than a pod sleeping until the time: a sleeping pod is lost to an
//! eviction or a node drain, and holds resources for hours; a CronJob is kept by the control
//! plane and starts its pod only when due, even if the controller was briefly down then.
//! Deleting the CronJob last takes its Job and pod with it (garbage collection), so nothing is
//! left; a failed run keeps its Job for `kubectl logs job/...`.
//!
//! The expiry time comes from the API server's clock (its `Date` header), not the laptop's:
//! the CronJob fires on the server's clock, and laptops and VMs drift.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, PodTemplateSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, Patch, PatchParams};

use crate::config::ClusterConfig;
use crate::error::LainError;
use crate::kube::{Kube, KubeError, api_status};

/// What `--delete-after` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteAfter {
    /// Uninstall the release this long after the deploy.
    After(Duration),
    /// Cancel a deletion scheduled by an earlier deploy.
    Never,
}

/// clap's parser for `--delete-after`: a duration (`90m`, `8h`, `2d`) or `never`.
pub fn parse(s: &str) -> Result<DeleteAfter, String> {
    if s.trim() == "never" {
        return Ok(DeleteAfter::Never);
    }
    let d = super::release::parse_duration(s).map_err(|e| format!("{e}, or `never` to cancel a scheduled deletion"))?;
    if d < Duration::from_secs(60) {
        return Err(format!("{s:?} is less than a minute: the deletion runs as a CronJob, which has minute granularity"));
    }
    Ok(DeleteAfter::After(d))
}

pub const LABEL: &str = "lain.io/delete-after";
pub const AT_ANNOTATION: &str = "lain.io/delete-at";
const BY_ANNOTATION: &str = "lain.io/requested-by";
const FIELD_MANAGER: &str = "lain";
const MAX_CRONJOB_NAME: usize = 52;

/// A scheduled deletion, as read back from the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub release: String,
    pub cronjob: String,
    pub at: Timestamp,
}

impl Expiry {
    pub fn describe(&self, now: Timestamp) -> String {
        let left = self.at.as_second() - now.as_second();
        let when = if left > 0 { format!("in {}", human(Duration::from_secs(left as u64))) } else { "now".to_string() };
        format!("{} will be uninstalled at {} UTC ({when}) by CronJob {}", self.release, self.at.strftime("%Y-%m-%d %H:%M"), self.cronjob)
    }
}

fn human(d: Duration) -> String {
    let m = d.as_secs().div_ceil(60);
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// `RELEASE-expire`; CronJob names are limited to 52 characters (the Jobs it makes add 11), so a
/// long release name is cut and made unique with a hash of the whole name.
pub fn cronjob_name(release: &str) -> String {
    let name = format!("{release}-expire");
    if name.len() <= MAX_CRONJOB_NAME {
        return name;
    }
    let hash = release.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let keep = MAX_CRONJOB_NAME - "-ffffff-expire".len();
    format!("{}-{:06x}-expire", release[..keep].trim_end_matches('-'), hash & 0xff_ffff)
}

/// The first whole minute at or after `now + after` (a CronJob fires on minute boundaries).
pub fn due(now: Timestamp, after: Duration) -> Timestamp {
    let t = now.as_second() + after.as_secs() as i64;
    let rounded = if now.subsec_nanosecond() == 0 && t % 60 == 0 { t } else { (t.div_euclid(60) + 1) * 60 };
    Timestamp::from_second(rounded).unwrap_or(now)
}

/// The cron expression for one minute of the year, in UTC.
pub fn schedule(at: Timestamp) -> String {
    let t = at.to_zoned(jiff::tz::TimeZone::UTC);
    format!("{} {} {} {} *", t.minute(), t.hour(), t.day(), t.month())
}

/// The shell script the CronJob's pod runs (its inputs come from the environment, so nothing
/// needs quoting).
pub const SCRIPT: &str = r#"set -eu
echo "lain deploy --delete-after: uninstalling $RELEASE (requested by $REQUESTED_BY, due $DELETE_AT)"
helm uninstall "$RELEASE" --namespace "$NAMESPACE" --ignore-not-found --wait --timeout 10m
kubectl delete cronjob "$CRONJOB" --namespace "$NAMESPACE" --ignore-not-found --wait=false
"#;

/// The CronJob that uninstalls `release` at `at`.
pub fn cronjob(release: &str, namespace: &str, at: Timestamp, image: &str, service_account: Option<&str>, user: &str) -> CronJob {
    let name = cronjob_name(release);
    let at_s = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let labels = BTreeMap::from([("app.kubernetes.io/managed-by".to_string(), "lain".to_string()), (LABEL.to_string(), release.to_string())]);
    let env = [("RELEASE", release), ("NAMESPACE", namespace), ("CRONJOB", name.as_str()), ("DELETE_AT", at_s.as_str()), ("REQUESTED_BY", user)]
        .into_iter()
        .map(|(k, v)| EnvVar { name: k.into(), value: Some(v.into()), ..Default::default() })
        .collect();
    let small = BTreeMap::from([("cpu".to_string(), Quantity("100m".into())), ("memory".to_string(), Quantity("128Mi".into()))]);
    let container = Container {
        name: "delete".into(),
        image: Some(image.into()),
        command: Some(vec!["sh".into(), "-c".into(), SCRIPT.into()]),
        env: Some(env),
        resources: Some(ResourceRequirements { requests: Some(small.clone()), limits: Some(small), ..Default::default() }),
        ..Default::default()
    };
    let pod = PodSpec {
        containers: vec![container],
        restart_policy: Some("Never".into()),
        service_account_name: service_account.map(str::to_string),
        ..Default::default()
    };
    CronJob {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.into()),
            labels: Some(labels.clone()),
            annotations: Some(BTreeMap::from([(AT_ANNOTATION.to_string(), at_s), (BY_ANNOTATION.to_string(), user.to_string())])),
            ..Default::default()
        },
        spec: Some(CronJobSpec {
            schedule: schedule(at),
            time_zone: Some("Etc/UTC".into()),
            concurrency_policy: Some("Forbid".into()),
            successful_jobs_history_limit: Some(0),
            failed_jobs_history_limit: Some(1),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels.clone()), ..Default::default() }),
                spec: Some(JobSpec {
                    backoff_limit: Some(2),
                    active_deadline_seconds: Some(3600),
                    template: PodTemplateSpec { metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }), spec: Some(pod) },
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    }
}

/// The lain image the deletion runs in, or the error that tells the SA what to add.
pub fn image(cluster: &ClusterConfig) -> Result<&str, LainError> {
    cluster.lain_image.as_deref().ok_or_else(|| {
        LainError::bad_input(format!(
            "--delete-after needs `lain_image` in the configuration of cluster {} ({}): the deletion runs helm inside the cluster, from the lain image (Dockerfile.ci)\n    fix: ask your SA to add `lain_image: REGISTRY/lain:TAG` (and `lain_service_account`, allowed to uninstall releases) to cluster_values/values-{}.yaml",
            cluster.name, cluster.source, cluster.name
        ))
    })
}

/// The API server's clock, from the `Date` header of a cheap request; the local clock when the
/// server does not send one.
pub async fn server_now(kube: &Kube) -> Timestamp {
    let req = http::Request::get("/version").body(Vec::new());
    let Ok(req) = req else { return Timestamp::now() };
    match kube.client.send(req.map(Into::into)).await {
        Ok(resp) => resp
            .headers()
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
            .map(|z| z.timestamp())
            .unwrap_or_else(Timestamp::now),
        Err(_) => Timestamp::now(),
    }
}

/// Creates or replaces the release's deletion CronJob (server-side apply, so a second deploy
/// with another `--delete-after` moves the date). Returns it with the server's time of asking.
pub async fn schedule_deletion(
    kube: &Kube,
    release: &str,
    after: Duration,
    image: &str,
    service_account: Option<&str>,
    user: &str,
) -> Result<(Expiry, Timestamp), KubeError> {
    let now = server_now(kube).await;
    let at = due(now, after);
    let cj = cronjob(release, &kube.namespace, at, image, service_account, user);
    let name = cronjob_name(release);
    kube.api::<CronJob>()
        .patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&cj))
        .await
        .map_err(|e| KubeError::api(format!("creating CronJob {name} (--delete-after)"), e))?;
    Ok((Expiry { release: release.to_string(), cronjob: name, at }, now))
}

/// The deletion scheduled for `release`, if any.
pub async fn current(kube: &Kube, release: &str) -> Result<Option<Expiry>, KubeError> {
    let name = cronjob_name(release);
    let cj = match kube.api::<CronJob>().get_opt(&name).await {
        Ok(c) => c,
        Err(e) => return Err(KubeError::api(format!("reading CronJob {name}"), e)),
    };
    let Some(cj) = cj else { return Ok(None) };
    // Only lain's own CronJob: an app's cronjob could be called RELEASE-expire too.
    if cj.metadata.labels.as_ref().and_then(|l| l.get(LABEL)).map(String::as_str) != Some(release) {
        return Ok(None);
    }
    let at = cj.metadata.annotations.as_ref().and_then(|a| a.get(AT_ANNOTATION)).and_then(|s| s.parse::<Timestamp>().ok());
    Ok(at.map(|at| Expiry { release: release.to_string(), cronjob: name, at }))
}

/// Removes the scheduled deletion; true when there was one.
pub async fn cancel(kube: &Kube, release: &str) -> Result<bool, KubeError> {
    if current(kube, release).await?.is_none() {
        return Ok(false);
    }
    let name = cronjob_name(release);
    match kube.api::<CronJob>().delete(&name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(e) if api_status(&e) == Some(404) => Ok(false),
        Err(e) => Err(KubeError::api(format!("deleting CronJob {name}"), e)),
    }
}

#[cfg(test)]
#[path = "delete_after_tests.rs"]
mod tests;
