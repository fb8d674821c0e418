//! The `bedrock-tui` binary: parses the command line and runs the chosen command on one
//! async runtime.

use std::process::ExitCode;

use bedrock_tui::cli;

fn main() -> ExitCode {
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
