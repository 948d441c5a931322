//! Rendering of hand-built models (exact snapshots in tests/snapshots/, reviewed by eye;
//! regenerate with UPDATE_SNAPSHOTS=1), key handling, and the event loop over a TestBackend.

mod common;

use std::sync::Arc;

use common::{draw, snapshot, style_at};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use lain_core::status::model::*;
use lain_tui::state::{Focus, on_key};
use lain_tui::{Action, UiState, View};
use ratatui::style::Color;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn now() -> Timestamp {
    ts("2024-05-02T12:00:00Z")
}

fn pod(name: &str, status: &str, ready: u32, restarts: i32, tag: &str, tag_state: TagState, problem: bool) -> PodRow {
    PodRow {
        proc_: "web".into(),
        name: name.into(),
        status: status.into(),
        problem,
        ready,
        containers: 1,
        restarts,
        created: Some(ts("2024-05-02T11:57:00Z")),
        node: Some("node-1".into()),
        image_tag: tag.into(),
        tag_state,
        terminating: false,
        cpu: Resource { usage: Some(120), request: Some(100), limit: Some(1000) },
        memory: Resource { usage: Some(240 << 20), request: Some(64 << 20), limit: Some(256 << 20) },
    }
}

fn base() -> StatusModel {
    StatusModel {
        appname: "dummy".into(),
        release: "dummy".into(),
        namespace: "default".into(),
        cluster: "test".into(),
        verdict: VerdictLine { level: Level::Green, summary: "green light: 2 pods healthy on v2, 1 endpoint answering".into(), details: vec![] },
        release_info: Some(ReleaseInfo {
            name: "dummy".into(),
            revision: Some(7),
            status: "deployed".into(),
            deployed_at: Some(ts("2024-05-02T11:56:00Z")),
            image_tag: Some("v2".into()),
            user: Some("alice".into()),
            chart: Some("dummy-0.1.0".into()),
            description: None,
            expires_at: None,
        }),
        release_error: None,
        workloads: vec![WorkloadRow {
            kind: "Deployment".into(),
            name: "dummy-web".into(),
            proc_: "web".into(),
            desired: 2,
            updated: 2,
            ready: 2,
            available: 2,
            image_tag: "v2".into(),
            rolling_out: false,
        }],
        pods: vec![
            pod("dummy-web-5d9c7-abcde", "Running", 1, 0, "v2", TagState::New, false),
            pod("dummy-web-5d9c7-fghij", "Running", 1, 0, "v2", TagState::New, false),
        ],
        abnormal: vec![],
        endpoints: vec![EndpointRow {
            url: "https://dummy.test.example.com/".into(),
            ingress: "dummy-web-dummy-test-example-com".into(),
            service: Some("dummy-web".into()),
            external: false,
            probe: Probe::Answered { code: 200, latency_ms: 12, ok: true, at: now() },
        }],
        links: Links::default(),
        metrics_available: true,
        warnings: vec![],
        strategy: vec![],
    }
}

fn crash_model() -> StatusModel {
    let mut m = base();
    m.verdict = VerdictLine {
        level: Level::Failed,
        summary: "1 pod failing: dummy-web-5d9c7-fghij CrashLoopBackOff".into(),
        details: vec!["dummy-web-5d9c7-fghij (web) CrashLoopBackOff, 4 restarts: exited with code 1; restarting with back-off".into()],
    };
    m.pods[1] = pod("dummy-web-5d9c7-fghij", "CrashLoopBackOff", 0, 4, "v2", TagState::New, true);
    m.pods.swap(0, 1);
    m.abnormal = vec![AbnormalContainer {
        pod: "dummy-web-5d9c7-fghij".into(),
        proc_: "web".into(),
        container: Some("web".into()),
        reason: "CrashLoopBackOff".into(),
        fatal: true,
        message: "exited with code 1; restarting with back-off".into(),
        restarts: 4,
        since: Some(ts("2024-05-02T11:59:30Z")),
        logs: vec![],
        previous_logs: vec!["Traceback (most recent call last):".into(), "  File \"app.py\", line 3".into(), "KeyError: 'DATABASE_URL'".into()],
        logs_error: Some("container \"web\" in pod is waiting to start: CrashLoopBackOff".into()),
        events: vec![EventLine {
            last_seen: Some(ts("2024-05-02T11:59:40Z")),
            type_: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container web".into(),
            count: 9,
            object: "Pod/dummy-web-5d9c7-fghij".into(),
        }],
    }];
    m
}

