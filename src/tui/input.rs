//! Terminal input to messages: keys through the keymap (or an overlay's own keys),
//! pastes and the mouse wheel. Typing edits the composer here; everything else becomes a
//! `Msg` for the reducer. Nothing here does IO.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use crate::app::guardrail::GuardKey;
use crate::app::jobs::JobsKey;
use crate::app::{App, Format, HistoryKey, Msg, Overlay, PickerKey};
use crate::keymap::Action;
use crate::ui::View;

/// The messages terminal event `ev` makes; `page` is how far PageUp scrolls.
pub(super) fn on_event(ev: Event, app: &App, view: &mut View, page: i32) -> Vec<Msg> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            on_key(key, app, view, page).into_iter().collect()
        }
        Event::Paste(text) => match &app.overlay {
            // A paste into a filter or title box is typed into it, first line only.
            Overlay::Picker(_) | Overlay::History(_) => {
                let line = crate::sanitize::text(text.lines().next().unwrap_or(""));
                line.chars()
                    .map(|c| match app.overlay {
                        Overlay::Picker(_) => Msg::Picker(PickerKey::Char(c)),
                        _ => Msg::History(HistoryKey::Char(c)),
                    })
                    .collect()
            }
            // A pasted path may be a file to attach; the executor looks.
            _ if crate::app::attach::looks_like_path(&text) => vec![Msg::PastedPath(text)],
            _ => match view.composer.paste(&text) {
                Ok(()) => Vec::new(),
                Err(refused) => vec![Msg::PasteRefused {
                    lines: refused.lines,
                    bytes: refused.bytes,
                    max_lines: crate::ui::composer::MAX_LINES,
                    max_bytes: crate::ui::composer::MAX_BYTES,
                }],
            },
        },
        Event::Mouse(m) => {
            let by = match m.kind {
                MouseEventKind::ScrollUp => 3,
                MouseEventKind::ScrollDown => -3,
                _ => return Vec::new(),
            };
            // A comparison scrolls its chosen answer.
            if app.compare.is_some() && app.overlay == Overlay::None {
                vec![Msg::Compare(crate::app::compare::CompareKey::Scroll(by))]
            } else {
                vec![Msg::ScrollBy(by)]
            }
        }
        _ => Vec::new(),
    }
}

fn on_key(key: KeyEvent, app: &App, view: &mut View, page: i32) -> Option<Msg> {
    let action = view.keys.action(&key);
    if action == Some(Action::Quit) {
        return Some(Msg::Quit);
    }
    // The overlays with keys of their own take every key but Quit.
    match &app.overlay {
        Overlay::Picker(_) => return picker_key(key),
        Overlay::History(_) => return history_key(key),
        Overlay::Guardrails(_) => return guardrails_key(key),
        Overlay::Jobs => return jobs_key(key, action, app, view),
        Overlay::SignIn => return sign_in_key(key),
        Overlay::Consent => return consent_key(key),
        Overlay::MoreRounds => return more_rounds_key(key),
        Overlay::Tools(_) => return tools_key(key),
        Overlay::Inspector(_) => return inspector_key(key, page, view.inspector_max),
        Overlay::Help | Overlay::Log(_) | Overlay::Routes | Overlay::None => {}
    }
    if app.overlay == Overlay::None
        && app.compare.is_some()
        && let Some(msg) = compare_key(key, action, page)
    {
        return msg;
    }
    if app.overlay == Overlay::None
        && let Some(c) = &app.attach.completion
        && let Some(k) = complete_key(key, !c.items.is_empty())
    {
        return Some(Msg::Complete(k));
    }
    let Some(action) = action else {
        if key.code == KeyCode::Esc && app.overlay != Overlay::None {
            return Some(Msg::CloseOverlay);
        }
        view.composer.input(key);
        return None;
    };
    match action {
        Action::Send => view.composer.submit().map(Msg::Submit),
        Action::Newline => {
            view.composer.newline();
            None
        }
        Action::Cancel if app.overlay != Overlay::None => Some(Msg::CloseOverlay),
        Action::Cancel => Some(Msg::Cancel),
        Action::Picker => Some(Msg::OpenPicker),
        Action::History => Some(Msg::OpenHistory),
        Action::Regenerate => Some(Msg::Regenerate),
        Action::EditLast => Some(Msg::EditLast),
        Action::Editor => Some(Msg::EditDraft(view.composer.text())),
        Action::PageUp => Some(Msg::ScrollBy(page)),
        Action::PageDown => Some(Msg::ScrollBy(-page)),
        Action::ScrollUp => Some(Msg::ScrollBy(1)),
        Action::ScrollDown => Some(Msg::ScrollBy(-1)),
        Action::Bottom => Some(Msg::ScrollToBottom),
        Action::Mouse => Some(Msg::ToggleMouse),
        Action::Trace => Some(Msg::ToggleTrace),
        Action::TraceExpand => Some(Msg::ExpandTrace),
        Action::Reveal => Some(Msg::RevealPii),
        Action::Guardrails => Some(Msg::OpenGuardrails),
        Action::Jobs => Some(Msg::OpenJobs),
        Action::Log => Some(Msg::ToggleLog),
        Action::Tools => Some(Msg::Submit("/tools".into())),
        Action::ToolCells => Some(Msg::ExpandTools),
        Action::Detach => Some(Msg::Detach),
        Action::Inspect => Some(Msg::Inspect),
        Action::Native => Some(Msg::Native(view.composer.text())),
        Action::EditCode => Some(Msg::EditCode),
        Action::CopyAnswer => Some(Msg::CopyAnswer),
        Action::CopyCode => Some(Msg::CopyCode),
        Action::CheckDraft => Some(Msg::CheckDraft(view.composer.text())),
        Action::CheckAnswer => Some(Msg::CheckAnswer),
        Action::Help => Some(Msg::ToggleHelp),
        Action::Quit => Some(Msg::Quit),
    }
}

