//! What lain tells a team, independent of where it is sent.
//!
//! Secret values cannot reach a webhook: a [`SecretChange`] can only be built by
//! [`SecretChange::diff`], which compares two secrets and keeps the names of the keys that
//! differ; its fields are private and hold key names only.

use std::collections::BTreeMap;

/// A change of what runs: who did it, where, from which image tag to which.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReleaseInfo {
    /// The person (`$USER`, or the GitLab user in CI).
    pub who: String,
    pub cluster: String,
    /// The helm release (the app name unless `releaseName` is set).
    pub release: String,
    pub old_tag: Option<String>,
    pub new_tag: Option<String>,
    /// For `update-image` / `restart` of some procs; empty means the whole app.
    pub procs: Vec<String>,
    /// Subjects of the commits between the old and the new tag, newest first
    /// (see [`super::git::commit_subjects`]).
    pub commits: Vec<String>,
}

/// Which keys of an env / secret changed. Never carries a value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SecretChange {
    who: String,
    cluster: String,
    app: String,
    /// The Kubernetes Secret (`APPNAME-env`, `APPNAME-secret`).
    secret: String,
    added: Vec<String>,
    changed: Vec<String>,
    removed: Vec<String>,
}

impl SecretChange {
    /// From key lists computed elsewhere (the secret editor's own diff). Keys only: there is
    /// no way to give this type a value.
    pub fn from_keys(who: &str, cluster: &str, app: &str, secret: &str, added: Vec<String>, changed: Vec<String>, removed: Vec<String>) -> SecretChange {
        SecretChange { who: who.into(), cluster: cluster.into(), app: app.into(), secret: secret.into(), added, changed, removed }
    }

    /// Compares a secret before and after an edit. The values are compared here and dropped;
    /// only key names are kept.
    pub fn diff<K, V>(
        who: &str,
        cluster: &str,
        app: &str,
        secret: &str,
        before: impl IntoIterator<Item = (K, V)>,
        after: impl IntoIterator<Item = (K, V)>,
    ) -> SecretChange
    where
        K: AsRef<str>,
        V: PartialEq,
    {
        let before: BTreeMap<String, V> = before.into_iter().map(|(k, v)| (k.as_ref().to_string(), v)).collect();
        let after: BTreeMap<String, V> = after.into_iter().map(|(k, v)| (k.as_ref().to_string(), v)).collect();
        let added = after.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
        let removed = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
        let changed = after.iter().filter(|(k, v)| before.get(*k).is_some_and(|old| old != *v)).map(|(k, _)| k.clone()).collect();
        SecretChange { who: who.to_string(), cluster: cluster.to_string(), app: app.to_string(), secret: secret.to_string(), added, changed, removed }
    }

    /// Nothing changed: no notification is worth sending.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    pub fn who(&self) -> &str {
        &self.who
    }
    pub fn cluster(&self) -> &str {
        &self.cluster
    }
    pub fn app(&self) -> &str {
        &self.app
    }
    pub fn secret(&self) -> &str {
        &self.secret
    }
    pub fn added(&self) -> &[String] {
        &self.added
    }
    pub fn changed(&self) -> &[String] {
        &self.changed
    }
    pub fn removed(&self) -> &[String] {
        &self.removed
    }
}

/// A step of a canary or blue/green deploy, naming both versions.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StrategyStep {
    pub who: String,
    pub cluster: String,
    /// `canary` or `blue_green`.
    pub strategy: String,
    /// `deployed`, `group_set`, `aborted`, `promoted` (canary); `switched`, `rolled_back`,
    /// `finished`, `dropped` (blue/green).
    pub step: String,
    /// The main release, and the tag it runs after the step.
    pub release: String,
    pub release_tag: Option<String>,
    /// The canary / green release and its tag (the new version).
    pub other_release: String,
    pub other_tag: Option<String>,
    /// The canary group, for canary steps.
    pub group: Option<String>,
    /// One line naming both versions (the title).
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Deploy(ReleaseInfo),
    Redeploy(ReleaseInfo),
    Rollback(ReleaseInfo),
    UpdateImage(ReleaseInfo),
    Restart(ReleaseInfo),
    SecretChanged(SecretChange),
    /// `lain send-msg MSG`.
    Message(String),
    /// `lain deploy --canary` / `--blue-green` and their follow-ups.
    Strategy(StrategyStep),
}

