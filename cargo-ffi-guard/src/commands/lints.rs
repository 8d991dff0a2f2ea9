//! `cargo ffi-guard lints`: the catalogue.

use crate::lints::ALL;

pub fn run() -> anyhow::Result<u8> {
    print!("{}", catalogue());
    Ok(0)
}

/// One line per lint: name, default level, summary.
pub fn catalogue() -> String {
    let width = ALL.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    out.push_str(&format!(
        "{:width$}  {:5}  {}\n",
        "lint", "level", "catches"
    ));
    for l in ALL {
        out.push_str(&format!(
            "{:width$}  {:5}  {}\n",
            l.name,
            l.default_level.name(),
            l.summary
        ));
    }
    out
}
