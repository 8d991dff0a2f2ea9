//! `--message-format short`: one line per diagnostic, as `cargo check
//! --message-format=short` prints rustc's: `file:line:col: level[lint]: message`.

use crate::diag::Level;
use crate::emit::PackageReport;

pub fn render(reports: &[PackageReport]) -> String {
    let mut out = String::new();
    for r in reports {
        for d in &r.diagnostics {
            let level = match d.level {
                Level::Deny => "error",
                _ => "warning",
            };
            let path = r.root.join(&d.span.file);
            let shown = std::env::current_dir()
                .ok()
                .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
                .unwrap_or(path);
            out.push_str(&format!(
                "{}:{}:{}: {level}[{}]: {}\n",
                shown.display(),
                d.span.line,
                d.span.column,
                d.lint,
                d.message
            ));
        }
    }
    out
}
