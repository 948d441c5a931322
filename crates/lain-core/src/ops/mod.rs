//! Each command's flow, taking explicit inputs (a context and an options struct) and returning
//! a typed result; the CLI only builds the inputs and prints the result. These are the only code
//! that talks to helm, docker, the registry or the Kubernetes API.
//!
//! Image commands (`build`, `prepare`, `push`, `run`, `save`, `image`, `version`, `compose`)
//! take [`crate::image::ImageContext`], built from the app and cluster by [`image_context`].

pub mod announce;
pub mod assign_mr;
pub mod blue_green;
pub mod build;
pub mod canary;
pub mod compose;
pub mod create_job;
pub mod delete;
pub mod delete_after;
pub mod deploy;
pub mod env;
pub mod exec;
pub mod get_values;
pub mod image;
pub mod init;
pub mod job;
pub mod lint;
pub mod logs;
pub mod prepare;
pub mod push;
pub mod redeploy;
pub mod release;
pub mod restart;
pub mod rollback;
pub mod run;
pub mod save;
pub mod secret;
pub mod secret_edit;
pub mod send_msg;
pub mod strategy;
pub mod template;
pub mod update_image;
pub mod use_cluster;
pub mod version;
pub mod wait;
pub mod wait_mr_approval;

pub use crate::image::{ImageContext, ImageError};

use crate::config::AppConfig;
use crate::context::Ctx;
use crate::error::LainError;

/// The image context of the loaded app on the current cluster, honouring `--remote-docker`.
pub fn image_context(ctx: &Ctx, app: &AppConfig) -> Result<ImageContext, LainError> {
    let c = &app.cluster;
    let mut ic = ImageContext::new(app.repo_dir.clone(), &app.appname, &c.registry, app.values(), &c.name);
    ic.remote_docker =
        crate::image::resolve_remote_docker(ctx.globals.remote_docker, c.remote_docker.as_deref(), &c.name).map_err(|e| LainError::bad_input(e.to_string()))?;
    ic.secrets_env = c.secrets_env.clone();
    ic.registry_type = c.registry_type.as_str().to_string();
    Ok(ic)
}
