//! `lain env show|edit|add|remove|apply`: environment variables kept in the Secret
//! `APPNAME-env`, which every container loads (envFrom). See [`super::secret_edit`].

use std::path::Path;

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::secret_doc::SecretData;

pub use super::secret_edit::EnvChange;
use super::secret_edit::{self, SecretKind};

pub fn show(ctx: &Ctx) -> Result<String, LainError> {
    secret_edit::show(ctx, SecretKind::Env)
}

pub fn edit(ctx: &Ctx) -> Result<EnvChange, LainError> {
    secret_edit::edit(ctx, SecretKind::Env)
}

/// Parses `K=V` (the value may contain `=`; it may be empty).
pub fn parse_pair(s: &str) -> Result<(String, String), LainError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        // Never echo the argument: it may be a value typed without its key.
        _ => Err(LainError::bad_input("expected KEY=VALUE (e.g. `lain env add MYSQL_PASSWORD=...`)")),
    }
}

/// `lain env add K=V...`: prints keys only.
pub fn add(ctx: &Ctx, pairs: &[String]) -> Result<EnvChange, LainError> {
    let mut set = SecretData::new();
    for p in pairs {
        let (k, v) = parse_pair(p)?;
        set.insert(k, v.into_bytes());
    }
    secret_edit::set_keys(ctx, SecretKind::Env, set, vec![])
}

pub fn remove(ctx: &Ctx, keys: &[String]) -> Result<EnvChange, LainError> {
    secret_edit::set_keys(ctx, SecretKind::Env, SecretData::new(), keys.to_vec())
}

pub fn apply(ctx: &Ctx, file: &Path) -> Result<EnvChange, LainError> {
    secret_edit::apply(ctx, SecretKind::Env, file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        assert_eq!(parse_pair("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert_eq!(parse_pair("A=").unwrap(), ("A".into(), "".into()));
        let e = parse_pair("hunter2").unwrap_err().to_string();
        assert!(!e.contains("hunter2"));
        assert!(parse_pair("=x").is_err());
    }
}
