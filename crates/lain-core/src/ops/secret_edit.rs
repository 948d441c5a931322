//! What `lain env` and `lain secret` share: show, edit in $EDITOR, add, remove, apply, on the
//! Secrets `APPNAME-env` (environment variables) and `APPNAME-secret` (files).
//!
//! Promises:
//! - values are printed by `show` only (the user asked for them); everything else names keys;
//! - an edit is never lost: if it cannot be applied (invalid, or someone else changed the
//!   Secret meanwhile) the file is kept and named in the message;
//! - a write carries the resourceVersion that was read: a concurrent change is reported, not
//!   overwritten (`add`/`remove`, which change only the keys named, simply retry);
//! - interactive: a mistake reopens the editor with the error on top; non-interactive (CI, a
//!   scripted $EDITOR): the mistake is an error, and the Secret is unchanged.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::Kube;
use crate::kube::secret_doc::{self, DocIdentity, SecretData};
use crate::kube::secrets::{KeyDiff, SecretState, SecretWriteError};
use crate::output;
use crate::process::Cmd;

use super::release::{Target, block_on};
use super::restart::{RestartOptions, restart};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// `APPNAME-env`: loaded as environment variables (envFrom).
    Env,
    /// `APPNAME-secret`: files, mounted with volumeMounts.
    Files,
}

impl SecretKind {
    pub fn command(self) -> &'static str {
        match self {
            SecretKind::Env => "env",
            SecretKind::Files => "secret",
        }
    }
    pub fn secret_name(self, t: &Target) -> String {
        match self {
            SecretKind::Env => t.env_secret(),
            SecretKind::Files => t.file_secret(),
        }
    }
}

/// A change to env or secret: keys only, for the webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvChange {
    pub secret: String,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl EnvChange {
    fn from_diff(secret: &str, d: KeyDiff) -> EnvChange {
        EnvChange { secret: secret.to_string(), added: d.added, changed: d.changed, removed: d.removed }
    }
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
    pub fn summary(&self) -> String {
        KeyDiff { added: self.added.clone(), changed: self.changed.clone(), removed: self.removed.clone() }.summary()
    }
}

/// The example a new file Secret starts with (the seeds' topsecret.txt).
pub fn example_files() -> SecretData {
    SecretData::from([("topsecret.txt".to_string(), b"I\nAM\nBATMAN".to_vec())])
}

fn identity(t: &Target, kind: SecretKind) -> DocIdentity {
    DocIdentity { name: kind.secret_name(t), namespace: t.namespace.clone() }
}

fn header(t: &Target, kind: SecretKind, new: bool) -> Vec<String> {
    let name = kind.secret_name(t);
    let mut h = vec![format!("lain {} edit: the Secret {name} (namespace {}, cluster {}).", kind.command(), t.namespace, t.cluster)];
    if new {
        h.push("It does not exist yet: saving this file creates it.".into());
    }
    h.push("Edit only `data`. Values are plain text; lain encodes them when saving.".into());
    h.push("Multi-line values: `key: |` then the lines, indented (mind the `|`).".into());
    h.push("A value shown as `!!binary` is base64 of binary content; keep the tag to keep it binary.".into());
    h.push("Quit without saving to cancel. Pods see changes after a restart (`lain restart --graceful`).".into());
    h
}

/// `lain env|secret show`: the Secret with values decoded (for stdout).
pub fn show(ctx: &Ctx, kind: SecretKind) -> Result<String, LainError> {
    let t = Target::load(ctx, &[])?;
    let id = identity(&t, kind);
    block_on(async {
        let kube = t.connect(ctx).await?;
        let state = kube.read_secret(&id.name).await?;
        if !state.exists() {
            output::info(&format!("{} does not exist yet: `lain {} edit` or `lain {} add` creates it", id.name, kind.command(), kind.command()));
        }
        Ok(secret_doc::render(&id, &state.data, &[]))
    })?
}

/// A file for the edit, readable by the user only (it holds secrets).
fn edit_file(name: &str) -> Result<PathBuf, LainError> {
    let ms = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let path = std::env::temp_dir().join(format!("lain-{name}-{ms}-{}.yaml", std::process::id()));
    Ok(path)
}

