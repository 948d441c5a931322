//! The four patch flavours the apiserver accepts, selected by Content-Type.

pub mod apply;
pub mod json;
pub mod merge;
pub mod strategic;

/// The patch key of a list field, given the field names on the way to it (`path`, innermost last)
/// and the list's own field name: what `patchMergeKey` says in the Kubernetes Go types.
pub fn merge_key(path: &[String], field: &str) -> Option<&'static str> {
    let parent = path.last().map(String::as_str).unwrap_or("");
    match field {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" | "resourceClaims" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ownerReferences" => Some("uid"),
        "conditions" => Some("type"),
        "ports" => {
            if matches!(parent, "containers" | "initContainers" | "ephemeralContainers") {
                Some("containerPort")
            } else if parent == "spec" {
                Some("port")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Lists of scalars merged as sets (`patchStrategy:"merge"` on a primitive list).
pub fn is_set_list(path: &[String], field: &str) -> bool {
    field == "finalizers" && path.last().map(String::as_str) == Some("metadata")
}
