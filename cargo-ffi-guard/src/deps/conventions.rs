//! The ownership conventions of C libraries whose names the naming rule
//! misses, and the package's own `pairs` and `borrowed` configuration.
//!
//! Every lookup goes through [`Conventions::role`]. The built-in table below
//! is the linter's interim copy: the shared table of `ffi-guard-syntax`
//! (which the macro reads too) replaces [`builtin`] when it lands, and this
//! module then only adds the package's configuration to it.

use std::collections::HashMap;

use crate::config::ConfigError;

/// What a C function does with ownership, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Returns memory the caller owns, released with `free`.
    Allocates { free: String },
    /// Writes memory the caller owns into its pointer-to-pointer parameter.
    AllocatesOut { free: String },
    /// Releases its (first) pointer parameter.
    Releases,
    /// Returns a pointer the caller must not release.
    Borrowed,
}

/// Interim table (to be replaced by the shared one of `ffi-guard-syntax`):
/// each row with the library documentation that states it.
fn builtin(name: &str) -> Option<Role> {
    let alloc = |free: &str| {
        Some(Role::Allocates {
            free: free.to_owned(),
        })
    };
    let out = |free: &str| {
        Some(Role::AllocatesOut {
            free: free.to_owned(),
        })
    };
    match name {
        // https://sqlite.org/c3ref/free.html: sqlite3_malloc memory is released with sqlite3_free.
        "sqlite3_malloc"
        | "sqlite3_malloc64"
        | "sqlite3_mprintf"
        | "sqlite3_vmprintf"
        | "sqlite3_expanded_sql" => alloc("sqlite3_free"),
        // https://sqlite.org/c3ref/open.html: "call sqlite3_close() ... whether or not an error occurs".
        "sqlite3_open" | "sqlite3_open16" | "sqlite3_open_v2" => out("sqlite3_close"),
        // https://sqlite.org/c3ref/prepare.html: "use sqlite3_finalize() to delete the prepared statement".
        "sqlite3_prepare_v2" | "sqlite3_prepare_v3" | "sqlite3_prepare16_v2" => {
            out("sqlite3_finalize")
        }
        "sqlite3_free" | "sqlite3_close" | "sqlite3_close_v2" | "sqlite3_finalize" => {
            Some(Role::Releases)
        }
        // https://sqlite.org/c3ref/column_blob.html: "the pointers returned are valid until ...";
        // https://sqlite.org/c3ref/errcode.html: "memory to hold the error message string is managed internally".
        "sqlite3_column_text"
        | "sqlite3_column_text16"
        | "sqlite3_column_blob"
        | "sqlite3_column_name"
        | "sqlite3_column_decltype"
        | "sqlite3_errmsg"
        | "sqlite3_errmsg16"
        | "sqlite3_errstr"
        | "sqlite3_sql"
        | "sqlite3_value_text"
        | "sqlite3_value_blob"
        | "sqlite3_db_filename"
        | "sqlite3_libversion" => Some(Role::Borrowed),
        // https://curl.se/libcurl/c/curl_easy_init.html: "must have a corresponding call to curl_easy_cleanup".
        "curl_easy_init" | "curl_easy_duphandle" => alloc("curl_easy_cleanup"),
        "curl_multi_init" => alloc("curl_multi_cleanup"),
        "curl_easy_cleanup" | "curl_multi_cleanup" | "curl_slist_free_all" => Some(Role::Releases),
        // https://curl.se/libcurl/c/curl_easy_strerror.html: a static string.
        "curl_easy_strerror" | "curl_multi_strerror" | "curl_version" => Some(Role::Borrowed),
        // https://facebook.github.io/zstd/zstd_manual.html: ZSTD_createCCtx / ZSTD_freeCCtx.
        "ZSTD_createCCtx" => alloc("ZSTD_freeCCtx"),
        "ZSTD_createDCtx" => alloc("ZSTD_freeDCtx"),
        "ZSTD_createCStream" => alloc("ZSTD_freeCStream"),
        "ZSTD_createDStream" => alloc("ZSTD_freeDStream"),
        "ZSTD_createCDict" => alloc("ZSTD_freeCDict"),
        "ZSTD_createDDict" => alloc("ZSTD_freeDDict"),
        "ZSTD_freeCCtx" | "ZSTD_freeDCtx" | "ZSTD_freeCStream" | "ZSTD_freeDStream"
        | "ZSTD_freeCDict" | "ZSTD_freeDDict" => Some(Role::Releases),
        // https://zstd manual: "ZSTD_getErrorName: provides readable string from an error code" (static).
        "ZSTD_getErrorName" | "ZSTD_versionString" => Some(Role::Borrowed),
        // https://www.openssl.org/docs/man3.0/man3/OPENSSL_free.html.
        "OPENSSL_free" | "CRYPTO_free" => Some(Role::Releases),
        // https://www.openssl.org/docs/man3.0/man3/ERR_error_string.html: static strings.
        "ERR_reason_error_string" | "ERR_lib_error_string" | "OpenSSL_version" => {
            Some(Role::Borrowed)
        }
        // https://libgit2.org/docs/reference/main/errors/git_error_last.html: owned by the library.
        "git_error_last" | "giterr_last" | "git_libgit2_prerelease" => Some(Role::Borrowed),
        // https://docs.gtk.org/glib/func.free.html.
        "g_free" => Some(Role::Releases),
        "g_strdup" | "g_strndup" | "g_malloc" | "g_malloc0" => alloc("g_free"),
        // https://developer.apple.com/documentation/corefoundation/1521153-cfrelease.
        "CFRelease" => Some(Role::Releases),
        // https://learn.microsoft.com/windows/win32/api/handleapi/nf-handleapi-closehandle.
        "CloseHandle" => Some(Role::Releases),
        _ => None,
    }
}

