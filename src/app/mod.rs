//! The application core: all state in plain structs, the messages that change it, and
//! the effects the reducer asks the executor to carry out. Nothing here does IO.

pub mod adapt;
mod commands;
pub mod guard;
pub mod history;
pub mod jobs;
pub mod meter;
pub mod picker;
pub mod state;
pub mod update;

pub use history::{Format, HistoryKey};
pub use state::{App, Entry, EntryState, Notice, Overlay, TurnId};
pub use update::{Effect, Msg, PickerKey, update};

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod history_tests;
#[cfg(test)]
pub(crate) mod jobs_tests;
#[cfg(test)]
mod meter_tests;
#[cfg(test)]
mod tests;
