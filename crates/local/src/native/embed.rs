//! Embedding models answered at once: Titan Text Embeddings (`inputText`) and Nova
//! multimodal embeddings (`SINGLE_EMBEDDING`), as deterministic hashed-feature vectors in
//! which texts sharing words and spellings point in similar directions.

use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::Fnv;
use crate::converse;
use crate::error::ServiceError;
use crate::tokens;

use super::Invocation;
use super::doc::{Doc, Result};

/// Titan Text Embeddings V2 (and V1, which takes only `inputText`).
pub(crate) fn titan(model: &Model, doc: &Doc) -> Result<Invocation> {
    let v1 = model.id.contains("embed-text-v1");
    let optional: &[&str] = if v1 {
        &[]
    } else {
        &["dimensions", "normalize", "embeddingTypes"]
    };
    doc.keys(&["inputText"], optional)?;
    let text = doc.req_str("inputText")?;
    if text.is_empty() {
        return Err(doc.err("inputText", "expected minLength: 1, actual: 0"));
    }
    let dims = match doc.u32("dimensions", 0)? {
        None if v1 => 1536,
        None => 1024,
        Some(d @ (256 | 512 | 1024)) => d,
        Some(d) => return Err(doc.err("dimensions", format!("{d} is not a valid enum value"))),
    };
    let normalize = doc.bool("normalize")?.unwrap_or(true);
    let mut types = doc.strings("embeddingTypes", false)?;
    for (i, t) in types.iter().enumerate() {
        if t != "float" && t != "binary" {
            return Err(doc.err(
                &format!("embeddingTypes/{i}"),
                format!("{t} is not a valid enum value"),
            ));
        }
    }
    if types.is_empty() {
        types.push("float".into());
    }
    let v = vector(&text_features(text), dims as usize, normalize);
    let input_tokens = tokens::count(text);
    let mut response = json!({"inputTextTokenCount": input_tokens});
    if v1 {
        response["embedding"] = json!(v);
    } else {
        let mut by_type = serde_json::Map::new();
        if types.iter().any(|t| t == "float") {
            response["embedding"] = json!(v);
            by_type.insert("float".into(), json!(v));
        }
        if types.iter().any(|t| t == "binary") {
            let bits: Vec<u8> = v.iter().map(|x| u8::from(*x > 0.0)).collect();
            by_type.insert("binary".into(), json!(bits));
        }
        response["embeddingsByType"] = Value::Object(by_type);
    }
    Ok(Invocation::Embed {
        response,
        input_tokens,
    })
}

const PURPOSES: [&str; 9] = [
    "GENERIC_INDEX",
    "GENERIC_RETRIEVAL",
    "TEXT_RETRIEVAL",
    "IMAGE_RETRIEVAL",
    "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL",
    "AUDIO_RETRIEVAL",
    "CLASSIFICATION",
    "CLUSTERING",
];

/// Nova multimodal embeddings, synchronous `SINGLE_EMBEDDING` of one text or media item.
pub(crate) fn nova(doc: &Doc) -> Result<Invocation> {
    doc.keys(
        &["taskType"],
        &[
            "schemaVersion",
            "singleEmbeddingParams",
            "segmentedEmbeddingParams",
        ],
    )?;
    if doc.one_of("taskType", &["SINGLE_EMBEDDING", "SEGMENTED_EMBEDDING"])?
        == Some("SEGMENTED_EMBEDDING")
    {
        return Err(ServiceError::validation(
            "SEGMENTED_EMBEDDING is only supported with StartAsyncInvoke. Use SINGLE_EMBEDDING with InvokeModel.",
        ));
    }
    let (dims, kind, item) = nova_params(&doc.req_child("singleEmbeddingParams")?)?;
    let (features, input_tokens) = if kind == "text" {
        item.keys(&["truncationMode", "value"], &[])?;
        item.one_of("truncationMode", &["START", "END", "NONE"])?;
        let text = item.req_str("value")?;
        (text_features(text), tokens::count(text))
    } else {
        item.keys(&["format", "source"], &["detailLevel", "embeddingMode"])?;
        let bytes = converse::blob(&item.req_child("source")?.obj(), "bytes")?;
        // Media is not decoded: its features are its bytes, and it reports no tokens.
        (bytes.chunks(64).map(|c| (c.to_vec(), 1.0)).collect(), 0)
    };
    let v = vector(&features, dims as usize, true);
    let response = json!({"embeddings": [{"embeddingType": kind.to_uppercase(), "embedding": v}]});
    Ok(Invocation::Embed {
        response,
        input_tokens,
    })
}

