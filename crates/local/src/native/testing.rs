//! Test fixtures shared by the family modules' tests: catalog models, parsing and a
//! full parse-generate-render run.

use bedrock_catalog::{Capabilities, Family, Model};
use serde_json::Value;

use crate::converse::Usage;
use crate::simulator::{self, Generation};
use crate::stream::{ItemKind, StreamItem};

use super::{Invocation, Parsed};

pub(crate) fn model(id: &str, family: Family, max_output_tokens: u32) -> Model {
    Model {
        id: id.into(),
        name: id.into(),
        provider: "Test".into(),
        family,
        input_modalities: vec!["text".into(), "image".into()],
        output_modalities: vec!["text".into()],
        context_window: 200_000,
        max_output_tokens,
        capabilities: Capabilities {
            converse: true,
            streaming: true,
            system_prompt: true,
            tools: true,
            streaming_tools: true,
            images: true,
            documents: true,
            reasoning: true,
            ..Default::default()
        },
        on_demand: true,
        profiles: vec![],
    }
}

pub(crate) fn parse_ok(m: &Model, body: &str) -> Parsed {
    match super::parse(m, body.as_bytes()) {
        Ok(Invocation::Generate(p)) => p,
        other => panic!("expected a generation request, got {other:?}"),
    }
}

pub(crate) fn parse_err(m: &Model, body: &str) -> String {
    match super::parse(m, body.as_bytes()) {
        Err(e) => e.message,
        Ok(other) => panic!("expected an error, got {other:?}"),
    }
}

/// Everything one invocation produces.
pub(crate) struct Run {
    pub parsed: Parsed,
    pub generation: Generation,
    pub response: Value,
    pub chunks: Vec<StreamItem>,
}

impl Run {
    /// The chunk payloads.
    pub(crate) fn payloads(&self) -> Vec<&Value> {
        self.chunks
            .iter()
            .map(|c| {
                assert_eq!(c.kind, ItemKind::Chunk);
                &c.payload
            })
            .collect()
    }

    /// Output tokens carried by all chunks.
    pub(crate) fn chunk_tokens(&self) -> u32 {
        self.chunks.iter().map(|c| c.tokens).sum()
    }

    /// The last chunk, where the invocation metrics go; it must be a JSON object.
    pub(crate) fn last(&self) -> &serde_json::Map<String, Value> {
        self.chunks
            .last()
            .and_then(|c| c.payload.as_object())
            .expect("the last chunk is a JSON object")
    }
}

pub(crate) fn run(m: &Model, body: &str) -> Run {
    let parsed = parse_ok(m, body);
    let max = parsed.request.max_tokens.unwrap_or(m.max_output_tokens);
    let generation = simulator::generate(&parsed.request, max);
    let usage = Usage {
        input: 21,
        output: generation.output_tokens,
        cache_read: 3,
        cache_write: 5,
        ..Usage::default()
    };
    let response = super::response(m, &parsed, &generation, usage);
    let chunks = super::chunks(m, &parsed, &generation, usage);
    let run = Run {
        parsed,
        generation,
        response,
        chunks,
    };
    // Every family: the chunks carry exactly the output tokens, and end on an object.
    assert_eq!(
        run.chunk_tokens(),
        run.generation.output_tokens,
        "chunk tokens of {}",
        m.id
    );
    run.last();
    run
}

/// The text of the generation's text blocks, as the non-streaming response carries it.
pub(crate) fn text_of(g: &Generation) -> String {
    g.text()
}
