//! What can go wrong in `lain init`; every variant says which path and how to fix it.

use std::path::PathBuf;

/// Where the appname came from, so the fix names the right thing to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppnameSource {
    /// `--appname NAME`
    Flag,
    /// The name of the app's directory (no `--appname`).
    Directory,
    /// `appname` in the existing chart/values.yaml (`--template-only`).
    Values,
}

impl std::fmt::Display for AppnameSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AppnameSource::Flag => "given with --appname",
            AppnameSource::Directory => "taken from the directory name",
            AppnameSource::Values => "read from chart/values.yaml",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{} is not a directory\n    fix: run `lain init` in your app's repository", .dir.display())]
    NotADirectory { dir: PathBuf },

    #[error("appname \"{name}\" ({source_}) {problem}\n    fix: {fix}")]
    InvalidAppname { name: String, source_: AppnameSource, problem: String, fix: String },

    #[error(
        "{} already exists; lain init writes nothing over it\n    fix: pass --force to overwrite the chart (values.yaml included), or --template-only to refresh templates/ and Chart.yaml and keep your values*.yaml",
        .path.display()
    )]
    ChartExists { path: PathBuf },

    #[error("{} does not exist, so there is no chart to refresh\n    fix: run `lain init` without --template-only to create the chart", .path.display())]
    NoChart { path: PathBuf },

    #[error("{} should be a {expected}, but something else is in the way\n    fix: move it aside, then run lain init again", .path.display())]
    InTheWay { path: PathBuf, expected: &'static str },

    #[error("{} is not UTF-8 text, so lain cannot add its entries to it\n    fix: convert it to UTF-8, or add these lines by hand: {}", .path.display(), .entries.join(", "))]
    NotText { path: PathBuf, entries: Vec<String> },

    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A bug in lain's own chart sources (caught by lain's tests), never the user's input.
    #[error("lain's chart file {file} does not render: {source}")]
    Render {
        file: &'static str,
        #[source]
        source: minijinja::Error,
    },
}

impl ChartError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ChartError::Io { action, path: path.into(), source }
    }
}