/// What both Nova embedding tasks take in their params (`singleEmbeddingParams` here,
/// `segmentedEmbeddingParams` for async jobs): the purpose, the dimension and exactly one
/// item, returned as its kind (`text`, `image`, `audio` or `video`) and its object.
pub(crate) fn nova_params<'a>(p: &Doc<'a>) -> Result<(u32, &'static str, Doc<'a>)> {
    p.keys(
        &["embeddingPurpose"],
        &["embeddingDimension", "text", "image", "audio", "video"],
    )?;
    p.one_of("embeddingPurpose", &PURPOSES)?;
    let dims = match p.u32("embeddingDimension", 0)? {
        None => 3072,
        Some(d @ (256 | 384 | 1024 | 3072)) => d,
        Some(d) => {
            return Err(p.err(
                "embeddingDimension",
                format!("{d} is not a valid enum value"),
            ));
        }
    };
    let media: Vec<&'static str> = ["text", "image", "audio", "video"]
        .into_iter()
        .filter(|k| p.has(k))
        .collect();
    let [kind] = media[..] else {
        return Err(p.err_here(format!(
            "exactly one of [text, image, audio, video] is required, found {}",
            media.len()
        )));
    };
    Ok((dims, kind, p.req_child(kind)?))
}

/// Weighted features of a text: its words, word pairs and letter trigrams.
fn text_features(text: &str) -> Vec<(Vec<u8>, f64)> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = vec![(lower.trim().as_bytes().to_vec(), 0.1)];
    for w in &words {
        out.push((format!("w:{w}").into_bytes(), 1.0));
        let padded: Vec<char> = format!(" {w} ").chars().collect();
        for tri in padded.windows(3) {
            out.push((
                format!("t:{}", tri.iter().collect::<String>()).into_bytes(),
                0.25,
            ));
        }
    }
    for pair in words.windows(2) {
        out.push((format!("b:{} {}", pair[0], pair[1]).into_bytes(), 0.5));
    }
    out
}

