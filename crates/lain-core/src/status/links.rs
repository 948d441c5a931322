//! Links printed by `lain status -s` (and shown in the dashboard's release line).
//!
//! Kibana (cluster config `kibana`: a host like `kibana.example.com` or a base URL like
//! `https://logs.example.com/kibana`; no scheme means https):
//!
//! ```text
//! {base}/app/discover#/?_g=(time:(from:now-1h,to:now))&_a=(query:(language:kuery,query:'kubernetes.namespace:"NS" and kubernetes.labels.app_kubernetes_io/instance:"RELEASE"'))
//! ```
//! (rison-encoded, then percent-encoded; the URL ends with `))`: copy it whole.) The field
//! names are those filebeat and fluent-bit's kubernetes filter write (labels de-dotted); every
//! pod lain deploys carries `app.kubernetes.io/instance: RELEASE`, jobs and cronjobs included,
//! so this finds logs of pods that are long gone.
//!
//! Grafana (cluster config `grafana_url`: the URL of a dashboard, e.g.
//! `https://grafana.example.com/d/lain-pods/pods`):
//!
//! ```text
//! {grafana_url}?orgId=1&var-namespace=NS&var-app=APPNAME&var-release=RELEASE&from=now-1h&to=now
//! ```
//! (`&` instead of `?` when the configured URL already has a query.) The dashboard is expected
//! to declare template variables `namespace`, `app` and/or `release`; Grafana ignores the ones
//! it does not declare. `orgId` is left out when the configured URL already has one.

const UNRESERVED: &[u8] = b"-_.~!*'()/:,";

/// Percent-encodes everything but letters, digits and characters safe in a URL fragment/query
/// value (Kibana's rison keeps `( ) ' : ,` readable, as Kibana itself writes them).
fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || UNRESERVED.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Rison string: `'...'` with `'` and `!` escaped by `!`.
fn rison_str(s: &str) -> String {
    format!("'{}'", s.replace('!', "!!").replace('\'', "!'"))
}

fn base(u: &str) -> String {
    let u = u.trim().trim_end_matches('/');
    if u.starts_with("http://") || u.starts_with("https://") { u.to_string() } else { format!("https://{u}") }
}

/// Kibana Discover for a release's logs over the last `since` (e.g. `1h`, `1d`).
pub fn kibana_url(kibana: &str, namespace: &str, release: &str, since: &str) -> String {
    let query = format!("kubernetes.namespace:\"{namespace}\" and kubernetes.labels.app_kubernetes_io/instance:\"{release}\"");
    format!("{}/app/discover#/?_g=(time:(from:now-{since},to:now))&_a=(query:(language:kuery,query:{}))", base(kibana), pct(&rison_str(&query)))
}

/// Grafana dashboard for the release.
pub fn grafana_url(grafana: &str, namespace: &str, appname: &str, release: &str) -> String {
    let g = grafana.trim();
    let g = if g.starts_with("http://") || g.starts_with("https://") { g.to_string() } else { format!("https://{g}") };
    let sep = if g.contains('?') { '&' } else { '?' };
    let org = if g.contains("orgId=") { "" } else { "orgId=1&" };
    format!("{g}{sep}{org}var-namespace={}&var-app={}&var-release={}&from=now-1h&to=now", pct(namespace), pct(appname), pct(release))
}

/// Both links for a cluster configuration (None where the cluster has no such service).
pub fn links(cluster: &crate::config::ClusterConfig, namespace: &str, appname: &str, release: &str) -> super::model::Links {
    super::model::Links {
        kibana: cluster.kibana.as_deref().filter(|k| !k.trim().is_empty()).map(|k| kibana_url(k, namespace, release, "1d")),
        grafana: cluster.grafana_url.as_deref().filter(|g| !g.trim().is_empty()).map(|g| grafana_url(g, namespace, appname, release)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kibana_format() {
        let u = kibana_url("kibana.example.com", "default", "dummy", "1d");
        assert_eq!(
            u,
            "https://kibana.example.com/app/discover#/?_g=(time:(from:now-1d,to:now))&_a=(query:(language:kuery,query:'kubernetes.namespace:%22default%22%20and%20kubernetes.labels.app_kubernetes_io/instance:%22dummy%22'))"
        );
        assert!(u.ends_with("'))"));
        // A base URL with a path and a trailing slash keeps its path.
        assert!(kibana_url("http://k.example.com/kibana/", "ns", "r", "1h").starts_with("http://k.example.com/kibana/app/discover#/?"));
        // Quotes inside values cannot break out of the rison string.
        assert!(kibana_url("k", "n", "a'b", "1h").contains("a!'b"));
    }

    #[test]
    fn grafana_format() {
        assert_eq!(
            grafana_url("https://grafana.example.com/d/lain/pods", "default", "dummy", "dummy-canary"),
            "https://grafana.example.com/d/lain/pods?orgId=1&var-namespace=default&var-app=dummy&var-release=dummy-canary&from=now-1h&to=now"
        );
        assert_eq!(
            grafana_url("grafana.example.com/d/x?orgId=2", "ns", "a", "a"),
            "https://grafana.example.com/d/x?orgId=2&var-namespace=ns&var-app=a&var-release=a&from=now-1h&to=now"
        );
    }
}
