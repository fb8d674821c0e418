//! The tool overlays: the consent prompt of a call (the tool, its source, its input and
//! the answers), the question whether the loop goes on after its rounds, and the tools
//! list of `/tools` (each server's state, every tool, on/off and the choice).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::App;
use crate::sanitize;
use crate::tools::{Choice, ServerState};

use super::text::ellipsize;

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn keys(pairs: &[(&'static str, &'static str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (k, what)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", Style::default().fg(Color::DarkGray)));
        }
        spans.push(Span::styled(*k, bold()));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}

fn frame(title: &'static str, color: Color) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(color))
        .title(title)
}

/// The consent prompt of the first call waiting for it.
pub fn consent(app: &App, area: Rect, buf: &mut Buffer) {
    let Some((_, _, name, input)) = crate::app::tools::waiting(app) else {
        return;
    };
    let tool = app.tools.find(&name);
    let width = area.width.saturating_sub(4).min(84);
    let inner = usize::from(width.saturating_sub(2));
    let pretty = sanitize::text(&serde_json::to_string_pretty(&input).unwrap_or_default());
    let input_lines: Vec<&str> = pretty.lines().collect();
    let room = usize::from(area.height.saturating_sub(12)).max(3);
    let mut lines = vec![Line::from(vec![
        Span::raw("The model asks to run "),
        Span::styled(sanitize::text(&name), bold().fg(Color::Cyan)),
        Span::raw(match tool {
            Some(t) => format!(" ({}).", t.source.label()),
            None => ".".into(),
        }),
    ])];
    if let Some(desc) = tool
        .map(|t| t.spec.description.as_str())
        .filter(|d| !d.is_empty())
    {
        let first = desc.lines().next().unwrap_or_default();
        lines.push(Line::from(Span::styled(
            ellipsize(&sanitize::text(first), inner),
            Style::default().fg(Color::DarkGray),
        )));
    }
    lines.push(Line::default());
    let shown = input_lines.len().min(room);
    for l in &input_lines[..shown] {
        lines.push(Line::from(Span::styled(
            ellipsize(l, inner),
            Style::default().fg(Color::Yellow),
        )));
    }
    if shown < input_lines.len() {
        lines.push(Line::from(Span::styled(
            format!("… {} more lines of input", input_lines.len() - shown),
            Style::default().fg(Color::DarkGray),
        )));
    }
    lines.push(Line::default());
    lines.push(keys(&[("y", "yes"), ("n", "no")]));
    lines.push(keys(&[
        ("c", "yes to this tool in this conversation"),
        ("a", "always (saved in the config)"),
    ]));
    lines.push(keys(&[("Esc", "stop the tool calls")]));
    let height = lines.len() as u16 + 2;
    let r = super::overlay_area(area, width, height, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(frame(" Run a tool? ", Color::Yellow))
        .render(r, buf);
}

/// The question whether the tool loop goes on after `max_tool_rounds` rounds.
pub fn more_rounds(app: &App, area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(4).min(70);
    let lines = vec![
        Line::from(format!(
            "The model has called tools {} times in a row for this question.",
            app.tools.rounds
        )),
        Line::from("Let it go on?"),
        Line::default(),
        keys(&[("y", "go on"), ("n", "stop here")]),
    ];
    let r = super::overlay_area(area, width, 7, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(frame(" Tool rounds ", Color::Yellow))
        .render(r, buf);
}

/// The tools list: servers, tools, and what turns send.
pub fn list(app: &App, selected: usize, area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(4).min(100);
    let inner = usize::from(width.saturating_sub(2));
    let t = &app.tools;
    let dim = Style::default().fg(Color::DarkGray);
    let mut lines = vec![Line::from(vec![
        Span::styled(if t.enabled { "Tools on" } else { "Tools off" }, bold()),
        Span::raw(format!(" · choice: {}", t.choice)),
        Span::styled(
            format!(" · at most {} rounds a question", t.max_rounds),
            dim,
        ),
    ])];
    if !t.any() {
        lines.push(Line::default());
        lines.push(Line::from(
            "No tools are configured. Add [[tools]] (commands) or [[mcp_servers]] to the config file.",
        ));
    }
    for s in &t.servers {
        let (state, color) = match &s.state {
            ServerState::Starting => ("starting…".to_owned(), Color::Cyan),
            ServerState::Ready => {
                let n = t
                    .mcp
                    .iter()
                    .filter(|x| matches!(&x.source, crate::tools::Source::Mcp { server, .. } if *server == s.name))
                    .count();
                let s = if n == 1 { "" } else { "s" };
                (format!("ready, {n} tool{s}"), Color::Green)
            }
            ServerState::Failed(why) => (format!("failed: {}", sanitize::text(why)), Color::Red),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("MCP {} ", sanitize::text(&s.name)), bold()),
            Span::styled(
                ellipsize(&state, inner.saturating_sub(s.name.len() + 5)),
                Style::default().fg(color),
            ),
        ]));
    }
    lines.push(Line::default());
    let rows = usize::from(area.height.saturating_sub(lines.len() as u16 + 8)).max(3);
    let all: Vec<_> = t.available().collect();
    let first = selected.saturating_sub(rows.saturating_sub(1));
    for (i, tool) in all.iter().enumerate().skip(first).take(rows) {
        let forced = t.choice == Choice::Tool(tool.spec.name.clone());
        let mark = match (
            forced,
            tool.auto_approve || t.approved.contains(&tool.spec.name),
        ) {
            (true, _) => "▶ ",
            (false, true) => "✓ ",
            _ => "  ",
        };
        let name = sanitize::text(&tool.spec.name);
        let desc = sanitize::text(tool.spec.description.lines().next().unwrap_or_default());
        let rest = inner.saturating_sub(name.chars().count() + 4);
        lines.push(
            Line::from(vec![
                Span::raw(mark),
                Span::styled(name, Style::default().fg(Color::Cyan)),
                Span::styled(format!("  {}", ellipsize(&desc, rest)), dim),
            ])
            .style(super::row_style(i == selected)),
        );
    }
    if all.is_empty() && t.any() {
        lines.push(Line::from(Span::styled(
            "No tools yet: the servers are starting or failed.",
            dim,
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "✓ runs without asking · ▶ the model must use it",
        dim,
    )));
    lines.push(keys(&[
        ("Enter", "must use this tool"),
        ("y", "must use some tool"),
        ("a", "auto"),
        ("o", "on/off"),
        ("Esc", "close"),
    ]));
    let height = (lines.len() as u16 + 2).min(area.height);
    let r = super::overlay_area(area, width, height, buf);
    Paragraph::new(lines)
        .block(frame(" Tools ", Color::Cyan))
        .render(r, buf);
}
