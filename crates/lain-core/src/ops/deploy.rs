//! `lain deploy`: `helm upgrade --install` with the injected values, then the green light.
//!
//! The flow is split so the binary can put lint and `--build` between planning (which knows the
//! tag) and executing:
//!
//! 1. [`plan`]: load the app, decide the image tag (`--set imageTag=...` wins over the current
//!    commit's), read the release's history and the tag it runs now;
//! 2. (the binary: lint, build and push when asked)
//! 3. [`execute`]: recover a release stuck in `pending-*` (only with `--auto-pilot`), run helm,
//!    hand the [`DeployOutcome`] to the caller (webhook) as soon as helm succeeded, wait for
//!    green, run `helm test` when `values.tests` exist.
//!
//! Exit codes: helm failed 3, rollout failed 4, timed out 5 (see `lain_core::error::exit`).

use std::time::{Duration, Instant};

use serde_json::{Map, Value as J};

use crate::config::AppConfig;
use crate::context::Ctx;
use crate::error::LainError;
use crate::helm::{Revision, last_deployed, revision_from_output};
use crate::kube::Kube;
use crate::kube::health::{KIND_LABEL, pod_problems};
use crate::kube::report::describe;
use crate::{git, output};

use super::delete_after::{self, DeleteAfter};
use super::release::{Target, block_on, run_helm};
use super::wait::{DEFAULT_TIMEOUT, green};

#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// `--set` expressions (helm syntax).
    pub sets: Vec<String>,
    /// How long to wait for the green light (and helm's own timeout for hook Jobs).
    pub timeout: Duration,
    /// `--no-wait`: return once helm succeeded.
    pub no_wait: bool,
    /// `--delete-after`: schedule (or cancel) the release's uninstall.
    pub delete_after: Option<DeleteAfter>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions { sets: vec![], timeout: DEFAULT_TIMEOUT, no_wait: false, delete_after: None }
    }
}

/// What a deploy changed; handed to the deploy webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployOutcome {
    pub release: String,
    pub revision: u32,
    /// The tag the release ran before (None on a first install).
    pub old_tag: Option<String>,
    pub new_tag: String,
    pub cluster: String,
    pub user: String,
}

/// Everything decided before touching the cluster.
pub struct DeployPlan {
    pub target: Target,
    pub tag: String,
    pub history: Option<Vec<Revision>>,
    pub old_tag: Option<String>,
    /// When planning began, and the time spent in helm while planning (for [`Timings`]).
    pub started: Instant,
    pub helm_time: Duration,
}

impl DeployPlan {
    pub fn app(&self) -> &AppConfig {
        &self.target.app
    }
}

/// Where the time of a deploy went (printed with `-v`; the benchmark reads it).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub total: Duration,
    pub helm: Duration,
    pub wait: Duration,
}

/// What planning learns from helm: the history, the tag running now, time spent in helm.
type ReleaseState = (Option<Vec<Revision>>, Option<String>, Duration);

/// The tag a user pinned with `--set imageTag=...`, if any (the last one wins, as in helm).
fn set_tag(sets: &[String]) -> Option<String> {
    sets.iter()
        .filter_map(|s| crate::config::set::parse(s).ok())
        .filter_map(|n| n.get("imageTag").and_then(|t| t.as_str().map(str::to_string).or_else(|| Some(t.to_json().to_string()))))
        .next_back()
}

pub fn plan(ctx: &Ctx, opts: &DeployOptions) -> Result<DeployPlan, LainError> {
    let started = Instant::now();
    let target = Target::load(ctx, &opts.sets)?;
    let helm = ctx.helm();
    // The tag and the release's state are independent: git and helm run side by side.
    let (tag, state) = std::thread::scope(|s| {
        let h = s.spawn(|| -> Result<ReleaseState, LainError> {
            let t0 = Instant::now();
            let history = target.history(&helm)?;
            let old_tag = match history.as_ref().and_then(|h| h.last()) {
                // Informational (for the webhook): a release whose values cannot be read still
                // deploys.
                Some(_) => {
                    helm.get_values(&target.release, &target.namespace, None).ok().and_then(|v| v.get("imageTag").and_then(J::as_str).map(str::to_string))
                }
                None => None,
            };
            Ok((history, old_tag, t0.elapsed()))
        });
        let tag = match set_tag(&opts.sets) {
            Some(t) => Ok(t),
            None => git::commit_tag(&target.app.repo_dir).map_err(|e| LainError::bad_input(e.to_string())),
        };
        let state = h.join().unwrap_or_else(|_| Err(LainError::bad_input("reading the release history failed")));
        (tag, state)
    });
    let (history, old_tag, helm_time) = state?;
    Ok(DeployPlan { target, tag: tag?, history, old_tag, started, helm_time })
}

