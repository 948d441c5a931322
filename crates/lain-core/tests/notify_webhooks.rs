//! Webhook notifications against a local HTTP receiver: the payload of each kind, the cluster
//! filter, timeouts, refusals, and that no secret value is ever sent.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used)]

mod support {
    pub mod http;
}

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lain_core::notify::{DEFAULT_TIMEOUT, Event, Notifier, NotifyError, ReleaseInfo, SecretChange, Webhook, WebhookKind};
use lain_core::ops::send_msg;
use serde_json::json;
use support::http::{Reply, Server, json};

/// Answers like each service does when it accepts a message.
fn accepting() -> Server {
    Server::start(|r| match r.route() {
        p if p.starts_with("/feishu") => json(200, json!({"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success", "data": {}})),
        p if p.starts_with("/dingtalk") => json(200, json!({"errcode": 0, "errmsg": "ok"})),
        p if p.starts_with("/slack") => Reply::Status(200, "ok".into()),
        _ => Reply::Status(204, String::new()),
    })
}

fn hooks(base: &str) -> Vec<Webhook> {
    vec![
        Webhook::new(&format!("{base}/feishu/open-apis/bot/v2/hook/TOKENF"), Some(WebhookKind::Feishu), None).unwrap(),
        Webhook::new(&format!("{base}/slack/services/T0/B0/TOKENS"), Some(WebhookKind::Slack), None).unwrap(),
        Webhook::new(&format!("{base}/dingtalk/robot/send?access_token=TOKEND"), Some(WebhookKind::DingTalk), None).unwrap(),
        Webhook::new(&format!("{base}/generic/lain"), Some(WebhookKind::Generic), None).unwrap(),
    ]
}

fn deploy() -> Event {
    Event::Deploy(ReleaseInfo {
        who: "alice".into(),
        cluster: "test".into(),
        release: "dummy".into(),
        old_tag: Some("1634199833-aaaaaaa".into()),
        new_tag: Some("1634299833-bbbbbbb".into()),
        procs: vec![],
        commits: vec!["fix login <redirect> & cookies".into(), "add healthcheck".into()],
    })
}

fn by_route<'a>(reqs: &'a [support::http::Request], prefix: &str) -> &'a support::http::Request {
    reqs.iter().find(|r| r.route().starts_with(prefix)).unwrap_or_else(|| panic!("no request to {prefix}"))
}

#[tokio::test]
async fn each_kind_gets_its_own_payload() {
    let server = accepting();
    let n = Notifier::new(hooks(&server.url));
    let report = n.send("test", &deploy()).await;
    assert_eq!(report.delivered, 4, "{:?}", report.warnings);
    assert!(report.warnings.is_empty());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }

    let f = by_route(&reqs, "/feishu").json();
    assert_eq!(f["msg_type"], "interactive");
    assert_eq!(f["card"]["header"]["title"]["content"], "alice deployed dummy to test");
    let content = f["card"]["elements"][0]["text"]["content"].as_str().unwrap();
    assert_eq!(f["card"]["elements"][0]["text"]["tag"], "lark_md");
    assert!(content.contains("**Image tag**: 1634199833-aaaaaaa → 1634299833-bbbbbbb"), "{content}");
    assert!(content.contains("- add healthcheck"), "{content}");

    let s = by_route(&reqs, "/slack").json();
    assert_eq!(s["blocks"][0]["type"], "header");
    assert_eq!(s["blocks"][0]["text"]["text"], "alice deployed dummy to test");
    let body = s["blocks"][1]["text"]["text"].as_str().unwrap();
    assert_eq!(s["blocks"][1]["text"]["type"], "mrkdwn");
    assert!(body.contains("*Image tag*:"), "{body}");
    // Slack's control characters are escaped.
    assert!(body.contains("• fix login &lt;redirect&gt; &amp; cookies"), "{body}");
    assert!(s["text"].as_str().unwrap().starts_with("alice deployed dummy to test\n"));

    let d = by_route(&reqs, "/dingtalk").json();
    assert_eq!(d["msgtype"], "markdown");
    assert_eq!(d["markdown"]["title"], "alice deployed dummy to test");
    let text = d["markdown"]["text"].as_str().unwrap();
    assert!(text.starts_with("#### alice deployed dummy to test\n\n**Image tag**:"), "{text}");
    assert!(by_route(&reqs, "/dingtalk").path.contains("access_token=TOKEND"));

    let g = by_route(&reqs, "/generic").json();
    assert_eq!(g["event"], "deploy");
    assert_eq!(g["cluster"], "test");
    assert_eq!(g["who"], "alice");
    assert_eq!(g["release"], "dummy");
    assert_eq!(g["old_tag"], "1634199833-aaaaaaa");
    assert_eq!(g["new_tag"], "1634299833-bbbbbbb");
    assert_eq!(g["commits"], json!(["fix login <redirect> & cookies", "add healthcheck"]));
}

