//! Composing in `$VISUAL` or `$EDITOR` (`vi` when neither is set): the text goes to a
//! file in a private temporary folder, the editor runs on the terminal while the app's
//! screen is suspended, and what the editor left comes back, sanitized.

use std::process::Command;

/// Edits `text` in the user's editor, in a file called `file_name`; the edited text, or
/// why there is none.
pub(super) fn edit(text: &str, file_name: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // The folder is created 0700, so the draft is not readable by other users.
    let dir = tempfile::Builder::new()
        .prefix("bedrock-tui-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let path = dir.path().join(file_name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Through the shell, as `$EDITOR` may hold arguments (`code --wait`).
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot run {editor}: {e}"))?;
    if !status.success() {
        return Err(format!("{editor} exited with {status}"));
    }
    let edited = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // What the editor left is untrusted like a paste: cleaned where it enters.
    Ok(crate::sanitize::text(edited.trim_end_matches('\n')))
}