/// A release stuck in `pending-*`: refuse, or (auto-pilot) roll it back to the last deployed
/// revision. Returns true when it did something.
pub async fn recover_pending(ctx: &Ctx, t: &Target, history: Option<&[Revision]>, timeout: Duration) -> Result<bool, LainError> {
    let Some(last) = history.and_then(|h| h.last()).filter(|r| r.is_pending()) else { return Ok(false) };
    let helm = ctx.helm();
    let good = history.and_then(|h| last_deployed(h, Some(last.revision)));
    if !ctx.globals.auto_pilot {
        let how = match good {
            Some(g) => format!(
                "`lain --auto-pilot deploy` rolls it back to revision {} and deploys, or by hand: helm rollback {} {} --namespace {}",
                g.revision, t.release, g.revision, t.namespace
            ),
            None => format!(
                "`lain --auto-pilot deploy` uninstalls the unfinished install and installs again, or by hand: helm uninstall {} --namespace {}",
                t.release, t.namespace
            ),
        };
        return Err(LainError::bad_input(format!(
            "release {} is stuck in {} (revision {}): a helm command was interrupted, and helm refuses to change the release until that is resolved\n    fix: {how}",
            t.release, last.status, last.revision
        )));
    }
    match good {
        Some(g) => {
            output::warn(&format!(
                "release {} is stuck in {} (revision {}); auto-pilot: rolling back to revision {} first",
                t.release, last.status, last.revision, g.revision
            ));
            run_helm(helm.rollback(&t.release, &t.namespace, g.revision, timeout)).await?;
        }
        None => {
            output::warn(&format!(
                "release {} is stuck in {} and was never deployed; auto-pilot: uninstalling the unfinished install first",
                t.release, last.status
            ));
            run_helm(helm.uninstall(&t.release, &t.namespace)).await?;
        }
    }
    Ok(true)
}

/// When helm fails on a hook Job, the Job's pod says why: name it, with its log.
async fn explain_helm_failure(kube: &Kube, release: &str) -> String {
    let Ok(objects) = kube.release_objects(release).await else { return String::new() };
    let problems: Vec<_> =
        objects.pods.iter().filter(|p| p.metadata.labels.as_ref().and_then(|l| l.get(KIND_LABEL)).is_some_and(|k| k == "job")).flat_map(pod_problems).collect();
    if problems.is_empty() { String::new() } else { describe(kube, &problems).await }
}