impl Event {
    /// Stable name used in the generic JSON payload (`"event": "deploy"`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Deploy(_) => "deploy",
            Event::Redeploy(_) => "redeploy",
            Event::Rollback(_) => "rollback",
            Event::UpdateImage(_) => "update_image",
            Event::Restart(_) => "restart",
            Event::SecretChanged(_) => "secret_changed",
            Event::Message(_) => "message",
            Event::Strategy(s) if s.strategy == "canary" => "canary",
            Event::Strategy(_) => "blue_green",
        }
    }

    pub fn release(&self) -> Option<&ReleaseInfo> {
        match self {
            Event::Deploy(r) | Event::Redeploy(r) | Event::Rollback(r) | Event::UpdateImage(r) | Event::Restart(r) => Some(r),
            _ => None,
        }
    }
}

/// A line of a rendered notification; each webhook kind formats these its own way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Line {
    Field(&'static str, String),
    Bullet(String),
    Text(String),
}

/// At most this many commit subjects are listed; a big release says how many more.
pub(crate) const MAX_COMMITS: usize = 20;

/// Title and body lines, the same for every webhook kind.
pub(crate) fn render(event: &Event, cluster: &str) -> (String, Vec<Line>) {
    let mut lines = Vec::new();
    let title = match event {
        Event::Message(text) => {
            lines.push(Line::Text(text.clone()));
            format!("lain ({cluster})")
        }
        Event::Strategy(s) => {
            let tag = |t: &Option<String>| t.clone().unwrap_or_else(|| "?".into());
            lines.push(Line::Field("Main release", format!("{} ({})", s.release, tag(&s.release_tag))));
            let other = if s.strategy == "canary" { "Canary" } else { "Green" };
            lines.push(Line::Field(other, format!("{} ({})", s.other_release, tag(&s.other_tag))));
            if let Some(g) = &s.group {
                lines.push(Line::Field("Canary group", g.clone()));
            }
            format!("{} in {}: {}", s.who, s.cluster, s.summary)
        }
        Event::SecretChanged(s) => {
            for (label, keys) in [("Added keys", &s.added), ("Changed keys", &s.changed), ("Removed keys", &s.removed)] {
                if !keys.is_empty() {
                    lines.push(Line::Field(label, keys.join(", ")));
                }
            }
            lines.push(Line::Text("Values are never sent; see `lain env show` / `lain secret show`.".to_string()));
            format!("{} changed {} of {} in {}", s.who, s.secret, s.app, s.cluster)
        }
        other => {
            let Some(r) = other.release() else { return (String::new(), lines) };
            let procs = if r.procs.is_empty() { String::new() } else { format!(" ({})", r.procs.join(", ")) };
            let title = match other {
                Event::Deploy(_) => format!("{} deployed {}{procs} to {}", r.who, r.release, r.cluster),
                Event::Redeploy(_) => format!("{} redeployed {}{procs} in {}", r.who, r.release, r.cluster),
                Event::Rollback(_) => format!("{} rolled back {} in {}", r.who, r.release, r.cluster),
                Event::UpdateImage(_) => format!("{} updated the image of {}{procs} in {}", r.who, r.release, r.cluster),
                _ => format!("{} restarted {}{procs} in {}", r.who, r.release, r.cluster),
            };
            match (&r.old_tag, &r.new_tag) {
                (Some(o), Some(n)) if o != n => lines.push(Line::Field("Image tag", format!("{o} → {n}"))),
                (_, Some(n)) => lines.push(Line::Field("Image tag", n.clone())),
                (Some(o), None) => lines.push(Line::Field("Image tag", o.clone())),
                (None, None) => {}
            }
            if !r.commits.is_empty() {
                lines.push(Line::Text("Commits:".to_string()));
                for c in r.commits.iter().take(MAX_COMMITS) {
                    lines.push(Line::Bullet(c.clone()));
                }
                if r.commits.len() > MAX_COMMITS {
                    lines.push(Line::Text(format!("… and {} more", r.commits.len() - MAX_COMMITS)));
                }
            }
            title
        }
    };
    (title, lines)
}
