//! Renders the Dockerfile for `lain prepare` and `lain build` from [`ImageSpec`].
//!
//! The template (`templates/Dockerfile.j2`) is compiled into the binary. Everything the
//! template needs is computed here first (ARG names, env pairs in order, absolute copy
//! paths), so the template only lays lines out.

use minijinja::{Environment, context};
use serde::Serialize;

use super::spec::{ImageSpec, referenced_vars};

const TEMPLATE: &str = include_str!("../../templates/Dockerfile.j2");

/// Which image is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `lain prepare`: `REGISTRY/APPNAME:prepare`, the dependency cache.
    Prepare,
    /// `lain build`: the build stage, plus the release stage when `release` is set.
    Build,
}

/// Inputs of a render that do not come from values.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    pub registry: &'a str,
    pub appname: &'a str,
    pub cluster: &'a str,
    /// The image tag, written into the image as `LAIN_META`.
    pub meta: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "`lain prepare` needs `build.prepare` in values (it is absent or null for cluster {cluster})\n  fix: add `build.prepare: {{script: [...], keep: [...]}}` to chart/values.yaml, or use `lain build` alone"
    )]
    NoPrepare { cluster: String },
    #[error("internal error rendering the Dockerfile template: {0}")]
    Template(#[from] minijinja::Error),
}

#[derive(Serialize)]
struct StageCtx<'a> {
    args: Vec<String>,
    env: &'a [(String, String)],
    script: &'a [String],
    keep: &'a [String],
}

#[derive(Serialize)]
struct CopyCtx<'a> {
    src: &'a str,
    dest: &'a str,
}

#[derive(Serialize)]
struct ReleaseCtx<'a> {
    dest_base: &'a str,
    workdir: &'a str,
    args: Vec<String>,
    copy: Vec<CopyCtx<'a>>,
    env: &'a [(String, String)],
    script: &'a [String],
}

/// Every variable name the rendered Dockerfile declares as `ARG` for `stage`: the explicit
/// `build_args` and every `$VAR` / `${VAR}` referenced by an env value. lain passes each as
/// `--build-arg NAME` (no value), so docker takes the value from the user's environment and
/// the printed command never shows it. A variable the image itself defines (such as `PATH` in
/// `PATH: /x:${PATH}`) still resolves to the image's value: an inherited `ENV` wins over an
/// `ARG` of the same name.
pub fn build_args(spec: &ImageSpec, stage: Stage) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |names: Vec<String>| {
        for n in names {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    };
    match stage {
        Stage::Prepare => {
            if let Some(p) = &spec.build.prepare {
                add(env_refs(&p.env));
            }
        }
        Stage::Build => {
            add(spec.build.build_args.clone());
            add(env_refs(&spec.build.env));
            if let Some(r) = &spec.release {
                add(env_refs(&r.env));
            }
        }
    }
    out
}

/// Variables referenced by env values, minus those an earlier key of the same section (or
/// lain, `LAIN_META`) defines: those resolve inside the image and need no build arg. A
/// self-reference (`NPM_TOKEN: ${NPM_TOKEN}`) is the user's variable, since Dockerfile ENV
/// lines see only what was defined before them.
fn env_refs(env: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, (_, v)) in env.iter().enumerate() {
        for n in referenced_vars(v) {
            if n != "LAIN_META" && !env[..i].iter().any(|(k, _)| *k == n) && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true).build()?);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("dq", |s: String| dq(&s));
    env.add_filter("sh", |s: String| crate::process::shell_quote(&s));
    env.add_filter("json", super::compose::json_filter);
    env.add_template("Dockerfile", TEMPLATE)?;
    Ok(env)
}

