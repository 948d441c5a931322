//! Reading and writing the app's Secrets (`APPNAME-env`, `APPNAME-secret`) with optimistic
//! concurrency: a write carries the resourceVersion that was read, so a change made by someone
//! else in between is refused by the API server (409) instead of silently overwritten.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};

use super::secret_doc::SecretData;
use super::{Kube, KubeError, api_status};

/// A Secret as read, to be written back.
#[derive(Debug, Clone)]
pub struct SecretState {
    pub name: String,
    /// The object as read (`None`: it does not exist yet).
    pub original: Option<Secret>,
    pub data: SecretData,
}

impl SecretState {
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }
    pub fn resource_version(&self) -> Option<&str> {
        self.original.as_ref().and_then(|s| s.metadata.resource_version.as_deref())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretWriteError {
    /// Someone else changed (or created) the Secret since it was read.
    #[error("{name} was changed by someone else since lain read it")]
    Conflict { name: String },
    #[error(transparent)]
    Kube(#[from] KubeError),
}

/// Which keys were added, changed and removed (never values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl KeyDiff {
    pub fn between(old: &SecretData, new: &SecretData) -> KeyDiff {
        let mut d = KeyDiff::default();
        for (k, v) in new {
            match old.get(k) {
                None => d.added.push(k.clone()),
                Some(o) if o != v => d.changed.push(k.clone()),
                _ => {}
            }
        }
        d.removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
        d
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// `added A, B; changed C; removed D` (keys only).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (label, keys) in [("added", &self.added), ("changed", &self.changed), ("removed", &self.removed)] {
            if !keys.is_empty() {
                parts.push(format!("{label} {}", keys.join(", ")));
            }
        }
        if parts.is_empty() { "no change".into() } else { parts.join("; ") }
    }
}

fn decode(s: &Secret) -> SecretData {
    let mut out: SecretData = s.data.clone().unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
    // stringData is write-only on a real server, but a fixture or an old object may carry it.
    for (k, v) in s.string_data.clone().unwrap_or_default() {
        out.insert(k, v.into_bytes());
    }
    out
}

impl Kube {
    pub async fn read_secret(&self, name: &str) -> Result<SecretState, KubeError> {
        match self.api::<Secret>().get_opt(name).await {
            Ok(Some(s)) => Ok(SecretState { name: name.to_string(), data: decode(&s), original: Some(s) }),
            Ok(None) => Ok(SecretState { name: name.to_string(), original: None, data: SecretData::new() }),
            Err(e) => Err(KubeError::api(format!("reading Secret {name}"), e)),
        }
    }

    /// Writes `data` over what `state` read: a replace carrying its resourceVersion, or a
    /// create when it did not exist. `app` labels a Secret lain creates.
    pub async fn write_secret(&self, state: &SecretState, data: &SecretData, app: &str) -> Result<Secret, SecretWriteError> {
        let api = self.api::<Secret>();
        let bytes: BTreeMap<String, ByteString> = data.iter().map(|(k, v)| (k.clone(), ByteString(v.clone()))).collect();
        let result = match &state.original {
            Some(orig) => {
                let mut s = orig.clone();
                s.data = Some(bytes);
                s.string_data = None;
                // metadata.resourceVersion stays the one read: that is the precondition.
                api.replace(&state.name, &PostParams::default(), &s).await
            }
            None => {
                let s = Secret {
                    metadata: ObjectMeta {
                        name: Some(state.name.clone()),
                        namespace: Some(self.namespace.clone()),
                        labels: Some(BTreeMap::from([
                            ("app.kubernetes.io/name".to_string(), app.to_string()),
                            ("app.kubernetes.io/managed-by".to_string(), "lain".to_string()),
                        ])),
                        ..Default::default()
                    },
                    type_: Some("Opaque".into()),
                    data: Some(bytes),
                    ..Default::default()
                };
                api.create(&PostParams::default(), &s).await
            }
        };
        match result {
            Ok(s) => Ok(s),
            Err(e) if api_status(&e) == Some(409) => Err(SecretWriteError::Conflict { name: state.name.clone() }),
            Err(e) => Err(KubeError::api(format!("writing Secret {}", state.name), e).into()),
        }
    }

    pub async fn delete_secret(&self, name: &str) -> Result<bool, KubeError> {
        match self.api::<Secret>().delete(name, &Default::default()).await {
            Ok(_) => Ok(true),
            Err(e) if api_status(&e) == Some(404) => Ok(false),
            Err(e) => Err(KubeError::api(format!("deleting Secret {name}"), e)),
        }
    }
}
