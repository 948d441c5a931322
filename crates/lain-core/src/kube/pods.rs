//! Finding a release's pods and workloads, by the labels the chart puts on them.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams};

use super::health::{INSTANCE_LABEL, PROC_LABEL};
use super::{Kube, KubeError};

/// `app.kubernetes.io/instance=RELEASE`
pub fn release_selector(release: &str) -> String {
    format!("{INSTANCE_LABEL}={release}")
}

/// `app.kubernetes.io/instance=RELEASE,lain.io/proc=PROC`
pub fn proc_selector(release: &str, proc_: &str) -> String {
    format!("{INSTANCE_LABEL}={release},{PROC_LABEL}={proc_}")
}

/// What a release has in the cluster right now.
#[derive(Debug, Default, Clone)]
pub struct ReleaseObjects {
    pub pods: Vec<Pod>,
    pub deployments: Vec<Deployment>,
    pub statefulsets: Vec<StatefulSet>,
}

impl Kube {
    pub async fn pods(&self, selector: &str) -> Result<Vec<Pod>, KubeError> {
        let list =
            self.api::<Pod>().list(&ListParams::default().labels(selector)).await.map_err(|e| KubeError::api(format!("listing pods ({selector})"), e))?;
        let mut pods = list.items;
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(pods)
    }

    pub async fn release_objects(&self, release: &str) -> Result<ReleaseObjects, KubeError> {
        let sel = release_selector(release);
        let lp = ListParams::default().labels(&sel);
        let (dep_api, sts_api) = (self.api::<Deployment>(), self.api::<StatefulSet>());
        let (pods, deps, sts) = futures::join!(self.pods(&sel), dep_api.list(&lp), sts_api.list(&lp));
        Ok(ReleaseObjects {
            pods: pods?,
            deployments: deps.map_err(|e| KubeError::api("listing deployments", e))?.items,
            statefulsets: sts.map_err(|e| KubeError::api("listing statefulsets", e))?.items,
        })
    }

    /// Deletes a pod (its controller replaces it). Gone already is fine.
    pub async fn delete_pod(&self, name: &str) -> Result<(), KubeError> {
        match self.api::<Pod>().delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(e) if super::api_status(&e) == Some(404) => Ok(()),
            Err(e) => Err(KubeError::api(format!("deleting pod {name}"), e)),
        }
    }
}

/// The `lain.io/proc` label of a pod.
pub fn pod_proc(pod: &Pod) -> &str {
    pod.metadata.labels.as_ref().and_then(|l| l.get(PROC_LABEL)).map(String::as_str).unwrap_or("")
}

/// Whether the pod is Running and its Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    let s = pod.status.as_ref();
    s.and_then(|s| s.phase.as_deref()) == Some("Running")
        && s.and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
