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
    // A browser that hangs fails the test instead of hanging it.
    Command::new("timeout")
        .arg("120")
        .arg(chromium())
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
    std::fs::create_dir_all(&work).unwrap();
    let page = work.join("report.html");
    let _ = std::fs::remove_file(&page);
    let run = Command::new(BIN)
        .args(["test", "--manifest-path"])
        .arg(example.join("Cargo.toml"))
        .arg("--html")
        .arg(&page)
        // The target folder `test_cmd.rs` builds the same example into: the
        // runtime and the example are compiled once for both.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_cmd/target"),
        )
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
    let _ = std::fs::remove_dir_all(work.join("profile"));
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

    // Chromium's own net log: the page started no request. The browser's
    // own background requests (updates, time) are started by no origin; a
    // page's requests carry the page's origin as their initiator.
    let shot = work.join("report.png");
    let requests = page_requests(
        &page,
        &work,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    assert_eq!(requests, Vec::<String>::new(), "the page made requests");
    assert!(shot.is_file(), "no screenshot from {}", browser.display());

    // The detector is not blind: a page that loads an image is caught.
    let control = work.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><img src=\"http://127.0.0.1:9/ffi-guard-control.png\">",
    )
    .unwrap();
    let requests = page_requests(&control, &work, &["--dump-dom"]);
    assert!(
        requests.iter().any(|u| u.contains("ffi-guard-control.png")),
        "the net log check missed a page request: {requests:?}"
    );
}

/// The URLs of the requests `page` itself started, from Chromium's net log.
fn page_requests(page: &Path, work: &Path, extra: &[&str]) -> Vec<String> {
    let netlog = work.join("netlog.json");
    let _ = std::fs::remove_file(&netlog);
    let _ = std::fs::remove_dir_all(work.join("profile"));
    let mut args = vec![format!("--log-net-log={}", netlog.display())];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = browse(page, &work.join("profile"), &args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&netlog).expect("chromium wrote its net log");
    let log: serde_json::Value = serde_json::from_str(&text).expect("a JSON net log");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    assert!(start_job.is_number(), "an unexpected net log format");
    let page_url = format!("file://{}", page.display());
    log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == start_job)
        .filter(|e| e["params"]["initiator"] != "not an origin")
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|u| *u != page_url)
        .map(str::to_owned)
        .collect()
}
