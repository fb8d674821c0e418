//! Key bindings: the actions a key can trigger, the built-in chords for each, and the
//! user's `[keys]` table overlaid on them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something a key does outside the overlays (which keep their own keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Send,
    Newline,
    Cancel,
    Picker,
    History,
    Regenerate,
    EditLast,
    Editor,
    PageUp,
    PageDown,
    ScrollUp,
    ScrollDown,
    Bottom,
    Mouse,
    Trace,
    TraceExpand,
    Reveal,
    Guardrails,
    CheckDraft,
    CheckAnswer,
    Jobs,
    Log,
    Tools,
    ToolCells,
    Inspect,
    Native,
    CopyAnswer,
    CopyCode,
    EditCode,
    Detach,
    Help,
    Quit,
}

impl Action {
    pub const ALL: [Action; 32] = [
        Action::Send,
        Action::Newline,
        Action::Cancel,
        Action::Picker,
        Action::History,
        Action::Regenerate,
        Action::EditLast,
        Action::Editor,
        Action::PageUp,
        Action::PageDown,
        Action::ScrollUp,
        Action::ScrollDown,
        Action::Bottom,
        Action::Mouse,
        Action::Trace,
        Action::TraceExpand,
        Action::Reveal,
        Action::Guardrails,
        Action::CheckDraft,
        Action::CheckAnswer,
        Action::Jobs,
        Action::Log,
        Action::Tools,
        Action::ToolCells,
        Action::Inspect,
        Action::Native,
        Action::CopyAnswer,
        Action::CopyCode,
        Action::EditCode,
        Action::Detach,
        Action::Help,
        Action::Quit,
    ];

