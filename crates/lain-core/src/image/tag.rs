//! Image tags: `git log -1 --pretty=format:%ct-%H` (commit time first, so tags sort by time),
//! and the dirty-tree policy.
//!
//! Policy: a build context that differs from the commit must never be published under that
//! commit's tag, because the tag is how everyone (deploy, rollback, `lain version`, the
//! registry's "already built" check) identifies the code inside the image. So by default a
//! dirty tree is refused, with the dirty files listed and the fix (commit or stash). With
//! `--allow-dirty` the build goes on and the tag gets a `-dirty` suffix: it still sorts by the
//! commit's time, it is visibly not the commit, and lain never treats an existing `-dirty`
//! tag as "already built" (the same name can hold different content each time).
//!
//! "Dirty" means what `git status` reports under the repo directory: modified, staged,
//! deleted and untracked-but-not-ignored files, since all of those end up in `ADD .`. Files
//! ignored by git are not counted (keep them out of the image with `.dockerignore`).

use std::path::{Path, PathBuf};

use crate::process::{Cmd, ProcessError};

/// Suffix of a tag built from a dirty tree.
pub const DIRTY_SUFFIX: &str = "-dirty";

/// The tag of the image for the current checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTag {
    /// What goes after `:` in the image reference.
    pub tag: String,
    /// Commit time (unix seconds).
    pub timestamp: i64,
    /// Full commit hash.
    pub commit: String,
    /// Built from a tree with uncommitted changes (`--allow-dirty`).
    pub dirty: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("{} is not inside a git repository; lain tags images by commit\n  fix: run lain from your app's repository (or `git init && git add -A && git commit -m init`)", .dir.display())]
    NotGitRepo { dir: PathBuf },
    #[error("the git repository at {} has no commits yet; lain tags images by commit\n  fix: commit your code first (`git add -A && git commit -m init`)", .dir.display())]
    NoCommits { dir: PathBuf },
    #[error(
        "the working tree has uncommitted changes, so the image would not match commit {commit}:\n{}\n  fix: commit or stash them (`git stash -u`), or pass --allow-dirty to build anyway as tag `{commit_tag}{DIRTY_SUFFIX}`",
        list_files(.files, *.more)
    )]
    Dirty { commit: String, commit_tag: String, files: Vec<String>, more: usize },
    #[error("could not read the git state of {}: {source}", .dir.display())]
    Git {
        dir: PathBuf,
        #[source]
        source: ProcessError,
    },
}

fn list_files(files: &[String], more: usize) -> String {
    let mut s: String = files.iter().map(|f| format!("    {f}")).collect::<Vec<_>>().join("\n");
    if more > 0 {
        s.push_str(&format!("\n    ... and {more} more"));
    }
    s
}

/// How many dirty files an error lists.
const MAX_LISTED: usize = 10;

fn git(dir: &Path) -> Cmd {
    // Plumbing reads of the repo: quiet (they change nothing; printing them on every
    // `lain image` would pollute CI logs).
    Cmd::new("git").arg("-C").arg(dir).quiet()
}

fn map_git_err(dir: &Path, e: ProcessError) -> TagError {
    if let ProcessError::Failed { stderr, .. } = &e {
        let s = stderr.to_lowercase();
        if s.contains("not a git repository") {
            return TagError::NotGitRepo { dir: dir.to_path_buf() };
        }
        if s.contains("does not have any commits") || s.contains("bad default revision") || s.contains("unknown revision") {
            return TagError::NoCommits { dir: dir.to_path_buf() };
        }
    }
    TagError::Git { dir: dir.to_path_buf(), source: e }
}

/// The HEAD commit as `(timestamp, hash)`.
pub fn head_commit(dir: &Path) -> Result<(i64, String), TagError> {
    let out = git(dir).args(["log", "-1", "--pretty=format:%ct-%H"]).output().map_err(|e| map_git_err(dir, e))?;
    let s = out.stdout.trim();
    let parsed = s.split_once('-').and_then(|(ts, h)| Some((ts.parse::<i64>().ok()?, h.to_string())));
    match parsed {
        Some(p) if p.1.len() >= 40 => Ok(p),
        _ if s.is_empty() => Err(TagError::NoCommits { dir: dir.to_path_buf() }),
        _ => Err(TagError::Git {
            dir: dir.to_path_buf(),
            source: ProcessError::Failed {
                command: "git log -1 --pretty=format:%ct-%H".into(),
                status: "unexpected output".into(),
                code: None,
                stderr: s.to_string(),
            },
        }),
    }
}

/// Paths under `dir` that differ from HEAD (`git status --porcelain`), relative to the repo
/// root as git prints them.
pub fn dirty_files(dir: &Path) -> Result<Vec<String>, TagError> {
    let out = git(dir).args(["status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", "."]).output().map_err(|e| map_git_err(dir, e))?;
    let mut files = parse_porcelain_z(&out.stdout);
    // A Dockerfile left by `--keep-dockerfile` changes with every commit (LAIN_META) and is
    // regenerated from values anyway: it must not make the next build "dirty".
    if is_lain_dockerfile(&dir.join("Dockerfile")) {
        files.retain(|f| {
            let p = f.split_once(' ').map(|(_, p)| p).unwrap_or(f);
            p != "Dockerfile" && !p.ends_with("/Dockerfile")
        });
    }
    Ok(files)
}

