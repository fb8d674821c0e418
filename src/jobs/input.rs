//! The `modelInput` of a job: a template per async-capable model of the catalog filled
//! from a prompt, or a JSON file taken as it is, checked before it is sent (the model
//! takes async invocations, required members are there, values the service would refuse
//! are named).

use std::path::Path;

use serde_json::{Value, json};

use crate::catalog::{Catalog, Family, Model};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    UnknownModel(String),
    #[error(
        "{model} does not support async invocation (StartAsyncInvoke). Async-capable models: {}",
        capable.join(", ")
    )]
    NotAsyncCapable { model: String, capable: Vec<String> },
    #[error("the model input is not valid for {model}: {path}: {message}")]
    Invalid {
        model: String,
        path: String,
        message: String,
    },
    #[error("cannot read the model input {path}: {message}")]
    File { path: String, message: String },
}

/// The parameters of a Nova Reel text-to-video job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoParams {
    pub duration_seconds: u32,
    pub fps: u32,
    pub dimension: String,
    /// The service picks 42 when there is none.
    pub seed: Option<u32>,
}

impl Default for VideoParams {
    fn default() -> Self {
        VideoParams {
            duration_seconds: 6,
            fps: 24,
            dimension: "1280x720".into(),
            seed: None,
        }
    }
}

/// The async-capable models of the catalog.
pub fn async_models(catalog: &Catalog) -> Vec<&Model> {
    catalog
        .models
        .iter()
        .filter(|m| m.capabilities.async_invoke)
        .collect()
}

/// The catalog model behind `name` (a bare id, a profile id or an ARN) if it takes
/// async invocations. `Ok(None)` for an ARN the catalog does not know (a custom or
/// imported model), which only the service can judge.
pub fn async_model<'c>(catalog: &'c Catalog, name: &str) -> Result<Option<&'c Model>, InputError> {
    match catalog.lookup(name) {
        Some(m) if m.capabilities.async_invoke => Ok(Some(m)),
        Some(m) => Err(InputError::NotAsyncCapable {
            model: m.id.clone(),
            capable: async_models(catalog).iter().map(|m| m.id.clone()).collect(),
        }),
        None if name.starts_with("arn:") => Ok(None),
        None => Err(InputError::UnknownModel(
            crate::catalog::check_with(catalog, name, &[])
                .err()
                .unwrap_or_else(|| format!("unknown model '{name}'")),
        )),
    }
}

/// The model's template filled with `prompt`: Nova Reel text-to-video with `video`, a
/// Nova Multimodal Embeddings segmented text embedding, a Marengo text embedding.
pub fn from_prompt(model: &Model, prompt: &str, video: &VideoParams) -> Result<Value, InputError> {
    let input = match model.family {
        Family::NovaReel => {
            let mut config = json!({
                "durationSeconds": video.duration_seconds,
                "fps": video.fps,
                "dimension": video.dimension,
            });
            if let Some(seed) = video.seed {
                config["seed"] = json!(seed);
            }
            json!({
                "taskType": "TEXT_VIDEO",
                "textToVideoParams": {"text": prompt},
                "videoGenerationConfig": config,
            })
        }
        Family::NovaEmbed => json!({
            "schemaVersion": "nova-multimodal-embed-v1",
            "taskType": "SEGMENTED_EMBEDDING",
            "segmentedEmbeddingParams": {
                "embeddingPurpose": "GENERIC_INDEX",
                "text": {
                    "truncationMode": "END",
                    "value": prompt,
                    "segmentationConfig": {"maxLengthChars": 32000},
                },
            },
        }),
        Family::MarengoEmbed => json!({"inputType": "text", "inputText": prompt}),
        _ => {
            return Err(InputError::NotAsyncCapable {
                model: model.id.clone(),
                capable: async_models(Catalog::builtin())
                    .iter()
                    .map(|m| m.id.clone())
                    .collect(),
            });
        }
    };
    check(model, &input)?;
    Ok(input)
}

/// A model input written as JSON in a file, as it is.
pub fn from_file(path: &Path) -> Result<Value, InputError> {
    let file = |message: String| InputError::File {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| file(format!("line {}, column {}: {e}", e.line(), e.column())))
}

