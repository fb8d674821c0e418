//! bedrock-tui: a terminal client and playground for Amazon Bedrock, and a local
//! Bedrock Runtime endpoint for offline use and tests.

pub mod catalog;
pub mod cli;
pub mod local;
