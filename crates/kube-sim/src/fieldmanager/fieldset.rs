//! Field sets in the FieldsV1 notation the apiserver stores in `managedFields`: a path is a list
//! of tokens `f:<field>`, `k:<json of list-map keys>`, `v:<json value>` (set lists), `i:<index>`.
//! A set holds *member* paths: leaves (scalars, atomic lists, empty maps), keyed list items, set
//! items, and, for updates, map nodes that the operation created (the `.` entries).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

pub type Path = Vec<String>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(pub BTreeSet<Path>);

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn contains(&self, p: &Path) -> bool {
        self.0.contains(p)
    }
    pub fn insert(&mut self, p: Path) {
        self.0.insert(p);
    }
    pub fn union(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&o.0).cloned().collect())
    }
    pub fn difference(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&o.0).cloned().collect())
    }
    pub fn intersection(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&o.0).cloned().collect())
    }
    /// Whether some member lies strictly below `p`.
    pub fn has_descendant(&self, p: &Path) -> bool {
        self.0.range(p.clone()..).skip_while(|q| *q == p).take_while(|q| q.starts_with(p)).next().is_some()
    }
    /// Only the paths under the first token `top` (e.g. `f:status`), or all but those.
    pub fn filter_top(&self, top: &str, keep: bool) -> FieldSet {
        FieldSet(self.0.iter().filter(|p| (p.first().map(String::as_str) == Some(top)) == keep).cloned().collect())
    }
}

/// The list-map keys of a list field (`x-kubernetes-list-map-keys` in the real schemas), given
/// the field names on the way to it; `None` for atomic lists.
pub fn list_keys(path: &[String], field: &str) -> Option<&'static [&'static str]> {
    let parent = path.last().map(String::as_str).unwrap_or("");
    Some(match field {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" | "resourceClaims" => &["name"],
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "hostAliases" => &["ip"],
        "topologySpreadConstraints" => &["topologyKey", "whenUnsatisfiable"],
        "ownerReferences" => &["uid"],
        "conditions" => &["type"],
        "ports" if matches!(parent, "containers" | "initContainers" | "ephemeralContainers") => &["containerPort", "protocol"],
        "ports" if parent == "spec" => &["port", "protocol"],
        _ => return None,
    })
}

/// Lists of scalars merged as sets (`x-kubernetes-list-type: set`).
pub fn is_set_list(path: &[String], field: &str) -> bool {
    field == "finalizers" && path.last().map(String::as_str) == Some("metadata")
}

/// Maps (as opposed to structs) whose creation an update records with a `.` entry.
fn is_map_field(field: &str) -> bool {
    matches!(field, "labels" | "annotations" | "matchLabels" | "nodeSelector" | "data" | "binaryData" | "limits" | "requests" | "selector")
}

/// The `k:` token of a list item, or None when the item lacks its keys. A missing `protocol`
/// takes its default, as the real schema's key defaults do.
fn key_token(item: &Value, keys: &[&str]) -> Option<String> {
    let mut m = Map::new();
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    for k in sorted {
        let v = match item.get(k) {
            Some(v) if !v.is_null() => v.clone(),
            _ if k == "protocol" => json!("TCP"),
            _ => return None,
        };
        m.insert(k.to_string(), v);
    }
    Some(format!("k:{}", Value::Object(m)))
}

/// The token of one item of the list `field` (under `path_names`), None in an atomic list.
pub fn item_token(path_names: &[String], field: &str, item: &Value) -> Option<String> {
    if let Some(keys) = list_keys(path_names, field) {
        return key_token(item, keys);
    }
    is_set_list(path_names, field).then(|| format!("v:{item}"))
}

/// The tokens of the items of a list: keyed, set or None (atomic).
fn item_tokens(names: &[String], field: &str, items: &[Value]) -> Option<Vec<String>> {
    if let Some(keys) = list_keys(names, field) {
        return items.iter().map(|i| key_token(i, keys)).collect();
    }
    if is_set_list(names, field) {
        return Some(items.iter().map(|i| format!("v:{i}")).collect());
    }
    None
}

/// The field names along a token path (what [`list_keys`] is keyed by).
fn names_of(path: &Path) -> Vec<String> {
    path.iter().filter_map(|t| t.strip_prefix("f:").map(String::from)).collect()
}

/// The member paths of an object (what an applied configuration claims).
pub fn of_object(obj: &Value) -> FieldSet {
    members_at(obj, &Vec::new())
}

/// The member paths of the value found at `path` (absolute paths).
fn members_at(v: &Value, path: &Path) -> FieldSet {
    let mut set = FieldSet::default();
    let mut p = path.clone();
    if path.last().is_some_and(|t| t.starts_with("f:")) {
        walk_field(v, &mut p, &mut set);
    } else {
        walk(v, &mut p, &mut set);
    }
    set
}

fn walk(v: &Value, path: &mut Path, set: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(format!("f:{k}"));
                walk_field(child, path, set);
                path.pop();
            }
        }
        _ => set.insert(path.clone()),
    }
}

