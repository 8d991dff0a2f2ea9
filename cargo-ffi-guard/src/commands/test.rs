//! `cargo ffi-guard test`: runs `cargo test` with `FFI_GUARD_REPORT_DIR` set
//! to a fresh folder under the target directory (and `FFI_GUARD_SUMMARY=short`
//! unless set, so each test process prints one line), then merges and prints
//! the reports the test processes left there.
//!
//! Exit status: 1 when the tests failed or a finding of a kind that fails
//! the gate (`test.fail-on`, see [`crate::reports::gate`]) was recorded; 0
//! otherwise; 2 when it could not run. With `--check`, the static lint runs
//! first and the worse of the two statuses wins.
//!
//! Arguments after `--` go to `cargo test` unchanged, so the test binaries'
//! own arguments need a second `--`:
//! `cargo ffi-guard test -- -p mycrate -- --nocapture`.
//!
//! With `--manifest-path`, `cargo test` runs in the manifest's folder, so
//! that the package's own `.cargo/config.toml` applies (its `[env]`, such as
//! `FFI_GUARD_MODE = "report"`) as it does when one runs `cargo test` there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use cargo_metadata::{Metadata, MetadataCommand};

use crate::EXIT_CANNOT_RUN;
use crate::reports::{self, Gate, render};

pub fn run(args: &crate::TestArgs) -> anyhow::Result<u8> {
    let manifest = match &args.manifest_path {
        Some(path) => Some(manifest_file(path)?),
        None => None,
    };
    let metadata = metadata(manifest.as_deref())?;
    // Read the gate before the (long) test run, so a typo fails at once.
    let gate = gate(&metadata, manifest.as_deref())?;

    let mut check_status = 0;
    if args.check {
        let check = crate::CheckArgs {
            manifest_path: manifest.iter().cloned().collect(),
            ..Default::default()
        };
        check_status = match crate::commands::check::run(&check) {
            Ok(status) => status,
            Err(e) => {
                eprintln!("error: {e:#}");
                EXIT_CANNOT_RUN
            }
        };
    }

    let target = metadata.target_directory.as_std_path();
    let dir = reports::new_run_dir(target).with_context(|| {
        format!(
            "cannot create a report folder under {}",
            reports::runs_dir(target).display()
        )
    })?;

    let cargo = cargo_program();
    let mut cmd = Command::new(&cargo);
    cmd.arg("test");
    if let Some(manifest) = &manifest {
        cmd.arg("--manifest-path").arg(manifest);
        if let Some(folder) = manifest.parent() {
            cmd.current_dir(folder);
        }
    }
    cmd.args(&args.cargo_args).env("FFI_GUARD_REPORT_DIR", &dir);
    // The merged report below says it all: each test process prints just one
    // line naming its file, unless the user asked for something else.
    if std::env::var_os("FFI_GUARD_SUMMARY").is_none() {
        cmd.env("FFI_GUARD_SUMMARY", "short");
    }
    let status = cmd.status().map_err(|e| cannot_run_cargo(&cargo, e))?;
    if status.code() == Some(CARGO_USAGE_ERROR) {
        eprintln!(
            "error: `cargo test` did not run: it rejected its arguments ({}); see its message above",
            args.cargo_args.join(" ")
        );
        return Ok(EXIT_CANNOT_RUN);
    }

    let merged = reports::load(&dir)?;
    let failing = merged
        .groups
        .iter()
        .filter(|g| gate.fails(g.kind()))
        .count();
    println!();
    let style = render::Style::from_here(Some(metadata.workspace_root.as_std_path()));
    print!("{}", render::human(&merged, &gate, &style));
    if !status.success() {
        match status.code() {
            Some(code) => println!("ffi-guard: `cargo test` failed (exit status {code})"),
            None => println!("ffi-guard: `cargo test` was stopped by a signal"),
        }
    } else if failing > 0 {
        println!(
            "ffi-guard: the tests passed, but {failing} of the groups above {} a kind that fails the run (`test.fail-on`)",
            if failing == 1 { "is of" } else { "are of" }
        );
    }
    println!("ffi-guard: reports kept in {}", dir.display());
    match &args.html {
        Some(path) => {
            let page =
                reports::html::render(&merged, &gate, Some(metadata.workspace_root.as_std_path()));
            std::fs::write(path, page)
                .with_context(|| format!("cannot write the HTML report {}", path.display()))?;
            println!("ffi-guard: HTML report written to {}", path.display());
        }
        None if !merged.groups.is_empty() => println!(
            "ffi-guard: to read them in a browser: cargo ffi-guard report {} --format html > report.html (or pass --html PATH)",
            dir.display()
        ),
        None => {}
    }

    let test_status = u8::from(!status.success() || failing > 0);
    Ok(test_status.max(check_status))
}

