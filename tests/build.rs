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
}
