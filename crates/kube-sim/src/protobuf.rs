//! Decoding of the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`): the
//! `k8s\0` magic, a `runtime.Unknown` envelope {typeMeta, raw}, and `raw` holding the object.
//! helm's release storage client talks protobuf, so Secrets and ConfigMaps (and DeleteOptions)
//! are decoded here into the same JSON the rest of the server works with. Field numbers are those
//! of k8s.io/api `generated.proto`.

use base64::Engine;
use serde_json::{Map, Value, json};

pub const MAGIC: &[u8] = b"k8s\0";

#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed64,
    Fixed32,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }

    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let (field, wt) = (tag >> 3, tag & 7);
        let w = match wt {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Wire::Fixed64
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length overflow")?;
                let end = self.pos.checked_add(len).filter(|e| *e <= self.buf.len()).ok_or("truncated field")?;
                let b = &self.buf[self.pos..end];
                self.pos = end;
                Wire::Bytes(b)
            }
            5 => {
                self.skip(4)?;
                Wire::Fixed32
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((field, w)))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        if self.pos + n > self.buf.len() {
            return Err("truncated fixed field".into());
        }
        self.pos += n;
        Ok(())
    }
}

fn string(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in string field".to_string())
}

/// A `map<string, X>` entry: key = 1, value = 2.
fn map_entry(b: &[u8]) -> Result<(String, &[u8]), String> {
    let mut r = Reader::new(b);
    let (mut k, mut v): (String, &[u8]) = (String::new(), &[]);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(x)) => k = string(x)?,
            (2, Wire::Bytes(x)) => v = x,
            _ => {}
        }
    }
    Ok((k, v))
}

fn time(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut secs = 0i64;
    while let Some((f, w)) = r.next()? {
        if let (1, Wire::Varint(v)) = (f, w) {
            secs = v as i64;
        }
    }
    let ts = jiff::Timestamp::from_second(secs).map_err(|e| e.to_string())?;
    Ok(json!(crate::clock::fmt_time(ts)))
}

fn owner_ref(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut m = Map::new();
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(x)) => {
                m.insert("kind".into(), json!(string(x)?));
            }
            (3, Wire::Bytes(x)) => {
                m.insert("name".into(), json!(string(x)?));
            }
            (4, Wire::Bytes(x)) => {
                m.insert("uid".into(), json!(string(x)?));
            }
            (5, Wire::Bytes(x)) => {
                m.insert("apiVersion".into(), json!(string(x)?));
            }
            (6, Wire::Varint(v)) => {
                m.insert("controller".into(), json!(v != 0));
            }
            (7, Wire::Varint(v)) => {
                m.insert("blockOwnerDeletion".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    Ok(Value::Object(m))
}

pub fn object_meta(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut m = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut owners = Vec::new();
    let mut finalizers = Vec::new();
    while let Some((f, w)) = r.next()? {
        let key = match f {
            1 => "name",
            2 => "generateName",
            3 => "namespace",
            5 => "uid",
            6 => "resourceVersion",
            _ => "",
        };
        match (f, w) {
            (1 | 2 | 3 | 5 | 6, Wire::Bytes(x)) => {
                let s = string(x)?;
                if !s.is_empty() {
                    m.insert(key.into(), json!(s));
                }
            }
            (7, Wire::Varint(v)) => {
                m.insert("generation".into(), json!(v as i64));
            }
            (8, Wire::Bytes(x)) => {
                m.insert("creationTimestamp".into(), time(x)?);
            }
            (9, Wire::Bytes(x)) => {
                m.insert("deletionTimestamp".into(), time(x)?);
            }
            (10, Wire::Varint(v)) => {
                m.insert("deletionGracePeriodSeconds".into(), json!(v as i64));
            }
            (11, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                labels.insert(k, json!(string(v)?));
            }
            (12, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                annotations.insert(k, json!(string(v)?));
            }
            (13, Wire::Bytes(x)) => owners.push(owner_ref(x)?),
            (14, Wire::Bytes(x)) => finalizers.push(json!(string(x)?)),
            _ => {} // managedFields (16) and selfLink (4) are server-owned
        }
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    if !owners.is_empty() {
        m.insert("ownerReferences".into(), json!(owners));
    }
    if !finalizers.is_empty() {
        m.insert("finalizers".into(), json!(finalizers));
    }
    Ok(Value::Object(m))
}

fn secret(b: &[u8]) -> Result<Value, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut r = Reader::new(b);
    let mut o = json!({"apiVersion": "v1", "kind": "Secret"});
    let (mut data, mut string_data) = (Map::new(), Map::new());
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(x)) => o["metadata"] = object_meta(x)?,
            (2, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                data.insert(k, json!(b64.encode(v)));
            }
            (3, Wire::Bytes(x)) => o["type"] = json!(string(x)?),
            (4, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                string_data.insert(k, json!(string(v)?));
            }
            (5, Wire::Varint(v)) => o["immutable"] = json!(v != 0),
            _ => {}
        }
    }
    if !data.is_empty() {
        o["data"] = Value::Object(data);
    }
    if !string_data.is_empty() {
        o["stringData"] = Value::Object(string_data);
    }
    Ok(o)
}

