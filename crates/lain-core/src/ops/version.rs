//! `lain version [-n N]`: the app's image tags in the registry, newest first.
//!
//! Only tags in lain's `%ct-%H` format are versions; others (`latest`, `prepare`, hand-pushed
//! tags) are returned apart, so the list is a timeline and nothing is silently dropped.

use crate::image::tag::{VersionTag, sort_tags};
use crate::image::{ImageContext, ImageError};
use crate::registry::Registry;

#[derive(Debug, Clone, Default)]
pub struct VersionOptions {
    /// Show at most this many versions (newest first).
    pub n: Option<usize>,
    /// The tag deployed in the cluster, when the CLI could ask it (marked in the listing).
    pub deployed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionList {
    /// Newest first, at most `n`.
    pub versions: Vec<VersionTag>,
    /// How many versions the registry has in all.
    pub total: usize,
    /// Tags not in lain's format, by name.
    pub others: Vec<String>,
    pub deployed: Option<String>,
}

/// Lists the versions from the registry.
pub async fn run(ctx: &ImageContext, opts: &VersionOptions) -> Result<VersionList, ImageError> {
    let reg = ctx.registry_client()?;
    let tags = reg.list_tags(&ctx.appname).await?;
    Ok(list(tags, opts))
}

/// The pure part of [`run`]: sort, cut, keep the deployed mark.
pub fn list(tags: Vec<String>, opts: &VersionOptions) -> VersionList {
    let (mut versions, others) = sort_tags(tags);
    let total = versions.len();
    if let Some(n) = opts.n {
        versions.truncate(n);
    }
    VersionList { versions, total, others, deployed: opts.deployed.clone() }
}

impl VersionList {
    /// One line per version for stdout: `TAG  COMMIT-TIME (UTC)[  <- deployed]`; the tag
    /// comes first so `lain version | awk '{print $1}'` works.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for v in &self.versions {
            let when = jiff::Timestamp::from_second(v.timestamp).map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
            s.push_str(&v.tag);
            s.push_str("  ");
            s.push_str(&when);
            if self.deployed.as_deref() == Some(v.tag.as_str()) {
                s.push_str("  <- deployed");
            }
            s.push('\n');
        }
        s
    }

    /// A note for stderr about what was not listed, if anything.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.versions.len() < self.total {
            parts.push(format!("showing {} of {} versions (-n)", self.versions.len(), self.total));
        }
        if !self.others.is_empty() {
            parts.push(format!("other tags: {}", self.others.join(", ")));
        }
        if let Some(d) = &self.deployed
            && !self.versions.iter().any(|v| &v.tag == d)
        {
            parts.push(format!("deployed tag {d} is not in this list"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_newest_first_marks_deployed_and_notes_the_rest() {
        let h = "f02f668bbfb0a630e3d06dcd843a534c29015ca4";
        let tags = vec![format!("1600000000-{h}"), "latest".into(), format!("1700000000-{h}"), format!("1650000000-{h}")];
        let l = list(tags, &VersionOptions { n: Some(2), deployed: Some(format!("1650000000-{h}")) });
        assert_eq!(l.total, 3);
        let r = l.render();
        assert_eq!(r, format!("1700000000-{h}  2023-11-14 22:13:20\n1650000000-{h}  2022-04-15 05:20:00  <- deployed\n"));
        assert_eq!(l.note().unwrap(), "showing 2 of 3 versions (-n); other tags: latest");
    }
}
