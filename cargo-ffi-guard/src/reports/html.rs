//! `cargo ffi-guard report --format html`: the merged report as one
//! self-contained page, for a CI artifact that a person opens in a browser.
//!
//! Nothing is loaded from anywhere: the style is inline, there is no script,
//! and a Content-Security-Policy of `default-src 'none'` makes the browser
//! refuse any request the page might make. The findings are grouped and
//! ordered as on stderr; each shows its source lines, its pointer's history
//! on a timeline and its backtrace; leaks are also listed by allocation site
//! with the function that releases them.
//!
//! The timeline shows what the report records of a pointer: where it was
//! allocated (`alloc_site`), where it was released or, when `consumed` says
//! so, given to C by a `consume` function (`free_site`), and where it was
//! misused (`site`).
//!
//! Source lines are read only from regular files inside the workspace root
//! (never through a symlink out of it, never over 16 MiB).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::format::Site;
use super::gate::Gate;
use super::merge::{Group, Merged};
use super::render::{describe, from, summary, user_frames};

/// Lines shown above and below a site.
const CONTEXT: usize = 2;
/// Frames shown per backtrace.
const MAX_FRAMES: usize = 24;
/// Source files larger than this are not read.
const MAX_SOURCE: u64 = 16 << 20;

/// The page. Relative sites are relative to `workspace_root`, whose files
/// give the source lines.
pub fn render(merged: &Merged, gate: &Gate, workspace_root: Option<&Path>) -> String {
    let sources = Sources::new(workspace_root);
    let mut page = String::new();
    let title = summary(merged);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>ffi-guard runtime report</h1>\n<p class=\"summary\">{}</p>\n",
        esc(&title),
        esc(&title)
    );
    if !merged.sources.is_empty() {
        let names: Vec<String> = merged.sources.iter().map(describe).collect();
        let _ = writeln!(
            page,
            "<p class=\"sources\">From {}</p>",
            esc(&names.join(", "))
        );
    }
    for note in &merged.notes {
        let _ = writeln!(page, "<p class=\"note\">note: {}</p>", esc(note));
    }
    for s in merged.died() {
        let _ = writeln!(
            page,
            "<p class=\"note\">note: {} exited without writing its whole report; its findings up to then are read from its journal</p>",
            esc(&describe(s))
        );
    }
    page.push_str("</header>\n<main>\n");
    if merged.groups.is_empty() {
        page.push_str("<p class=\"clean\">No findings.</p>\n");
    }
    let leaks: Vec<&Group> = merged
        .groups
        .iter()
        .filter(|g| g.kind() == "leak")
        .collect();
    if !leaks.is_empty() {
        leak_table(&mut page, &leaks, &sources);
    }
    for (i, g) in merged.groups.iter().enumerate() {
        group(&mut page, i, g, merged, gate, &sources);
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// Leaks by allocation site, with the function to call.
fn leak_table(page: &mut String, leaks: &[&Group], sources: &Sources) {
    page.push_str(
        "<section class=\"leaks\">\n<h2>Leaks by allocation site</h2>\n<table>\n\
         <thead><tr><th>allocated at</th><th>by</th><th>count</th><th>bytes</th><th>release with</th></tr></thead>\n<tbody>\n",
    );
    for g in leaks {
        let f = &g.first;
        let site = f.alloc_site.as_ref().unwrap_or(&f.site);
        let _ = writeln!(
            page,
            "<tr><td class=\"site\">{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(&sources.show(site)),
            esc(&f.function),
            g.count,
            g.bytes.map_or_else(|| "—".to_owned(), |b| b.to_string()),
            esc(f.free_with.as_deref().unwrap_or("—")),
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

fn group(page: &mut String, i: usize, g: &Group, merged: &Merged, gate: &Gate, sources: &Sources) {
    let f = &g.first;
    let level = if gate.fails(g.kind()) {
        "error"
    } else {
        "warning"
    };
    let _ = write!(
        page,
        "<article class=\"finding {level}\" id=\"finding-{i}\" data-kind=\"{}\">\n<h2><span class=\"badge\">{level}[{}]</span> {}</h2>\n",
        esc(g.kind()),
        esc(g.kind()),
        esc(&g.headline())
    );
    page.push_str("<dl class=\"facts\">");
    let _ = write!(
        page,
        "<dt>at</dt><dd class=\"site\">{}</dd>",
        esc(&sources.show(&f.site))
    );
    if f.kind != "leak" {
        let _ = write!(
            page,
            "<dt>in</dt><dd><code>{}</code></dd>",
            esc(&f.function)
        );
    }
    if let Some(w) = &f.free_with {
        let _ = write!(
            page,
            "<dt>release with</dt><dd><code>{}</code></dd>",
            esc(w)
        );
    }
    let _ = match g.bytes {
        Some(b) => write!(page, "<dt>count</dt><dd>{} ({b} bytes)</dd>", g.count),
        None => write!(page, "<dt>count</dt><dd>{}</dd>", g.count),
    };
    let _ = write!(page, "<dt>from</dt><dd>{}</dd>", esc(&from(g, merged)));
    page.push_str("</dl>\n");
    timeline(page, g, sources);
    if let Some(frames) = f.backtrace.as_deref().filter(|b| !b.is_empty()) {
        let shown = user_frames(frames);
        let _ = write!(
            page,
            "<details class=\"backtrace\" open>\n<summary>backtrace ({} frames)</summary>\n<ol>\n",
            shown.len()
        );
        for frame in shown.iter().take(MAX_FRAMES) {
            let at = match (&frame.file, frame.line) {
                (Some(file), Some(line)) => format!("{}:{line}", sources.display(file)),
                (Some(file), None) => sources.display(file),
                _ => String::new(),
            };
            let _ = writeln!(
                page,
                "<li><code>{}</code> <span class=\"at\">{}</span></li>",
                esc(&frame.function),
                esc(&at)
            );
        }
        page.push_str("</ol>\n");
        let hidden = frames.len() - shown.len().min(MAX_FRAMES);
        if hidden > 0 {
            let _ = writeln!(
                page,
                "<p class=\"more\">… {hidden} more frames (the test harness and below)</p>"
            );
        }
        page.push_str("</details>\n");
    }
    page.push_str("</article>\n");
}

/// The pointer's history: allocated, released or consumed, misused, in that order,
/// each with its site and source line.
fn timeline(page: &mut String, g: &Group, sources: &Sources) {
    let f = &g.first;
    let mut steps: Vec<(&str, &str, Option<&Site>)> = Vec::new();
    if let Some(s) = &f.alloc_site {
        steps.push(("allocated", "alloc", Some(s)));
    }
    if let Some(s) = &f.free_site {
        let what = if f.consumed {
            "consumed (given to C)"
        } else {
            "released"
        };
        steps.push((what, "free", Some(s)));
    }
    match f.kind.as_str() {
        "leak" => steps.push(("never released", "misuse", None)),
        kind => steps.push((misuse_label(kind), "misuse", Some(&f.site))),
    }
    page.push_str("<ol class=\"timeline\">\n");
    for (label, class, site) in steps {
        let _ = write!(
            page,
            "<li class=\"step {class}\"><span class=\"dot\"></span><div class=\"what\">{}</div>",
            esc(label)
        );
        match site {
            Some(site) => {
                let _ = write!(
                    page,
                    "<div class=\"site\">{}</div>",
                    esc(&sources.show(site))
                );
                sources.snippet(page, site);
            }
            None => {
                let with = f.free_with.as_deref().unwrap_or("its release function");
                let _ = write!(
                    page,
                    "<div class=\"hint\">call <code>{}</code> when done with it</div>",
                    esc(with)
                );
            }
        }
        page.push_str("</li>\n");
    }
    page.push_str("</ol>\n");
}

fn misuse_label(kind: &str) -> &'static str {
    match kind {
        "double_free" => "released again",
        "use_after_free" => "used after release",
        "unknown_free" => "released, but never allocated here",
        "allocator_mismatch" => "released by the wrong allocator",
        "panic" => "panicked",
        "stale_handle" => "used a stale handle",
        _ => "misused",
    }
}

/// Source files of the workspace, for the lines around a site.
struct Sources {
    root: Option<PathBuf>,
}

impl Sources {
    fn new(root: Option<&Path>) -> Sources {
        Sources {
            root: root.and_then(|r| r.canonicalize().ok()),
        }
    }

    fn show(&self, site: &Site) -> String {
        format!("{}:{}:{}", self.display(&site.file), site.line, site.column)
    }

    /// A path as the reader should see it: relative to the workspace root
    /// when inside it.
    fn display(&self, file: &str) -> String {
        match &self.root {
            Some(root) => Path::new(file)
                .strip_prefix(root)
                .map_or_else(|_| file.to_owned(), |p| p.display().to_string()),
            None => file.to_owned(),
        }
    }

    /// The text of a site's file, when it is a regular file inside the root.
    fn text(&self, file: &str) -> Option<String> {
        let root = self.root.as_ref()?;
        let real = root.join(file).canonicalize().ok()?;
        if !real.starts_with(root) {
            return None;
        }
        let meta = std::fs::metadata(&real).ok()?;
        if !meta.is_file() || meta.len() > MAX_SOURCE {
            return None;
        }
        std::fs::read_to_string(real).ok()
    }

    fn snippet(&self, page: &mut String, site: &Site) {
        let Some(text) = self.text(&site.file) else {
            return;
        };
        let line = site.line as usize;
        if line == 0 {
            return;
        }
        let first = line.saturating_sub(CONTEXT).max(1);
        page.push_str("<pre class=\"source\">");
        for (n, l) in text
            .lines()
            .enumerate()
            .skip(first - 1)
            .take(line + CONTEXT + 1 - first)
        {
            let n = n + 1;
            let class = if n == line { " class=\"hit\"" } else { "" };
            // Each line is a block: no newline between them, or `pre`
            // would show it as an empty line.
            let _ = write!(
                page,
                "<span{class}><span class=\"ln\">{n:>4}</span> {}</span>",
                esc(l)
            );
        }
        page.push_str("</pre>");
    }
}

/// Text as HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --err:#cf222e; --warn:#9a6700; --ok:#1a7f37; --blue:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif; color:var(--fg); background:#fff; }
header { padding:24px 32px 16px; border-bottom:1px solid var(--line); background:var(--bg); }
h1 { margin:0 0 4px; font-size:22px; }
.summary { margin:0; font-weight:600; }
.sources, .note { margin:4px 0 0; color:var(--muted); font-size:13px; }
main { padding:16px 32px 48px; max-width:1100px; }
h2 { font-size:17px; margin:0 0 8px; }
code, pre, .site, .at { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:13px; }
.clean { color:var(--ok); font-weight:600; }
section.leaks { margin:8px 0 24px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
article.finding { border:1px solid var(--line); border-left:5px solid var(--err); border-radius:6px; padding:14px 18px; margin:16px 0; }
article.finding.warning { border-left-color:var(--warn); }
.badge { font-family:ui-monospace,monospace; font-size:13px; color:#fff; background:var(--err); border-radius:4px; padding:1px 6px; margin-right:4px; vertical-align:2px; }
.warning .badge { background:var(--warn); }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0 0 12px; font-size:14px; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
ol.timeline { list-style:none; margin:4px 0 12px 7px; padding:0; }
ol.timeline li.step { position:relative; padding:0 0 14px 22px; border-left:2px solid var(--line); }
ol.timeline li.step:last-child { padding-bottom:0; border-left-color:transparent; }
.dot { position:absolute; top:4px; left:-9px; width:16px; height:16px; border-radius:50%; background:var(--blue); border:3px solid #fff; box-shadow:0 0 0 1px var(--blue); }
.free .dot { background:var(--ok); box-shadow:0 0 0 1px var(--ok); }
.misuse .dot { background:var(--err); box-shadow:0 0 0 1px var(--err); }
.warning .misuse .dot { background:var(--warn); box-shadow:0 0 0 1px var(--warn); }
.step .site { display:inline; margin-left:8px; color:var(--muted); }
.what { display:inline; font-weight:600; font-size:14px; }
.hint { display:inline; margin-left:8px; color:var(--muted); font-size:13px; }
pre.source { background:var(--bg); border:1px solid var(--line); border-radius:4px; margin:6px 0 0; padding:6px 0; overflow-x:auto; }
pre.source > span { display:block; padding:0 8px; white-space:pre; }
pre.source > span.hit { background:#fff1c2; }
.ln { color:var(--muted); user-select:none; margin-right:6px; }
details.backtrace summary { cursor:pointer; color:var(--muted); font-size:13px; }
details.backtrace ol { margin:6px 0 0; padding-left:28px; font-size:13px; }
.at { color:var(--muted); }
.more { color:var(--muted); font-size:13px; margin:4px 0 0; }
"#;
