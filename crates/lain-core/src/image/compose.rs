//! `docker-compose.yaml` for local debugging (`lain compose`), as the seed describes: one
//! service per proc, the `:latest` image (`lain push` moves it), the proc's command, env and
//! working dir, the repository mounted at the working dir, and commented-out examples of the
//! usual infrastructure (redis, mysql) to adapt.

use minijinja::{Environment, context};
use serde::Serialize;
use serde_json::Value;

use super::spec::DEFAULT_WORKDIR;

const TEMPLATE: &str = include_str!("../../templates/docker-compose.yaml.j2");

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(
        "values define no procs (`deployments` or `statefulSets`), so there is nothing to run locally\n  fix: add a proc under `deployments:` in chart/values.yaml"
    )]
    NoProcs,
    #[error("{path}: expected {expected}")]
    WrongType { path: String, expected: String },
    #[error("internal error rendering docker-compose.yaml: {0}")]
    Template(#[from] minijinja::Error),
}

#[derive(Serialize)]
struct Service {
    name: String,
    image: String,
    /// The image is `:latest` (neither `image` nor `imageTag` pinned).
    latest: bool,
    command: Vec<String>,
    env: Vec<(String, String)>,
    workdir: String,
    port: Option<String>,
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn str_list(v: Option<&Value>, path: &str) -> Result<Vec<String>, ComposeError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| scalar(x).ok_or_else(|| ComposeError::WrongType { path: format!("{path}[{i}]"), expected: "a string".into() }))
            .collect(),
        Some(_) => Err(ComposeError::WrongType { path: path.to_string(), expected: "a list of strings".into() }),
    }
}

/// Adds `env` to `out`, later keys replacing earlier ones in place (proc env over global).
fn merge_env(out: &mut Vec<(String, String)>, env: Option<&Value>, path: &str) -> Result<(), ComposeError> {
    match env {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = scalar(v).ok_or_else(|| ComposeError::WrongType { path: format!("{path}.{k}"), expected: "a string".into() })?;
                match out.iter_mut().find(|(ek, _)| ek == k) {
                    Some(e) => e.1 = v,
                    None => out.push((k.clone(), v)),
                }
            }
            Ok(())
        }
        Some(_) => Err(ComposeError::WrongType { path: path.to_string(), expected: "a mapping".into() }),
    }
}

/// Renders docker-compose.yaml from the merged values. `registry` is `host[/namespace]`.
pub fn render(values: &Value, appname: &str, registry: &str, cluster: &str) -> Result<String, ComposeError> {
    let default_workdir = values.get("build").and_then(|b| b.get("workdir")).and_then(Value::as_str).unwrap_or(DEFAULT_WORKDIR).to_string();
    let mut procs = Vec::new();
    for kind in ["deployments", "statefulSets"] {
        let Some(Value::Object(m)) = values.get(kind) else { continue };
        for (name, p) in m {
            let path = format!("{kind}.{name}");
            let (image, latest) = match (p.get("image").and_then(Value::as_str), p.get("imageTag").and_then(scalar_ref)) {
                (Some(img), _) => (img.to_string(), false),
                (None, Some(tag)) => (format!("{registry}/{appname}:{tag}"), false),
                (None, None) => (format!("{registry}/{appname}:latest"), true),
            };
            // Kubernetes `command` replaces the entrypoint and `args` follow it; compose's
            // `command` is the whole line after the entrypoint, which is what people mean here.
            let mut command = str_list(p.get("command"), &format!("{path}.command"))?;
            command.extend(str_list(p.get("args"), &format!("{path}.args"))?);
            let mut env = Vec::new();
            merge_env(&mut env, values.get("env"), "env")?;
            merge_env(&mut env, p.get("env"), &format!("{path}.env"))?;
            let workdir = p.get("workingDir").and_then(Value::as_str).unwrap_or(&default_workdir).to_string();
            let port = p.get("containerPort").and_then(scalar);
            procs.push(Service { name: name.clone(), image, latest, command, env, workdir, port });
        }
    }
    if procs.is_empty() {
        return Err(ComposeError::NoProcs);
    }
    let mut env = Environment::new();
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true).build()?);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("json", json_filter);
    env.add_template("compose", TEMPLATE)?;
    Ok(env
        .get_template("compose")?
        .render(context! { procs => minijinja::Value::from(minijinja::value::Serde(&procs)), appname => appname, cluster => cluster })?)
}

fn scalar_ref(v: &Value) -> Option<String> {
    scalar(v)
}

/// JSON is valid YAML (flow style), and quoting every value keeps `on`, `yes`, `1.10` and
/// friends from turning into booleans and numbers.
pub(crate) fn json_filter(v: minijinja::Value) -> Result<String, minijinja::Error> {
    serde_json::to_string(&v).map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_services_with_env_merge_and_pins() {
        let v = json!({
            "env": {"FOO": "BAR", "SHARED": "global"},
            "deployments": {
                "web": {"command": ["/lain/app/run.py"], "env": {"SHARED": "web"}, "containerPort": 5000},
                "worker": {"imageTag": "1-abc", "command": ["python"], "args": ["worker.py"], "workingDir": "/srv"}
            },
            "statefulSets": {"db": {"image": "mysql:8"}}
        });
        let y = render(&v, "dummy", "reg.example.com/team", "test").unwrap();
        assert!(y.contains("  web:\n    # lain push will overwrite the latest tag every time\n    image: \"reg.example.com/team/dummy:latest\"\n    command: [\"/lain/app/run.py\"]\n    volumes:\n      - \".:/lain/app\"\n    environment:\n      \"FOO\": \"BAR\"\n      \"SHARED\": \"web\"\n    working_dir: \"/lain/app\"\n    # ports:\n    #   - \"5000:5000\"\n"), "{y}");
        assert!(
            y.contains("  worker:\n    image: \"reg.example.com/team/dummy:1-abc\"\n    command: [\"python\",\"worker.py\"]\n    volumes:\n      - \".:/srv\""),
            "{y}"
        );
        assert!(y.contains("  db:\n    image: \"mysql:8\"\n"), "{y}");
        assert!(y.contains("  #     MYSQL_DATABASE: dummy"), "{y}");
    }

    #[test]
    fn no_procs_is_an_error() {
        assert!(matches!(render(&json!({"jobs": {}}), "a", "r", "c"), Err(ComposeError::NoProcs)));
    }
}
