//! Canary deploys, lain's design: the new version runs as a second helm release
//! `RELEASE-canary` (the main release's values, `releaseName` and `canaryGroup` injected) whose
//! Ingresses are ingress-nginx canaries of the main ones, carrying the annotations of one group
//! of `canaryGroups` (by header, header value, cookie or weight).
//!
//! - [`deploy`] (`lain deploy --canary [--group G]`): install the canary, wait for its green
//!   light and `values.tests`;
//! - [`set_group`] (`lain set-canary-group G`): `helm upgrade RELEASE-canary --reuse-values
//!   --set-string canaryGroup=G`, i.e. only the canary Ingresses' annotations change;
//! - [`abort`] (`lain deploy --canary --abort`): uninstall the canary;
//! - [`promote`] (`lain deploy --canary --final`): deploy the canary's tag as the main release
//!   (the ordinary deploy with its green light), then uninstall the canary.
//!
//! The canary's state lives in helm (its release and values), read by [`state`].

use std::time::Duration;

use serde_json::{Value as J, json};

use crate::context::Ctx;
use crate::error::LainError;
use crate::helm::Helm;
use crate::kube::pods::release_selector;
use crate::output;

use super::deploy::{self, DeployOptions};
use super::release::{Target, block_on, run_helm};
use super::strategy::{StrategyAction, StrategyOutcome, canary_groups, canary_release, check_name_lengths, has_ingresses, has_tests, list_or_none};
use super::wait::green;

/// The annotation ingress-nginx reads to treat an Ingress as the canary of another one with
/// the same host and path.
pub const CANARY_ANNOTATION: &str = "nginx.ingress.kubernetes.io/canary";

/// A canary release, as helm records it.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryState {
    pub release: String,
    /// The image tag the canary runs.
    pub tag: Option<String>,
    /// The group from `canaryGroups` its Ingresses carry.
    pub group: Option<String>,
    /// The groups the canary release was given (what `set-canary-group` can switch to).
    pub groups: Vec<String>,
    pub revision: u32,
    /// helm's status of the last revision: `deployed`, or `failed` / `pending-*` when the last
    /// change did not finish.
    pub status: String,
}

impl CanaryState {
    /// One line for `lain status`: `canary dummy-canary: 1700-abc, group small (deployed)`.
    pub fn describe(&self) -> String {
        format!("canary {}: {}, group {} ({})", self.release, self.tag.as_deref().unwrap_or("?"), self.group.as_deref().unwrap_or("?"), self.status)
    }
}

#[derive(Debug, Clone)]
pub struct CanaryOptions {
    /// `--set` expressions (as for `lain deploy`).
    pub sets: Vec<String>,
    pub timeout: Duration,
    /// `--group`; default: the group named `default`, else the only group.
    pub group: Option<String>,
    pub no_wait: bool,
}

/// The canary of the current app's release, or `None`.
pub fn state(ctx: &Ctx) -> Result<Option<CanaryState>, LainError> {
    let t = Target::load(ctx, &[])?;
    state_of(&ctx.helm(), &t.release, &t.namespace)
}

