//! `cargo ffi-guard explain`.

pub fn run(_lint: &str) -> anyhow::Result<u8> {
    anyhow::bail!("`cargo ffi-guard explain` is not built yet")
}
