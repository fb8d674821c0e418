//! Token accounting of the simulated model: one real BPE tokenizer (cl100k) behind
//! every count the endpoint reports, so CountTokens, `usage` and token headers agree.

use super::cl100k;
use super::conversation::{Block, Fnv, Request, Role};
use super::media::{Document, Image, Source, Video};

/// Tokens in a piece of text.
pub fn count(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    let mut n = 0u32;
    cl100k::get().encode(text, |_| n = n.saturating_add(1));
    n
}

/// Splits text into pieces of whole tokens, each a valid UTF-8 string, with the
/// number of tokens in each piece (more than one where a character spans tokens).
pub(crate) fn pieces(text: &str) -> Vec<(String, u32)> {
    let bpe = cl100k::get();
    let mut out = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_tokens = 0;
    bpe.encode(text, |rank| {
        pending.extend_from_slice(bpe.token(rank));
        pending_tokens += 1;
        if let Ok(s) = std::str::from_utf8(&pending) {
            out.push((s.to_owned(), pending_tokens));
            pending.clear();
            pending_tokens = 0;
        }
    });
    if !pending.is_empty() {
        out.push((
            String::from_utf8_lossy(&pending).into_owned(),
            pending_tokens,
        ));
    }
    out
}

/// Fixed framing cost per message, as chat templates add role markers.
const PER_MESSAGE: u32 = 4;

/// An image's tokens, by Anthropic's published rule: an image larger than 1568 pixels
/// on its long side, or than 1,200,000 pixels (1,600 tokens) in area, is first scaled
/// down, keeping its aspect ratio, until it fits both (each side rounded down); it then
/// costs `ceil(width × height / 750)` tokens. An image whose size could not be read
/// from its header (or an S3 object not read) costs the most a scaled image can: 1,600.
pub(crate) fn image(img: &Image) -> u32 {
    match img.dims.filter(|(w, h)| *w > 0 && *h > 0) {
        Some((w, h)) => image_tokens(w, h),
        None => 1_600,
    }
}

/// The tokens of a `w`×`h` image by the rule of [`image`]; the app's chips show it.
pub fn image_tokens(w: u32, h: u32) -> u32 {
    const LONG_SIDE: f64 = 1568.0;
    const MAX_PIXELS: f64 = 1_200_000.0;
    let (w, h) = (f64::from(w.max(1)), f64::from(h.max(1)));
    let scale = (LONG_SIDE / w.max(h))
        .min((MAX_PIXELS / (w * h)).sqrt())
        .min(1.0);
    let (w, h) = ((w * scale).floor().max(1.0), (h * scale).floor().max(1.0));
    (w * h / 750.0).ceil() as u32
}

/// Tokens of each second of video: Amazon Nova samples one frame a second, and
/// documents about 288 tokens a frame (2,880 tokens for 10 seconds).
const PER_VIDEO_FRAME: u32 = 288;
/// Nova samples at most 960 frames: a video longer than 16 minutes is sampled more
/// sparsely, for the same total.
const MAX_VIDEO_FRAMES: f64 = 960.0;
/// Bytes per second assumed for a video whose length its header does not tell
/// (formats other than MP4 and MOV): about 2 Mbit/s.
const VIDEO_BYTES_PER_SECOND: f64 = 250_000.0;
/// Length assumed for a video known only by its S3 location.
const UNKNOWN_VIDEO_SECONDS: f64 = 10.0;

/// A video's tokens: one frame a second of its length (from its MP4/MOV header, else
/// estimated from its size), at least one frame and at most 960, 288 tokens a frame.
pub(crate) fn video(v: &Video) -> u32 {
    let seconds = match v.seconds {
        Some(s) => s,
        None if v.size > 0 => v.size as f64 / VIDEO_BYTES_PER_SECOND,
        None => UNKNOWN_VIDEO_SECONDS,
    };
    let frames = seconds.ceil().clamp(1.0, MAX_VIDEO_FRAMES) as u32;
    frames * PER_VIDEO_FRAME
}

/// Tokens of each page of a PDF on top of its text, for the page's layout.
const PER_PDF_PAGE: u32 = 100;

/// Input tokens of a request, split at its last cache point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputTokens {
    /// Tokens up to the last cache point: what a prompt cache can hold.
    pub prefix: u32,
    pub rest: u32,
    /// Identifies the prefix's content, for looking it up in a prompt cache.
    pub(crate) prefix_key: u64,
}

impl InputTokens {
    pub fn total(&self) -> u32 {
        self.prefix + self.rest
    }
}