#[test]
fn green_overview_snapshot() {
    let ui = UiState::new(now());
    let (s, buf) = draw(&base(), &ui, 120, 16);
    snapshot("green", &s, true);
    assert_eq!(style_at(&buf, "✔ green light").and_then(|st| st.bg), Some(Color::Green));
    assert!(s.contains("release dummy revision 7 deployed, tag v2, by alice, 4m ago"), "{s}");
}

#[test]
fn crash_loop_snapshot_and_near_limit_memory() {
    let ui = UiState::new(now());
    let (s, buf) = draw(&crash_model(), &ui, 120, 24);
    snapshot("crash_loop", &s, true);
    assert_eq!(common::style_in_line(&buf, "0/1   4", "CrashLoopBackOff").and_then(|st| st.fg), Some(Color::Red));
    // 240Mi of a 256Mi limit: yellow, an OOM kill is near.
    assert_eq!(style_at(&buf, "240Mi/256Mi").and_then(|st| st.fg), Some(Color::Yellow));
    assert!(s.contains("│ KeyError: 'DATABASE_URL'"), "{s}");
    assert!(s.contains("  20s BackOff Back-off restarting failed container web (x9)"), "{s}");
}

#[test]
fn small_terminal_keeps_verdict_and_footer() {
    let ui = UiState::new(now());
    let (s, _) = draw(&crash_model(), &ui, 60, 12);
    snapshot("crash_loop_60x12", &s, true);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].contains("✘ 1 pod failing"), "{s}");
    assert!(lines[11].contains("q quit"), "{s}");
    // Narrow: node and CPU columns make way for the name and status.
    assert!(s.lines().any(|l| l.starts_with("NAME ") && l.contains("STATUS")), "{s}");
    assert!(!s.contains("NODE"), "{s}");
}

#[test]
fn five_hundred_pods_scroll_with_the_selection() {
    let mut m = base();
    m.pods = (0..500).map(|i| pod(&format!("dummy-web-5d9c7-{i:05}"), "Running", 1, 0, "v2", TagState::New, false)).collect();
    let mut ui = UiState::new(now());
    for _ in 0..250 {
        on_key(&mut ui, KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE), &m);
    }
    assert_eq!(ui.selected, 250);
    let (s, buf) = draw(&m, &ui, 120, 20);
    assert!(s.contains("Pods (500)"), "{s}");
    assert!(s.contains("dummy-web-5d9c7-00250"), "the selection is visible: {s}");
    assert!(!s.contains("dummy-web-5d9c7-00000"), "{s}");
    assert!(style_at(&buf, "dummy-web-5d9c7-00250").is_some_and(|st| st.add_modifier.contains(ratatui::style::Modifier::REVERSED)));
    on_key(&mut ui, KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE), &m);
    let (s, _) = draw(&m, &ui, 120, 20);
    assert!(s.contains("dummy-web-5d9c7-00499"), "{s}");
}

