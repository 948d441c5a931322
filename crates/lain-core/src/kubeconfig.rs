//! `lain use CLUSTER`: `~/.kube/config` becomes a symlink to `~/.kube/kubeconfig-CLUSTER`.
//!
//! The current cluster is *read back from the symlink*, not stored anywhere else, so kubectl and
//! helm typed by hand always talk to the cluster lain thinks is current. The swap is atomic (a
//! new link renamed over the old one): a crash mid-way leaves either the old or the new cluster,
//! never a missing or half-written config. A regular-file `~/.kube/config` is someone's own
//! configuration: lain refuses to replace it.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error(
        "{path} is missing, so lain cannot reach cluster \"{cluster}\"\n    fix: get the kubeconfig for \"{cluster}\" from your SA and save it as {path}{docs}"
    )]
    MissingKubeconfig { cluster: String, path: String, docs: String },
    #[error(
        "{path} is a regular file, not a link made by `lain use`; lain will not replace it\n    fix: move it aside, e.g. `mv {path} {dir}/kubeconfig-mycluster`, then run `lain use mycluster`"
    )]
    ConfigIsRegularFile { path: String, dir: String },
    #[error("no current cluster: {reason}\n    fix: run `lain use CLUSTER` (clusters: {known})")]
    NoCurrentCluster { reason: String, known: String },
    #[error("cannot switch {path}: {reason}")]
    Io { path: String, reason: String },
}

/// The `~/.kube` directory lain manages.
#[derive(Debug, Clone)]
pub struct KubeDir {
    pub dir: PathBuf,
}

impl KubeDir {
    pub fn new(home: &Path) -> Self {
        KubeDir { dir: home.join(".kube") }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config")
    }

    pub fn kubeconfig_for(&self, cluster: &str) -> PathBuf {
        self.dir.join(format!("kubeconfig-{cluster}"))
    }

    /// The cluster `~/.kube/config` points at, if it is a `kubeconfig-NAME` link.
    pub fn current(&self) -> Option<String> {
        let target = std::fs::read_link(self.config_path()).ok()?;
        let name = target.file_name()?.to_str()?;
        name.strip_prefix("kubeconfig-").map(str::to_string)
    }

    /// Like [`KubeDir::current`], with an error that says what to do.
    pub fn require_current(&self, known: &[String]) -> Result<String, KubeconfigError> {
        let known_s = if known.is_empty() { "none configured".to_string() } else { known.join(", ") };
        let cfg = self.config_path();
        match std::fs::symlink_metadata(&cfg) {
            Err(_) => Err(KubeconfigError::NoCurrentCluster { reason: format!("{} does not exist", cfg.display()), known: known_s }),
            Ok(m) if !m.file_type().is_symlink() => {
                Err(KubeconfigError::NoCurrentCluster { reason: format!("{} is a regular file, not a link made by `lain use`", cfg.display()), known: known_s })
            }
            Ok(_) => self.current().ok_or_else(|| KubeconfigError::NoCurrentCluster {
                reason: format!("{} points somewhere other than a kubeconfig-CLUSTER file", cfg.display()),
                known: known_s,
            }),
        }
    }

    /// Points `~/.kube/config` at `kubeconfig-CLUSTER`, atomically.
    pub fn switch(&self, cluster: &str, extra_docs: Option<&str>) -> Result<(), KubeconfigError> {
        let target = self.kubeconfig_for(cluster);
        if !target.is_file() {
            return Err(KubeconfigError::MissingKubeconfig {
                cluster: cluster.to_string(),
                path: target.display().to_string(),
                docs: extra_docs.map(|d| format!("\n    {}", d.trim())).unwrap_or_default(),
            });
        }
        let cfg = self.config_path();
        if let Ok(m) = std::fs::symlink_metadata(&cfg)
            && !m.file_type().is_symlink()
        {
            return Err(KubeconfigError::ConfigIsRegularFile { path: cfg.display().to_string(), dir: self.dir.display().to_string() });
        }
        let io = |e: std::io::Error| KubeconfigError::Io { path: cfg.display().to_string(), reason: e.to_string() };
        let tmp = self.dir.join(format!(".config.lain-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        // Relative target: the link keeps working if the home directory is moved or mounted
        // elsewhere (a container with $HOME bind-mounted, say).
        let rel = PathBuf::from(format!("kubeconfig-{cluster}"));
        #[cfg(unix)]
        std::os::unix::fs::symlink(&rel, &tmp).map_err(io)?;
        if let Err(e) = std::fs::rename(&tmp, &cfg) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_and_read_back() {
        let home = tempfile::tempdir().unwrap();
        let k = KubeDir::new(home.path());
        std::fs::create_dir_all(&k.dir).unwrap();
        std::fs::write(k.kubeconfig_for("test"), "a").unwrap();
        std::fs::write(k.kubeconfig_for("prod"), "b").unwrap();
        assert_eq!(k.current(), None);
        k.switch("test", None).unwrap();
        assert_eq!(k.current().as_deref(), Some("test"));
        assert_eq!(std::fs::read_to_string(k.config_path()).unwrap(), "a");
        k.switch("prod", None).unwrap();
        assert_eq!(k.current().as_deref(), Some("prod"));
        assert_eq!(std::fs::read_to_string(k.config_path()).unwrap(), "b");
        // No temporary links left behind.
        let names: Vec<_> = std::fs::read_dir(&k.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn refuses_regular_file_and_keeps_it() {
        let home = tempfile::tempdir().unwrap();
        let k = KubeDir::new(home.path());
        std::fs::create_dir_all(&k.dir).unwrap();
        std::fs::write(k.kubeconfig_for("test"), "a").unwrap();
        std::fs::write(k.config_path(), "mine").unwrap();
        let err = k.switch("test", None).unwrap_err();
        assert!(matches!(err, KubeconfigError::ConfigIsRegularFile { .. }));
        assert!(err.to_string().contains("mv "), "{err}");
        assert_eq!(std::fs::read_to_string(k.config_path()).unwrap(), "mine");
    }

    #[test]
    fn missing_kubeconfig_leaves_current_alone() {
        let home = tempfile::tempdir().unwrap();
        let k = KubeDir::new(home.path());
        std::fs::create_dir_all(&k.dir).unwrap();
        std::fs::write(k.kubeconfig_for("test"), "a").unwrap();
        k.switch("test", None).unwrap();
        let err = k.switch("prod", Some("Ask #sa on chat.")).unwrap_err().to_string();
        assert!(err.contains("kubeconfig-prod"), "{err}");
        assert!(err.contains("Ask #sa"), "{err}");
        assert_eq!(k.current().as_deref(), Some("test"));
    }
}
