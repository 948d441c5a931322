//! Registry clients: the real `docker-registry` (tags listed, checked, deleted; basic auth;
//! registry down) and fake servers for what it does not do (bearer tokens, Link paging,
//! Harbor's API).

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use base64::Engine;
use lain_core::registry::{self, Credentials, Registry, RegistryError};
use serde_json::json;
use support::fake::{FakeServer, Reply};
use support::{Cleanup, TestRegistry, sh};

fn basic(u: &str, p: &str) -> Credentials {
    Credentials { username: Some(u.into()), password: Some(p.into()), source: "test".into(), ..Default::default() }
}

#[test]
fn v2_lists_checks_and_deletes_tags_on_a_real_registry() {
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let mut refs = Vec::new();
    for t in ["1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "1700000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "latest"] {
        let r = format!("{}/dummy:{t}", reg.addr);
        sh(Command::new("docker").args(["tag", &base, &r]));
        sh(Command::new("docker").args(["push", "-q", &r]));
        refs.push(r);
    }
    let _c = Cleanup(refs);
    let rt = support::tokio();
    rt.block_on(async {
        let r = registry::connect(&reg.addr, "registry", Credentials::default()).unwrap();
        let mut tags = r.list_tags("dummy").await.unwrap();
        tags.sort();
        assert_eq!(tags, vec!["1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "1700000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "latest"]);
        assert!(r.tag_exists("dummy", "latest").await.unwrap());
        assert!(!r.tag_exists("dummy", "nope").await.unwrap());
        assert!(r.list_tags("no-such-app").await.unwrap().is_empty());
        assert!(!r.tag_exists("no-such-app", "latest").await.unwrap());
        // All three tags share one manifest; deleting by digest removes the manifest.
        assert!(r.delete_tag("dummy", "latest").await.unwrap());
        assert!(!r.tag_exists("dummy", "latest").await.unwrap());
        assert!(!r.delete_tag("dummy", "latest").await.unwrap());
    });
}