    /// The action's name in the `[keys]` table of the config file.
    pub fn name(self) -> &'static str {
        match self {
            Action::Send => "send",
            Action::Newline => "newline",
            Action::Cancel => "cancel",
            Action::Picker => "picker",
            Action::History => "history",
            Action::Regenerate => "regenerate",
            Action::EditLast => "edit_last",
            Action::Editor => "editor",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::ScrollUp => "scroll_up",
            Action::ScrollDown => "scroll_down",
            Action::Bottom => "bottom",
            Action::Mouse => "mouse",
            Action::Trace => "trace",
            Action::TraceExpand => "trace_expand",
            Action::Reveal => "reveal",
            Action::Guardrails => "guardrails",
            Action::CheckDraft => "check_draft",
            Action::CheckAnswer => "check_answer",
            Action::Jobs => "jobs",
            Action::Log => "log",
            Action::Tools => "tools",
            Action::ToolCells => "tool_cells",
            Action::Inspect => "inspect",
            Action::Native => "native",
            Action::CopyAnswer => "copy_answer",
            Action::CopyCode => "copy_code",
            Action::EditCode => "edit_code",
            Action::Detach => "detach",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Send => "send the message",
            Action::Newline => "new line in the message",
            Action::Cancel => {
                "stop the streaming answer (the partial text is kept) or the tool calls; close an overlay"
            }
            Action::Picker => "model picker: type to filter, Tab picks the inference profile",
            Action::History => "history: search, open, rename, delete and export conversations",
            Action::Regenerate => "regenerate the last answer",
            Action::EditLast => "edit the last question (it returns to the composer)",
            Action::Editor => "write the message in $EDITOR",
            Action::PageUp => "scroll up a page",
            Action::PageDown => "scroll down a page",
            Action::ScrollUp => "scroll up a line",
            Action::ScrollDown => "scroll down a line",
            Action::Bottom => "jump to the newest text",
            Action::Mouse => {
                "mouse wheel scrolling on/off (off keeps the terminal's text selection)"
            }
            Action::Trace => {
                "guardrail trace pane on/off (it follows the answer at the bottom of the view)"
            }
            Action::TraceExpand => "trace: every assessment in full, or only what acted",
            Action::Reveal => "trace: show PII matches in clear, or masked",
            Action::Guardrails => {
                "guardrail picker: switch or turn off; t trace mode, s stream mode"
            }
            Action::CheckDraft => {
                "check the draft with the guardrail (ApplyGuardrail, no model call)"
            }
            Action::CheckAnswer => "check the answer in the trace pane as model output",
            Action::Jobs => "async jobs: list, start (n), details, download outputs (d)",
            Action::Log => {
                "notice log: every message of the status bar this session, in full, with its time"
            }
            Action::Tools => "tools: servers, tools, on/off and which the model must use",
            Action::ToolCells => "tool calls: input and results in full, or folded",
            Action::Inspect => {
                "request inspector: the answer's request as sent, its events and metadata, and the request as code (boto3, AWS CLI, JavaScript, Rust, curl)"
            }
            Action::Native => {
                "native console: the composer becomes the model's own InvokeModel body (again: back to chat)"
            }
            Action::CopyAnswer => "copy the answer as Markdown to the clipboard (OSC 52)",
            Action::CopyCode => "copy the answer's last code block to the clipboard (OSC 52)",
            Action::EditCode => "open the answer's last code block in $EDITOR",
            Action::Detach => "remove the draft's last attachment (@ or /attach adds one)",
            Action::Help => "this help",
            Action::Quit => "quit",
        }
    }

    fn defaults(self) -> &'static [&'static str] {
        match self {
            Action::Send => &["enter"],
            Action::Newline => &["alt+enter", "shift+enter", "ctrl+j"],
            Action::Cancel => &["esc"],
            Action::Picker => &["ctrl+p", "f3"],
            Action::History => &["ctrl+g", "f4"],
            Action::Regenerate => &["ctrl+r"],
            Action::EditLast => &["ctrl+e"],
            Action::Editor => &["ctrl+o"],
            Action::PageUp => &["pageup"],
            Action::PageDown => &["pagedown"],
            Action::ScrollUp => &["shift+up"],
            Action::ScrollDown => &["shift+down"],
            Action::Bottom => &["ctrl+end"],
            Action::Mouse => &["f2"],
            Action::Trace => &["f6"],
            Action::TraceExpand => &["f7"],
            Action::Reveal => &["alt+v"],
            Action::Guardrails => &["f8"],
            Action::CheckDraft => &["ctrl+k"],
            Action::CheckAnswer => &["alt+k"],
            Action::Jobs => &["f5"],
            Action::Log => &["f9"],
            Action::Tools => &["f10"],
            Action::ToolCells => &["alt+t"],
            Action::Inspect => &["alt+i"],
            Action::Native => &["alt+n"],
            Action::CopyAnswer => &["alt+y"],
            Action::CopyCode => &["alt+c"],
            Action::EditCode => &["alt+e"],
            Action::Detach => &["ctrl+x"],
            Action::Help => &["f1"],
            Action::Quit => &["ctrl+c", "ctrl+d"],
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One key with its modifiers, normalized so that what a terminal reports and what a
/// config file names compare equal (letters lower-case, Shift implied by the letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    code: KeyCode,
    mods: KeyModifiers,
}

const MODS: [(&str, KeyModifiers); 4] = [
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
    ("super", KeyModifiers::SUPER),
];

const NAMED: [(&str, KeyCode); 15] = [
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
];

impl Chord {
    fn new(code: KeyCode, mods: KeyModifiers) -> Chord {
        match code {
            KeyCode::Char(c) => Chord {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                mods: mods - KeyModifiers::SHIFT,
            },
            code => Chord { code, mods },
        }
    }

    pub fn of(key: &KeyEvent) -> Chord {
        let mods = key.modifiers
            & (KeyModifiers::CONTROL
                | KeyModifiers::ALT
                | KeyModifiers::SHIFT
                | KeyModifiers::SUPER);
        Chord::new(key.code, mods)
    }

    /// Parses `ctrl+p`, `alt+enter`, `f5`, `shift+up`, `space`, `x`.
    pub fn parse(spec: &str) -> Result<Chord, String> {
        let lower = spec.trim().to_ascii_lowercase();
        let mut parts: Vec<&str> = lower.split('+').collect();
        // "ctrl++" names the plus key.
        if lower.ends_with("++") {
            parts.truncate(parts.len() - 2);
            parts.push("+");
        }
        let Some((key, mods)) = parts.split_last() else {
            return Err(format!("empty key '{spec}'"));
        };
        let mut m = KeyModifiers::NONE;
        for name in mods {
            let Some((_, bit)) = MODS.iter().find(|(n, _)| n == name) else {
                return Err(format!(
                    "unknown modifier '{name}' in '{spec}' (modifiers: ctrl, alt, shift, super)"
                ));
            };
            m |= *bit;
        }
        let code = if let Some((_, code)) = NAMED.iter().find(|(n, _)| n == key) {
            *code
        } else if *key == "space" {
            KeyCode::Char(' ')
        } else if let Some(n) = key.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!(
                    "unknown key '{key}' in '{spec}' (function keys: f1 to f12)"
                ));
            }
            KeyCode::F(n)
        } else {
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "unknown key '{key}' in '{spec}' (a character, f1..f12, space, or one of: {})",
                        NAMED.map(|(n, _)| n).join(", ")
                    ));
                }
            }
        };
        if m.is_empty() && matches!(code, KeyCode::Char(_)) {
            return Err(format!(
                "'{spec}' is a plain character, which is for typing; add a modifier such as ctrl+{key}"
            ));
        }
        Ok(Chord::new(code, m))
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, bit) in MODS {
            if self.mods.contains(bit) {
                let mut c = name.chars();
                if let Some(first) = c.next() {
                    write!(f, "{}{}+", first.to_ascii_uppercase(), c.as_str())?;
                }
            }
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::PageUp => write!(f, "PageUp"),
            KeyCode::PageDown => write!(f, "PageDown"),
            KeyCode::BackTab => write!(f, "BackTab"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map_or("?", |(n, _)| n);
                let mut c = name.chars();
                match c.next() {
                    Some(first) => write!(f, "{}{}", first.to_ascii_uppercase(), c.as_str()),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The chords of every action, and the action of every chord.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    by_chord: HashMap<Chord, Action>,
    by_action: BTreeMap<Action, Vec<Chord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let by_action: BTreeMap<Action, Vec<Chord>> = Action::ALL
            .into_iter()
            .map(|a| {
                let chords = a
                    .defaults()
                    .iter()
                    .filter_map(|s| Chord::parse(s).ok())
                    .collect();
                (a, chords)
            })
            .collect();
        Keymap::index(by_action).unwrap_or_else(|_| Keymap {
            by_chord: HashMap::new(),
            by_action: BTreeMap::new(),
        })
    }
}

impl Keymap {
    fn index(by_action: BTreeMap<Action, Vec<Chord>>) -> Result<Keymap, String> {
        let mut by_chord = HashMap::new();
        for (action, chords) in &by_action {
            for chord in chords {
                if let Some(other) = by_chord.insert(*chord, *action)
                    && other != *action
                {
                    return Err(format!(
                        "{chord} is bound to both '{}' and '{}'",
                        other.name(),
                        action.name()
                    ));
                }
            }
        }
        Ok(Keymap {
            by_chord,
            by_action,
        })
    }

    /// The defaults with each action in `overrides` bound to exactly its chords.
    pub fn with(overrides: Vec<(Action, Vec<Chord>)>) -> Result<Keymap, String> {
        let mut by_action = Keymap::default().by_action;
        // A key the user binds is taken from the defaults of the actions they did not
        // list, so a config keeps working when a new version gives that key a default.
        let taken: HashSet<Chord> = overrides.iter().flat_map(|(_, c)| c.clone()).collect();
        let listed: HashSet<Action> = overrides.iter().map(|(a, _)| *a).collect();
        for (action, chords) in by_action.iter_mut() {
            if !listed.contains(action) {
                chords.retain(|c| !taken.contains(c));
            }
        }
        for (action, chords) in overrides {
            by_action.insert(action, chords);
        }
        // Without these the app could not be used, nor left.
        for needed in [Action::Send, Action::Quit] {
            if by_action.get(&needed).is_none_or(Vec::is_empty) {
                return Err(format!(
                    "'{}' has no key left, and the app needs one to {}",
                    needed.name(),
                    if needed == Action::Send {
                        "send a message"
                    } else {
                        "quit"
                    }
                ));
            }
        }
        Keymap::index(by_action)
    }

    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        self.by_chord.get(&Chord::of(key)).copied()
    }

    /// The chords of `action` as the help shows them: `Ctrl+P, F3`.
    pub fn label(&self, action: Action) -> String {
        let chords = self
            .by_action
            .get(&action)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if chords.is_empty() {
            return "(unbound)".into();
        }
        chords
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The first chord of `action`, for hints such as the composer's placeholder.
    pub fn first(&self, action: Action) -> Option<String> {
        self.by_action
            .get(&action)
            .and_then(|c| c.first())
            .map(ToString::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_map_terminal_keys() {
        let k = Keymap::default();
        assert_eq!(
            k.action(&key(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Send)
        );
        assert_eq!(
            k.action(&key(KeyCode::Enter, KeyModifiers::ALT)),
            Some(Action::Newline)
        );
        assert_eq!(
            k.action(&key(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            Some(Action::Newline)
        );
        // Caps lock or Shift still reaches the same binding.
        assert_eq!(
            k.action(&key(
                KeyCode::Char('P'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Picker)
        );
        assert_eq!(
            k.action(&key(KeyCode::F(4), KeyModifiers::NONE)),
            Some(Action::History)
        );
        assert_eq!(
            k.action(&key(KeyCode::End, KeyModifiers::CONTROL)),
            Some(Action::Bottom)
        );
        assert_eq!(k.action(&key(KeyCode::Char('p'), KeyModifiers::NONE)), None);
        assert_eq!(k.label(Action::Picker), "Ctrl+P, F3");
        assert_eq!(k.label(Action::Newline), "Alt+Enter, Shift+Enter, Ctrl+J");
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!k.label(a).contains('?'), "{a:?}");
        }
    }

    #[test]
    fn overrides_replace_an_action_and_conflicts_are_refused() {
        let k = Keymap::with(vec![(
            Action::Picker,
            vec![Chord::parse("ctrl+y").unwrap()],
        )])
        .unwrap();
        assert_eq!(
            k.action(&key(KeyCode::Char('y'), KeyModifiers::CONTROL)),
            Some(Action::Picker)
        );
        assert_eq!(
            k.action(&key(KeyCode::Char('p'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(k.action(&key(KeyCode::F(3), KeyModifiers::NONE)), None);
        // A key bound in the config is taken from another action's defaults.
        let k = Keymap::with(vec![(
            Action::Picker,
            vec![Chord::parse("ctrl+k").unwrap()],
        )])
        .unwrap();
        assert_eq!(
            k.action(&key(KeyCode::Char('k'), KeyModifiers::CONTROL)),
            Some(Action::Picker)
        );
        assert_eq!(k.label(Action::CheckDraft), "(unbound)");
        assert_eq!(k.label(Action::CheckAnswer), "Alt+K");

        // Two listed actions on one chord are refused.
        let err = Keymap::with(vec![
            (Action::Regenerate, vec![Chord::parse("ctrl+r").unwrap()]),
            (Action::Help, vec![Chord::parse("ctrl+r").unwrap()]),
        ])
        .unwrap_err();
        assert_eq!(err, "Ctrl+R is bound to both 'regenerate' and 'help'");
        // A default chord goes to the action that lists it.
        let k = Keymap::with(vec![(Action::Help, vec![Chord::parse("ctrl+r").unwrap()])]).unwrap();
        assert_eq!(k.label(Action::Regenerate), "(unbound)");
        assert_eq!(
            k.action(&key(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            Some(Action::Help)
        );
    }

    #[test]
    fn a_key_map_that_leaves_no_way_to_send_or_quit_is_refused() {
        let err = Keymap::with(vec![(Action::Send, vec![])]).unwrap_err();
        assert_eq!(
            err,
            "'send' has no key left, and the app needs one to send a message"
        );
        // Both quit keys taken by another action leave quit without a key.
        let err = Keymap::with(vec![(
            Action::Help,
            vec![
                Chord::parse("ctrl+c").unwrap(),
                Chord::parse("ctrl+d").unwrap(),
            ],
        )])
        .unwrap_err();
        assert_eq!(err, "'quit' has no key left, and the app needs one to quit");
        assert!(Keymap::with(vec![(Action::Quit, vec![Chord::parse("ctrl+q").unwrap()])]).is_ok());
    }

    #[test]
    fn the_readme_lists_every_action_and_key() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("# Actions: ")
            .expect("the README lists the actions");
        let listed: String = readme[start..]
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        for a in Action::ALL {
            assert!(
                listed.contains(&format!(" {},", a.name()))
                    || listed.contains(&format!(" {}.", a.name())),
                "the README's list of actions lacks '{}'",
                a.name()
            );
        }
        let table_start = readme
            .find("| key | does |")
            .expect("the README has a key table");
        let table: String = readme[table_start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .collect();
        let keys = Keymap::default();
        for a in Action::ALL {
            let first = keys.first(a).unwrap_or_default();
            assert!(
                table.contains(&first),
                "the README's key table lacks {first} ({})",
                a.name()
            );
        }
    }

    #[test]
    fn parses_and_rejects_specs() {
        assert_eq!(
            Chord::parse("Ctrl+Shift+F5").unwrap().to_string(),
            "Ctrl+Shift+F5"
        );
        assert_eq!(Chord::parse("alt+space").unwrap().to_string(), "Alt+Space");
        assert_eq!(Chord::parse("ctrl++").unwrap().to_string(), "Ctrl++");
        assert_eq!(Chord::parse("pageup").unwrap().to_string(), "PageUp");
        assert!(
            Chord::parse("hyper+x")
                .unwrap_err()
                .contains("unknown modifier 'hyper'")
        );
        assert!(Chord::parse("ctrl+f13").unwrap_err().contains("f1 to f12"));
        assert!(
            Chord::parse("ctrl+enterr")
                .unwrap_err()
                .contains("unknown key 'enterr'")
        );
        assert!(Chord::parse("q").unwrap_err().contains("plain character"));
        assert!(Chord::parse("").is_err());
    }
}
