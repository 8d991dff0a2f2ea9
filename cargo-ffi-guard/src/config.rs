//! Lint levels: the registry's defaults, then `[workspace.metadata.ffi-guard]`,
//! then `[package.metadata.ffi-guard]`, then the command line's flags.

use std::collections::HashMap;

use crate::diag::Level;
use crate::lints::{ALL, find};

/// A configuration that names something that is not a lint, or is malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown lint `{name}` in {origin}{suggestion}\nvalid lints: {valid}")]
    UnknownLint {
        name: String,
        origin: String,
        suggestion: String,
        valid: String,
    },
    #[error("{origin}: `{key}` must be a list of lint names, like `{key} = [\"missing_repr_c\"]`")]
    NotAList { origin: String, key: String },
    /// `pairs` or `borrowed`, as `ffi_guard_syntax::Config` (the macro's
    /// reader) rejects them.
    #[error("{origin}: {error}")]
    Conventions {
        origin: String,
        error: ffi_guard_syntax::ConfigError,
    },
    #[error("{origin} must be a table, like `[package.metadata.ffi-guard]` with keys: {known}")]
    NotATable { origin: String, known: String },
    #[error("unknown key `{key}` in {origin}{suggestion}\nknown keys: {known}")]
    UnknownKey {
        key: String,
        origin: String,
        suggestion: String,
        known: String,
    },
    #[error("{origin}: `{key}` must be {expected}, like `{example}`")]
    WrongType {
        origin: String,
        key: String,
        expected: &'static str,
        example: &'static str,
    },
    #[error("lint `{lint}` is both in `{first}` and in `{second}` of {origin}; keep it in one")]
    Conflict {
        lint: String,
        first: String,
        second: String,
        origin: String,
    },
}

/// What a key's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    List,
    Table,
}

impl ValueKind {
    fn matches(self, v: &serde_json::Value) -> bool {
        match self {
            ValueKind::List => v.is_array(),
            ValueKind::Table => v.is_object(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ValueKind::List => "a list",
            ValueKind::Table => "a table",
        }
    }
}

/// One key of the `ffi-guard` table, with the type its value must have and
/// an example shown when it has another.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: ValueKind,
    pub example: &'static str,
}

/// Every key `[package.metadata.ffi-guard]` and
/// `[workspace.metadata.ffi-guard]` may hold. Whatever reads a new key adds
/// it here, and only here: any other key is an error naming these.
pub const KEYS: &[Key] = &[
    Key {
        name: "deny",
        kind: ValueKind::List,
        example: "deny = [\"missing_repr_c\"]",
    },
    Key {
        name: "warn",
        kind: ValueKind::List,
        example: "warn = [\"unguarded_extern\"]",
    },
    Key {
        name: "allow",
        kind: ValueKind::List,
        example: "allow = [\"panic_across_ffi\"]",
    },
    // Read by `reports::gate` (`test.fail-on`).
    Key {
        name: "test",
        kind: ValueKind::Table,
        example: "test.fail-on = [\"leak\"]",
    },
    // The ownership conventions of a package's C library.
    Key {
        name: "pairs",
        kind: ValueKind::List,
        example: "pairs = [[\"ZSTD_createCCtx\", \"ZSTD_freeCCtx\"]]",
    },
    Key {
        name: "borrowed",
        kind: ValueKind::List,
        example: "borrowed = [\"sqlite3_errmsg\"]",
    },
    // The C headers declarations are checked against.
    Key {
        name: "headers",
        kind: ValueKind::Table,
        example: "headers.files = [\"zlib.h\"]",
    },
];

