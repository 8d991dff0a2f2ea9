//! `[package.metadata.ffi-guard.headers]`: which headers, how to find them,
//! for which targets, with which cfgs.

use std::path::{Path, PathBuf};

/// The keys of the `headers` table.
pub const KEYS: &[&str] = &[
    "files",
    "include",
    "pkg-config",
    "defines",
    "targets",
    "cfgs",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Included in this order (`#include "file"`).
    pub files: Vec<String>,
    /// `-I` directories, relative to the package.
    pub include: Vec<String>,
    /// Libraries whose `pkg-config --cflags` are added.
    pub pkg_config: Vec<String>,
    /// `-D` definitions (`NAME` or `NAME=VALUE`).
    pub defines: Vec<String>,
    /// Target triples; the host's when empty.
    pub targets: Vec<String>,
    /// cfgs that hold besides the target's (`feature = "x"`, `name`).
    pub cfgs: Vec<String>,
}

/// The compiler arguments of a configuration, resolved once per package.
#[derive(Debug, Default)]
pub struct Prepared {
    pub args: Vec<String>,
    /// Headers under these directories are the library's.
    pub own_dirs: Vec<PathBuf>,
}

impl Config {
    /// The `headers` table of a `[package.metadata]` value, if any. An
    /// unknown key or a value of the wrong type is an error naming `origin`.
    pub fn from_metadata(meta: &serde_json::Value, origin: &str) -> Result<Option<Config>, String> {
        let Some(table) = meta.get("ffi-guard").and_then(|t| t.get("headers")) else {
            return Ok(None);
        };
        let Some(table) = table.as_object() else {
            return Err(format!("{origin}: `headers` must be a table"));
        };
        let mut c = Config::default();
        for (key, value) in table {
            let list = value
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| format!("{origin}: `headers.{key}` must be a list of strings"))?;
            match key.as_str() {
                "files" => c.files = list,
                "include" => c.include = list,
                "pkg-config" => c.pkg_config = list,
                "defines" => c.defines = list,
                "targets" => c.targets = list,
                "cfgs" => c.cfgs = list,
                _ => {
                    return Err(format!(
                        "{origin}: unknown key `headers.{key}`; known keys: {}",
                        KEYS.join(", ")
                    ));
                }
            }
        }
        if c.files.is_empty() {
            return Err(format!("{origin}: `headers.files` names no header"));
        }
        if c.targets.is_empty() {
            c.targets.push(host_triple());
        }
        Ok(Some(c))
    }

    /// Include paths, pkg-config cflags and defines as compiler arguments.
    pub fn prepare(&self, root: &Path) -> Result<Prepared, String> {
        let mut p = Prepared::default();
        for dir in &self.include {
            let abs = root.join(dir);
            p.args.push(format!("-I{}", abs.display()));
            p.own_dirs.push(abs);
        }
        for lib in &self.pkg_config {
            let out = std::process::Command::new("pkg-config")
                .args(["--cflags", lib])
                .output()
                .map_err(|e| format!("cannot run pkg-config for `{lib}`: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "pkg-config does not know `{lib}`: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            for flag in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-I") {
                    p.own_dirs.push(PathBuf::from(dir));
                }
                if flag.starts_with("-I") || flag.starts_with("-D") || flag.starts_with("-U") {
                    p.args.push(flag.to_owned());
                }
            }
        }
        for d in &self.defines {
            p.args.push(format!("-D{d}"));
        }
        Ok(p)
    }
}

/// The triple of the machine the linter runs on.
pub fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        "windows" => format!("{arch}-pc-windows-msvc"),
        os => format!("{arch}-unknown-{os}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_table_and_rejects_unknown_keys() {
        let meta = serde_json::json!({"ffi-guard": {"headers": {
            "files": ["zlib.h"], "defines": ["Z_PREFIX"], "targets": ["i686-unknown-linux-gnu"]}}});
        let c = Config::from_metadata(&meta, "x").unwrap().unwrap();
        assert_eq!(c.files, ["zlib.h"]);
        assert_eq!(c.targets, ["i686-unknown-linux-gnu"]);
        let bad = serde_json::json!({"ffi-guard": {"headers": {"files": ["a.h"], "flies": []}}});
        let e = Config::from_metadata(&bad, "x").unwrap_err();
        assert!(
            e.contains("unknown key `headers.flies`") && e.contains("pkg-config"),
            "{e}"
        );
        let wrong = serde_json::json!({"ffi-guard": {"headers": {"files": "a.h"}}});
        assert!(Config::from_metadata(&wrong, "x").is_err());
        assert_eq!(Config::from_metadata(&serde_json::json!({}), "x"), Ok(None));
    }
}