/// A prompt-cache checkpoint: the tokens before it and a digest of their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub tokens: u32,
    pub key: u64,
}

/// Running total of input tokens and a digest of the content counted so far.
#[derive(Default)]
struct Tally {
    total: u32,
    key: Fnv,
    points: Vec<Checkpoint>,
}

impl Tally {
    fn add(&mut self, text: &str) {
        self.key.write(text.as_bytes());
        self.total = self.total.saturating_add(count(text));
    }

    fn add_fixed(&mut self, tokens: u32, tag: &str) {
        self.key.write(tag.as_bytes());
        self.total = self.total.saturating_add(tokens);
    }

    fn cache_point(&mut self) {
        self.points.push(Checkpoint {
            tokens: self.total,
            key: self.key.finish(),
        });
    }
}

/// What a document costs: its name, its context and its text (what the model reads: a
/// PDF's extracted text), and a PDF 100 tokens a page more.
fn document(d: &Document) -> u32 {
    [
        Some(d.name.as_str()),
        d.context.as_deref(),
        Some(d.text.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(count)
    .fold(0, u32::saturating_add)
    .saturating_add(PER_PDF_PAGE.saturating_mul(d.pages() as u32))
}

/// The input tokens one attachment of `bytes` adds to a request, as [`input`] counts
/// it; `kind` is `image`, `video` or `document` (a document named `name`). The app
/// shows it on the attachment's chip.
pub fn attachment(kind: &str, format: &str, name: &str, bytes: &[u8]) -> u32 {
    let source = Source::Bytes {
        encoded: bytes.len().div_ceil(3) * 4,
    };
    match kind {
        "image" => image(&Image::new(format, source, bytes)),
        "video" => video(&Video::new(format, source, bytes)),
        _ => document(&Document::bytes(name, Some(format), source, bytes)),
    }
}

pub(crate) fn input(req: &Request) -> InputTokens {
    let t = tally(req);
    let last = t
        .points
        .last()
        .copied()
        .unwrap_or(Checkpoint { tokens: 0, key: 0 });
    InputTokens {
        prefix: last.tokens,
        rest: t.total - last.tokens,
        prefix_key: last.key,
    }
}

/// Every cache point of a request, in the order the service reads them (tools, system,
/// messages), with the tokens before it.
pub(crate) fn checkpoints(req: &Request) -> Vec<Checkpoint> {
    tally(req).points
}

fn tally(req: &Request) -> Tally {
    let mut t = Tally::default();
    // Tools come first, as the service lays a prompt out for its cache.
    for (i, tool) in req.tools.iter().enumerate() {
        for _ in req.tool_cache_points.iter().filter(|&&at| at == i) {
            t.cache_point();
        }
        t.add(&tool.name);
        t.add(&tool.description);
        t.add(&tool.schema.to_string());
    }
    for _ in req
        .tool_cache_points
        .iter()
        .filter(|&&at| at >= req.tools.len())
    {
        t.cache_point();
    }
    for piece in &req.system {
        match piece {
            Some(text) => t.add(text),
            None => t.cache_point(),
        }
    }
    for m in &req.messages {
        t.add_fixed(
            PER_MESSAGE,
            if m.role == Role::User {
                "user"
            } else {
                "assistant"
            },
        );
        for b in &m.blocks {
            match b {
                Block::Text(s) | Block::GuardContent(s) | Block::Reasoning { text: s } => t.add(s),
                Block::Image(img) => t.add_fixed(
                    image(img),
                    &format!("image:{}:{}:{:?}", img.format, img.size, img.dims),
                ),
                Block::Video(v) => t.add_fixed(
                    video(v),
                    &format!("video:{}:{}:{:?}", v.format, v.size, v.source),
                ),
                Block::Document(d) => t.add_fixed(
                    document(d),
                    &format!("document:{}:{:?}:{}", d.name, d.context, d.text),
                ),
                Block::ToolUse { name, input, .. } => {
                    t.add(name);
                    t.add(&input.to_string());
                }
                Block::ToolResult { content, .. } => t.add(content),
                Block::CachePoint => t.cache_point(),
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rebuild_the_text_and_sum_to_the_count() {
        let text = "Héllo, wörld! 日本語のテキスト 🦀 fn main() {}";
        let p = pieces(text);
        assert_eq!(p.iter().map(|(s, _)| s.as_str()).collect::<String>(), text);
        assert_eq!(p.iter().map(|(_, n)| n).sum::<u32>(), count(text));
        assert!(p.len() > 5);
    }
}
