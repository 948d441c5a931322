//! The dashboard in the states that matter, against the in-memory API server: the live feed
//! (watches, logs, metrics, probes) builds the model, the renderer draws it into a TestBackend,
//! and the screen is checked.

mod common;

use std::time::Duration;

use common::*;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kube_sim::{Behavior, Rule};
use lain_core::status::model::{Level, Probe, TagState};
use lain_tui::UiState;
use ratatui::style::Color;

const HOST: &str = "dummy.test.example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_green() {
    let env = env().await;
    let http = http_server(200);
    env.sim.create(deployment("web", 2, "v1")).expect("deployment");
    env.sim.create(ingress(HOST, "web", false)).expect("ingress");
    let mut live = start(&env, vec![(HOST.into(), http.addr)]);
    let m = wait_model(&mut live, 20, |m| m.verdict.level == Level::Green && m.metrics_available).await;

    assert_eq!(m.pods.len(), 2);
    assert!(m.pods.iter().all(|p| p.ready == 1 && p.status == "Running" && !p.problem));
    assert!(m.abnormal.is_empty());
    assert!(matches!(m.endpoints[0].probe, Probe::Answered { code: 200, ok: true, .. }), "{:?}", m.endpoints);
    assert!(m.pods.iter().all(|p| p.cpu.usage.is_some() && p.memory.limit == Some(256 << 20)));

    let ui = UiState::new(env.sim.clock().now());
    let (s, buf) = draw(&m, &ui, 140, 24);
    snapshot("sim_all_green", &s, false);
    assert!(s.contains("✔ green light: 2 pods healthy"), "{s}");
    assert!(s.contains("http://dummy.test.example.com/"), "{s}");
    assert!(s.contains("200 "), "{s}");
    assert!(s.contains("2/2 ready, 2 updated"), "{s}");
    assert!(s.contains("/256Mi"), "usage/limit shown: {s}");
    assert!(!s.contains("Abnormal"), "{s}");
    assert_eq!(style_at(&buf, "✔ green light").and_then(|st| st.bg), Some(Color::Green));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_shows_the_crashed_containers_last_lines() {
    let env = env().await;
    env.sim.add_rule(Rule::image("*:v2", Behavior::CrashLoop { exit_code: 3, run_for: Duration::from_millis(300) }).with_logs(&[
        "booting dummy",
        "Traceback (most recent call last):",
        "KeyError: 'DATABASE_URL'",
    ]));
    env.sim.create(deployment("web", 1, "v2")).expect("deployment");
    let mut live = start(&env, vec![]);
    let m = wait_model(&mut live, 30, |m| {
        m.verdict.level == Level::Failed && m.abnormal.iter().any(|a| a.reason == "CrashLoopBackOff" && a.previous_logs.iter().any(|l| l.contains("KeyError")))
    })
    .await;
    let ab = &m.abnormal[0];
    assert!(ab.fatal);
    assert!(ab.restarts >= 1);
    assert!(m.pods[0].problem);

    let ui = UiState::new(env.sim.clock().now());
    let (s, buf) = draw(&m, &ui, 120, 30);
    snapshot("sim_crash_loop", &s, false);
    assert!(s.contains("✘ 1 pod failing"), "{s}");
    assert!(s.contains("CrashLoopBackOff"), "{s}");
    assert!(s.contains("Abnormal containers (1)"), "{s}");
    assert!(s.contains("previous container's last lines"), "{s}");
    assert!(s.contains("│ KeyError: 'DATABASE_URL'"), "{s}");
    assert_eq!(style_at(&buf, "✘ 1 pod failing").and_then(|st| st.bg), Some(Color::Red));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pull_back_off_with_its_events() {
    let env = env().await;
    env.sim.add_rule(Rule::image("*:nope", Behavior::ImagePullBackOff { message: "manifest unknown".into() }));
    env.sim.create(deployment("web", 1, "nope")).expect("deployment");
    let mut live = start(&env, vec![]);
    let m = wait_model(&mut live, 20, |m| m.abnormal.iter().any(|a| a.reason == "ImagePullBackOff" && !a.events.is_empty())).await;
    assert_eq!(m.verdict.level, Level::Failed);
    let ui = UiState::new(env.sim.clock().now());
    let (s, _) = draw(&m, &ui, 120, 30);
    snapshot("sim_image_pull", &s, false);
    assert!(s.contains("ImagePullBackOff"), "{s}");
    assert!(s.contains("manifest unknown"), "{s}");
    // The kubelet's events about the pull are listed under the container.
    assert!(s.lines().any(|l| l.contains("Failed") && l.contains("ErrImagePull") || l.contains("BackOff")), "{s}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_half_done_marks_old_and_new_tags() {
    let env = env().await;
    env.sim.create(deployment("web", 4, "v1")).expect("deployment");
    let mut live = start(&env, vec![]);
    wait_model(&mut live, 20, |m| m.verdict.level == Level::Green && m.pods.len() == 4).await;

    // The new version never becomes ready: the rollout stops half way (maxSurge 25%).
    env.sim.add_rule(Rule::image("*:v2", Behavior::NeverReady));
    let api: Api<Deployment> = Api::namespaced(env.client.clone(), NS);
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": format!("{REG}/{APP}:v2")}]}}}});
    api.patch("dummy-web", &PatchParams::default(), &Patch::Strategic(patch)).await.expect("patch");

    let m = wait_model(&mut live, 20, |m| {
        m.pods.iter().any(|p| p.tag_state == TagState::New && p.status == "Running")
            && m.pods.iter().any(|p| p.tag_state == TagState::Old && p.status == "Running")
    })
    .await;
    assert_eq!(m.verdict.level, Level::Progressing, "{:?}", m.verdict);
    assert!(m.workloads[0].rolling_out);
    assert_eq!(m.workloads[0].image_tag, "v2");

    let ui = UiState::new(env.sim.clock().now());
    let (s, buf) = draw(&m, &ui, 140, 24);
    snapshot("sim_rollout_half", &s, false);
    assert!(s.contains("in progress"), "{s}");
    assert!(s.contains("rolling out"), "{s}");
    assert!(s.contains("v1 (old)"), "{s}");
    assert_eq!(style_at(&buf, "v1 (old)").and_then(|st| st.fg), Some(Color::Yellow));
    let new_row = s.lines().find(|l| l.contains(" v2 ") && l.contains("Running")).expect("a new pod row");
    assert!(new_row.contains("0/1"), "the new version is not ready: {new_row}");
    let pod = new_row.split_whitespace().nth(1).expect("pod name");
    assert_eq!(style_in_line(&buf, pod, "v2").map(|st| st.fg), Some(Some(Color::Green)), "{s}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_answering_502_fails_the_verdict() {
    let env = env().await;
    let http = http_server(502);
    env.sim.create(deployment("web", 1, "v1")).expect("deployment");
    env.sim.create(ingress(HOST, "web", false)).expect("ingress");
    let mut live = start(&env, vec![(HOST.into(), http.addr)]);
    let m =
        wait_model(&mut live, 20, |m| m.endpoints.iter().any(|e| matches!(e.probe, Probe::Answered { code: 502, .. })) && m.pods.iter().all(|p| p.ready == 1))
            .await;
    assert_eq!(m.verdict.level, Level::Failed);
    assert!(m.verdict.summary.contains("502"), "{}", m.verdict.summary);

    let ui = UiState::new(env.sim.clock().now());
    let (s, buf) = draw(&m, &ui, 120, 24);
    snapshot("sim_ingress_502", &s, false);
    assert!(s.contains("✘ endpoint failing: http://dummy.test.example.com/ answers 502"), "{s}");
    assert_eq!(style_in_line(&buf, "http://dummy.test.example.com/  ", "502 ").and_then(|st| st.fg), Some(Color::Red));

    // The endpoint recovers: the next probe turns the verdict green.
    http.code.store(200, std::sync::atomic::Ordering::Relaxed);
    let m = wait_model(&mut live, 10, |m| m.verdict.level == Level::Green).await;
    assert!(matches!(m.endpoints[0].probe, Probe::Answered { code: 200, .. }));
    env.sim.shutdown().await;
}

/// The event loop over a TestBackend: models arrive from the live feed, keys arrive by channel
/// (j, Enter → detail with the crashed container's logs fetched from the API, Esc, resize, q).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_loop_drives_the_dashboard() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let env = env().await;
    env.sim.add_rule(Rule::image("*:v3", Behavior::CrashLoop { exit_code: 2, run_for: Duration::from_millis(200) }).with_logs(&["panic: no config"]));
    env.sim.create(deployment("web", 1, "v3")).expect("deployment");
    let mut live = start(&env, vec![]);
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    let key = |c| Event::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let driver = tokio::spawn(async move {
        // Let the crash happen and the feed report it, then open the pod.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        tx.send(key(KeyCode::Enter)).await.expect("send");
        tokio::time::sleep(Duration::from_millis(800)).await;
        tx.send(Event::Resize(80, 20)).await.expect("send");
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.send(key(KeyCode::Char('q'))).await.expect("send");
    });
    let res = tokio::time::timeout(Duration::from_secs(15), lain_tui::run_loop(&mut term, &mut live, rx, Duration::from_millis(200))).await;
    driver.await.expect("driver");
    res.expect("loop ends on q").expect("loop ok");
    let s = screen(term.backend().buffer());
    assert!(s.starts_with(" pod dummy-web-"), "the detail view was open: {s}");
    assert!(s.contains("── web (previous instance) ──") && s.contains("panic: no config"), "{s}");
    env.sim.shutdown().await;
}
