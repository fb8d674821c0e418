//! bedrock-tui: a terminal client and playground for Amazon Bedrock, and a local
//! Bedrock Runtime endpoint for offline use and tests.

pub mod alloc;
pub mod app;
pub mod attach;
pub mod batch;
pub mod bedrock;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod guardrail;
pub mod inspect;
pub mod jobs;
pub mod keymap;
pub mod logging;
pub mod native;
pub mod paths;
pub mod pricing;
pub mod runner;
pub mod sanitize;
pub mod snippet;
pub mod store;
pub mod tools;
pub mod tui;
pub mod ui;

// The model catalog and the local endpoint are crates of the workspace, mounted
// under their old names so the app, tests and benches keep one path to them.
pub use bedrock_catalog as catalog;
pub use bedrock_local as local;

#[cfg(test)]
mod architecture_tests;
