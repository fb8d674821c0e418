//! The view: lays out the panes and draws them from the app state. Drawing does no IO;
//! per-pane modules own their rendering and caches.

pub mod composer;
pub mod conversation;
pub mod help;
pub mod markdown;
mod picker;
mod session;
pub mod status;
mod table;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Overlay};

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;
/// From this width on, a side column shows the session.
const SIDE_FROM: u16 = 110;
const SIDE_WIDTH: u16 = 34;

#[derive(Default)]
pub struct View {
    pub conversation: conversation::ConversationView,
    pub composer: composer::Composer,
}

impl View {
    pub fn draw(&mut self, frame: &mut Frame, app: &App) {
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
        let [main, composer, status] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(self.composer.height()),
            Constraint::Length(1),
        ])
        .areas(area);
        let convo = if main.width >= SIDE_FROM {
            let [left, side] =
                Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_WIDTH)])
                    .areas(main);
            session::render(app, side, frame.buffer_mut());
            left
        } else {
            main
        };
        let inner = Rect {
            width: convo.width.saturating_sub(1),
            ..convo
        };
        self.conversation.render(app, inner, frame.buffer_mut());
        self.composer.render(composer, frame.buffer_mut());
        status::render(app, status, frame.buffer_mut());
        match &app.overlay {
            Overlay::Help => help::render(area, frame.buffer_mut()),
            Overlay::Picker(p) => picker::render(p, app.link.region(), area, frame.buffer_mut()),
            Overlay::None => {}
        }
    }
}

#[cfg(test)]
mod tests;
