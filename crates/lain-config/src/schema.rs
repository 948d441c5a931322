//! lain's values schema, checked on the merged tree so that each mistake is reported at the
//! file and line that introduced it, all at once, each with its fix.
//!
//! Kubernetes objects embedded in values (probes, strategy, volumes...) are passed to helm as
//! they are: the API server validates those. Here we check what only lain knows: its own keys,
//! names that become Kubernetes object names, cross-references (an ingress naming a proc), and
//! the mistakes the seeds warn about (memory in millibytes).

use indexmap::IndexMap;

use super::Problem;
use super::quantity;
use super::yaml::{Node, Value};

/// Keys lain injects; accepted anywhere at the top level (a user may `--set imageTag=...`).
pub const INJECTED_KEYS: &[&str] = &[
    "cluster",
    "registry",
    "internalRegistry",
    "domain",
    "k8s_namespace",
    "serviceAccountName",
    "user",
    "imageTag",
    "clusterHostAliases",
    "ingressClass",
    "externalIngressClass",
    "clusterIssuer",
    "canaryGroup",
    "blueGreen",
];

const ROOT_KEYS: &[&str] = &[
    "appname",
    "releaseName",
    "env",
    "volumeMounts",
    "volumes",
    "extraEnvFrom",
    "hostAliases",
    "labels",
    "podAnnotations",
    "deployments",
    "statefulSets",
    "jobs",
    "cronjobs",
    "tests",
    "ingresses",
    "externalIngresses",
    "canaryGroups",
    "networkPolicy",
    "persistentVolumeClaims",
    "webhook",
    "build",
    "release",
    "prometheus_query_range",
    "nodeSelector",
    "tolerations",
    "imagePullSecrets",
];

const CONTAINER_KEYS: &[&str] = &[
    "image",
    "imageTag",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "env",
    "extraEnvFrom",
    "resources",
    "volumeMounts",
    "volumes",
    "initContainers",
    "podAnnotations",
    "annotations",
    "labels",
    "hostAliases",
    "nodes",
    "securityContext",
    // The pod's SecurityContext (fsGroup, runAsUser of every container); the chart renders it.
    "podSecurityContext",
    "lifecycle",
    "terminationGracePeriodSeconds",
    "nodeSelector",
    "tolerations",
    "affinity",
];

