//! The `bedrock-tui` binary: parses the command line and runs the chosen command on one
//! async runtime.

use std::process::ExitCode;

use bedrock_tui::cli;

/// Has glibc's allocator hand memory back to the system after a burst of work (a long
/// answer laid out, a request built from a long conversation) instead of keeping it
/// for reuse: by default it keeps freed memory below 128 KiB at the top of a heap, and
/// one heap per thread that ever allocated. Measured in BENCHMARKS.md (resident memory).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets the allocator's parameters; it is called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    // Read while the process has one thread (see `clock::init_local_offset`).
    bedrock_tui::clock::init_local_offset();
    let cli = cli::parse();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(cli::run(cli)),
        Err(e) => {
            eprintln!("bedrock-tui: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
