//! Syntax highlighting resources: syntect's syntaxes and the themes of `app::theme`,
//! loaded once. Which theme a line is drawn with is passed in, never kept globally.

use std::sync::OnceLock;

use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;

use crate::app::theme::{DEFAULT, THEMES};

pub(super) struct Highlighting {
    pub syntaxes: SyntaxSet,
    themes: Vec<Theme>,
}

impl Highlighting {
    /// The theme named `name`, or the default one for a name not in `app::theme::THEMES`.
    pub fn theme(&self, name: &str) -> &Theme {
        let i = THEMES
            .iter()
            .position(|t| *t == name)
            .or_else(|| THEMES.iter().position(|t| *t == DEFAULT))
            .unwrap_or(0);
        &self.themes[i.min(self.themes.len() - 1)]
    }
}

/// Syntaxes and themes, parsed on first use (it takes milliseconds, so not at start-up).
pub(super) fn highlighting() -> &'static Highlighting {
    static H: OnceLock<Highlighting> = OnceLock::new();
    H.get_or_init(|| {
        let mut set = ThemeSet::load_defaults();
        let themes = THEMES
            .iter()
            .map(|name| set.themes.remove(*name).unwrap_or_default())
            .collect();
        Highlighting {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            themes,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_listed_theme_ships_with_syntect() {
        let set = syntect::highlighting::ThemeSet::load_defaults();
        for name in super::THEMES {
            assert!(set.themes.contains_key(name), "{name}");
        }
    }
}
