//! What a StartAsyncInvoke `modelInput` asks each async-capable model for, checked the
//! way the service checks it before accepting the job (violations are a
//! ValidationException at start, in the "Malformed input request: #/path: ..." form of
//! the model's JSON schema), and turned into a [`Task`] the runner can carry out.

use base64::Engine;
use bedrock_catalog::{Family, Model};
use serde_json::Value;

use crate::error::ServiceError;
use crate::native::doc::{Doc, Result};
use crate::native::embed::nova_params;
use crate::tokens;

/// Where a media input comes from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    Bytes(Vec<u8>),
    S3 { bucket: String, key: String },
}

impl Source {
    pub(super) fn uri(&self) -> Option<String> {
        match self {
            Source::S3 { bucket, key } => Some(format!("s3://{bucket}/{key}")),
            Source::Bytes(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shot {
    pub text: String,
    pub image: Option<Source>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Task {
    /// Nova Reel: one six-second shot (`TEXT_VIDEO`) or several (`MULTI_SHOT_*`).
    Video {
        multi_shot: bool,
        shots: Vec<Shot>,
        fps: u32,
        width: u32,
        height: u32,
        seed: u64,
    },
    /// Nova Multimodal Embeddings, `SEGMENTED_EMBEDDING`.
    NovaEmbed { dimension: usize, item: NovaItem },
    /// TwelveLabs Marengo Embed 2.7.
    Marengo(MarengoItem),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NovaItem {
    Text {
        value: Option<String>,
        source: Option<Source>,
        max_chars: usize,
    },
    Image {
        source: Source,
    },
    Audio {
        source: Source,
        segment_seconds: f64,
    },
    Video {
        source: Source,
        segment_seconds: f64,
        combined: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum MarengoItem {
    Text(String),
    Image(Source),
    Media {
        video: bool,
        source: Source,
        start: f64,
        length: Option<f64>,
        clip: Option<f64>,
        options: Vec<String>,
    },
}

impl Task {
    /// The S3 objects the job reads when it runs.
    pub(super) fn inputs(&self) -> Vec<&Source> {
        let mut out = Vec::new();
        match self {
            Task::Video { shots, .. } => out.extend(shots.iter().filter_map(|s| s.image.as_ref())),
            Task::NovaEmbed { item, .. } => match item {
                NovaItem::Text { source, .. } => out.extend(source.as_ref()),
                NovaItem::Image { source }
                | NovaItem::Audio { source, .. }
                | NovaItem::Video { source, .. } => out.push(source),
            },
            Task::Marengo(m) => match m {
                MarengoItem::Text(_) => {}
                MarengoItem::Image(s) | MarengoItem::Media { source: s, .. } => out.push(s),
            },
        }
        out.retain(|s| matches!(s, Source::S3 { .. }));
        out
    }
}

/// Parses `s3://bucket/key` as the models' `s3Location.uri` takes it.
pub(super) fn s3_object(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_owned(), key.to_owned()))
}

/// `{"bytes": base64}` or `{"s3Location": {"uri": ..., "bucketOwner": ...}}`.
fn source(doc: &Doc, bytes_key: &str, allow_bytes: bool) -> Result<Source> {
    let has_bytes = doc.get(bytes_key).is_some();
    let has_s3 = doc.get("s3Location").is_some();
    if has_bytes == has_s3 {
        return Err(doc.err_here(format!(
            "exactly one of [{bytes_key}, s3Location] is required"
        )));
    }
    if has_bytes {
        if !allow_bytes {
            return Err(ServiceError::validation(
                "Asynchronous invocations accept media only from Amazon S3. Provide the input with source.s3Location.",
            ));
        }
        doc.keys(&[bytes_key], &[])?;
        let b64 = doc.req_str(bytes_key)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| doc.err(bytes_key, "the value is not valid base64"))?;
        return Ok(Source::Bytes(bytes));
    }
    doc.keys(&["s3Location"], &[])?;
    let loc = doc.req_child("s3Location")?;
    loc.keys(&["uri"], &["bucketOwner"])?;
    let uri = loc.req_str("uri")?;
    let (bucket, key) = s3_object(uri).ok_or_else(|| {
        loc.err(
            "uri",
            format!("{uri} is not an S3 object URI (s3://bucket/key)"),
        )
    })?;
    if let Some(owner) = loc.str("bucketOwner")?
        && !(owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(loc.err("bucketOwner", "expected a 12-digit AWS account ID"));
    }
    Ok(Source::S3 { bucket, key })
}

/// Parses and checks a model input for `model`.
pub(super) fn task(model: &Model, input: &Value) -> Result<Task> {
    let doc = Doc::root(input)?;
    match model.family {
        Family::NovaReel => reel(model, &doc),
        Family::NovaEmbed => nova_embed(&doc),
        Family::MarengoEmbed => marengo(&doc),
        _ => Err(ServiceError::validation(format!(
            "The model {} doesn't support async inference. Use a model that supports async inference and try again.",
            model.id
        ))),
    }
}

const DIMENSION: &str = "1280x720";
const FPS: u64 = 24;
const SHOT_SECONDS: u32 = 6;

fn reel_image(doc: &Doc) -> Result<Source> {
    doc.keys(&["format", "source"], &[])?;
    doc.one_of("format", &["png", "jpeg"])?;
    source(&doc.req_child("source")?, "bytes", true)
}

fn reel(model: &Model, doc: &Doc) -> Result<Task> {
    let v1_1 = model.id.ends_with("v1:1");
    let kinds: &[&str] = if v1_1 {
        &["TEXT_VIDEO", "MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL"]
    } else {
        &["TEXT_VIDEO"]
    };
    let kind = doc
        .one_of("taskType", kinds)?
        .ok_or_else(|| doc.missing("taskType"))?;
    let params = match kind {
        "TEXT_VIDEO" => "textToVideoParams",
        "MULTI_SHOT_AUTOMATED" => "multiShotAutomatedParams",
        _ => "multiShotManualParams",
    };
    doc.keys(&["taskType", params], &["videoGenerationConfig"])?;
    let p = doc.req_child(params)?;
    let (seed, duration) = reel_config(doc, kind)?;
    let shots = match kind {
        "TEXT_VIDEO" => vec![text_video_shot(&p, duration)?],
        "MULTI_SHOT_AUTOMATED" => automated_shots(&p, duration)?,
        _ => manual_shots(&p)?,
    };
    Ok(Task::Video {
        multi_shot: kind != "TEXT_VIDEO",
        shots,
        fps: FPS as u32,
        width: 1280,
        height: 720,
        seed,
    })
}

const CONFIG_PATH: &str = "#/videoGenerationConfig";

/// The seed and, for the task types that take one, the duration of a Reel job's
/// `videoGenerationConfig`; fps and dimension may only be the ones Reel makes.
fn reel_config(doc: &Doc, kind: &str) -> Result<(u64, Option<u64>)> {
    let Some(c) = doc.child("videoGenerationConfig")? else {
        return Ok((42, None));
    };
    let takes_duration = kind != "MULTI_SHOT_MANUAL";
    let mut optional = vec!["fps", "dimension", "seed"];
    if takes_duration {
        optional.push("durationSeconds");
    }
    c.keys(&[], &optional)?;
    if let Some(fps) = c.int("fps", 0, u64::from(u32::MAX))?
        && fps != FPS
    {
        return Err(c.err("fps", format!("{fps} is not a valid enum value")));
    }
    c.one_of("dimension", &[DIMENSION])?;
    let seed = c.int("seed", 0, 2_147_483_646)?.unwrap_or(42);
    let duration = if takes_duration {
        c.int("durationSeconds", 0, u64::from(u32::MAX))?
    } else {
        None
    };
    Ok((seed, duration))
}

/// `TEXT_VIDEO`: one six-second shot, from a text and at most one image.
fn text_video_shot(p: &Doc, duration: Option<u64>) -> Result<Shot> {
    p.keys(&["text"], &["images"])?;
    let text = p.text("text", 1, 512)?;
    let images = p.items("images")?;
    if images.len() > 1 {
        return Err(p.err(
            "images",
            format!("expected maxItems: 1, actual: {}", images.len()),
        ));
    }
    if let Some(d) = duration
        && d != u64::from(SHOT_SECONDS)
    {
        return Err(ServiceError::malformed(format!(
            "{CONFIG_PATH}/durationSeconds: {d} is not a valid enum value"
        )));
    }
    Ok(Shot {
        text: text.to_owned(),
        image: images.first().map(reel_image).transpose()?,
    })
}

/// `MULTI_SHOT_AUTOMATED`: one text, as many six-second shots as the duration holds.
fn automated_shots(p: &Doc, duration: Option<u64>) -> Result<Vec<Shot>> {
    p.keys(&["text"], &[])?;
    let text = p.text("text", 1, 4000)?;
    let d = duration.ok_or_else(|| {
        ServiceError::malformed(format!(
            "{CONFIG_PATH}: required key [durationSeconds] not found"
        ))
    })?;
    if !(12..=120).contains(&d) || d % u64::from(SHOT_SECONDS) != 0 {
        return Err(ServiceError::malformed(format!(
            "{CONFIG_PATH}/durationSeconds: {d} is not a multiple of 6 between 12 and 120"
        )));
    }
    Ok((0..d / u64::from(SHOT_SECONDS))
        .map(|i| Shot {
            text: format!("{text} (shot {})", i + 1),
            image: None,
        })
        .collect())
}

/// `MULTI_SHOT_MANUAL`: 1 to 20 shots, each a text and an optional image.
fn manual_shots(p: &Doc) -> Result<Vec<Shot>> {
    p.keys(&["shots"], &[])?;
    if !p.has("shots") {
        return Err(p.missing("shots"));
    }
    let shots = p.items("shots")?;
    if shots.is_empty() || shots.len() > 20 {
        return Err(p.err(
            "shots",
            format!("expected between 1 and 20 items, actual: {}", shots.len()),
        ));
    }
    shots
        .iter()
        .map(|s| {
            s.keys(&["text"], &["image"])?;
            Ok(Shot {
                text: s.text("text", 1, 512)?.to_owned(),
                image: s.child("image")?.as_ref().map(reel_image).transpose()?,
            })
        })
        .collect()
}

fn segment_seconds(item: &Doc) -> Result<f64> {
    let seg = item.req_child("segmentationConfig")?;
    seg.keys(&[], &["durationSeconds"])?;
    Ok(seg.int("durationSeconds", 1, 30)?.unwrap_or(5) as f64)
}

fn nova_embed(doc: &Doc) -> Result<Task> {
    doc.keys(
        &["taskType", "segmentedEmbeddingParams"],
        &["schemaVersion", "singleEmbeddingParams"],
    )?;
    doc.one_of("schemaVersion", &["nova-multimodal-embed-v1"])?;
    if doc.one_of("taskType", &["SINGLE_EMBEDDING", "SEGMENTED_EMBEDDING"])?
        == Some("SINGLE_EMBEDDING")
    {
        return Err(ServiceError::validation(
            "SINGLE_EMBEDDING is only supported with InvokeModel. Use SEGMENTED_EMBEDDING with StartAsyncInvoke.",
        ));
    }
    let (dimension, kind, item) = nova_params(&doc.req_child("segmentedEmbeddingParams")?)?;
    let item = match kind {
        "text" => {
            item.keys(
                &["truncationMode", "segmentationConfig"],
                &["value", "source"],
            )?;
            item.one_of("truncationMode", &["START", "END", "NONE"])?;
            let value = item.str("value")?;
            let src = item.child("source")?;
            if value.is_some() == src.is_some() {
                return Err(item.err_here("exactly one of [value, source] is required"));
            }
            if let Some(v) = value {
                let n = v.chars().count();
                if n == 0 || n > 8192 {
                    return Err(item.err(
                        "value",
                        format!("expected length between 1 and 8192, actual: {n}"),
                    ));
                }
            }
            let seg = item.req_child("segmentationConfig")?;
            seg.keys(&[], &["maxLengthChars"])?;
            let max_chars = seg.int("maxLengthChars", 800, 50_000)?.unwrap_or(32_000) as usize;
            NovaItem::Text {
                value: value.map(str::to_owned),
                source: src
                    .as_ref()
                    .map(|s| source(s, "bytes", false))
                    .transpose()?,
                max_chars,
            }
        }
        "image" => {
            item.keys(&["format", "source"], &["detailLevel"])?;
            item.one_of("format", &["png", "jpeg", "gif", "webp"])?;
            item.one_of("detailLevel", &["STANDARD_IMAGE", "DOCUMENT_IMAGE"])?;
            NovaItem::Image {
                source: source(&item.req_child("source")?, "bytes", false)?,
            }
        }
        "audio" => {
            item.keys(&["format", "source", "segmentationConfig"], &[])?;
            item.one_of("format", &["mp3", "wav", "ogg"])?;
            NovaItem::Audio {
                source: source(&item.req_child("source")?, "bytes", false)?,
                segment_seconds: segment_seconds(&item)?,
            }
        }
        _ => {
            item.keys(
                &["format", "source", "embeddingMode", "segmentationConfig"],
                &[],
            )?;
            item.one_of(
                "format",
                &[
                    "mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp",
                ],
            )?;
            let mode = item.one_of(
                "embeddingMode",
                &["AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"],
            )?;
            NovaItem::Video {
                source: source(&item.req_child("source")?, "bytes", false)?,
                segment_seconds: segment_seconds(&item)?,
                combined: mode == Some("AUDIO_VIDEO_COMBINED"),
            }
        }
    };
    Ok(Task::NovaEmbed {
        dimension: dimension as usize,
        item,
    })
}

const MARENGO_OPTIONS: [&str; 3] = ["visual-text", "visual-image", "audio"];
const MARENGO_MAX_TOKENS: u32 = 77;

fn marengo(doc: &Doc) -> Result<Task> {
    let kind = doc
        .one_of("inputType", &["video", "text", "audio", "image"])?
        .ok_or_else(|| doc.missing("inputType"))?;
    let media_source = |doc: &Doc| -> Result<Source> {
        source(&doc.req_child("mediaSource")?, "base64String", true)
    };
    let item = match kind {
        "text" => {
            doc.keys(&["inputType", "inputText"], &["textTruncate"])?;
            let text = doc.text("inputText", 1, usize::MAX)?;
            let truncate = doc
                .one_of("textTruncate", &["end", "none"])?
                .unwrap_or("end");
            let n = tokens::count(text);
            if truncate == "none" && n > MARENGO_MAX_TOKENS {
                return Err(ServiceError::validation(format!(
                    "The input text is {n} tokens long, more than the model's limit of {MARENGO_MAX_TOKENS} tokens. Shorten it or set textTruncate to \"end\"."
                )));
            }
            MarengoItem::Text(text.to_owned())
        }
        "image" => {
            doc.keys(&["inputType", "mediaSource"], &[])?;
            MarengoItem::Image(media_source(doc)?)
        }
        _ => {
            let video = kind == "video";
            let optional: &[&str] = if video {
                &[
                    "startSec",
                    "lengthSec",
                    "useFixedLengthSec",
                    "minClipSec",
                    "embeddingOption",
                ]
            } else {
                &["startSec", "lengthSec", "useFixedLengthSec"]
            };
            doc.keys(&["inputType", "mediaSource"], optional)?;
            let start = doc.num("startSec", 0.0, f64::MAX)?.unwrap_or(0.0);
            let length = doc.num("lengthSec", 0.0, f64::MAX)?;
            let clip = doc.num("useFixedLengthSec", 2.0, 10.0)?;
            let min_clip = doc.int("minClipSec", 1, 5)?;
            if let (Some(c), Some(m)) = (clip, min_clip)
                && c < m as f64
            {
                return Err(doc.err(
                    "useFixedLengthSec",
                    format!("{c} is less than minClipSec {m}"),
                ));
            }
            let options = match doc.get("embeddingOption") {
                None => MARENGO_OPTIONS.iter().map(|s| (*s).to_owned()).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| doc.err("embeddingOption", "expected a list of strings"))?,
                Some(v) => return Err(doc.type_err("embeddingOption", "JSONArray", v)),
            };
            if options.is_empty() {
                return Err(doc.err("embeddingOption", "expected minItems: 1, actual: 0"));
            }
            if let Some(bad) = options
                .iter()
                .find(|o| !MARENGO_OPTIONS.contains(&o.as_str()))
            {
                return Err(doc.err(
                    "embeddingOption",
                    format!("{bad} is not a valid enum value"),
                ));
            }
            MarengoItem::Media {
                video,
                source: media_source(doc)?,
                start,
                length,
                clip,
                options,
            }
        }
    };
    Ok(Task::Marengo(item))
}

/// Every string in a model input: where `[[fault:...]]` directives are looked for.
pub(super) fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Catalog;
    use serde_json::json;

    use super::*;

    fn model(id: &str) -> &'static Model {
        Catalog::builtin().get(id).unwrap()
    }

    fn err(id: &str, input: Value) -> String {
        task(model(id), &input).unwrap_err().message
    }

    #[test]
    fn reel_text_video_and_its_limits() {
        let ok = json!({"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "a red fox"},
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 7}});
        match task(model("amazon.nova-reel-v1:0"), &ok).unwrap() {
            Task::Video {
                shots,
                seed,
                multi_shot,
                ..
            } => {
                assert_eq!((shots.len(), seed, multi_shot), (1, 7, false));
            }
            other => panic!("{other:?}"),
        }
        let mut bad = ok.clone();
        bad["videoGenerationConfig"]["durationSeconds"] = json!(12);
        assert!(
            err("amazon.nova-reel-v1:0", bad).contains("#/videoGenerationConfig/durationSeconds")
        );
        let mut long = ok.clone();
        long["textToVideoParams"]["text"] = json!("x".repeat(513));
        assert!(err("amazon.nova-reel-v1:0", long).contains("expected maxLength: 512"));
        let multi = json!({"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "city"},
            "videoGenerationConfig": {"durationSeconds": 18}});
        assert!(err("amazon.nova-reel-v1:0", multi.clone()).contains("not a valid enum value"));
        match task(model("amazon.nova-reel-v1:1"), &multi).unwrap() {
            Task::Video {
                shots, multi_shot, ..
            } => assert_eq!((shots.len(), multi_shot), (3, true)),
            other => panic!("{other:?}"),
        }
        let mut odd = multi.clone();
        odd["videoGenerationConfig"]["durationSeconds"] = json!(13);
        assert!(err("amazon.nova-reel-v1:1", odd).contains("multiple of 6"));
        let manual = json!({"taskType": "MULTI_SHOT_MANUAL", "multiShotManualParams": {"shots": [
            {"text": "one"}, {"text": "two", "image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/i.png"}}}}]}});
        let t = task(model("amazon.nova-reel-v1:1"), &manual).unwrap();
        assert_eq!(
            t.inputs(),
            vec![&Source::S3 {
                bucket: "b".into(),
                key: "i.png".into()
            }]
        );
    }

    #[test]
    fn nova_embeddings_take_segmented_s3_inputs() {
        let ok = json!({"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256,
            "video": {"format": "mp4", "embeddingMode": "AUDIO_VIDEO_SEPARATE",
                "source": {"s3Location": {"uri": "s3://media/clip.mp4"}},
                "segmentationConfig": {"durationSeconds": 10}}}});
        let id = "amazon.nova-2-multimodal-embeddings-v1:0";
        assert!(matches!(
            task(model(id), &ok).unwrap(),
            Task::NovaEmbed { dimension: 256, .. }
        ));
        let mut single = ok.clone();
        single["taskType"] = json!("SINGLE_EMBEDDING");
        assert!(err(id, single).contains("only supported with InvokeModel"));
        let mut inline = ok.clone();
        inline["segmentedEmbeddingParams"]["video"]["source"] = json!({"bytes": "AAAA"});
        assert!(err(id, inline).contains("only from Amazon S3"));
        let mut seg = ok.clone();
        seg["segmentedEmbeddingParams"]["video"]["segmentationConfig"]["durationSeconds"] =
            json!(31);
        assert!(err(id, seg).contains("durationSeconds: 31 is not less or equal to 30"));
    }

    #[test]
    fn marengo_inputs() {
        let id = "twelvelabs.marengo-embed-2-7-v1:0";
        let text = json!({"inputType": "text", "inputText": "man walking a dog"});
        assert_eq!(
            task(model(id), &text).unwrap(),
            Task::Marengo(MarengoItem::Text("man walking a dog".into()))
        );
        let video = json!({"inputType": "video", "mediaSource": {"s3Location": {"uri": "s3://m/v.mp4", "bucketOwner": "123456789012"}},
            "useFixedLengthSec": 5, "embeddingOption": ["visual-text", "audio"]});
        assert!(matches!(
            task(model(id), &video).unwrap(),
            Task::Marengo(MarengoItem::Media { video: true, .. })
        ));
        let mut bad = video.clone();
        bad["embeddingOption"] = json!(["smell"]);
        assert!(err(id, bad).contains("smell is not a valid enum value"));
        let mut short = video.clone();
        short["useFixedLengthSec"] = json!(1);
        assert!(err(id, short).contains("useFixedLengthSec"));
        assert!(err(id, json!({"inputType": "hologram"})).contains("hologram"));
    }
}
