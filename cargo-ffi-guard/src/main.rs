//! `cargo ffi-guard`: argument parsing and exit codes only.
//!
//! Exit status: 0 nothing at `deny`; 1 a finding at `deny` (for `test`: the
//! tests failed or the runtime recorded findings); 2 the tool could not run.

use std::process::ExitCode;

use cargo_ffi_guard::{Cli, Command, EXIT_CANNOT_RUN, commands};
use clap::Parser;

fn main() -> ExitCode {
    // Cargo runs `cargo-ffi-guard ffi-guard ARGS...`: skip its subcommand name.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "ffi-guard") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CANNOT_RUN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        None => commands::check::run(&cli.check),
        Some(Command::Check(args)) => commands::check::run(&args),
        Some(Command::Test(args)) => commands::test::run(&args),
        Some(Command::Report(args)) => commands::report::run(&args),
        Some(Command::Lints) => commands::lints::run(),
        Some(Command::Explain { lint }) => commands::explain::run(&lint),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}
