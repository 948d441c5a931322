//! Server-side apply helpers that are not about ownership (see `fieldmanager` for that).

use serde_json::Value;

/// Fields a client may send in an applied config that the server owns.
pub fn strip_server_fields(applied: &Value) -> Value {
    let mut a = applied.clone();
    if let Some(m) = a.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
            m.remove(f);
        }
    }
    a
}
