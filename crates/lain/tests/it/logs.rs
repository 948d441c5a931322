//! `lain logs`: every pod at once, prefixed; a crashed container's previous instance; `-F`
//! following new pods.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use kube_sim::{Behavior, Rule};

use crate::support::{VALUES, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_pods_prefixed_and_previous_of_crashed() {
    let t = setup("helm3", VALUES, 20.0).await;
    t.sim.add_rule(Rule::logs_for_image("*/dummy:*", &["hello from the app"]).in_container("web"));
    t.sim.add_rule(
        Rule::image("*/dummy:*", Behavior::CrashLoop { exit_code: 1, run_for: Duration::from_secs(1) }).in_container("worker").with_logs(&["worker boom"]),
    );
    t.lain(&["deploy", "--no-wait"]).await.ok();
    crate::support::eventually(Duration::from_secs(30), "worker restarted and web up", || {
        let w = t.pods("dummy-worker-");
        let restarted = w.iter().any(|p| p.pointer("/status/containerStatuses/0/restartCount").and_then(|v| v.as_i64()).unwrap_or(0) >= 1);
        let web_up = t.pods("dummy-web-").iter().filter(|p| p.pointer("/status/phase").and_then(|v| v.as_str()) == Some("Running")).count() == 2;
        (restarted && web_up).then_some(())
    })
    .await;
    let out = t.lain(&["logs", "web"]).await;
    out.ok();
    let names: Vec<String> = t.pods("dummy-web-").iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect();
    for n in &names {
        assert!(out.stdout.contains(&format!("[{n}] hello from the app")), "{n}: {}", out.stdout);
    }
    assert!(!out.stdout.contains("worker boom"), "only web: {}", out.stdout);
    let out = t.lain(&["logs", "worker"]).await;
    out.ok();
    assert!(out.stdout.contains("(previous)] worker boom"), "{}", out.stdout);
    let out = t.lain(&["logs", "nope"]).await;
    out.code(2);
    assert!(out.stderr.contains("web, worker"), "{}", out.stderr);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_picks_up_new_lines_and_new_pods() {
    let t = setup("helm3", VALUES, 20.0).await;
    t.sim.add_rule(Rule::logs_for_image("*/dummy:*", &["web started"]).in_container("web"));
    t.lain(&["deploy"]).await.ok();
    let mut child = t.lain_cmd(&["logs", "web", "-F", "--tail", "1"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut lines: Vec<String> = Vec::new();
    let wait_for = |pred: &dyn Fn(&str) -> bool, what: &str, lines: &mut Vec<String>| {
        let start = Instant::now();
        loop {
            if lines.iter().any(|l| pred(l)) {
                return;
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => lines.push(l),
                Err(_) => assert!(start.elapsed() < Duration::from_secs(20), "no {what} in {lines:?}"),
            }
        }
    };
    let pods: Vec<String> = t.pods("dummy-web-").iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect();
    wait_for(&|l: &str| l.contains("web started"), "initial lines", &mut lines);
    t.sim.push_log("default", &pods[0], "web", "a line written later");
    wait_for(&|l: &str| l == format!("[{}] a line written later", pods[0]), "the pushed line", &mut lines);
    // A new pod (its predecessor deleted) is followed from its first line.
    t.lain(&["restart", "--graceful", "web"]).await.ok();
    let new: Vec<String> = t
        .pods("dummy-web-")
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(new.iter().all(|n| !pods.contains(n)));
    for n in &new {
        let n = n.clone();
        wait_for(&move |l: &str| l == format!("[{n}] web started"), "a new pod's first line", &mut lines);
    }
    let _ = child.kill();
    let _ = child.wait();
    t.shutdown().await;
}