/// The keys of a comparison: choosing, keeping, stopping and discarding, and scrolling
/// the chosen answer. The other bound keys (help, the log, the picker…) act as ever;
/// typing goes nowhere, as nothing can be sent until an answer is kept. `None` passes
/// the key on.
fn compare_key(key: KeyEvent, action: Option<Action>, page: i32) -> Option<Option<Msg>> {
    use crate::app::compare::CompareKey as K;
    let k = match (key.code, action) {
        (_, Some(Action::EditLast)) => K::Discard,
        (_, Some(Action::Cancel)) | (KeyCode::Esc, _) => K::Back,
        (_, Some(Action::PageUp)) => K::Scroll(page),
        (_, Some(Action::PageDown)) => K::Scroll(-page),
        (_, Some(Action::ScrollUp)) | (KeyCode::Up, _) => K::Scroll(1),
        (_, Some(Action::ScrollDown)) | (KeyCode::Down, _) => K::Scroll(-1),
        (KeyCode::Left | KeyCode::BackTab, _) => K::Prev,
        (KeyCode::Right | KeyCode::Tab, _) => K::Next,
        (KeyCode::Enter, _) if key.modifiers.is_empty() => K::Keep,
        (KeyCode::Char(c @ '1'..='4'), None) => K::Select(usize::from(c as u8 - b'1')),
        (KeyCode::Char('c'), None) => K::KeepCurrent,
        (_, Some(_)) => return None,
        _ => return Some(None),
    };
    Some(Some(Msg::Compare(k)))
}

/// The keys of the `@` completion list: the others go on to the composer.
fn complete_key(key: KeyEvent, items: bool) -> Option<crate::app::attach::CompleteKey> {
    use crate::app::attach::CompleteKey;
    match key.code {
        KeyCode::Up if items => Some(CompleteKey::Up),
        KeyCode::Down if items => Some(CompleteKey::Down),
        KeyCode::Tab | KeyCode::Enter if items && key.modifiers.is_empty() => {
            Some(CompleteKey::Accept)
        }
        KeyCode::Esc => Some(CompleteKey::Close),
        _ => None,
    }
}

fn ctrl(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The offer to sign in again: only a plain `y` runs the command.
fn sign_in_key(key: KeyEvent) -> Option<Msg> {
    match key.code {
        KeyCode::Char('y' | 'Y') if !ctrl(&key) => Some(Msg::SignIn(true)),
        KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Msg::SignIn(false)),
        _ => None,
    }
}

/// The consent prompt of a tool call: nothing runs but on a plain `y`, `c` or `a`; Esc
/// stops the whole loop.
fn consent_key(key: KeyEvent) -> Option<Msg> {
    use crate::app::tools::Consent;
    if ctrl(&key) {
        return None;
    }
    match key.code {
        KeyCode::Char('y') => Some(Msg::Consent(Consent::Yes)),
        KeyCode::Char('n') => Some(Msg::Consent(Consent::No)),
        KeyCode::Char('c') => Some(Msg::Consent(Consent::Conversation)),
        KeyCode::Char('a') => Some(Msg::Consent(Consent::Always)),
        KeyCode::Esc => Some(Msg::Cancel),
        _ => None,
    }
}

fn more_rounds_key(key: KeyEvent) -> Option<Msg> {
    match key.code {
        KeyCode::Char('y') if !ctrl(&key) => Some(Msg::MoreRounds(true)),
        KeyCode::Char('n') | KeyCode::Esc => Some(Msg::MoreRounds(false)),
        _ => None,
    }
}

