//! `lain create-job CRONJOB`: run a cronjob now, as a Job made from its template (what
//! `kubectl create job --from=cronjob/...` does), owned by the CronJob so it is cleaned up with
//! it. With `--wait`, its logs are printed and the exit code is the job's.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;
use kube::api::{ObjectMeta, PostParams};

use crate::config::ProcKind;
use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::KubeError;
use crate::output;

use super::job::{follow, job_name, stamp};
use super::release::{Target, block_on};

#[derive(Debug, Clone)]
pub struct CreateJobOptions {
    pub cronjob: String,
    pub wait: bool,
    pub timeout: Duration,
}

/// The created Job's name, and its exit code when waited for.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub job: String,
    pub exit_code: Option<i32>,
}

pub fn run(ctx: &Ctx, opts: &CreateJobOptions) -> Result<Created, LainError> {
    let t = Target::load(ctx, &[])?;
    let crons: Vec<String> = t.app.procs.iter().filter(|p| p.kind == ProcKind::CronJob).map(|p| p.name.clone()).collect();
    if !crons.contains(&opts.cronjob) {
        return Err(super::release::unknown_name("cronjob", &opts.cronjob, &t.appname, &crons));
    }
    let cron_name = format!("{}-{}", t.release, opts.cronjob);
    block_on(async {
        let kube = t.connect(ctx).await?;
        let cron = kube
            .api::<CronJob>()
            .get_opt(&cron_name)
            .await
            .map_err(|e| KubeError::api(format!("reading cronjob {cron_name}"), e))?
            .ok_or_else(|| LainError::bad_input(format!("cronjob {cron_name} is not deployed on cluster {}; deploy first", t.cluster)))?;
        let tmpl = cron.spec.as_ref().map(|s| s.job_template.clone()).unwrap_or_default();
        let name = job_name(&format!("{cron_name}-manual"), &stamp());
        let mut annotations: BTreeMap<String, String> = tmpl.metadata.as_ref().and_then(|m| m.annotations.clone()).unwrap_or_default();
        annotations.insert("cronjob.kubernetes.io/instantiate".into(), "manual".into());
        let owner = OwnerReference {
            api_version: CronJob::api_version(&()).into_owned(),
            kind: CronJob::kind(&()).into_owned(),
            name: cron_name.clone(),
            uid: cron.metadata.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        let job = Job {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: tmpl.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![owner]),
                ..Default::default()
            },
            spec: tmpl.spec,
            ..Default::default()
        };
        kube.api::<Job>().create(&PostParams::default(), &job).await.map_err(|e| KubeError::api(format!("creating job {name}"), e))?;
        output::success(&format!("created job {name} from cronjob {cron_name}"));
        if !opts.wait {
            output::info(&format!("its logs: `lain logs {}` (or kubectl logs -f job/{name})", opts.cronjob));
            return Ok(Created { job: name, exit_code: None });
        }
        let container = job.spec.as_ref().and_then(|s| s.template.spec.as_ref()).and_then(|s| s.containers.first()).map(|c| c.name.clone()).unwrap_or_default();
        let selector = format!("job-name={name}");
        let code = follow(&kube, &selector, &container, opts.timeout).await?;
        Ok(Created { job: name, exit_code: Some(code) })
    })?
}
