//! Loading an app: find `chart/`, merge `values.yaml` ← `values-CLUSTER.yaml` ← `-f FILE` ←
//! `--set`, validate, and compute the values lain injects for the chart.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J, json};

use super::cluster::ClusterConfig;
use super::merge::merge;
use super::yaml::{self, Node};
use super::{ConfigError, schema, set};

/// What to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where to start looking for `chart/` (walks up to the filesystem root).
    pub start_dir: PathBuf,
    pub cluster: ClusterConfig,
    /// `-f FILE`, applied after values-CLUSTER.yaml, in order.
    pub extra_values: Vec<PathBuf>,
    /// `--set` expressions, applied last, in order.
    pub sets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcKind {
    Deployment,
    StatefulSet,
    Job,
    CronJob,
}

impl ProcKind {
    pub fn label(&self) -> &'static str {
        match self {
            ProcKind::Deployment => "deployment",
            ProcKind::StatefulSet => "statefulset",
            ProcKind::Job => "job",
            ProcKind::CronJob => "cronjob",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub name: String,
    pub kind: ProcKind,
}

/// A loaded, validated app for one cluster.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The app's repository root (the directory holding `chart/`).
    pub repo_dir: PathBuf,
    pub chart_dir: PathBuf,
    pub cluster: ClusterConfig,
    /// Values files beyond chart/values.yaml, in the order helm must apply them.
    pub values_files: Vec<PathBuf>,
    pub sets: Vec<String>,
    /// The merged tree, origins kept.
    pub merged: Node,
    pub appname: String,
    pub release_name: String,
    pub procs: Vec<Proc>,
}

/// Finds the directory holding `chart/Chart.yaml`, from `start` upwards.
pub fn find_repo(start: &Path) -> Result<PathBuf, ConfigError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join("chart").join("Chart.yaml").is_file() {
            return Ok(d.to_path_buf());
        }
        dir = d.parent();
    }
    Err(ConfigError::NoChart { dir: start.display().to_string() })
}

fn read(path: &Path, label: &str) -> Result<Node, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read { file: label.to_string(), reason: e.to_string() })?;
    Ok(yaml::parse(&text, label)?)
}

/// How a path is shown in messages: relative to the repo when inside it.
fn label_for(path: &Path, repo: &Path) -> String {
    path.strip_prefix(repo).unwrap_or(path).display().to_string()
}

impl AppConfig {
    pub fn load(opts: &LoadOptions) -> Result<AppConfig, ConfigError> {
        let repo_dir = find_repo(&opts.start_dir)?;
        let chart_dir = repo_dir.join("chart");
        let base_path = chart_dir.join("values.yaml");
        let mut merged = read(&base_path, &label_for(&base_path, &repo_dir))?;

        let mut values_files = Vec::new();
        let cluster_file = chart_dir.join(format!("values-{}.yaml", opts.cluster.name));
        if cluster_file.is_file() {
            merge(&mut merged, read(&cluster_file, &label_for(&cluster_file, &repo_dir))?);
            values_files.push(cluster_file);
        }
        for f in &opts.extra_values {
            let abs = if f.is_absolute() { f.clone() } else { opts.start_dir.join(f) };
            if !abs.is_file() {
                return Err(ConfigError::Read { file: f.display().to_string(), reason: "no such file (given with -f)".into() });
            }
            merge(&mut merged, read(&abs, &f.display().to_string())?);
            values_files.push(abs);
        }
        for s in &opts.sets {
            merge(&mut merged, set::parse(s)?);
        }

        let problems = schema::validate(&merged);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        // validate() guarantees appname is a valid string.
        let appname = merged.get("appname").and_then(Node::as_str).unwrap_or_default().to_string();
        let release_name = merged.get("releaseName").and_then(Node::as_str).map(str::to_string).unwrap_or_else(|| appname.clone());
        let mut procs = Vec::new();
        for (section, kind) in
            [("deployments", ProcKind::Deployment), ("statefulSets", ProcKind::StatefulSet), ("jobs", ProcKind::Job), ("cronjobs", ProcKind::CronJob)]
        {
            if let Some(m) = merged.get(section).and_then(Node::as_map) {
                procs.extend(m.keys().map(|name| Proc { name: name.clone(), kind }));
            }
        }
        Ok(AppConfig { repo_dir, chart_dir, cluster: opts.cluster.clone(), values_files, sets: opts.sets.clone(), merged, appname, release_name, procs })
    }

    /// The merged values as helm will see them, without the injected ones.
    pub fn values(&self) -> J {
        self.merged.to_json()
    }

    /// Long-running procs (deployments and statefulSets), the ones `restart`, `logs`, `x`,
    /// `update-image` act on.
    pub fn service_procs(&self) -> impl Iterator<Item = &Proc> {
        self.procs.iter().filter(|p| matches!(p.kind, ProcKind::Deployment | ProcKind::StatefulSet))
    }

    pub fn proc(&self, name: &str) -> Option<&Proc> {
        self.procs.iter().find(|p| p.name == name)
    }

