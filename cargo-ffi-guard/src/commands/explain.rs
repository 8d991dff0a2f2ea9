//! `cargo ffi-guard explain LINT`: the long text of one lint.

use crate::config;
use crate::lints::find;

pub fn run(lint: &str) -> anyhow::Result<u8> {
    let Some(l) = find(lint) else {
        return Err(config::unknown(lint, "`explain`").into());
    };
    println!(
        "# {} (default: {})\n\n{}\n\n{}",
        l.name,
        l.default_level.name(),
        l.summary,
        l.explanation
    );
    Ok(0)
}
