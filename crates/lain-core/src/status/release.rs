//! The helm release as `helm status -o json` and `helm get values -o json` describe it: revision,
//! status, when, and (from the values lain injected at deploy time) the image tag and who.

use serde_json::Value as J;

use super::model::ReleaseInfo;
use crate::helm::Helm;
use crate::process::{Cmd, ProcessError};

/// `helm status RELEASE -n NS -o json`
pub fn status_cmd(helm: &Helm, release: &str, namespace: &str) -> Cmd {
    helm.cmd().args(["status", release, "--namespace", namespace, "-o", "json"])
}

/// `helm get values RELEASE -n NS -o json` (user-supplied values: lain passes `imageTag` and
/// `user` with --set-string, so they are there).
pub fn values_cmd(helm: &Helm, release: &str, namespace: &str) -> Cmd {
    helm.cmd().args(["get", "values", release, "--namespace", namespace, "-o", "json"])
}

/// Parses both outputs into [`ReleaseInfo`]. Unknown or missing fields are left empty rather
/// than failing: helm 3 and 4 differ in details and a partial header is better than none.
pub fn parse(status_json: &str, values_json: Option<&str>) -> Result<ReleaseInfo, String> {
    let s: J = serde_json::from_str(status_json).map_err(|e| format!("unreadable `helm status` output: {e}"))?;
    let info = &s["info"];
    let str_at = |v: &J| v.as_str().map(str::to_string);
    let deployed_at = str_at(&info["last_deployed"]).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let chart = {
        let m = &s["chart"]["metadata"];
        match (m["name"].as_str(), m["version"].as_str()) {
            (Some(n), Some(v)) => Some(format!("{n}-{v}")),
            _ => None,
        }
    };
    let values: Option<J> = values_json.and_then(|v| serde_json::from_str(v).ok());
    // `helm status` embeds the user values as `config` too; either source will do.
    let vals = values.as_ref().filter(|v| v.is_object()).or_else(|| s.get("config").filter(|v| v.is_object()));
    let scalar = |k: &str| {
        vals.and_then(|v| v.get(k)).and_then(|x| match x {
            J::String(s) => Some(s.clone()),
            J::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Ok(ReleaseInfo {
        name: str_at(&s["name"]).unwrap_or_default(),
        revision: s["version"].as_u64().map(|v| v as u32),
        status: str_at(&info["status"]).unwrap_or_else(|| "unknown".into()),
        deployed_at,
        image_tag: scalar("imageTag"),
        user: scalar("user"),
        chart,
        description: str_at(&info["description"]),
        expires_at: None,
    })
}

/// The release as helm describes it (`None` without helm), with what lain keeps beside it: when
/// a `--delete-after` release goes, and a canary or blue/green in flight
/// ([`super::strategy::lines`]). The helm reads of both run side by side.
pub async fn gather(
    client: &kube::Client,
    helm: Option<&Helm>,
    namespace: &str,
    release: &str,
    quiet: bool,
) -> (Option<Result<ReleaseInfo, String>>, Vec<String>) {
    let info = async {
        let (h, r, n) = (helm?.clone(), release.to_string(), namespace.to_string());
        let mut res = tokio::task::spawn_blocking(move || fetch(&h, &r, &n, quiet)).await.unwrap_or_else(|e| Err(format!("helm task failed: {e}")));
        if let Ok(info) = &mut res {
            info.expires_at = expiry(client, namespace, release).await;
        }
        Some(res)
    };
    futures::join!(info, super::strategy::lines(client, helm, namespace, release))
}

/// When `lain deploy --delete-after` set the release to be uninstalled (read from its CronJob;
/// an unreadable CronJob just shows nothing).
async fn expiry(client: &kube::Client, namespace: &str, release: &str) -> Option<jiff::Timestamp> {
    let kube = crate::kube::Kube { client: client.clone(), namespace: namespace.to_string() };
    crate::ops::delete_after::current(&kube, release).await.ok().flatten().map(|e| e.at)
}

/// Runs both helm commands (printed unless `quiet`: inside the full-screen dashboard a printed
/// line would tear the screen, so the dashboard shows the command in its footer instead).
pub fn fetch(helm: &Helm, release: &str, namespace: &str, quiet: bool) -> Result<ReleaseInfo, String> {
    let q = |c: Cmd| if quiet { c.quiet() } else { c };
    // Both at once: each helm run is a process start plus API discovery.
    let values = q(values_cmd(helm, release, namespace));
    let vals = std::thread::spawn(move || values.output().ok());
    let st = q(status_cmd(helm, release, namespace)).output().map_err(|e| short_error(&e));
    let vals = vals.join().ok().flatten();
    parse(&st?.stdout, vals.as_ref().map(|v| v.stdout.as_str()))
}

fn short_error(e: &ProcessError) -> String {
    match e {
        ProcessError::Failed { stderr, .. } if stderr.contains("not found") => "release not found: deploy it with `lain deploy`".into(),
        ProcessError::Failed { stderr, command, .. } => format!("`{command}` failed: {}", stderr.trim().lines().last().unwrap_or("")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_values() {
        let st = r#"{"name":"dummy","info":{"first_deployed":"2024-05-01T10:00:00Z","last_deployed":"2024-05-02T11:22:33.123456+08:00","status":"deployed","description":"Upgrade complete"},"chart":{"metadata":{"name":"dummy","version":"0.1.0"}},"version":7,"namespace":"default"}"#;
        let vals = r#"{"imageTag":"20240502-abc1234","user":"alice","cluster":"test"}"#;
        let r = parse(st, Some(vals)).unwrap();
        assert_eq!(r.revision, Some(7));
        assert_eq!(r.status, "deployed");
        assert_eq!(r.image_tag.as_deref(), Some("20240502-abc1234"));
        assert_eq!(r.user.as_deref(), Some("alice"));
        assert_eq!(r.chart.as_deref(), Some("dummy-0.1.0"));
        assert_eq!(r.deployed_at.unwrap().to_string(), "2024-05-02T03:22:33.123456Z");
        assert!(parse("not json", None).is_err());
    }
}
