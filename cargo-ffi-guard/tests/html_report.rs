//! The HTML report in a real browser: `cargo ffi-guard test --html` on the
//! bundled example (`examples/widget`, real C, planted bugs), then the page
//! rendered by headless Chromium. Every finding must be in the rendered DOM,
//! and the page must make no request at all.
//!
//! Needs `chromium` (Debian's package; `.ci/run` installs it). Without it the
//! test fails: a skipped browser test proves nothing. `FFI_GUARD_CHROMIUM`
//! names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cargo-ffi-guard");

fn chromium() -> PathBuf {
    let bin = std::env::var_os("FFI_GUARD_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        bin.is_file(),
        "{} not found: install Debian's `chromium` package (or set FFI_GUARD_CHROMIUM); this test needs a real browser",
        bin.display()
    );
    bin
}

/// Headless Chromium with no network-related background work, in a fresh
/// profile; `extra` picks what to dump.
fn browse(page: &Path, profile: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

#[test]
fn widget_report_renders_in_chromium_without_a_request() {
    let browser = chromium();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/widget");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_report");
    let _ = std::fs::remove_dir_all(work.join("profile"));
    std::fs::create_dir_all(&work).unwrap();
    let page = work.join("report.html");
    let _ = std::fs::remove_file(&page);
    let run = Command::new(BIN)
        .args(["test", "--manifest-path"])
        .arg(example.join("Cargo.toml"))
        .arg("--html")
        .arg(&page)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env_remove("FFI_GUARD_MODE")
        .env_remove("FFI_GUARD_REPORT_DIR")
        .env_remove("FFI_GUARD_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let all = format!("{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{all}");
    assert!(
        stdout.contains(&format!(
            "ffi-guard: HTML report written to {}",
            page.display()
        )),
        "{all}"
    );
    let html = std::fs::read_to_string(&page).unwrap();

    // Nothing the page could fetch: a CSP that forbids it, and no URL.
    assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
    for needle in [
        "http://", "https://", "src=", "<script", "<link", "@import", "url(",
    ] {
        assert!(!html.contains(needle), "the page holds `{needle}`");
    }

    // The rendered DOM holds every finding the text report names.
    let dom = browse(&page, &work.join("profile"), &["--dump-dom"]);
    let dom_text = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let headlines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("error[")
                .or_else(|| l.strip_prefix("warning["))
        })
        .collect();
    assert_eq!(headlines.len(), 4, "{all}");
    for h in &headlines {
        let (kind, message) = h.split_once("]: ").unwrap();
        assert!(
            dom_text.contains(&format!("data-kind=\"{kind}\"")),
            "no {kind} in the DOM"
        );
        assert!(dom_text.contains(message), "`{message}` not in the DOM");
    }
    for part in [
        "Leaks by allocation site",
        "widget_free",
        "allocated",
        "released again",
        "backtrace",
        "ffi::widget_new(name.as_ptr())",
    ] {
        assert!(dom_text.contains(part), "`{part}` not in the DOM");
    }

    // Chromium's own net log: the page loaded nothing but itself.
    let netlog = work.join("netlog.json");
    let _ = std::fs::remove_file(&netlog);
    let shot = work.join("report.png");
    let logged = browse(
        &page,
        &work.join("profile"),
        &[
            &format!("--log-net-log={}", netlog.display()),
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    assert!(
        logged.status.success(),
        "{}",
        String::from_utf8_lossy(&logged.stderr)
    );
    let log = std::fs::read_to_string(&netlog).expect("chromium wrote its net log");
    for scheme in ["\"http://", "\"https://", "\"ws://", "\"wss://"] {
        assert!(
            !log.contains(scheme),
            "the page made a request ({scheme}...) in {}",
            netlog.display()
        );
    }
    assert!(shot.is_file(), "no screenshot from {}", browser.display());
}