/// Check that the `ffi-guard` table of a `metadata` value (if any) is a
/// table that holds only known keys, each with a value of its type.
pub fn validate(metadata: &serde_json::Value, origin: &str) -> Result<(), ConfigError> {
    let known = || KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ");
    let Some(table) = metadata.get("ffi-guard") else {
        return Ok(());
    };
    let Some(table) = table.as_object() else {
        return Err(ConfigError::NotATable {
            origin: origin.to_owned(),
            known: known(),
        });
    };
    for (name, value) in table {
        match KEYS.iter().find(|k| k.name == name) {
            Some(key) if key.kind.matches(value) => {}
            Some(key) => {
                return Err(ConfigError::WrongType {
                    origin: origin.to_owned(),
                    key: key.name.to_owned(),
                    expected: key.kind.name(),
                    example: key.example,
                });
            }
            None => {
                let best = KEYS
                    .iter()
                    .map(|k| (edit_distance(name, k.name), k.name))
                    .min()
                    .filter(|(d, _)| *d <= 2);
                return Err(ConfigError::UnknownKey {
                    key: name.clone(),
                    origin: origin.to_owned(),
                    suggestion: best
                        .map_or_else(String::new, |(_, n)| format!("; did you mean `{n}`?")),
                    known: known(),
                });
            }
        }
    }
    Ok(())
}

/// The level of every lint.
#[derive(Debug, Clone)]
pub struct Levels {
    map: HashMap<&'static str, Level>,
}

impl Default for Levels {
    fn default() -> Levels {
        Levels {
            map: ALL.iter().map(|l| (l.name, l.default_level)).collect(),
        }
    }
}

impl Levels {
    pub fn get(&self, lint: &str) -> Level {
        self.map.get(lint).copied().unwrap_or(Level::Allow)
    }

    pub fn set(&mut self, lint: &'static str, level: Level) {
        self.map.insert(lint, level);
    }

    /// Apply the `ffi-guard` table of a `[package.metadata]` or
    /// `[workspace.metadata]` value (`origin` names it in errors).
    pub fn apply_metadata(
        &mut self,
        metadata: &serde_json::Value,
        origin: &str,
    ) -> Result<(), ConfigError> {
        validate(metadata, origin)?;
        let Some(table) = metadata.get("ffi-guard") else {
            return Ok(());
        };
        let mut placed = Placed::default();
        for (key, level) in [
            ("warn", Level::Warn),
            ("deny", Level::Deny),
            ("allow", Level::Allow),
        ] {
            let Some(list) = table.get(key) else { continue };
            let Some(list) = list.as_array() else {
                return Err(ConfigError::NotAList {
                    origin: origin.to_owned(),
                    key: key.to_owned(),
                });
            };
            for name in list {
                let Some(name) = name.as_str() else {
                    return Err(ConfigError::NotAList {
                        origin: origin.to_owned(),
                        key: key.to_owned(),
                    });
                };
                placed.place(name, key, origin)?;
                self.set_named(name, level, origin)?;
            }
        }
        Ok(())
    }

    /// Apply `--warn`, `--deny` (`warnings` denies every lint at `warn`),
    /// then `--allow`, which wins.
    pub fn apply_flags(
        &mut self,
        deny: &[String],
        warn: &[String],
        allow: &[String],
    ) -> Result<(), ConfigError> {
        let mut placed = Placed::default();
        for name in warn {
            placed.place(name, "--warn", "the command line")?;
            self.set_named(name, Level::Warn, "`--warn`")?;
        }
        let mut deny_warnings = false;
        for name in deny {
            if name == "warnings" {
                deny_warnings = true;
            } else {
                placed.place(name, "--deny", "the command line")?;
                self.set_named(name, Level::Deny, "`--deny`")?;
            }
        }
        if deny_warnings {
            for level in self.map.values_mut() {
                if *level == Level::Warn {
                    *level = Level::Deny;
                }
            }
        }
        for name in allow {
            placed.place(name, "--allow", "the command line")?;
            self.set_named(name, Level::Allow, "`--allow`")?;
        }
        Ok(())
    }

    fn set_named(&mut self, name: &str, level: Level, origin: &str) -> Result<(), ConfigError> {
        match find(name) {
            Some(lint) => {
                self.map.insert(lint.name, level);
                Ok(())
            }
            None => Err(unknown(name, origin)),
        }
    }
}

/// Which list of one level of configuration named each lint: a lint in two
/// lists of the same level is an error, not a silent winner.
#[derive(Default)]
struct Placed<'a> {
    lists: HashMap<&'a str, &'a str>,
}