#[test]
fn basic_auth_on_a_real_registry() {
    let reg = TestRegistry::start_with_basic_auth();
    let rt = support::tokio();
    rt.block_on(async {
        let r = registry::connect(&reg.addr, "", Credentials::default()).unwrap();
        let e = r.list_tags("dummy").await.unwrap_err();
        assert!(matches!(e, RegistryError::AuthRequired { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(&reg.addr) && msg.contains("secrets_env") && msg.contains("docker login"), "{msg}");

        let r = registry::connect(&reg.addr, "", basic("user", "wrong")).unwrap();
        let e = r.list_tags("dummy").await.unwrap_err();
        assert!(matches!(e, RegistryError::AuthRejected { status: 401, .. }), "{e:?}");
        assert!(e.to_string().contains(&reg.addr), "{e}");

        // Credentials from the env vars secrets_env names.
        let se: BTreeMap<String, String> = [("user".into(), "REG_U".into()), ("password".into(), "REG_P".into())].into();
        let env = |k: &str| match k {
            "REG_U" => Some("user".to_string()),
            "REG_P" => Some("s3cret".to_string()),
            _ => None,
        };
        let creds = Credentials::resolve(&reg.addr, &se, &env, None);
        let r = registry::connect(&reg.addr, "", creds).unwrap();
        assert!(r.list_tags("dummy").await.unwrap().is_empty());
        assert!(!r.tag_exists("dummy", "latest").await.unwrap());
    });
}

#[test]
fn registry_down_is_a_clear_error() {
    let addr = format!("127.0.0.1:{}", support::free_port());
    let rt = support::tokio();
    rt.block_on(async {
        let r = registry::connect(&addr, "registry", Credentials::default()).unwrap();
        let e = r.tag_exists("dummy", "latest").await.unwrap_err();
        assert!(matches!(e, RegistryError::Unreachable { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(&format!("http://{addr}/v2/dummy/manifests/latest")), "{msg}");
        assert!(msg.to_lowercase().contains("connect"), "{msg}");
        assert!(msg.contains("fix: check that the registry is up"), "{msg}");
    });
}

#[test]
fn bearer_token_flow_via_www_authenticate() {
    let rt = support::tokio();
    rt.block_on(async {
        let srv = FakeServer::start(|r, addr| {
            if r.uri.starts_with("/token") {
                let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ci:pw"));
                if r.header("authorization") == Some(want.as_str()) {
                    return Reply::json(200, json!({"token": "tok123", "expires_in": 300}));
                }
                return Reply::json(401, json!({"details": "bad credentials"}));
            }
            if r.header("authorization") == Some("Bearer tok123") {
                return Reply::json(200, json!({"name": "team/app", "tags": ["b", "a"]}));
            }
            Reply::json(401, json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}))
                .header("WWW-Authenticate", &format!(r#"Bearer realm="http://{addr}/token",service="fake-registry",scope="repository:team/app:pull""#))
        })
        .await;
        let reg = format!("{}/team", srv.addr);
        let r = registry::connect(&reg, "registry", basic("ci", "pw")).unwrap();
        assert_eq!(r.list_tags("app").await.unwrap(), vec!["b", "a"]);
        // The token was asked once, with the challenge's service and scope, and reused.
        assert!(r.list_tags("app").await.is_ok());
        let reqs = srv.requests();
        let tokens: Vec<_> = reqs.iter().filter(|q| q.uri.starts_with("/token")).collect();
        assert_eq!(tokens.len(), 1, "{reqs:?}");
        assert_eq!(tokens[0].uri, "/token?service=fake-registry&scope=repository%3Ateam%2Fapp%3Apull");
        assert!(reqs.iter().all(|q| q.uri.starts_with("/token") || q.uri.starts_with("/v2/team/app/tags/list")));

        let r = registry::connect(&reg, "registry", basic("ci", "nope")).unwrap();
        let e = r.list_tags("app").await.unwrap_err();
        assert!(matches!(e, RegistryError::AuthRejected { .. }), "{e:?}");
    });
}

#[test]
fn tags_are_followed_across_link_pages() {
    let rt = support::tokio();
    rt.block_on(async {
        let srv = FakeServer::start(|r, _| match r.uri.as_str() {
            "/v2/app/tags/list?n=1000" => Reply::json(200, json!({"tags": ["t1", "t2"]})).header("Link", r#"</v2/app/tags/list?n=1000&last=t2>; rel="next""#),
            "/v2/app/tags/list?n=1000&last=t2" => Reply::json(200, json!({"tags": ["t3"]})).header("Link", r#"</v2/app/tags/list?n=1000&last=t3>; rel="next""#),
            "/v2/app/tags/list?n=1000&last=t3" => Reply::json(200, json!({"tags": []})),
            _ => Reply::json(404, json!({"errors": [{"code": "NAME_UNKNOWN", "message": "no"}]})),
        })
        .await;
        let r = registry::connect(&srv.addr.to_string(), "registry", Credentials::default()).unwrap();
        assert_eq!(r.list_tags("app").await.unwrap(), vec!["t1", "t2", "t3"]);
        assert_eq!(srv.requests().len(), 3);
    });
}

#[test]
fn harbor_artifacts_paging_auth_and_tag_check() {
    let rt = support::tokio();
    rt.block_on(async {
        let srv = FakeServer::start(|r, _| {
            let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("robot$ci:pw"));
            if r.header("authorization") != Some(want.as_str()) {
                return Reply::json(401, json!({"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}));
            }
            let base = "/api/v2.0/projects/team/repositories/app/artifacts";
            match r.uri.as_str() {
                u if u == format!("{base}?page=1&page_size=100&with_tag=true") => Reply::json(
                    200,
                    json!([{"digest": "sha256:1", "tags": [{"name": "1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, {"name": "latest"}]}, {"digest": "sha256:2", "tags": null}]),
                )
                .header("Link", &format!(r#"<{base}?page=2&page_size=100&with_tag=true>; rel="next""#)),
                u if u == format!("{base}?page=2&page_size=100&with_tag=true") => {
                    Reply::json(200, json!([{"digest": "sha256:3", "tags": [{"name": "1700000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]}]))
                }
                u if u == format!("{base}/latest") => Reply::json(200, json!({"digest": "sha256:1"})),
                _ => Reply::json(404, json!({"errors": [{"code": "NOT_FOUND", "message": "not found"}]})),
            }
        })
        .await;
        let reg = format!("{}/team", srv.addr);
        let r = registry::connect(&reg, "harbor", basic("robot$ci", "pw")).unwrap();
        assert_eq!(
            r.list_tags("app").await.unwrap(),
            vec!["1600000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "latest", "1700000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]
        );
        assert!(r.tag_exists("app", "latest").await.unwrap());
        assert!(!r.tag_exists("app", "nope").await.unwrap());
        let r = registry::connect(&reg, "harbor", Credentials::default()).unwrap();
        let e = r.list_tags("app").await.unwrap_err();
        assert!(matches!(e, RegistryError::AuthRequired { .. }), "{e:?}");
    });
}