fn write_private(path: &Path, text: &str) -> Result<(), LainError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(|e| LainError::bad_input(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| LainError::bad_input(format!("cannot write {}: {e}", path.display())))
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Opens the editor; true when it exited successfully.
fn run_editor(editor: &str, path: &Path) -> Result<bool, LainError> {
    output::info(&format!("opening {} with {editor}", path.display()));
    // Through sh, like git does, so EDITOR="code --wait" works.
    let status = Cmd::new("sh").arg("-c").arg(format!("{editor} \"$1\"")).arg("sh").arg(path).quiet().status()?;
    Ok(status.success())
}

const ERROR_MARK: &str = "# lain: ";

fn strip_error_lines(text: &str) -> String {
    text.lines().filter(|l| !l.starts_with(ERROR_MARK)).map(|l| format!("{l}\n")).collect()
}

/// `lain env|secret edit`. Returns the change (empty when nothing changed or cancelled).
pub fn edit(ctx: &Ctx, kind: SecretKind) -> Result<EnvChange, LainError> {
    let t = Target::load(ctx, &[])?;
    let id = identity(&t, kind);
    let interactive = output::interactive();
    let editor = match (&ctx.env.editor, interactive) {
        (Some(e), _) => e.clone(),
        (None, true) => "vi".to_string(),
        (None, false) => {
            return Err(LainError::bad_input(format!(
                "no editor: set EDITOR (or VISUAL); without a terminal, use `lain {} add` or `lain {} apply FILE` instead",
                kind.command(),
                kind.command()
            )));
        }
    };
    block_on(async {
        let kube = t.connect(ctx).await?;
        let state = kube.read_secret(&id.name).await?;
        let start_data = if !state.exists() && kind == SecretKind::Files { example_files() } else { state.data.clone() };
        let presented = secret_doc::render(&id, &start_data, &header(&t, kind, !state.exists()));
        let path = edit_file(&id.name)?;
        write_private(&path, &presented)?;
        let keep = |why: &str| {
            format!(
                "{why}\n    your edit is kept in {} (readable by you only); apply it with `lain {} apply {}`, then delete it",
                path.display(),
                kind.command(),
                path.display()
            )
        };
        let mut last_shown = presented.clone();
        let new_data = loop {
            let before = mtime(&path);
            let ok = run_editor(&editor, &path)?;
            let text = std::fs::read_to_string(&path).map_err(|e| LainError::bad_input(format!("cannot read {}: {e}", path.display())))?;
            let saved = text != last_shown || mtime(&path) != before;
            if !ok || !saved {
                if text == presented {
                    let _ = std::fs::remove_file(&path);
                    output::info(&format!("cancelled; {} unchanged", id.name));
                    return Ok(EnvChange { secret: id.name.clone(), ..Default::default() });
                }
                let why = if ok { "gave up after an error".to_string() } else { "the editor exited with an error".to_string() };
                return Err(LainError::bad_input(keep(&format!("{why}; nothing was written to {}", id.name))));
            }
            match secret_doc::parse(&text, &id) {
                Ok(d) => break d,
                Err(e) if interactive => {
                    output::warn(&format!("{e}; reopening the editor"));
                    let again = format!(
                        "{ERROR_MARK}this edit was not applied: {e}\n{ERROR_MARK}fix it and save, or quit without saving to give up (the file is kept)\n{}",
                        strip_error_lines(&text)
                    );
                    write_private(&path, &again)?;
                    last_shown = again;
                }
                Err(e) => return Err(LainError::bad_input(keep(&format!("the edited {} is not valid: {e}; nothing was written", id.name)))),
            }
        };
        let diff = KeyDiff::between(&state.data, &new_data);
        if diff.is_empty() && state.exists() {
            let _ = std::fs::remove_file(&path);
            output::info(&format!("no change to {}", id.name));
            return Ok(EnvChange { secret: id.name.clone(), ..Default::default() });
        }
        match kube.write_secret(&state, &new_data, &t.appname).await {
            Ok(_) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(SecretWriteError::Conflict { .. }) => {
                let now = kube.read_secret(&id.name).await.map(|s| KeyDiff::between(&state.data, &s.data).summary()).unwrap_or_default();
                return Err(LainError::Other(anyhow::anyhow!(keep(&format!(
                    "{} was changed by someone else while you were editing it ({now}); nothing was written, their change is intact\n    fix: run `lain {} edit` again and redo your change",
                    id.name,
                    kind.command()
                )))));
            }
            Err(SecretWriteError::Kube(e)) => return Err(LainError::Other(anyhow::anyhow!(keep(&format!("writing {} failed: {e}", id.name))))),
        }
        finish(ctx, &kube, &t, &id.name, diff).await
    })?
}

/// After a successful write: say what changed (keys), restart gracefully with auto-pilot.
async fn finish(ctx: &Ctx, kube: &Kube, t: &Target, name: &str, diff: KeyDiff) -> Result<EnvChange, LainError> {
    output::success(&format!("{name}: {}", diff.summary()));
    let change = EnvChange::from_diff(name, diff);
    if change.is_empty() {
        return Ok(change);
    }
    if ctx.globals.auto_pilot {
        output::info("auto-pilot: restarting gracefully so the pods see the change");
        restart(kube, t, &RestartOptions { graceful: true, wait: true, ..Default::default() }).await?;
    } else {
        output::info("pods see the change after a restart: `lain restart --graceful` (or `lain redeploy`)");
    }
    Ok(change)
}

/// Applies `change` to the Secret's data, re-reading and retrying when someone else wrote in
/// between (safe: only the keys named are touched).
async fn update_keys(kube: &Kube, t: &Target, name: &str, change: &dyn Fn(&mut SecretData)) -> Result<(SecretState, KeyDiff), LainError> {
    for _ in 0..5 {
        let state = kube.read_secret(name).await?;
        let mut data = state.data.clone();
        change(&mut data);
        let diff = KeyDiff::between(&state.data, &data);
        if diff.is_empty() && state.exists() {
            return Ok((state, diff));
        }
        match kube.write_secret(&state, &data, &t.appname).await {
            Ok(_) => return Ok((state, diff)),
            Err(SecretWriteError::Conflict { .. }) => continue,
            Err(SecretWriteError::Kube(e)) => return Err(e.into()),
        }
    }
    Err(LainError::Other(anyhow::anyhow!("{name} kept changing under lain (5 tries); try again")))
}

/// `lain env add K=V...` / `lain secret add FILE...` / `... remove KEY...`.
pub fn set_keys(ctx: &Ctx, kind: SecretKind, set: SecretData, remove: Vec<String>) -> Result<EnvChange, LainError> {
    for k in set.keys().chain(remove.iter()) {
        if !secret_doc::valid_key(k) {
            return Err(LainError::bad_input(format!("{k:?} is not a valid key: use letters, digits, '-', '_' and '.'")));
        }
        if kind == SecretKind::Env && !secret_doc::shell_env_name(k) {
            output::warn(&format!("{k} is not a usual environment variable name ([A-Za-z_][A-Za-z0-9_]*); shells cannot read it"));
        }
    }
    let t = Target::load(ctx, &[])?;
    let name = kind.secret_name(&t);
    block_on(async {
        let kube = t.connect(ctx).await?;
        let (_, diff) = update_keys(&kube, &t, &name, &|d: &mut SecretData| {
            for (k, v) in &set {
                d.insert(k.clone(), v.clone());
            }
            for k in &remove {
                d.remove(k);
            }
        })
        .await?;
        finish(ctx, &kube, &t, &name, diff).await
    })?
}

/// `lain env|secret apply FILE`: replace the data with a document in the `show` format.
pub fn apply(ctx: &Ctx, kind: SecretKind, file: &Path) -> Result<EnvChange, LainError> {
    let t = Target::load(ctx, &[])?;
    let id = identity(&t, kind);
    let text = std::fs::read_to_string(file).map_err(|e| LainError::bad_input(format!("cannot read {}: {e}", file.display())))?;
    let data = secret_doc::parse(&text, &id).map_err(|e| LainError::bad_input(format!("{}: {e}", file.display())))?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        let (_, diff) = update_keys(&kube, &t, &id.name, &|d: &mut SecretData| *d = data.clone()).await?;
        finish(ctx, &kube, &t, &id.name, diff).await
    })?
}
