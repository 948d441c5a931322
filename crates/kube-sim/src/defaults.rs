//! Defaulting and the bits of validation clients rely on. Defaults match the real apiserver's so
//! that `kubectl get -o yaml`, three-way merges and server-side apply see the same live objects.

use serde_json::{Value, json};

use crate::resources::ResourceDef;
use crate::status::{ApiError, ApiResult};
use crate::store::Store;

fn set_default(obj: &mut Value, key: &str, v: Value) {
    if let Some(m) = obj.as_object_mut()
        && m.get(key).is_none_or(Value::is_null)
    {
        m.insert(key.into(), v);
    }
}

fn obj_at<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    if !obj.get(key).is_some_and(Value::is_object) {
        obj[key] = json!({});
    }
    &mut obj[key]
}

/// Fields the server sets once, at creation (status reset, allocated IPs, job selectors).
pub fn on_create(d: &ResourceDef, obj: &mut Value, store: &mut Store) {
    let m = obj.as_object_mut().expect("checked object");
    match d.kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "Job" | "CronJob" | "HorizontalPodAutoscaler" | "PodDisruptionBudget" => {
            m.remove("status");
        }
        "Pod" => {
            m.insert("status".into(), json!({"phase": "Pending"}));
        }
        "Namespace" => {
            m.insert("status".into(), json!({"phase": "Active"}));
        }
        "Service" => {
            m.insert("status".into(), json!({"loadBalancer": {}}));
        }
        "Ingress" => {
            m.insert("status".into(), json!({"loadBalancer": {}}));
        }
        "PersistentVolumeClaim" => {
            // No provisioner runs; claims are bound at once so pods using them can start.
            let storage = obj.pointer("/spec/resources/requests/storage").cloned().unwrap_or(json!("1Gi"));
            let modes = obj.pointer("/spec/accessModes").cloned().unwrap_or(json!(["ReadWriteOnce"]));
            obj["status"] = json!({"phase": "Bound", "accessModes": modes, "capacity": {"storage": storage}});
            if obj.pointer("/spec/volumeName").is_none() {
                let uid = store.new_uid();
                obj["spec"]["volumeName"] = json!(format!("pvc-{uid}"));
            }
        }
        _ => {}
    }
    if d.kind == "Namespace" {
        let name = obj["metadata"]["name"].clone();
        obj_at(&mut obj["metadata"], "labels")["kubernetes.io/metadata.name"] = name;
    }
    if d.kind == "Service" {
        let spec = obj_at(obj, "spec");
        let ty = spec.get("type").and_then(Value::as_str).unwrap_or("ClusterIP").to_string();
        if ty != "ExternalName" && spec.get("clusterIP").and_then(Value::as_str).is_none_or(str::is_empty) {
            let r = store.rand();
            let ip = format!("10.96.{}.{}", (r >> 8) % 254 + 1, r % 253 + 2);
            spec["clusterIP"] = json!(ip);
            spec["clusterIPs"] = json!([ip]);
        }
        if matches!(ty.as_str(), "NodePort" | "LoadBalancer")
            && let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut)
        {
            for p in ports {
                if p.get("nodePort").is_none() {
                    p["nodePort"] = json!(30000 + (store.rand() % 2768) as i64);
                }
            }
        }
    }
    if d.kind == "Job" {
        // The job controller's selector: the real apiserver generates it from the uid.
        let uid = obj["metadata"]["uid"].clone();
        let name = obj["metadata"]["name"].clone();
        let manual = obj.pointer("/spec/manualSelector").and_then(Value::as_bool).unwrap_or(false);
        if !manual {
            obj_at(obj, "spec")["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
            let tmpl = obj_at(obj_at(obj, "spec"), "template");
            let labels = obj_at(obj_at(tmpl, "metadata"), "labels");
            labels["batch.kubernetes.io/controller-uid"] = uid.clone();
            labels["batch.kubernetes.io/job-name"] = name.clone();
            labels["controller-uid"] = uid;
            labels["job-name"] = name;
        }
    }
}

