//! Runtime reports: reading the files that test processes leave in
//! `FFI_GUARD_REPORT_DIR`, merging them across processes, deciding which
//! kinds fail the run, and rendering the result.
//!
//! The run folders live under `<target>/ffi-guard/reports/`, one per
//! `cargo ffi-guard test` run, named `<UTC time>-<pid>`; the file `last-run`
//! beside them names the newest, which `cargo ffi-guard report` reads when
//! given no folder.

pub mod format;
pub mod gate;
pub mod html;
pub mod merge;
pub mod read;
pub mod render;
pub mod sarif;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use gate::Gate;
pub use merge::Merged;

/// The file beside the run folders that names the newest one.
const LAST_RUN: &str = "last-run";

/// Reads and merges every report in `dir`.
pub fn load(dir: &Path) -> Result<Merged, read::ReadError> {
    Ok(merge::merge(read::read_dir(dir)?))
}

/// Where the run folders of a target directory are kept.
pub fn runs_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("ffi-guard").join("reports")
}

/// Creates a fresh, empty run folder and records it as the last run.
pub fn new_run_dir(target_dir: &Path) -> io::Result<PathBuf> {
    let runs = runs_dir(target_dir);
    std::fs::create_dir_all(&runs)?;
    let stem = format!("{}-{}", utc_stamp(SystemTime::now()), std::process::id());
    // `create_dir`, not `_all`: a folder of the same name is another run's
    // (the same process, within the same second), so take the next suffix.
    let mut name = stem.clone();
    let mut n = 1;
    let dir = loop {
        let dir = runs.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                n += 1;
                name = format!("{stem}-{n}");
            }
            Err(e) => return Err(e),
        }
    };
    std::fs::write(runs.join(LAST_RUN), format!("{name}\n"))?;
    Ok(dir)
}

/// The folder of the last `cargo ffi-guard test` run in this target
/// directory: the one `last-run` names, else the newest folder.
pub fn last_run_dir(target_dir: &Path) -> Option<PathBuf> {
    last_run_in(&runs_dir(target_dir))
}

/// Whether `dir` is a folder of run folders (it has the `last-run` file).
pub fn is_runs_dir(dir: &Path) -> bool {
    dir.join(LAST_RUN).is_file()
}

/// The newest run folder in `runs` (a `target/ffi-guard/reports` folder).
pub fn last_run_in(runs: &Path) -> Option<PathBuf> {
    if let Ok(name) = std::fs::read_to_string(runs.join(LAST_RUN)) {
        let dir = runs.join(name.trim());
        if !name.trim().is_empty() && dir.is_dir() {
            return Some(dir);
        }
    }
    std::fs::read_dir(runs)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, path)| path)
}

/// `20261121T050557Z`: sortable, readable in a CI artifact list.
fn utc_stamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`), so no date crate is needed for one folder name.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