fn walk_field(v: &Value, path: &mut Path, set: &mut FieldSet) {
    if let Value::Array(items) = v
        && let Some(tokens) = tokens_at(path, items)
    {
        for (tok, item) in tokens.into_iter().zip(items) {
            path.push(tok);
            set.insert(path.clone());
            if item.as_object().is_some_and(|m| !m.is_empty()) {
                walk(item, path, set);
            }
            path.pop();
        }
        return;
    }
    walk(v, path, set);
}

/// The item tokens of the list found at `path` (whose last token is its field), if not atomic.
fn tokens_at(path: &Path, items: &[Value]) -> Option<Vec<String>> {
    let names = names_of(path);
    let (parent, field) = names.split_at(names.len().saturating_sub(1));
    item_tokens(parent, field.first().map(String::as_str).unwrap_or(""), items)
}

/// What changed between two versions of an object, as member paths.
#[derive(Debug, Default)]
pub struct Diff {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

impl Diff {
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified)
    }
}

/// `creation`: `old` stands for an object that did not exist (see [`whole`]).
pub fn compare(old: &Value, new: &Value, creation: bool) -> Diff {
    let mut d = Diff::default();
    cmp(Some(old), Some(new), &mut Vec::new(), &mut d, !creation);
    d
}

/// Records every member of a subtree that appeared (`added`) or went away (`removed`), and its
/// container nodes, which the apiserver stores as the `.` entries of an update. `all` marks
/// every container node; without it (a creation, compared with an absent object) only maps,
/// list items and what lies inside list items are, because the real server compares a new
/// object with a zero-valued one in which the non-pointer structs already exist.
fn whole(v: &Value, path: &mut Path, into: &mut FieldSet, all: bool) {
    for p in members_at(v, path).0 {
        into.insert(p);
    }
    mark_nodes(v, path, into, all);
}