fn config_map(b: &[u8]) -> Result<Value, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut r = Reader::new(b);
    let mut o = json!({"apiVersion": "v1", "kind": "ConfigMap"});
    let (mut data, mut bin) = (Map::new(), Map::new());
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(x)) => o["metadata"] = object_meta(x)?,
            (2, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                data.insert(k, json!(string(v)?));
            }
            (3, Wire::Bytes(x)) => {
                let (k, v) = map_entry(x)?;
                bin.insert(k, json!(b64.encode(v)));
            }
            (4, Wire::Varint(v)) => o["immutable"] = json!(v != 0),
            _ => {}
        }
    }
    if !data.is_empty() {
        o["data"] = Value::Object(data);
    }
    if !bin.is_empty() {
        o["binaryData"] = Value::Object(bin);
    }
    Ok(o)
}

fn delete_options(b: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(b);
    let mut o = json!({"apiVersion": "v1", "kind": "DeleteOptions"});
    let mut dry = Vec::new();
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Varint(v)) => o["gracePeriodSeconds"] = json!(v as i64),
            (2, Wire::Bytes(x)) => {
                let mut pr = Reader::new(x);
                let mut p = Map::new();
                while let Some((pf, pw)) = pr.next()? {
                    match (pf, pw) {
                        (1, Wire::Bytes(s)) => {
                            p.insert("uid".into(), json!(string(s)?));
                        }
                        (2, Wire::Bytes(s)) => {
                            p.insert("resourceVersion".into(), json!(string(s)?));
                        }
                        _ => {}
                    }
                }
                o["preconditions"] = Value::Object(p);
            }
            (3, Wire::Varint(v)) => o["orphanDependents"] = json!(v != 0),
            (4, Wire::Bytes(x)) => o["propagationPolicy"] = json!(string(x)?),
            (5, Wire::Bytes(x)) => dry.push(json!(string(x)?)),
            _ => {}
        }
    }
    if !dry.is_empty() {
        o["dryRun"] = json!(dry);
    }
    Ok(o)
}

