//! The files a finished job writes under `<s3Uri>/<invocation id>/`, named and laid out as
//! the real models write them (see the README's "Async invocations and S3" for sources):
//!
//! - Nova Reel: `output.mp4` and `manifest.json`; Nova Reel 1.1 also
//!   `video-generation-status.json`, and for multi-shot jobs `shot_0001.mp4`, ... .
//! - Nova Multimodal Embeddings: `segmented-embedding-result.json`, one
//!   `embedding-<modality>.jsonl` per modality (`embedding-image.json` for an image) and
//!   `manifest.json`.
//! - Marengo Embed 2.7: `output.json`, `{"data": [...]}`.
//!
//! Videos are tiny well-formed MP4 files; embeddings are deterministic unit vectors.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{Value, json};

use super::input::{MarengoItem, NovaItem, Source, Task};
use super::mp4;
use super::store::Job;
use crate::conversation::Fnv;
use crate::faults;

pub(super) struct Output {
    /// The file name under the invocation folder.
    pub name: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Inputs read from S3 before rendering, by `s3://bucket/key`.
pub(super) type Inputs = HashMap<String, Bytes>;

/// How long a medium is assumed to last when its file does not say (only MP4 and MOV
/// headers are read).
const DEFAULT_MEDIA_SECONDS: f64 = 30.0;
const MAX_TEXT_SEGMENTS: usize = 1900;
const MAX_MEDIA_SEGMENTS: usize = 1434;

fn json_file(name: &str, v: &Value) -> Output {
    Output {
        name: name.to_owned(),
        content_type: "application/json",
        body: serde_json::to_vec_pretty(v).unwrap_or_default(),
    }
}

fn jsonl_file(name: &str, lines: &[Value]) -> Output {
    let mut body = Vec::new();
    for l in lines {
        body.extend(serde_json::to_vec(l).unwrap_or_default());
        body.push(b'\n');
    }
    Output {
        name: name.to_owned(),
        content_type: "application/jsonl",
        body,
    }
}

fn bytes_of<'a>(source: &'a Source, inputs: &'a Inputs) -> &'a [u8] {
    match source {
        Source::Bytes(b) => b,
        Source::S3 { .. } => source
            .uri()
            .and_then(|u| inputs.get(&u))
            .map(|b| b.as_ref())
            .unwrap_or_default(),
    }
}

fn media_seconds(bytes: &[u8]) -> f64 {
    mp4::duration_seconds(bytes)
        .filter(|d| *d > 0.0)
        .unwrap_or(DEFAULT_MEDIA_SECONDS)
}

/// A deterministic unit vector: feature-hashed words for text (texts that share words
/// point in similar directions), a seeded walk for anything else.
fn vector(seed_text: &str, dims: usize) -> Vec<f64> {
    let mut v = vec![0.0f64; dims];
    let words: Vec<String> = seed_text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let features: Vec<String> = if words.is_empty() {
        vec![seed_text.to_owned()]
    } else {
        words
    };
    for f in &features {
        let mut h = Fnv::hash(f.as_bytes());
        for _ in 0..8 {
            let sign = if (h >> 40) & 1 == 0 { 1.0 } else { -1.0 };
            v[(h % dims as u64) as usize] += sign;
            h = Fnv::hash(&h.to_le_bytes());
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v.iter().map(|x| (x * 1e6).round() / 1e6).collect()
}

fn media_key(bytes: &[u8]) -> String {
    format!("{:016x}", Fnv::hash(bytes))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Even time segments of `seconds` each over `[start, end)`, at most `max`.
fn time_segments(start: f64, end: f64, seconds: f64, max: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut t = start;
    while t < end - 1e-9 && out.len() < max {
        let e = (t + seconds).min(end);
        out.push((round3(t), round3(e)));
        t = e;
    }
    if out.is_empty() {
        out.push((round3(start), round3(end.max(start))));
    }
    out
}

/// Splits text into segments of at most `max` characters, at word boundaries where it can:
/// (start, end) character positions, end exclusive.
fn text_segments(text: &str, max: usize) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() && out.len() < MAX_TEXT_SEGMENTS {
        let mut end = (start + max).min(chars.len());
        if end < chars.len()
            && let Some(space) = (start + 1..end).rev().find(|&i| chars[i].is_whitespace())
        {
            end = space + 1;
        }
        out.push((start, end));
        start = end;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

/// `manifest.json`: the job, the model's own `details` and the files it wrote.
fn manifest(job: &Job, details: Value, outputs: Vec<Value>) -> Output {
    let mut m = json!({
        "schemaVersion": "1.0",
        "invocationArn": job.arn(),
        "modelId": job.model_id,
    });
    if let (Value::Object(m), Value::Object(details)) = (&mut m, details) {
        m.extend(details);
    }
    m["outputs"] = Value::Array(outputs);
    json_file("manifest.json", &m)
}

/// The outputs of a job that completes.
pub(super) fn completed(job: &Job, task: &Task, inputs: &Inputs) -> Vec<Output> {
    let base = job.output_uri();
    match task {
        Task::Video {
            multi_shot,
            shots,
            fps,
            width,
            height,
            seed,
        } => {
            let v1_1 = job.model_id.ends_with("v1:1");
            let seed_of = |salt: &str| {
                let mut h = Fnv::default();
                h.write(&seed.to_le_bytes());
                h.write(salt.as_bytes());
                for s in shots {
                    h.write(s.text.as_bytes());
                    if let Some(img) = &s.image {
                        h.write(bytes_of(img, inputs));
                    }
                }
                h.finish()
            };
            let video = |seconds: u32, salt: &str| {
                mp4::build(&mp4::Video {
                    seconds,
                    fps: *fps,
                    width: *width,
                    height: *height,
                    seed: seed_of(salt),
                })
            };
            let total = 6 * shots.len() as u32;
            let mut files = vec![Output {
                name: "output.mp4".into(),
                content_type: "video/mp4",
                body: video(total, "full"),
            }];
            let mut shot_status = Vec::new();
            if *multi_shot {
                for i in 1..=shots.len() {
                    let name = format!("shot_{i:04}.mp4");
                    shot_status
                        .push(json!({"status": "SUCCESS", "location": format!("{base}/{name}")}));
                    files.push(Output {
                        name: name.clone(),
                        content_type: "video/mp4",
                        body: video(6, &name),
                    });
                }
            }
            let listing: Vec<Value> = files
                .iter()
                .map(|f| json!({"uri": format!("{base}/{}", f.name), "contentType": f.content_type, "size": f.body.len()}))
                .collect();
            if v1_1 {
                let mut status = json!({
                    "schemaVersion": "1.0",
                    "fullVideo": {"status": "SUCCESS", "location": format!("{base}/output.mp4")},
                });
                if *multi_shot {
                    status["shots"] = json!(shot_status);
                }
                files.push(json_file("video-generation-status.json", &status));
            }
            let details = json!({
                "durationSeconds": total,
                "fps": fps,
                "dimension": format!("{width}x{height}"),
            });
            files.push(manifest(job, details, listing));
            files
        }
        Task::NovaEmbed { dimension, item } => nova_embed(job, *dimension, item, inputs),
        Task::Marengo(item) => vec![json_file(
            "output.json",
            &json!({"data": marengo(item, inputs)}),
        )],
    }
}

fn nova_embed(job: &Job, dims: usize, item: &NovaItem, inputs: &Inputs) -> Vec<Output> {
    let base = job.output_uri();
    let mut results = Vec::new();
    let mut files = Vec::new();
    for e in nova_embeddings(dims, item, inputs) {
        results.push(json!({
            "embeddingType": e.kind,
            "status": "SUCCESS",
            "outputFileUri": format!("{base}/{}", e.name),
        }));
        files.push(match &e.lines[..] {
            [line] if e.single => json_file(e.name, line),
            lines => jsonl_file(e.name, lines),
        });
    }
    let source_uri = match item {
        NovaItem::Text { source, .. } => source.as_ref().and_then(Source::uri),
        NovaItem::Image { source }
        | NovaItem::Audio { source, .. }
        | NovaItem::Video { source, .. } => source.uri(),
    };
    let mut result = json!({"embeddingDimension": dims, "embeddingResults": results});
    if let Some(uri) = source_uri {
        result["sourceFileUri"] = json!(uri);
    }
    let listing: Vec<Value> = files
        .iter()
        .map(|f| json!({"uri": format!("{base}/{}", f.name), "size": f.body.len()}))
        .collect();
    files.push(json_file("segmented-embedding-result.json", &result));
    files.push(manifest(job, json!({}), listing));
    files
}

/// One embedding file of a Nova job: the embedding type, the file name and its lines
/// (written as one JSON document when `single`, else as JSON Lines).
struct Embeddings {
    kind: &'static str,
    name: &'static str,
    lines: Vec<Value>,
    single: bool,
}

/// The embedding files of a Nova item: text by character segments, an image whole,
/// audio and video by time segments (video as one combined or two separate files).
fn nova_embeddings(dims: usize, item: &NovaItem, inputs: &Inputs) -> Vec<Embeddings> {
    match item {
        NovaItem::Text {
            value,
            source,
            max_chars,
        } => {
            let text = match (value, source) {
                (Some(v), _) => v.clone(),
                (None, Some(s)) => String::from_utf8_lossy(bytes_of(s, inputs)).into_owned(),
                (None, None) => String::new(),
            };
            vec![text_embeddings(&text, *max_chars, dims)]
        }
        NovaItem::Image { source } => {
            let key = media_key(bytes_of(source, inputs));
            let line = json!({
                "embedding": vector(&format!("image {key}"), dims),
                "segmentMetadata": {"segmentIndex": 0},
                "status": "SUCCESS",
            });
            vec![Embeddings {
                kind: "IMAGE",
                name: "embedding-image.json",
                lines: vec![line],
                single: true,
            }]
        }
        NovaItem::Audio {
            source,
            segment_seconds,
        }
        | NovaItem::Video {
            source,
            segment_seconds,
            ..
        } => {
            let kinds: &[(&'static str, &'static str)] = match item {
                NovaItem::Audio { .. } => &[("AUDIO", "embedding-audio.jsonl")],
                NovaItem::Video { combined: true, .. } => {
                    &[("AUDIO_VIDEO_COMBINED", "embedding-audio-video.jsonl")]
                }
                _ => &[
                    ("VIDEO", "embedding-video.jsonl"),
                    ("AUDIO", "embedding-audio.jsonl"),
                ],
            };
            let bytes = bytes_of(source, inputs);
            kinds
                .iter()
                .map(|&(kind, name)| media_embeddings(kind, name, bytes, *segment_seconds, dims))
                .collect()
        }
    }
}

/// A text's embeddings, one line per segment of at most `max_chars` characters.
fn text_embeddings(text: &str, max_chars: usize, dims: usize) -> Embeddings {
    let chars: Vec<char> = text.chars().collect();
    let lines = text_segments(text, max_chars)
        .into_iter()
        .enumerate()
        .map(|(i, (s, e))| {
            let segment: String = chars[s..e].iter().collect();
            json!({
                "embedding": vector(&faults::strip_directives(&segment), dims),
                "segmentMetadata": {
                    "segmentIndex": i,
                    "segmentStartCharPosition": s,
                    "segmentEndCharPosition": e,
                },
                "status": "SUCCESS",
            })
        })
        .collect();
    Embeddings {
        kind: "TEXT",
        name: "embedding-text.jsonl",
        lines,
        single: false,
    }
}

/// One modality of a medium's embeddings, one line per segment of `segment_seconds`.
fn media_embeddings(
    kind: &'static str,
    name: &'static str,
    bytes: &[u8],
    segment_seconds: f64,
    dims: usize,
) -> Embeddings {
    let key = media_key(bytes);
    let segments = time_segments(
        0.0,
        media_seconds(bytes),
        segment_seconds,
        MAX_MEDIA_SEGMENTS,
    );
    let lines = segments
        .iter()
        .enumerate()
        .map(|(i, (s, e))| {
            json!({
                "embedding": vector(&format!("{kind} {key} {i}"), dims),
                "segmentMetadata": {
                    "segmentIndex": i,
                    "segmentStartSeconds": s,
                    "segmentEndSeconds": e,
                },
                "status": "SUCCESS",
            })
        })
        .collect();
    Embeddings {
        kind,
        name,
        lines,
        single: false,
    }
}

const MARENGO_DIMS: usize = 1024;

fn marengo(item: &MarengoItem, inputs: &Inputs) -> Vec<Value> {
    match item {
        MarengoItem::Text(t) => {
            vec![json!({"embedding": vector(&faults::strip_directives(t), MARENGO_DIMS)})]
        }
        MarengoItem::Image(s) => {
            let key = media_key(bytes_of(s, inputs));
            vec![json!({"embedding": vector(&format!("image {key}"), MARENGO_DIMS)})]
        }
        MarengoItem::Media {
            video,
            source,
            start,
            length,
            clip,
            options,
        } => {
            let bytes = bytes_of(source, inputs);
            let key = media_key(bytes);
            let total = media_seconds(bytes);
            let start = start.min(total);
            let end = length.map_or(total, |l| (start + l).min(total));
            let span = (end - start).max(0.0);
            // Video without a fixed length is cut at (simulated) shot boundaries every six
            // seconds; audio into even segments as close to ten seconds as possible.
            let seconds = clip.unwrap_or(if *video {
                6.0
            } else {
                span / (span / 10.0).round().max(1.0)
            });
            let segments = time_segments(start, end, seconds.max(0.001), MAX_MEDIA_SEGMENTS);
            let opts: Vec<&str> = if *video {
                options.iter().map(String::as_str).collect()
            } else {
                vec!["audio"]
            };
            let mut out = Vec::new();
            for (s, e) in segments {
                for o in &opts {
                    let mut v = json!({
                        "embedding": vector(&format!("{o} {key} {s}"), MARENGO_DIMS),
                        "startSec": s,
                        "endSec": e,
                    });
                    if *video {
                        v["embeddingOption"] = json!(o);
                    }
                    out.push(v);
                }
            }
            out
        }
    }
}

/// What a failed job leaves behind: Nova Reel 1.1 reports the failure in its status file;
/// the other models write nothing.
pub(super) fn failed(job: &Job, task: Option<&Task>, message: &str) -> Vec<Output> {
    let Some(Task::Video {
        multi_shot, shots, ..
    }) = task
    else {
        return Vec::new();
    };
    if !job.model_id.ends_with("v1:1") {
        return Vec::new();
    }
    let mut status = json!({
        "schemaVersion": "1.0",
        "fullVideo": {"status": "FAILURE", "failureMessage": message},
    });
    if *multi_shot {
        status["shots"] = json!(
            shots
                .iter()
                .map(|_| json!({"status": "FAILURE", "failureMessage": message}))
                .collect::<Vec<_>>()
        );
    }
    vec![json_file("video-generation-status.json", &status)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_segments_break_at_words_and_cover_the_text() {
        let text = "alpha beta gamma delta";
        let segs = text_segments(text, 11);
        assert_eq!(segs, vec![(0, 11), (11, 22)]);
        assert_eq!(text_segments("", 800), vec![(0, 0)]);
    }

    #[test]
    fn time_segments_cover_the_span() {
        assert_eq!(
            time_segments(0.0, 12.0, 5.0, 100),
            vec![(0.0, 5.0), (5.0, 10.0), (10.0, 12.0)]
        );
        assert_eq!(time_segments(0.0, 100.0, 1.0, 3).len(), 3);
    }

    #[test]
    fn vectors_are_deterministic_unit_vectors_and_similar_for_shared_words() {
        let a = vector("a dog runs in the park", 256);
        assert_eq!(a, vector("a dog runs in the park", 256));
        let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3);
        let cos = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
        let near = cos(&a, &vector("the dog runs in a park", 256));
        let far = cos(&a, &vector("quarterly revenue forecast spreadsheet", 256));
        assert!(near > far + 0.5, "{near} vs {far}");
    }
}
