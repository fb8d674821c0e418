//! What a command prints: standard output whose closing by the reader (`| head`) ends
//! the command quietly, JSON with readable numbers and clean strings, notes and errors
//! on stderr, all free of escape sequences.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};

use crate::sanitize;

/// The reader of standard output went away; the command has nothing left to do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
struct Closed;

/// Standard output, locked for the command; a write to a closed pipe fails with an
/// error [`closed`] recognizes.
pub struct Stdout(io::StdoutLock<'static>);

pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

fn mark_closed(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, Closed)
    } else {
        e
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark_closed)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark_closed)
    }
}

/// Whether `e` comes from writing to a standard output nobody reads any more.
pub fn closed(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .is_some_and(|inner| inner.is::<Closed>())
    })
}

/// A line on stderr, `bedrock-tui: ` and `message` made safe to print.
pub fn note(message: impl std::fmt::Display) {
    let line = sanitize::text(&message.to_string());
    // Nothing is left to tell the user if stderr is gone too.
    let _ = writeln!(io::stderr(), "bedrock-tui: {line}");
}

/// The message of a failed command: each cause once, made safe to print (service
/// messages come from outside).
pub fn error_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // A cause its wrapper already quotes is not said twice.
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    sanitize::text(&message)
}

/// Writes `value` as indented JSON and a newline: numbers as plain decimals, strings
/// without escape sequences or control characters (tabs and newlines stay).
pub fn json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut buf,
        Tidy::default(),
    ))?;
    buf.push(b'\n');
    // Written in one piece, so a closed pipe reports as an io::Error of its own.
    out.write_all(&buf)?;
    Ok(())
}

/// A float as a person writes it: plain decimal notation, rounded to 12 significant
/// digits so the last bits of a computation (0.000012100000000000001) do not show.
pub fn decimal(v: f64) -> String {
    let rounded: f64 = format!("{v:.11e}").parse().unwrap_or(v);
    let s = rounded.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// serde_json's pretty layout, with [`decimal`] numbers and strings gathered whole to
/// be sanitized before they are escaped.
#[derive(Default)]
struct Tidy {
    pretty: PrettyFormatter<'static>,
    string: Option<String>,
}

impl Formatter for Tidy {
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        w.write_all(decimal(v).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        // Through its own shortest form: widening first would show 0.1f32 as 0.100000001.
        let shortest: f64 = v.to_string().parse().unwrap_or(f64::from(v));
        self.write_f64(w, shortest)
    }

    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.string = Some(String::new());
        w.write_all(b"\"")
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, _: &mut W, s: &str) -> io::Result<()> {
        if let Some(string) = &mut self.string {
            string.push_str(s);
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, _: &mut W, e: CharEscape) -> io::Result<()> {
        let c = match e {
            CharEscape::Quote => '"',
            CharEscape::ReverseSolidus => '\\',
            CharEscape::Solidus => '/',
            CharEscape::Backspace => '\x08',
            CharEscape::FormFeed => '\x0c',
            CharEscape::LineFeed => '\n',
            CharEscape::CarriageReturn => '\r',
            CharEscape::Tab => '\t',
            CharEscape::AsciiControl(b) => char::from(b),
        };
        if let Some(string) = &mut self.string {
            string.push(c);
        }
        Ok(())
    }

    fn end_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let clean = sanitize::keeping_tabs(&self.string.take().unwrap_or_default());
        // Escaped as serde_json escapes any string; its opening quote is already out
        // (begin_string wrote it, and a number used as a key was written in between).
        let quoted = serde_json::to_string(&clean).map_err(io::Error::from)?;
        w.write_all(&quoted.as_bytes()[1..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
