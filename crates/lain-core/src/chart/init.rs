//! `lain init`: write the chart into an app, or refresh its templates.
//!
//! Everything is checked before anything is written (appname, what is in the way, the ignore
//! files), so a refused or failed `lain init` leaves the repository as it was.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::ignore::{append_entries, missing_entries};
use super::write::{create_dir_atomic, write_atomic};
use super::{AppnameSource, ChartError, DOCKERIGNORE_ENTRIES, FileKind, GITIGNORE_ENTRIES, check_appname, render_chart};

/// Options of `lain init [--appname NAME] [--force] [--template-only]`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The app's name; default: `appname` of an existing chart/values.yaml with
    /// `template_only`, else the directory's name.
    pub appname: Option<String>,
    /// Overwrite an existing chart, values.yaml included.
    pub force: bool,
    /// Refresh `templates/` and `Chart.yaml` of an existing chart; never touch `values*.yaml`.
    pub template_only: bool,
}

/// What `init` did, for the command to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitReport {
    pub appname: String,
    /// `DIR/chart`.
    pub chart_dir: PathBuf,
    /// Files created or replaced (chart files, and ignore files that gained entries).
    pub written: Vec<PathBuf>,
    /// Chart files lain would have written that already had exactly that content.
    pub unchanged: Vec<PathBuf>,
    /// The user's values files left as they were (`template_only`).
    pub kept: Vec<PathBuf>,
    /// Files in `chart/templates/` that lain does not ship (the user's own, or left over from
    /// an older lain): not touched, listed so the user can decide.
    pub foreign_templates: Vec<PathBuf>,
}

/// A write decided during the checks, performed only once every check has passed.
struct Planned {
    path: PathBuf,
    contents: String,
}

/// Writes `DIR/chart` (Chart.yaml, values.yaml, templates/) and adds lain's entries to
/// `DIR/.gitignore` and `DIR/.dockerignore`. See [`InitOptions`] for the variants. On error
/// nothing has been written.
pub fn init(dir: &Path, opts: &InitOptions) -> Result<InitReport, ChartError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(ChartError::NotADirectory { dir: dir.to_path_buf() }),
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(ChartError::NotADirectory { dir: dir.to_path_buf() }),
        Err(e) => return Err(ChartError::io("read", dir, e)),
    }
    let chart_dir = dir.join("chart");
    let chart_exists = match fs::symlink_metadata(&chart_dir) {
        Ok(meta) if meta.is_dir() => true,
        // A symlink to a directory is a chart too (some teams share one).
        Ok(meta) if meta.file_type().is_symlink() && chart_dir.is_dir() => true,
        Ok(_) => return Err(ChartError::InTheWay { path: chart_dir, expected: "directory" }),
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(ChartError::io("read", chart_dir, e)),
    };
    if opts.template_only && !chart_exists {
        return Err(ChartError::NoChart { path: chart_dir });
    }
    if chart_exists && !opts.force && !opts.template_only {
        return Err(ChartError::ChartExists { path: chart_dir });
    }

    let appname = resolve_appname(dir, &chart_dir, opts)?;
    let files = render_chart(&appname)?;
    let mut report = InitReport { appname, chart_dir: chart_dir.clone(), ..InitReport::default() };

    // Plan the chart.
    let mut chart_writes: Vec<Planned> = Vec::new();
    for file in &files {
        let path = chart_dir.join(file.path);
        if opts.template_only && file.kind == FileKind::Values {
            continue;
        }
        if chart_exists {
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => return Err(ChartError::InTheWay { path, expected: "file" }),
                Ok(_) => {
                    if fs::read(&path).is_ok_and(|old| old == file.contents.as_bytes()) {
                        report.unchanged.push(path);
                        continue;
                    }
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(ChartError::io("read", path, e)),
            }
        }
        chart_writes.push(Planned { path, contents: file.contents.clone() });
    }
    if chart_exists {
        let templates = chart_dir.join("templates");
        match fs::metadata(&templates) {
            Ok(meta) if !meta.is_dir() => return Err(ChartError::InTheWay { path: templates, expected: "directory" }),
            Ok(_) => report.foreign_templates = foreign_templates(&templates, &files)?,
            Err(_) => {}
        }
        if opts.template_only {
            report.kept = values_files(&chart_dir)?;
        }
    }

    // Plan the ignore files.
    let mut ignore_writes: Vec<Planned> = Vec::new();
    for (name, entries) in [(".gitignore", GITIGNORE_ENTRIES), (".dockerignore", DOCKERIGNORE_ENTRIES)] {
        let path = dir.join(name);
        let existing = match fs::read(&path) {
            Ok(bytes) => {
                String::from_utf8(bytes).map_err(|_| ChartError::NotText { path: path.clone(), entries: entries.iter().map(|e| e.to_string()).collect() })?
            }
            Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
            Err(e) if e.kind() == ErrorKind::IsADirectory => return Err(ChartError::InTheWay { path, expected: "file" }),
            Err(e) => return Err(ChartError::io("read", path, e)),
        };
        if let Some(contents) = append_entries(&existing, &missing_entries(&existing, entries)) {
            ignore_writes.push(Planned { path, contents });
        }
    }

    // Every check passed: write.
    if chart_exists {
        let templates = chart_dir.join("templates");
        if !templates.is_dir() {
            fs::create_dir(&templates).map_err(|e| ChartError::io("create", templates.clone(), e))?;
        }
        for w in &chart_writes {
            write_atomic(&w.path, &w.contents)?;
        }
    } else {
        let staged: Vec<(&str, &str)> = files.iter().map(|f| (f.path, f.contents.as_str())).collect();
        create_dir_atomic(&chart_dir, &staged)?;
    }
    report.written.extend(chart_writes.into_iter().map(|w| w.path));
    for w in ignore_writes {
        write_atomic(&w.path, &w.contents)?;
        report.written.push(w.path);
    }
    Ok(report)
}