#[tokio::test]
async fn titles_for_every_release_event() {
    let server = accepting();
    let n = Notifier::new(vec![Webhook::new(&format!("{}/generic", server.url), None, None).unwrap()]);
    let info = |procs: Vec<&str>| ReleaseInfo {
        who: "bob".into(),
        cluster: "prod".into(),
        release: "dummy".into(),
        old_tag: Some("1-aaaaaaa".into()),
        new_tag: None,
        procs: procs.into_iter().map(String::from).collect(),
        commits: vec![],
    };
    let cases = [
        (Event::Redeploy(info(vec![])), "redeploy", "bob redeployed dummy in prod"),
        (Event::Rollback(info(vec![])), "rollback", "bob rolled back dummy in prod"),
        (Event::UpdateImage(info(vec!["worker"])), "update_image", "bob updated the image of dummy (worker) in prod"),
        (Event::Restart(info(vec!["web", "worker"])), "restart", "bob restarted dummy (web, worker) in prod"),
        (Event::Message("migrations pending, deploy by hand".into()), "message", "lain (prod)"),
    ];
    for (event, name, title) in &cases {
        assert_eq!(n.send("prod", event).await.delivered, 1);
        let last = server.requests().pop().unwrap().json();
        assert_eq!((last["event"].as_str().unwrap(), last["title"].as_str().unwrap()), (*name, *title));
    }
    assert_eq!(server.requests().pop().unwrap().json()["message"], "migrations pending, deploy by hand");
    // Many commits are cut, and say so.
    let mut many = info(vec![]);
    many.commits = (0..25).map(|i| format!("commit {i}")).collect();
    n.send("prod", &Event::Deploy(many)).await;
    let text = server.requests().pop().unwrap().json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("- commit 19") && !text.contains("- commit 20") && text.contains("… and 5 more"), "{text}");
}

#[tokio::test]
async fn secret_values_never_leave_the_machine() {
    let server = accepting();
    let n = Notifier::new(hooks(&server.url));
    let secrets = ["pw-OLD-7f3a91", "pw-NEW-c04e22", "tok-REMOVED-99b1", "tok-ADDED-5d2e", "same-VALUE-1e8f"];
    let before: BTreeMap<String, Vec<u8>> = BTreeMap::from([
        ("MYSQL_PASSWORD".to_string(), secrets[0].as_bytes().to_vec()),
        ("OLD_TOKEN".to_string(), secrets[2].as_bytes().to_vec()),
        ("UNCHANGED".to_string(), secrets[4].as_bytes().to_vec()),
    ]);
    let after: BTreeMap<String, Vec<u8>> = BTreeMap::from([
        ("MYSQL_PASSWORD".to_string(), secrets[1].as_bytes().to_vec()),
        ("NEW_TOKEN".to_string(), secrets[3].as_bytes().to_vec()),
        ("UNCHANGED".to_string(), secrets[4].as_bytes().to_vec()),
    ]);
    let change = SecretChange::diff("alice", "test", "dummy", "dummy-env", &before, &after);
    assert_eq!(change.added(), ["NEW_TOKEN"]);
    assert_eq!(change.changed(), ["MYSQL_PASSWORD"]);
    assert_eq!(change.removed(), ["OLD_TOKEN"]);
    assert!(!change.is_empty());
    assert!(SecretChange::diff("a", "t", "d", "d-env", &before, &before).is_empty());

    let report = n.send("test", &Event::SecretChanged(change)).await;
    assert_eq!(report.delivered, 4, "{:?}", report.warnings);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        for s in secrets {
            assert!(!r.body.contains(s), "secret value {s} sent to {}: {}", r.route(), r.body);
        }
        for key in ["NEW_TOKEN", "MYSQL_PASSWORD", "OLD_TOKEN"] {
            assert!(r.body.contains(key), "key {key} missing in {}", r.body);
        }
        assert!(!r.body.contains("UNCHANGED"), "unchanged keys are not news: {}", r.body);
    }
    let g = by_route(&reqs, "/generic").json();
    assert_eq!(g["event"], "secret_changed");
    assert_eq!(g["secret"], "dummy-env");
    assert_eq!((g["added"].clone(), g["changed"].clone(), g["removed"].clone()), (json!(["NEW_TOKEN"]), json!(["MYSQL_PASSWORD"]), json!(["OLD_TOKEN"])));
    assert_eq!(by_route(&reqs, "/feishu").json()["card"]["header"]["title"]["content"], "alice changed dummy-env of dummy in test");
}

