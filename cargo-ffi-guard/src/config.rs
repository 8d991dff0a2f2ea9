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
        let Some(table) = metadata.get("ffi-guard") else {
            return Ok(());
        };
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
        for name in warn {
            self.set_named(name, Level::Warn, "`--warn`")?;
        }
        let mut deny_warnings = false;
        for name in deny {
            if name == "warnings" {
                deny_warnings = true;
            } else {
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