fn mark_nodes(v: &Value, path: &mut Path, into: &mut FieldSet, all: bool) {
    let last = path.last().map(String::as_str).unwrap_or("");
    let item = last.starts_with("k:");
    let me = !path.is_empty() && (all || item || is_map_field(last.strip_prefix("f:").unwrap_or("")));
    let below = all || item;
    match v {
        Value::Object(m) => {
            if me {
                into.insert(path.clone());
            }
            for (k, child) in m {
                if child.is_object() || child.is_array() {
                    path.push(format!("f:{k}"));
                    mark_nodes(child, path, into, below);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            if me {
                into.insert(path.clone());
            }
            for (tok, item) in tokens_at(path, items).into_iter().flatten().zip(items) {
                if item.is_object() {
                    path.push(tok);
                    mark_nodes(item, path, into, below);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

fn cmp(old: Option<&Value>, new: Option<&Value>, path: &mut Path, d: &mut Diff, in_item: bool) {
    match (old, new) {
        (None, None) => {}
        (None, Some(n)) => whole(n, path, &mut d.added, in_item),
        (Some(o), None) => whole(o, path, &mut d.removed, in_item),
        (Some(Value::Object(a)), Some(Value::Object(b))) if !a.is_empty() || !b.is_empty() => {
            if !path.is_empty() && (a.is_empty() || b.is_empty()) {
                // An empty map is a leaf of its own; turning it into a populated one changes it.
                let (o, n) = (Value::Object(a.clone()), Value::Object(b.clone()));
                if a.is_empty() {
                    d.removed.insert(path.clone());
                    whole(&n, path, &mut d.added, in_item);
                } else {
                    whole(&o, path, &mut d.removed, in_item);
                    d.added.insert(path.clone());
                }
                return;
            }
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            // (`in_item` is the `all` of [`whole`] from here on.)
            for k in keys {
                path.push(format!("f:{k}"));
                cmp_field(a.get(k), b.get(k), path, d, in_item);
                path.pop();
            }
        }
        (Some(a), Some(b)) => {
            if a != b {
                d.modified.insert(path.clone());
            }
        }
    }
}

fn cmp_field(old: Option<&Value>, new: Option<&Value>, path: &mut Path, d: &mut Diff, in_item: bool) {
    if let (Some(Value::Array(a)), Some(Value::Array(b))) = (old, new)
        && let (Some(ta), Some(tb)) = (tokens_at(path, a), tokens_at(path, b))
    {
        let olds: Vec<(String, &Value)> = ta.into_iter().zip(a).collect();
        let news: Vec<(String, &Value)> = tb.into_iter().zip(b).collect();
        for (tok, ov) in &olds {
            path.push(tok.clone());
            match news.iter().find(|(t, _)| t == tok) {
                Some((_, nv)) => cmp(Some(ov), Some(nv), path, d, in_item),
                None => whole(ov, path, &mut d.removed, true),
            }
            path.pop();
        }
        for (tok, nv) in &news {
            if !olds.iter().any(|(t, _)| t == tok) {
                path.push(tok.clone());
                whole(nv, path, &mut d.added, true);
                path.pop();
            }
        }
        return;
    }
    cmp(old, new, path, d, in_item);
}

/// FieldsV1 JSON → set.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn rec(v: &Value, path: &mut Path, set: &mut FieldSet) {
        let Some(m) = v.as_object() else { return };
        if m.is_empty() && !path.is_empty() {
            set.insert(path.clone());
            return;
        }
        for (k, child) in m {
            if k == "." {
                set.insert(path.clone());
                continue;
            }
            path.push(k.clone());
            rec(child, path, set);
            path.pop();
        }
    }
    let mut set = FieldSet::default();
    rec(v, &mut Vec::new(), &mut set);
    set
}

/// Set → FieldsV1 JSON (a member with members below it carries a `.` entry).
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for p in &set.0 {
        let mut cur = &mut root;
        for tok in p {
            let next = cur.entry(tok.clone()).or_insert_with(|| json!({}));
            cur = next.as_object_mut().expect("FieldsV1 nodes are objects");
        }
    }
    fn dots(m: &mut Map<String, Value>, path: &mut Path, set: &FieldSet) {
        for (k, v) in m.iter_mut() {
            path.push(k.clone());
            if let Some(child) = v.as_object_mut()
                && !child.is_empty()
            {
                dots(child, path, set);
                if set.contains(path) {
                    child.insert(".".into(), json!({}));
                }
            }
            path.pop();
        }
    }
    dots(&mut root, &mut Vec::new(), set);
    sort(Value::Object(root))
}

/// Keys sorted as the apiserver serialises FieldsV1 (`.` first, then tokens in order).
fn sort(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
        }
        other => other,
    }
}

/// A path as the apiserver prints it in conflict messages: `.spec.containers[name="web"].image`.
pub fn display(p: &Path) -> String {
    let mut s = String::new();
    for tok in p {
        if let Some(f) = tok.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = tok.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = tok.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        } else if let Some(i) = tok.strip_prefix("i:") {
            s.push_str(&format!("[{i}]"));
        }
    }
    s
}

/// Whether `p` is a key field of the list item it is in (`k:{"name":"x"}` / `f:name`).
pub fn is_item_key(p: &[String]) -> bool {
    match p {
        [.., item, field] => item
            .strip_prefix("k:")
            .and_then(|k| serde_json::from_str::<Map<String, Value>>(k).ok())
            .zip(field.strip_prefix("f:"))
            .is_some_and(|(keys, f)| keys.contains_key(f)),
        _ => false,
    }
}

/// Removes the node at `p` from `obj`; maps and lists emptied by the removal go too (the
/// apiserver drops them rather than leaving `{}` behind). Returns whether something went.
pub fn remove(obj: &mut Value, p: &[String]) -> bool {
    let Some((last, parent)) = p.split_last() else { return false };
    let removed = match locate(obj, parent) {
        Some(node) => remove_child(node, last, parent),
        None => false,
    };
    if removed && !parent.is_empty() && locate(obj, parent).is_some_and(|n| n.as_object().is_some_and(Map::is_empty) || n.as_array().is_some_and(Vec::is_empty))
    {
        remove(obj, parent);
    }
    removed
}

fn remove_child(node: &mut Value, tok: &str, parent: &[String]) -> bool {
    if let Some(f) = tok.strip_prefix("f:") {
        return node.as_object_mut().and_then(|m| m.remove(f)).is_some();
    }
    let Some(items) = node.as_array_mut() else { return false };
    let before = items.len();
    let names = names_of(&parent.to_vec());
    let (pp, field) = names.split_at(names.len().saturating_sub(1));
    let field = field.first().map(String::as_str).unwrap_or("");
    if let Some(i) = tok.strip_prefix("i:").and_then(|i| i.parse::<usize>().ok()) {
        if i < items.len() {
            items.remove(i);
        }
    } else if let Some(keys) = list_keys(pp, field).filter(|_| tok.starts_with("k:")) {
        items.retain(|it| key_token(it, keys).as_deref() != Some(tok));
    } else if let Some(v) = tok.strip_prefix("v:") {
        let want: Value = serde_json::from_str(v).unwrap_or(Value::Null);
        items.retain(|it| *it != want);
    }
    items.len() != before
}

/// The node at a token path.
fn locate<'a>(obj: &'a mut Value, p: &[String]) -> Option<&'a mut Value> {
    let mut cur = obj;
    let mut names: Vec<String> = Vec::new();
    for tok in p {
        if let Some(f) = tok.strip_prefix("f:") {
            cur = cur.get_mut(f)?;
            names.push(f.to_string());
            continue;
        }
        let (pp, field) = names.split_at(names.len().saturating_sub(1));
        let field = field.first().cloned().unwrap_or_default();
        let items = cur.as_array_mut()?;
        let idx = if let Some(i) = tok.strip_prefix("i:") {
            i.parse::<usize>().ok()?
        } else if let Some(keys) = list_keys(pp, &field) {
            items.iter().position(|it| key_token(it, keys).as_deref() == Some(tok.as_str()))?
        } else {
            let want: Value = serde_json::from_str(tok.strip_prefix("v:")?).ok()?;
            items.iter().position(|it| *it == want)?
        };
        cur = items.get_mut(idx)?;
    }
    Some(cur)
}
