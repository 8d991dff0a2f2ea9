//! Compiles the C library under `c/`.

fn main() {
    println!("cargo:rerun-if-changed=c/widget.c");
    cc::Build::new()
        .file("c/widget.c")
        .warnings(true)
        .compile("widget");
}
