//! The jobs pane: the region's async invocations with status, model, submit time,
//! running or total time and output folder, and its batch inference jobs with their
//! record progress; a details view with downloads and previews; and the start form.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::App;
use crate::app::batch_jobs::Row;
use crate::app::jobs::{Download, Field, Form};
use crate::jobs::batch::BatchJob;
use crate::jobs::{Job, Status, human_duration, human_time};
use crate::sanitize;

use super::text::fit;

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn status_span(s: &Status) -> Span<'static> {
    let (mark, color) = match s {
        Status::InProgress => ("● ", Color::Yellow),
        Status::Completed => ("✓ ", Color::Green),
        Status::Failed => ("✗ ", Color::LightRed),
        Status::Other(_) => ("? ", Color::Gray),
    };
    Span::styled(
        format!("{mark}{:<11}", s.as_str()),
        Style::default().fg(color),
    )
}

/// The widths of the table's columns in a pane `width` columns wide: the model and
/// output columns share what the fixed ones leave, and the submit time is left out
/// when it would squeeze them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    model: usize,
    submitted: bool,
    output: usize,
}

impl Columns {
    /// Marker, status, id and time.
    const FIXED: usize = 2 + 13 + 16 + 10;
    const SUBMITTED: usize = 21;

    fn of(width: usize) -> Columns {
        let mut rest = width.saturating_sub(Self::FIXED);
        let submitted = rest >= Self::SUBMITTED + 31 + 20;
        if submitted {
            rest -= Self::SUBMITTED;
        }
        let model = (rest * 6 / 10).clamp(12, 30);
        Columns {
            model,
            submitted,
            output: rest.saturating_sub(model + 1),
        }
    }

    fn header(self) -> String {
        let mut s = format!(
            "  {:<13} {:<14} {} ",
            "STATUS",
            "ID",
            fit("MODEL", self.model)
        );
        if self.submitted {
            s.push_str(&format!("{:<20} ", "SUBMITTED (UTC)"));
        }
        s.push_str(&format!("{:>8}  {}", "TIME", fit("OUTPUT", self.output)));
        s
    }
}

fn row(job: &Job, now_ms: i64, selected: bool, cols: Columns) -> Line<'static> {
    let style = super::row_style(selected);
    let time = human_duration(job.duration_ms(now_ms));
    let mut spans = vec![
        Span::styled(if selected { "▶ " } else { "  " }, style),
        status_span(&job.status),
        Span::styled(format!(" {} ", fit(job.id(), 14)), style),
        Span::styled(format!("{} ", fit(job.model_id(), cols.model)), style),
    ];
    if cols.submitted {
        spans.push(Span::styled(
            format!("{} ", human_time(job.submit_time)),
            dim(),
        ));
    }
    spans.push(Span::styled(format!("{:>8}  ", time), style));
    spans.push(Span::styled(
        fit(&sanitize::text(job.output_uri()), cols.output),
        dim(),
    ));
    Line::from(spans).style(style)
}

fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

fn details(app: &App, job: &Job, now_ms: i64, out: &mut Vec<Line<'static>>) {
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<14}"), dim()),
            Span::raw(sanitize::text(&v)),
        ])
    };
    out.push(Line::default());
    out.push(field("ARN", job.invocation_arn.clone()));
    out.push(field("model", job.model_arn.clone()));
    if let Some(t) = &job.client_request_token {
        out.push(field("request token", t.clone()));
    }
    out.push(field("submitted", human_time(job.submit_time)));
    if let Some(t) = job.last_modified_time {
        out.push(field("last modified", human_time(t)));
    }
    match job.end_time {
        Some(t) => {
            out.push(field("ended", human_time(t)));
            out.push(field("took", human_duration(job.duration_ms(now_ms))));
        }
        None => out.push(field(
            "running for",
            human_duration(job.duration_ms(now_ms)),
        )),
    }
    if let Some(m) = &job.failure_message {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<14}", "failure"), dim()),
            Span::styled(sanitize::text(m), Style::default().fg(Color::LightRed)),
        ]));
    }
    let s3 = &job.output_data_config.s3_output_data_config;
    out.push(field("output", s3.s3_uri.clone()));
    if let Some(k) = &s3.kms_key_id {
        out.push(field("KMS key", k.clone()));
    }
    if let Some(o) = &s3.bucket_owner {
        out.push(field("bucket owner", o.clone()));
    }
    download_lines(
        app,
        &job.invocation_arn,
        job.status == Status::Completed,
        out,
    );
}