/// Cargo's exit status when it rejects its own command line (an unknown
/// flag, a missing value); a build or test failure is 101.
const CARGO_USAGE_ERROR: i32 = 1;

/// `cargo metadata --no-deps` for the manifest, or for the current folder.
pub(crate) fn metadata(manifest: Option<&Path>) -> anyhow::Result<Metadata> {
    let cargo = cargo_program();
    let mut cmd = MetadataCommand::new();
    cmd.cargo_path(&cargo).no_deps();
    if let Some(manifest) = manifest {
        cmd.manifest_path(manifest);
    }
    cmd.exec().map_err(|e| match e {
        cargo_metadata::Error::Io(io) => cannot_run_cargo(&cargo, io),
        cargo_metadata::Error::CargoMetadata { stderr } => match manifest {
            Some(m) => anyhow::anyhow!(
                "cannot read the manifest {}:\n{}",
                m.display(),
                stderr.trim_end()
            ),
            None => anyhow::anyhow!(
                "cannot read the cargo project of this folder (pass --manifest-path with the path of a Cargo.toml):\n{}",
                stderr.trim_end()
            ),
        },
        other => anyhow::anyhow!("`cargo metadata` failed: {other}"),
    })
}

/// The cargo that invoked us (cargo sets `CARGO` for subcommands and for
/// `cargo run`), else the one on `PATH`.
pub(crate) fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

fn cannot_run_cargo(cargo: &OsString, e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "cannot run `{}`: not found; install Rust with rustup, or set CARGO to the path of cargo",
            cargo.to_string_lossy()
        )
    } else {
        anyhow::anyhow!("cannot run `{}`: {e}", cargo.to_string_lossy())
    }
}

/// The manifest as an absolute path to an existing file; a folder stands for
/// its `Cargo.toml`.
fn manifest_file(path: &Path) -> anyhow::Result<PathBuf> {
    let file = if path.is_dir() {
        path.join("Cargo.toml")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        bail!(
            "manifest not found: {} does not exist; pass --manifest-path with the path of the package's Cargo.toml, or run in the package's folder",
            file.display()
        );
    }
    std::path::absolute(&file)
        .with_context(|| format!("cannot resolve the manifest path {}", file.display()))
}

/// The package's `test.fail-on` when the manifest is a package, else the
/// workspace's.
fn gate(metadata: &Metadata, manifest: Option<&Path>) -> anyhow::Result<Gate> {
    let manifest = match manifest {
        Some(m) => Some(m.to_path_buf()),
        None => std::env::current_dir()
            .ok()
            .and_then(|cwd| nearest_manifest(&cwd)),
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let package = manifest.as_deref().and_then(|m| {
        metadata
            .packages
            .iter()
            .find(|p| same(p.manifest_path.as_std_path(), m))
    });
    let workspace_manifest = metadata.workspace_root.join("Cargo.toml");
    if let Some(p) = package {
        crate::config::validate(
            &p.metadata,
            &format!("[package.metadata.ffi-guard] of `{}`", p.name),
        )?;
    }
    crate::config::validate(
        &metadata.workspace_metadata,
        "[workspace.metadata.ffi-guard]",
    )?;
    Ok(Gate::from_metadata(
        package.map(|p| (&p.metadata, p.manifest_path.as_str())),
        (&metadata.workspace_metadata, workspace_manifest.as_str()),
    )?)
}

/// The `Cargo.toml` cargo would pick from `dir`: the nearest one upwards.
fn nearest_manifest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
}
