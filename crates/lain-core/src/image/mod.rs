//! Images: the Dockerfile lain renders from `values.build` / `values.release`, image tags,
//! the container engine, and `docker-compose.yaml` for local debugging.
//!
//! - [`spec`]: typed `build` / `release` read from the merged values, errors naming key paths
//! - [`dockerfile`]: minijinja rendering of `templates/Dockerfile.j2` (compiled in)
//! - [`tag`]: `%ct-%H` tags and the dirty-tree policy; parsing and sorting registry tags
//! - [`docker`]: the `docker` CLI, local or `--remote-docker`
//! - [`compose`]: `lain compose`

pub mod compose;
pub mod docker;
pub mod dockerfile;
pub mod spec;
pub mod tag;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Everything the image commands need, resolved once by the CLI from the cluster config and the
/// merged values (so the flows in [`crate::ops`] take explicit inputs and tests can build one).
#[derive(Debug, Clone)]
pub struct ImageContext {
    /// The app's repository (the build context; where `chart/` lives).
    pub repo_dir: PathBuf,
    /// `values.appname` after the merge (a cluster may override it).
    pub appname: String,
    /// The cluster's `registry`: `host[:port][/namespace]`. Images are `REGISTRY/APPNAME:TAG`.
    pub registry: String,
    /// Merged values of the current cluster (values.yaml + values-CLUSTER.yaml + -f + --set).
    pub values: serde_json::Value,
    /// Current cluster name (shown in messages and in the rendered Dockerfile).
    pub cluster: String,
    /// `Some(ADDR)` only when `--remote-docker` was given (the cluster's `remote_docker`,
    /// `HOST:PORT`); `None` uses the local engine. See [`resolve_remote_docker`].
    pub remote_docker: Option<String>,
    /// The cluster's `secrets_env`: role → environment variable name. Roles lain reads:
    /// `user` (or `username`), `password` (or `token`), `access_key_id`, `access_key_secret`.
    pub secrets_env: BTreeMap<String, String>,
    /// The cluster's `registry_type`: `registry` (Docker Registry v2, the default; also
    /// `docker`, `v2`, empty), `harbor`, `aliyun` (ACR), `tencent` (TCR).
    pub registry_type: String,
}

impl ImageContext {
    /// A context with the defaults (local engine, no secrets_env, Docker Registry v2).
    pub fn new(repo_dir: impl Into<PathBuf>, appname: &str, registry: &str, values: serde_json::Value, cluster: &str) -> ImageContext {
        ImageContext {
            repo_dir: repo_dir.into(),
            appname: appname.to_string(),
            registry: registry.trim_end_matches('/').to_string(),
            values,
            cluster: cluster.to_string(),
            remote_docker: None,
            secrets_env: BTreeMap::new(),
            registry_type: String::new(),
        }
    }

    /// `REGISTRY/APPNAME:TAG`.
    pub fn image_ref(&self, tag: &str) -> String {
        format!("{}/{}:{}", self.registry, self.appname, tag)
    }

    /// The engine to use.
    pub fn docker(&self) -> docker::Docker {
        docker::Docker::new(self.remote_docker.as_deref())
    }

    /// The registry client, credentials resolved from `secrets_env` / the docker config.
    /// Reads the process environment: this is the one place the image commands do.
    pub fn registry_client(&self) -> Result<crate::registry::AnyRegistry, crate::registry::RegistryError> {
        let env = |k: &str| std::env::var(k).ok();
        let addr = crate::registry::RegistryAddr::parse(&self.registry);
        let config = crate::registry::auth::docker_config_path(&env);
        let creds = crate::registry::Credentials::resolve(&addr.host, &self.secrets_env, &env, config.as_deref());
        crate::registry::connect(&self.registry, &self.registry_type, creds)
    }

    /// The typed `build` / `release` of the merged values.
    pub fn spec(&self) -> Result<spec::ImageSpec, spec::SpecError> {
        spec::ImageSpec::from_values(&self.values)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteDockerError {
    #[error(
        "--remote-docker was given but cluster {cluster} has no `remote_docker` address\n  fix: drop --remote-docker, or ask your admin to set `remote_docker: HOST:PORT` in the cluster config"
    )]
    NotConfigured { cluster: String },
}

/// What `ImageContext::remote_docker` should be, from the `--remote-docker` flag and the
/// cluster's `remote_docker` setting.
pub fn resolve_remote_docker(flag: bool, cluster_remote_docker: Option<&str>, cluster: &str) -> Result<Option<String>, RemoteDockerError> {
    match (flag, cluster_remote_docker) {
        (false, _) => Ok(None),
        (true, Some(a)) if !a.trim().is_empty() => Ok(Some(a.trim().to_string())),
        (true, _) => Err(RemoteDockerError::NotConfigured { cluster: cluster.to_string() }),
    }
}

/// A `.dockerignore` for `lain init` to write: keeps the git directory and local clutter out
/// of the build context (faster builds, no repository history inside images).
pub const DOCKERIGNORE: &str = ".git\n**/__pycache__\n**/*.pyc\n.DS_Store\ndocker-compose.yaml\n";

/// Any failure of an image command, each variant carrying what explains it.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Spec(#[from] spec::SpecError),
    #[error(transparent)]
    Render(#[from] dockerfile::RenderError),
    #[error(transparent)]
    Tag(#[from] tag::TagError),
    #[error(transparent)]
    Docker(#[from] docker::DockerError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    #[error("{} exists and was not written by lain; lain will not overwrite it\n  fix: move it away, or drop --keep-dockerfile (lain does not need a Dockerfile in the repo)", .path.display())]
    ForeignDockerfile { path: PathBuf },
    #[error("{} already exists\n  fix: review it, or pass --force to overwrite it", .path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the prepare image {image} is neither in the local engine nor in the registry, and `build.prepare` builds FROM it\n  fix: run `lain prepare` first (or set `build.prepare: null` for this cluster to build from `build.base`)"
    )]
    NoPrepareImage { image: String },
}

/// First line of every Dockerfile lain renders; how lain recognises its own file.
pub const DOCKERFILE_HEADER: &str = "# Rendered by lain";