#[tokio::test]
async fn a_hanging_webhook_is_cut_off_and_only_warned_about() {
    let hang = Server::start(|_| Reply::Hang);
    let ok = accepting();
    let n = Notifier::new(vec![
        Webhook::new(&format!("{}/hook/SECRET-TOKEN-PATH", hang.url), Some(WebhookKind::Feishu), None).unwrap(),
        Webhook::new(&format!("{}/generic", ok.url), None, None).unwrap(),
    ])
    .with_timeout(Duration::from_millis(400));
    let t0 = Instant::now();
    let report = n.send("test", &deploy()).await;
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(1200), "took {took:?}");
    assert_eq!(report.delivered, 1);
    assert_eq!(report.warnings.len(), 1);
    let w = report.warnings[0].to_string();
    assert!(w.contains("timed out"), "{w}");
    // The token in the URL's path stays out of logs.
    assert!(!w.contains("SECRET-TOKEN-PATH") && w.contains("127.0.0.1"), "{w}");
    assert_eq!(hang.requests().len(), 1, "the request was made");
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(5));

    // Nothing listening: a warning, fast.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let n = Notifier::new(vec![Webhook::new(&format!("http://127.0.0.1:{port}/x"), None, None).unwrap()]);
    let t0 = Instant::now();
    let report = n.send("test", &deploy()).await;
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!((report.delivered, report.warnings.len()), (0, 1));
}

#[tokio::test]
async fn refusals_in_a_200_and_http_errors_are_warnings() {
    let server = Server::start(|r| match r.route() {
        "/feishu" => json(200, json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})),
        "/dingtalk" => json(200, json!({"errcode": 310000, "errmsg": "keywords not in content"})),
        _ => Reply::Status(500, "internal error".into()),
    });
    let n = Notifier::new(vec![
        Webhook::new(&format!("{}/feishu", server.url), Some(WebhookKind::Feishu), None).unwrap(),
        Webhook::new(&format!("{}/dingtalk", server.url), Some(WebhookKind::DingTalk), None).unwrap(),
        Webhook::new(&format!("{}/generic", server.url), None, None).unwrap(),
    ]);
    let report = n.send("test", &Event::Message("hi".into())).await;
    assert_eq!(report.delivered, 0);
    let all: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert!(all.iter().any(|w| w.contains("code 19021")), "{all:?}");
    assert!(all.iter().any(|w| w.contains("errcode 310000: keywords not in content")), "{all:?}");
    assert!(all.iter().any(|w| w.contains("HTTP 500") && w.contains("internal error")), "{all:?}");

    // send-msg: delivery is the point, so this is an error; so is having no webhook.
    let err = send_msg::run(&n, "test", "hi").await.unwrap_err();
    assert!(matches!(err, NotifyError::NothingDelivered(ref w) if w.len() == 3), "{err}");
    let err = send_msg::run(&Notifier::new(vec![]), "test", "hi").await.unwrap_err();
    assert!(matches!(err, NotifyError::NoWebhook { .. }), "{err}");
}

