//! Amazon Bedrock Guardrails on the local endpoint: guardrail definitions (a data file
//! in CreateGuardrail's request shape, with a built-in `demo`), their evaluation
//! (denied topics, content filters, word filters, PII entities and regexes), and their
//! use by ApplyGuardrail, Converse/ConverseStream and InvokeModel.

mod apply;
mod config;
mod engine;
mod flow;
mod lexicon;
mod pii;
mod report;

pub(crate) use apply::apply;
pub use config::{Registry, valid_identifier, valid_version};
pub(crate) use flow::{Guard, Verdict};