const PROC_KEYS: &[&str] = &[
    "replicaCount",
    "containerPort",
    "nodePort",
    "serviceAnnotations",
    "readinessProbe",
    "livenessProbe",
    "startupProbe",
    "strategy",
    "minReadySeconds",
    "hpa",
    "revisionHistoryLimit",
];
const STS_KEYS: &[&str] = &["updateStrategy", "volumeClaimTemplates", "podManagementPolicy"];
const JOB_KEYS: &[&str] = &["ttlSecondsAfterFinished", "activeDeadlineSeconds", "backoffLimit", "completions", "parallelism", "restartPolicy"];
const CRON_KEYS: &[&str] =
    &["schedule", "concurrencyPolicy", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds", "timeZone"];
const INGRESS_KEYS: &[&str] = &["host", "deployName", "paths", "annotations", "tls", "pathType", "port"];
const BUILD_KEYS: &[&str] = &["base", "workdir", "prepare", "script", "env", "build_args"];
const PREPARE_KEYS: &[&str] = &["env", "script", "keep"];
const RELEASE_KEYS: &[&str] = &["dest_base", "workdir", "copy", "env", "script"];

/// Helm's limit on release names (it appends to them in Secret names).
pub const MAX_RELEASE_NAME: usize = 53;

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn add(&mut self, node: &Node, key: &str, message: impl Into<String>, fix: impl Into<String>) {
        self.problems.push(Problem { origin: node.origin.clone(), key: key.to_string(), message: message.into(), fix: fix.into() });
    }

    /// A map, or a problem. `null` counts as absent.
    fn map<'a>(&mut self, node: &'a Node, key: &str, example: &str) -> Option<&'a IndexMap<String, Node>> {
        match &node.value {
            Value::Map(m) => Some(m),
            Value::Null => None,
            _ => {
                self.add(node, key, format!("expected a map, found {}", node.type_name()), format!("write it as a map, e.g. {example}"));
                None
            }
        }
    }

    fn seq<'a>(&mut self, node: &'a Node, key: &str, example: &str) -> Option<&'a [Node]> {
        match &node.value {
            Value::Seq(s) => Some(s),
            Value::Null => None,
            _ => {
                self.add(node, key, format!("expected a list, found {}", node.type_name()), format!("write it as a list, e.g. {example}"));
                None
            }
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => None,
            _ => {
                self.add(node, key, format!("expected a string, found {}", node.type_name()), "quote the value");
                None
            }
        }
    }

    fn int(&mut self, node: &Node, key: &str, min: i64, max: i64) {
        match &node.value {
            Value::Int(i) if *i >= min && *i <= max => {}
            Value::Int(i) => self.add(node, key, format!("{i} is out of range"), format!("use a number from {min} to {max}")),
            Value::Null => {}
            _ => self.add(node, key, format!("expected an integer, found {}", node.type_name()), format!("write a number from {min} to {max} without quotes")),
        }
    }

    fn string_list(&mut self, node: &Node, key: &str, example: &str) {
        if let Value::Str(s) = &node.value {
            self.add(node, key, format!("expected a list of strings, found the string \"{s}\""), format!("write it as a list, e.g. {example}"));
            return;
        }
        if let Some(items) = self.seq(node, key, example) {
            for (i, it) in items.iter().enumerate() {
                if !matches!(it.value, Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)) {
                    self.add(it, &format!("{key}[{i}]"), format!("expected a string, found {}", it.type_name()), "quote the item");
                }
            }
        }
    }

    fn unknown_keys(&mut self, map: &IndexMap<String, Node>, prefix: &str, known: &[&[&str]]) {
        for (k, v) in map {
            if known.iter().any(|set| set.contains(&k.as_str())) {
                continue;
            }
            let all: Vec<&str> = known.iter().flat_map(|s| s.iter().copied()).collect();
            let fix = match nearest(k, &all) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("remove it; known keys here: {}", all.join(", ")),
            };
            self.add(v, &join(prefix, k), format!("unknown key `{k}`"), fix);
        }
    }

    fn env(&mut self, node: &Node, key: &str) {
        if let Some(m) = self.map(node, key, "env: {FOO: bar}") {
            for (k, v) in m {
                if !is_env_name(k) {
                    self.add(
                        v,
                        &join(key, k),
                        format!("`{k}` is not a valid environment variable name"),
                        "use letters, digits and _ (not starting with a digit)",
                    );
                }
                if matches!(v.value, Value::Map(_) | Value::Seq(_)) {
                    self.add(
                        v,
                        &join(key, k),
                        format!("environment values must be strings, found {}", v.type_name()),
                        "quote the value, or serialise it (e.g. JSON in a string)",
                    );
                }
            }
        }
    }

    fn resources(&mut self, node: &Node, key: &str) {
        let Some(m) = self.map(node, key, "resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {memory: 512Mi}}") else { return };
        self.unknown_keys(m, key, &[&["requests", "limits"]]);
        for part in ["requests", "limits"] {
            let Some(n) = m.get(part) else { continue };
            let pk = join(key, part);
            let Some(rm) = self.map(n, &pk, "{cpu: 100m, memory: 256Mi}") else { continue };
            for (res, q) in rm {
                let rk = join(&pk, res);
                let text = match &q.value {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Float(f) => f.to_string(),
                    _ => {
                        self.add(q, &rk, format!("expected a quantity, found {}", q.type_name()), "write e.g. 100m or 256Mi");
                        continue;
                    }
                };
                let problem = match res.as_str() {
                    "memory" | "ephemeral-storage" => quantity::memory_problem(&text),
                    "cpu" => quantity::cpu_problem(&text),
                    _ => quantity::parse(&text).is_none().then(|| (format!("\"{text}\" is not a Kubernetes quantity"), "write e.g. 1 or 100m".to_string())),
                };
                if let Some((msg, fix)) = problem {
                    self.add(q, &rk, msg, fix);
                }
            }
        }
    }

    fn volume_mounts(&mut self, node: &Node, key: &str) {
        let Some(items) = self.seq(node, key, "[{mountPath: /lain/app/deploy/topsecret.txt, subPath: topsecret.txt}]") else { return };
        for (i, it) in items.iter().enumerate() {
            let ik = format!("{key}[{i}]");
            let Some(m) = self.map(it, &ik, "{mountPath: /path, subPath: file}") else { continue };
            match m.get("mountPath").and_then(Node::as_str) {
                Some(p) if p.starts_with('/') => {}
                Some(p) => self.add(it, &join(&ik, "mountPath"), format!("mountPath \"{p}\" is not absolute"), "start it with /"),
                None => self.add(it, &ik, "volumeMount without mountPath", "add mountPath: /absolute/path"),
            }
        }
    }

    /// Keys shared by everything that runs a container.
    fn container(&mut self, m: &IndexMap<String, Node>, key: &str) {
        for (k, v) in m {
            let kk = join(key, k);
            match k.as_str() {
                "command" | "args" => self.string_list(v, &kk, "[\"/lain/app/run.py\", \"--port\", \"8000\"]"),
                "env" => self.env(v, &kk),
                "resources" => self.resources(v, &kk),
                "volumeMounts" => self.volume_mounts(v, &kk),
                "nodes" => self.string_list(v, &kk, "[node-1, node-2]"),
                "image" | "imageTag" | "workingDir" | "imagePullPolicy" => {
                    self.string(v, &kk);
                }
                "terminationGracePeriodSeconds" => self.int(v, &kk, 0, 86400 * 7),
                "podAnnotations" | "annotations" | "labels" => {
                    self.map(v, &kk, "{key: value}");
                }
                _ => {}
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    // An empty key (`"": x`, or `! : x`) must still show in the path (found by fuzzing).
    let key = if key.is_empty() { "\"\"" } else { key };
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn nearest<'a>(k: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = k.to_lowercase();
    known
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn is_env_name(k: &str) -> bool {
    !k.is_empty() && !k.starts_with(|c: char| c.is_ascii_digit()) && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// RFC 1123 label, and starting with a letter (Services need DNS-1035 labels).
pub fn dns_label_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name.len() > max {
        return Some(format!("is {} characters long, the limit is {max}", name.len()));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter".into());
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Some("may only contain lowercase letters, digits and '-'".into());
    }
    if name.ends_with('-') {
        return Some("must not end with '-'".into());
    }
    None
}

/// Checks the merged values. `root` must be the merged tree (values.yaml ← values-CLUSTER.yaml ←
/// -f ← --set).
pub fn validate(root: &Node) -> Vec<Problem> {
    let mut c = Checker { problems: Vec::new() };
    let Some(m) = c.map(root, "(top level)", "appname: myapp") else { return c.problems };
    c.unknown_keys(m, "", &[ROOT_KEYS, INJECTED_KEYS]);

    let appname = match m.get("appname") {
        None => {
            c.add(root, "appname", "appname is missing", "add `appname: myapp` to chart/values.yaml (it names the image, the release and the app's Secrets)");
            None
        }
        Some(n) => match c.string(n, "appname") {
            Some(a) => match dns_label_problem(&a, MAX_RELEASE_NAME) {
                Some(p) => {
                    c.add(n, "appname", format!("appname \"{a}\" {p}"), "use a short lowercase name like my-app");
                    None
                }
                None => Some(a),
            },
            None => None,
        },
    };
    let mut release = appname.clone();
    if let Some(n) = m.get("releaseName")
        && let Some(r) = c.string(n, "releaseName")
    {
        match dns_label_problem(&r, MAX_RELEASE_NAME) {
            Some(p) => c.add(n, "releaseName", format!("releaseName \"{r}\" {p}"), "use a short lowercase name like my-app-canary"),
            None => release = Some(r),
        }
    }

    for k in ["env"] {
        if let Some(n) = m.get(k) {
            c.env(n, k);
        }
    }
    if let Some(n) = m.get("volumeMounts") {
        c.volume_mounts(n, "volumeMounts");
    }

    let mut procs: Vec<String> = Vec::new();
    for (section, kind_keys) in [("deployments", &[PROC_KEYS][..]), ("statefulSets", &[PROC_KEYS, STS_KEYS][..])] {
        let Some(n) = m.get(section) else { continue };
        let Some(pm) = c.map(n, section, "deployments: {web: {containerPort: 8000}}") else { continue };
        for (name, pn) in pm {
            let pk = join(section, name);
            check_object_name(&mut c, pn, &pk, name, release.as_deref(), "proc");
            if procs.contains(name) {
                c.add(pn, &pk, format!("proc `{name}` is defined in both deployments and statefulSets"), "rename one of them");
            }
            procs.push(name.clone());
            let Some(p) = c.map(pn, &pk, "{replicaCount: 1, containerPort: 8000}") else { continue };
            let mut known: Vec<&[&str]> = vec![CONTAINER_KEYS];
            known.extend_from_slice(kind_keys);
            c.unknown_keys(p, &pk, &known);
            c.container(p, &pk);
            if let Some(v) = p.get("replicaCount") {
                c.int(v, &join(&pk, "replicaCount"), 0, 10000);
            }
            if let Some(v) = p.get("containerPort") {
                c.int(v, &join(&pk, "containerPort"), 1, 65535);
            }
            if let Some(v) = p.get("nodePort") {
                c.int(v, &join(&pk, "nodePort"), 30000, 32767);
            }
            if let Some(v) = p.get("minReadySeconds") {
                c.int(v, &join(&pk, "minReadySeconds"), 0, 3600);
            }
        }
    }

    for (section, extra, what) in [("jobs", JOB_KEYS, "job"), ("cronjobs", CRON_KEYS, "cronjob"), ("tests", JOB_KEYS, "test")] {
        let Some(n) = m.get(section) else { continue };
        let Some(jm) = c.map(n, section, "jobs: {migrate: {command: [...]}}") else { continue };
        for (name, jn) in jm {
            let jk = join(section, name);
            check_object_name(&mut c, jn, &jk, name, release.as_deref(), what);
            // Objects are named RELEASE-NAME and pods selected by (release, proc): a job named
            // like a proc would collide with its Deployment's name and Service selector.
            if section != "tests" && procs.contains(name) {
                c.add(jn, &jk, format!("{what} `{name}` has the same name as a proc"), format!("rename the {what}, e.g. {name}-{what}"));
            }
            let Some(j) = c.map(jn, &jk, "{command: [\"./migrate.sh\"]}") else { continue };
            let known: Vec<&[&str]> = if section == "cronjobs" { vec![CONTAINER_KEYS, CRON_KEYS, JOB_KEYS] } else { vec![CONTAINER_KEYS, extra] };
            c.unknown_keys(j, &jk, &known);
            c.container(j, &jk);
            if section == "cronjobs" {
                match j.get("schedule") {
                    None => c.add(jn, &jk, "cronjob without schedule", "add schedule: \"0 * * * *\" (minute hour day month weekday)"),
                    Some(s) => {
                        c.string(s, &join(&jk, "schedule"));
                    }
                }
            }
            for k in ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
                if let Some(v) = j.get(k) {
                    c.int(v, &join(&jk, k), 0, i64::from(i32::MAX));
                }
            }
        }
    }

    for section in ["ingresses", "externalIngresses"] {
        let Some(n) = m.get(section) else { continue };
        let Some(items) = c.seq(n, section, "[{host: myapp, deployName: web, paths: [/]}]") else { continue };
        for (i, it) in items.iter().enumerate() {
            let ik = format!("{section}[{i}]");
            let Some(im) = c.map(it, &ik, "{host: myapp, deployName: web, paths: [/]}") else { continue };
            c.unknown_keys(im, &ik, &[INGRESS_KEYS]);
            match im.get("host") {
                None => c.add(it, &ik, "ingress without host", "add host: myapp (expands to myapp.<cluster domain>) or a full host name"),
                Some(h) => {
                    c.string(h, &join(&ik, "host"));
                }
            }
            match im.get("deployName").map(|d| (d, d.as_str())) {
                None => c.add(it, &ik, "ingress without deployName", format!("add deployName: one of {}", list_or_none(&procs))),
                Some((d, Some(name))) if !procs.iter().any(|p| p == name) => {
                    c.add(d, &join(&ik, "deployName"), format!("deployName `{name}` names no proc"), format!("use one of the procs: {}", list_or_none(&procs)))
                }
                Some((d, None)) => {
                    c.string(d, &join(&ik, "deployName"));
                }
                _ => {}
            }
            if let Some(p) = im.get("paths") {
                c.string_list(p, &join(&ik, "paths"), "[/]");
            }
        }
    }

    if let Some(n) = m.get("canaryGroups")
        && let Some(g) = c.map(n, "canaryGroups", "canaryGroups: {internal: {nginx.ingress.kubernetes.io/canary-by-header-value: canary}}")
    {
        for (name, gn) in g {
            c.map(gn, &join("canaryGroups", name), "{nginx.ingress.kubernetes.io/canary-weight: \"10\"}");
        }
    }

    if let Some(n) = m.get("webhook")
        && let Some(w) = c.map(n, "webhook", "webhook: {url: https://...}")
    {
        c.unknown_keys(w, "webhook", &[&["url", "clusters", "kind"]]);
        match w.get("url") {
            Some(u) => {
                if let Some(s) = c.string(u, "webhook.url")
                    && !(s.starts_with("http://") || s.starts_with("https://"))
                {
                    c.add(u, "webhook.url", format!("\"{s}\" is not an http(s) URL"), "write the full URL, starting with https://");
                }
            }
            None => c.add(n, "webhook", "webhook without url", "add url: https://..."),
        }
        if let Some(cl) = w.get("clusters") {
            c.string_list(cl, "webhook.clusters", "[prod]");
        }
    }

    check_build(&mut c, m);
    c.problems
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "(none defined: add one under deployments)".into() } else { v.join(", ") }
}

fn check_object_name(c: &mut Checker, node: &Node, key: &str, name: &str, release: Option<&str>, what: &str) {
    if let Some(p) = dns_label_problem(name, 63) {
        c.add(node, key, format!("{what} name `{name}` {p}"), "rename it to a short lowercase name like web or worker");
        return;
    }
    if let Some(r) = release {
        let full = format!("{r}-{name}");
        if full.len() > 63 {
            c.add(
                node,
                key,
                format!("`{full}` (release-{what}) is {} characters, over Kubernetes' 63", full.len()),
                "shorten the proc name or the appname/releaseName",
            );
        }
    }
}

fn check_build(c: &mut Checker, m: &IndexMap<String, Node>) {
    if let Some(n) = m.get("build")
        && let Some(b) = c.map(n, "build", "build: {base: python:3.12, script: [pip install -r requirements.txt]}")
    {
        c.unknown_keys(b, "build", &[BUILD_KEYS]);
        if b.get("base").is_none() {
            c.add(n, "build", "build without base", "add base: IMAGE (the image your app builds on)");
        }
        for (k, v) in b {
            let kk = join("build", k);
            match k.as_str() {
                "base" | "workdir" => {
                    c.string(v, &kk);
                }
                "script" => c.string_list(v, &kk, "[pip install -r requirements.txt]"),
                "env" | "build_args" => {
                    c.map(v, &kk, "{KEY: value}");
                }
                "prepare" => {
                    if let Some(p) = c.map(v, &kk, "{script: [...], keep: [node_modules]}") {
                        c.unknown_keys(p, &kk, &[PREPARE_KEYS]);
                        for (pk, pv) in p {
                            match pk.as_str() {
                                "script" | "keep" => c.string_list(pv, &join(&kk, pk), "[node_modules]"),
                                "env" => {
                                    c.map(pv, &join(&kk, pk), "{KEY: value}");
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(n) = m.get("release")
        && let Some(r) = c.map(n, "release", "release: {dest_base: nginx, copy: [/lain/app/dist]}")
    {
        c.unknown_keys(r, "release", &[RELEASE_KEYS]);
        if r.get("dest_base").is_none() {
            c.add(n, "release", "release without dest_base", "add dest_base: IMAGE (the runtime image build output is copied into)");
        }
        if let Some(cp) = r.get("copy")
            && let Some(items) = c.seq(cp, "release.copy", "[/lain/app/dist, {src: /lain/app/conf, dest: /etc/app}]")
        {
            for (i, it) in items.iter().enumerate() {
                let ik = format!("release.copy[{i}]");
                match &it.value {
                    Value::Str(_) => {}
                    Value::Map(cm) => {
                        c.unknown_keys(cm, &ik, &[&["src", "dest"]]);
                        if cm.get("src").and_then(Node::as_str).is_none() {
                            c.add(it, &ik, "copy entry without src", "add src: /path/in/build/stage (dest defaults to src)");
                        }
                    }
                    _ => c.add(it, &ik, format!("expected a path or {{src, dest}}, found {}", it.type_name()), "write a path, or {src: ..., dest: ...}"),
                }
            }
        }
        if let Some(s) = r.get("script") {
            c.string_list(s, "release.script", "[nginx -t]");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn problems(text: &str) -> Vec<Problem> {
        validate(&parse(text, "chart/values.yaml").unwrap())
    }

    fn one(text: &str) -> Problem {
        let p = problems(text);
        assert_eq!(p.len(), 1, "{p:#?}");
        p.into_iter().next().unwrap()
    }

    const OK: &str =
        "appname: dummy\ndeployments:\n  web:\n    containerPort: 8000\n    command: [run]\ningresses:\n  - host: dummy\n    deployName: web\n    paths: [/]\n";

    #[test]
    fn a_valid_app_has_no_problems() {
        assert_eq!(problems(OK), vec![]);
    }

    #[test]
    fn missing_appname() {
        let p = one("deployments: {}\n");
        assert_eq!(p.key, "appname");
        assert!(p.fix.contains("appname: myapp"));
    }

    #[test]
    fn memory_in_millibytes_is_located() {
        let p = one("appname: a\ndeployments:\n  web:\n    resources:\n      limits:\n        memory: 80m\n");
        assert_eq!(p.key, "deployments.web.resources.limits.memory");
        assert_eq!(p.origin.line, 6);
        assert!(p.fix.contains("80Mi"));
    }

    #[test]
    fn proc_name_must_be_dns_label() {
        let p = one("appname: a\ndeployments:\n  Web_1:\n    replicaCount: 1\n");
        assert_eq!(p.key, "deployments.Web_1");
        assert_eq!(p.origin.line, 3);
    }

    #[test]
    fn ingress_naming_no_proc() {
        let p = one("appname: a\ndeployments:\n  web: {}\ningresses:\n  - host: a\n    deployName: wbe\n");
        assert_eq!(p.key, "ingresses[0].deployName");
        assert!(p.fix.contains("web"), "{}", p.fix);
        assert_eq!(p.origin.line, 6);
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let p = one("appname: a\ndeployment:\n  web: {}\n");
        assert_eq!(p.key, "deployment");
        assert!(p.fix.contains("`deployments`"), "{}", p.fix);
        let p = one("appname: a\ndeployments:\n  web:\n    replicas: 2\n");
        assert_eq!(p.key, "deployments.web.replicas");
    }

    #[test]
    fn wrong_types() {
        let p = one("appname: a\ndeployments:\n  web:\n    command: run.py --debug\n");
        assert!(p.message.contains("list of strings"), "{p}");
        let p = one("appname: a\ndeployments:\n  web:\n    replicaCount: two\n");
        assert_eq!(p.key, "deployments.web.replicaCount");
    }

    #[test]
    fn too_long_release() {
        let name = "a".repeat(54);
        let p = one(&format!("appname: {name}\n"));
        assert!(p.message.contains("limit is 53"), "{p}");
        let p = one(&format!("appname: {}\ndeployments:\n  {}: {{}}\n", "a".repeat(40), "w".repeat(30)));
        assert!(p.message.contains("over Kubernetes' 63"), "{p}");
    }

    #[test]
    fn release_copy_without_src() {
        let p = one("appname: a\nbuild: {base: x}\nrelease:\n  dest_base: y\n  copy:\n    - dest: /x\n");
        assert_eq!(p.key, "release.copy[0]");
    }

    #[test]
    fn all_problems_at_once() {
        let p = problems("deployments:\n  web:\n    resources: {limits: {memory: 1gi}}\ningresses:\n  - host: a\n    deployName: nope\n");
        assert_eq!(p.len(), 3, "{p:#?}");
    }

    #[test]
    fn job_named_like_a_proc() {
        let p = one("appname: a\ndeployments:\n  web: {}\njobs:\n  web:\n    command: [x]\n");
        assert_eq!(p.key, "jobs.web");
        assert!(p.message.contains("same name as a proc"), "{p}");
    }

    #[test]
    fn an_empty_key_is_named() {
        // Input found by the values_merge_validate fuzz target.
        let p = problems("a?ppnedapp  web:\n  : imcedapp  web:\n! : m m  ");
        assert!(p.iter().all(|p| !p.key.is_empty()), "{p:#?}");
        assert!(p.iter().any(|p| p.key == "\"\"" && p.origin.line == 3), "{p:#?}");
    }

    #[test]
    fn injected_keys_are_accepted() {
        assert_eq!(problems("appname: a\nimageTag: x\nuser: me\n"), vec![]);
    }
}
