//! Blue/green deploys. Blue is the main release as it runs now; green is the new version,
//! installed beside it as the helm release `RELEASE-green` (the chart's color release: objects
//! named `RELEASE-green-*`, pods labelled with the main release's instance plus
//! `lain.io/color: green`, no Ingresses, StatefulSets or CronJobs).
//!
//! Traffic is decided by the main release's Services only, through selector keys the chart
//! never renders (so neither helm 3's three-way merge nor helm 4's server-side apply ever
//! resets them):
//! - blue pinned: `pod-template-hash: H` (the blue Deployment's current ReplicaSet), set
//!   before green exists, so green pods (same instance and proc labels) get no traffic;
//! - green live: `lain.io/color: green` (blue pods have no color label).
//!
//! Each Service moves from one to the other in ONE merge patch that also rewrites its state
//! annotations (`lain.io/blue-green-*`), guarded by its resourceVersion. The state is on the
//! Services, where `kubectl describe svc` shows it next to the selector it explains.
//!
//! - [`deploy`]: pin blue, install green, wait for green's green light and `values.tests`,
//!   switch; any failure before the switch leaves traffic on blue (exit 4 / 5);
//! - [`rollback`]: switch back to blue (one patch per Service; blue never stopped);
//! - [`finish`]: green live → deploy green's tag as the main release (no traffic on it
//!   meanwhile), drop the color key (blue's new pods and green serve the same tag), uninstall
//!   green; blue live → uninstall green, wait for its pods to go, drop the pin.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use serde_json::{Value as J, json};

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::Kube;
use crate::kube::health::{INSTANCE_LABEL, KIND_LABEL, PROC_LABEL};
use crate::kube::services::{POD_TEMPLATE_HASH, annotation, label, selector};
use crate::output;

use super::deploy::{self, DeployOptions};
use super::release::{Target, block_on, run_helm};
use super::strategy::{StrategyAction, StrategyOutcome, check_name_lengths, green_release, has_tests};
use super::wait::green_matching;

pub const COLOR_LABEL: &str = "lain.io/color";
pub const GREEN: &str = "green";
/// `blue` or `green`: which color the Service selects.
pub const ANN_LIVE: &str = "lain.io/blue-green-live";
pub const ANN_BLUE_TAG: &str = "lain.io/blue-green-blue-tag";
pub const ANN_GREEN_TAG: &str = "lain.io/blue-green-green-tag";
/// The pod-template-hash that selects blue's pods.
pub const ANN_BLUE_HASH: &str = "lain.io/blue-green-blue-hash";
pub const ANN_SINCE: &str = "lain.io/blue-green-since";
pub const ANN_BY: &str = "lain.io/blue-green-by";
/// Set while `lain blue-green finish` replaces blue: no instant rollback from then on.
pub const ANN_FINISHING: &str = "lain.io/blue-green-finishing";
const ALL_ANNOTATIONS: &[&str] = &[ANN_LIVE, ANN_BLUE_TAG, ANN_GREEN_TAG, ANN_BLUE_HASH, ANN_SINCE, ANN_BY, ANN_FINISHING];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Blue,
    Green,
}

impl std::fmt::Display for Color {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Color::Blue => "blue",
            Color::Green => "green",
        })
    }
}

/// One main Service under blue/green control.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceState {
    pub name: String,
    pub proc_: String,
    pub live: Color,
    pub blue_hash: Option<String>,
}

/// A blue/green deploy in flight, as the main Services record it.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueGreenState {
    /// The color the Services select (the first Service's, when they disagree: see `services`).
    pub live: Color,
    pub blue_release: String,
    pub green_release: String,
    pub blue_tag: Option<String>,
    pub green_tag: Option<String>,
    pub since: Option<String>,
    pub by: Option<String>,
    /// `lain blue-green finish` began replacing blue.
    pub finishing: bool,
    pub services: Vec<ServiceState>,
    /// Pods of green (instance = main, lain.io/color = green), and how many are Ready.
    pub green_pods: usize,
    pub green_ready: usize,
}

