//! The code-highlighting themes a user can choose, by name: the reducer, the config and
//! the command line check names against this list; `ui::theme` turns a name into colours.

/// syntect's built-in themes offered to the user, the default first.
pub const THEMES: [&str; 7] = [
    "base16-ocean.dark",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "Solarized (dark)",
    "base16-ocean.light",
    "InspiredGitHub",
    "Solarized (light)",
];

/// The theme used when none is chosen.
pub const DEFAULT: &str = THEMES[0];

/// The listed theme whose name matches `name` ignoring ASCII case.
pub fn find(name: &str) -> Option<&'static str> {
    THEMES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .copied()
}
