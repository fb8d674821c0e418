//! The `bedrock-tui` binary: parses the command line and runs the chosen command on one
//! async runtime (one thread for `ask`).

use std::process::ExitCode;

use bedrock_tui::cli;

fn main() -> ExitCode {
    bedrock_tui::alloc::tune();
    // Read while the process has one thread (see `clock::init_local_offset`).
    bedrock_tui::clock::init_local_offset();
    let cli = cli::parse();
    // `ask` waits on one stream: on one thread, no token costs a wake-up of another.
    let runtime = match cli.command {
        Some(cli::Command::Ask(_)) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Runtime::new(),
    };
    match runtime {
        Ok(runtime) => runtime.block_on(cli::run(cli)),
        Err(e) => {
            eprintln!("bedrock-tui: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
