//! Attaching files to a question: a file read and checked with the service's rules
//! (format from its bytes, sizes, dimensions), or an S3 location the service reads
//! itself. Reading is blocking IO: the executor runs it off the event loop.

pub mod files;
pub mod rules;
pub mod sniff;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::conversation::{Blob, Kind, Media, Source};
use sniff::Sniffed;

/// A file as it was when attached, to tell whether it changed before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// An attachment ready to send, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    pub media: Media,
    /// The file it was read from (none for an S3 location).
    pub path: Option<PathBuf>,
    pub stamp: Option<Stamp>,
    /// Bytes sent inline (0 for an S3 location).
    pub size: u64,
    /// The input tokens it adds to a request, estimated (see [`tokens`]).
    pub tokens: Option<u32>,
}

/// Why a file or location cannot be attached; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("No such file: {0}.")]
    Missing(String),
    #[error("{0} is a directory: attach the files in it one by one.")]
    Directory(String),
    #[error("{0} is not a regular file.")]
    NotAFile(String),
    #[error("Cannot read {path}: {reason}.")]
    Unreadable { path: String, reason: String },
    #[error("{0} is empty.")]
    Empty(String),
    #[error("{path} is {size}: Bedrock takes {what} of at most {max} inline.{hint}")]
    TooLarge {
        path: String,
        size: String,
        what: String,
        max: String,
        hint: String,
    },
    #[error("{path} is {width}×{height} pixels: Bedrock takes images of at most {max}×{max}.")]
    TooWide {
        path: String,
        width: u32,
        height: u32,
        max: u32,
    },
    #[error(
        "{path} is {bytes}, not {named} as its name says: rename it to attach it as what it is."
    )]
    Mismatch {
        path: String,
        bytes: String,
        named: String,
    },
    #[error("{path} is {what}, which Bedrock does not take. It takes {formats}.")]
    Unsupported {
        path: String,
        what: String,
        formats: String,
    },
    #[error(
        "{path} changed since it was attached: attach it again (/attach {path}) or remove it (Ctrl+X)."
    )]
    Changed { path: String },
    #[error(
        "{0} is not an S3 location Bedrock takes (s3://bucket/key, with a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens)."
    )]
    BadS3(String),
    #[error(
        "{uri} is in {bucket_region}: Amazon Bedrock in {region} reads S3 objects only in its own Region. Copy it to a bucket in {region}, or use --region {bucket_region}."
    )]
    S3Region {
        uri: String,
        bucket_region: String,
        region: String,
    },
    #[error("The S3 location {uri} names no format Bedrock takes by its extension ({formats}).")]
    S3Format { uri: String, formats: String },
}

/// What a user typed, for messages: the path as given, without control characters.
fn shown(path: &Path) -> String {
    crate::sanitize::text(&path.to_string_lossy())
}

/// Reads and checks the file at `path`. A file larger than anything Bedrock takes
/// inline is refused from its size alone, before it is read.
pub fn load(path: &Path) -> Result<Attached, Error> {
    let p = shown(path);
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Missing(p.clone()),
        _ => Error::Unreadable {
            path: p.clone(),
            reason: io_reason(&e),
        },
    })?;
    if meta.is_dir() {
        return Err(Error::Directory(p));
    }
    if !meta.is_file() {
        return Err(Error::NotAFile(p));
    }
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    let named = ext.as_deref().and_then(sniff::by_extension);
    if meta.len() == 0 {
        return Err(Error::Empty(p));
    }
    // Unread, a file is judged by the limit of the kind its name says, else by the
    // largest limit there is.
    let limit = named.map_or_else(rules::max_any, |f| rules::max_bytes(f.kind));
    if meta.len() > limit {
        return Err(too_large(&p, meta.len(), named.map(|f| f.kind)));
    }
    let data = std::fs::read(path).map_err(|e| Error::Unreadable {
        path: p.clone(),
        reason: io_reason(&e),
    })?;
    let format = match sniff::sniff(&data[..data.len().min(64 * 1024)], ext.as_deref()) {
        Sniffed::Ok(f) => f,
        Sniffed::Mismatch { bytes, named } => {
            return Err(Error::Mismatch {
                path: p,
                bytes: bytes.described(),
                named: named.described(),
            });
        }
        Sniffed::Unsupported(mime) => {
            return Err(Error::Unsupported {
                path: p,
                what: mime.map_or("of a format it cannot tell".to_owned(), str::to_owned),
                formats: sniff::extensions().collect::<Vec<_>>().join(", "),
            });
        }
    };
    let len = data.len() as u64;
    if len > rules::max_bytes(format.kind) {
        return Err(too_large(&p, len, Some(format.kind)));
    }
    let file = path.file_name().map_or_else(
        || p.clone(),
        |n| crate::sanitize::text(&n.to_string_lossy()),
    );
    let media = media(format, file, Source::Bytes(Blob::new(data)));
    if let Some((width, height)) = media.dimensions()
        && (width > rules::IMAGE_MAX_SIDE || height > rules::IMAGE_MAX_SIDE)
    {
        return Err(Error::TooWide {
            path: p,
            width,
            height,
            max: rules::IMAGE_MAX_SIDE,
        });
    }
    Ok(Attached {
        media,
        path: Some(path.to_owned()),
        stamp: Some(Stamp::of(&meta)),
        size: len,
        tokens: None,
    })
}