impl BlueGreenState {
    /// One line for `lain status`: `blue/green: traffic on green (1700-abc, 2/2 Ready); blue
    /// 1600-def kept for rollback`.
    pub fn describe(&self) -> String {
        let blue = self.blue_tag.as_deref().unwrap_or("?");
        let green = self.green_tag.as_deref().unwrap_or("?");
        let pods = format!("{}/{} Ready", self.green_ready, self.green_pods);
        match (self.live, self.finishing) {
            (_, true) => format!("blue/green: finishing (green {green} becomes {}); traffic on {}", self.blue_release, self.live),
            (Color::Green, false) => format!("blue/green: traffic on green ({green}, {pods}); blue {blue} kept for `lain rollback --blue-green`"),
            (Color::Blue, false) => format!("blue/green: traffic on blue ({blue}); green {green} ({pods}) gets none: `lain blue-green finish` removes it"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BlueGreenOptions {
    pub sets: Vec<String>,
    pub timeout: Duration,
}

/// `app.kubernetes.io/instance=MAIN,lain.io/color=green`: green's pods and objects.
pub fn green_selector(main: &str) -> String {
    format!("{INSTANCE_LABEL}={main},{COLOR_LABEL}={GREEN}")
}

/// The main release's own Services (green's preview Services carry a color label).
fn main_services_selector(main: &str) -> String {
    format!("{INSTANCE_LABEL}={main},!{COLOR_LABEL}")
}

fn service_state(s: &Service) -> Option<ServiceState> {
    let live = match annotation(&s.metadata, ANN_LIVE)? {
        "green" => Color::Green,
        _ => Color::Blue,
    };
    Some(ServiceState {
        name: s.metadata.name.clone().unwrap_or_default(),
        proc_: label(&s.metadata, PROC_LABEL).unwrap_or("").to_string(),
        live,
        blue_hash: annotation(&s.metadata, ANN_BLUE_HASH).map(str::to_string),
    })
}

/// The blue/green state of the current app's release, or `None` (kube API only).
pub fn state(ctx: &Ctx) -> Result<Option<BlueGreenState>, LainError> {
    let t = Target::load(ctx, &[])?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        state_in(&kube, &t.release).await
    })?
}

/// The blue/green state of `main`: `Some` when a main Service carries the state annotations or
/// green pods exist (e.g. a green left behind by an interrupted deploy).
pub async fn state_in(kube: &Kube, main: &str) -> Result<Option<BlueGreenState>, LainError> {
    let (svc_sel, pod_sel) = (main_services_selector(main), green_selector(main));
    let (svcs, pods) = futures::join!(kube.services(&svc_sel), kube.pods(&pod_sel));
    let svcs = svcs?;
    let pods = pods?;
    let marked: Vec<&Service> = svcs.iter().filter(|s| annotation(&s.metadata, ANN_LIVE).is_some()).collect();
    if marked.is_empty() && pods.is_empty() {
        return Ok(None);
    }
    let first = marked.first().map(|s| &s.metadata);
    let ann = |k: &str| first.and_then(|m| annotation(m, k)).map(str::to_string);
    let services: Vec<ServiceState> = marked.iter().filter_map(|s| service_state(s)).collect();
    Ok(Some(BlueGreenState {
        live: services.first().map(|s| s.live).unwrap_or(Color::Blue),
        blue_release: main.to_string(),
        green_release: green_release(main),
        blue_tag: ann(ANN_BLUE_TAG),
        green_tag: ann(ANN_GREEN_TAG),
        since: ann(ANN_SINCE),
        by: ann(ANN_BY),
        finishing: ann(ANN_FINISHING).is_some(),
        green_pods: pods.iter().filter(|p| long_running(p)).count(),
        green_ready: pods.iter().filter(|p| long_running(p) && crate::kube::pods::is_ready(p)).count(),
        services,
    }))
}

/// A Deployment's pod that is not on its way out (job and test pods are not counted).
fn long_running(p: &k8s_openapi::api::core::v1::Pod) -> bool {
    p.metadata.deletion_timestamp.is_none() && label(&p.metadata, KIND_LABEL) == Some("deployment")
}

/// helm uninstall leaves hook objects behind (the test pods and hook Jobs of green): remove
/// them, so nothing labelled green outlives the green release.
async fn remove_green_hooks(kube: &Kube, main: &str) -> Result<(), LainError> {
    use k8s_openapi::api::batch::v1::Job;
    use kube::api::{DeleteParams, ListParams};
    let sel = green_selector(main);
    let jobs = kube.api::<Job>().list(&ListParams::default().labels(&sel)).await.map_err(|e| crate::kube::KubeError::api("listing green's jobs", e))?;
    for j in jobs.items {
        let name = j.metadata.name.clone().unwrap_or_default();
        match kube.api::<Job>().delete(&name, &DeleteParams::background()).await {
            Ok(_) => output::debug(&format!("deleted green's hook job {name}")),
            Err(e) if crate::kube::api_status(&e) == Some(404) => {}
            Err(e) => return Err(crate::kube::KubeError::api(format!("deleting job {name}"), e).into()),
        }
    }
    for p in kube.pods(&format!("{sel},{KIND_LABEL}=test")).await? {
        kube.delete_pod(p.metadata.name.as_deref().unwrap_or_default()).await?;
    }
    Ok(())
}

/// The main Services that route to Deployment procs (those blue/green switches), with the
/// Deployment each selects.
async fn switchable_services(kube: &Kube, t: &Target) -> Result<Vec<(Service, String)>, LainError> {
    let mut out = Vec::new();
    for s in kube.services(&main_services_selector(&t.release)).await? {
        let Some(proc_) = label(&s.metadata, PROC_LABEL).map(str::to_string) else { continue };
        let dep = format!("{}-{proc_}", t.release);
        if kube.deployment(&dep).await?.is_some() {
            out.push((s, dep));
        }
    }
    Ok(out)
}

fn now() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

fn main_tag(ctx: &Ctx, t: &Target) -> Option<String> {
    ctx.helm().get_values(&t.release, &t.namespace, None).ok().and_then(|v| v.get("imageTag").and_then(J::as_str).map(str::to_string))
}

fn outcome(ctx: &Ctx, t: &Target, action: StrategyAction, main_tag: Option<String>, green_tag: Option<String>) -> StrategyOutcome {
    StrategyOutcome {
        action,
        release: t.release.clone(),
        other_release: green_release(&t.release),
        main_tag,
        other_tag: green_tag,
        cluster: t.cluster.clone(),
        user: ctx.env.user.clone(),
    }
}

/// `lain deploy --blue-green`.
pub fn deploy(ctx: &Ctx, opts: &BlueGreenOptions) -> Result<StrategyOutcome, LainError> {
    let dopts = DeployOptions { sets: opts.sets.clone(), timeout: opts.timeout, no_wait: false, delete_after: None };
    let plan = deploy::plan(ctx, &dopts)?;
    let t = &plan.target;
    let helm = ctx.helm();
    let green_rel = green_release(&t.release);
    if plan.history.as_deref().and_then(|h| h.last()).is_none_or(|r| r.status != "deployed") {
        return Err(LainError::bad_input(format!(
            "{} is not deployed (and healthy in helm) on cluster {}: blue/green starts from a running blue\n    fix: `lain deploy` first",
            t.release, t.cluster
        )));
    }
    if let Some(c) = super::canary::state_of(&helm, &t.release, &t.namespace)? {
        return Err(LainError::bad_input(format!(
            "a canary ({}) is deployed: one strategy at a time\n    fix: `lain deploy --canary --final` or `lain deploy --canary --abort` first",
            c.release
        )));
    }
    if helm.history(&green_rel, &t.namespace)?.is_some_and(|h| h.last().is_some_and(|r| r.status != "uninstalled")) {
        return Err(LainError::bad_input(format!(
            "the green release {green_rel} exists: a blue/green deploy is in flight\n    fix: `lain blue-green status`, then `lain blue-green finish`"
        )));
    }
    check_name_lengths(&t.app, &green_rel)?;
    let mut app = t.app.clone();
    app.release_name = green_rel.clone();
    block_on(async {
        let kube = t.connect(ctx).await?;
        super::strategy::refuse_during_blue_green_in(&kube, &t.release, "lain deploy --blue-green").await?;
        let services = switchable_services(&kube, t).await?;
        if services.is_empty() {
            return Err(LainError::bad_input(format!(
                "{} has no Service of a deployment (no deployment proc with containerPort): blue/green switches Services, and there is none\n    fix: use `lain deploy` (rolling update)",
                t.release
            )));
        }
        // 1. Pin every Service to blue's current pods.
        let blue_tag = plan.old_tag.clone().unwrap_or_default();
        let since = now();
        for (svc, dep) in &services {
            let name = svc.metadata.name.clone().unwrap_or_default();
            let hash = kube.steady_template_hash(dep).await?.map_err(|why| {
                LainError::bad_input(format!("{why}: blue must be steady before blue/green pins traffic to it\n    fix: `lain wait`, then try again"))
            })?;
            let patch = json!({
                "metadata": {"annotations": {
                    ANN_LIVE: "blue", ANN_BLUE_TAG: blue_tag, ANN_GREEN_TAG: plan.tag, ANN_BLUE_HASH: hash,
                    ANN_SINCE: since, ANN_BY: ctx.env.user,
                }},
                "spec": {"selector": {POD_TEMPLATE_HASH: hash}},
            });
            kube.merge_patch_service(&name, patch, svc.metadata.resource_version.as_deref()).await?;
            output::info(&format!("service {name}: pinned to blue ({dep}, {POD_TEMPLATE_HASH}={hash}); green gets no traffic until it is green"));
        }
        // 2. Green beside blue.
        let stay = "traffic stays on blue; `lain blue-green finish` removes green";
        let mut injected = app.injected(&ctx.env.user, &plan.tag);
        injected.insert("releaseName".into(), json!(green_rel));
        injected.insert("blueGreen".into(), json!({"color": GREEN, "release": t.release}));
        run_helm(helm.upgrade_install(&app, &injected, opts.timeout)).await.map_err(|e| LainError::RolloutFailed { message: format!("{e}\n    {stay}") })?;
        // 3. Green light and tests, on green alone.
        let g = green_matching(&kube, &green_rel, &green_selector(&t.release), Some(&plan.tag), opts.timeout).await.map_err(|e| match e {
            LainError::RolloutFailed { message } => LainError::RolloutFailed { message: format!("{message}\n    {stay}") },
            LainError::TimedOut { message } => LainError::TimedOut { message: format!("{message}\n    {stay}") },
            other => other,
        })?;
        if has_tests(&app) {
            run_helm(helm.test(&green_rel, &t.namespace, opts.timeout))
                .await
                .map_err(|e| LainError::RolloutFailed { message: format!("helm test of green failed (values.tests):\n{e}\n    {stay}") })?;
        }
        output::success(&format!("green {green_rel} is green: {} pod{} on {}", g.pods, if g.pods == 1 { "" } else { "s" }, plan.tag));
        // 4. The switch: one patch per Service.
        switch_to_green(&kube, t).await?;
        output::success(&format!(
            "traffic on green ({}); blue ({blue_tag}) keeps running: `lain rollback --blue-green` switches back at once, `lain blue-green finish` makes green the main release and removes blue",
            plan.tag
        ));
        Ok(outcome(ctx, t, StrategyAction::BlueGreenSwitched, plan.old_tag.clone(), Some(plan.tag.clone())))
    })?
}

/// Every state Service: selector `lain.io/color: green` instead of the pin, in one patch each.
async fn switch_to_green(kube: &Kube, t: &Target) -> Result<(), LainError> {
    for s in kube.services(&main_services_selector(&t.release)).await? {
        if annotation(&s.metadata, ANN_LIVE).is_none() {
            continue;
        }
        let name = s.metadata.name.clone().unwrap_or_default();
        let patch = json!({
            "metadata": {"annotations": {ANN_LIVE: "green", ANN_SINCE: now()}},
            "spec": {"selector": {POD_TEMPLATE_HASH: null, COLOR_LABEL: GREEN}},
        });
        let s2 = kube.merge_patch_service(&name, patch, s.metadata.resource_version.as_deref()).await?;
        output::info(&format!("service {name}: selector {}", show_selector(&s2)));
    }
    Ok(())
}

fn show_selector(s: &Service) -> String {
    selector(s).iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

fn require(st: Option<BlueGreenState>, t: &Target, what: &str) -> Result<BlueGreenState, LainError> {
    st.ok_or_else(|| {
        LainError::bad_input(format!(
            "no blue/green deploy of {} is in flight on cluster {}: nothing to {what}\n    fix: `lain deploy --blue-green` starts one",
            t.release, t.cluster
        ))
    })
}

/// `lain rollback --blue-green`: the Services select blue again (one patch each). Refused when
/// traffic is already on blue, when finish has begun replacing blue, or when blue has no
/// Ready pod left.
pub fn rollback(ctx: &Ctx) -> Result<StrategyOutcome, LainError> {
    let t = Target::load(ctx, &[])?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        let st = require(state_in(&kube, &t.release).await?, &t, "roll back")?;
        if st.finishing {
            return Err(LainError::bad_input(
                "`lain blue-green finish` has begun replacing blue with green's version: blue is no longer there to switch to\n    fix: run `lain blue-green finish` again to complete it, then `lain rollback` (helm) if needed",
            ));
        }
        if st.services.iter().all(|s| s.live == Color::Blue) {
            return Err(LainError::bad_input(format!(
                "traffic is already on blue ({}, {})\n    fix: `lain blue-green finish` removes green",
                t.release,
                st.blue_tag.as_deref().unwrap_or("?")
            )));
        }
        for s in kube.services(&main_services_selector(&t.release)).await? {
            let Some(ss) = service_state(&s) else { continue };
            let hash = ss
                .blue_hash
                .clone()
                .ok_or_else(|| LainError::bad_input(format!("service {} has no {ANN_BLUE_HASH} annotation: cannot tell blue's pods", ss.name)))?;
            let blue_ready = kube
                .pods(&format!("{INSTANCE_LABEL}={},{PROC_LABEL}={},{POD_TEMPLATE_HASH}={hash}", t.release, ss.proc_))
                .await?
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none() && crate::kube::pods::is_ready(p))
                .count();
            if blue_ready == 0 {
                return Err(LainError::RolloutFailed {
                    message: format!(
                        "blue has no Ready pod for service {} ({POD_TEMPLATE_HASH}={hash}): switching would drop all traffic; traffic stays on green",
                        ss.name
                    ),
                });
            }
            let patch = json!({
                "metadata": {"annotations": {ANN_LIVE: "blue", ANN_SINCE: now()}},
                "spec": {"selector": {COLOR_LABEL: null, POD_TEMPLATE_HASH: hash}},
            });
            let s2 = kube.merge_patch_service(&ss.name, patch, s.metadata.resource_version.as_deref()).await?;
            output::info(&format!(
                "service {}: selector {} ({blue_ready} Ready blue pod{})",
                ss.name,
                show_selector(&s2),
                if blue_ready == 1 { "" } else { "s" }
            ));
        }
        output::success(&format!(
            "traffic back on blue ({}); green ({}) still runs for inspection: `lain blue-green finish` removes it",
            st.blue_tag.as_deref().unwrap_or("?"),
            st.green_tag.as_deref().unwrap_or("?")
        ));
        Ok(outcome(ctx, &t, StrategyAction::BlueGreenRolledBack, st.blue_tag.clone(), st.green_tag.clone()))
    })?
}

