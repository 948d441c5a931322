//! The main screen, top to bottom: verdict, release, workloads, pods, endpoints, abnormal
//! containers (only when there are any), key help.

use lain_core::status::model::{Probe, StatusModel, TagState};
use lain_core::status::plain::{age, cpu, level_mark, mem, near_limit, probe_text, release_line};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::{bold, dim, green, level_style, red, yellow};
use crate::state::UiState;

pub fn draw(m: &StatusModel, ui: &UiState, f: &mut Frame) {
    let area = f.area();
    let details = m.verdict.details.len().min(3) as u16;
    let workloads = (m.workloads.len() as u16).min(4);
    let endpoints = if m.endpoints.is_empty() { 0 } else { (m.endpoints.len() as u16).min(6) + 2 };
    // Content flows from the top: the pods table is as tall as its rows (up to what is left),
    // abnormal containers take the rest when there are any, at least 40% of it.
    // A canary or blue/green in flight: a line each under the release line (at most 2).
    let strategy = m.strategy.len().min(2) as u16;
    let free = area.height.saturating_sub(3 + details + strategy + workloads + endpoints);
    let pod_rows = m.pods.len().max(1) as u16 + 2;
    let pods_h = if m.abnormal.is_empty() { pod_rows.min(free) } else { pod_rows.min(free * 60 / 100).max(3.min(free)) };
    let [verdict_a, release_a, work_a, pods_a, ep_a, ab_a, foot_a] = Layout::vertical([
        Constraint::Length(1 + details),
        Constraint::Length(1 + strategy),
        Constraint::Length(workloads),
        Constraint::Length(pods_h),
        Constraint::Length(endpoints),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let abnormal = if m.abnormal.is_empty() { 0 } else { ab_a.height };
    verdict(m, f, verdict_a);
    let mut release_lines = vec![Line::from(vec![
        Span::styled(format!("{} ", m.appname), bold()),
        Span::styled(format!("{}/{}  ", m.cluster, m.namespace), dim()),
        Span::raw(release_line(m, ui.now)),
    ])];
    release_lines.extend(m.strategy.iter().take(2).map(|s| Line::styled(format!("  {s}"), yellow())));
    f.render_widget(Paragraph::new(release_lines), release_a);
    workload_lines(m, f, work_a);
    pods(m, ui, f, pods_a);
    if endpoints > 0 {
        endpoint_table(m, f, ep_a);
    }
    if abnormal > 0 {
        abnormal_pane(m, ui, f, ab_a);
    }
    footer(m, ui, f, foot_a);
}

fn verdict(m: &StatusModel, f: &mut Frame, a: Rect) {
    let st = level_style(m.verdict.level);
    let mut lines = vec![Line::styled(format!(" {} {}", level_mark(m.verdict.level), m.verdict.summary), st)];
    let more = m.verdict.details.len().saturating_sub(3);
    for (i, d) in m.verdict.details.iter().take(3).enumerate() {
        let tail = if i == 2 && more > 0 { format!("  (+{more} more)") } else { String::new() };
        lines.push(Line::styled(format!("   - {d}{tail}"), Style::new().fg(st.bg.unwrap_or_default())));
    }
    f.render_widget(Paragraph::new(lines).style(Style::new()), a);
}

fn workload_lines(m: &StatusModel, f: &mut Frame, a: Rect) {
    let lines: Vec<Line> = m
        .workloads
        .iter()
        .take(a.height as usize)
        .map(|w| {
            let st = if w.rolling_out { yellow() } else { green() };
            let what = if w.rolling_out { "rolling out" } else { "up to date" };
            Line::from(vec![
                Span::styled(format!("{:<12}", w.kind), dim()),
                Span::raw(format!("{:<28} ", w.name)),
                Span::styled(format!("{}/{} ready, {} updated, {} available  ", w.ready, w.desired, w.updated, w.available), st),
                Span::raw(format!("tag {}  ", w.image_tag)),
                Span::styled(what, st),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), a);
}

/// Pod table columns: (title, width). Widths follow the content; on a narrow terminal the
/// least useful columns go first (node, CPU, proc, memory, age, tag) so the name and status
/// always fit.
fn pod_columns(m: &StatusModel, ui: &UiState, width: u16) -> Vec<(&'static str, u16)> {
    let w = |it: &mut dyn Iterator<Item = usize>, min: usize, max: usize| it.max().unwrap_or(0).clamp(min, max) as u16;
    let name = w(&mut m.pods.iter().map(|p| p.name.chars().count()), 4, 63);
    let mut cols: Vec<(&'static str, u16, u8)> = vec![
        ("PROC", w(&mut m.pods.iter().map(|p| p.proc_.chars().count()), 4, 16), 3),
        ("NAME", name, 0),
        ("STATUS", w(&mut m.pods.iter().map(|p| p.status.chars().count()), 6, 26), 0),
        ("READY", 5, 0),
        ("RST", 3, 0),
        ("AGE", w(&mut m.pods.iter().map(|p| age(ui.now, p.created).len()), 3, 5), 5),
        ("NODE", w(&mut m.pods.iter().map(|p| p.node.as_deref().map(str::len).unwrap_or(1)), 4, 24), 1),
        ("TAG", w(&mut m.pods.iter().map(|p| p.image_tag.chars().count() + if p.tag_state == TagState::Old { 6 } else { 0 }), 3, 32), 6),
        ("CPU", w(&mut m.pods.iter().map(|p| cpu(&p.cpu).len()), 3, 14), 2),
        ("MEMORY", w(&mut m.pods.iter().map(|p| mem(&p.memory).len()), 6, 16), 4),
    ];
    let total = |c: &[(&str, u16, u8)]| c.iter().map(|x| x.1 + 1).sum::<u16>();
    for order in 1..=6 {
        if total(&cols) <= width {
            break;
        }
        cols.retain(|c| c.2 != order);
    }
    cols.into_iter().map(|(t, w, _)| (t, w)).collect()
}

fn pods(m: &StatusModel, ui: &UiState, f: &mut Frame, a: Rect) {
    let rolling = m.pods.iter().any(|p| p.tag_state == TagState::Old);
    let title = format!(" Pods ({}) ", m.pods.len());
    let block = Block::new().borders(Borders::TOP).title(title);
    let inner_h = a.height.saturating_sub(2) as usize; // top border + header
    // Only the visible rows are built: a 500-pod app costs what a screenful costs.
    let offset = if inner_h == 0 { 0 } else { ui.selected.saturating_sub(inner_h - 1) };
    let cols = pod_columns(m, ui, a.width);
    let rows: Vec<Row> = m
        .pods
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner_h)
        .map(|(i, p)| {
            let status_st = if p.problem {
                red()
            } else if p.terminating || p.ready < p.containers && p.status != "Completed" && p.status != "Succeeded" {
                yellow()
            } else {
                Style::new()
            };
            let tag_st = match p.tag_state {
                TagState::Old => yellow().add_modifier(Modifier::DIM),
                TagState::New if rolling => green().add_modifier(Modifier::BOLD),
                _ => Style::new(),
            };
            let res_st = |r| if near_limit(r) { yellow() } else { Style::new() };
            let cells: Vec<Cell> = cols
                .iter()
                .map(|(t, _)| match *t {
                    "PROC" => Cell::from(p.proc_.clone()),
                    "NAME" => Cell::from(p.name.clone()),
                    "STATUS" => Cell::from(Span::styled(p.status.clone(), status_st)),
                    "READY" => Cell::from(format!("{}/{}", p.ready, p.containers)),
                    "RST" => Cell::from(Span::styled(p.restarts.to_string(), if p.restarts > 0 { yellow() } else { Style::new() })),
                    "AGE" => Cell::from(age(ui.now, p.created)),
                    "NODE" => Cell::from(p.node.clone().unwrap_or_else(|| "-".into())),
                    "TAG" => {
                        let tag = if p.tag_state == TagState::Old { format!("{} (old)", p.image_tag) } else { p.image_tag.clone() };
                        Cell::from(Span::styled(tag, tag_st))
                    }
                    "CPU" => Cell::from(Span::styled(cpu(&p.cpu), res_st(&p.cpu))),
                    _ => Cell::from(Span::styled(mem(&p.memory), res_st(&p.memory))),
                })
                .collect();
            let row = Row::new(cells);
            if i == ui.selected { row.style(Style::new().add_modifier(Modifier::REVERSED)) } else { row }
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let header = Row::new(cols.iter().map(|(t, _)| *t)).style(bold());
    let mut t = Table::new(rows, widths).header(header).block(block).column_spacing(1);
    if m.pods.is_empty() {
        t = t.footer(Row::new([Cell::from(Span::styled("no pods", dim()))]));
    }
    f.render_widget(t, a);
}

fn endpoint_table(m: &StatusModel, f: &mut Frame, a: Rect) {
    let rows: Vec<Row> = m
        .endpoints
        .iter()
        .map(|e| {
            let st = match &e.probe {
                Probe::Pending => dim(),
                p if p.failed() => red().add_modifier(Modifier::BOLD),
                Probe::Answered { code, .. } if *code >= 400 => yellow(),
                _ => green(),
            };
            let url_st = if e.probe.failed() { red() } else { Style::new() };
            Row::new(vec![
                Cell::from(Span::styled(e.url.clone(), url_st)),
                Cell::from(Span::styled(probe_text(&e.probe), st)),
                Cell::from(Span::styled(e.service.clone().unwrap_or_default(), dim())),
            ])
        })
        .collect();
    let t = Table::new(rows, [Constraint::Fill(3), Constraint::Fill(2), Constraint::Fill(1)])
        .block(Block::new().borders(Borders::TOP).title(" Endpoints "))
        .column_spacing(2);
    f.render_widget(t, a);
}

fn abnormal_pane(m: &StatusModel, ui: &UiState, f: &mut Frame, a: Rect) {
    let mut lines: Vec<Line> = Vec::new();
    for ab in &m.abnormal {
        let c = ab.container.as_deref().map(|c| format!(" / {c}")).unwrap_or_default();
        let st = if ab.fatal { red() } else { yellow() };
        lines.push(Line::from(vec![
            Span::styled(format!("{}{c}", ab.pod), st.add_modifier(Modifier::BOLD)),
            Span::styled(format!("  {}", ab.reason), st),
            Span::raw(format!("  restarts {}", ab.restarts)),
            Span::styled(ab.since.map(|t| format!("  since {} ago", age(ui.now, Some(t)))).unwrap_or_default(), dim()),
        ]));
        if !ab.message.is_empty() {
            lines.push(Line::raw(format!("  {}", ab.message.trim())));
        }
        if !ab.previous_logs.is_empty() {
            lines.push(Line::styled("  previous container's last lines:", dim()));
            lines.extend(ab.previous_logs.iter().map(|l| Line::raw(format!("  │ {l}"))));
        }
        if !ab.logs.is_empty() {
            lines.push(Line::styled("  last lines:", dim()));
            lines.extend(ab.logs.iter().map(|l| Line::raw(format!("  │ {l}"))));
        }
        if let (Some(e), true) = (&ab.logs_error, ab.previous_logs.is_empty()) {
            lines.push(Line::styled(format!("  no logs: {e}"), dim()));
        }
        for e in ab.events.iter().take(4) {
            let st = if e.type_ == "Warning" { yellow() } else { dim() };
            let n = if e.count > 1 { format!(" (x{})", e.count) } else { String::new() };
            lines.push(Line::from(vec![Span::styled(format!("  {:>4} {} ", age(ui.now, e.last_seen), e.reason), st), Span::raw(format!("{}{n}", e.message))]));
        }
    }
    let title = format!(" Abnormal containers ({}) — J/K scroll, Enter on a pod for full logs ", m.abnormal.len());
    let p = Paragraph::new(Text::from(lines))
        .block(Block::new().borders(Borders::TOP).title(Span::styled(title, if m.abnormal.iter().any(|a| a.fatal) { red() } else { yellow() })))
        .wrap(Wrap { trim: false })
        .scroll((ui.abnormal_scroll, 0));
    f.render_widget(p, a);
}

fn footer(m: &StatusModel, ui: &UiState, f: &mut Frame, a: Rect) {
    let mut spans = vec![Span::styled(" q quit  j/k move  Enter logs/describe  r refresh ", Style::new().add_modifier(Modifier::REVERSED))];
    if let Some(w) = m.warnings.first() {
        spans.push(Span::styled(format!("  {w}"), yellow()));
    } else if let Some(c) = &ui.last_command {
        spans.push(Span::styled(format!("  $ {c}"), dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), a);
}