/// Fields that survive an update even when the client leaves them out (allocated ClusterIP).
pub fn on_update(d: &ResourceDef, obj: &mut Value, old: &Value) {
    if d.kind == "Service" {
        for f in ["clusterIP", "clusterIPs"] {
            if obj.pointer(&format!("/spec/{f}")).is_none()
                && let Some(v) = old.pointer(&format!("/spec/{f}"))
            {
                obj_at(obj, "spec")[f] = v.clone();
            }
        }
    }
    if d.kind == "Job"
        && obj.pointer("/spec/selector").is_none()
        && let Some(v) = old.pointer("/spec/selector")
    {
        obj_at(obj, "spec")["selector"] = v.clone();
    }
}

fn default_container(c: &mut Value) {
    let image = c.get("image").and_then(Value::as_str).unwrap_or("").to_string();
    let last = image.rsplit('/').next().unwrap_or("");
    let latest = !image.contains('@') && (!last.contains(':') || last.ends_with(":latest"));
    set_default(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            set_default(p, "protocol", json!("TCP"));
        }
    }
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|p| p.is_object()) {
            set_default(p, "timeoutSeconds", json!(1));
            set_default(p, "periodSeconds", json!(10));
            set_default(p, "successThreshold", json!(1));
            set_default(p, "failureThreshold", json!(3));
        }
    }
}

pub fn pod_spec(spec: &mut Value, restart_default: &str) {
    if !spec.is_object() {
        return;
    }
    set_default(spec, "restartPolicy", json!(restart_default));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs {
                default_container(c);
            }
        }
    }
}

pub fn apply(d: &ResourceDef, obj: &mut Value) {
    match d.kind {
        "Pod" => {
            pod_spec(obj_at(obj, "spec"), "Always");
            if obj.pointer("/spec/serviceAccountName").is_none() {
                obj["spec"]["serviceAccountName"] = json!("default");
            }
        }
        "Deployment" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(spec, "strategy", json!({"type": "RollingUpdate"}));
            let strat = &mut spec["strategy"];
            if strat.get("type").and_then(Value::as_str).unwrap_or("RollingUpdate") == "RollingUpdate" {
                set_default(strat, "type", json!("RollingUpdate"));
                set_default(strat, "rollingUpdate", json!({}));
                set_default(&mut strat["rollingUpdate"], "maxSurge", json!("25%"));
                set_default(&mut strat["rollingUpdate"], "maxUnavailable", json!("25%"));
            }
            pod_spec(obj_at(obj_at(spec, "template"), "spec"), "Always");
        }
        "ReplicaSet" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "replicas", json!(1));
            pod_spec(obj_at(obj_at(spec, "template"), "spec"), "Always");
        }
        "StatefulSet" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "podManagementPolicy", json!("OrderedReady"));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
            set_default(spec, "persistentVolumeClaimRetentionPolicy", json!({"whenDeleted": "Retain", "whenScaled": "Retain"}));
            pod_spec(obj_at(obj_at(spec, "template"), "spec"), "Always");
        }
        "Job" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "parallelism", json!(1));
            set_default(spec, "completions", json!(1));
            set_default(spec, "backoffLimit", json!(6));
            set_default(spec, "completionMode", json!("NonIndexed"));
            set_default(spec, "suspend", json!(false));
            pod_spec(obj_at(obj_at(spec, "template"), "spec"), "Never");
        }
        "CronJob" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "concurrencyPolicy", json!("Allow"));
            set_default(spec, "suspend", json!(false));
            set_default(spec, "successfulJobsHistoryLimit", json!(3));
            set_default(spec, "failedJobsHistoryLimit", json!(1));
            let jt = obj_at(obj_at(spec, "jobTemplate"), "spec");
            pod_spec(obj_at(obj_at(jt, "template"), "spec"), "Never");
        }
        "Service" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            if spec.get("type").and_then(Value::as_str) != Some("ExternalName") {
                set_default(spec, "ipFamilies", json!(["IPv4"]));
                set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
                set_default(spec, "internalTrafficPolicy", json!("Cluster"));
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports {
                    set_default(p, "protocol", json!("TCP"));
                    let port = p.get("port").cloned().unwrap_or(Value::Null);
                    set_default(p, "targetPort", port);
                }
            }
        }
        "Secret" => {
            set_default(obj, "type", json!("Opaque"));
            // stringData is write-only: the server folds it into data (its keys win) and never
            // stores it.
            if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) {
                use base64::Engine;
                let data = obj_at(obj, "data");
                for (k, v) in sd {
                    let raw = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    data[k] = json!(base64::engine::general_purpose::STANDARD.encode(raw));
                }
            }
        }
        "Namespace" => {
            let spec = obj_at(obj, "spec");
            set_default(spec, "finalizers", json!(["kubernetes"]));
        }
        "PersistentVolumeClaim" => {
            set_default(obj_at(obj, "spec"), "volumeMode", json!("Filesystem"));
        }
        _ => {}
    }
}