/// Checks `input` for `model` as far as the service documents it.
pub fn check(model: &Model, input: &Value) -> Result<(), InputError> {
    let c = Checker { model, input };
    if !input.is_object() {
        return Err(c.invalid("#", "the model input must be a JSON object"));
    }
    c.s3_locations(input, "#")?;
    match model.family {
        Family::NovaReel => c.reel(),
        Family::NovaEmbed => c.nova_embed(),
        Family::MarengoEmbed => c.marengo(),
        _ => Ok(()),
    }
}

struct Checker<'a> {
    model: &'a Model,
    input: &'a Value,
}

/// The member at a `/`-separated path.
fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('/')
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

impl Checker<'_> {
    fn invalid(&self, path: &str, message: impl Into<String>) -> InputError {
        InputError::Invalid {
            model: self.model.id.clone(),
            path: path.to_owned(),
            message: message.into(),
        }
    }

    fn get(&self, path: &str) -> Result<&Value, InputError> {
        at(self.input, path).ok_or_else(|| self.invalid(&format!("#/{path}"), "required"))
    }

    /// The string at `path`, required, with `min..=max` characters.
    fn text(&self, path: &str, min: usize, max: usize) -> Result<&str, InputError> {
        let s = self
            .get(path)?
            .as_str()
            .ok_or_else(|| self.invalid(&format!("#/{path}"), "must be a string"))?;
        let n = s.chars().count();
        if !(min..=max).contains(&n) {
            return Err(self.invalid(
                &format!("#/{path}"),
                format!("must have {min} to {max} characters, has {n}"),
            ));
        }
        Ok(s)
    }

    fn one_of(&self, path: &str, allowed: &[&str]) -> Result<String, InputError> {
        let s = self.text(path, 0, usize::MAX)?;
        if allowed.contains(&s) {
            Ok(s.to_owned())
        } else {
            Err(self.invalid(
                &format!("#/{path}"),
                format!("'{s}' is not one of {}", allowed.join(", ")),
            ))
        }
    }

    /// The integer at `path` if there is one, which must be one that `ok` takes.
    fn int(
        &self,
        path: &str,
        ok: impl Fn(u64) -> bool,
        rule: &str,
    ) -> Result<Option<u64>, InputError> {
        let Some(v) = at(self.input, path) else {
            return Ok(None);
        };
        match v.as_u64() {
            Some(n) if ok(n) => Ok(Some(n)),
            _ => Err(self.invalid(&format!("#/{path}"), format!("{v} is not {rule}"))),
        }
    }

    /// Every `s3Location.uri` names an object: `s3://bucket/key`.
    fn s3_locations(&self, v: &Value, path: &str) -> Result<(), InputError> {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let here = format!("{path}/{k}");
                    if k == "s3Location"
                        && let Some(uri) = child.get("uri").and_then(Value::as_str)
                    {
                        match super::S3Uri::parse(uri) {
                            Ok(u) if !u.prefix.is_empty() => {}
                            Ok(_) => {
                                return Err(self.invalid(
                                    &format!("{here}/uri"),
                                    format!(
                                        "'{uri}' names a bucket, not an object (s3://bucket/key)"
                                    ),
                                ));
                            }
                            Err(e) => return Err(self.invalid(&format!("{here}/uri"), e)),
                        }
                    }
                    self.s3_locations(child, &here)?;
                }
                Ok(())
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| self.s3_locations(item, &format!("{path}/{i}"))),
            _ => Ok(()),
        }
    }

    fn reel(&self) -> Result<(), InputError> {
        let kinds: &[&str] = if self.model.id.ends_with("v1:0") {
            &["TEXT_VIDEO"]
        } else {
            &["TEXT_VIDEO", "MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL"]
        };
        let kind = self.one_of("taskType", kinds)?;
        let duration = "videoGenerationConfig/durationSeconds";
        match kind.as_str() {
            "TEXT_VIDEO" => {
                self.text("textToVideoParams/text", 1, 512)?;
                self.int(
                    duration,
                    |d| d == 6,
                    "6 (a text-to-video shot is 6 seconds)",
                )?;
            }
            "MULTI_SHOT_AUTOMATED" => {
                self.text("multiShotAutomatedParams/text", 1, 4000)?;
                self.get(duration)?;
                self.int(
                    duration,
                    |d| (12..=120).contains(&d) && d % 6 == 0,
                    "a multiple of 6 from 12 to 120",
                )?;
            }
            _ => {
                let shots = self
                    .get("multiShotManualParams/shots")?
                    .as_array()
                    .filter(|s| (1..=20).contains(&s.len()))
                    .ok_or_else(|| {
                        self.invalid(
                            "#/multiShotManualParams/shots",
                            "must be a list of 1 to 20 shots",
                        )
                    })?;
                for i in 0..shots.len() {
                    self.text(&format!("multiShotManualParams/shots/{i}/text"), 1, 512)?;
                }
            }
        }
        self.int(
            "videoGenerationConfig/fps",
            |f| f == 24,
            "24 (frames per second)",
        )?;
        if at(self.input, "videoGenerationConfig/dimension").is_some() {
            self.one_of("videoGenerationConfig/dimension", &["1280x720"])?;
        }
        self.int(
            "videoGenerationConfig/seed",
            |s| s <= 2_147_483_646,
            "a seed from 0 to 2147483646",
        )?;
        Ok(())
    }

    fn nova_embed(&self) -> Result<(), InputError> {
        if self.one_of("taskType", &["SEGMENTED_EMBEDDING", "SINGLE_EMBEDDING"])?
            != "SEGMENTED_EMBEDDING"
        {
            return Err(self.invalid(
                "#/taskType",
                "SINGLE_EMBEDDING is for InvokeModel; async invocations take SEGMENTED_EMBEDDING",
            ));
        }
        self.text("segmentedEmbeddingParams/embeddingPurpose", 1, usize::MAX)?;
        let media: Vec<&str> = ["text", "image", "audio", "video"]
            .into_iter()
            .filter(|k| at(self.input, &format!("segmentedEmbeddingParams/{k}")).is_some())
            .collect();
        let [kind] = media[..] else {
            return Err(self.invalid(
                "#/segmentedEmbeddingParams",
                format!(
                    "needs exactly one of text, image, audio, video; has {}",
                    media.len()
                ),
            ));
        };
        let item = format!("segmentedEmbeddingParams/{kind}");
        if kind == "text" {
            if at(self.input, &format!("{item}/source")).is_none() {
                self.text(&format!("{item}/value"), 1, 8192)?;
            }
        } else {
            self.get(&format!("{item}/source"))?;
        }
        Ok(())
    }

    fn marengo(&self) -> Result<(), InputError> {
        match self
            .one_of("inputType", &["text", "image", "audio", "video"])?
            .as_str()
        {
            "text" => self.text("inputText", 1, usize::MAX).map(|_| ()),
            _ => self.get("mediaSource").map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> &'static Model {
        Catalog::builtin().get(id).unwrap()
    }

    #[test]
    fn only_async_capable_models_are_taken() {
        let c = Catalog::builtin();
        let ids: Vec<&str> = async_models(c).iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "amazon.nova-reel-v1:0",
                "amazon.nova-reel-v1:1",
                "amazon.nova-2-multimodal-embeddings-v1:0",
                "twelvelabs.marengo-embed-2-7-v1:0"
            ]
        );
        assert!(
            async_model(c, "us.twelvelabs.marengo-embed-2-7-v1:0")
                .unwrap()
                .is_some()
        );
        let e = async_model(c, "anthropic.claude-3-haiku-20240307-v1:0").unwrap_err();
        assert!(matches!(e, InputError::NotAsyncCapable { .. }));
        assert!(
            e.to_string().contains("does not support async invocation"),
            "{e}"
        );
        assert!(e.to_string().contains("amazon.nova-reel-v1:1"), "{e}");
        let e = async_model(c, "amazon.nova-rel-v1:0").unwrap_err();
        assert!(e.to_string().contains("did you mean"), "{e}");
        let arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/x";
        assert_eq!(async_model(c, arn), Ok(None));
    }

    #[test]
    fn templates_are_what_each_model_takes() {
        let video = VideoParams {
            seed: Some(7),
            ..VideoParams::default()
        };
        let v = from_prompt(model("amazon.nova-reel-v1:1"), "A fox", &video).unwrap();
        assert_eq!(
            v,
            json!({"taskType": "TEXT_VIDEO", "textToVideoParams": {"text": "A fox"},
                   "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 7}})
        );
        let v = from_prompt(
            model("amazon.nova-2-multimodal-embeddings-v1:0"),
            "hello",
            &VideoParams::default(),
        )
        .unwrap();
        assert_eq!(v["segmentedEmbeddingParams"]["text"]["value"], "hello");
        let v = from_prompt(
            model("twelvelabs.marengo-embed-2-7-v1:0"),
            "dog",
            &VideoParams::default(),
        )
        .unwrap();
        assert_eq!(v, json!({"inputType": "text", "inputText": "dog"}));

        let bad = VideoParams {
            duration_seconds: 7,
            ..VideoParams::default()
        };
        let e = from_prompt(model("amazon.nova-reel-v1:0"), "A fox", &bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the model input is not valid for amazon.nova-reel-v1:0: #/videoGenerationConfig/durationSeconds: 7 is not 6 (a text-to-video shot is 6 seconds)"
        );
        let e = from_prompt(
            model("amazon.nova-reel-v1:0"),
            &"x".repeat(513),
            &VideoParams::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("must have 1 to 512 characters, has 513"),
            "{e}"
        );
    }

    #[test]
    fn files_are_checked_for_required_members_and_s3_locations() {
        let reel = model("amazon.nova-reel-v1:1");
        let e = check(reel, &json!({"taskType": "TEXT_VIDEO"})).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("#/textToVideoParams/text: required"),
            "{e}"
        );
        let e = check(
            reel,
            &json!({"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "x"},
                                    "videoGenerationConfig": {"durationSeconds": 13}}),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("a multiple of 6 from 12 to 120"),
            "{e}"
        );
        let e = check(
            model("amazon.nova-reel-v1:0"),
            &json!({"taskType": "MULTI_SHOT_MANUAL"}),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("'MULTI_SHOT_MANUAL' is not one of TEXT_VIDEO"),
            "{e}"
        );
        let e = check(
            reel,
            &json!({"taskType": "MULTI_SHOT_MANUAL", "multiShotManualParams": {"shots": []}}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("1 to 20 shots"), "{e}");

        let embed = model("amazon.nova-2-multimodal-embeddings-v1:0");
        let audio = |uri: &str| {
            json!({"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
                "embeddingPurpose": "GENERIC_INDEX",
                "audio": {"format": "mp3", "source": {"s3Location": {"uri": uri}}}}})
        };
        assert_eq!(check(embed, &audio("s3://inputs/a.mp3")), Ok(()));
        let e = check(embed, &audio("s3://inputs")).unwrap_err();
        assert!(e.to_string().contains("#/segmentedEmbeddingParams/audio/source/s3Location/uri: 's3://inputs' names a bucket"), "{e}");
        let e = check(embed, &audio("s3://Inputs/a.mp3")).unwrap_err();
        assert!(e.to_string().contains("only lowercase letters"), "{e}");
        let e = check(
            embed,
            &json!({"taskType": "SEGMENTED_EMBEDDING",
            "segmentedEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX"}}),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("exactly one of text, image, audio, video; has 0"),
            "{e}"
        );

        let marengo = model("twelvelabs.marengo-embed-2-7-v1:0");
        let e = check(marengo, &json!({"inputType": "text"})).unwrap_err();
        assert!(e.to_string().ends_with("#/inputText: required"), "{e}");
        let e = check(marengo, &json!([1])).unwrap_err();
        assert!(e.to_string().contains("must be a JSON object"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, "{\n  \"inputType\": \n").unwrap();
        let e = from_file(&path).unwrap_err();
        assert!(e.to_string().contains("in.json: line 3, column 0"), "{e}");
        std::fs::write(&path, r#"{"inputType": "text", "inputText": "a cat"}"#).unwrap();
        assert_eq!(from_file(&path).unwrap()["inputText"], "a cat");
    }
}
