//! Where findings reach users, each read by its real consumer: cargo's JSON
//! stream parsed by `cargo_metadata::Message`, SARIF checked against the
//! official 2.1.0 schema, a baseline that survives an unrelated edit, and
//! `--fix`'s refusals (a dirty git tree, a file outside the package) and its
//! care for a byte-order mark.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cargo_metadata::Message;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-ffi-guard");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("formats")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo-ffi-guard")
}

fn out(o: &Output) -> String {
    format!(
        "--- status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A one-package crate with these files.
fn krate(dir: &Path, files: &[(&str, &str)]) {
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", out(&o));
}

const PLANTED: &str = "pub struct Point {\n    pub x: f64,\n}\n\n#[no_mangle]\npub extern \"C\" fn point_x(p: Point) -> f64 {\n    let unused = 1;\n    p.x\n}\n";

// ---------------------------------------------------------------- cargo JSON

fn messages(stdout: &[u8]) -> Vec<Message> {
    Message::parse_stream(stdout)
        .map(|m| m.expect("every line is one of cargo's messages"))
        .collect()
}

#[test]
fn message_format_json_is_cargos_stream() {
    let o = run(
        &["check", "--message-format", "json"],
        &fixture("missing_repr_c"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let msgs = messages(&o.stdout);
    let Some(Message::BuildFinished(done)) = msgs.last() else {
        panic!("the stream ends with build-finished: {}", out(&o));
    };
    assert!(!done.success);
    let diags: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::CompilerMessage(c) => Some(c),
            _ => None,
        })
        .filter(|c| {
            c.message
                .code
                .as_ref()
                .is_some_and(|c| c.code == "missing_repr_c")
        })
        .collect();
    assert!(!diags.is_empty(), "{}", out(&o));
    for c in &diags {
        assert!(c.package_id.repr.contains("fixture-missing-repr-c"));
        assert_eq!(c.target.name, "fixture_missing_repr_c");
        let m = &c.message;
        assert_eq!(
            m.code.as_ref().map(|c| c.code.as_str()),
            Some("missing_repr_c")
        );
        assert_eq!(m.level, cargo_metadata::diagnostic::DiagnosticLevel::Error);
        let primary: Vec<_> = m.spans.iter().filter(|s| s.is_primary).collect();
        assert_eq!(primary.len(), 1);
        assert!(primary[0].file_name.ends_with(".rs"));
        assert!(
            m.rendered
                .as_deref()
                .is_some_and(|r| r.starts_with("error[missing_repr_c]: "))
        );
    }
    // The first diagnostic: its help carries the fix, its note the definition.
    let m = &diags[0].message;
    let help = m
        .children
        .iter()
        .find(|c| c.level == cargo_metadata::diagnostic::DiagnosticLevel::Help)
        .expect("a help child");
    assert_eq!(
        help.spans[0].suggested_replacement.as_deref(),
        Some("#[repr(C)]\n")
    );
    assert!(m.children.iter().any(|c| {
        c.level == cargo_metadata::diagnostic::DiagnosticLevel::Note
            && c.spans
                .first()
                .is_some_and(|s| s.file_name == "src/types.rs")
    }));
}

#[test]
fn with_cargo_check_passes_rustcs_messages_through() {
    let dir = scratch("with-cargo-check");
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    let o = Command::new(BIN)
        .args(["check", "--message-format", "json", "--with-cargo-check"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let msgs = messages(&o.stdout);
    let codes: Vec<String> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::CompilerMessage(c) => c.message.code.as_ref().map(|c| c.code.clone()),
            _ => None,
        })
        .collect();
    // rustc's warning first, then ffi-guard's findings.
    let rustc = codes.iter().position(|c| c == "unused_variables");
    let ours = codes.iter().position(|c| c == "missing_repr_c");
    assert!(
        rustc.is_some() && ours.is_some() && rustc < ours,
        "{codes:?}\n{}",
        out(&o)
    );
    assert!(
        msgs.iter()
            .any(|m| matches!(m, Message::CompilerArtifact(_)))
    );
    let finished: Vec<_> = msgs
        .iter()
        .filter(|m| matches!(m, Message::BuildFinished(_)))
        .collect();
    assert_eq!(finished.len(), 1, "one build-finished, at the end");
    assert!(matches!(msgs.last(), Some(Message::BuildFinished(f)) if !f.success));
}

#[test]
fn message_format_short_is_one_line_per_finding() {
    let dir = scratch("short");
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    let o = run(&["check", "--message-format", "short"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "src/lib.rs:6:30: error[missing_repr_c]: struct `Point` crosses the FFI boundary by value but has no #[repr(C)]\n"
    );
}

// --------------------------------------------------------------------- SARIF

fn schema_check(doc: &serde_json::Value) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif-schema/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler
        .compile(url, &mut schemas)
        .expect("the schema compiles");
    if let Err(e) = schemas.validate(doc, index) {
        panic!("SARIF does not follow the 2.1.0 schema:\n{e:#}\n{doc:#}");
    }
}

fn sarif(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

#[test]
fn lint_sarif_follows_the_schema_with_severity_automation_and_fixes() {
    let o = run(&["check", "--format", "sarif"], &fixture("missing_repr_c"));
    let doc = sarif(&o);
    schema_check(&doc);
    let run0 = &doc["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "ffi-guard/check/");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let repr = rules.iter().find(|r| r["id"] == "missing_repr_c").unwrap();
    assert_eq!(repr["properties"]["security-severity"], "7.5");
    let result = &run0["results"][0];
    let change = &result["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["replacements"][0]["insertedContent"]["text"],
        "#[repr(C)]\n"
    );
    assert!(
        change["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("fixtures/missing_repr_c/src/types.rs")
    );
}

#[test]
fn the_negative_check_rejects_a_broken_sarif() {
    // The validator is not a no-op: a level SARIF does not know fails.
    let o = run(&["check", "--format", "sarif"], &fixture("missing_repr_c"));
    let mut doc = sarif(&o);
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    let r = std::panic::catch_unwind(|| schema_check(&doc));
    assert!(r.is_err());
}

#[test]
fn uris_are_encoded_and_relative_to_one_root_for_several_manifests() {
    // Outside any git work tree, as a CI checkout of two repositories is.
    let dir = std::env::temp_dir().join(format!("ffi-guard-formats-uris-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let (a, b) = (dir.join("one"), dir.join("two/deep"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    krate(&a, &[("src/lib.rs", "mod odd;\n"), ("src/odd.rs", PLANTED)]);
    krate(
        &b,
        &[
            ("src/lib.rs", "#[path = \"a b#c?d%e\\\\ü.rs\"]\nmod odd;\n"),
            ("src/a b#c?d%e\\ü.rs", PLANTED),
        ],
    );
    let o = run(
        &[
            "check",
            "--format",
            "sarif",
            "--manifest-path",
            a.join("Cargo.toml").to_str().unwrap(),
            "--manifest-path",
            b.join("Cargo.toml").to_str().unwrap(),
        ],
        &dir,
    );
    let doc = sarif(&o);
    schema_check(&doc);
    let uris: Vec<String> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(uris.contains(&"one/src/odd.rs".to_owned()), "{uris:?}");
    assert!(
        uris.contains(&"two/deep/src/a%20b%23c%3Fd%25e%5C%C3%BC.rs".to_owned()),
        "{uris:?}"
    );
    let base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let want = format!("file://{}/", dir.display());
    assert_eq!(base, want);
    // The JSON lines keep the `\` of the file name.
    let o = run(
        &[
            "check",
            "--format",
            "json",
            "--manifest-path",
            b.join("Cargo.toml").to_str().unwrap(),
        ],
        &dir,
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(r#""file":"src/a b#c?d%e\\ü.rs""#),
        "{}",
        out(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn runtime_sarif_puts_findings_at_their_rust_site() {
    let reports = fixture("test_cmd/reports");
    let cwd = scratch("runtime-sarif");
    let o = run(
        &["report", reports.to_str().unwrap(), "--format", "sarif"],
        &cwd,
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let doc = sarif(&o);
    schema_check(&doc);
    let run0 = &doc["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "ffi-guard/runtime/");
    let leak = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "leak")
        .expect("a leak result");
    let loc = &leak["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/lib.rs");
    assert_eq!(loc["region"]["startLine"], 42);
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["properties"]["security-severity"].is_string())
    );
}

// ------------------------------------------------------------------ baseline

#[test]
fn baseline_survives_an_unrelated_edit_above_a_finding() {
    let dir = scratch("baseline");
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    let base = dir.join("ffi-guard-baseline.json");
    let base = base.to_str().unwrap();
    let o = run(&["check", "--write-baseline", base], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("recorded 1 finding in the baseline"),
        "{}",
        out(&o)
    );
    let o = run(&["check", "--baseline", base], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("1 finding recorded in the baseline"),
        "{}",
        out(&o)
    );
    // Lines move: a new function above the finding.
    let moved = format!("/// Unrelated.\npub fn unrelated() -> u32 {{\n    7\n}}\n\n{PLANTED}");
    fs::write(dir.join("src/lib.rs"), &moved).unwrap();
    let o = run(&["check", "--baseline", base], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("error["),
        "{}",
        out(&o)
    );
    // A new finding is not in the baseline.
    let more = format!(
        "{moved}\npub struct Other {{\n    pub y: f64,\n}}\n\n#[no_mangle]\npub extern \"C\" fn other_y(o: Other) -> f64 {{\n    o.y\n}}\n"
    );
    fs::write(dir.join("src/lib.rs"), more).unwrap();
    let o = run(&["check", "--baseline", base], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.matches("error[missing_repr_c]").count(),
        1,
        "{stdout}"
    );
    assert!(stdout.contains("struct `Other`"), "{stdout}");
}

#[test]
fn a_broken_baseline_is_exit_2() {
    let dir = scratch("bad-baseline");
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    fs::write(dir.join("b.json"), "{").unwrap();
    let o = run(&["check", "--baseline", "b.json"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("is not a baseline file"), "{}", out(&o));
}

// ----------------------------------------------------------------------- fix

#[test]
fn fix_refuses_a_dirty_tree_unless_allow_dirty() {
    let dir = scratch("fix-dirty");
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "init"]);
    let edited = format!("{PLANTED}// my work in progress\n");
    fs::write(dir.join("src/lib.rs"), &edited).unwrap();
    let o = run(&["check", "--fix"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("uncommitted changes") && out(&o).contains("--allow-dirty"),
        "{}",
        out(&o)
    );
    assert_eq!(fs::read_to_string(dir.join("src/lib.rs")).unwrap(), edited);
    // Committed: fixed.
    git(&dir, &["commit", "-q", "-am", "wip"]);
    let o = run(&["check", "--fix"], &dir);
    assert!(out(&o).contains("fixed 1 place in 1 file"), "{}", out(&o));
    assert!(
        fs::read_to_string(dir.join("src/lib.rs"))
            .unwrap()
            .starts_with("#[repr(C)]\npub struct Point")
    );
    // Dirty again, with --allow-dirty: fixed.
    fs::write(dir.join("src/lib.rs"), &edited).unwrap();
    let o = run(&["check", "--fix", "--allow-dirty"], &dir);
    assert!(out(&o).contains("fixed 1 place in 1 file"), "{}", out(&o));
}

#[test]
fn fix_outside_version_control_needs_allow_dirty() {
    let dir = std::env::temp_dir().join(format!("ffi-guard-formats-no-vcs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    krate(&dir, &[("src/lib.rs", PLANTED)]);
    let o = run(&["check", "--fix"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("not in a git work tree"), "{}", out(&o));
    assert_eq!(fs::read_to_string(dir.join("src/lib.rs")).unwrap(), PLANTED);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn fix_treats_a_git_ignored_file_as_uncommitted() {
    let dir = scratch("fix-ignored");
    krate(
        &dir,
        &[("src/lib.rs", PLANTED), (".gitignore", "src/lib.rs\n")],
    );
    git(&dir, &["init", "-q"]);
    let o = run(&["check", "--fix"], &dir);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("ignored by git"), "{}", out(&o));
}

#[test]
fn fix_never_writes_outside_the_package() {
    let dir = scratch("fix-outside");
    let outside = dir.join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("abs.rs"), PLANTED).unwrap();
    fs::write(outside.join("linked.rs"), PLANTED).unwrap();
    fs::write(outside.join("dotdot.rs"), PLANTED).unwrap();
    let pkg = dir.join("pkg");
    fs::create_dir_all(&pkg).unwrap();
    let lib = format!(
        "#[path = {:?}]\nmod abs;\nmod linked;\n#[path = \"../../outside/dotdot.rs\"]\nmod dotdot;\n",
        outside.join("abs.rs").display().to_string()
    );
    krate(&pkg, &[("src/lib.rs", &lib)]);
    std::os::unix::fs::symlink(outside.join("linked.rs"), pkg.join("src/linked.rs")).unwrap();
    let _ = run(&["check", "--fix", "--allow-dirty"], &pkg);
    assert_eq!(fs::read_to_string(outside.join("abs.rs")).unwrap(), PLANTED);
    assert_eq!(
        fs::read_to_string(outside.join("linked.rs")).unwrap(),
        PLANTED
    );
    assert_eq!(
        fs::read_to_string(outside.join("dotdot.rs")).unwrap(),
        PLANTED
    );
}

#[test]
fn fix_keeps_a_byte_order_mark_first() {
    let dir = scratch("fix-bom");
    krate(&dir, &[("src/lib.rs", &format!("\u{feff}{PLANTED}"))]);
    let o = run(&["check", "--fix", "--allow-dirty"], &dir);
    assert!(out(&o).contains("fixed 1 place"), "{}", out(&o));
    let text = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(
        text.starts_with("\u{feff}#[repr(C)]\npub struct Point {"),
        "{text:?}"
    );
    let o = run(&["check"], &dir);
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("missing_repr_c"),
        "{}",
        out(&o)
    );
}
