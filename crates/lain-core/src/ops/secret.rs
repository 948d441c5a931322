//! `lain secret show|edit|add|remove|apply`: files kept in the Secret `APPNAME-secret`, mounted
//! into containers with `volumeMounts` (`{mountPath, subPath: FILE}`). See
//! [`super::secret_edit`]. A first `edit` starts from the seeds' `topsecret.txt` example.

use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::secret_doc::SecretData;

pub use super::secret_edit::EnvChange;
use super::secret_edit::{self, SecretKind};

pub fn show(ctx: &Ctx) -> Result<String, LainError> {
    secret_edit::show(ctx, SecretKind::Files)
}

pub fn edit(ctx: &Ctx) -> Result<EnvChange, LainError> {
    secret_edit::edit(ctx, SecretKind::Files)
}

/// `lain secret add FILE...`: each file under its base name (binary content is fine).
pub fn add(ctx: &Ctx, files: &[PathBuf]) -> Result<EnvChange, LainError> {
    let mut set = SecretData::new();
    for f in files {
        let name =
            f.file_name().and_then(|n| n.to_str()).ok_or_else(|| LainError::bad_input(format!("{}: not a file name lain can use as a key", f.display())))?;
        let bytes = std::fs::read(f).map_err(|e| LainError::bad_input(format!("cannot read {}: {e}", f.display())))?;
        set.insert(name.to_string(), bytes);
    }
    secret_edit::set_keys(ctx, SecretKind::Files, set, vec![])
}

pub fn remove(ctx: &Ctx, keys: &[String]) -> Result<EnvChange, LainError> {
    secret_edit::set_keys(ctx, SecretKind::Files, SecretData::new(), keys.to_vec())
}

pub fn apply(ctx: &Ctx, file: &Path) -> Result<EnvChange, LainError> {
    secret_edit::apply(ctx, SecretKind::Files, file)
}
