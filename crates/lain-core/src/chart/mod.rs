//! The Helm chart lain writes into an app, and `lain init`.
//!
//! The chart (Chart.yaml, a values.yaml that teaches every feature, and the Go templates helm
//! renders) is compiled into the binary, so the lain a team runs always carries matching
//! templates. `lain init` writes it into `chart/`; `lain init --template-only` refreshes the
//! templates of an existing chart and leaves the user's values alone.
//!
//! API for the `lain init` command:
//! ```no_run
//! use lain_core::chart::{init, InitOptions};
//! let report = init(std::path::Path::new("."), &InitOptions::default())?;
//! for path in &report.written { eprintln!("wrote {}", path.display()); }
//! # Ok::<(), lain_core::chart::ChartError>(())
//! ```

mod error;
mod files;
mod ignore;
mod init;
mod write;

pub use error::{AppnameSource, ChartError};
pub use files::{CHART_VERSION, ChartFile, FileKind, chart_files};
pub use ignore::{DOCKERIGNORE_ENTRIES, GITIGNORE_ENTRIES};
pub use init::{InitOptions, InitReport, init};

use crate::config::schema::{MAX_RELEASE_NAME, dns_label_problem};

/// A chart file ready to be written: its path inside `chart/` and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: &'static str,
    pub contents: String,
    pub kind: FileKind,
}

/// The whole chart for `appname`: `Chart.yaml` and `values.yaml` rendered, templates as they
/// are. Pure: writes nothing. `appname` must already be valid ([`check_appname`]).
pub fn render_chart(appname: &str) -> Result<Vec<RenderedFile>, ChartError> {
    let mut env = minijinja::Environment::new();
    // Jinja drops a template's last newline by default; files must end with one.
    let syntax =
        minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build().map_err(|source| ChartError::Render { file: "(syntax)", source })?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let ctx = minijinja::context! { appname => appname, chart_version => CHART_VERSION };
    chart_files()
        .iter()
        .map(|file| {
            let contents = match file.kind {
                FileKind::Template => file.source.to_string(),
                FileKind::ChartYaml | FileKind::Values => env.render_str(file.source, &ctx).map_err(|source| ChartError::Render { file: file.path, source })?,
            };
            Ok(RenderedFile { path: file.path, contents, kind: file.kind })
        })
        .collect()
}

/// Checks that `name` can be an appname: a DNS-1035 label short enough to be a helm release
/// name. The error's fix suggests a valid name close to the given one.
pub fn check_appname(name: &str, source: AppnameSource) -> Result<(), ChartError> {
    let Some(problem) = dns_label_problem(name, MAX_RELEASE_NAME) else { return Ok(()) };
    let suggestion = suggest_appname(name);
    let fix = match source {
        AppnameSource::Flag => format!("pass a DNS label instead, e.g. --appname {suggestion}"),
        AppnameSource::Directory => {
            format!("the appname defaults to the directory name; pass one instead, e.g. `lain init --appname {suggestion}`")
        }
        AppnameSource::Values => {
            format!("set `appname: {suggestion}` in chart/values.yaml, or pass --appname {suggestion}")
        }
    };
    Err(ChartError::InvalidAppname { name: name.to_string(), source_: source, problem, fix })
}

/// A valid appname close to `name`: lowercase, runs of other characters as one '-', starting
/// with a letter, at most [`MAX_RELEASE_NAME`] characters.
pub fn suggest_appname(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "app-");
    }
    out.truncate(MAX_RELEASE_NAME);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_valid_appnames() {
        for (given, want) in [("My_App", "my-app"), ("my.cool app!", "my-cool-app"), ("2048", "app-2048"), ("--x--", "x"), ("", "app"), ("日本", "app")] {
            let got = suggest_appname(given);
            assert_eq!(got, want, "{given:?}");
            assert!(check_appname(&got, AppnameSource::Flag).is_ok(), "{got}");
        }
        let long = suggest_appname(&"a-".repeat(60));
        assert!(long.len() <= MAX_RELEASE_NAME && check_appname(&long, AppnameSource::Flag).is_ok(), "{long}");
    }

    #[test]
    fn invalid_appname_error_names_the_source_and_a_fix() {
        let err = check_appname("My_App", AppnameSource::Directory).expect_err("invalid").to_string();
        assert!(err.contains("\"My_App\" (taken from the directory name)"), "{err}");
        assert!(err.contains("lain init --appname my-app"), "{err}");
    }

    #[test]
    fn rendered_chart_names_the_app_and_ends_with_newlines() {
        let files = render_chart("dummy").expect("render");
        let chart = files.iter().find(|f| f.path == "Chart.yaml").expect("Chart.yaml");
        assert!(chart.contents.contains("\nname: dummy\n"), "{}", chart.contents);
        assert!(chart.contents.contains(&format!("\nversion: {CHART_VERSION}\n")));
        let values = files.iter().find(|f| f.path == "values.yaml").expect("values.yaml");
        assert!(values.contents.contains("\nappname: dummy\n"));
        assert!(!values.contents.contains("{{"), "unrendered jinja in values.yaml");
        assert!(files.iter().all(|f| f.contents.ends_with('\n')), "a file lost its last newline");
    }
}
