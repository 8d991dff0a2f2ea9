//! `cargo ffi-guard` as a library: the command line's types, the lint engine
//! and the commands. The binary (`src/main.rs`) only parses arguments and
//! turns results into exit codes; the fuzz target and the tests call in here.

pub mod allow;
pub mod baseline;
pub mod commands;
pub mod config;
pub mod context;
pub mod deps;
pub mod diag;
pub mod emit;
pub mod engine;
pub mod fence;
pub mod fix;
pub mod flow;
pub mod headers;
pub mod index;
pub mod lints;
pub mod model;
pub mod parse;
pub mod reports;
pub mod source;
pub mod span_map;
pub mod surface;
pub mod workspace;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Path to Cargo.toml (repeat it to lint several crates in one run)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Vec<PathBuf>,
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
    /// With --fix: also touch files with uncommitted changes (or outside version control)
    #[arg(long, requires = "fix")]
    pub allow_dirty: bool,
    /// Speak cargo's message stream (`json`: `compiler-message` lines, then
    /// `build-finished`), as `cargo check --message-format=json` does; overrides --format
    #[arg(long, value_enum, value_name = "FMT")]
    pub message_format: Option<MessageFormat>,
    /// With --message-format json: run `cargo check --message-format=json`
    /// first and pass its messages on, so an editor gets both in one stream
    #[arg(long, requires = "message_format")]
    pub with_cargo_check: bool,
    /// Fail only on findings not recorded in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in this baseline file (and exit 0)
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Read only the crate's own sources, not its dependencies' declarations
    #[arg(long)]
    pub no_deps: bool,
    /// The cargo that runs `cargo metadata` (default: `$CARGO`, else `cargo`
    /// on PATH); on untrusted code, a toolchain's own cargo, not rustup's proxy
    #[arg(long, value_name = "PATH")]
    pub cargo: Option<PathBuf>,
}

/// `--message-format`: cargo's names for its output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// As `--format human`
    Human,
    /// One line per diagnostic: `file:line:col: level[lint]: message`
    Short,
    /// cargo's JSON message stream
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct TestArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Run the static lint on the same manifest first; the exit status is the worse of the two
    #[arg(long)]
    pub check: bool,
    /// Also write the merged report as one self-contained HTML page here
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Arguments passed on to `cargo test`
    #[arg(last = true, value_name = "CARGO-TEST-ARGS")]
    pub cargo_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
    /// SARIF 2.1.0 for code scanning, each finding at its Rust site
    Sarif,
    /// One self-contained HTML page (no network access), for a CI artifact
    Html,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The folder of `.json`/`.jsonl` reports (default: the last `cargo ffi-guard test` run's)
    pub dir: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

/// Exit status when the tool itself could not run (bad manifest, bad flag).
pub const EXIT_CANNOT_RUN: u8 = 2;
