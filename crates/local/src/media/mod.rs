//! Attachments of a request (images, videos and documents) as the endpoint keeps them:
//! sizes, image dimensions, video length and document text by page or chunk, never the
//! bytes. Inline bytes are read when the request is parsed; an `s3Location` is read from
//! the endpoint's own S3 store before the turn runs.

#[cfg(test)]
mod endpoint_tests;
pub(crate) mod log;
pub(crate) mod parse;
pub(crate) mod pdf;
pub(crate) mod rules;
#[cfg(test)]
mod rules_tests;
#[cfg(test)]
pub(crate) mod tests;

use super::conversation::{Block, Request};
use super::s3::S3Store;
use super::state::State;

/// Where an attachment's content came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Inline bytes; `encoded` is their base64 length as sent, which the inline video
    /// limit counts.
    Bytes { encoded: usize },
    /// A document's `text` member.
    Text,
    /// A document's `content` member: a list of text chunks.
    Content,
    /// An object named by `s3Location`; `lookup` is set once the store was asked.
    S3 { uri: String, lookup: Option<Lookup> },
}

/// What the S3 store answered for an `s3Location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found,
    /// No such bucket or object.
    Missing,
    /// The bucket is in Region `bucket`, not in the request's Region `request`: the
    /// service reads S3 objects only in its own Region, so the object was not read.
    OtherRegion {
        bucket: String,
        request: String,
    },
}

