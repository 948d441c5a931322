//! What the deployment strategies (canary, blue/green) share: the names of their second
//! releases, what they report to webhooks, and the guard that keeps other commands from
//! changing the main release's pods while a blue/green deploy holds its traffic.

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::Kube;

use super::release::{Target, block_on};

/// The canary release of `main` (`APPNAME-canary` with the default releaseName).
pub fn canary_release(main: &str) -> String {
    format!("{main}-canary")
}

/// The blue/green candidate ("green") release of `main`.
pub fn green_release(main: &str) -> String {
    format!("{main}-green")
}

/// What a strategy command did.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyAction {
    /// `lain deploy --canary`: the canary release runs `other_tag` and takes the group's share.
    CanaryDeployed { group: String },
    /// `lain set-canary-group`.
    CanaryGroupSet { from: Option<String>, to: String },
    /// `lain deploy --canary --abort`: the canary release is gone; all traffic on the main one.
    CanaryAborted,
    /// `lain deploy --canary --final`: the main release runs the canary's tag; canary removed.
    CanaryPromoted,
    /// `lain deploy --blue-green`: green is up and the Services select it.
    BlueGreenSwitched,
    /// `lain rollback --blue-green`: the Services select blue (the main release) again.
    BlueGreenRolledBack,
    /// `lain blue-green finish`: `promoted` when green became the main release, else green was
    /// dropped and blue stays.
    BlueGreenFinished { promoted: bool },
}

/// What a strategy command changed, for webhooks and the terminal: both versions are named.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyOutcome {
    pub action: StrategyAction,
    /// The main release (`APPNAME`, or `releaseName`).
    pub release: String,
    /// The canary or green release.
    pub other_release: String,
    /// The tag the main release runs after the command.
    pub main_tag: Option<String>,
    /// The tag of the canary / green release (the new version).
    pub other_tag: Option<String>,
    pub cluster: String,
    pub user: String,
}

impl StrategyOutcome {
    /// One line naming both versions, e.g. for a webhook:
    /// `canary dummy-canary (1700-abc) takes group small; dummy stays on 1600-def`.
    pub fn summary(&self) -> String {
        let main = self.main_tag.as_deref().unwrap_or("?");
        let other = self.other_tag.as_deref().unwrap_or("?");
        match &self.action {
            StrategyAction::CanaryDeployed { group } => {
                format!("canary {} ({other}) takes traffic of group {group}; {} stays on {main}", self.other_release, self.release)
            }
            StrategyAction::CanaryGroupSet { from, to } => format!(
                "canary {} ({other}) moved from group {} to group {to}; {} stays on {main}",
                self.other_release,
                from.as_deref().unwrap_or("?"),
                self.release
            ),
            StrategyAction::CanaryAborted => format!("canary {} ({other}) removed; all traffic on {} ({main})", self.other_release, self.release),
            StrategyAction::CanaryPromoted => format!("canary {other} promoted: {} now runs {main}; {} removed", self.release, self.other_release),
            StrategyAction::BlueGreenSwitched => {
                format!("blue/green: traffic switched to green {} ({other}); blue {} ({main}) kept for rollback", self.other_release, self.release)
            }
            StrategyAction::BlueGreenRolledBack => {
                format!("blue/green: traffic switched back to blue {} ({main}); green {} ({other}) still up", self.release, self.other_release)
            }
            StrategyAction::BlueGreenFinished { promoted: true } => {
                format!("blue/green finished: {} now runs {main}; {} removed", self.release, self.other_release)
            }
            StrategyAction::BlueGreenFinished { promoted: false } => {
                format!("blue/green finished: green {} ({other}) removed; {} stays on {main}", self.other_release, self.release)
            }
        }
    }
}