/// `--appname`, else (refreshing) the existing values.yaml's appname, else the directory name.
fn resolve_appname(dir: &Path, chart_dir: &Path, opts: &InitOptions) -> Result<String, ChartError> {
    if let Some(name) = &opts.appname {
        check_appname(name, AppnameSource::Flag)?;
        return Ok(name.clone());
    }
    if opts.template_only
        && let Some(name) = appname_in_values(&chart_dir.join("values.yaml"))
    {
        check_appname(&name, AppnameSource::Values)?;
        return Ok(name);
    }
    // canonicalize so that `lain init` in "." names the app after the real directory.
    let absolute = dir.canonicalize().map_err(|e| ChartError::io("resolve", dir, e))?;
    let name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    check_appname(&name, AppnameSource::Directory)?;
    Ok(name)
}

/// `appname` of a values file, if the file reads as YAML and has a string appname. A broken
/// values.yaml is not init's business (lain's values validation reports it with its line).
fn appname_in_values(path: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        appname: Option<String>,
    }
    let text = fs::read_to_string(path).ok()?;
    serde_saphyr::from_str::<Head>(&text).ok()?.appname
}

/// The user's values files in the chart directory (values.yaml, values-CLUSTER.yaml, ...).
fn values_files(chart_dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    let mut out: Vec<PathBuf> = fs::read_dir(chart_dir)
        .map_err(|e| ChartError::io("read", chart_dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("values") && (n.ends_with(".yaml") || n.ends_with(".yml"))))
        .collect();
    out.sort();
    Ok(out)
}

fn foreign_templates(templates: &Path, files: &[super::RenderedFile]) -> Result<Vec<PathBuf>, ChartError> {
    let ours: Vec<&str> = files.iter().filter_map(|f| f.path.strip_prefix("templates/")).collect();
    let mut out: Vec<PathBuf> = fs::read_dir(templates)
        .map_err(|e| ChartError::io("read", templates, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_none_or(|n| !ours.contains(&n)))
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
#[path = "init_tests.rs"]
mod tests;
