//! The `.gitignore` and `.dockerignore` entries `lain init` adds, idempotently.

/// Added to `.gitignore`: `.lain/` is where lain keeps local working files in a repository
/// (e.g. a kept Dockerfile or a saved image), never meant to be committed.
pub const GITIGNORE_ENTRIES: &[&str] = &[".lain/"];

/// Added to `.dockerignore`, i.e. left out of the build context sent to the engine: git's
/// history (large, and useless in an image), lain's working files, and the chart (so that
/// editing values does not invalidate the image's build cache; the image never needs it).
pub const DOCKERIGNORE_ENTRIES: &[&str] = &[".git", ".lain", "chart"];

const HEADER: &str = "# added by lain init";

/// The same pattern, written with or without a leading or trailing slash.
fn normalize(line: &str) -> &str {
    line.trim().trim_start_matches('/').trim_end_matches('/')
}

/// The entries of `wanted` that `existing` lacks.
pub(crate) fn missing_entries(existing: &str, wanted: &[&str]) -> Vec<String> {
    let present: Vec<&str> = existing.lines().map(normalize).collect();
    wanted.iter().filter(|w| !present.contains(&normalize(w))).map(|w| w.to_string()).collect()
}

/// `existing` with `missing` appended under a header, or `None` when nothing is missing.
pub(crate) fn append_entries(existing: &str, missing: &[String]) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let mut out = existing.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(HEADER);
    out.push('\n');
    for entry in missing {
        out.push_str(entry);
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_only_what_is_missing_once() {
        let wanted = [".git", ".lain", "chart"];
        let existing = "node_modules\n/.git/\n";
        let missing = missing_entries(existing, &wanted);
        assert_eq!(missing, vec![".lain", "chart"]);
        let updated = append_entries(existing, &missing).expect("changes");
        assert_eq!(updated, "node_modules\n/.git/\n\n# added by lain init\n.lain\nchart\n");
        assert_eq!(missing_entries(&updated, &wanted), Vec::<String>::new());
        assert_eq!(append_entries(&updated, &[]), None);
    }

    #[test]
    fn a_file_without_final_newline_or_empty() {
        assert_eq!(append_entries("dist", &["x".into()]).as_deref(), Some("dist\n\n# added by lain init\nx\n"));
        assert_eq!(append_entries("", &["x".into()]).as_deref(), Some("# added by lain init\nx\n"));
    }
}
