//! Header checks against the system's `zlib.h` (Debian `zlib1g-dev`), with
//! libclang (`libclang-dev`). Both are required: without libclang these
//! tests fail, they never pass as no-ops.

use std::fs;

use cargo_ffi_guard::config::Levels;
use cargo_ffi_guard::diag::Level;
use cargo_ffi_guard::{engine, headers, workspace};

#[test]
fn libclang_is_available() {
    if let Err(e) = headers::libclang_available() {
        panic!(
            "libclang is required for the header checks (Debian: apt-get install libclang-dev): {e}"
        );
    }
}

const BINDING: &str = r#"
#![allow(non_camel_case_types)]
use std::os::raw::{c_char, c_int, c_uint, c_ulong, c_void};
pub type uInt = c_uint;
pub type uLong = c_ulong;
pub type Bytef = u8;
pub type voidpf = *mut c_void;
pub type alloc_func = unsafe extern "C" fn(voidpf, uInt, uInt) -> voidpf;
pub type free_func = unsafe extern "C" fn(voidpf, voidpf);
pub enum internal_state {}

#[repr(C)]
pub struct z_stream {
    pub next_in: *mut Bytef,
    pub avail_in: uInt,
    pub total_in: uLong,
    pub next_out: *mut Bytef,
    pub avail_out: uInt,
    pub total_out: uLong,
    pub msg: *mut c_char,
    pub state: *mut internal_state,
    pub zalloc: alloc_func,
    pub zfree: free_func,
    pub opaque: voidpf,
    pub data_type: c_int,
    pub adler: uLong,
    pub reserved: c_uint, // uLong in zlib.h
}

extern "C" {
    pub fn deflateInit2_(strm: *mut z_stream, level: c_int, method: c_int, window_bits: c_int,
        mem_level: c_int, strategy: c_int, version: *const c_char, stream_size: c_int) -> c_int;
    pub fn crc32(crc: uLong, buf: *const Bytef, len: uLong) -> uLong;
    pub fn zlibVersion() -> *const c_char;
}

pub const Z_OK: c_int = 0;
pub const Z_BEST_COMPRESSION: c_int = 8;
pub const Z_NULL: c_int = 0;
"#;

#[test]
fn a_binding_against_the_system_zlib_h_on_four_targets() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("headers-zlib");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        r#"[package]
name = "zlib-binding"
version = "0.0.0"
edition = "2021"

[package.metadata.ffi-guard.headers]
files = ["zlib.h"]
targets = ["x86_64-unknown-linux-gnu", "i686-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "x86_64-pc-windows-msvc"]

[workspace]
"#,
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), BINDING).unwrap();
    let ws = workspace::load(Some(&dir.join("Cargo.toml")), false, &[]).unwrap();
    let krate = workspace::load_crate(&ws.packages[0]);
    let outcome = engine::run_lints(&krate, &Levels::default());
    let mut got: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.lint.ends_with("_mismatch"))
        .map(|d| format!("{}:{} {}", d.lint, d.span.line, d.message))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "constant_mismatch:38 const `Z_BEST_COMPRESSION` differs from C's `Z_BEST_COMPRESSION` on x86_64-unknown-linux-gnu, i686-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-pc-windows-msvc: its value is 8 in Rust, 9 in C (macro)",
            "layout_mismatch:27 struct `z_stream` differs from C's `struct z_stream_s` on x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu: field `reserved`: a 4-byte integer in Rust, 8-byte in C",
            "signature_mismatch:33 fn `crc32` differs from C's `crc32` on x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu: parameter 3 (`len`): an 8-byte integer in Rust, 4-byte in C",
        ]
    );
    // The C side names zlib.h and its line.
    let d = outcome
        .diagnostics
        .iter()
        .find(|d| d.lint == "constant_mismatch")
        .unwrap();
    assert!(
        d.related[0].span.file.ends_with("zlib.h"),
        "{:?}",
        d.related
    );
    assert!(d.related[0].span.line > 1);
}

/// A `*mut` where the header has `const T *` is a warning; the other
/// differences of the fixture keep the lint's level.
#[test]
fn const_ness_of_a_pointee_is_a_warning() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signature_mismatch");
    let ws = workspace::load(Some(&dir.join("Cargo.toml")), false, &[]).unwrap();
    let krate = workspace::load_crate(&ws.packages[0]);
    let outcome = engine::run_lints(&krate, &Levels::default());
    let levels: Vec<(String, Level)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.lint == "signature_mismatch")
        .map(|d| {
            (
                d.message.split('`').nth(1).unwrap_or("").to_owned(),
                d.level,
            )
        })
        .collect();
    assert!(
        levels.contains(&("api_write".to_owned(), Level::Warn)),
        "{levels:?}"
    );
    assert!(
        levels.contains(&("api_touch".to_owned(), Level::Deny)),
        "{levels:?}"
    );
    assert_eq!(
        levels.iter().filter(|(_, l)| *l == Level::Warn).count(),
        1,
        "{levels:?}"
    );
    // Every header diagnostic names the header and line of the C declaration
    // (the fixture's `link_name` twin is `clashing_extern_declarations`'s).
    for d in outcome
        .diagnostics
        .iter()
        .filter(|d| d.lint.ends_with("_mismatch"))
    {
        assert!(
            d.related[0].span.file.ends_with("include/api.h"),
            "{:?}",
            d.related
        );
    }
}

/// A malformed `headers` table stops `check` with exit status 2.
#[test]
fn an_unknown_headers_key_is_an_error() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("headers-bad-key");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bad-key\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[package.metadata.ffi-guard.headers]\nfiles = [\"zlib.h\"]\nflies = [\"zlib.h\"]\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
        .args(["check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key `headers.flies`"), "{err}");
}

/// Without libclang, `check` says once which package to install, skips the
/// three lints and lints the rest (LIBCLANG_PATH to an empty folder hides
/// the installed one).
#[test]
fn without_libclang_the_header_lints_are_skipped_with_one_message() {
    let empty = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-libclang");
    fs::create_dir_all(&empty).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
        .env("LIBCLANG_PATH", &empty)
        .args(["check", "--format", "json", "--manifest-path"])
        .arg(fixtures.join("layout_mismatch/Cargo.toml"))
        .arg("--manifest-path")
        .arg(fixtures.join("constant_mismatch/Cargo.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("libclang-dev").count(), 1, "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("_mismatch"), "{stdout}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
