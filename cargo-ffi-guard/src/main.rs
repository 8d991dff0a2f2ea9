//! `cargo ffi-guard`: argument parsing and exit codes only.
//!
//! Exit status: 0 nothing at `deny`; 1 a finding at `deny` (for `test`: the
//! tests failed or the runtime recorded findings); 2 the tool could not run.

mod commands;
mod diag;
mod lints;
mod model;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit status when the tool itself could not run (bad manifest, bad flag).
pub const EXIT_CANNOT_RUN: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "cargo-ffi-guard",
    bin_name = "cargo ffi-guard",
    version,
    about = "Finds bugs at the Rust/C boundary: a static lint, and a test runner that fails on leak and misuse reports"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `check` is the default command; its options may follow directly.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint the crate without compiling or running it (the default)
    Check(CheckArgs),
    /// Run `cargo test` under the runtime checker and fail on findings
    Test(TestArgs),
    /// Merge and print the reports left in a folder by earlier test runs
    Report(ReportArgs),
    /// List every lint: name, default level, summary
    Lints,
    /// Print the long explanation of a lint, with a bad and a good example
    Explain {
        /// The lint's name, as in `cargo ffi-guard lints`
        lint: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args, Default, Clone)]
pub struct CheckArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Lint every member of the workspace
    #[arg(long)]
    pub workspace: bool,
    /// Lint only these packages
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    pub packages: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Set lints to deny (`warnings` denies every warning)
    #[arg(long, value_name = "LINT")]
    pub deny: Vec<String>,
    /// Set lints to warn
    #[arg(long, value_name = "LINT")]
    pub warn: Vec<String>,
    /// Turn lints off
    #[arg(long, value_name = "LINT")]
    pub allow: Vec<String>,
    /// Apply machine-applicable fixes, then lint again
    #[arg(long)]
    pub fix: bool,
}

#[derive(Debug, Args, Clone)]
pub struct TestArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Arguments passed on to `cargo test`
    #[arg(last = true, value_name = "CARGO-TEST-ARGS")]
    pub cargo_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The folder of `.json`/`.jsonl` reports (default: the last `cargo ffi-guard test` run's)
    pub dir: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

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