/// The canary of `main_release` (helm history + values; two helm calls).
pub fn state_of(helm: &Helm, main_release: &str, namespace: &str) -> Result<Option<CanaryState>, LainError> {
    let release = canary_release(main_release);
    let Some(history) = helm.history(&release, namespace)? else { return Ok(None) };
    let Some(last) = history.last() else { return Ok(None) };
    if last.status == "uninstalled" {
        return Ok(None);
    }
    // Computed values (`--all`): canaryGroups usually sit in the chart's values.yaml, which helm
    // does not count as user-supplied.
    let values = all_values(helm, &release, namespace).unwrap_or(J::Null);
    let mut groups: Vec<String> = values.get("canaryGroups").and_then(J::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default();
    groups.sort();
    Ok(Some(CanaryState {
        release,
        tag: values.get("imageTag").and_then(J::as_str).map(str::to_string),
        group: values.get("canaryGroup").and_then(J::as_str).map(str::to_string),
        groups,
        revision: last.revision,
        status: last.status.clone(),
    }))
}

/// `helm get values RELEASE --all -o json`.
fn all_values(helm: &Helm, release: &str, namespace: &str) -> Result<J, LainError> {
    let cmd = helm.cmd().args(["get", "values", release, "--namespace", namespace, "--all", "-o", "json"]).quiet();
    let out = cmd.output()?;
    serde_json::from_str(out.stdout.trim()).map_err(|e| crate::helm::HelmError::Output { command: cmd.to_string(), reason: e.to_string() }.into())
}

/// Which group a new canary takes: `--group`, else `default`, else the only one.
pub fn pick_group(requested: Option<&str>, groups: &[String]) -> Result<String, String> {
    if groups.is_empty() {
        return Err("no canaryGroups are defined, so the canary Ingresses would not know whom to serve\n    fix: add groups to chart/values.yaml, e.g.\n      canaryGroups:\n        internal:\n          nginx.ingress.kubernetes.io/canary-by-header-value: canary\n        small:\n          nginx.ingress.kubernetes.io/canary-weight: \"10\"".into());
    }
    match requested {
        Some(g) if groups.iter().any(|x| x == g) => Ok(g.to_string()),
        Some(g) => Err(format!("canary group {g:?} is not in canaryGroups (defined: {})", groups.join(", "))),
        None if groups.iter().any(|x| x == "default") => Ok("default".into()),
        None if groups.len() == 1 => Ok(groups[0].clone()),
        None => Err(format!("which canary group? pass --group GROUP (defined: {})", groups.join(", "))),
    }
}

fn canary_app(t: &Target) -> crate::config::AppConfig {
    let mut app = t.app.clone();
    app.release_name = canary_release(&t.release);
    app
}

fn outcome(ctx: &Ctx, t: &Target, action: StrategyAction, main_tag: Option<String>, canary_tag: Option<String>) -> StrategyOutcome {
    StrategyOutcome {
        action,
        release: t.release.clone(),
        other_release: canary_release(&t.release),
        main_tag,
        other_tag: canary_tag,
        cluster: t.cluster.clone(),
        user: ctx.env.user.clone(),
    }
}

/// `lain deploy --canary`. Refuses when the main release is not deployed, a canary exists, a
/// blue/green deploy is in flight, the values have no ingresses, or the group is unknown.
pub fn deploy(ctx: &Ctx, opts: &CanaryOptions) -> Result<StrategyOutcome, LainError> {
    let dopts = DeployOptions { sets: opts.sets.clone(), timeout: opts.timeout, no_wait: opts.no_wait, delete_after: None };
    let plan = deploy::plan(ctx, &dopts)?;
    let t = &plan.target;
    let helm = ctx.helm();
    let canary = canary_release(&t.release);
    if !plan.history.as_deref().is_some_and(|h| h.iter().any(|r| r.was_deployed())) {
        return Err(LainError::bad_input(format!(
            "{} is not deployed on cluster {}: a canary takes part of the main release's traffic, so there must be one\n    fix: `lain deploy` first",
            t.release, t.cluster
        )));
    }
    if let Some(s) = state_of(&helm, &t.release, &t.namespace)? {
        return Err(LainError::bad_input(format!(
            "a canary is already deployed: {} (tag {}, group {}, {})\n    fix: `lain set-canary-group GROUP` to change who sees it, `lain deploy --canary --final` to promote it, or `lain deploy --canary --abort` to remove it",
            s.release,
            s.tag.as_deref().unwrap_or("?"),
            s.group.as_deref().unwrap_or("?"),
            s.status
        )));
    }
    block_on(async {
        let kube = t.connect(ctx).await?;
        super::strategy::refuse_during_blue_green_in(&kube, &t.release, "lain deploy --canary").await
    })??;
    if !has_ingresses(&t.app) {
        return Err(LainError::bad_input(format!(
            "{} has no ingresses: a canary is an ingress-nginx canary Ingress beside the main one, and there is none to split\n    fix: add `ingresses` (or `externalIngresses`) to chart/values.yaml, or use `lain deploy --blue-green`",
            t.appname
        )));
    }
    let group = pick_group(opts.group.as_deref(), &canary_groups(&t.app)).map_err(LainError::bad_input)?;
    check_name_lengths(&t.app, &canary)?;
    let app = canary_app(t);
    block_on(async {
        let kube = t.connect(ctx).await?;
        let mut injected = app.injected(&ctx.env.user, &plan.tag);
        injected.insert("releaseName".into(), json!(canary));
        injected.insert("canaryGroup".into(), json!(group));
        run_helm(helm.upgrade_install(&app, &injected, opts.timeout)).await?;
        if !opts.no_wait {
            let g = green(&kube, &canary, Some(&plan.tag), opts.timeout, None).await.map_err(|e| with_hint(e, &canary))?;
            if has_tests(&app) {
                run_helm(helm.test(&canary, &t.namespace, opts.timeout)).await.map_err(|e| LainError::RolloutFailed {
                    message: format!(
                        "helm test of the canary failed (values.tests):\n{e}\n    the canary is still deployed: `lain deploy --canary --abort` removes it"
                    ),
                })?;
            }
            output::success(&format!("canary {canary} is green: {} pod{} on {}", g.pods, if g.pods == 1 { "" } else { "s" }, plan.tag));
        }
        let ann = ingress_annotations(&kube, &canary).await.unwrap_or_default();
        output::info(&format!("canary ingresses of {canary} (group {group}): {}", if ann.is_empty() { "none found".to_string() } else { ann.join("; ") }));
        output::info(&format!(
            "{} stays on {}. Next: `lain set-canary-group GROUP` ({}), `lain deploy --canary --final` to promote, `lain deploy --canary --abort` to remove",
            t.release,
            plan.old_tag.as_deref().unwrap_or("?"),
            canary_groups(&t.app).join(", ")
        ));
        Ok(outcome(ctx, t, StrategyAction::CanaryDeployed { group: group.clone() }, plan.old_tag.clone(), Some(plan.tag.clone())))
    })?
}

fn with_hint(e: LainError, canary: &str) -> LainError {
    match e {
        LainError::RolloutFailed { message } => LainError::RolloutFailed {
            message: format!(
                "{message}\n    the main release is untouched; the failed canary still takes its group's traffic: `lain deploy --canary --abort` removes it"
            ),
        },
        LainError::TimedOut { message } => {
            LainError::TimedOut { message: format!("{message}\n    `lain deploy --canary --abort` removes the canary {canary}") }
        }
        other => other,
    }
}

/// `name: key=value, ...` for each Ingress of `release` (for the terminal and tests).
async fn ingress_annotations(kube: &crate::kube::Kube, release: &str) -> Result<Vec<String>, LainError> {
    let ings = kube.ingresses(&release_selector(release)).await?;
    Ok(ings
        .iter()
        .map(|i| {
            let ann = i
                .metadata
                .annotations
                .as_ref()
                .map(|a| {
                    a.iter()
                        .filter(|(k, _)| k.starts_with(CANARY_ANNOTATION))
                        .map(|(k, v)| format!("{}={v}", k.trim_start_matches("nginx.ingress.kubernetes.io/")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("{}: {ann}", i.metadata.name.as_deref().unwrap_or("?"))
        })
        .collect())
}

fn require(ctx: &Ctx, t: &Target, what: &str) -> Result<CanaryState, LainError> {
    state_of(&ctx.helm(), &t.release, &t.namespace)?.ok_or_else(|| {
        LainError::bad_input(format!(
            "{} has no canary on cluster {} (no release {}), so there is nothing to {what}\n    fix: `lain deploy --canary` first",
            t.release,
            t.cluster,
            canary_release(&t.release)
        ))
    })
}

/// `lain set-canary-group GROUP`: only the canary Ingresses change (helm upgrade of the canary
/// release with its own values and `canaryGroup=GROUP`).
pub fn set_group(ctx: &Ctx, group: &str, timeout: Duration) -> Result<StrategyOutcome, LainError> {
    let t = Target::load(ctx, &[])?;
    let s = require(ctx, &t, "switch")?;
    // `--reuse-values` renders with the release's values over the working tree's values.yaml:
    // a group from either exists.
    let mut known = s.groups.clone();
    known.extend(canary_groups(&t.app));
    known.sort();
    known.dedup();
    if !known.iter().any(|g| g == group) {
        return Err(LainError::bad_input(format!("canary group {group:?} is not in canaryGroups (defined: {})", list_or_none(&known))));
    }
    let helm = ctx.helm();
    let app = canary_app(&t);
    let main_tag = helm.get_values(&t.release, &t.namespace, None).ok().and_then(|v| v.get("imageTag").and_then(J::as_str).map(str::to_string));
    block_on(async {
        run_helm(helm.upgrade_reuse_values(&app, &[("canaryGroup".to_string(), group.to_string())], timeout)).await?;
        let kube = t.connect(ctx).await?;
        let ann = ingress_annotations(&kube, &s.release).await.unwrap_or_default();
        output::success(&format!("canary {} now serves group {group}: {}", s.release, ann.join("; ")));
        Ok::<_, LainError>(())
    })??;
    Ok(outcome(ctx, &t, StrategyAction::CanaryGroupSet { from: s.group.clone(), to: group.to_string() }, main_tag, s.tag.clone()))
}

/// `lain deploy --canary --abort`: uninstall the canary release; all traffic goes back to the
/// main Ingresses at once.
pub fn abort(ctx: &Ctx) -> Result<StrategyOutcome, LainError> {
    let t = Target::load(ctx, &[])?;
    let s = require(ctx, &t, "abort")?;
    let helm = ctx.helm();
    let main_tag = helm.get_values(&t.release, &t.namespace, None).ok().and_then(|v| v.get("imageTag").and_then(J::as_str).map(str::to_string));
    block_on(run_helm(helm.uninstall(&s.release, &t.namespace)))??;
    output::success(&format!(
        "canary {} ({}) removed; all traffic on {} ({})",
        s.release,
        s.tag.as_deref().unwrap_or("?"),
        t.release,
        main_tag.as_deref().unwrap_or("?")
    ));
    Ok(outcome(ctx, &t, StrategyAction::CanaryAborted, main_tag, s.tag))
}

/// `lain deploy --canary --final`: deploy the canary's tag as the main release (with today's
/// values, like `lain deploy --set imageTag=TAG`), wait for its green light, then remove the
/// canary. When the main deploy fails the canary stays.
pub fn promote(ctx: &Ctx, sets: &[String], timeout: Duration) -> Result<StrategyOutcome, LainError> {
    let t = Target::load(ctx, sets)?;
    let s = require(ctx, &t, "promote")?;
    if s.status != "deployed" {
        return Err(LainError::bad_input(format!(
            "the canary {} is {} (revision {}), not deployed: promoting it would ship a version that never came up\n    fix: `lain deploy --canary --abort`",
            s.release, s.status, s.revision
        )));
    }
    let tag = s.tag.clone().ok_or_else(|| LainError::bad_input(format!("the canary {} has no imageTag in its values", s.release)))?;
    // Promote only what runs: helm "deployed" says nothing about the pods.
    block_on(async {
        let kube = t.connect(ctx).await?;
        let objects = kube.release_objects(&s.release).await?;
        match crate::kube::health::verdict(&objects.pods, &objects.deployments, &objects.statefulsets, Some(&tag)) {
            crate::kube::health::Verdict::Green => Ok(()),
            crate::kube::health::Verdict::Progressing { waiting_for } => Err(LainError::bad_input(format!(
                "the canary {} is not green yet (waiting for: {}): not promoting it\n    fix: `lain deploy --canary` again once it is up, or `lain deploy --canary --abort`",
                s.release,
                waiting_for.join("; ")
            ))),
            crate::kube::health::Verdict::Failed(problems) => Err(LainError::bad_input(format!(
                "the canary {} is broken, not promoting it:\n{}\n    fix: `lain deploy --canary --abort`",
                s.release,
                crate::kube::report::describe(&kube, &problems).await.trim_end()
            ))),
        }
    })??;
    let mut all_sets = sets.to_vec();
    all_sets.push(format!("imageTag={tag}"));
    let dopts = DeployOptions { sets: all_sets, timeout, no_wait: false, delete_after: None };
    let plan = deploy::plan(ctx, &dopts)?;
    output::info(&format!("promoting canary {} ({tag}): deploying it as {}", s.release, t.release));
    deploy::execute(ctx, &plan, &dopts, &mut |_| {})?;
    block_on(run_helm(ctx.helm().uninstall(&s.release, &t.namespace)))??;
    output::success(&format!("{} runs {tag}; canary {} removed", t.release, s.release));
    Ok(outcome(ctx, &t, StrategyAction::CanaryPromoted, Some(tag.clone()), Some(tag)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn group_choice() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(pick_group(Some("small"), &g(&["big", "small"])), Ok("small".into()));
        assert_eq!(pick_group(None, &g(&["default", "small"])), Ok("default".into()));
        assert_eq!(pick_group(None, &g(&["only"])), Ok("only".into()));
        let e = pick_group(None, &g(&["big", "small"])).unwrap_err();
        assert!(e.contains("--group") && e.contains("big, small"), "{e}");
        let e = pick_group(Some("huge"), &g(&["big", "small"])).unwrap_err();
        assert!(e.contains("\"huge\"") && e.contains("big, small"), "{e}");
        assert!(pick_group(None, &[]).unwrap_err().contains("canaryGroups"));
    }
}