impl StrategyOutcome {
    /// The webhook event of this step (both versions, the group for canary steps).
    pub fn event(&self) -> crate::notify::Event {
        let (strategy, step, group) = match &self.action {
            StrategyAction::CanaryDeployed { group } => ("canary", "deployed", Some(group.clone())),
            StrategyAction::CanaryGroupSet { to, .. } => ("canary", "group_set", Some(to.clone())),
            StrategyAction::CanaryAborted => ("canary", "aborted", None),
            StrategyAction::CanaryPromoted => ("canary", "promoted", None),
            StrategyAction::BlueGreenSwitched => ("blue_green", "switched", None),
            StrategyAction::BlueGreenRolledBack => ("blue_green", "rolled_back", None),
            StrategyAction::BlueGreenFinished { promoted: true } => ("blue_green", "finished", None),
            StrategyAction::BlueGreenFinished { promoted: false } => ("blue_green", "dropped", None),
        };
        crate::notify::Event::Strategy(crate::notify::StrategyStep {
            who: self.user.clone(),
            cluster: self.cluster.clone(),
            strategy: strategy.into(),
            step: step.into(),
            release: self.release.clone(),
            release_tag: self.main_tag.clone(),
            other_release: self.other_release.clone(),
            other_tag: self.other_tag.clone(),
            group,
            summary: self.summary(),
        })
    }
}

/// Sends the step to the app's and the cluster's webhooks. Never fails: the step itself is
/// done, so a webhook problem (bad configuration, unreachable) is only a warning.
pub fn notify(ctx: &Ctx, outcome: &StrategyOutcome) {
    let notifier = ctx
        .load_app(&[])
        .map_err(|e| e.to_string())
        .and_then(|app| crate::notify::Notifier::from_config(app.values().get("webhook"), app.cluster.webhook.as_ref()).map_err(|e| e.to_string()));
    match notifier {
        Ok(n) if n.hooks_for(&outcome.cluster).next().is_some() => {
            if let Err(e) = block_on(n.send_and_warn(&outcome.cluster, &outcome.event())) {
                crate::output::warn(&format!("webhook not sent: {e}"));
            }
        }
        Ok(_) => {}
        Err(e) => crate::output::warn(&format!("webhook not sent: {e}")),
    }
}

/// Refuses `what` (a command that changes the main release's pods: deploy, redeploy,
/// update-image, restart, rollback) while a blue/green deploy is in flight: the main Services
/// may be pinned to the current pods by their pod-template-hash, and new pods would get no
/// traffic (an outage when traffic is on blue).
pub fn refuse_during_blue_green(ctx: &Ctx, what: &str) -> Result<(), LainError> {
    let t = Target::load(ctx, &[])?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        refuse_during_blue_green_in(&kube, &t.release, what).await
    })?
}

pub async fn refuse_during_blue_green_in(kube: &Kube, release: &str, what: &str) -> Result<(), LainError> {
    if let Some(s) = super::blue_green::state_in(kube, release).await? {
        return Err(LainError::bad_input(format!(
            "a blue/green deploy of {release} is in flight (traffic on {}), so `{what}` would change pods the Services may be pinned to\n    fix: `lain blue-green finish` first (or `lain rollback --blue-green`, then `lain blue-green finish`); `lain blue-green status` shows the state",
            s.live
        )));
    }
    Ok(())
}

/// The values' canaryGroups names, sorted.
pub fn canary_groups(app: &crate::config::AppConfig) -> Vec<String> {
    let mut g: Vec<String> = app.merged.get("canaryGroups").and_then(|n| n.as_map()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
    g.sort();
    g
}

/// Whether the values define any ingress (a canary is an ingress-nginx canary).
pub fn has_ingresses(app: &crate::config::AppConfig) -> bool {
    ["ingresses", "externalIngresses"].iter().any(|k| app.merged.get(k).and_then(|n| n.as_seq()).is_some_and(|l| !l.is_empty()))
}

/// `a, b, c` or `(none)`.
pub fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "(none)".into() } else { v.join(", ") }
}

/// Whether the values define helm tests (run before a canary or green counts as good).
pub fn has_tests(app: &crate::config::AppConfig) -> bool {
    app.merged.get("tests").and_then(|n| n.as_map()).is_some_and(|m| !m.is_empty())
}

/// Kubernetes names of Services are DNS labels (63 characters): a second release adds a
/// suffix to every name, so check before helm fails half-way.
pub fn check_name_lengths(app: &crate::config::AppConfig, release: &str) -> Result<(), LainError> {
    for p in &app.procs {
        let name = format!("{release}-{}", p.name);
        if name.len() > 63 {
            return Err(LainError::bad_input(format!(
                "`{name}` (release {release} + proc {}) is {} characters, over Kubernetes' 63 for Service names\n    fix: shorten the proc name or set a shorter releaseName",
                p.name,
                name.len()
            )));
        }
    }
    Ok(())
}