/// Drops the state annotations and the given selector key from every state Service.
async fn release_services(kube: &Kube, t: &Target, key: &str) -> Result<(), LainError> {
    for s in kube.services(&main_services_selector(&t.release)).await? {
        if annotation(&s.metadata, ANN_LIVE).is_none() && !selector(&s).contains_key(key) {
            continue;
        }
        let name = s.metadata.name.clone().unwrap_or_default();
        let ann: serde_json::Map<String, J> = ALL_ANNOTATIONS.iter().map(|k| (k.to_string(), J::Null)).collect();
        let patch = json!({"metadata": {"annotations": ann}, "spec": {"selector": {key: null}}});
        let s2 = kube.merge_patch_service(&name, patch, s.metadata.resource_version.as_deref()).await?;
        output::info(&format!("service {name}: selector {}", show_selector(&s2)));
    }
    Ok(())
}

/// `lain blue-green finish`.
///
/// Green live: deploy green's tag as the main release (the Services keep selecting green
/// meanwhile), then drop `lain.io/color` from the selectors and uninstall green. Blue live
/// (after `rollback --blue-green`, or a green that failed): uninstall green, wait until its
/// pods are gone, then drop the pin.
pub fn finish(ctx: &Ctx, sets: &[String], timeout: Duration) -> Result<StrategyOutcome, LainError> {
    let t = Target::load(ctx, sets)?;
    let helm = ctx.helm();
    let green_rel = green_release(&t.release);
    let st = block_on(async {
        let kube = t.connect(ctx).await?;
        state_in(&kube, &t.release).await
    })??;
    let green_installed = helm.history(&green_rel, &t.namespace)?.is_some();
    if st.is_none() && green_installed {
        // A green release with no pods and no state on the Services (interrupted before the
        // pin): nothing routes to it; just remove it.
        block_on(async {
            run_helm(helm.uninstall(&green_rel, &t.namespace)).await?;
            let kube = t.connect(ctx).await?;
            remove_green_hooks(&kube, &t.release).await
        })??;
        let tag = main_tag(ctx, &t);
        output::success(&format!("removed {green_rel}; {} stays on {}", t.release, tag.as_deref().unwrap_or("?")));
        return Ok(outcome(ctx, &t, StrategyAction::BlueGreenFinished { promoted: false }, tag, None));
    }
    let st = require(st, &t, "finish")?;
    if st.live == Color::Green && !st.services.is_empty() {
        let tag = st
            .green_tag
            .clone()
            .ok_or_else(|| LainError::bad_input(format!("the Services have no {ANN_GREEN_TAG} annotation: cannot tell green's version")))?;
        block_on(async {
            let kube = t.connect(ctx).await?;
            for s in kube.services(&main_services_selector(&t.release)).await? {
                if annotation(&s.metadata, ANN_LIVE).is_some() {
                    let name = s.metadata.name.clone().unwrap_or_default();
                    kube.merge_patch_service(&name, json!({"metadata": {"annotations": {ANN_FINISHING: now()}}}), None).await?;
                }
            }
            Ok::<_, LainError>(())
        })??;
        let mut all_sets = sets.to_vec();
        all_sets.push(format!("imageTag={tag}"));
        let dopts = DeployOptions { sets: all_sets, timeout, no_wait: false, delete_after: None };
        let plan = deploy::plan(ctx, &dopts)?;
        output::info(&format!("finishing: deploying green's {tag} as {} (traffic stays on green meanwhile)", t.release));
        deploy::execute(ctx, &plan, &dopts, &mut |_| {})?;
        block_on(async {
            let kube = t.connect(ctx).await?;
            release_services(&kube, &t, COLOR_LABEL).await?;
            if green_installed {
                run_helm(helm.uninstall(&green_rel, &t.namespace)).await?;
            }
            remove_green_hooks(&kube, &t.release).await
        })??;
        output::success(&format!("blue/green finished: {} runs {tag}; {green_rel} removed", t.release));
        return Ok(outcome(ctx, &t, StrategyAction::BlueGreenFinished { promoted: true }, Some(tag), st.green_tag.clone()));
    }
    block_on(async {
        let kube = t.connect(ctx).await?;
        if green_installed {
            run_helm(helm.uninstall(&green_rel, &t.namespace)).await?;
        }
        remove_green_hooks(&kube, &t.release).await?;
        // Unpinned, the selector matches every pod of the proc: green's must be gone first.
        let start = Instant::now();
        loop {
            let left = kube.pods(&green_selector(&t.release)).await?.iter().filter(|p| long_running(p)).count();
            if left == 0 {
                break;
            }
            if start.elapsed() > timeout {
                return Err(LainError::TimedOut {
                    message: format!("{left} green pod(s) still there after {}s; the Services stay pinned to blue", timeout.as_secs()),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        release_services(&kube, &t, POD_TEMPLATE_HASH).await
    })??;
    let tag = main_tag(ctx, &t);
    output::success(&format!(
        "blue/green finished: green ({}) removed; {} stays on {}",
        st.green_tag.as_deref().unwrap_or("?"),
        t.release,
        tag.as_deref().unwrap_or("?")
    ));
    Ok(outcome(ctx, &t, StrategyAction::BlueGreenFinished { promoted: false }, tag, st.green_tag.clone()))
}
