//! What `#[ffi_guard]` means, read from syn: the attribute's options and the
//! inference rules of SPEC §2. The macro and the linter both use this crate,
//! so they can never disagree on what a function allocates, releases,
//! consumes, or reads as a slice or a C string.
