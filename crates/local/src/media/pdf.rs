//! The text of a PDF, page by page (lopdf's text extraction), so that the simulated
//! model reads a PDF and can cite the page a quote comes from.

/// The text of each page, page 1 first; `None` when the bytes do not parse as a PDF.
/// Text is what simple PDFs draw with `Tj`/`TJ` in fonts of a standard encoding; a
/// page drawn otherwise (scanned, or in fonts lopdf cannot decode) gives empty text.
pub(super) fn pages(bytes: &[u8]) -> Option<Vec<String>> {
    // The bytes come from a client: a parser bug must not take the request down with
    // it, so a panic counts as a PDF that does not parse.
    std::panic::catch_unwind(|| {
        let doc = lopdf::Document::load_mem(bytes).ok()?;
        let numbers: Vec<u32> = doc.get_pages().into_keys().collect();
        Some(
            numbers
                .iter()
                .map(|n| {
                    doc.extract_text(&[*n])
                        .map(|t| tidy(&t))
                        .unwrap_or_default()
                })
                .collect(),
        )
    })
    .ok()
    .flatten()
}

/// Trims each line and drops empty ones: extraction ends every text object with a
/// line break, which leaves blank lines between pieces of a sentence.
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod testing {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};

    /// A PDF whose pages show the given lines of text (one page per entry), in
    /// Helvetica, as a minimal document writer makes them.
    pub(crate) fn pdf(pages: &[&[&str]]) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let mut kids = Vec::new();
        for lines in pages {
            // One text object per line: extraction ends each with a line break.
            let mut operations = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let y = 720 - 14 * i as i64;
                operations.extend([
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 12.into()]),
                    Operation::new("Td", vec![72.into(), y.into()]),
                    Operation::new("Tj", vec![Object::string_literal(*line)]),
                    Operation::new("ET", vec![]),
                ]);
            }
            let content = Content { operations };
            let encoded = content.encode().expect("content encodes");
            let content_id = doc.add_object(Stream::new(dictionary! {}, encoded));
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            });
            kids.push(Object::from(page_id));
        }
        let count = kids.len() as i64;
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            }),
        );
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("a PDF is written");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_text_of_each_page() {
        let bytes = testing::pdf(&[
            &["Quarterly report.", "Revenue grew by 12 percent."],
            &["Costs fell in the second half."],
        ]);
        assert!(bytes.starts_with(b"%PDF-1.5"));
        let pages = pages(&bytes).expect("a PDF");
        assert_eq!(
            pages,
            vec![
                "Quarterly report.\nRevenue grew by 12 percent.".to_owned(),
                "Costs fell in the second half.".to_owned(),
            ]
        );
    }

    #[test]
    fn what_is_not_a_pdf_gives_nothing() {
        assert_eq!(pages(b"not a pdf"), None);
        assert_eq!(pages(b"%PDF-1.4\n%%EOF"), None);
        assert_eq!(pages(b""), None);
    }
}
