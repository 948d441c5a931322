//! The static table of served resources. Everything that is "shape" about a resource (names,
//! scope, verbs, subresources) lives here so that discovery, OpenAPI, routing and the store agree.

/// A subresource as listed in discovery (`pods/log`, `deployments/scale`, ...).
#[derive(Debug)]
pub struct SubDef {
    pub name: &'static str,
    pub kind: &'static str,
    /// Group/version of the subresource kind when it differs from the parent (Scale is autoscaling/v1).
    pub group: Option<&'static str>,
    pub version: Option<&'static str>,
    pub verbs: &'static [&'static str],
}

#[derive(Debug)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub subresources: &'static [SubDef],
    /// Whether metadata.generation is maintained (objects with a spec).
    pub generation: bool,
    /// Served read-only from simulated state (metrics), not stored.
    pub virtual_: bool,
}

impl ResourceDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }
    /// `deployments.apps` / `pods`: how the apiserver names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }
    pub fn has_sub(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s.name == name)
    }
    pub fn has_status(&self) -> bool {
        self.has_sub("status")
    }
}

const RW: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const RO: &[&str] = &["get", "list"];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];
const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

const fn status(kind: &'static str) -> SubDef {
    SubDef { name: "status", kind, group: None, version: None, verbs: STATUS_VERBS }
}
const fn scale() -> SubDef {
    SubDef { name: "scale", kind: "Scale", group: Some("autoscaling"), version: Some("v1"), verbs: STATUS_VERBS }
}

macro_rules! res {
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, $ns:expr, $short:expr, $cat:expr, $verbs:expr, $subs:expr, $gen:expr) => {
        ResourceDef {
            group: $g,
            version: $v,
            plural: $plural,
            singular: $singular,
            kind: $kind,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            verbs: $verbs,
            subresources: $subs,
            generation: $gen,
            virtual_: false,
        }
    };
}

pub static RESOURCES: &[ResourceDef] = &[
    res!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        NONE,
        &["create", "delete", "get", "list", "patch", "update", "watch"],
        &[status("Namespace"), SubDef { name: "finalize", kind: "Namespace", group: None, version: None, verbs: &["update"] }],
        false
    ),
    res!("", "v1", "nodes", "node", "Node", false, &["no"], NONE, RW, &[status("Node")], false),
    res!("", "v1", "secrets", "secret", "Secret", true, NONE, NONE, RW, &[], false),
    res!("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"], NONE, RW, &[], false),
    res!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        ALL,
        &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        &[status("Service")],
        false
    ),
    res!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        ALL,
        RW,
        &[
            status("Pod"),
            SubDef { name: "log", kind: "Pod", group: None, version: None, verbs: &["get"] },
            SubDef { name: "exec", kind: "PodExecOptions", group: None, version: None, verbs: &["create", "get"] },
        ],
        true
    ),
    res!("", "v1", "events", "event", "Event", true, &["ev"], NONE, RW, &[], false),
    res!("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], NONE, RW, &[], false),
    res!("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"], NONE, RW, &[], false),
    res!(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        NONE,
        RW,
        &[status("PersistentVolumeClaim")],
        false
    ),
    res!("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"], ALL, RW, &[status("Deployment"), scale()], true),
    res!("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"], ALL, RW, &[status("ReplicaSet"), scale()], true),
    res!("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"], ALL, RW, &[status("StatefulSet"), scale()], true),
    res!("batch", "v1", "jobs", "job", "Job", true, NONE, ALL, RW, &[status("Job")], true),
    res!("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"], ALL, RW, &[status("CronJob")], true),
    res!("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, NONE, NONE, RW, &[], false),
    res!("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"], NONE, RW, &[status("Ingress")], true),
    res!("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"], NONE, RW, &[], true),
    res!(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        ALL,
        RW,
        &[status("HorizontalPodAutoscaler")],
        true
    ),
    res!(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        NONE,
        RW,
        &[status("PodDisruptionBudget")],
        true
    ),
    ResourceDef {
        group: "metrics.k8s.io",
        version: "v1beta1",
        plural: "pods",
        singular: "",
        kind: "PodMetrics",
        namespaced: true,
        short_names: NONE,
        categories: NONE,
        verbs: RO,
        subresources: &[],
        generation: false,
        virtual_: true,
    },
    ResourceDef {
        group: "metrics.k8s.io",
        version: "v1beta1",
        plural: "nodes",
        singular: "",
        kind: "NodeMetrics",
        namespaced: false,
        short_names: NONE,
        categories: NONE,
        verbs: RO,
        subresources: &[],
        generation: false,
        virtual_: true,
    },
];

/// Index into [`RESOURCES`]; cheap to copy and to put in keys.
pub type ResId = usize;

pub fn find(group: &str, version: &str, plural: &str) -> Option<ResId> {
    RESOURCES.iter().position(|r| r.group == group && r.version == version && r.plural == plural)
}

pub fn by_kind(api_version: &str, kind: &str) -> Option<ResId> {
    RESOURCES.iter().position(|r| r.kind == kind && r.api_version() == api_version && !r.virtual_)
}

pub fn def(id: ResId) -> &'static ResourceDef {
    &RESOURCES[id]
}

/// Well-known ids used by controllers; looked up once, the table is static.
pub fn id(group: &str, plural: &str) -> ResId {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.plural == plural && !r.virtual_)
        .unwrap_or_else(|| panic!("resource {plural}.{group} missing from the static table"))
}

/// The served group-versions, in discovery order (core first).
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}
