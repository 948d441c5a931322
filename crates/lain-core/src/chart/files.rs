//! The chart's files, compiled into the binary.
//!
//! A plain list rather than a build script or `include_dir`: the chart is a dozen files that
//! change with lain's code, and a unit test below fails when a file in
//! `templates/chart/` is missing from this list (or the list names one that is gone).

/// Version of lain's chart templates, written as `version` in Chart.yaml. Bump it when the
/// templates change in a way an app should pick up (`lain init --template-only`).
pub const CHART_VERSION: &str = "1.0.0";

/// How a chart file becomes a file in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `Chart.yaml`: rendered with minijinja; lain's to refresh.
    ChartYaml,
    /// `values.yaml`: rendered with minijinja; the user's file once written.
    Values,
    /// `templates/*`: Go templates for helm, copied verbatim; lain's to refresh.
    Template,
}

/// One file of the chart as embedded in lain.
#[derive(Debug, Clone, Copy)]
pub struct ChartFile {
    /// Path inside the app's `chart/` directory, `/`-separated (`templates/job.yaml`).
    pub path: &'static str,
    /// The source: a minijinja template for `ChartYaml` / `Values`, else the file itself.
    pub source: &'static str,
    pub kind: FileKind,
}

macro_rules! chart_file {
    ($kind:ident, $path:literal, $source:literal) => {
        ChartFile { path: $path, source: include_str!(concat!("../../templates/chart/", $source)), kind: FileKind::$kind }
    };
}

static FILES: &[ChartFile] = &[
    chart_file!(ChartYaml, "Chart.yaml", "Chart.yaml.j2"),
    chart_file!(Values, "values.yaml", "values.yaml.j2"),
    chart_file!(Template, "templates/_helpers.tpl", "templates/_helpers.tpl"),
    chart_file!(Template, "templates/deployment.yaml", "templates/deployment.yaml"),
    chart_file!(Template, "templates/statefulset.yaml", "templates/statefulset.yaml"),
    chart_file!(Template, "templates/service.yaml", "templates/service.yaml"),
    chart_file!(Template, "templates/ingress.yaml", "templates/ingress.yaml"),
    chart_file!(Template, "templates/job.yaml", "templates/job.yaml"),
    chart_file!(Template, "templates/cronjob.yaml", "templates/cronjob.yaml"),
    chart_file!(Template, "templates/tests.yaml", "templates/tests.yaml"),
    chart_file!(Template, "templates/networkpolicy.yaml", "templates/networkpolicy.yaml"),
    chart_file!(Template, "templates/pvc.yaml", "templates/pvc.yaml"),
    chart_file!(Template, "templates/hpa.yaml", "templates/hpa.yaml"),
];

/// Every file of the chart, `Chart.yaml` and `values.yaml` first, then `templates/*`.
pub fn chart_files() -> &'static [ChartFile] {
    FILES
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read the chart source directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_source_file_is_embedded_and_nothing_else() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/chart");
        let mut on_disk = BTreeSet::new();
        walk(&base, &base, &mut on_disk);
        let embedded: BTreeSet<String> = FILES
            .iter()
            .map(|f| match f.kind {
                FileKind::Template => f.path.to_string(),
                _ => format!("{}.j2", f.path),
            })
            .collect();
        assert_eq!(on_disk, embedded, "update FILES in chart/files.rs");
    }
}