/// The state of `arn`'s download: the question before overwriting, its progress, the
/// files written with their previews, or (when `can` download) the key that starts it.
fn download_lines(app: &App, arn: &str, can: bool, out: &mut Vec<Line<'static>>) {
    if let Some((a, path)) = &app.jobs.confirm
        && *a == arn
    {
        out.push(Line::styled(
            "  The outputs are there already: y overwrites them, any other key keeps them.",
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
        out.push(Line::styled(
            format!("  {} exists", sanitize::text(&path.display().to_string())),
            Style::default().fg(Color::Yellow),
        ));
        return;
    }
    match app.jobs.downloads.get(arn) {
        Some(Download::Running {
            file,
            files,
            name,
            done,
            total,
        }) => {
            let of = total
                .map(|t| format!(" of {}", bytes(t)))
                .unwrap_or_default();
            out.push(Line::styled(
                format!(
                    "  downloading {} ({file}/{files}): {}{of}",
                    sanitize::text(name),
                    bytes(*done)
                ),
                Style::default().fg(Color::Cyan),
            ));
        }
        Some(Download::Done(files)) => {
            out.push(Line::styled(
                format!("  downloaded {} files:", files.len()),
                Style::default().fg(Color::Green),
            ));
            for (path, preview) in files {
                out.push(Line::raw(format!(
                    "    {}",
                    sanitize::text(&path.display().to_string())
                )));
                for l in preview.iter().flat_map(|p| p.lines()) {
                    out.push(Line::styled(
                        format!("      │ {}", sanitize::text(l)),
                        dim(),
                    ));
                }
            }
        }
        Some(Download::Failed(e)) => out.push(Line::styled(
            format!("  download failed: {}", sanitize::text(e)),
            Style::default().fg(Color::LightRed),
        )),
        None if can => out.push(Line::styled("  d downloads the outputs", dim())),
        None => {}
    }
}

fn batch_status_span(status: &str, width: usize) -> Span<'static> {
    let (mark, color) = match status {
        "Completed" => ("✓ ", Color::Green),
        "PartiallyCompleted" => ("◐ ", Color::Yellow),
        "Failed" | "Expired" => ("✗ ", Color::LightRed),
        "Stopped" => ("■ ", Color::Gray),
        _ => ("● ", Color::Yellow),
    };
    Span::styled(
        format!("{mark}{}", fit(status, width)),
        Style::default().fg(color),
    )
}

/// `▕█████░░░░░▏ 512/1000`: the records processed of the total, once known.
fn records_bar(job: &BatchJob) -> String {
    const CELLS: i64 = 10;
    let r = &job.records;
    let filled = match (r.processed, r.total) {
        (Some(p), Some(t)) if t > 0 => (p.clamp(0, t) * CELLS / t) as usize,
        _ => 0,
    };
    format!(
        "▕{}{}▏ {:<9}",
        "█".repeat(filled),
        "░".repeat(CELLS as usize - filled),
        crate::jobs::batch::progress(job)
    )
}

/// The widths of the batch table's columns in a pane `width` columns wide: narrow
/// panes leave the id out and shorten status and name, so the records bar and the
/// time always show; the model takes what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BatchColumns {
    status: usize,
    name: usize,
    id: bool,
    model: usize,
}

impl BatchColumns {
    /// The records bar with its counts, and the time.
    const BAR_AND_TIME: usize = 22 + 8;

    fn of(width: usize) -> BatchColumns {
        let wide = BatchColumns {
            status: 18,
            name: 20,
            id: true,
            model: 0,
        };
        let narrow = BatchColumns {
            status: 12,
            name: 14,
            id: false,
            model: 0,
        };
        let cols = if width >= wide.fixed() + 20 {
            wide
        } else {
            narrow
        };
        BatchColumns {
            model: width.saturating_sub(cols.fixed() + 1).clamp(6, 40),
            ..cols
        }
    }

