//! Events about an object ("Readiness probe failed: ...", "0/3 nodes are available ..."): the
//! explanation Kubernetes gives when a pod does not start.

use k8s_openapi::api::core::v1::Event;
use kube::api::ListParams;

use super::{Kube, KubeError};

/// One event, as a line: `Warning BackOff: Back-off restarting failed container (x5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLine {
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub last: Option<jiff::Timestamp>,
}

impl std::fmt::Display for EventLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.type_, self.reason, self.message.trim())?;
        if self.count > 1 {
            write!(f, " (x{})", self.count)?;
        }
        Ok(())
    }
}

impl Kube {
    /// Events about the named object, oldest first.
    pub async fn events_for(&self, name: &str) -> Result<Vec<EventLine>, KubeError> {
        let lp = ListParams::default().fields(&format!("involvedObject.name={name}"));
        let list = self.api::<Event>().list(&lp).await.map_err(|e| KubeError::api(format!("listing events of {name}"), e))?;
        let mut out: Vec<EventLine> = list
            .items
            .into_iter()
            // Some servers ignore field selectors on events; filter again.
            .filter(|e| e.involved_object.name.as_deref() == Some(name))
            .map(|e| EventLine {
                type_: e.type_.unwrap_or_else(|| "Normal".into()),
                reason: e.reason.unwrap_or_default(),
                message: e.message.unwrap_or_default(),
                count: e.count.unwrap_or(1),
                last: e.last_timestamp.map(|t| t.0).or_else(|| e.event_time.map(|t| t.0)).or_else(|| e.metadata.creation_timestamp.map(|t| t.0)),
            })
            .collect();
        out.sort_by_key(|e| e.last);
        Ok(out)
    }
}