/// Runs the deploy. `on_released` is called once helm has succeeded (before the wait), with
/// what was deployed: the place for the deploy webhook.
pub fn execute(ctx: &Ctx, plan: &DeployPlan, opts: &DeployOptions, on_released: &mut dyn FnMut(&DeployOutcome)) -> Result<DeployOutcome, LainError> {
    let t = &plan.target;
    let helm = ctx.helm();
    if let Some(DeleteAfter::After(_)) = opts.delete_after {
        delete_after::image(&t.app.cluster)?;
    }
    block_on(async {
        let kube = t.connect(ctx).await?;
        if recover_pending(ctx, t, plan.history.as_deref(), opts.timeout).await? {
            // The rollback is a revision of its own; the deploy comes after it.
        }
        // Before helm: a temporary release is cleaned up even if this deploy fails half-way.
        let expiry_set = expiry(&kube, t, ctx, opts.delete_after).await?;
        let injected: Map<String, J> = t.app.injected(&ctx.env.user, &plan.tag);
        let cmd = helm.upgrade_install(&t.app, &injected, opts.timeout);
        let run = match run_helm(cmd).await {
            Ok(r) => r,
            Err(e) => {
                let why = explain_helm_failure(&kube, &t.release).await;
                if why.is_empty() {
                    return Err(e);
                }
                output::info(&format!("the failing hook job:\n{}", why.trim_end()));
                return Err(e);
            }
        };
        let prev = plan.history.as_ref().and_then(|h| h.last()).map(|r| r.revision).unwrap_or(0);
        let outcome = DeployOutcome {
            release: t.release.clone(),
            revision: revision_from_output(&run.out.stdout).unwrap_or(prev + 1),
            old_tag: plan.old_tag.clone(),
            new_tag: plan.tag.clone(),
            cluster: t.cluster.clone(),
            user: ctx.env.user.clone(),
        };
        on_released(&outcome);
        if !expiry_set {
            remind_expiry(&kube, &t.release).await;
        }
        if run.interrupted {
            return Err(LainError::Interrupted {
                message: format!(
                    "interrupted: helm finished, {} is at revision {}; the green light was not awaited (check with `lain wait`)",
                    t.release, outcome.revision
                ),
            });
        }
        let mut timings = Timings { helm: plan.helm_time + run.took, ..Default::default() };
        if !opts.no_wait {
            let w = Instant::now();
            let g = green(&kube, &t.release, Some(&plan.tag), opts.timeout, None).await;
            timings.wait = w.elapsed();
            let g = g?;
            if has_tests(&t.app) {
                let tr = run_helm(helm.test(&t.release, &t.namespace, opts.timeout)).await;
                timings.helm += tr.as_ref().map(|r| r.took).unwrap_or_default();
                tr.map_err(|e| LainError::RolloutFailed { message: format!("helm test failed (values.tests):\n{e}") })?;
            }
            output::success(&format!(
                "{} is green: revision {}, {} pod{} Running and Ready on {}",
                t.release,
                outcome.revision,
                g.pods,
                if g.pods == 1 { "" } else { "s" },
                plan.tag
            ));
        } else {
            output::success(&format!("{} upgraded to revision {} (not waiting for the green light)", t.release, outcome.revision));
        }
        timings.total = plan.started.elapsed();
        output::debug(&format!(
            "timings: total {} ms, helm {} ms, wait {} ms, lain {} ms",
            timings.total.as_millis(),
            timings.helm.as_millis(),
            timings.wait.as_millis(),
            timings.total.saturating_sub(timings.helm + timings.wait).as_millis()
        ));
        Ok(outcome)
    })?
}

/// Applies `--delete-after`; true when the release has a deletion scheduled by this deploy.
async fn expiry(kube: &Kube, t: &Target, ctx: &Ctx, what: Option<DeleteAfter>) -> Result<bool, LainError> {
    match what {
        None => Ok(false),
        Some(DeleteAfter::After(d)) => {
            let c = &t.app.cluster;
            let image = delete_after::image(c)?;
            let (e, now) = delete_after::schedule_deletion(kube, &t.release, d, image, c.lain_service_account.as_deref(), &ctx.env.user).await?;
            output::info(&format!(
                "{}\n  see it: kubectl get cronjob {} --namespace {}; keep the release: lain deploy --delete-after never",
                e.describe(now),
                e.cronjob,
                t.namespace
            ));
            Ok(true)
        }
        Some(DeleteAfter::Never) => {
            if delete_after::cancel(kube, &t.release).await? {
                output::info(&format!("cancelled the scheduled deletion of {} (deleted CronJob {})", t.release, delete_after::cronjob_name(&t.release)));
            }
            Ok(false)
        }
    }
}

/// A deploy without `--delete-after` keeps an earlier one's deletion: say so, it may surprise.
async fn remind_expiry(kube: &Kube, release: &str) {
    if let Ok(Some(e)) = delete_after::current(kube, release).await {
        let now = delete_after::server_now(kube).await;
        output::info(&format!("{} (set by an earlier `deploy --delete-after`; `lain deploy --delete-after never` keeps it)", e.describe(now)));
    }
}

fn has_tests(app: &AppConfig) -> bool {
    app.merged.get("tests").and_then(|n| n.as_map()).is_some_and(|m| !m.is_empty())
}

/// Plan and execute, without lint or build (the binary adds those).
pub fn run(ctx: &Ctx, opts: &DeployOptions) -> Result<DeployOutcome, LainError> {
    let p = plan(ctx, opts)?;
    execute(ctx, &p, opts, &mut |_| {})
}
