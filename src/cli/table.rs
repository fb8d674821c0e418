//! Listings (`models`, `jobs list`) as tables of left-aligned columns, cut to the
//! terminal's width when printed to one; widths are terminal columns, not characters.

use std::io::IsTerminal;

use unicode_width::UnicodeWidthStr;

use crate::ui::text::ellipsize;

use crate::sanitize;

/// Columns are this far apart.
const GAP: &str = "  ";

/// The width to cut tables to: the terminal's when standard output is one; a pipe
/// gets whole rows, for the program reading them.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
        .filter(|w| *w > 0)
}

/// `header` and `cells` as a table, each cell made safe to print and kept to one line;
/// with `width`, cells are cut with an ellipsis so that no line is wider.
pub fn columns<R: AsRef<[String]>>(header: &[String], cells: &[R], width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(cells.iter().map(AsRef::as_ref))
        .map(|row| {
            row.iter()
                .map(|c| sanitize::text(c).replace('\n', " "))
                .collect()
        })
        .collect();
    let mut widths = vec![0; header.len()];
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    if let Some(total) = width {
        let gaps = GAP.len() * widths.len().saturating_sub(1);
        fit(&mut widths, total.saturating_sub(gaps));
    }
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let cut = ellipsize(c, *w);
                let pad = w.saturating_sub(cut.width());
                cut + &" ".repeat(pad)
            })
            .collect();
        let line = cells.join(GAP);
        let line = line.trim_end();
        // Narrower than one column per cell, whole lines are cut as a last resort.
        out.push_str(&match width {
            Some(total) => ellipsize(line, total),
            None => line.to_owned(),
        });
        out.push('\n');
    }
    out
}

/// Narrows `widths` to fit `budget` columns: the widest first, down to two columns
/// each (a character and the ellipsis); the first column, the id a user copies, is cut
/// only when the others cannot make room.
fn fit(widths: &mut [usize], budget: usize) {
    if let Some((first, rest)) = widths.split_first_mut() {
        shrink(rest, budget.saturating_sub(*first), 2);
    }
    shrink(widths, budget, 1);
}

/// Lowers the widest of `widths` a column at a time until they fit `budget` or are
/// all down to `floor`.
fn shrink(widths: &mut [usize], budget: usize, floor: usize) {
    while widths.iter().sum::<usize>() > budget {
        let Some(widest) = widths
            .iter_mut()
            .filter(|w| **w > floor)
            .max_by_key(|w| **w)
        else {
            return;
        };
        *widest -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings<const N: usize>(row: [&str; N]) -> [String; N] {
        row.map(str::to_owned)
    }

    #[test]
    fn cells_are_cut_to_the_width_in_terminal_columns() {
        let header = strings(["ID", "NAME", "NOTE"]);
        let cells = [
            strings([
                "amazon.nova-pro-v1:0",
                "Nova Pro",
                "a long note about the model",
            ]),
            strings(["acme.wide-v1:0", "模型名称很长的模型", "x"]),
        ];
        let whole = columns(&header, &cells, None);
        assert_eq!(
            whole.lines().map(UnicodeWidthStr::width).max(),
            Some(20 + 2 + 18 + 2 + 27)
        );
        for width in [40, 30, 20, 5, 1, 0] {
            let cut = columns(&header, &cells, Some(width));
            for line in cut.lines() {
                assert!(line.width() <= width, "{width}: {line:?}");
            }
        }
        let cut = columns(&header, &cells, Some(40));
        let lines: Vec<&str> = cut.lines().collect();
        // The id stays whole; the wide name is cut between characters, not inside one.
        assert_eq!(lines[1], "amazon.nova-pro-v1:0  Nova Pro  a long …");
        assert_eq!(lines[2], "acme.wide-v1:0        模型名…   x");
    }

    #[test]
    fn cells_are_cleaned_before_they_are_measured() {
        let header = strings(["ID", "NAME"]);
        let cells = [strings(["a\x1b[31m", "x\ny"]), strings(["bb", "z"])];
        assert_eq!(columns(&header, &cells, None), "ID  NAME\na   x y\nbb  z\n");
    }

    #[test]
    fn ellipsize_never_overflows() {
        assert_eq!(ellipsize("abcd", 3), "ab…");
        assert_eq!(ellipsize("模型", 2), "…");
    }
}
