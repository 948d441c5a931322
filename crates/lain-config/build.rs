//! Compiles every `cluster_values/values-*.yaml` at the workspace root into the binary, so an
//! SA adds a cluster by dropping a file there and rebuilding: no code change.
use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read at run time, not `env!` at compile time: checkouts that share a target directory
    // share this build script's binary, and a baked-in path would embed another checkout's
    // clusters (or none).
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest).join("../../cluster_values");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            println!("cargo:rerun-if-changed={}", p.display());
            let Some(name) = p.file_name().and_then(|s| s.to_str()) else { continue };
            if let Some(cluster) = name.strip_prefix("values-").and_then(|s| s.strip_suffix(".yaml")) {
                entries.push((cluster.to_string(), p.canonicalize().unwrap_or(p.clone()).display().to_string()));
            }
        }
    }
    entries.sort();
    let mut out =
        String::from("/// (cluster name, file contents) of the built-in cluster configuration.\npub static EMBEDDED_CLUSTERS: &[(&str, &str)] = &[\n");
    for (name, path) in entries {
        writeln!(out, "    ({name:?}, include_str!({path:?})),").unwrap_or(());
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded_clusters.rs");
    std::fs::write(dest, out).unwrap_or(());
}
