//! Native InvokeModel formats: each model family's request body parsed into the
//! endpoint's request, and generations written back as that family's response and
//! stream chunks.

use serde_json::Value;

use crate::catalog::Model;

use super::conversation::Request;
use super::converse::Usage;
use super::error::ServiceError;
use super::simulator::Generation;
use super::stream::StreamItem;

/// Which request form of a family was used, where a family accepts more than one
/// (Mistral's prompt completion and chat messages); the response follows the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Default,
    Chat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub request: Request,
    pub variant: Variant,
}

/// What an InvokeModel body asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Text generation by the simulated model.
    Generate(Parsed),
    /// An embedding, computed at once.
    Embed { response: Value, input_tokens: u32 },
}

/// Parses an InvokeModel body for `model`'s family.
pub fn parse(model: &Model, body: &[u8]) -> Result<Invocation, ServiceError> {
    let _ = (model, body);
    Err(ServiceError::validation(
        "This model's native format is not supported.",
    ))
}

/// The InvokeModel response body.
pub fn response(model: &Model, parsed: &Parsed, generation: &Generation, usage: Usage) -> Value {
    let _ = (model, parsed, generation, usage);
    Value::Null
}

/// The InvokeModelWithResponseStream chunks; the caller adds
/// `amazon-bedrock-invocationMetrics` to the last one.
pub fn chunks(
    model: &Model,
    parsed: &Parsed,
    generation: &Generation,
    usage: Usage,
) -> Vec<StreamItem> {
    let _ = (model, parsed, generation, usage);
    Vec::new()
}
