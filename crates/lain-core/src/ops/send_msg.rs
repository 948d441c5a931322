//! `lain send-msg MSG`: a message to the app's webhooks (e.g. from a CI script that refuses to
//! deploy). Unlike the notifications sent after a deploy, here delivery is the whole point, so
//! "no webhook" and "no webhook took it" are errors.

use crate::notify::{Event, Notifier, NotifyError, SendReport};

/// Sends `text` to every webhook configured for `cluster`. Ok with the partial failures (to
/// print as warnings) when at least one webhook accepted it.
pub async fn run(notifier: &Notifier, cluster: &str, text: &str) -> Result<SendReport, NotifyError> {
    if notifier.hooks_for(cluster).next().is_none() {
        return Err(NotifyError::NoWebhook { cluster: cluster.to_string() });
    }
    let report = notifier.send(cluster, &Event::Message(text.to_string())).await;
    if report.delivered == 0 {
        return Err(NotifyError::NothingDelivered(report.warnings));
    }
    Ok(report)
}
