//! One pod: describe on top, full logs below (scrolled to the newest line; Tab switches which
//! pane scrolls).

use lain_core::status::model::StatusModel;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{bold, dim, red};
use crate::state::{Focus, UiState};

pub fn draw(m: &StatusModel, ui: &UiState, pod: &str, f: &mut Frame) {
    let area = f.area();
    let [head, desc_a, logs_a, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Percentage(40), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let status = m.pod(pod).map(|p| p.status.clone()).unwrap_or_else(|| "gone".into());
    let st = if m.pod(pod).is_some_and(|p| p.problem) { red() } else { Style::new() };
    f.render_widget(Paragraph::new(Line::from(vec![Span::styled(format!(" pod {pod} "), bold()), Span::styled(status, st)])), head);
    let focus_st = |f: Focus| if ui.focus == f { bold() } else { dim() };
    let Some(d) = ui.detail.as_ref().filter(|d| d.pod == pod) else {
        f.render_widget(Paragraph::new(Span::styled("loading logs and describe…", dim())), desc_a);
        footer(f, foot);
        return;
    };
    let desc: Vec<Line> = d.describe.iter().map(|l| Line::raw(l.as_str())).collect();
    let max_desc = (desc.len() as u16).saturating_sub(desc_a.height.saturating_sub(1));
    f.render_widget(
        Paragraph::new(desc)
            .block(Block::new().borders(Borders::TOP).title(Span::styled(" describe ", focus_st(Focus::Describe))))
            .scroll((ui.describe_scroll.min(max_desc), 0)),
        desc_a,
    );
    let mut logs: Vec<Line> = Vec::new();
    for (title, lines) in &d.logs {
        logs.push(Line::styled(format!("── {title} ──"), dim().add_modifier(Modifier::BOLD)));
        if lines.is_empty() {
            logs.push(Line::styled("(no output)", dim()));
        }
        logs.extend(lines.iter().map(|l| Line::raw(l.as_str())));
    }
    let visible = logs_a.height.saturating_sub(1);
    let total = logs.len() as u16;
    let bottom = total.saturating_sub(visible);
    let top = bottom.saturating_sub(ui.logs_back);
    f.render_widget(
        Paragraph::new(logs)
            .block(Block::new().borders(Borders::TOP).title(Span::styled(format!(" logs ({total} lines) "), focus_st(Focus::Logs))))
            .scroll((top, 0)),
        logs_a,
    );
    footer(f, foot);
}

fn footer(f: &mut Frame, a: ratatui::layout::Rect) {
    f.render_widget(
        Paragraph::new(Span::styled(
            " Esc back  j/k scroll  Tab logs/describe  g/G oldest/newest  r reload  q quit ",
            Style::new().add_modifier(Modifier::REVERSED),
        )),
        a,
    );
}