fn template_labels_match(d: &ResourceDef, obj: &Value, name: &str) -> ApiResult<()> {
    let Some(sel) = obj.pointer("/spec/selector") else {
        return Err(ApiError::invalid(d, name, &[("spec.selector", "Required value".into())]));
    };
    let s = crate::selectors::LabelSelector::from_object(sel);
    if s.is_empty() {
        return Err(ApiError::invalid(d, name, &[("spec.selector", "Invalid value: \"null\": empty selector is invalid for deployment".into())]));
    }
    let labels = obj.pointer("/spec/template/metadata/labels");
    if !s.matches_labels(labels) {
        return Err(ApiError::invalid(
            d,
            name,
            &[(
                "spec.template.metadata.labels",
                format!("Invalid value: {}: `selector` does not match template `labels`", labels.cloned().unwrap_or(json!({}))),
            )],
        ));
    }
    Ok(())
}

fn containers_valid(d: &ResourceDef, spec: Option<&Value>, path: &str, name: &str) -> ApiResult<()> {
    let cs = spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
    let Some(cs) = cs.filter(|c| !c.is_empty()) else {
        return Err(ApiError::invalid(d, name, &[(&format!("{path}.containers"), "Required value".into())]));
    };
    for (i, c) in cs.iter().enumerate() {
        if c.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(ApiError::invalid(d, name, &[(&format!("{path}.containers[{i}].name"), "Required value".into())]));
        }
        if c.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(ApiError::invalid(d, name, &[(&format!("{path}.containers[{i}].image"), "Required value".into())]));
        }
    }
    Ok(())
}

/// The validation rules clients are seen to depend on (a 422 instead of a silently broken object).
pub fn validate(d: &ResourceDef, obj: &Value) -> ApiResult<()> {
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
    match d.kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" => {
            template_labels_match(d, obj, name)?;
            containers_valid(d, obj.pointer("/spec/template/spec"), "spec.template.spec", name)?;
        }
        "Pod" => containers_valid(d, obj.get("spec"), "spec", name)?,
        "Job" => {
            containers_valid(d, obj.pointer("/spec/template/spec"), "spec.template.spec", name)?;
            let rp = obj.pointer("/spec/template/spec/restartPolicy").and_then(Value::as_str).unwrap_or("");
            if !matches!(rp, "Never" | "OnFailure") {
                return Err(ApiError::invalid(
                    d,
                    name,
                    &[("spec.template.spec.restartPolicy", format!("Unsupported value: {rp:?}: supported values: \"OnFailure\", \"Never\""))],
                ));
            }
        }
        "CronJob" => {
            if obj.pointer("/spec/schedule").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(ApiError::invalid(d, name, &[("spec.schedule", "Required value".into())]));
            }
            if crate::controllers::cronjob::Schedule::parse(obj.pointer("/spec/schedule").and_then(Value::as_str).unwrap_or("")).is_none() {
                let s = obj.pointer("/spec/schedule").and_then(Value::as_str).unwrap_or("");
                return Err(ApiError::invalid(d, name, &[("spec.schedule", format!("Invalid value: {s:?}: unparseable schedule"))]));
            }
        }
        _ => {}
    }
    Ok(())
}
