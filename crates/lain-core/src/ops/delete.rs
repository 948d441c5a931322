//! `lain delete [--purge]`: `helm uninstall`; with `--purge` also the env and secret Secrets
//! (which helm does not own, so an uninstall alone keeps them for the next install).

use crate::context::Ctx;
use crate::error::LainError;
use crate::output;

use super::release::{Target, block_on, run_helm};

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub purge: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    pub release: String,
    pub uninstalled: bool,
    /// Secrets deleted by `--purge`.
    pub secrets: Vec<String>,
}

pub fn run(ctx: &Ctx, opts: &DeleteOptions) -> Result<Deleted, LainError> {
    let t = Target::load(ctx, &[])?;
    let helm = ctx.helm();
    let exists = t.history(&helm)?.is_some();
    block_on(async {
        let mut out = Deleted { release: t.release.clone(), uninstalled: false, secrets: vec![] };
        if exists {
            run_helm(helm.uninstall(&t.release, &t.namespace)).await?;
            out.uninstalled = true;
            output::success(&format!("uninstalled {} from cluster {}", t.release, t.cluster));
        } else {
            output::info(&format!("{} is not installed on cluster {}", t.release, t.cluster));
        }
        let kube = t.connect(ctx).await?;
        // A deletion scheduled by `deploy --delete-after` has nothing left to do.
        if super::delete_after::cancel(&kube, &t.release).await? {
            output::success(&format!("deleted CronJob {} (the scheduled deletion)", super::delete_after::cronjob_name(&t.release)));
        }
        if opts.purge {
            for name in [t.env_secret(), t.file_secret()] {
                if kube.delete_secret(&name).await? {
                    output::success(&format!("deleted Secret {name}"));
                    out.secrets.push(name);
                }
            }
        } else {
            output::info(&format!("kept Secrets {} and {} (`lain delete --purge` deletes them too)", t.env_secret(), t.file_secret()));
        }
        Ok(out)
    })?
}
