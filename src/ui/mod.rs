//! The view: lays out the panes and draws them from the app state. Drawing does no IO;
//! per-pane modules own their rendering and caches.

mod attachments;
mod compare;
pub mod composer;
pub mod conversation;
mod guardrails;
pub mod help;
mod history;
mod inspect;
mod jobs;
mod log;
pub mod markdown;
pub mod meter;
mod packed;
mod picker;
mod routes;
mod session;
mod sign_in;
pub mod status;
mod table;
pub mod text;
mod theme;
mod tool_cell;
mod tools;
mod trace;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::{App, Overlay};
use crate::keymap::Keymap;
use crate::pricing::Prices;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;
/// From this width on, a side column shows the session.
const SIDE_FROM: u16 = 110;
const SIDE_WIDTH: u16 = 34;

pub struct View {
    pub conversation: conversation::ConversationView,
    compare: compare::CompareView,
    pub composer: composer::Composer,
    pub keys: Keymap,
    meter: meter::MeterView,
    prices: &'static Prices,
    /// The app's `epoch` the cached lines were laid out for.
    epoch: u64,
    /// The wall clock as of this frame, in milliseconds since the Unix epoch, for the
    /// jobs pane's running times; the event loop sets it before each draw.
    pub now_ms: i64,
    /// How far the inspector scrolls, as the last frame laid it out.
    pub inspector_max: u16,
}

impl Default for View {
    fn default() -> Self {
        View::new(Keymap::default(), Prices::builtin())
    }
}

impl View {
    pub fn new(keys: Keymap, prices: &'static Prices) -> Self {
        View {
            conversation: conversation::ConversationView::default(),
            compare: compare::CompareView::default(),
            composer: composer::Composer::new(&keys),
            keys,
            meter: meter::MeterView::default(),
            prices,
            epoch: 0,
            now_ms: 0,
            inspector_max: 0,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, app: &App) {
        if app.epoch != self.epoch {
            self.conversation.reset();
            self.epoch = app.epoch;
        }
        let area = frame.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "The terminal is {}x{}; bedrock-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge the window to continue.",
                area.width, area.height
            );
            frame.render_widget(
                Paragraph::new(Line::from(msg))
                    .style(Style::default().fg(Color::Yellow))
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let [main, chips, composer, status] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(attachments::chips_height(app)),
            // A native body is read as a whole more than a message is.
            Constraint::Length(self.composer.height(if app.native.is_some() {
                usize::from(area.height / 2)
            } else {
                8
            })),
            Constraint::Length(1),
        ])
        .areas(area);
        attachments::render_chips(app, chips, frame.buffer_mut());
        // A comparison shows its own figures, and needs the width for its columns.
        let side = main.width >= SIDE_FROM && app.compare.is_none();
        let convo = if side {
            let [left, side] =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_WIDTH)])
                    .areas(main);
            let [top, bottom] =
                Layout::vertical([Constraint::Length(session::HEIGHT), Constraint::Min(4)])
                    .areas(side);
            session::render(app, top, frame.buffer_mut());
            self.meter
                .render(app, self.prices, bottom, frame.buffer_mut());
            left
        } else {
            main
        };
        if let Some(cmp) = &app.compare {
            self.compare
                .render(app, cmp, self.prices, convo, frame.buffer_mut());
        }
        let convo = match trace::content(app, convo.width)
            .filter(|_| app.pane.shown && app.compare.is_none())
        {
            Some((title, lines)) => {
                let h = trace::height(lines.len(), convo.height);
                let [top, pane] =
                    Layout::vertical([Constraint::Min(3), Constraint::Length(h)]).areas(convo);
                trace::render(&title, lines, pane, frame.buffer_mut());
                top
            }
            None => convo,
        };
        let inner = Rect {
            width: convo.width.saturating_sub(1),
            ..convo
        };
        if app.compare.is_none() {
            self.conversation.render(app, inner, frame.buffer_mut());
        }
        let title = app
            .native
            .as_ref()
            .map(|n| native_title(app, n, &self.keys));
        self.composer.render(composer, frame.buffer_mut(), title);
        // In the native console the composer's border names the mode instead.
        if !side && app.native.is_none() {
            let line = self.meter.compact(app, self.prices);
            let top = Rect {
                height: 1,
                ..composer
            };
            Paragraph::new(line).render(top, frame.buffer_mut());
        }
        status::render(app, &self.keys, status, frame.buffer_mut());
        attachments::render_completion(app, main, frame.buffer_mut());
        match &app.overlay {
            Overlay::Help => help::render(&self.keys, app.help_scroll, area, frame.buffer_mut()),
            Overlay::History(b) => history::render(b, area, frame.buffer_mut()),
            Overlay::Picker(p) => picker::render(app, p, area, frame.buffer_mut()),
            Overlay::Guardrails(sel) => guardrails::render(app, *sel, area, frame.buffer_mut()),
            Overlay::Jobs => jobs::render(app, self.now_ms, area, frame.buffer_mut()),
            Overlay::Log(scroll) => log::render(app, *scroll, area, frame.buffer_mut()),
            Overlay::SignIn => sign_in::render(app, area, frame.buffer_mut()),
            Overlay::Consent => tools::consent(app, area, frame.buffer_mut()),
            Overlay::MoreRounds => tools::more_rounds(app, area, frame.buffer_mut()),
            Overlay::Tools(sel) => tools::list(app, *sel, area, frame.buffer_mut()),
            Overlay::Routes => routes::render(app, area, frame.buffer_mut()),
            Overlay::Inspector(i) => {
                self.inspector_max = inspect::render(app, i, area, frame.buffer_mut());
            }
            Overlay::None => {}
        }
    }
}

