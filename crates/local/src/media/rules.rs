//! The service's rules for attachments, checked before the model runs: what the model
//! can take (images, documents, video, S3 sources, citations), document names, how many
//! attachments a request may carry and how large each may be, and that every S3 object
//! exists, in a bucket of the request's Region. Sizes are in binary units: 3.75 MB is
//! 3.75 × 1024 × 1024 bytes.

use bedrock_catalog::Capabilities;

use super::super::conversation::{Block, Request};
use super::super::error::ServiceError;
use super::{Lookup, Source};

type Result<T> = std::result::Result<T, ServiceError>;

const MB: usize = 1024 * 1024;
pub(crate) const MAX_IMAGE_BYTES: usize = 3 * MB + 3 * MB / 4;
pub(crate) const MAX_IMAGE_PIXELS: u32 = 8000;
pub(crate) const MAX_IMAGES: usize = 20;
pub(crate) const MAX_DOCUMENT_BYTES: usize = 4 * MB + MB / 2;
pub(crate) const MAX_DOCUMENTS: usize = 5;
/// Inline video is limited by its base64 size on the wire.
pub(crate) const MAX_INLINE_VIDEO_BASE64: usize = 25 * MB;
/// Video read from S3 may be larger, up to 1 GB.
pub(crate) const MAX_S3_VIDEO_BYTES: usize = 1024 * MB;

/// The service's words for a document name it refuses.
pub(crate) const NAME_RULE: &str = "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request.";

/// Whether the model can take `block`, as the service checks each content block.
pub(crate) fn check_block(block: &Block, caps: &Capabilities) -> Result<()> {
    let (kind, source) = match block {
        Block::Image(i) => {
            if !caps.images {
                return Err(ServiceError::validation(
                    "This model doesn't support the image content block that you provided. Try again with a model that supports images.",
                ));
            }
            ("image", &i.source)
        }
        Block::Video(v) => {
            if !caps.video {
                return Err(ServiceError::validation(
                    "This model doesn't support the video content block that you provided. Try again with a model that supports video.",
                ));
            }
            ("video", &v.source)
        }
        Block::Document(d) => {
            if !caps.documents {
                return Err(ServiceError::validation(
                    "This model doesn't support documents. Try again with a model that supports documents.",
                ));
            }
            if d.citations && !caps.citations {
                return Err(ServiceError::validation(
                    "This model doesn't support citations. Try again with citations disabled, or with a model that supports citations.",
                ));
            }
            ("document", &d.source)
        }
        _ => return Ok(()),
    };
    if source.is_s3() && !caps.s3_media {
        return Err(ServiceError::validation(format!(
            "This model doesn't support an Amazon S3 location as the source of the {kind} content block that you provided. Try again with the {kind} as bytes."
        )));
    }
    Ok(())
}

/// Whether a document name keeps to the service's rule: ASCII letters and digits,
/// spaces (never two in a row), hyphens, parentheses and square brackets. Underscores
/// pass too: the service accepts them though its message does not list them. Other
/// whitespace (tabs, non-ASCII spaces) and non-ASCII letters are refused.
pub(crate) fn valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || " -()[]_".contains(c);
    name.chars().all(allowed) && !name.contains("  ")
}

/// The rules of a whole request that do not depend on the model: document names
/// (valid, unique), how many images and documents, and how large each attachment is.
pub(crate) fn check_request(req: &Request) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    let (mut images, mut documents) = (0, 0);
    for (i, m) in req.messages.iter().enumerate() {
        for (j, b) in m.blocks.iter().enumerate() {
            let at = format!("messages.{i}.content.{j}");
            match b {
                Block::Image(img) => {
                    images += 1;
                    if img.size > MAX_IMAGE_BYTES {
                        return Err(ServiceError::validation(format!(
                            "The image at {at} is {} bytes, larger than the maximum of 3.75 MB ({MAX_IMAGE_BYTES} bytes). Reduce the size of the image and try again.",
                            img.size
                        )));
                    }
                    if let Some((w, h)) = img.dims
                        && (w > MAX_IMAGE_PIXELS || h > MAX_IMAGE_PIXELS)
                    {
                        return Err(ServiceError::validation(format!(
                            "The image at {at} is {w} x {h} pixels. An image can be at most {MAX_IMAGE_PIXELS} pixels wide and {MAX_IMAGE_PIXELS} pixels high. Resize the image and try again."
                        )));
                    }
                }
                Block::Document(d) => {
                    documents += 1;
                    if !valid_name(&d.name) {
                        return Err(ServiceError::validation(NAME_RULE));
                    }
                    if names.contains(&d.name.as_str()) {
                        return Err(ServiceError::validation(
                            "Messages can't contain duplicate document names. Rename the document and retry your request.",
                        ));
                    }
                    names.push(&d.name);
                    if d.size > MAX_DOCUMENT_BYTES {
                        return Err(ServiceError::validation(format!(
                            "The document {} at {at} is {} bytes, larger than the maximum of 4.5 MB ({MAX_DOCUMENT_BYTES} bytes). Reduce the size of the document and try again.",
                            d.name, d.size
                        )));
                    }
                }
                Block::Video(v) => match v.source {
                    Source::Bytes { encoded } if encoded > MAX_INLINE_VIDEO_BASE64 => {
                        return Err(ServiceError::validation(format!(
                            "The video at {at} is {encoded} bytes base64-encoded, larger than the maximum of 25 MB ({MAX_INLINE_VIDEO_BASE64} bytes) for a video sent as bytes. Upload the video to Amazon S3 and give its s3Location instead."
                        )));
                    }
                    Source::S3 { .. } if v.size > MAX_S3_VIDEO_BYTES => {
                        return Err(ServiceError::validation(format!(
                            "The video at {at} is {} bytes, larger than the maximum of 1 GB for a video in Amazon S3.",
                            v.size
                        )));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    if images > MAX_IMAGES {
        return Err(ServiceError::validation(format!(
            "The request has {images} images, more than the maximum of {MAX_IMAGES} images per request. Remove some images and try again."
        )));
    }
    if documents > MAX_DOCUMENTS {
        return Err(ServiceError::validation(format!(
            "The request has {documents} documents, more than the maximum of {MAX_DOCUMENTS} documents per request. Remove some documents and try again."
        )));
    }
    Ok(())
}

/// Refuses a request whose `s3Location` names an object the endpoint's S3 store does
/// not have, as the service refuses one it cannot read, or one in a bucket of another
/// Region than the request's, which the service cannot read either. The service's
/// words for the latter are not documented: the message names both Regions.
pub(crate) fn check_found(req: &Request) -> Result<()> {
    for b in req.messages.iter().flat_map(|m| &m.blocks) {
        let source = match b {
            Block::Image(i) => &i.source,
            Block::Video(v) => &v.source,
            Block::Document(d) => &d.source,
            _ => continue,
        };
        let Source::S3 {
            uri,
            lookup: Some(lookup),
        } = source
        else {
            continue;
        };
        match lookup {
            Lookup::Found => {}
            Lookup::Missing => {
                return Err(ServiceError::validation(format!(
                    "The model returned the following errors: The S3 object {uri} does not exist or access to it is denied. Check the S3 URI and your permissions, and try again."
                )));
            }
            Lookup::OtherRegion { bucket, request } => {
                return Err(ServiceError::validation(format!(
                    "The S3 bucket of {uri} is in {bucket}; Amazon Bedrock in {request} can read S3 objects only in its own Region. Copy the object to a bucket in {request} and try again."
                )));
            }
        }
    }
    Ok(())
}
