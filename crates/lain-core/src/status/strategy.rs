//! The strategy lines of `lain status`: a canary or a blue/green deploy in flight, so whoever
//! looks sees that two versions are running and what the next step is. Best effort: a read that
//! fails shows nothing rather than failing the dashboard.

use crate::helm::Helm;
use crate::kube::Kube;
use crate::ops::{blue_green, canary};

/// One line per strategy in flight for `release` (usually none).
pub async fn lines(client: &kube::Client, helm: Option<&Helm>, namespace: &str, release: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = helm {
        // helm history + get values of RELEASE-canary: processes, so off the async threads.
        let (h, r, n) = (h.clone(), release.to_string(), namespace.to_string());
        if let Ok(Ok(Some(c))) = tokio::task::spawn_blocking(move || canary::state_of(&h, &r, &n)).await {
            out.push(format!("{}; next: `lain set-canary-group GROUP`, `lain deploy --canary --final` or `--abort`", c.describe()));
        }
    }
    let kube = Kube { client: client.clone(), namespace: namespace.to_string() };
    if let Ok(Some(bg)) = blue_green::state_in(&kube, release).await {
        out.push(bg.describe());
    }
    out
}
