//! From a finding's key path back to where it was written, using the origins the config layer
//! keeps on every node of the merged values.

use crate::config::Node;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Splits a finding path (`deployments.web.env.FOO`, `ingresses[0].host`,
/// `podAnnotations["prometheus.io/scrape"]`) into keys and list indexes.
pub fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap_or(r.len());
            out.push(Segment::Key(r[..end].to_string()));
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            match r[..end].parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => out.push(Segment::Key(r[..end].to_string())),
            }
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end > 0 {
                out.push(Segment::Key(r[..end].to_string()));
            }
            rest = &r[end..];
        }
    }
    out
}

/// A `locate` for [`super::LintContext`] over the merged values: `chart/values.yaml:12`, or
/// `--set` for values given on the command line; `None` for keys that are absent or injected
/// by lain (no file).
pub fn locate_in(root: &Node) -> impl Fn(&str) -> Option<String> + '_ {
    move |path: &str| {
        let mut node = root;
        for seg in segments(path) {
            node = match seg {
                Segment::Key(k) => node.get(&k)?,
                Segment::Index(i) => node.as_seq()?.get(i)?,
            };
        }
        (!node.origin.file.is_empty()).then(|| node.origin.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths() {
        let k = |s: &str| Segment::Key(s.to_string());
        assert_eq!(segments("deployments.web.env.FOO"), [k("deployments"), k("web"), k("env"), k("FOO")]);
        assert_eq!(segments("ingresses[0].host"), [k("ingresses"), Segment::Index(0), k("host")]);
        assert_eq!(
            segments("deployments.web.podAnnotations[\"prometheus.io/port\"]"),
            [k("deployments"), k("web"), k("podAnnotations"), k("prometheus.io/port")]
        );
        assert_eq!(
            segments("jobs.m.initContainers[0].env[1].value"),
            [k("jobs"), k("m"), k("initContainers"), Segment::Index(0), k("env"), Segment::Index(1), k("value")]
        );
    }

    #[test]
    fn locates_in_parsed_yaml() {
        let text = "appname: dummy\ndeployments:\n  web:\n    resources:\n      limits:\n        memory: 256m\ningresses:\n  - host: a\n    deployName: web\n";
        let root = crate::config::yaml::parse(text, "chart/values.yaml").expect("yaml");
        let locate = locate_in(&root);
        assert_eq!(locate("deployments.web.resources.limits.memory").as_deref(), Some("chart/values.yaml:6"));
        assert_eq!(locate("ingresses[0].deployName").as_deref(), Some("chart/values.yaml:9"));
        assert_eq!(locate("deployments.web.readinessProbe"), None);
    }
}
