//! The event loop. Three sources, each a channel: terminal input (a thread reading crossterm
//! events), data from the status feed (models, pod details, background commands), and a 1 s
//! tick (ages). A frame is drawn only when one of them changed what is shown; ratatui then
//! writes only the cells that differ from the previous frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{self, Event};
use lain_core::status::live::{Live, Request, Update};
use lain_core::status::model::StatusModel;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use crate::render::render;
use crate::state::{Action, UiState, on_key};

/// Reads terminal events on a plain thread (crossterm's reads block) and forwards them.
fn spawn_input(stop: Arc<AtomicBool>) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.blocking_send(ev).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        }
    });
    rx
}

/// Opens the dashboard on the terminal (stderr) and runs until the user quits.
pub async fn run(mut live: Live) -> std::io::Result<()> {
    let mut guard = crate::terminal::enter()?;
    let stop = Arc::new(AtomicBool::new(false));
    let input = spawn_input(stop.clone());
    let res = run_loop(&mut guard.terminal, &mut live, input, Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    drop(guard);
    res
}

/// The loop proper, over any ratatui backend (tests drive it with `TestBackend` and a channel
/// of synthetic key events).
pub async fn run_loop<B: Backend>(terminal: &mut Terminal<B>, live: &mut Live, mut input: mpsc::Receiver<Event>, tick: Duration) -> Result<(), B::Error> {
    let mut model = Arc::new(StatusModel::default());
    let mut ui = UiState::new(jiff::Timestamp::now());
    let requests = live.requester();
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    loop {
        if dirty {
            ui.clamp(&model);
            terminal.draw(|f| render(&model, &ui, f))?;
            dirty = false;
        }
        tokio::select! {
            ev = input.recv() => {
                let Some(ev) = ev else { return Ok(()) };
                match ev {
                    Event::Key(k) => match on_key(&mut ui, k, &model) {
                        Action::Quit => return Ok(()),
                        Action::Refresh => {
                            let _ = requests.send(Request::Refresh);
                        }
                        Action::OpenDetail(p) => {
                            let _ = requests.send(Request::Detail(p));
                            dirty = true;
                        }
                        Action::Redraw => dirty = true,
                        Action::None => {}
                    },
                    // ratatui resizes its buffers on the next draw; the old frame is cleared.
                    Event::Resize(..) => {
                        terminal.autoresize()?;
                        dirty = true;
                    }
                    _ => {}
                }
            }
            up = live.updates.recv() => {
                let Some(up) = up else { return Ok(()) };
                apply(&mut model, &mut ui, up);
                // Drain what else is queued: one frame for a burst.
                while let Ok(up) = live.updates.try_recv() {
                    apply(&mut model, &mut ui, up);
                }
                dirty = true;
            }
            _ = ticker.tick() => {
                let now = jiff::Timestamp::now();
                // Ages are shown in whole seconds at best: redraw only when the second changed.
                if now.as_second() != ui.now.as_second() {
                    ui.now = now;
                    dirty = true;
                }
            }
        }
    }
}

fn apply(model: &mut Arc<StatusModel>, ui: &mut UiState, up: Update) {
    match up {
        Update::Model(m) => *model = m,
        Update::Detail(d) => ui.detail = Some(d),
        Update::Command(c) => ui.last_command = Some(c),
    }
}