/// The inspector: tabs, scrolling, `c` copies and `w` writes what the tab shows.
fn inspector_key(key: KeyEvent, page: i32, max: u16) -> Option<Msg> {
    use crate::app::inspect::InspectKey as K;
    if ctrl(&key) {
        return None;
    }
    let k = match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return Some(Msg::CloseOverlay),
        KeyCode::Tab | KeyCode::Right => K::Next,
        KeyCode::BackTab | KeyCode::Left => K::Prev,
        KeyCode::Char(c @ '1'..='9') => K::Tab(usize::from(c as u8 - b'1')),
        KeyCode::Up | KeyCode::Char('k') => K::Up,
        KeyCode::Down | KeyCode::Char('j') => K::Down,
        KeyCode::PageUp => K::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => K::PageDown,
        KeyCode::Home | KeyCode::Char('g') => K::Top,
        KeyCode::End | KeyCode::Char('G') => K::End,
        KeyCode::Char('c' | 'y') => K::Copy,
        KeyCode::Char('w') => K::Write,
        _ => return None,
    };
    Some(Msg::InspectKey {
        key: k,
        page: u16::try_from(page.max(1)).unwrap_or(1),
        max,
    })
}

fn tools_key(key: KeyEvent) -> Option<Msg> {
    use crate::app::tools::ToolsKey;
    let k = match key.code {
        KeyCode::Esc => return Some(Msg::CloseOverlay),
        KeyCode::Up => ToolsKey::Up,
        KeyCode::Down => ToolsKey::Down,
        KeyCode::Enter => ToolsKey::Enter,
        KeyCode::Char('a') => ToolsKey::Auto,
        KeyCode::Char('y') => ToolsKey::Any,
        KeyCode::Char('o') => ToolsKey::Toggle,
        _ => return None,
    };
    Some(Msg::Tools(k))
}

fn picker_key(key: KeyEvent) -> Option<Msg> {
    let k = match key.code {
        KeyCode::Esc => return Some(Msg::CloseOverlay),
        KeyCode::Char(c) if !ctrl(&key) => PickerKey::Char(c),
        KeyCode::Backspace => PickerKey::Backspace,
        KeyCode::Up => PickerKey::Up,
        KeyCode::Down => PickerKey::Down,
        KeyCode::Tab => PickerKey::Tab,
        KeyCode::Enter => PickerKey::Enter,
        _ => return None,
    };
    Some(Msg::Picker(k))
}

fn history_key(key: KeyEvent) -> Option<Msg> {
    let ctrl = ctrl(&key);
    let k = match key.code {
        KeyCode::Esc => return Some(Msg::CloseOverlay),
        KeyCode::Char('r') if ctrl => HistoryKey::Rename,
        KeyCode::Char('e') if ctrl => HistoryKey::Export(Format::Markdown),
        KeyCode::Char('j') if ctrl => HistoryKey::Export(Format::Json),
        KeyCode::Char(c) if !ctrl => HistoryKey::Char(c),
        KeyCode::Delete => HistoryKey::Delete,
        KeyCode::Backspace => HistoryKey::Backspace,
        KeyCode::Up => HistoryKey::Up,
        KeyCode::Down => HistoryKey::Down,
        KeyCode::Enter => HistoryKey::Enter,
        _ => return None,
    };
    Some(Msg::History(k))
}

fn guardrails_key(key: KeyEvent) -> Option<Msg> {
    let k = match key.code {
        KeyCode::Esc => return Some(Msg::CloseOverlay),
        KeyCode::Up => GuardKey::Up,
        KeyCode::Down => GuardKey::Down,
        KeyCode::Enter => GuardKey::Enter,
        KeyCode::Char('t') | KeyCode::Tab => GuardKey::Trace,
        KeyCode::Char('s') => GuardKey::Stream,
        _ => return None,
    };
    Some(Msg::Guardrails(k))
}

/// The jobs pane: its own keys, `n` for a new job from the draft, and the editor key
/// for the start form's model input.
fn jobs_key(key: KeyEvent, action: Option<Action>, app: &App, view: &View) -> Option<Msg> {
    if action == Some(Action::Editor) && app.jobs.form.is_some() {
        return Some(Msg::EditJobInput);
    }
    let ctrl = ctrl(&key);
    let form = app.jobs.form.is_some() || app.jobs.confirm.is_some();
    let k = match key.code {
        KeyCode::Esc => JobsKey::Back,
        KeyCode::Char('n') if !form && !ctrl => return Some(Msg::NewJob(view.composer.text())),
        KeyCode::Char(c) if !ctrl => JobsKey::Char(c),
        KeyCode::Up => JobsKey::Up,
        KeyCode::Down => JobsKey::Down,
        KeyCode::Left => JobsKey::Left,
        KeyCode::Right => JobsKey::Right,
        KeyCode::Tab => JobsKey::Tab,
        KeyCode::Backspace => JobsKey::Backspace,
        KeyCode::Enter => JobsKey::Enter,
        _ => return None,
    };
    Some(Msg::Jobs(k))
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
