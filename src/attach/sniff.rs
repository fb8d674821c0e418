//! An attachment's format, read from its bytes: the extension only names the text
//! formats (which have no signature) and is checked against what the bytes say.

use crate::conversation::Kind;

/// What the bytes are, as Converse names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub kind: Kind,
    /// Converse's format value: `png`, `jpeg`, `pdf`, `three_gp`, ...
    pub name: &'static str,
}

impl Format {
    const fn new(kind: Kind, name: &'static str) -> Self {
        Format { kind, name }
    }

    /// How people call it: "a PNG image", "a PDF document", "an MP4 video".
    pub fn described(&self) -> String {
        let upper = match self.name {
            "three_gp" => "3GP".to_owned(),
            "txt" => "text".to_owned(),
            "md" => "Markdown".to_owned(),
            n => n.to_ascii_uppercase(),
        };
        let article = if upper
            .starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X'])
            && upper
                .chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            "an"
        } else {
            "a"
        };
        format!("{article} {upper} {}", self.kind.member())
    }
}

/// Every format the Converse API takes, by the file extensions that name it.
const BY_EXTENSION: &[(&str, Format)] = &[
    ("png", Format::new(Kind::Image, "png")),
    ("jpg", Format::new(Kind::Image, "jpeg")),
    ("jpeg", Format::new(Kind::Image, "jpeg")),
    ("gif", Format::new(Kind::Image, "gif")),
    ("webp", Format::new(Kind::Image, "webp")),
    ("pdf", Format::new(Kind::Document, "pdf")),
    ("csv", Format::new(Kind::Document, "csv")),
    ("doc", Format::new(Kind::Document, "doc")),
    ("docx", Format::new(Kind::Document, "docx")),
    ("xls", Format::new(Kind::Document, "xls")),
    ("xlsx", Format::new(Kind::Document, "xlsx")),
    ("html", Format::new(Kind::Document, "html")),
    ("htm", Format::new(Kind::Document, "html")),
    ("txt", Format::new(Kind::Document, "txt")),
    ("md", Format::new(Kind::Document, "md")),
    ("markdown", Format::new(Kind::Document, "md")),
    ("mp4", Format::new(Kind::Video, "mp4")),
    ("mov", Format::new(Kind::Video, "mov")),
    ("mkv", Format::new(Kind::Video, "mkv")),
    ("webm", Format::new(Kind::Video, "webm")),
    ("flv", Format::new(Kind::Video, "flv")),
    ("mpeg", Format::new(Kind::Video, "mpeg")),
    ("mpg", Format::new(Kind::Video, "mpg")),
    ("wmv", Format::new(Kind::Video, "wmv")),
    ("3gp", Format::new(Kind::Video, "three_gp")),
];

/// The format an extension names, if Converse takes it.
pub fn by_extension(ext: &str) -> Option<Format> {
    let ext = ext.to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, f)| *f)
}

/// The extensions of every format, for messages that list them.
pub fn extensions() -> impl Iterator<Item = &'static str> {
    BY_EXTENSION.iter().map(|(e, _)| *e)
}

/// Why the bytes cannot be attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Ok(Format),
    /// The bytes are a format Converse takes, but not the one the extension names.
    Mismatch {
        bytes: Format,
        named: Format,
    },
    /// A format Converse does not take (`what` is its MIME type when known).
    Unsupported(Option<&'static str>),
}

/// The format of `bytes` (the file's first bytes suffice for the binary formats, and
/// the text check reads what it is given), with `ext` for the text formats.
pub fn sniff(bytes: &[u8], ext: Option<&str>) -> Sniffed {
    let named = ext.and_then(by_extension);
    let Some(found) = binary(bytes).or_else(|| text(bytes, named)) else {
        return Sniffed::Unsupported(infer::get(bytes).map(|t| t.mime_type()));
    };
    match named {
        Some(named) if !same(named, found) => Sniffed::Mismatch {
            bytes: found,
            named,
        },
        _ => Sniffed::Ok(found),
    }
}