/// The built-in table and the package's `pairs` and `borrowed`.
#[derive(Debug, Clone, Default)]
pub struct Conventions {
    /// `pairs = [["alloc", "free"], ..]`: allocating fn -> its release.
    pairs: HashMap<String, String>,
    /// Releases named by `pairs`.
    releases: Vec<String>,
    borrowed: Vec<String>,
}

impl Conventions {
    /// Read `pairs` and `borrowed` of the `ffi-guard` table of a
    /// `[package.metadata]` into `self` (`origin` names it in errors).
    pub fn extend(&mut self, origin: &str, table: &serde_json::Value) -> Result<(), ConfigError> {
        let wrong = |key: &str, like: &str| ConfigError::Malformed {
            origin: origin.to_owned(),
            key: key.to_owned(),
            like: like.to_owned(),
        };
        if let Some(pairs) = table.get("pairs") {
            let like = "a list of [alloc, free] name pairs, like `pairs = [[\"ZSTD_createCCtx\", \"ZSTD_freeCCtx\"]]`";
            for pair in pairs.as_array().ok_or_else(|| wrong("pairs", like))? {
                let names: Vec<&str> = pair
                    .as_array()
                    .map(|p| p.iter().filter_map(serde_json::Value::as_str).collect())
                    .unwrap_or_default();
                let [alloc, free] = names.as_slice() else {
                    return Err(wrong("pairs", like));
                };
                self.pairs.insert((*alloc).to_owned(), (*free).to_owned());
                self.releases.push((*free).to_owned());
            }
        }
        if let Some(borrowed) = table.get("borrowed") {
            let like = "a list of function names, like `borrowed = [\"sqlite3_errmsg\"]`";
            for name in borrowed.as_array().ok_or_else(|| wrong("borrowed", like))? {
                let name = name.as_str().ok_or_else(|| wrong("borrowed", like))?;
                self.borrowed.push(name.to_owned());
            }
        }
        Ok(())
    }

    /// The convention for the C function `name`: the package's
    /// configuration first, then the table.
    pub fn role(&self, name: &str) -> Option<Role> {
        if let Some(free) = self.pairs.get(name) {
            return Some(Role::Allocates { free: free.clone() });
        }
        if self.borrowed.iter().any(|b| b == name) {
            return Some(Role::Borrowed);
        }
        if self.releases.iter().any(|r| r == name) {
            return Some(Role::Releases);
        }
        builtin(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_extends_and_overrides_the_table() {
        let mut c = Conventions::default();
        let meta = serde_json::json!({"ffi-guard": {
            "pairs": [["thing_make", "thing_drop"]],
            "borrowed": ["sqlite3_malloc"],
        }});
        c.extend("test", &meta["ffi-guard"]).unwrap();
        assert_eq!(
            c.role("thing_make"),
            Some(Role::Allocates {
                free: "thing_drop".into()
            })
        );
        assert_eq!(c.role("thing_drop"), Some(Role::Releases));
        assert_eq!(c.role("sqlite3_malloc"), Some(Role::Borrowed));
        assert_eq!(c.role("sqlite3_errmsg"), Some(Role::Borrowed));
        assert_eq!(
            c.role("sqlite3_open_v2"),
            Some(Role::AllocatesOut {
                free: "sqlite3_close".into()
            })
        );
    }

    #[test]
    fn malformed_configuration_is_an_error() {
        let mut c = Conventions::default();
        let bad = serde_json::json!({"pairs": [["only_one"]]});
        assert!(c.extend("test", &bad).is_err());
        let bad = serde_json::json!({"borrowed": "x"});
        assert!(c.extend("test", &bad).is_err());
    }
}
