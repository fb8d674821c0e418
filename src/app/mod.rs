//! The application core: all state in plain structs, the messages that change it, and
//! the effects the reducer asks the executor to carry out. Nothing here does IO.

pub mod adapt;
pub mod attach;
pub mod batch_jobs;
pub mod cache;
mod commands;
pub mod compare;
pub mod copy;
pub mod delivery;
pub mod effect;
pub mod error;
pub mod guardrail;
pub mod history;
pub mod inspect;
pub mod jobs;
pub mod meter;
pub mod msg;
pub mod native;
pub mod picker;
pub mod routes;
mod sign_in;
pub mod state;
pub mod theme;
pub mod tools;
pub mod turn;
pub mod update;

pub use effect::{EditorTarget, Effect, Save};
pub use history::{Format, HistoryKey};
pub use msg::{Msg, PickerKey};
pub use state::{App, Entry, EntryState, Notice, Overlay, TurnId};
pub use update::update;