impl<'a> Placed<'a> {
    fn place(&mut self, lint: &'a str, list: &'a str, origin: &str) -> Result<(), ConfigError> {
        match self.lists.insert(lint, list) {
            Some(first) if first != list => Err(ConfigError::Conflict {
                lint: lint.to_owned(),
                first: first.to_owned(),
                second: list.to_owned(),
                origin: origin.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

/// The error for a name that is no lint, with the closest lint's name.
pub fn unknown(name: &str, origin: &str) -> ConfigError {
    let best = ALL
        .iter()
        .map(|l| (edit_distance(name, l.name), l.name))
        .min()
        .filter(|(d, n)| *d <= 3.max(name.len() / 3) || n.contains(name));
    ConfigError::UnknownLint {
        name: name.to_owned(),
        origin: origin.to_owned(),
        suggestion: best.map_or_else(String::new, |(_, n)| format!("; did you mean `{n}`?")),
        valid: ALL.iter().map(|l| l.name).collect::<Vec<_>>().join(", "),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_lint() {
        let e = unknown("missing_repr", "`--deny`").to_string();
        assert!(e.contains("did you mean `missing_repr_c`?"), "{e}");
        assert!(
            e.contains("valid lints: missing_repr_c, improper_ffi_type"),
            "{e}"
        );
    }

    fn metadata(toml_like: serde_json::Value) -> Result<Levels, String> {
        let mut l = Levels::default();
        l.apply_metadata(&serde_json::json!({ "ffi-guard": toml_like }), "here")
            .map(|()| l)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_unknown_key_names_the_known_keys() {
        let e = metadata(serde_json::json!({ "dney": ["missing_repr_c"] })).unwrap_err();
        assert!(
            e.contains("unknown key `dney` in here; did you mean `deny`?"),
            "{e}"
        );
        assert!(
            e.contains("known keys: deny, warn, allow, test, pairs, borrowed, headers"),
            "{e}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error() {
        let e = metadata(serde_json::json!({ "test": "x" })).unwrap_err();
        assert!(e.contains("`test` must be a table"), "{e}");
        let e = metadata(serde_json::json!({ "deny": "missing_repr_c" })).unwrap_err();
        assert!(e.contains("`deny` must be a list"), "{e}");
        let mut l = Levels::default();
        let e = l
            .apply_metadata(&serde_json::json!({ "ffi-guard": 5 }), "here")
            .unwrap_err()
            .to_string();
        assert!(e.contains("here must be a table"), "{e}");
    }

    #[test]
    fn keys_read_elsewhere_are_known() {
        let ok = metadata(serde_json::json!({
            "pairs": [["a_new", "a_free"]],
            "borrowed": ["a_name"],
            "headers": { "files": ["a.h"] },
            "test": { "fail-on": ["leak"] },
        }));
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn a_lint_denied_and_allowed_at_one_level_is_an_error() {
        let e = metadata(serde_json::json!({
            "deny": ["panic_across_ffi"],
            "allow": ["panic_across_ffi"],
        }))
        .unwrap_err();
        assert!(
            e.contains("lint `panic_across_ffi` is both in `deny` and in `allow` of here"),
            "{e}"
        );
        let e = Levels::default()
            .apply_flags(&["double_free".into()], &[], &["double_free".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("both in `--deny` and in `--allow`"), "{e}");
        // Across levels, the nearer one wins, as before.
        let mut l = metadata(serde_json::json!({ "deny": ["panic_across_ffi"] })).unwrap();
        l.apply_flags(&[], &[], &["panic_across_ffi".into()])
            .unwrap();
        assert_eq!(l.get("panic_across_ffi"), Level::Allow);
    }

    #[test]
    fn deny_warnings_then_allow_wins() {
        let mut l = Levels::default();
        l.apply_flags(&["warnings".into()], &[], &["panic_across_ffi".into()])
            .unwrap();
        assert_eq!(l.get("errno_clobbered"), Level::Deny);
        assert_eq!(l.get("panic_across_ffi"), Level::Allow);
        assert_eq!(l.get("unguarded_extern"), Level::Allow);
    }
}
