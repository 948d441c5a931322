//! Team and CI helpers: send-msg, assign-mr, wait-mr-approval.

use anyhow::{Context, Result};
use lain_core::context::Ctx;
use lain_core::error::LainError;
use lain_core::gitlab::AssignOutcome as assign_mr_outcome;
use lain_core::gitlab::{GitlabError, Token};
use lain_core::notify::Notifier;
use lain_core::ops::{assign_mr, send_msg, wait_mr_approval};
use lain_core::output;

#[derive(clap::Args, Debug)]
pub struct SendMsgArgs {
    /// The message.
    pub message: String,
}

/// Sends MSG to the app's and the cluster's webhooks.
pub fn send_msg(ctx: &Ctx, a: SendMsgArgs) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let values = app.values();
    let notifier = Notifier::from_config(values.get("webhook"), app.cluster.webhook.as_ref()).map_err(|e| LainError::bad_input(e.to_string()))?;
    let report = super::block_on(send_msg::run(&notifier, &app.cluster.name, &a.message))?;
    output::success(&format!("sent to {} webhook(s)", report.delivered));
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct MrArgs {
    /// The GitLab project path, e.g. $CI_PROJECT_PATH.
    pub project: String,
    /// The merge request's IID, e.g. $CI_MERGE_REQUEST_IID.
    pub mr_iid: u64,
    /// wait-mr-approval only: give up after this many seconds (default 3000).
    #[arg(long)]
    pub timeout: Option<u64>,
}

fn gitlab(ctx: &Ctx) -> Result<(String, Token)> {
    let cluster = ctx.current_cluster()?;
    let url = cluster.gitlab.clone().ok_or_else(|| {
        LainError::bad_input(format!(
            "cluster {} has no `gitlab` URL in its configuration ({})\n    fix: ask your SA to set `gitlab: https://gitlab.example.com` there",
            cluster.name, cluster.source
        ))
    })?;
    let token = Token::from_env(|k| std::env::var(k).ok()).map_err(|e| LainError::bad_input(e.to_string()))?;
    Ok((url, token))
}

fn code(e: GitlabError) -> anyhow::Error {
    match e {
        GitlabError::Timeout { .. } => LainError::TimedOut { message: e.to_string() }.into(),
        GitlabError::NoToken | GitlabError::InvalidUrl { .. } => LainError::bad_input(e.to_string()).into(),
        other => anyhow::Error::new(other),
    }
}

/// Picks two active contributors (never the author) as assignee and reviewer.
pub fn assign_mr(ctx: &Ctx, a: MrArgs) -> Result<()> {
    let (url, token) = gitlab(ctx)?;
    let out = super::block_on(assign_mr::run(assign_mr::AssignMrOptions { gitlab_url: &url, token, project: &a.project, mr_iid: a.mr_iid, seed: None }))
        .map_err(code)?;
    match out {
        assign_mr_outcome::AlreadyAssigned { assignees, reviewers } => {
            output::info(&format!("already looked after (assignees: {}; reviewers: {}); left as it is", assignees.join(", "), reviewers.join(", ")))
        }
        assign_mr_outcome::Assigned { assignee, reviewer } => output::success(&format!("assignee: @{}, reviewer: @{}", assignee.username, reviewer.username)),
    }
    Ok(())
}

/// Waits until the MR is approved; non-zero on close, merge without approval, or timeout.
pub fn wait_mr_approval(ctx: &Ctx, a: MrArgs) -> Result<()> {
    let (url, token) = gitlab(ctx)?;
    let approval = super::block_on(wait_mr_approval::run(wait_mr_approval::WaitMrApprovalOptions {
        gitlab_url: &url,
        token,
        project: &a.project,
        mr_iid: a.mr_iid,
        timeout: a.timeout.map(std::time::Duration::from_secs),
        interval: None,
    }))
    .map_err(code)
    .context("waiting for the merge request's approval")?;
    output::success(&format!("approved by {}", approval.approved_by.join(", ")));
    Ok(())
}