/// Whether `path` is a Dockerfile lain rendered (its first line is lain's header).
pub fn is_lain_dockerfile(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 64];
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let n = f.read(&mut buf).unwrap_or(0);
    buf[..n].starts_with(super::DOCKERFILE_HEADER.as_bytes())
}

/// Parses `git status --porcelain=v1 -z`: entries `XY PATH\0`, renames followed by the
/// original path as a separate `\0`-terminated field.
fn parse_porcelain_z(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fields = s.split('\0');
    while let Some(f) = fields.next() {
        if f.len() < 4 {
            continue;
        }
        let (xy, path) = f.split_at(3);
        out.push(format!("{} {}", xy.trim(), path));
        if xy.starts_with('R') || xy.starts_with('C') {
            fields.next();
        }
    }
    out
}

/// The tag for the current checkout of `dir`, applying the dirty-tree policy.
pub fn current_tag(dir: &Path, allow_dirty: bool) -> Result<ImageTag, TagError> {
    let (timestamp, commit) = head_commit(dir)?;
    let clean_tag = format!("{timestamp}-{commit}");
    let files = dirty_files(dir)?;
    if files.is_empty() {
        return Ok(ImageTag { tag: clean_tag, timestamp, commit, dirty: false });
    }
    if !allow_dirty {
        let more = files.len().saturating_sub(MAX_LISTED);
        return Err(TagError::Dirty {
            commit: commit.chars().take(12).collect(),
            commit_tag: clean_tag,
            files: files.into_iter().take(MAX_LISTED).collect(),
            more,
        });
    }
    Ok(ImageTag { tag: format!("{clean_tag}{DIRTY_SUFFIX}"), timestamp, commit, dirty: true })
}

/// A registry tag that follows lain's format, parsed for sorting and display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTag {
    pub tag: String,
    pub timestamp: i64,
    pub commit: String,
    pub dirty: bool,
}

impl VersionTag {
    /// `1634199833-f02f668bbfb0a630e3d06dcd843a534c29015ca4[-dirty]`; anything else
    /// (`latest`, `prepare`, hand-pushed tags) is `None`.
    pub fn parse(tag: &str) -> Option<VersionTag> {
        let (body, dirty) = match tag.strip_suffix(DIRTY_SUFFIX) {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let (ts, hash) = body.split_once('-')?;
        if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(VersionTag { tag: tag.to_string(), timestamp: ts.parse().ok()?, commit: hash.to_string(), dirty })
    }
}

/// Splits registry tags into lain version tags, newest first (by commit time, then clean
/// before dirty, then by name so the order is total), and the other tags, sorted by name.
pub fn sort_tags<I: IntoIterator<Item = String>>(tags: I) -> (Vec<VersionTag>, Vec<String>) {
    let mut versions = Vec::new();
    let mut others = Vec::new();
    for t in tags {
        match VersionTag::parse(&t) {
            Some(v) => versions.push(v),
            None => others.push(t),
        }
    }
    versions.sort_by(|a, b| b.timestamp.cmp(&a.timestamp).then(a.dirty.cmp(&b.dirty)).then(a.tag.cmp(&b.tag)));
    others.sort();
    others.dedup();
    (versions, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "f02f668bbfb0a630e3d06dcd843a534c29015ca4";
    const H2: &str = "97f3d5f810a61823de72ea0a6f3fdd06f9f3cce9";

    #[test]
    fn parses_lain_tags_only() {
        let v = VersionTag::parse(&format!("1634199833-{H1}")).unwrap();
        assert_eq!((v.timestamp, v.commit.as_str(), v.dirty), (1634199833, H1, false));
        assert!(VersionTag::parse(&format!("1634199833-{H1}-dirty")).unwrap().dirty);
        for bad in ["latest", "prepare", "1634199833-abc", &format!("x-{H1}"), &format!("-{H1}"), &format!("1-{H1}-x")] {
            assert!(VersionTag::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sorts_newest_first_numerically_and_splits_others() {
        let tags = vec![
            format!("999999999-{H1}"), // 9 digits: older, though it sorts last as text
            "latest".to_string(),
            format!("1634199833-{H2}"),
            format!("1634199833-{H2}-dirty"),
            format!("1619925143-{H1}"),
            "prepare".to_string(),
        ];
        let (v, o) = sort_tags(tags);
        let order: Vec<_> = v.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(
            order,
            vec![
                format!("1634199833-{H2}").as_str(),
                format!("1634199833-{H2}-dirty").as_str(),
                format!("1619925143-{H1}").as_str(),
                format!("999999999-{H1}").as_str(),
            ]
        );
        assert_eq!(o, vec!["latest", "prepare"]);
    }

    #[test]
    fn porcelain_parsing_handles_renames_and_spaces() {
        let s = " M src/a.rs\0?? new file.txt\0R  new.rs\0old.rs\0";
        assert_eq!(parse_porcelain_z(s), vec!["M src/a.rs", "?? new file.txt", "R new.rs"]);
    }
}
