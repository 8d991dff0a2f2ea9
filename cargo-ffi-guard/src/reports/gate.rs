//! Which finding kinds fail `cargo ffi-guard test`: `test.fail-on` in
//! `[package.metadata.ffi-guard]` or `[workspace.metadata.ffi-guard]`.
//!
//! ```toml
//! [package.metadata.ffi-guard]
//! test.fail-on = ["leak", "double_free", "use_after_free"]
//! ```
//!
//! Without it every kind fails. The package's table wins over the workspace's.
//! Findings of other kinds are still shown, as warnings.

use std::collections::BTreeSet;

use super::format::KINDS;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gate {
    /// `None`: every kind fails, including kinds newer than this tool.
    fail_on: Option<BTreeSet<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GateError {
    #[error(
        "`test.fail-on` in `{origin}` must be a list of finding kinds, like [\"leak\", \"double_free\"]"
    )]
    NotAList { origin: String },
    #[error("unknown finding kind `{kind}` in `test.fail-on` of `{origin}`; valid kinds: {}", KINDS.join(", "))]
    UnknownKind { kind: String, origin: String },
}

impl Gate {
    /// Reads the gate from cargo metadata's `metadata` values: the package's
    /// (when the manifest is a package) and the workspace's.
    pub fn from_metadata(
        package: Option<(&serde_json::Value, &str)>,
        workspace: (&serde_json::Value, &str),
    ) -> Result<Gate, GateError> {
        let from_package = match package {
            Some((value, name)) => {
                Gate::from_table(value, &format!("[package.metadata.ffi-guard] of {name}"))?
            }
            None => None,
        };
        match from_package {
            Some(gate) => Ok(gate),
            None => Ok(Gate::from_table(
                workspace.0,
                &format!("[workspace.metadata.ffi-guard] of {}", workspace.1),
            )?
            .unwrap_or_default()),
        }
    }

    /// Whether a finding of `kind` fails the run.
    pub fn fails(&self, kind: &str) -> bool {
        match &self.fail_on {
            None => true,
            Some(kinds) => kinds.contains(kind),
        }
    }

    /// `None` when `metadata` has no `ffi-guard.test.fail-on`.
    fn from_table(metadata: &serde_json::Value, origin: &str) -> Result<Option<Gate>, GateError> {
        let Some(list) = metadata
            .get("ffi-guard")
            .and_then(|t| t.get("test"))
            .and_then(|t| t.get("fail-on"))
        else {
            return Ok(None);
        };
        let not_a_list = || GateError::NotAList {
            origin: origin.to_owned(),
        };
        let mut kinds = BTreeSet::new();
        for item in list.as_array().ok_or_else(not_a_list)? {
            let kind = item.as_str().ok_or_else(not_a_list)?;
            if !KINDS.contains(&kind) {
                return Err(GateError::UnknownKind {
                    kind: kind.to_owned(),
                    origin: origin.to_owned(),
                });
            }
            kinds.insert(kind.to_owned());
        }
        Ok(Some(Gate {
            fail_on: Some(kinds),
        }))
    }
}
