//! `cargo ffi-guard report`.

pub fn run(_args: &crate::ReportArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`cargo ffi-guard report` is not built yet")
}