#[test]
fn keys_open_the_detail_view_and_come_back() {
    let m = crash_model();
    let mut ui = UiState::new(now());
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
    assert_eq!(on_key(&mut ui, key(KeyCode::Down), &m), Action::Redraw);
    assert_eq!(on_key(&mut ui, key(KeyCode::Up), &m), Action::Redraw);
    assert_eq!(on_key(&mut ui, key(KeyCode::Up), &m), Action::None);
    assert_eq!(on_key(&mut ui, key(KeyCode::Enter), &m), Action::OpenDetail("dummy-web-5d9c7-fghij".into()));
    assert_eq!(ui.view, View::Detail { pod: "dummy-web-5d9c7-fghij".into() });
    let (s, _) = draw(&m, &ui, 100, 20);
    assert!(s.contains("loading logs and describe"), "{s}");

    ui.detail = Some(Arc::new(PodDetail {
        pod: "dummy-web-5d9c7-fghij".into(),
        describe: vec!["Name:        dummy-web-5d9c7-fghij".into(), "Status:      CrashLoopBackOff".into()],
        logs: vec![("web (previous instance)".into(), (1..=40).map(|i| format!("line {i}")).collect()), ("web".into(), vec![])],
    }));
    let (s, _) = draw(&m, &ui, 100, 20);
    snapshot("detail", &s, true);
    // Logs start at the newest line.
    assert!(s.contains("line 40") && !s.contains("line 1\n"), "{s}");
    assert!(s.contains("(no output)"), "{s}");
    // k scrolls the logs back; Tab moves the focus to describe.
    on_key(&mut ui, key(KeyCode::Char('g')), &m);
    let (s, _) = draw(&m, &ui, 100, 20);
    assert!(s.contains("line 1\n") && !s.contains("line 40"), "{s}");
    on_key(&mut ui, key(KeyCode::Tab), &m);
    assert_eq!(ui.focus, Focus::Describe);
    assert_eq!(on_key(&mut ui, key(KeyCode::Esc), &m), Action::Redraw);
    assert_eq!(ui.view, View::Overview);
    assert_eq!(on_key(&mut ui, key(KeyCode::Char('r')), &m), Action::Refresh);
    assert_eq!(on_key(&mut ui, key(KeyCode::Char('q')), &m), Action::Quit);
    assert_eq!(on_key(&mut ui, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), &m), Action::Quit);
}

#[test]
fn plain_text_has_the_same_content() {
    let mut m = crash_model();
    m.links.kibana = Some("https://kibana.example.com/app/discover#/?x".into());
    let t = lain_core::status::plain::render(&m, now());
    assert!(t.starts_with("✘ 1 pod failing: dummy-web-5d9c7-fghij CrashLoopBackOff\n"), "{t}");
    assert!(t.contains("release dummy revision 7 deployed, tag v2, by alice, 4m ago"), "{t}");
    assert!(t.contains("ABNORMAL dummy-web-5d9c7-fghij container web: CrashLoopBackOff (restarts 4)"), "{t}");
    assert!(t.contains("  previous container's last lines:\n    | Traceback (most recent call last):"), "{t}");
    assert!(t.contains("    20s Warning BackOff: Back-off restarting failed container web (x9)"), "{t}");
    assert!(t.lines().any(|l| l.starts_with("ok") && l.contains("https://dummy.test.example.com/") && l.ends_with("200 12ms")), "{t}");
    assert!(t.lines().any(|l| l.contains("dummy-web-5d9c7-fghij") && l.contains("CrashLoopBackOff") && l.contains("240Mi/256Mi")), "{t}");
    assert!(t.ends_with("logs (Kibana): https://kibana.example.com/app/discover#/?x\n"), "{t}");
}

#[test]
fn a_canary_in_flight_is_shown_under_the_release() {
    let ui = UiState::new(now());
    let mut m = base();
    let line = "canary dummy-canary: v3, group small (deployed); next: `lain set-canary-group GROUP`, `lain deploy --canary --final` or `--abort`";
    m.strategy = vec![line.into()];
    let (s, buf) = draw(&m, &ui, 140, 16);
    let lines: Vec<&str> = s.lines().collect();
    let at = lines.iter().position(|l| l.contains("release dummy revision 7")).expect("release line");
    assert!(lines[at + 1].contains("canary dummy-canary: v3, group small (deployed)"), "{s}");
    assert_eq!(style_at(&buf, "canary dummy-canary").and_then(|st| st.fg), Some(Color::Yellow));
    // The rest still fits: the pods table and the key help.
    assert!(s.contains("dummy-web-"), "{s}");
    assert!(lines.last().is_some_and(|l| l.contains("q quit")), "{s}");
    let t = lain_core::status::plain::render(&m, now());
    assert!(t.contains(&format!("4m ago (2024-05-02 11:56:00 UTC)\n{line}\n")), "{t}");
}
