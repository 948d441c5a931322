//! Services, ReplicaSets and Ingresses as the deployment strategies need them: a blue/green
//! switch is one merge patch of a Service (selector and state annotations together, guarded by
//! the resourceVersion read just before), and the blue pin needs the pod-template-hash of a
//! Deployment's current ReplicaSet.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::Value as J;

use super::{Kube, KubeError};

/// The label the Deployment controller puts on a ReplicaSet and its pods, naming the template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// lain's field manager for the writes it makes outside helm.
const MANAGER: &str = "lain";

impl Kube {
    pub async fn services(&self, selector: &str) -> Result<Vec<Service>, KubeError> {
        let list = self
            .api::<Service>()
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|e| KubeError::api(format!("listing services ({selector})"), e))?;
        let mut items = list.items;
        items.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(items)
    }

    pub async fn ingresses(&self, selector: &str) -> Result<Vec<Ingress>, KubeError> {
        let list = self
            .api::<Ingress>()
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|e| KubeError::api(format!("listing ingresses ({selector})"), e))?;
        let mut items = list.items;
        items.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(items)
    }

    pub async fn deployment(&self, name: &str) -> Result<Option<Deployment>, KubeError> {
        self.api::<Deployment>().get_opt(name).await.map_err(|e| KubeError::api(format!("reading deployment {name}"), e))
    }

    /// One JSON merge patch of a Service. With `resource_version`, the API server refuses it
    /// (409) when the Service changed since it was read, so two lains cannot interleave.
    pub async fn merge_patch_service(&self, name: &str, mut patch: J, resource_version: Option<&str>) -> Result<Service, KubeError> {
        if let Some(rv) = resource_version {
            patch["metadata"]["resourceVersion"] = J::String(rv.to_string());
        }
        self.api::<Service>()
            .patch(name, &PatchParams { field_manager: Some(MANAGER.into()), ..Default::default() }, &Patch::Merge(&patch))
            .await
            .map_err(|e| KubeError::api(format!("updating service {name}"), e))
    }

    /// The pod-template-hash of the one ReplicaSet of `deployment` that has pods, when its
    /// rollout is complete (every replica updated and available, no old pods left). `Err` says
    /// why it is not steady.
    pub async fn steady_template_hash(&self, deployment: &str) -> Result<Result<String, String>, KubeError> {
        let Some(d) = self.deployment(deployment).await? else {
            return Ok(Err(format!("deployment {deployment} does not exist")));
        };
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let generation = d.metadata.generation.unwrap_or(0);
        if want == 0 {
            return Ok(Err(format!("deployment {deployment} is scaled to 0")));
        }
        if st.observed_generation.unwrap_or(0) < generation
            || st.updated_replicas.unwrap_or(0) != want
            || st.available_replicas.unwrap_or(0) != want
            || st.replicas.unwrap_or(0) != want
        {
            return Ok(Err(format!(
                "deployment {deployment} is mid-rollout ({} of {want} updated, {} available, {} pods)",
                st.updated_replicas.unwrap_or(0),
                st.available_replicas.unwrap_or(0),
                st.replicas.unwrap_or(0)
            )));
        }
        let uid = d.metadata.uid.clone().unwrap_or_default();
        // The Deployment's own selector narrows the list; ownership decides.
        let sel = d
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.as_ref())
            .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        let rss = self.api::<ReplicaSet>().list(&ListParams::default().labels(&sel)).await.map_err(|e| KubeError::api("listing replicasets", e))?.items;
        let live: Vec<&ReplicaSet> = rss
            .iter()
            .filter(|rs| rs.metadata.owner_references.as_ref().is_some_and(|o| o.iter().any(|r| r.uid == uid && r.controller == Some(true))))
            .filter(|rs| rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0) > 0)
            .collect();
        match live.as_slice() {
            [rs] => match rs.metadata.labels.as_ref().and_then(|l| l.get(POD_TEMPLATE_HASH)) {
                Some(h) => Ok(Ok(h.clone())),
                None => Ok(Err(format!("replicaset {} has no {POD_TEMPLATE_HASH} label", rs.metadata.name.as_deref().unwrap_or("?")))),
            },
            other => Ok(Err(format!("deployment {deployment} has {} replicasets with pods (expected one)", other.len()))),
        }
    }
}

/// A Service's selector as a map (empty when none).
pub fn selector(s: &Service) -> std::collections::BTreeMap<String, String> {
    s.spec.as_ref().and_then(|sp| sp.selector.clone()).unwrap_or_default()
}

pub fn annotation<'a>(meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str)
}

pub fn label<'a>(meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref().and_then(|a| a.get(key)).map(String::as_str)
}
