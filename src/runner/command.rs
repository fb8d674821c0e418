//! Command tools: a program run without a shell, its whole environment the config's,
//! the input as JSON on stdin, the answer on stdout. Each call is a child in its own
//! process group, killed with everything it started on timeout or when the call's
//! future is dropped.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::process::{self, GroupGuard, Head, STDERR_TAIL, Tail};
use crate::tools::{CommandTool, Content, Output};

/// Stdout kept beyond the result's cap: enough to know the output was cut, and for
/// escape sequences sanitizing removes.
const SLACK: usize = 4096;

/// Runs `tool` with `input`; every failure is an error `Output`.
pub async fn run(tool: &CommandTool, input: &Value, max_bytes: usize) -> Output {
    let name = &tool.spec.name;
    let Some(argv0) = tool.argv.first() else {
        return Output::error(format!("The tool '{name}' has no program to run."));
    };
    let mut cmd = tokio::process::Command::new(process::program(argv0, &tool.env));
    cmd.args(&tool.argv[1..])
        .env_clear()
        .envs(&tool.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own group, so killing the group also takes what it started.
        .process_group(0);
    if let Some(cwd) = &tool.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output::error(format!(
                "The tool '{name}' could not start its program '{}': {e}",
                crate::sanitize::text(argv0)
            ));
        }
    };
    // Declared after `child`, so it is dropped first: the group is killed while the
    // leader is still unreaped and its id cannot have been reused.
    let mut guard = GroupGuard::new(child.id());
    tracing::debug!(tool = %name, pid = child.id(), "command tool started");

    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let input = serde_json::to_vec(input).unwrap_or_default();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A program that does not read its input closes the pipe: not an error.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let limit = max_bytes.saturating_add(SLACK);
    let read_out = async move {
        match stdout {
            Some(s) => process::read_head(s, limit).await,
            None => Head {
                bytes: Vec::new(),
                total: 0,
            },
        }
    };
    let read_err = async move {
        match stderr {
            Some(s) => process::read_tail(s, STDERR_TAIL).await,
            None => Tail::new(0),
        }
    };
    let work = async {
        let ((), out, err, status) = tokio::join!(write, read_out, read_err, child.wait());
        (out, err, status)
    };
    let result = tokio::time::timeout(tool.timeout, work).await;
    match result {
        Err(_) => {
            // `guard` kills the group as this returns.
            tracing::info!(tool = %name, "command tool timed out");
            Output::error(format!(
                "The tool '{name}' timed out after {} and was stopped.",
                seconds(tool.timeout)
            ))
        }
        Ok((_, _, Err(e))) => {
            Output::error(format!("The tool '{name}' could not be waited for: {e}"))
        }
        Ok((out, err, Ok(status))) => {
            guard.disarm();
            finished(name, status, out, err, max_bytes)
        }
    }
}

fn finished(name: &str, status: ExitStatus, out: Head, err: Tail, max_bytes: usize) -> Output {
    if status.success() {
        if out.total > out.bytes.len() as u64 {
            return cut(&out, max_bytes);
        }
        return Output::from_stdout(&out.bytes, max_bytes);
    }
    let how = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => {
            use std::os::unix::process::ExitStatusExt;
            format!("was killed by signal {}", status.signal().unwrap_or(0))
        }
    };
    // Many programs say what went wrong on stdout; use it when stderr is empty.
    let mut why = err.text();
    if why.is_empty() {
        let mut t = Tail::new(STDERR_TAIL);
        t.push(&out.bytes);
        why = t.text();
    }
    let msg = if why.is_empty() {
        format!("The tool '{name}' {how}.")
    } else {
        format!("The tool '{name}' {how}: {why}")
    };
    Output::error(msg).capped(max_bytes)
}

/// Output longer than what was read: text cut, with a note that counts what the
/// command printed rather than what was kept.
fn cut(out: &Head, max_bytes: usize) -> Output {
    let mut o = Output::text(String::from_utf8_lossy(&out.bytes).into_owned()).capped(max_bytes);
    // `capped` on one part adds at most one part, its own note, which counts only
    // the bytes it saw.
    o.content.truncate(1);
    o.content.push(Content::Text(format!(
        "\n[output cut: the command printed {} bytes; results keep at most {max_bytes} bytes]",
        out.total
    )));
    o
}

/// A duration as "3 s" or "0.5 s".
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