/// Hashes features into a vector of `dims` values, each feature adding to a few signed
/// positions; L2-normalized when asked.
fn vector(features: &[(Vec<u8>, f64)], dims: usize, normalize: bool) -> Vec<f64> {
    let mut v = vec![0.0f64; dims];
    for (f, w) in features {
        let mut h = Fnv::hash(f);
        for _ in 0..4 {
            let sign = if (h >> 40) & 1 == 0 { 1.0 } else { -1.0 };
            v[(h % dims as u64) as usize] += sign * w;
            h = Fnv::hash(&h.to_le_bytes());
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if normalize && norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v.iter().map(|x| (x * 1e6).round() / 1e6).collect()
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::tokens;

    use super::super::Invocation;
    use super::super::testing::{model, parse_err};

    fn embed(m: &bedrock_catalog::Model, body: Value) -> (Value, u32) {
        match super::super::parse(m, body.to_string().as_bytes()).unwrap() {
            Invocation::Embed {
                response,
                input_tokens,
            } => (response, input_tokens),
            other => panic!("expected an embedding, got {other:?}"),
        }
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    fn cosine(a: &[f64], b: &[f64]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        dot / (n(a) * n(b))
    }

    #[test]
    fn titan_vectors_are_deterministic_normalized_and_meaningful() {
        let m = model("amazon.titan-embed-text-v2:0", Family::TitanEmbed, 0);
        let text = "The cat sat on the warm windowsill.";
        let (res, n) = embed(
            &m,
            json!({"inputText": text, "dimensions": 512, "normalize": true}),
        );
        assert_eq!(n, tokens::count(text));
        assert_eq!(res["inputTextTokenCount"], n);
        let v = floats(&res["embedding"]);
        assert_eq!(v.len(), 512);
        assert_eq!(res["embeddingsByType"]["float"], res["embedding"]);
        let norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        assert_eq!(
            embed(&m, json!({"inputText": text, "dimensions": 512})).0,
            res
        );

        let similar = floats(
            &embed(
                &m,
                json!({"inputText": "A cat sat on a warm windowsill", "dimensions": 512}),
            )
            .0["embedding"],
        );
        let other = floats(
            &embed(
                &m,
                json!({"inputText": "Quarterly revenue grew by 8 percent", "dimensions": 512}),
            )
            .0["embedding"],
        );
        assert!(
            cosine(&v, &similar) > 0.5 && cosine(&v, &other) < 0.2,
            "{} {}",
            cosine(&v, &similar),
            cosine(&v, &other)
        );

        let (raw, _) = embed(
            &m,
            json!({"inputText": text, "normalize": false, "embeddingTypes": ["binary", "float"]}),
        );
        let rv = floats(&raw["embedding"]);
        assert_eq!(rv.len(), 1024);
        assert!(rv.iter().map(|x| x * x).sum::<f64>().sqrt() > 2.0);
        let bits = raw["embeddingsByType"]["binary"].as_array().unwrap();
        assert_eq!(bits.len(), 1024);
        assert!(
            bits.iter()
                .zip(&rv)
                .all(|(b, x)| b.as_u64() == Some(u64::from(*x > 0.0)))
        );
    }

    #[test]
    fn titan_errors() {
        let m = model("amazon.titan-embed-text-v2:0", Family::TitanEmbed, 0);
        assert!(
            parse_err(
                &m,
                &json!({"inputText": "x", "dimensions": 300}).to_string()
            )
            .contains("#/dimensions: 300 is not a valid enum value")
        );
        assert!(
            parse_err(&m, &json!({"inputText": ""}).to_string())
                .contains("#/inputText: expected minLength: 1, actual: 0")
        );
        assert!(
            parse_err(&m, &json!({"text": "x"}).to_string())
                .contains("#: required key [inputText] not found")
        );
        assert!(
            parse_err(
                &m,
                &json!({"inputText": "x", "embeddingTypes": ["int8"]}).to_string()
            )
            .contains("#/embeddingTypes/0: int8 is not a valid enum value")
        );
    }

    #[test]
    fn nova_embeddings() {
        let m = model(
            "amazon.nova-2-multimodal-embeddings-v1:0",
            Family::NovaEmbed,
            0,
        );
        let body = |dim: Value, extra: Value| {
            let mut p = json!({"embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": dim,
                               "text": {"truncationMode": "END", "value": "Amazon Nova is a family of models."}});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            json!({"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": p})
        };
        let (res, n) = embed(&m, body(json!(384), json!({})));
        assert_eq!(n, tokens::count("Amazon Nova is a family of models."));
        let e = &res["embeddings"][0];
        assert_eq!(e["embeddingType"], "TEXT");
        let v = floats(&e["embedding"]);
        assert_eq!(v.len(), 384);
        assert!((v.iter().map(|x| x * x).sum::<f64>().sqrt() - 1.0).abs() < 1e-4);

        let image = json!({"text": null, "image": {"format": "png", "source": {"bytes": "iVBORw0KGgoAAAANSUhEUg=="}}});
        let (res, _) = embed(&m, body(json!(256), image));
        assert_eq!(res["embeddings"][0]["embeddingType"], "IMAGE");
        assert_eq!(floats(&res["embeddings"][0]["embedding"]).len(), 256);

        assert!(
            parse_err(&m, &body(json!(500), json!({})).to_string()).contains(
                "#/singleEmbeddingParams/embeddingDimension: 500 is not a valid enum value"
            )
        );
        assert!(
            parse_err(
                &m,
                &body(json!(384), json!({"embeddingPurpose": "SEARCH"})).to_string()
            )
            .contains("SEARCH is not a valid enum value")
        );
        let segmented = json!({"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {}});
        assert!(parse_err(&m, &segmented.to_string()).contains("StartAsyncInvoke"));
        assert!(
            parse_err(&m, &json!({"taskType": "SINGLE_EMBEDDING"}).to_string())
                .contains("required key [singleEmbeddingParams] not found")
        );
    }
}
