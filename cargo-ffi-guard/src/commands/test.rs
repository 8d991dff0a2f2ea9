//! `cargo ffi-guard test`.

pub fn run(_args: &crate::TestArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`cargo ffi-guard test` is not built yet")
}