#[tokio::test]
async fn cluster_filter_kind_guess_and_config_errors() {
    let server = accepting();
    let app = json!({"url": format!("{}/generic/app", server.url), "clusters": ["prod"]});
    let cluster = json!([{"url": format!("{}/feishu/cluster", server.url), "kind": "feishu"}, {"url": format!("{}/generic/app", server.url)}]);
    let n = Notifier::from_config(Some(&app), Some(&cluster)).unwrap();
    // The app's hook is prod-only; the cluster's duplicate of it is sent to once.
    assert_eq!(n.hooks_for("test").count(), 1);
    assert_eq!(n.hooks_for("prod").count(), 2);
    let r = send_msg::run(&n, "test", "hello test").await.unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(server.requests().iter().filter(|r| r.route() == "/generic/app").count(), 0);
    let r = send_msg::run(&n, "prod", "hello prod").await.unwrap();
    assert_eq!(r.delivered, 2);
    assert_eq!(server.requests().iter().filter(|r| r.route() == "/generic/app").count(), 1);

    for (url, kind) in [
        ("https://open.feishu.cn/open-apis/bot/v2/hook/x", WebhookKind::Feishu),
        ("https://open.larksuite.com/open-apis/bot/v2/hook/x", WebhookKind::Feishu),
        ("https://hooks.slack.com/services/T/B/x", WebhookKind::Slack),
        ("https://oapi.dingtalk.com/robot/send?access_token=x", WebhookKind::DingTalk),
        ("https://chat.example.com/hooks/x", WebhookKind::Generic),
    ] {
        assert_eq!(Webhook::new(url, None, None).unwrap().kind, kind, "{url}");
    }
    let explicit = Webhook::from_value(&json!({"url": "https://hooks.slack.com/x", "kind": "generic"}), "webhook").unwrap();
    assert_eq!(explicit[0].kind, WebhookKind::Generic);
    assert_eq!(explicit[0].display_url(), "https://hooks.slack.com/…");

    for (bad, key) in [
        (json!({"url": "not a url"}), "webhook.url"),
        (json!({"url": "ftp://x.example.com/"}), "webhook.url"),
        (json!({"url": "https://x.example.com/", "kind": "teams"}), "webhook"),
        (json!({"url": "https://x.example.com/", "clusters": [1]}), "webhook"),
        (json!("https://x.example.com/"), "webhook"),
    ] {
        match Webhook::from_value(&bad, "webhook") {
            Err(NotifyError::Config { key: k, .. }) => assert_eq!(k, key, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // An empty block (as left in a template) means no webhook.
    assert!(Webhook::from_value(&json!({"url": null}), "webhook").unwrap().is_empty());
}

#[tokio::test]
async fn strategy_steps_name_both_versions_in_every_kind() {
    let server = accepting();
    let n = Notifier::new(hooks(&server.url));
    let step = lain_core::notify::StrategyStep {
        who: "alice".into(),
        cluster: "test".into(),
        strategy: "canary".into(),
        step: "deployed".into(),
        release: "dummy".into(),
        release_tag: Some("1634199833-aaaaaaa".into()),
        other_release: "dummy-canary".into(),
        other_tag: Some("1634299833-bbbbbbb".into()),
        group: Some("small".into()),
        summary: "canary dummy-canary (1634299833-bbbbbbb) takes traffic of group small; dummy stays on 1634199833-aaaaaaa".into(),
    };
    let report = n.send("test", &Event::Strategy(step.clone())).await;
    assert_eq!(report.delivered, 4, "{report:?}");
    let reqs = server.requests();
    for prefix in ["/feishu", "/slack", "/dingtalk", "/generic"] {
        let body = by_route(&reqs, prefix).body.clone();
        assert!(body.contains("1634199833-aaaaaaa") && body.contains("1634299833-bbbbbbb") && body.contains("small"), "{prefix}: {body}");
    }
    let g = by_route(&reqs, "/generic").json();
    assert_eq!(g["event"], "canary");
    assert_eq!(g["strategy"]["step"], "deployed");
    assert_eq!(g["strategy"]["other_release"], "dummy-canary");
    // A step back is orange in Feishu, like a rollback.
    let back = lain_core::notify::StrategyStep { strategy: "blue_green".into(), step: "rolled_back".into(), group: None, ..step };
    n.send("test", &Event::Strategy(back)).await;
    let reqs = server.requests();
    let feishu = reqs.iter().rev().find(|r| r.route().starts_with("/feishu")).unwrap().json();
    assert_eq!(feishu["card"]["header"]["template"], "orange");
    assert_eq!(reqs.iter().rev().find(|r| r.route().starts_with("/generic")).unwrap().json()["event"], "blue_green");
}
