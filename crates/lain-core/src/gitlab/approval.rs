//! `lain wait-mr-approval`: blocks a pipeline until the MR is approved. With "pipelines must
//! succeed" on, this gives GitLab CE the approval gate only paid tiers have.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Gitlab, GitlabError, project_id};

/// Below GitLab's default job timeout (60 min), so lain says why it stopped rather than
/// GitLab killing the job without a word.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(50 * 60);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub approved_by: Vec<String>,
}

/// Approved means: someone other than the author approved, and no approval rule still
/// waits (`approvals_left`, on tiers that have rules). `approved` alone is not enough: on
/// GitLab Free it is true for an MR nobody looked at, because no approvals are required.
fn approved(approvals: &Value, author: &str) -> Vec<String> {
    let by: Vec<String> = approvals
        .get("approved_by")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.pointer("/user/username").and_then(Value::as_str)).filter(|u| *u != author).map(str::to_string).collect())
        .unwrap_or_default();
    let left = approvals.get("approvals_left").and_then(Value::as_u64).unwrap_or(0);
    if left == 0 { by } else { Vec::new() }
}

impl Gitlab {
    /// Polls the MR every `interval` until it is approved (Ok), closed or merged without
    /// approval, or `timeout` passes (errors saying which).
    pub async fn wait_mr_approval(&self, project: &str, iid: u64, timeout: Duration, interval: Duration) -> Result<Approval, GitlabError> {
        let start = Instant::now();
        let approvals_path = format!("projects/{}/merge_requests/{iid}/approvals", project_id(project));
        let doing = format!("reading the approvals of {project}!{iid}");
        loop {
            let mr = self.merge_request(project, iid).await?;
            let state = mr.get("state").and_then(Value::as_str).unwrap_or("");
            let author = mr.pointer("/author/username").and_then(Value::as_str).unwrap_or("");
            if state == "closed" {
                return Err(GitlabError::Closed { project: project.to_string(), iid });
            }
            let approvals = self.get(&approvals_path, &doing).await?;
            let by = approved(&approvals, author);
            if !by.is_empty() {
                return Ok(Approval { approved_by: by });
            }
            if state == "merged" {
                return Err(GitlabError::MergedWithoutApproval { project: project.to_string(), iid });
            }
            if start.elapsed() + interval > timeout {
                let mut reviewers: Vec<String> = Vec::new();
                for key in ["reviewers", "assignees"] {
                    let names = mr.get(key).and_then(Value::as_array).into_iter().flatten();
                    for name in names.filter_map(|u| u.get("username").and_then(Value::as_str)) {
                        if !reviewers.iter().any(|r| r == name) {
                            reviewers.push(name.to_string());
                        }
                    }
                }
                return Err(GitlabError::Timeout { project: project.to_string(), iid, waited: start.elapsed(), reviewers });
            }
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn approval_rules() {
        let a = json!({"approved": true, "approved_by": [], "approvals_left": 0});
        assert!(approved(&a, "alice").is_empty(), "Free tier: approved=true with nobody approving");
        let a = json!({"approved_by": [{"user": {"username": "bob"}}], "approvals_left": 0});
        assert_eq!(approved(&a, "alice"), ["bob"]);
        let a = json!({"approved_by": [{"user": {"username": "bob"}}], "approvals_left": 1});
        assert!(approved(&a, "alice").is_empty(), "a rule still waits");
        let a = json!({"approved_by": [{"user": {"username": "alice"}}]});
        assert!(approved(&a, "alice").is_empty(), "self-approval does not count");
    }
}