/// The attachment of `file`, of `format`, from `source`: a document is given a name
/// the service accepts; citations are the model's to decide, when it is sent.
fn media(format: sniff::Format, file: String, source: Source) -> Media {
    Media {
        kind: format.kind,
        format: format.name.to_owned(),
        name: if format.kind == Kind::Document {
            rules::document_name(&file)
        } else {
            String::new()
        },
        file,
        source,
        citations: false,
    }
}

fn too_large(path: &str, len: u64, kind: Option<Kind>) -> Error {
    let (what, max) = match kind {
        Some(k) => (format!("{}s", k.member()), rules::max_bytes(k)),
        None => ("files".to_owned(), rules::max_any()),
    };
    let hint = match kind {
        Some(Kind::Image) | Some(Kind::Document) => "",
        _ => " Larger videos go by S3 location (/attach s3://bucket/key) to models that take them.",
    };
    Error::TooLarge {
        path: path.to_owned(),
        size: rules::size(len),
        what,
        max: rules::size(max),
        hint: hint.to_owned(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => crate::sanitize::text(&e.to_string()),
    }
}

/// Whether the file an attachment was read from still is what was read.
pub fn unchanged(a: &Attached) -> Result<(), Error> {
    let (Some(path), Some(stamp)) = (&a.path, a.stamp) else {
        return Ok(());
    };
    match std::fs::metadata(path) {
        Ok(meta) if Stamp::of(&meta) == stamp => Ok(()),
        _ => Err(Error::Changed { path: shown(path) }),
    }
}

/// An S3 location (`s3://bucket/key`), named by its key's extension: the app never
/// reads the object, the service does (with the caller's s3:GetObject).
pub fn s3(uri: &str, bucket_owner: Option<String>) -> Result<Attached, Error> {
    let clean = crate::sanitize::text(uri);
    let rest = uri
        .strip_prefix("s3://")
        .ok_or_else(|| Error::BadS3(clean.clone()))?;
    let (bucket, key) = rest
        .split_once('/')
        .ok_or_else(|| Error::BadS3(clean.clone()))?;
    if !crate::local::jobs::valid_s3_uri(uri)
        || bucket.is_empty()
        || key.is_empty()
        || key.ends_with('/')
        || clean != uri
    {
        return Err(Error::BadS3(clean));
    }
    let file = key.rsplit('/').next().unwrap_or(key).to_owned();
    let format = Path::new(&file)
        .extension()
        .and_then(|e| sniff::by_extension(&e.to_string_lossy()))
        .ok_or_else(|| Error::S3Format {
            uri: clean.clone(),
            formats: sniff::extensions().collect::<Vec<_>>().join(", "),
        })?;
    let source = Source::S3 {
        uri: uri.to_owned(),
        bucket_owner,
    };
    Ok(Attached {
        media: media(format, file, source),
        path: None,
        stamp: None,
        size: 0,
        tokens: None,
    })
}

/// The input tokens `m` adds to a request, by the local endpoint's accounting (the
/// meter's estimate): images by Anthropic's rule, documents by their text (PDFs with a
/// figure per page), video by its length. `None` for an S3 location, whose bytes the
/// app never reads. Reading a PDF's text takes a while, so each content is counted once
/// per process; run it off the event loop.
pub fn tokens(m: &Media) -> Option<u32> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    /// Tokens by digest, format and document name.
    type Counted = HashMap<(String, String, String), u32>;
    static COUNTED: OnceLock<Mutex<Counted>> = OnceLock::new();
    let Source::Bytes(blob) = &m.source else {
        return None;
    };
    let key = (blob.sha256.clone(), m.format.clone(), m.name.clone());
    let counted = COUNTED.get_or_init(Default::default);
    if let Some(t) = counted.lock().ok().and_then(|c| c.get(&key).copied()) {
        return Some(t);
    }
    let t = crate::local::tokens::attachment(m.kind.member(), &m.format, &m.name, &blob.data);
    if let Ok(mut c) = counted.lock() {
        c.insert(key, t);
    }
    Some(t)
}

/// The bucket of an `s3://bucket/key` location.
pub fn bucket(uri: &str) -> Option<&str> {
    uri.strip_prefix("s3://")?.split('/').next()
}

/// Refuses an S3 location whose bucket is in another region than the requests,
/// when S3 said where the bucket is.
pub fn same_region(uri: &str, bucket_region: Option<&str>, region: &str) -> Result<(), Error> {
    match bucket_region {
        Some(b) if b != region => Err(Error::S3Region {
            uri: crate::sanitize::text(uri),
            bucket_region: crate::sanitize::text(b),
            region: region.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Attaches what `arg` names: an `s3://` location or a file path (`~/` is the home
/// directory; a relative path is from the working directory).
pub fn open(arg: &str) -> Result<Attached, Error> {
    if arg.starts_with("s3://") {
        return s3(arg, None);
    }
    load(&expand(arg))
}

/// `arg` with a leading `~/` made the home directory.
pub fn expand(arg: &str) -> PathBuf {
    match (arg.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(arg),
    }
}

#[cfg(test)]
mod tests;
