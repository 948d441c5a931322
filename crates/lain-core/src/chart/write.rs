//! Writing files so that a failure leaves either the old file or the new one, never half of
//! one: each file goes to a temporary file in the same directory, then is renamed over the
//! target. A new chart is staged whole in a temporary directory and renamed into place.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ChartError;

const TEMP_PREFIX: &str = ".lain-init-";

/// Permissions of a new file: those of the file it replaces, else rw-r--r--. (Temporary
/// files are created rw------- for safety; a chart file is not a secret.)
fn permissions_for(target: &Path) -> Option<fs::Permissions> {
    if let Ok(meta) = fs::metadata(target) {
        return Some(meta.permissions());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    None
}

/// Writes `contents` to `path` atomically. The parent directory must exist.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), ChartError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir).map_err(|e| ChartError::io("create a temporary file in", dir, e))?;
    tmp.write_all(contents.as_bytes()).map_err(|e| ChartError::io("write", tmp.path().to_path_buf(), e))?;
    if let Some(perms) = permissions_for(path) {
        fs::set_permissions(tmp.path(), perms).map_err(|e| ChartError::io("set permissions of", tmp.path().to_path_buf(), e))?;
    }
    tmp.persist(path).map_err(|e| ChartError::io("replace", path, e.error))?;
    Ok(())
}

/// Creates directory `target` holding `files` (paths relative to it, `/`-separated) in one
/// rename, so that `target` either does not exist or is complete.
pub(crate) fn create_dir_atomic(target: &Path, files: &[(&str, &str)]) -> Result<(), ChartError> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stage = tempfile::Builder::new().prefix(TEMP_PREFIX).tempdir_in(parent).map_err(|e| ChartError::io("create a temporary directory in", parent, e))?;
    for (rel, contents) in files {
        let path = stage.path().join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| ChartError::io("create", dir, e))?;
        }
        fs::write(&path, contents).map_err(|e| ChartError::io("write", path.clone(), e))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(stage.path(), fs::Permissions::from_mode(0o755))
            .map_err(|e| ChartError::io("set permissions of", stage.path().to_path_buf(), e))?;
    }
    // Dropping `stage` on any error above removes it; from here we own the directory.
    let staged: PathBuf = stage.keep();
    if let Err(e) = fs::rename(&staged, target) {
        let _ = fs::remove_dir_all(&staged);
        return Err(ChartError::io("create", target, e));
    }
    Ok(())
}