/// Decodes a `k8s\0`-prefixed body into JSON. Only the kinds helm sends are understood.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body.strip_prefix(MAGIC).ok_or("missing the k8s\\0 protobuf prefix")?;
    let mut r = Reader::new(rest);
    let (mut api_version, mut kind, mut raw): (String, String, &[u8]) = (String::new(), String::new(), &[]);
    while let Some((f, w)) = r.next()? {
        match (f, w) {
            (1, Wire::Bytes(tm)) => {
                let mut tr = Reader::new(tm);
                while let Some((tf, tw)) = tr.next()? {
                    match (tf, tw) {
                        (1, Wire::Bytes(x)) => api_version = string(x)?,
                        (2, Wire::Bytes(x)) => kind = string(x)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(x)) => raw = x,
            _ => {}
        }
    }
    let _ = api_version;
    match kind.as_str() {
        "Secret" => secret(raw),
        "ConfigMap" => config_map(raw),
        "DeleteOptions" => delete_options(raw),
        other => Err(format!("protobuf decoding of kind {other:?} is not supported by kube-sim; send JSON")),
    }
}

/// A minimal encoder, used by tests to produce what client-go sends.
#[cfg(test)]
pub mod enc {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    pub fn bytes(field: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    pub fn uint(field: u64, v: u64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(v, out);
    }
    pub fn entry(field: u64, k: &str, v: &[u8], out: &mut Vec<u8>) {
        let mut e = Vec::new();
        bytes(1, k.as_bytes(), &mut e);
        bytes(2, v, &mut e);
        bytes(field, &e, out);
    }
    pub fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut tm = Vec::new();
        bytes(1, api_version.as_bytes(), &mut tm);
        bytes(2, kind.as_bytes(), &mut tm);
        let mut out = super::MAGIC.to_vec();
        bytes(1, &tm, &mut out);
        bytes(2, raw, &mut out);
        bytes(4, b"application/vnd.kubernetes.protobuf", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::enc::*;
    use super::*;

    #[test]
    fn helm_release_secret() {
        let mut meta = Vec::new();
        bytes(1, b"sh.helm.release.v1.r1.v1", &mut meta);
        bytes(3, b"default", &mut meta);
        bytes(6, b"123", &mut meta);
        entry(11, "owner", b"helm", &mut meta);
        entry(11, "status", b"deployed", &mut meta);
        let mut ts = Vec::new();
        uint(1, 1_700_000_000, &mut ts);
        bytes(8, &ts, &mut meta);
        let mut oref = Vec::new();
        bytes(1, b"Deployment", &mut oref);
        bytes(3, b"web", &mut oref);
        bytes(4, b"u-1", &mut oref);
        bytes(5, b"apps/v1", &mut oref);
        uint(6, 1, &mut oref);
        bytes(13, &oref, &mut meta);
        let mut s = Vec::new();
        bytes(1, &meta, &mut s);
        entry(2, "release", b"H4sI\x00\xff", &mut s);
        bytes(3, b"helm.sh/release.v1", &mut s);
        let v = decode(&envelope("v1", "Secret", &s)).unwrap();
        assert_eq!(v["kind"], "Secret");
        assert_eq!(v["type"], "helm.sh/release.v1");
        assert_eq!(v["metadata"]["name"], "sh.helm.release.v1.r1.v1");
        assert_eq!(v["metadata"]["namespace"], "default");
        assert_eq!(v["metadata"]["resourceVersion"], "123");
        assert_eq!(v["metadata"]["labels"], json!({"owner": "helm", "status": "deployed"}));
        assert_eq!(v["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(v["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(v["metadata"]["ownerReferences"][0]["apiVersion"], "apps/v1");
        let data = base64::engine::general_purpose::STANDARD.decode(v["data"]["release"].as_str().unwrap()).unwrap();
        assert_eq!(data, b"H4sI\x00\xff");
    }

    #[test]
    fn config_map_and_delete_options() {
        let mut meta = Vec::new();
        bytes(2, b"cm-", &mut meta);
        entry(12, "note", b"x", &mut meta);
        let mut c = Vec::new();
        bytes(1, &meta, &mut c);
        entry(2, "k", b"v", &mut c);
        entry(3, "bin", b"\x01\x02", &mut c);
        uint(4, 1, &mut c);
        let v = decode(&envelope("v1", "ConfigMap", &c)).unwrap();
        assert_eq!(v["metadata"]["generateName"], "cm-");
        assert_eq!(v["metadata"]["annotations"]["note"], "x");
        assert_eq!(v["data"]["k"], "v");
        assert_eq!(v["binaryData"]["bin"], "AQI=");
        assert_eq!(v["immutable"], true);

        let mut d = Vec::new();
        uint(1, 0, &mut d);
        bytes(4, b"Background", &mut d);
        let v = decode(&envelope("meta.k8s.io/v1", "DeleteOptions", &d)).unwrap();
        assert_eq!(v["propagationPolicy"], "Background");
        assert_eq!(v["gracePeriodSeconds"], 0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode(b"{}").is_err());
        assert!(decode(b"k8s\0\x0a\x05ab").is_err());
        assert!(decode(&envelope("v1", "Pod", b"")).unwrap_err().contains("Pod"));
    }
}