impl Source {
    pub(crate) fn is_s3(&self) -> bool {
        matches!(self, Source::S3 { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Image {
    pub format: String,
    pub source: Source,
    /// Bytes of the image; 0 until an S3 object is read.
    pub size: usize,
    /// Width and height from the image's header, when it could be read.
    pub dims: Option<(u32, u32)>,
}

impl Image {
    pub(crate) fn new(format: impl Into<String>, source: Source, bytes: &[u8]) -> Image {
        let mut image = Image {
            format: format.into(),
            source,
            size: 0,
            dims: None,
        };
        image.fill(bytes);
        image
    }

    fn fill(&mut self, bytes: &[u8]) {
        self.size = bytes.len();
        self.dims = imagesize::blob_size(bytes)
            .ok()
            .and_then(|s| Some((u32::try_from(s.width).ok()?, u32::try_from(s.height).ok()?)));
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Video {
    pub format: String,
    pub source: Source,
    pub size: usize,
    /// The length an MP4 or MOV file declares in its header.
    pub seconds: Option<f64>,
}

impl Video {
    pub(crate) fn new(format: impl Into<String>, source: Source, bytes: &[u8]) -> Video {
        let mut video = Video {
            format: format.into(),
            source,
            size: 0,
            seconds: None,
        };
        video.fill(bytes);
        video
    }

    fn fill(&mut self, bytes: &[u8]) {
        self.size = bytes.len();
        self.seconds = super::jobs::mp4::duration_seconds(bytes);
    }
}

/// How a document's text is laid out, which decides how a citation locates a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Plain text: a quote is located by character offsets into the document's text.
    Chars,
    /// A PDF: the text of each page, page 1 first.
    Pages(Vec<String>),
    /// A `content` source: its text chunks, in order.
    Chunks(Vec<String>),
    /// Nothing readable (an office format, a PDF that does not parse, an S3 object not
    /// read yet): the document's text is a placeholder and nothing can be cited.
    Opaque,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub name: String,
    pub format: Option<String>,
    pub source: Source,
    /// Bytes of the document as sent (or of its text).
    pub size: usize,
    /// Whether the request enabled citations for this document.
    pub citations: bool,
    pub context: Option<String>,
    /// What the model reads.
    pub text: String,
    pub layout: Layout,
}

impl Document {
    /// A document given as text, as the native formats and `source.text` give it.
    pub(crate) fn text(name: impl Into<String>, text: impl Into<String>) -> Document {
        let text = text.into();
        Document {
            name: name.into(),
            format: None,
            source: Source::Text,
            size: text.len(),
            citations: false,
            context: None,
            text,
            layout: Layout::Chars,
        }
    }

    /// A document of `bytes`, read according to its format.
    pub(crate) fn bytes(
        name: &str,
        format: Option<&str>,
        source: Source,
        bytes: &[u8],
    ) -> Document {
        let mut doc = Document {
            name: name.to_owned(),
            format: format.map(str::to_owned),
            source,
            size: 0,
            citations: false,
            context: None,
            text: String::new(),
            layout: Layout::Opaque,
        };
        doc.fill(bytes);
        doc
    }

    fn fill(&mut self, bytes: &[u8]) {
        self.size = bytes.len();
        let placeholder = format!("[{}: {} bytes]", self.name, bytes.len());
        let is_pdf = match self.format.as_deref() {
            Some(f) => f == "pdf",
            // Without a format the bytes tell: PDF files start with their signature.
            None => bytes.starts_with(b"%PDF-"),
        };
        (self.text, self.layout) = if is_pdf {
            match pdf::pages(bytes) {
                Some(pages) => {
                    let text = pages
                        .iter()
                        .map(|p| p.as_str())
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n");
                    let text = if text.is_empty() { placeholder } else { text };
                    (text, Layout::Pages(pages))
                }
                None => (placeholder, Layout::Opaque),
            }
        } else {
            match self.format.as_deref() {
                None | Some("txt" | "md" | "csv" | "html") => {
                    (String::from_utf8_lossy(bytes).into_owned(), Layout::Chars)
                }
                // Office formats are zipped or binary: the simulated model does not read them.
                _ => (placeholder, Layout::Opaque),
            }
        };
    }

    /// The pages of a PDF, for counting.
    pub(crate) fn pages(&self) -> usize {
        match &self.layout {
            Layout::Pages(p) => p.len(),
            _ => 0,
        }
    }
}

/// (bucket, key) of an `s3://bucket/key` URI; `None` when it names no object.
fn object_of(uri: &str) -> Option<(&str, &str)> {
    let (bucket, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// Reads the request's `s3Location` attachments from the endpoint's S3 store, so their
/// sizes count and their text is read; an object the store lacks, or keeps in a bucket
/// of another Region than the request's `region`, is marked so that the request's
/// checks refuse it after the model's own checks.
pub(crate) async fn load(state: &State, region: &str, req: &mut Request) {
    let store = state.jobs.s3();
    for block in req.messages.iter_mut().flat_map(|m| m.blocks.iter_mut()) {
        match block {
            Block::Image(i) => {
                if let Some(bytes) = fetch(store, region, &mut i.source).await {
                    i.fill(&bytes);
                }
            }
            Block::Video(v) => {
                if let Some(bytes) = fetch(store, region, &mut v.source).await {
                    v.fill(&bytes);
                }
            }
            Block::Document(d) => {
                if let Some(bytes) = fetch(store, region, &mut d.source).await {
                    d.fill(&bytes);
                }
            }
            _ => {}
        }
    }
}

/// The object behind an S3 source not looked up yet, noting what the store answered.
async fn fetch(store: Option<&S3Store>, region: &str, source: &mut Source) -> Option<bytes::Bytes> {
    let Source::S3 { uri, lookup } = source else {
        return None;
    };
    if lookup.is_some() {
        return None;
    }
    let (answer, object) = match (store, object_of(uri)) {
        (Some(store), Some((bucket, key))) => read(store, region, bucket, key).await,
        _ => (Lookup::Missing, None),
    };
    *lookup = Some(answer);
    object
}

/// Reads `s3://bucket/key` for a request in `region`. A bucket in another Region is
/// not read, as the service cannot read it.
async fn read(
    store: &S3Store,
    region: &str,
    bucket: &str,
    key: &str,
) -> (Lookup, Option<bytes::Bytes>) {
    let warn = |e: String| tracing::warn!("could not read an attachment from the S3 store: {e}");
    match store.bucket_region(bucket).await {
        Ok(Some(home)) if home != region => {
            let other = Lookup::OtherRegion {
                bucket: home,
                request: region.to_owned(),
            };
            return (other, None);
        }
        Ok(Some(_)) => {}
        Ok(None) => return (Lookup::Missing, None),
        Err(e) => {
            warn(e);
            return (Lookup::Missing, None);
        }
    }
    match store.get(bucket, key).await {
        Ok(Some(bytes)) => (Lookup::Found, Some(bytes)),
        Ok(None) => (Lookup::Missing, None),
        Err(e) => {
            warn(e);
            (Lookup::Missing, None)
        }
    }
}
