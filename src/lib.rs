//! bedrock-tui: a terminal client and playground for Amazon Bedrock, and a local
//! Bedrock Runtime endpoint for offline use and tests.

pub mod app;
pub mod bedrock;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod guardrail;
pub mod jobs;
pub mod keymap;
pub mod local;
pub mod logging;
pub mod paths;
pub mod pricing;
pub mod sanitize;
pub mod store;
pub mod tui;
pub mod ui;

#[cfg(test)]
mod architecture_tests;