/// Whether a file named as `named` holding `found` is what its name says: `.mpg` and
/// `.mpeg` are one format, as are the text formats among themselves (a `.md` file
/// holding HTML is still text to read).
fn same(named: Format, found: Format) -> bool {
    let text = |f: Format| matches!(f.name, "txt" | "md" | "csv" | "html");
    let mpeg = |f: Format| matches!(f.name, "mpeg" | "mpg");
    named == found || (text(named) && text(found)) || (mpeg(named) && mpeg(found))
}

fn binary(bytes: &[u8]) -> Option<Format> {
    // 3GP is MP4's container with its own brand, which `infer` reports as MP4 or not at all.
    if bytes.len() >= 11
        && &bytes[4..8] == b"ftyp"
        && (&bytes[8..11] == b"3gp" || &bytes[8..11] == b"3g2")
    {
        return Some(Format::new(Kind::Video, "three_gp"));
    }
    let t = infer::get(bytes)?;
    let ext = match t.extension() {
        "m4v" => "mp4",
        e => e,
    };
    // Text formats are told by `text`, which honours the extension.
    by_extension(ext).filter(|f| !matches!(f.name, "txt" | "md" | "csv" | "html"))
}

/// Text formats have no signature: UTF-8 without NUL bytes is text, named by its
/// extension (plain text without one), or HTML when it says so.
fn text(bytes: &[u8], named: Option<Format>) -> Option<Format> {
    if bytes.contains(&0) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => {}
        // A multi-byte character cut by the end of what was read is still text.
        Err(e) if e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4 => {}
        Err(_) => return None,
    }
    if let Some(f) = named.filter(|f| matches!(f.name, "txt" | "md" | "csv" | "html")) {
        return Some(f);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    Some(
        if head.starts_with("<!doctype html") || head.starts_with("<html") {
            Format::new(Kind::Document, "html")
        } else {
            Format::new(Kind::Document, "txt")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x08\x08\x02\0\0\0";

    fn ok(bytes: &[u8], ext: Option<&str>) -> &'static str {
        match sniff(bytes, ext) {
            Sniffed::Ok(f) => f.name,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_bytes_decide_and_the_extension_names_only_text() {
        assert_eq!(ok(PNG, Some("png")), "png");
        assert_eq!(ok(PNG, None), "png");
        assert_eq!(ok(PNG, Some("bin")), "png");
        assert_eq!(ok(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", Some("pdf")), "pdf");
        assert_eq!(ok(b"a,b\n1,2\n", Some("csv")), "csv");
        assert_eq!(ok(b"# Title\n", Some("MD")), "md");
        assert_eq!(ok(b"plain words", None), "txt");
        assert_eq!(ok(b"<!DOCTYPE html><p>x", Some("txt")), "txt");
        assert_eq!(ok(b"<!DOCTYPE html><p>x", None), "html");
        assert_eq!(ok(b"\0\0\0\x18ftyp3gp4\0\0\0\0", None), "three_gp");
        assert_eq!(ok(b"\0\0\0\x18ftypisom\0\0\0\0isom", Some("mp4")), "mp4");
        // A cut multi-byte character at the end of the sample.
        assert_eq!(
            ok("héllo é".as_bytes().split_last().unwrap().1, None),
            "txt"
        );
    }

    #[test]
    fn a_png_named_pdf_is_a_mismatch_and_unknown_bytes_are_unsupported() {
        assert_eq!(
            sniff(PNG, Some("pdf")),
            Sniffed::Mismatch {
                bytes: Format::new(Kind::Image, "png"),
                named: Format::new(Kind::Document, "pdf"),
            }
        );
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(64, 0);
        assert!(matches!(sniff(&elf, None), Sniffed::Unsupported(Some(_))));
        assert_eq!(
            sniff(b"BM\x00\x00\x00\x00\x00\x00", Some("bmp")),
            Sniffed::Unsupported(Some("image/bmp"))
        );
        assert_eq!(Format::new(Kind::Image, "png").described(), "a PNG image");
        assert_eq!(
            Format::new(Kind::Document, "pdf").described(),
            "a PDF document"
        );
        assert_eq!(Format::new(Kind::Video, "mp4").described(), "an MP4 video");
    }
}
