//! What command tools and stdio MCP servers share: finding a program when the child's
//! environment is not the app's, killing a child's whole process group, and keeping
//! only the tail (or the head) of what a child prints.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of a child's stderr a failure message keeps.
pub const STDERR_TAIL: usize = 2048;

/// The program `name` runs: a path as it is; a bare name looked up in the child's
/// `PATH` if its environment has one, else in the app's, so a tool with an empty
/// environment still finds `python3`. A name found nowhere is left for the spawn to
/// report.
pub fn program(name: &str, env: &BTreeMap<String, String>) -> PathBuf {
    if name.contains('/') {
        return PathBuf::from(name);
    }
    let path: Option<OsString> = match env.get("PATH") {
        Some(p) => Some(p.into()),
        None => std::env::var_os("PATH"),
    };
    path.iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Kills the process group `pgid` (a child spawned as the leader of its own group),
/// so what the child started goes too. A group already gone is no error.
pub fn kill_group(pgid: u32) {
    let Ok(raw) = i32::try_from(pgid) else {
        return;
    };
    if raw <= 1 {
        // 0 and 1 would name our own group or init's; never a child of ours.
        return;
    }
    if let Err(e) = killpg(Pid::from_raw(raw), Signal::SIGKILL)
        && e != nix::errno::Errno::ESRCH
    {
        tracing::warn!(pgid, "cannot kill the process group: {e}");
    }
}

/// Kills a child's process group when dropped, unless disarmed: a call's future
/// dropped mid-way takes the command and everything it started with it.
pub struct GroupGuard(Option<u32>);

impl GroupGuard {
    pub fn new(pgid: Option<u32>) -> Self {
        GroupGuard(pgid)
    }

    /// The child finished on its own: nothing to kill.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.take() {
            kill_group(pgid);
        }
    }
}

/// The last `cap` bytes written to it.
#[derive(Debug)]
pub struct Tail {
    buf: VecDeque<u8>,
    cap: usize,
}

impl Tail {
    pub fn new(cap: usize) -> Self {
        Tail {
            buf: VecDeque::with_capacity(cap.min(64 * 1024)),
            cap,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        let bytes = &bytes[bytes.len().saturating_sub(self.cap)..];
        let over = (self.buf.len() + bytes.len()).saturating_sub(self.cap);
        self.buf.drain(..over);
        self.buf.extend(bytes);
    }

    /// The tail as safe text: lossy UTF-8 (a character cut at the start is replaced),
    /// escape sequences and control characters removed, trimmed.
    pub fn text(&self) -> String {
        let bytes: Vec<u8> = self.buf.iter().copied().collect();
        crate::sanitize::keeping_tabs(&String::from_utf8_lossy(&bytes))
            .trim()
            .to_owned()
    }
}

/// Reads `reader` to its end, keeping the last `cap` bytes.
pub async fn read_tail(mut reader: impl AsyncRead + Unpin, cap: usize) -> Tail {
    let mut tail = Tail::new(cap);
    let mut buf = vec![0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return tail,
            Ok(n) => tail.push(&buf[..n]),
        }
    }
}

/// What a stream held: its first `limit` bytes and how many it held in all.
pub struct Head {
    pub bytes: Vec<u8>,
    pub total: u64,
}

/// Reads `reader` to its end, keeping the first `limit` bytes and draining the rest,
/// so a child printing without end neither blocks on a full pipe nor fills memory.
pub async fn read_head(mut reader: impl AsyncRead + Unpin, limit: usize) -> Head {
    let mut head = Head {
        bytes: Vec::new(),
        total: 0,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return head,
            Ok(n) => {
                head.total += n as u64;
                let room = limit.saturating_sub(head.bytes.len());
                head.bytes.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_bytes() {
        let mut t = Tail::new(5);
        t.push(b"abc");
        t.push(b"defg");
        assert_eq!(t.text(), "cdefg");
        t.push(b"0123456789");
        assert_eq!(t.text(), "56789");
        let mut e = Tail::new(100);
        e.push(b"oops \x1b[31mred\x1b[0m\x07\n");
        assert_eq!(e.text(), "oops red");
    }

    #[tokio::test]
    async fn a_head_keeps_the_first_bytes_and_counts_the_rest() {
        let data = vec![b'x'; 200_000];
        let head = read_head(&data[..], 1000).await;
        assert_eq!(head.bytes.len(), 1000);
        assert_eq!(head.total, 200_000);
    }

    #[test]
    fn bare_names_are_found_on_the_path() {
        let none = BTreeMap::new();
        assert!(program("sh", &none).is_absolute());
        assert_eq!(program("./x", &none), PathBuf::from("./x"));
        assert_eq!(
            program("no-such-program-here", &none),
            PathBuf::from("no-such-program-here")
        );
        let empty_path = BTreeMap::from([("PATH".to_owned(), "/nonexistent".to_owned())]);
        assert_eq!(program("sh", &empty_path), PathBuf::from("sh"));
    }
}
