//! `lain wait-mr-approval PROJECT MR_IID`: exits 0 once the MR is approved; an error (non-zero
//! exit) with the reason when it is closed, merged without approval, or the wait times out.

use std::time::Duration;

use crate::gitlab::{Approval, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, Gitlab, GitlabError, Token};
use crate::output;

pub struct WaitMrApprovalOptions<'a> {
    pub gitlab_url: &'a str,
    pub token: Token,
    pub project: &'a str,
    pub mr_iid: u64,
    /// Default [`DEFAULT_WAIT_TIMEOUT`] (50 min, under GitLab's default job timeout).
    pub timeout: Option<Duration>,
    /// Default [`DEFAULT_POLL_INTERVAL`] (30 s).
    pub interval: Option<Duration>,
}

pub async fn run(opts: WaitMrApprovalOptions<'_>) -> Result<Approval, GitlabError> {
    let gitlab = Gitlab::new(opts.gitlab_url, opts.token)?;
    let timeout = opts.timeout.unwrap_or(DEFAULT_WAIT_TIMEOUT);
    let interval = opts.interval.unwrap_or(DEFAULT_POLL_INTERVAL);
    let mr = format!("{}!{}", opts.project, opts.mr_iid);
    output::info(&format!("waiting up to {} for an approval of {mr} (checking every {})", human(timeout), human(interval)));
    let approval = gitlab.wait_mr_approval(opts.project, opts.mr_iid, timeout, interval).await?;
    output::success(&format!("{mr} approved by {}", approval.approved_by.join(", ")));
    Ok(approval)
}

fn human(d: Duration) -> String {
    match d.as_secs() {
        0 => format!("{} ms", d.as_millis()),
        s if s < 120 => format!("{s} s"),
        s => format!("{} min", s / 60),
    }
}
