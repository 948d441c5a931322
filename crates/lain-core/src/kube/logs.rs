//! Logs of many pods at once: every container of every matching pod, each line prefixed with
//! its pod (coloured per pod on a terminal), crashed containers' previous instance included,
//! and, when following, new pods and restarted containers picked up as a watch reports them.
//!
//! Lines from all streams go through one channel to one writer, so a line is always written
//! whole: two pods never interleave within a line.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

use super::{Kube, KubeError};

#[derive(Debug, Clone)]
pub struct LogOptions {
    pub selector: String,
    pub follow: bool,
    /// Lines per container for containers already running (`None`: all).
    pub tail: Option<i64>,
    pub color: bool,
}

/// Colours for pod prefixes (ANSI): cyan, green, magenta, yellow, blue, red.
const COLORS: [&str; 6] = ["36", "32", "35", "33", "34", "31"];

/// Assigns each pod a stable prefix and colour.
struct Prefixes {
    color: bool,
    index: BTreeMap<String, usize>,
}

impl Prefixes {
    fn get(&mut self, pod: &str, container: &str, many_containers: bool, previous: bool) -> String {
        let n = self.index.len();
        let i = *self.index.entry(pod.to_string()).or_insert(n);
        let mut label = pod.to_string();
        if many_containers {
            label.push('/');
            label.push_str(container);
        }
        if previous {
            label.push_str(" (previous)");
        }
        if self.color { format!("\x1b[{}m[{label}]\x1b[0m ", COLORS[i % COLORS.len()]) } else { format!("[{label}] ") }
    }
}

fn containers(pod: &Pod) -> Vec<String> {
    pod.spec.as_ref().map(|s| s.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default()
}

/// (container, restart count, running-or-finished, crashed before) per container.
fn container_states(pod: &Pod) -> Vec<(String, i32, bool, bool)> {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.clone()).unwrap_or_default();
    statuses
        .iter()
        .map(|cs| {
            let st = cs.state.as_ref();
            let started = st.is_some_and(|s| s.running.is_some() || s.terminated.is_some());
            let crashed = cs.restart_count > 0 && cs.last_state.as_ref().and_then(|l| l.terminated.as_ref()).is_some();
            (cs.name.clone(), cs.restart_count, started, crashed)
        })
        .collect()
}

async fn send_stream(kube: Kube, pod: String, container: String, lp: LogParams, prefix: String, tx: mpsc::UnboundedSender<String>) {
    let api = kube.api::<Pod>();
    match api.log_stream(&pod, &LogParams { container: Some(container.clone()), ..lp }).await {
        Ok(stream) => {
            let mut lines = stream.lines();
            while let Some(line) = lines.next().await {
                match line {
                    Ok(l) => {
                        if tx.send(format!("{prefix}{l}")).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        Err(e) => {
            let _ = tx.send(format!("{prefix}<cannot read logs: {}>", short(&e)));
        }
    }
}

fn short(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

/// Prints (through `tx`) the logs of the pods matching `opts.selector`. Without `follow` it
/// returns when every log has been read; with it, it runs until the channel is closed.
pub async fn stream(kube: &Kube, opts: &LogOptions, tx: mpsc::UnboundedSender<String>) -> Result<usize, KubeError> {
    let mut prefixes = Prefixes { color: opts.color, index: BTreeMap::new() };
    let pods = kube.pods(&opts.selector).await?;
    if !opts.follow {
        for pod in &pods {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let many = containers(pod).len() > 1;
            for (c, _, started, crashed) in container_states(pod) {
                if crashed {
                    let lp = LogParams { previous: true, tail_lines: opts.tail, ..Default::default() };
                    send_stream(kube.clone(), name.clone(), c.clone(), lp, prefixes.get(&name, &c, many, true), tx.clone()).await;
                }
                if started {
                    let lp = LogParams { tail_lines: opts.tail, ..Default::default() };
                    send_stream(kube.clone(), name.clone(), c.clone(), lp, prefixes.get(&name, &c, many, false), tx.clone()).await;
                }
            }
        }
        return Ok(pods.len());
    }

    // Following: one task per container instance, started when the watch shows it running.
    // Restart counts at start: the tail applies to the instances running when lain started.
    let initial: HashMap<(String, String), i32> = pods
        .iter()
        .flat_map(|p| {
            let uid = p.metadata.uid.clone().unwrap_or_default();
            container_states(p).into_iter().map(move |(c, r, ..)| ((uid.clone(), c), r))
        })
        .collect();
    let initial_pods: HashSet<String> = pods.iter().filter_map(|p| p.metadata.uid.clone()).collect();
    let mut started: HashSet<(String, String, i32)> = HashSet::new();
    let mut previous_done: HashSet<(String, String)> = HashSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut events = watcher(kube.api::<Pod>(), watcher::Config::default().labels(&opts.selector)).default_backoff().boxed();
    while let Some(ev) = events.next().await {
        let pod = match ev {
            Ok(watcher::Event::Apply(p)) | Ok(watcher::Event::InitApply(p)) => p,
            Ok(_) => continue,
            Err(_) => continue,
        };
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_else(|| name.clone());
        let many = containers(&pod).len() > 1;
        let existed = initial_pods.contains(&uid);
        for (c, restarts, running, crashed) in container_states(&pod) {
            if crashed && existed && previous_done.insert((uid.clone(), c.clone())) {
                let lp = LogParams { previous: true, tail_lines: opts.tail, ..Default::default() };
                let prefix = prefixes.get(&name, &c, many, true);
                // Read the previous instance first, so it prints before the current one.
                send_stream(kube.clone(), name.clone(), c.clone(), lp, prefix, tx.clone()).await;
            }
            if running && started.insert((uid.clone(), c.clone(), restarts)) {
                // Pods that were there at the start get the tail; new ones (and restarted
                // containers) are shown from their first line.
                let at_start = initial.get(&(uid.clone(), c.clone())) == Some(&restarts);
                let tail = if at_start { opts.tail } else { None };
                let lp = LogParams { follow: true, tail_lines: tail, ..Default::default() };
                let prefix = prefixes.get(&name, &c, many, false);
                tasks.spawn(send_stream(kube.clone(), name.clone(), c, lp, prefix, tx.clone()));
            }
        }
        if tx.is_closed() {
            break;
        }
    }
    tasks.abort_all();
    Ok(started.len())
}

/// Follows one container to its end (for `lain job`): every line, then returns.
pub async fn follow_container(kube: &Kube, pod: &str, container: &str, tx: mpsc::UnboundedSender<String>) {
    let lp = LogParams { follow: true, ..Default::default() };
    send_stream(kube.clone(), pod.to_string(), container.to_string(), lp, String::new(), tx).await;
}
