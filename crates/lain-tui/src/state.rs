//! The user's side of the dashboard: selection, scroll, which view, and key handling. Pure:
//! a key and a model in, an [`Action`] out.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;
use lain_core::status::model::{PodDetail, StatusModel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Verdict, release, workloads, pods, endpoints, abnormal containers.
    Overview,
    /// One pod: describe and full logs.
    Detail { pod: String },
}

/// Which pane of the detail view scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Logs,
    Describe,
}

#[derive(Debug, Clone)]
pub struct UiState {
    pub view: View,
    /// Index into `model.pods`.
    pub selected: usize,
    /// Lines scrolled in the abnormal-containers pane.
    pub abnormal_scroll: u16,
    /// Detail view: lines scrolled up from the end of the logs, and down in describe.
    pub logs_back: u16,
    pub describe_scroll: u16,
    pub focus: Focus,
    pub detail: Option<Arc<PodDetail>>,
    /// The clock ages are computed against (set by the loop every tick; fixed in tests).
    pub now: Timestamp,
    /// The last background command run (helm), shown in the footer.
    pub last_command: Option<String>,
}

impl UiState {
    pub fn new(now: Timestamp) -> Self {
        UiState {
            view: View::Overview,
            selected: 0,
            abnormal_scroll: 0,
            logs_back: 0,
            describe_scroll: 0,
            focus: Focus::Logs,
            detail: None,
            now,
            last_command: None,
        }
    }

    /// Keeps the selection on a pod that exists after the model changed.
    pub fn clamp(&mut self, model: &StatusModel) {
        if self.selected >= model.pods.len() {
            self.selected = model.pods.len().saturating_sub(1);
        }
    }
}

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing visible changed.
    None,
    /// State changed: draw again.
    Redraw,
    Quit,
    Refresh,
    /// Fetch logs and describe for this pod (the view already switched).
    OpenDetail(String),
}

const PAGE: usize = 10;

pub fn on_key(ui: &mut UiState, key: KeyEvent, model: &StatusModel) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Action::Quit;
    }
    match ui.view.clone() {
        View::Overview => overview_key(ui, key, model),
        View::Detail { .. } => detail_key(ui, key),
    }
}

fn overview_key(ui: &mut UiState, key: KeyEvent, model: &StatusModel) -> Action {
    let n = model.pods.len();
    let before = (ui.selected, ui.abnormal_scroll);
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => return Action::Quit,
        KeyCode::Char('r') => return Action::Refresh,
        KeyCode::Char('j') | KeyCode::Down => ui.selected = (ui.selected + 1).min(n.saturating_sub(1)),
        KeyCode::Char('k') | KeyCode::Up => ui.selected = ui.selected.saturating_sub(1),
        KeyCode::PageDown => ui.selected = (ui.selected + PAGE).min(n.saturating_sub(1)),
        KeyCode::PageUp => ui.selected = ui.selected.saturating_sub(PAGE),
        KeyCode::Char('g') | KeyCode::Home => ui.selected = 0,
        KeyCode::Char('G') | KeyCode::End => ui.selected = n.saturating_sub(1),
        KeyCode::Char('J') => ui.abnormal_scroll = ui.abnormal_scroll.saturating_add(1),
        KeyCode::Char('K') => ui.abnormal_scroll = ui.abnormal_scroll.saturating_sub(1),
        KeyCode::Enter => {
            if let Some(p) = model.pods.get(ui.selected) {
                ui.view = View::Detail { pod: p.name.clone() };
                ui.detail = None;
                ui.logs_back = 0;
                ui.describe_scroll = 0;
                ui.focus = Focus::Logs;
                return Action::OpenDetail(p.name.clone());
            }
        }
        _ => {}
    }
    if (ui.selected, ui.abnormal_scroll) != before { Action::Redraw } else { Action::None }
}

fn detail_key(ui: &mut UiState, key: KeyEvent) -> Action {
    let scroll = |ui: &mut UiState, d: i32| match ui.focus {
        // Logs scroll from the end: "up" shows older lines.
        Focus::Logs => ui.logs_back = (ui.logs_back as i32 - d).clamp(0, u16::MAX as i32) as u16,
        Focus::Describe => ui.describe_scroll = (ui.describe_scroll as i32 + d).clamp(0, u16::MAX as i32) as u16,
    };
    match key.code {
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('h') | KeyCode::Left => {
            ui.view = View::Overview;
            ui.detail = None;
        }
        KeyCode::Char('r') => return Action::Refresh,
        KeyCode::Tab => {
            ui.focus = if ui.focus == Focus::Logs { Focus::Describe } else { Focus::Logs };
        }
        KeyCode::Char('j') | KeyCode::Down => scroll(ui, 1),
        KeyCode::Char('k') | KeyCode::Up => scroll(ui, -1),
        KeyCode::PageDown => scroll(ui, PAGE as i32),
        KeyCode::PageUp => scroll(ui, -(PAGE as i32)),
        KeyCode::Char('g') | KeyCode::Home => match ui.focus {
            Focus::Logs => ui.logs_back = u16::MAX,
            Focus::Describe => ui.describe_scroll = 0,
        },
        KeyCode::Char('G') | KeyCode::End => match ui.focus {
            Focus::Logs => ui.logs_back = 0,
            Focus::Describe => ui.describe_scroll = u16::MAX,
        },
        _ => return Action::None,
    }
    Action::Redraw
}