    /// Marker, status, name, id (when shown), records and time.
    fn fixed(self) -> usize {
        2 + (2 + self.status) + (self.name + 2) + if self.id { 15 } else { 0 } + Self::BAR_AND_TIME
    }

    fn header(self) -> String {
        let id = if self.id {
            format!("{:<14} ", "ID")
        } else {
            String::new()
        };
        format!(
            "  {} {} {id}{} {:<22}{:>8}",
            fit("BATCH JOB", self.status + 2),
            fit("NAME", self.name),
            fit("MODEL", self.model),
            "RECORDS",
            "TIME"
        )
    }
}

/// A batch job's row: status, name, id, model, records and time.
fn batch_row(job: &BatchJob, now_ms: i64, selected: bool, cols: BatchColumns) -> Line<'static> {
    let style = super::row_style(selected);
    let mut spans = vec![
        Span::styled(if selected { "▶ " } else { "  " }, style),
        batch_status_span(&job.status, cols.status),
        Span::styled(
            format!(" {} ", fit(&sanitize::text(&job.name), cols.name)),
            style,
        ),
    ];
    if cols.id {
        spans.push(Span::styled(format!("{} ", fit(job.id(), 14)), dim()));
    }
    spans.extend([
        Span::styled(format!("{} ", fit(&job.model_id, cols.model)), style),
        Span::styled(records_bar(job), Style::default().fg(Color::Cyan)),
        Span::styled(
            format!("{:>8}", human_duration(job.duration_ms(now_ms))),
            style,
        ),
    ]);
    Line::from(spans).style(style)
}