/// Loads the code highlighter's syntaxes and themes and compiles the patterns of the
/// common languages (tens of milliseconds) so that the frame that first shows a code
/// block does not wait for them; the caller runs it off the event loop.
pub fn preload() {
    markdown::warm_up();
}

impl View {
    /// The answer the conversation showed lowest in the last frame.
    pub fn focus(&self) -> Option<usize> {
        self.conversation.focus
    }
}

/// The composer's title in the native console: the format, how it is sent, the keys.
fn native_title(app: &App, n: &crate::app::native::Console, keys: &Keymap) -> Line<'static> {
    use crate::keymap::Action;
    let key = |a| keys.first(a).unwrap_or_else(|| "(unbound)".into());
    let stream = app
        .catalog()
        .lookup(&n.model)
        .is_some_and(crate::native::streams);
    Line::from(vec![
        Span::styled(
            " native ",
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Span::styled(
            format!(
                " {} → {} · {} sends · {} $EDITOR · {} back to chat ",
                n.format,
                crate::app::native::operation(stream),
                key(Action::Send),
                key(Action::Editor),
                key(Action::Native)
            ),
            Style::default().fg(Color::Cyan),
        ),
    ])
}

/// The style of a row in an overlay's list, highlighted when selected.
fn row_style(selected: bool) -> Style {
    if selected {
        Style::default()
            .bg(Color::Rgb(40, 50, 70))
            .add_modifier(ratatui::style::Modifier::BOLD)
    } else {
        Style::default()
    }
}

/// The `w` x `h` rectangle centred in `area`, cleared for an overlay to draw on.
fn overlay_area(area: Rect, w: u16, h: u16, buf: &mut ratatui::buffer::Buffer) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    ratatui::widgets::Widget::render(ratatui::widgets::Clear, r, buf);
    r
}

#[cfg(test)]
mod attachments_tests;
#[cfg(test)]
mod inspect_tests;
#[cfg(test)]
mod jobs_tests;
#[cfg(test)]
mod routes_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tools_tests;
#[cfg(test)]
mod trace_tests;
