//! Hook weights: helm runs hook Jobs from the lowest `helm.sh/hook-weight` up (then by name),
//! one after the other, and lain passes the annotation through (numbers become strings).

use k8s_openapi::api::batch::v1::Job;

use crate::both_helms;
use crate::observe::{record, rv};
use crate::support::setup;

// Names sort against the weights, so only the weights can explain the order.
const VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 1
    containerPort: 8000
jobs:
  a-last:
    command: ["true"]
    activeDeadlineSeconds: 60
    annotations:
      helm.sh/hook: post-install,pre-upgrade
      helm.sh/hook-delete-policy: before-hook-creation
      helm.sh/hook-weight: 10
  z-first:
    command: ["true"]
    activeDeadlineSeconds: 60
    annotations:
      helm.sh/hook: post-install,pre-upgrade
      helm.sh/hook-delete-policy: before-hook-creation
      helm.sh/hook-weight: "-5"
"#;

async fn hooks_run_by_weight(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.commit("v2");
    let jobs = record::<Job>(&t, "app.kubernetes.io/instance=dummy").await;
    t.lain(&["deploy"]).await.ok();
    let seen = jobs.stop();
    // The upgrade's Job of each name is the last uid seen under it (the install's, complete
    // already, arrive first in the initial list; before-hook-creation deletes and re-creates).
    let upgrade_job = |name: &str| -> Vec<&Job> {
        let uid = seen.iter().filter(|j| j.metadata.name.as_deref() == Some(name)).filter_map(|j| j.metadata.uid.clone()).next_back().expect("seen");
        seen.iter().filter(|j| j.metadata.uid.as_deref() == Some(uid.as_str())).collect()
    };
    let done = |j: &Job| j.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Complete" && c.status == "True"));
    let first = upgrade_job("dummy-z-first");
    let last = upgrade_job("dummy-a-last");
    let first_done = first.iter().filter(|j| done(j)).map(|j| rv(*j)).min().expect("z-first completed");
    let last_created = last.iter().map(|j| rv(*j)).min().expect("a-last seen");
    assert!(first_done < last_created, "weight -5 completed ({first_done}) before weight 10 was created ({last_created})");
    assert!(last.iter().any(|j| done(j)), "a-last ran too");
    let j = t.get("batch/v1", "jobs", "dummy-a-last").expect("job");
    assert_eq!(j["metadata"]["annotations"]["helm.sh/hook-weight"], "10");
    t.shutdown().await;
}
both_helms!(hooks_run_by_weight_, hooks_run_by_weight);