fn batch_details(app: &App, job: &BatchJob, now_ms: i64, out: &mut Vec<Line<'static>>) {
    out.push(Line::default());
    for line in crate::jobs::batch::details(job, now_ms).lines() {
        let (k, v) = line.split_once(": ").unwrap_or(("", line));
        let style = match k {
            "message" => Style::default().fg(Color::LightRed),
            _ => Style::default(),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {k:<14}"), dim()),
            Span::styled(sanitize::text(v), style),
        ]));
    }
    if app.jobs.stop.as_deref() == Some(job.arn.as_str()) {
        out.push(Line::styled(
            format!(
                "  Stop batch job {}? y stops it (records done so far are kept), any other key keeps it running.",
                sanitize::text(&job.name)
            ),
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
        return;
    }
    let can = crate::app::batch_jobs::has_outputs(job);
    download_lines(app, &job.arn, can, out);
    if !job.ended() {
        out.push(Line::styled("  s stops the job", dim()));
    }
}

pub fn render(app: &App, now_ms: i64, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(2).min(140);
    let h = area.height.saturating_sub(2);
    let r = super::overlay_area(area, w, h, buf);
    let j = &app.jobs;
    let rows = j.rows();
    let filter = j.filter.as_ref().map_or("all", Status::as_str);
    let inner = usize::from(w.saturating_sub(2));
    let cols = Columns::of(inner);
    let batch_cols = BatchColumns::of(inner);
    // The invocations' header heads their rows, or the pane while nothing is listed.
    let invocations = rows.iter().any(|r| matches!(r, Row::Invocation(_)));
    let mut lines = Vec::new();
    if invocations || rows.is_empty() {
        lines.push(Line::styled(
            cols.header(),
            dim().add_modifier(Modifier::BOLD),
        ));
    }
    if !j.listed && j.error.is_none() {
        lines.push(Line::styled("  listing…", dim()));
    } else if rows.is_empty() {
        let what = match &j.filter {
            None => format!("No async or batch jobs in {} yet.", app.link.region()),
            Some(s) => format!("No {s} jobs (f changes the filter)."),
        };
        lines.push(Line::styled(
            format!("  {what} n starts one, with the composer's text as its prompt."),
            dim(),
        ));
    }
    let detail_rows = if j.details { 16 } else { 0 };
    let room = usize::from(h.saturating_sub(4)).saturating_sub(detail_rows + 2);
    let first = j.selected.saturating_sub(room.saturating_sub(1));
    let mut in_batch = false;
    for (i, each) in rows.iter().enumerate().skip(first).take(room.max(1)) {
        match each {
            Row::Invocation(job) => lines.push(row(job, now_ms, i == j.selected, cols)),
            Row::Batch(job) => {
                if !in_batch {
                    in_batch = true;
                    lines.push(Line::styled(
                        batch_cols.header(),
                        dim().add_modifier(Modifier::BOLD),
                    ));
                }
                lines.push(batch_row(job, now_ms, i == j.selected, batch_cols));
            }
        }
    }
    for e in [&j.error, &j.batch_error].into_iter().flatten() {
        lines.push(Line::styled(
            format!("  {}", sanitize::text(e)),
            Style::default().fg(Color::LightRed),
        ));
    }
    if j.details {
        match j.selected_row() {
            Some(Row::Invocation(job)) => details(app, job, now_ms, &mut lines),
            Some(Row::Batch(job)) => batch_details(app, job, now_ms, &mut lines),
            None => {}
        }
    }
    let running = crate::app::jobs::running(j);
    let refresh = if running > 0 {
        format!(
            " {running} running · polled every {}s ",
            j.schedule.interval().as_secs()
        )
    } else {
        " none running ".to_owned()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Jobs · {} ", app.link.region()))
        .title(
            Line::from(Span::styled(
                format!(" filter: {filter} · {} jobs ·{refresh}", rows.len()),
                dim(),
            ))
            .right_aligned(),
        )
        .title_bottom(Line::from(Span::styled(
            " ↑↓ choose · Enter details · f filter · n new job · d download · s stop · r refresh · Esc close ",
            dim(),
        )));
    Paragraph::new(lines).block(block).render(r, buf);
    if let Some(f) = &j.form {
        form(app, f, area, buf);
    }
}

fn form(app: &App, f: &Form, area: Rect, buf: &mut Buffer) {
    let r = super::overlay_area(area, area.width.saturating_sub(8).min(100), 10, buf);
    let models = crate::jobs::input::async_models(app.catalog());
    let model = models.get(f.model).map_or("(none)", |m| m.id.as_str());
    let cursor = |field: Field| if f.field == field { "▏" } else { "" };
    let label = |field: Field, name: &str| {
        let style = if f.field == field {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            dim()
        };
        Span::styled(format!(" {name:<8}"), style)
    };
    let value = |text: &str, hint: &str, field: Field| {
        if text.is_empty() && f.field != field {
            Span::styled(hint.to_owned(), dim())
        } else {
            Span::raw(format!("{}{}", sanitize::text(text), cursor(field)))
        }
    };
    let mut lines = vec![
        Line::from(vec![
            label(Field::Model, "model"),
            Span::raw(format!("◀ {model} ▶")),
            Span::styled("  ←→ changes it", dim()),
        ]),
        Line::from(vec![
            label(Field::Prompt, "prompt"),
            value(
                &f.prompt,
                "filled into the model's input template",
                Field::Prompt,
            ),
        ]),
        Line::from(vec![
            label(Field::File, "file"),
            value(
                &f.file,
                "or a JSON file with the model input, sent as it is",
                Field::File,
            ),
        ]),
        Line::from(vec![
            label(Field::Output, "output"),
            value(
                &f.output,
                "s3://bucket[/prefix] for the outputs",
                Field::Output,
            ),
        ]),
        match &f.edited {
            Some(v) => Line::from(vec![
                Span::styled(format!(" {:<8}", "input"), dim()),
                Span::styled(
                    format!(
                        "edited in $EDITOR ({} bytes), sent instead of prompt and file · Ctrl+O edits it",
                        v.to_string().len()
                    ),
                    Style::default().fg(Color::Cyan),
                ),
            ]),
            None => Line::styled(
                " Ctrl+O writes the model input in $EDITOR from the template (duration, fps, seed…)",
                dim(),
            ),
        },
        Line::default(),
    ];
    if let Some(e) = &f.error {
        lines.push(Line::styled(
            format!(" {}", sanitize::text(e)),
            Style::default().fg(Color::LightRed),
        ));
    } else if f.sending {
        lines.push(Line::styled(" starting…", Style::default().fg(Color::Cyan)));
    }
    lines.push(Line::styled(format!(" request token {}", f.token), dim()));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Start an async job ")
        .title_bottom(Line::from(Span::styled(
            " Tab next field · ←→ model · Enter start · Esc cancel ",
            dim(),
        )));
    Paragraph::new(lines).block(block).render(r, buf);
}
