//! `check` on input an attacker (or an accident) shaped: non-ASCII where
//! syn stops, control characters in file names, paths out of the workspace,
//! FIFOs, devices, huge and deeply nested files, bad configuration. The
//! linter never panics, hangs, prints what it must not read, or grows
//! without bound; it exits 0, 1 or 2 with a message naming the thing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cargo-ffi-guard"))
}

/// A crate in a fresh temporary directory: `files` are (path, text).
fn krate(tag: &str, manifest_extra: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ffi-guard-hostile-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"hostile\"\nversion = \"0.0.0\"\nedition = \"2021\"\n{manifest_extra}\n[workspace]\n"
        ),
    )
    .unwrap();
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

fn check(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("SECRET_TOKEN", "hunter2-do-not-print")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn syntax_errors_on_non_ascii_characters_render() {
    for (i, src) in [
        "fn f() {\n    let x = 1 über;\n}\n",
        "fn f() {\n    let x = 1 € 2;\n}\n",
        "fn f() {\n    let x = 🦀;\n}\n",
        "fn f() {}\n\u{feff}fn g() {}\n",
        "fn f() {\n    let s = ü;ü ü\n}\n",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = krate(&format!("utf8-{i}"), "", &[("src/lib.rs", src)]);
        for format in ["human", "json", "sarif"] {
            let o = check(&dir, &["--format", format]);
            assert_eq!(o.status.code(), Some(1), "{src:?} {format}: {}", text(&o));
            assert!(text(&o).contains("parse_error"), "{}", text(&o));
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn control_characters_in_file_names_are_escaped() {
    let dir = krate(
        "ctrl",
        "",
        &[
            ("src/lib.rs", "#[path = \"a\\u{1b}[31mb\\nc.rs\"]\nmod x;\n"),
            ("src/a\u{1b}[31mb\nc.rs", "fn broken( {\n"),
        ],
    );
    let o = check(&dir, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(out.contains("a\\u{1b}[31mb\\nc.rs"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}

/// No byte of a file outside the workspace reaches the output, in any format.
#[test]
fn files_outside_the_workspace_are_never_read() {
    let dir = krate(
        "outside",
        "",
        &[(
            "src/lib.rs",
            "#[path = \"/proc/self/environ\"]\nmod env;\n#[path = \"/etc/passwd\"]\nmod pw;\n#[path = \"../../../../../../../../../../etc/passwd\"]\nmod up;\n",
        )],
    );
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first = passwd.lines().next().unwrap_or("root:x:0:0");
    for format in ["human", "json", "sarif"] {
        let o = check(&dir, &["--format", format]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let all = text(&o);
        assert!(all.matches("path_outside_workspace").count() >= 3, "{all}");
        assert!(!all.contains("hunter2"), "{all}");
        assert!(!all.contains(first), "{all}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_lib_path_or_a_root_symlink_out_of_the_workspace_is_refused() {
    let dir = krate("libpath", "[lib]\npath = \"/etc/passwd\"\n", &[]);
    let started = Instant::now();
    let o = check(&dir, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("error[path_outside_workspace]"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("Cargo.toml"), "{}", text(&o));
    let _ = fs::remove_dir_all(&dir);

    #[cfg(unix)]
    {
        let dir = krate("zero", "", &[]);
        std::os::unix::fs::symlink("/dev/zero", dir.join("src/lib.rs")).unwrap();
        let o = check(&dir, &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("path_outside_workspace"), "{}", text(&o));
        let _ = fs::remove_dir_all(&dir);
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[cfg(unix)]
#[test]
fn fifos_directories_loops_and_huge_files_are_named_not_waited_on() {
    let dir = krate(
        "kinds",
        "",
        &[(
            "src/lib.rs",
            "mod pipe;\nmod folder;\nmod looped;\nmod big;\nmod missing;\n#[no_mangle]\npub fn still_linted() {}\n",
        )],
    );
    let src = dir.join("src");
    assert!(
        Command::new("mkfifo")
            .arg(src.join("pipe.rs"))
            .status()
            .unwrap()
            .success()
    );
    fs::create_dir(src.join("folder.rs")).unwrap();
    std::os::unix::fs::symlink(src.join("looped.rs"), src.join("looped.rs")).unwrap();
    let big = fs::File::create(src.join("big.rs")).unwrap();
    big.set_len(8 << 30).unwrap();
    let started = Instant::now();
    let o = check(&dir, &[]);
    let elapsed = started.elapsed();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("`src/pipe.rs` is a FIFO (named pipe), not a file"),
        "{out}"
    );
    assert!(
        out.contains("`src/folder.rs` is a directory, not a file"),
        "{out}"
    );
    assert!(out.contains("`src/looped.rs` is a symlink loop"), "{out}");
    assert!(
        out.contains("`src/big.rs` is 8192 MiB, over the 16 MiB limit"),
        "{out}"
    );
    // Only the truly missing file is called missing, and worded as such.
    assert_eq!(out.matches("file not found").count(), 1, "{out}");
    assert!(out.contains("file not found for module `missing`"), "{out}");
    assert!(out.contains("create the file"), "{out}");
    assert!(out.contains("no_mangle_rust_abi"), "{out}");
    // Loaded machines are slow; a FIFO waited on would never return.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let _ = fs::remove_dir_all(&dir);
}

/// Peak memory of a `check` run, in MiB, from the kernel's accounting of
/// that one child.
#[cfg(target_os = "linux")]
fn check_peak_mib(dir: &Path) -> (Option<i32>, u64) {
    // Waited for below with `wait4`, which also returns the child's usage.
    #[allow(clippy::zombie_processes)]
    let child = bin()
        .arg("check")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data the kernel fills; `pid` is our child,
    // not yet waited for (`child` is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss as u64 / 1024)
}

#[cfg(target_os = "linux")]
#[test]
fn four_thousand_nested_modules_lint_in_under_200_mb() {
    let depth = 4000;
    let src = format!(
        "{}pub extern \"C\" fn f() {{}}{}\n",
        "mod a{".repeat(depth),
        "}".repeat(depth)
    );
    assert!(src.len() < 40 * 1024);
    let dir = krate("nested-mods", "", &[("src/lib.rs", &src)]);
    lints_in_under_200_mib_saying(&dir, "more than 256 levels deep");
}

#[cfg(target_os = "linux")]
#[test]
fn a_chain_of_five_thousand_path_files_stays_bounded() {
    let n = 5000;
    let dir = krate(
        "chain",
        "",
        &[("src/lib.rs", "#[path = \"m0.rs\"]\nmod m;\n")],
    );
    for i in 0..n {
        fs::write(
            dir.join(format!("src/m{i}.rs")),
            format!("#[path = \"m{}.rs\"]\nmod m;\npub fn f{i}() {{}}\n", i + 1),
        )
        .unwrap();
    }
    lints_in_under_200_mib_saying(&dir, "nested more than 64 modules deep");
}

/// `check` of the crate in `dir` peaks under 200 MiB, finds what it cannot
/// parse (exit 1) and says `message`.
#[cfg(target_os = "linux")]
fn lints_in_under_200_mib_saying(dir: &Path, message: &str) {
    let (code, mib) = check_peak_mib(dir);
    assert_eq!(code, Some(1));
    assert!(mib < 200, "{mib} MiB");
    let o = check(dir, &[]);
    assert!(text(&o).contains(message), "{}", text(&o));
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn a_hundred_thousand_nested_parentheses_are_a_parse_error() {
    let depth = 100_000;
    let src = format!(
        "#[no_mangle]\npub fn kept() {{}}\npub fn deep() -> u8 {{\n    {}1{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let dir = krate("parens", "", &[("src/lib.rs", &src)]);
    let o = check(&dir, &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{}", &out[..out.len().min(2000)]);
    assert!(
        out.contains("error[parse_error]"),
        "{}",
        &out[..out.len().min(2000)]
    );
    assert!(
        out.contains("no_mangle_rust_abi"),
        "{}",
        &out[..out.len().min(2000)]
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn configuration_typos_and_wrong_types_are_exit_2_naming_the_keys() {
    for (tag, meta, needle) in [
        (
            "dney",
            "[package.metadata.ffi-guard]\ndney = [\"missing_repr_c\"]\n",
            "unknown key `dney` in [package.metadata.ffi-guard] of `hostile`; did you mean `deny`?",
        ),
        (
            "test-str",
            "[package.metadata.ffi-guard]\ntest = \"x\"\n",
            "`test` must be a table",
        ),
        (
            "number",
            "[package.metadata]\nffi-guard = 5\n",
            "must be a table",
        ),
        (
            "deny-str",
            "[package.metadata.ffi-guard]\ndeny = \"missing_repr_c\"\n",
            "`deny` must be a list",
        ),
        (
            "both",
            "[package.metadata.ffi-guard]\ndeny = [\"panic_across_ffi\"]\nallow = [\"panic_across_ffi\"]\n",
            "lint `panic_across_ffi` is both in `deny` and in `allow`",
        ),
    ] {
        let dir = krate(tag, meta, &[("src/lib.rs", "pub fn f() {}\n")]);
        let o = check(&dir, &[]);
        assert_eq!(o.status.code(), Some(2), "{tag}: {}", text(&o));
        assert!(text(&o).contains(needle), "{tag}: {}", text(&o));
        if matches!(tag, "dney" | "number") {
            assert!(
                text(&o).contains("deny, warn, allow, test, pairs, borrowed, headers"),
                "{tag}: {}",
                text(&o)
            );
        }
        let _ = fs::remove_dir_all(&dir);
    }
    let dir = krate(
        "keys-of-others",
        "[package.metadata.ffi-guard]\npairs = [[\"a_new\", \"a_free\"]]\nborrowed = [\"a_name\"]\nheaders = { files = [\"a.h\"] }\n",
        &[("src/lib.rs", "pub fn f() {}\n")],
    );
    let o = check(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_flag_cargo_rejects_after_test_is_exit_2() {
    let dir = krate("bogus", "", &[("src/lib.rs", "pub fn f() {}\n")]);
    let o = bin()
        .args(["ffi-guard", "test", "--", "--bogus-flag"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--bogus-flag"), "{}", text(&o));
    let _ = fs::remove_dir_all(&dir);
}

/// `--cargo` names the one program `check` runs; nothing else is started.
#[cfg(unix)]
#[test]
fn check_runs_only_the_cargo_it_is_given() {
    use std::os::unix::fs::PermissionsExt;
    let dir = krate("cargo-flag", "", &[("src/lib.rs", "pub fn f() {}\n")]);
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let marker = dir.join("ran");
    let wrapper = dir.join("my-cargo");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{real}' \"$@\"\n",
            marker.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    let o = check(&dir, &["--cargo", wrapper.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // One `cargo metadata --no-deps`, then one with the dependency graph
    // (the crate's dependencies are read); both offline.
    let runs = fs::read_to_string(&marker).unwrap();
    assert!(runs.lines().count() >= 1, "{runs}");
    for args in runs.lines() {
        assert!(args.starts_with("metadata"), "{runs}");
        assert!(args.contains("--offline"), "{runs}");
    }
    assert!(runs.lines().next().unwrap().contains("--no-deps"), "{runs}");

    let o = check(&dir, &["--cargo", "/nonexistent/cargo"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("cannot run `/nonexistent/cargo` for `cargo metadata`"),
        "{}",
        text(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A Rust 2015 item syn rejects costs that item only: the file's other
/// items are linted, and `parse_error` names the lines lost.
#[test]
fn a_file_syn_rejects_keeps_every_item_that_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse_error");
    let o = check(&dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let in_2015 = |lint: &str| -> Vec<u64> {
        lines
            .iter()
            .filter(|d| d["file"] == "src/rust2015.rs" && d["lint"] == lint)
            .map(|d| d["line"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(in_2015("no_mangle_rust_abi"), [3, 11]);
    assert_eq!(in_2015("parse_error"), [5]);
    let lost = lines
        .iter()
        .find(|d| d["file"] == "src/rust2015.rs" && d["lint"] == "parse_error")
        .unwrap();
    assert_eq!(
        lost["help"],
        "lines 5-8 were not linted; the rest of the file was"
    );
}

/// `test` reads the same table: a typo stops it before any test runs.
#[test]
fn test_rejects_an_unknown_key_before_running_anything() {
    let dir = krate(
        "test-dney",
        "[package.metadata.ffi-guard]\ndney = [\"missing_repr_c\"]\n",
        &[("src/lib.rs", "pub fn f() {}\n")],
    );
    let o = bin()
        .args(["test", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown key `dney`"), "{}", text(&o));
    assert!(!dir.join("target").exists(), "{}", text(&o));
    let _ = fs::remove_dir_all(&dir);
}
