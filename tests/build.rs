//! Compiles the C libraries under `c/` that the integration tests call.

fn main() {
    let mut files: Vec<_> = std::fs::read_dir("c")
        .expect("the c/ folder of the tests crate")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    files.sort();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    println!("cargo:rerun-if-changed=c");
    if files.is_empty() {
        return;
    }
    cc::Build::new()
        .files(&files)
        .warnings(true)
        .flag_if_supported("-pthread")
        .compile("ffiguardtest");
    println!("cargo:rustc-link-lib=pthread");
    build_dlopen_library();
}

/// `c-dl/heap_dl.c` as a shared library in `OUT_DIR`, for the test that
/// loads it with `dlopen` (`tests/heap_dlopen.rs` finds it by `OUT_DIR`).
fn build_dlopen_library() {
    println!("cargo:rerun-if-changed=c-dl");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let so = std::path::Path::new(&out).join("libheapdl.so");
    let compiler = cc::Build::new().get_compiler();
    let status = compiler
        .to_command()
        .args(["-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg("c-dl/heap_dl.c")
        .status()
        .expect("the C compiler runs");
    assert!(status.success(), "building {} failed", so.display());
}
