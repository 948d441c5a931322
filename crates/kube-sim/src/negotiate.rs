//! Content negotiation of responses: plain JSON, or one of the meta.k8s.io transformations a
//! client asks for with `Accept` parameters (`as=Table`, `as=PartialObjectMetadata[List]`),
//! taking the first acceptable entry, as the real server does. kubectl get sends
//! `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`.

use crate::status::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Json,
    Table {
        version: String,
    },
    /// `PartialObjectMetadata` (get, watch) or `PartialObjectMetadataList` (list).
    Metadata {
        version: String,
    },
}

/// What the request targets, which decides the acceptable transformations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Object,
    List,
    Watch,
}

fn params(range: &str) -> (String, Vec<(String, String)>) {
    let mut parts = range.split(';');
    let mt = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let ps = parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string())).collect();
    (mt, ps)
}

/// The response form for an `Accept` header. Media types this server cannot produce
/// (protobuf, CBOR) are skipped; when nothing listed is acceptable the answer is 406, as from
/// the real server, except for an empty header (plain JSON).
pub fn output(accept: &str, target: Target) -> Result<Output, ApiError> {
    if accept.trim().is_empty() {
        return Ok(Output::Json);
    }
    for range in accept.split(',') {
        let (mt, ps) = params(range);
        if !matches!(mt.as_str(), "application/json" | "application/*" | "*/*" | "application/json-seq" | "application/yaml") {
            continue;
        }
        let get = |k: &str| ps.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str());
        let Some(as_) = get("as") else { return Ok(Output::Json) };
        let (g, v) = (get("g").unwrap_or(""), get("v").unwrap_or(""));
        if g != "meta.k8s.io" || !matches!(v, "v1" | "v1beta1") {
            continue;
        }
        match (as_, target) {
            ("Table", _) => return Ok(Output::Table { version: v.to_string() }),
            ("PartialObjectMetadataList", Target::List) | ("PartialObjectMetadata", Target::Object | Target::Watch) => {
                return Ok(Output::Metadata { version: v.to_string() });
            }
            _ => continue,
        }
    }
    if accept.split(',').any(|r| matches!(params(r).0.as_str(), "application/vnd.kubernetes.protobuf" | "application/cbor")) {
        // A client that also speaks protobuf takes JSON when protobuf is not on offer.
        return Ok(Output::Json);
    }
    Err(ApiError::new(
        406,
        "NotAcceptable",
        format!("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf (requested {accept})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_asks_for_a_table() {
        let a = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(output(a, Target::List).unwrap(), Output::Table { version: "v1".into() });
        assert_eq!(output("application/json", Target::List).unwrap(), Output::Json);
        assert_eq!(output("", Target::Object).unwrap(), Output::Json);
        assert_eq!(output("application/vnd.kubernetes.protobuf, application/json", Target::Object).unwrap(), Output::Json);
        assert_eq!(
            output("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", Target::List).unwrap(),
            Output::Metadata { version: "v1".into() }
        );
        // The singular form is not a list: the next entry is taken.
        assert_eq!(output("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json", Target::List).unwrap(), Output::Json);
        assert_eq!(output("application/json;as=Widget;g=meta.k8s.io;v=v1", Target::List).unwrap_err().code, 406);
    }
}
