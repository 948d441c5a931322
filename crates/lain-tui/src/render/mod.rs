//! Pure drawing: `render(model, ui, frame)` reads nothing else, so tests draw into ratatui's
//! `TestBackend` and compare buffers.

mod detail;
mod overview;

use lain_core::status::model::{Level, StatusModel};
use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};

use crate::state::{UiState, View};

pub fn render(model: &StatusModel, ui: &UiState, f: &mut Frame) {
    match &ui.view {
        View::Overview => overview::draw(model, ui, f),
        View::Detail { pod } => detail::draw(model, ui, pod, f),
    }
}

pub(crate) fn level_style(l: Level) -> Style {
    let bg = match l {
        Level::Green => Color::Green,
        Level::Progressing => Color::Yellow,
        Level::Loading => Color::DarkGray,
        Level::Failed => Color::Red,
    };
    Style::new().bg(bg).fg(Color::Black).add_modifier(Modifier::BOLD)
}

pub(crate) fn red() -> Style {
    Style::new().fg(Color::Red)
}

pub(crate) fn yellow() -> Style {
    Style::new().fg(Color::Yellow)
}

pub(crate) fn green() -> Style {
    Style::new().fg(Color::Green)
}

pub(crate) fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub(crate) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
