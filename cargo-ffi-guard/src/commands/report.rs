//! `cargo ffi-guard report [DIR] [--format human|json|sarif|html]`: merges and prints
//! the reports kept in a folder (a CI artifact, or by default the folder of
//! the last `cargo ffi-guard test` run of this project).
//!
//! Exit status: 1 when the folder holds findings, 0 when it holds none (or
//! no report at all: "no reports in DIR"), 2 when it cannot be read.
//! `--format json` prints one merged document; its shape is described at
//! [`crate::reports::render::json`]; `--format sarif` SARIF 2.1.0 for code
//! scanning ([`crate::reports::sarif`]); `--format html` one self-contained
//! page ([`crate::reports::html`]). Sites, recorded relative to the tested
//! crate's workspace root, are resolved against the workspace of the current
//! folder when there is one, else against the current folder.

use std::path::PathBuf;

use anyhow::bail;

use crate::ReportFormat;
use crate::reports::{self, Gate, render};

pub fn run(args: &crate::ReportArgs) -> anyhow::Result<u8> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => last_run()?,
    };
    if !dir.is_dir() {
        bail!(
            "cannot read the report folder {}: {}",
            dir.display(),
            if dir.exists() {
                "not a folder"
            } else {
                "no such folder"
            }
        );
    }
    let merged = reports::load(&dir)?;
    if merged.sources.is_empty() {
        for note in &merged.notes {
            eprintln!("note: {note}");
        }
        eprintln!("no reports in {}", dir.display());
        // Pointed at `target/ffi-guard/reports` itself, say so.
        if let Some(run) = reports::is_runs_dir(&dir)
            .then(|| reports::last_run_in(&dir))
            .flatten()
        {
            eprintln!(
                "note: {} holds one folder per run; the last one is {}",
                dir.display(),
                run.display()
            );
        }
        match args.format {
            ReportFormat::Human => {}
            format => print!("{}", machine(&merged, format)),
        }
        return Ok(0);
    }
    match args.format {
        ReportFormat::Human => {
            let style = render::Style::from_here(None);
            print!("{}", render::human(&merged, &Gate::default(), &style));
        }
        format => {
            for note in &merged.notes {
                eprintln!("note: {note}");
            }
            print!("{}", machine(&merged, format));
        }
    }
    Ok(u8::from(!merged.groups.is_empty()))
}

/// The report in a format for tools (JSON, SARIF) or a browser (HTML).
fn machine(merged: &reports::Merged, format: ReportFormat) -> String {
    let gate = Gate::default();
    match format {
        ReportFormat::Human => render::human(merged, &gate, &render::Style::from_here(None)),
        ReportFormat::Json => format!("{}\n", render::json(merged)),
        ReportFormat::Sarif => reports::sarif::render(merged, &gate, &workspace_root()),
        ReportFormat::Html => reports::html::render(merged, &gate, Some(&workspace_root())),
    }
}

/// The workspace root of the current folder's project, else the current
/// folder: what relative sites are relative to.
fn workspace_root() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if here.ancestors().any(|d| d.join("Cargo.toml").is_file())
        && let Ok(m) = super::test::metadata(None)
    {
        return m.workspace_root.into_std_path_buf();
    }
    here
}

/// The last `cargo ffi-guard test` run's folder for the project here.
fn last_run() -> anyhow::Result<PathBuf> {
    let here = std::env::current_dir()?;
    if !here.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        bail!(
            "no DIR given, and no Cargo.toml in {} or above to find the last run's reports by; pass the folder of the reports",
            here.display()
        );
    }
    let metadata = super::test::metadata(None)?;
    let target = metadata.target_directory.as_std_path();
    match reports::last_run_dir(target) {
        Some(dir) => Ok(dir),
        None => bail!(
            "no DIR given, and no `cargo ffi-guard test` run has left reports under {}; run it first or pass the folder of the reports",
            reports::runs_dir(target).display()
        ),
    }
}
