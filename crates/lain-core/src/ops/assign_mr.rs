//! `lain assign-mr PROJECT MR_IID` (in CI: `lain assign-mr $CI_PROJECT_PATH $CI_MERGE_REQUEST_IID`).

use crate::gitlab::{AssignOutcome, Gitlab, GitlabError, Token};
use crate::output;

pub struct AssignMrOptions<'a> {
    /// The cluster configuration's `gitlab` URL.
    pub gitlab_url: &'a str,
    pub token: Token,
    /// `group/name` or the numeric project id.
    pub project: &'a str,
    pub mr_iid: u64,
    /// Reproducible pick (tests); `None` in normal use.
    pub seed: Option<u64>,
}

/// Assigns the MR if nobody looks after it, and says what happened (stderr).
pub async fn run(opts: AssignMrOptions<'_>) -> Result<AssignOutcome, GitlabError> {
    let gitlab = Gitlab::new(opts.gitlab_url, opts.token)?;
    let outcome = gitlab.assign_mr(opts.project, opts.mr_iid, opts.seed).await?;
    let mr = format!("{}!{}", opts.project, opts.mr_iid);
    match &outcome {
        AssignOutcome::AlreadyAssigned { assignees, reviewers } => {
            output::info(&format!("{mr} already has assignees [{}] and reviewers [{}]; left as is", assignees.join(", "), reviewers.join(", ")))
        }
        AssignOutcome::Assigned { assignee, reviewer } if assignee == reviewer => {
            output::success(&format!("{mr}: only one active contributor found; @{} is assignee and reviewer", assignee.username))
        }
        AssignOutcome::Assigned { assignee, reviewer } => output::success(&format!("{mr}: assignee @{}, reviewer @{}", assignee.username, reviewer.username)),
    }
    Ok(outcome)
}