    /// Image repository for this app: REGISTRY/APPNAME (push side).
    pub fn image_repo(&self) -> String {
        format!("{}/{}", self.cluster.registry.trim_end_matches('/'), self.appname)
    }

    /// The values lain injects. `image_tag` is the tag to deploy; `user` who deploys.
    /// A user's own `--set imageTag=...` (or releaseName...) wins: it is applied after these.
    pub fn injected(&self, user: &str, image_tag: &str) -> Map<String, J> {
        let c = &self.cluster;
        let mut m = Map::new();
        m.insert("cluster".into(), json!(c.name));
        m.insert("registry".into(), json!(c.registry));
        if let Some(r) = &c.internal_registry {
            m.insert("internalRegistry".into(), json!(r));
        }
        m.insert("domain".into(), json!(c.domain));
        m.insert("k8s_namespace".into(), json!(c.namespace));
        if let Some(sa) = &c.service_account_name {
            m.insert("serviceAccountName".into(), json!(sa));
        }
        m.insert("user".into(), json!(user));
        m.insert("imageTag".into(), json!(image_tag));
        m.insert("releaseName".into(), json!(self.release_name));
        if let Some(v) = &c.ingress_class {
            m.insert("ingressClass".into(), json!(v));
        }
        if let Some(v) = &c.external_ingress_class {
            m.insert("externalIngressClass".into(), json!(v));
        }
        if let Some(v) = &c.cluster_issuer {
            m.insert("clusterIssuer".into(), json!(v));
        }
        m.insert("clusterHostAliases".into(), J::Array(c.cluster_host_aliases.clone()));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Clusters;

    fn app(dir: &Path, values: &str) {
        std::fs::create_dir_all(dir.join("chart")).unwrap();
        std::fs::write(dir.join("chart/Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.1.0\n").unwrap();
        std::fs::write(dir.join("chart/values.yaml"), values).unwrap();
    }

    fn opts(dir: &Path) -> LoadOptions {
        LoadOptions { start_dir: dir.to_path_buf(), cluster: Clusters::embedded().get("test").unwrap(), extra_values: vec![], sets: vec![] }
    }

    #[test]
    fn layers_apply_in_order_and_are_located() {
        let d = tempfile::tempdir().unwrap();
        app(d.path(), "appname: dummy\ndeployments:\n  web:\n    command: [run]\n    replicaCount: 1\n");
        std::fs::write(d.path().join("chart/values-test.yaml"), "deployments:\n  web:\n    command: [run, --debug]\n").unwrap();
        std::fs::write(d.path().join("extra.yaml"), "releaseName: dummy-override\n").unwrap();
        let mut o = opts(&d.path().join("chart"));
        o.start_dir = d.path().to_path_buf();
        o.extra_values = vec![PathBuf::from("extra.yaml")];
        o.sets = vec!["deployments.web.replicaCount=3".into()];
        let a = AppConfig::load(&o).unwrap();
        assert_eq!(a.appname, "dummy");
        assert_eq!(a.release_name, "dummy-override");
        let v = a.values();
        assert_eq!(v["deployments"]["web"]["command"], json!(["run", "--debug"]));
        assert_eq!(v["deployments"]["web"]["replicaCount"], json!(3));
        assert_eq!(a.values_files.len(), 2);
        assert_eq!(a.image_repo(), "127.0.0.1:5000/dummy");
        let inj = a.injected("alice", "1-abc");
        assert_eq!(inj["user"], json!("alice"));
        assert_eq!(inj["releaseName"], json!("dummy-override"));
    }

    #[test]
    fn error_points_at_the_cluster_file() {
        let d = tempfile::tempdir().unwrap();
        app(d.path(), "appname: dummy\ndeployments:\n  web: {}\n");
        std::fs::write(d.path().join("chart/values-test.yaml"), "deployments:\n  web:\n    resources:\n      limits: {memory: 80m}\n").unwrap();
        let err = AppConfig::load(&opts(d.path())).unwrap_err().to_string();
        assert!(err.contains("chart/values-test.yaml:4: deployments.web.resources.limits.memory"), "{err}");
    }

    #[test]
    fn set_can_override_appname() {
        let d = tempfile::tempdir().unwrap();
        app(d.path(), "appname: dummy\n");
        let mut o = opts(d.path());
        o.sets = vec!["appname=other".into()];
        let a = AppConfig::load(&o).unwrap();
        assert_eq!((a.appname.as_str(), a.release_name.as_str()), ("other", "other"));
    }

    #[test]
    fn no_chart_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let err = AppConfig::load(&opts(d.path())).unwrap_err().to_string();
        assert!(err.contains("lain init"), "{err}");
    }

    #[test]
    fn missing_extra_file() {
        let d = tempfile::tempdir().unwrap();
        app(d.path(), "appname: dummy\n");
        let mut o = opts(d.path());
        o.extra_values = vec![PathBuf::from("nope.yaml")];
        let err = AppConfig::load(&o).unwrap_err().to_string();
        assert!(err.contains("nope.yaml"), "{err}");
    }
}
