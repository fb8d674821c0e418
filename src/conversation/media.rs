//! Attachments in a conversation: images, documents and video, sent as bytes or by
//! S3 location, and the citations an answer gives of the documents.

use std::sync::Arc;

/// What an attachment is to the Converse API: an `image`, `document` or `video` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Image,
    Document,
    Video,
}

impl Kind {
    /// The Converse content block's member name, which is also the word the app uses
    /// in messages and on chips.
    pub fn member(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Document => "document",
            Kind::Video => "video",
        }
    }
}

/// Bytes held once in memory however many messages and requests share them, named by
/// their SHA-256 (the key of the history's blob table).
#[derive(Clone)]
pub struct Blob {
    /// Lowercase hex.
    pub sha256: String,
    pub data: Arc<[u8]>,
}

impl Blob {
    pub fn new(data: Vec<u8>) -> Self {
        use sha2::Digest;
        let sha256 = hex(&sha2::Sha256::digest(&data));
        Blob {
            sha256,
            data: data.into(),
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

// Blobs are compared and shown by their digest: megabytes of bytes in a test failure
// or a log line help no one.
impl PartialEq for Blob {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({}, {} bytes)", &self.sha256, self.data.len())
    }
}

/// Where the service reads an attachment from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Bytes(Blob),
    /// An object the service reads itself (`s3://bucket/key`); the app never downloads it.
    S3 {
        uri: String,
        bucket_owner: Option<String>,
    },
}

/// An image, document or video of a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub kind: Kind,
    /// The Converse format: `png`, `pdf`, `mp4`, `three_gp`, ...
    pub format: String,
    /// The file name shown to the user: the file's base name, or the S3 key's last part.
    pub file: String,
    /// A document's `name` as sent: derived from the file name to fit the service's
    /// pattern. Empty for images and video, which have none.
    pub name: String,
    pub source: Source,
    /// A document sent with `citations: {enabled: true}`.
    pub citations: bool,
}

impl Media {
    /// The bytes, when the attachment carries them.
    pub fn data(&self) -> Option<&[u8]> {
        match &self.source {
            Source::Bytes(b) => Some(&b.data),
            Source::S3 { .. } => None,
        }
    }

    /// An image's width and height, read from its header.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        if self.kind != Kind::Image {
            return None;
        }
        let size = imagesize::blob_size(self.data()?).ok()?;
        Some((
            u32::try_from(size.width).ok()?,
            u32::try_from(size.height).ok()?,
        ))
    }
}

/// Where a cited passage is in its document, as the service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Characters `start..end` of a text document.
    Chars,
    /// Pages `start..end` (1-based, `end` exclusive) of a PDF.
    Pages,
    /// Chunks `start..end` of a document given as content blocks.
    Chunks,
}

impl Place {
    /// The member of Converse's `CitationLocation`.
    pub fn member(self) -> &'static str {
        match self {
            Place::Chars => "documentChar",
            Place::Pages => "documentPage",
            Place::Chunks => "documentChunk",
        }
    }

    pub fn from_member(member: &str) -> Option<Place> {
        Some(match member {
            "documentChar" => Place::Chars,
            "documentPage" => Place::Pages,
            "documentChunk" => Place::Chunks,
            _ => return None,
        })
    }
}

/// One passage a cited part of an answer rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    /// The cited document's name.
    pub title: String,
    /// The quoted text.
    pub quote: String,
    pub place: Option<Place>,
    /// Index of the document among the request's documents.
    pub document: u32,
    pub start: u32,
    pub end: u32,
}

impl Citation {
    /// The source as a line of a list: "Q3 report, p. 2: “Revenue grew.”", on one
    /// line whatever the quote's line breaks.
    pub fn source(&self) -> String {
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let place = self.location();
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(", {place}")
        };
        format!(
            "{}{place}: \u{201c}{}\u{201d}",
            one_line(&self.title),
            one_line(&self.quote)
        )
    }

    /// Where the passage is, for people: "p. 2", "pp. 2-3", "chars 10-52", "chunk 4".
    pub fn location(&self) -> String {
        match self.place {
            Some(Place::Pages) if self.end <= self.start + 1 => format!("p. {}", self.start),
            Some(Place::Pages) => format!("pp. {}-{}", self.start, self.end - 1),
            Some(Place::Chars) => format!("chars {}-{}", self.start, self.end),
            Some(Place::Chunks) if self.end <= self.start + 1 => format!("chunk {}", self.start),
            Some(Place::Chunks) => format!("chunks {}-{}", self.start, self.end - 1),
            None => String::new(),
        }
    }
}