/// Double-quotes an ENV value for a Dockerfile: `$` stays live (that is the point of
/// `${PATH}`), `"` and `\` are escaped.
fn dq(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

/// Renders the Dockerfile for `stage`.
pub fn render(spec: &ImageSpec, stage: Stage, input: &RenderInput<'_>) -> Result<String, RenderError> {
    let b = &spec.build;
    if stage == Stage::Prepare && b.prepare.is_none() {
        return Err(RenderError::NoPrepare { cluster: input.cluster.to_string() });
    }
    let empty: &[(String, String)] = &[];
    let no_lines: &[String] = &[];
    let prepare = b.prepare.as_ref().map(|p| StageCtx { args: build_args(spec, Stage::Prepare), env: &p.env, script: &p.script, keep: &p.keep });
    let build = StageCtx {
        args: {
            let mut a = b.build_args.clone();
            for n in env_refs(&b.env) {
                if !a.contains(&n) {
                    a.push(n);
                }
            }
            a
        },
        env: &b.env,
        script: &b.script,
        keep: no_lines,
    };
    let release = spec.release.as_ref().map(|r| ReleaseCtx {
        dest_base: &r.dest_base,
        workdir: &r.workdir,
        args: env_refs(&r.env),
        copy: r.copy.iter().map(|c| CopyCtx { src: &c.src, dest: &c.dest }).collect(),
        env: if r.env.is_empty() { empty } else { &r.env },
        script: &r.script,
    });
    let env = environment()?;
    let out = env.get_template("Dockerfile")?.render(context! {
        stage => match stage { Stage::Prepare => "prepare", Stage::Build => "build" },
        registry => input.registry,
        appname => input.appname,
        cluster => input.cluster,
        meta => input.meta,
        base => &b.base,
        workdir => &b.workdir,
        prepare => minijinja::Value::from(minijinja::value::Serde(&prepare)),
        build => minijinja::Value::from(minijinja::value::Serde(&build)),
        release => minijinja::Value::from(minijinja::value::Serde(&release)),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> RenderInput<'static> {
        RenderInput { registry: "reg.example.com/team", appname: "dummy", cluster: "test", meta: "1619925143-97f3d5f810a61823de72ea0a6f3fdd06f9f3cce9" }
    }

    fn body(s: &str) -> Vec<&str> {
        s.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect()
    }

    #[test]
    fn build_from_prepare_matches_the_seed() {
        let spec = ImageSpec::from_values(&json!({"build": {
            "base": "python:latest",
            "prepare": {"script": ["pip3 install -r requirements.txt", "echo treasure > treasure.txt"], "keep": ["treasure.txt"]},
            "script": ["pip3 install -r requirements.txt"]
        }}))
        .unwrap();
        let df = render(&spec, Stage::Build, &input()).unwrap();
        assert_eq!(
            body(&df),
            vec![
                "FROM reg.example.com/team/dummy:prepare AS build",
                "WORKDIR /lain/app",
                "ENV LAIN_META=1619925143-97f3d5f810a61823de72ea0a6f3fdd06f9f3cce9",
                "ADD --chown=1001:1001 . /lain/app",
                "RUN (pip3 install -r requirements.txt)",
                "USER 1001",
            ]
        );
        let df = render(&spec, Stage::Prepare, &input()).unwrap();
        assert_eq!(
            body(&df),
            vec![
                "FROM python:latest AS prepare",
                "WORKDIR /lain/app",
                "ADD --chown=1001:1001 . /lain/app",
                "RUN pip3 install -r requirements.txt",
                "RUN echo treasure > treasure.txt",
                "RUN find . -mindepth 1 ! -type d ! -path ./treasure.txt ! -path './treasure.txt/*' -exec rm -f {} + && find . -mindepth 1 -depth -type d -empty ! -path ./treasure.txt ! -path './treasure.txt/*' -exec rmdir {} ';'",
            ]
        );
    }

    #[test]
    fn release_env_args_and_order() {
        let spec = ImageSpec::from_values(&json!({
            "build": {"base": "node:16", "env": {"B": "x \"q\"", "A": "${NPM_TOKEN}:$B", "NPM_TOKEN": "${NPM_TOKEN}"}, "build_args": ["GIT_SHA"], "script": ["yarn", "yarn build"]},
            "release": {"dest_base": "nginx", "copy": ["dist", {"src": "/lain/app/deploy", "dest": "/etc/nginx/conf.d"}], "env": {"R": "1"}, "script": ["nginx -t"]}
        }))
        .unwrap();
        let df = render(&spec, Stage::Build, &input()).unwrap();
        assert_eq!(
            body(&df),
            vec![
                "FROM node:16 AS build",
                "WORKDIR /lain/app",
                "ARG GIT_SHA",
                "ARG NPM_TOKEN",
                "ENV LAIN_META=1619925143-97f3d5f810a61823de72ea0a6f3fdd06f9f3cce9",
                "ENV B=\"x \\\"q\\\"\"",
                "ENV A=\"${NPM_TOKEN}:$B\"",
                "ENV NPM_TOKEN=\"${NPM_TOKEN}\"",
                "ADD --chown=1001:1001 . /lain/app",
                "RUN (yarn) && (yarn build)",
                "FROM nginx AS release",
                "WORKDIR /lain/app",
                "ENV LAIN_META=1619925143-97f3d5f810a61823de72ea0a6f3fdd06f9f3cce9",
                "COPY --chown=1001:1001 --from=build [\"/lain/app/dist\", \"/lain/app/dist\"]",
                "COPY --chown=1001:1001 --from=build [\"/lain/app/deploy\", \"/etc/nginx/conf.d\"]",
                "ENV R=\"1\"",
                "RUN (nginx -t)",
                "USER 1001",
            ]
        );
        assert_eq!(build_args(&spec, Stage::Build), vec!["GIT_SHA", "NPM_TOKEN"]);
    }

    #[test]
    fn prepare_without_prepare_section_is_an_error() {
        let spec = ImageSpec::from_values(&json!({"build": {"base": "b"}})).unwrap();
        let e = render(&spec, Stage::Prepare, &input()).unwrap_err();
        assert!(e.to_string().contains("build.prepare"), "{e}");
    }

    #[test]
    fn keep_paths_are_quoted() {
        let spec = ImageSpec::from_values(&json!({"build": {"base": "b", "prepare": {"keep": ["a b", "deploy/x.conf"]}}})).unwrap();
        let df = render(&spec, Stage::Prepare, &input()).unwrap();
        assert!(df.contains("! -path './a b' ! -path './a b/*' ! -path ./deploy/x.conf ! -path './deploy/x.conf/*'"), "{df}");
    }
}
