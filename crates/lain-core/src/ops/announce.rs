//! Telling the team: the webhook after a deploy, rollback, restart... or an env/secret change.
//! A webhook failure is a warning, never a failed command (notify bounds the time).

use crate::config::AppConfig;
use crate::context::Ctx;
use crate::notify::{Event, Notifier, ReleaseInfo, SecretChange};
use crate::ops::secret_edit::EnvChange;
use crate::output;

/// Which release event happened.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Deploy,
    Redeploy,
    Rollback,
    UpdateImage,
    Restart,
}

fn notifier(app: &AppConfig) -> Option<Notifier> {
    let values = app.values();
    match Notifier::from_config(values.get("webhook"), app.cluster.webhook.as_ref()) {
        Ok(n) => Some(n),
        Err(e) => {
            output::warn(&format!("webhook not sent: {e}"));
            None
        }
    }
}

fn send(n: &Notifier, cluster: &str, event: Event) {
    if let Err(e) = crate::ops::release::block_on(n.send_and_warn(cluster, &event)) {
        output::warn(&format!("webhook not sent: {e}"));
    }
}

/// Sends a release event (with the commit subjects between the two tags when both are known).
pub fn release(ctx: &Ctx, app: &AppConfig, kind: Kind, old_tag: Option<&str>, new_tag: Option<&str>, procs: &[String]) {
    let Some(n) = notifier(app) else { return };
    let commits = match (old_tag, new_tag) {
        (Some(o), Some(nw)) if o != nw => crate::notify::git::commit_subjects(&app.repo_dir, o, nw),
        _ => Vec::new(),
    };
    let info = ReleaseInfo {
        who: ctx.env.user.clone(),
        cluster: app.cluster.name.clone(),
        release: app.release_name.clone(),
        old_tag: old_tag.map(str::to_string),
        new_tag: new_tag.map(str::to_string),
        procs: procs.to_vec(),
        commits,
    };
    let event = match kind {
        Kind::Deploy => Event::Deploy(info),
        Kind::Redeploy => Event::Redeploy(info),
        Kind::Rollback => Event::Rollback(info),
        Kind::UpdateImage => Event::UpdateImage(info),
        Kind::Restart => Event::Restart(info),
    };
    send(&n, &app.cluster.name, event);
}

/// Sends the names of the keys an env/secret change touched (never values).
pub fn secret_change(ctx: &Ctx, app: &AppConfig, change: &EnvChange) {
    if change.is_empty() {
        return;
    }
    let Some(n) = notifier(app) else { return };
    let c = SecretChange::from_keys(
        &ctx.env.user,
        &app.cluster.name,
        &app.appname,
        &change.secret,
        change.added.clone(),
        change.changed.clone(),
        change.removed.clone(),
    );
    send(&n, &app.cluster.name, Event::SecretChanged(c));
}
