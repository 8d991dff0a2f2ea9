//! The ownership conventions of widely used C libraries whose names the
//! naming rule of SPEC §2 misses (`sqlite3_malloc`/`sqlite3_free`,
//! `curl_easy_init`/`curl_easy_cleanup`, Core Foundation's Create/Copy versus
//! Get), in one table that the macro, the runtime's inference and the linter
//! share, each entry with the library's own documentation as its reason.
//!
//! A package extends the table in its manifest:
//!
//! ```toml
//! [package.metadata.ffi-guard]
//! pairs = [["ZSTD_createCCtx", "ZSTD_freeCCtx"], ["sqlite3_malloc64", "sqlite3_free"]]
//! borrowed = ["sqlite3_column_text", "sqlite3_errmsg"]
//! ```
//!
//! [`Conventions::builtin`] is the table alone; [`Conventions::with_config`]
//! adds a package's [`Config`] (read with [`Config::from_manifest`]), whose
//! entries win over the table's. [`Conventions::role`] answers by fn name.

use std::fmt;

/// What a C library's documentation says a function does with ownership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Returns a pointer the caller owns, released with one of `free`
    /// (the first is the documented one; the others release it too).
    Allocates { free: Vec<String> },
    /// Writes a pointer the caller owns into its out-parameter number
    /// `param` (0-based), released with one of `free`.
    AllocatesOut { param: usize, free: Vec<String> },
    /// Releases what its first pointer parameter points to.
    Releases,
    /// Returns a pointer the caller must not release (owned by another
    /// object): it never leaks.
    Borrowed,
}

/// One entry of the built-in table.
#[derive(Debug, Clone, Copy)]
pub struct Convention {
    /// The library, as its users call it.
    pub library: &'static str,
    /// A fn name, or a pattern in which each `*` matches any run of characters
    /// (`ZSTD_create*`), an empty one too. The text a `*` matched replaces the `*` of the same
    /// rank in the release names (`ZSTD_createCCtx` -> `ZSTD_freeCCtx`).
    pub pattern: &'static str,
    pub role: Spec,
    /// The library's documentation of who releases what.
    pub reason: &'static str,
}

/// The role of a table entry, as written in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// `Allocates`, release names separated by `|`, `*` filled from the pattern.
    Allocates(&'static str),
    /// `AllocatesOut`: the out-parameter's index and the release names.
    AllocatesOut(usize, &'static str),
    Releases,
    Borrowed,
}

const SQLITE_MALLOC: &str = "https://www.sqlite.org/c3ref/free.html: memory obtained from sqlite3_malloc(), sqlite3_malloc64() or sqlite3_realloc() is released with sqlite3_free()";
const SQLITE_MPRINTF: &str = "https://www.sqlite.org/c3ref/mprintf.html: the strings returned by sqlite3_mprintf() and sqlite3_vmprintf() are obtained from sqlite3_malloc() and must be released with sqlite3_free()";
const SQLITE_OPEN: &str = "https://www.sqlite.org/c3ref/open.html: a database connection handle is usually returned in *ppDb, even if an error occurs; it should be released by passing it to sqlite3_close() when it is no longer required";
const SQLITE_CLOSE: &str = "https://www.sqlite.org/c3ref/close.html: sqlite3_close() and sqlite3_close_v2() destroy a sqlite3 object";
const SQLITE_CLOSE_BUSY: &str = "https://www.sqlite.org/c3ref/close.html: if sqlite3_close() is called with unfinalized prepared statements, it returns SQLITE_BUSY and the database connection remains open";
const SQLITE_PREPARE: &str = "https://www.sqlite.org/c3ref/prepare.html: *ppStmt is left pointing to a compiled prepared statement, or NULL; the calling procedure is responsible for deleting it with sqlite3_finalize()";
const SQLITE_FINALIZE: &str =
    "https://www.sqlite.org/c3ref/finalize.html: sqlite3_finalize() deletes a prepared statement";
const SQLITE_COLUMN: &str = "https://www.sqlite.org/c3ref/column_blob.html: the pointers returned are valid until the type conversion, sqlite3_step(), sqlite3_reset() or sqlite3_finalize(); SQLite manages the memory and the caller must not free it";
const SQLITE_ERRMSG: &str = "https://www.sqlite.org/c3ref/errcode.html: memory to hold the error message string is managed internally; the application does not need to free it";
const SQLITE_NAME: &str = "https://www.sqlite.org/c3ref/column_name.html: the returned string pointer is valid until the statement is destroyed or the name is requested again; SQLite manages it";
const SQLITE_SQL: &str = "https://www.sqlite.org/c3ref/expanded_sql.html: the string returned by sqlite3_sql() is managed by SQLite; the one returned by sqlite3_expanded_sql() is obtained from sqlite3_malloc() and must be freed with sqlite3_free()";
const SQLITE_MISC: &str = "https://www.sqlite.org/c3ref/c3ref.html: sqlite3_db_handle(), sqlite3_next_stmt(), sqlite3_db_filename(), sqlite3_libversion() and sqlite3_sourceid() return pointers that SQLite owns";
const OPENSSL_FREE: &str = "https://docs.openssl.org/master/man3/OPENSSL_malloc/: OPENSSL_free() releases memory allocated by OPENSSL_malloc() (CRYPTO_malloc), and the strings of BN_bn2hex()/BN_bn2dec() and X509_NAME_oneline() with a NULL buffer";
const OPENSSL_GET0: &str = "https://docs.openssl.org/master/man3/X509_get0_notBefore/: get0 functions return internal pointers that must not be freed";
const GIT2_FREE: &str = "https://libgit2.org/docs/reference/main/: objects returned through an out-parameter `git_T **out` are owned by the caller and released with git_T_free()";
const CURL_EASY: &str = "https://curl.se/libcurl/c/curl_easy_init.html: the handle returned by curl_easy_init() must be released with curl_easy_cleanup()";
const CURL_MULTI: &str = "https://curl.se/libcurl/c/curl_multi_init.html: the handle is released with curl_multi_cleanup()";
const CURL_FREE: &str = "https://curl.se/libcurl/c/curl_free.html: curl_free() releases the strings of curl_easy_escape(), curl_easy_unescape(), curl_version() excepted";
const CURL_URL: &str = "https://curl.se/libcurl/c/curl_url.html: the handle returned by curl_url() is released with curl_url_cleanup()";
const ZSTD_CREATE: &str = "https://facebook.github.io/zstd/zstd_manual.html: ZSTD_createCCtx()/ZSTD_freeCCtx(), ZSTD_createDCtx()/ZSTD_freeDCtx(), ZSTD_createCDict()/ZSTD_freeCDict() and friends pair by name";
const GLIB_FREE: &str = "https://docs.gtk.org/glib/func.free.html: g_free() releases memory allocated by g_malloc(), g_strdup() and every GLib function documented as returning newly allocated memory";
const GLIB_ALLOC: &str = "https://docs.gtk.org/glib/func.malloc.html, https://docs.gtk.org/glib/func.strdup.html: the result is freed with g_free()";
const CF_CREATE: &str = "https://developer.apple.com/library/archive/documentation/CoreFoundation/Conceptual/CFMemoryMgmt/Concepts/Ownership.html: the Create Rule: a function whose name contains Create or Copy returns an object you own and must release with CFRelease";
const CF_GET: &str = "https://developer.apple.com/library/archive/documentation/CoreFoundation/Conceptual/CFMemoryMgmt/Concepts/Ownership.html: the Get Rule: an object from a function whose name contains Get is not owned by the caller";
const WIN32_CLOSE: &str = "https://learn.microsoft.com/en-us/windows/win32/api/handleapi/nf-handleapi-closehandle: CloseHandle closes an open object handle (a failed CreateFile returns INVALID_HANDLE_VALUE, not null, so no creator is listed)";

const CLOSE: &str = "sqlite3_close|sqlite3_close_v2";
const FINALIZE: &str = "sqlite3_finalize";

/// The built-in table, in lookup order: the first matching entry wins.
pub static BUILTIN: &[Convention] = &[
    // SQLite.
    owned("SQLite", "sqlite3_malloc", "sqlite3_free", SQLITE_MALLOC),
    owned("SQLite", "sqlite3_malloc64", "sqlite3_free", SQLITE_MALLOC),
    owned("SQLite", "sqlite3_realloc", "sqlite3_free", SQLITE_MALLOC),
    owned("SQLite", "sqlite3_realloc64", "sqlite3_free", SQLITE_MALLOC),
    owned("SQLite", "sqlite3_mprintf", "sqlite3_free", SQLITE_MPRINTF),
    owned("SQLite", "sqlite3_vmprintf", "sqlite3_free", SQLITE_MPRINTF),
    owned("SQLite", "sqlite3_expanded_sql", "sqlite3_free", SQLITE_SQL),
    releases("SQLite", "sqlite3_free", SQLITE_MALLOC),
    owned_out("SQLite", "sqlite3_open", 1, CLOSE, SQLITE_OPEN),
    owned_out("SQLite", "sqlite3_open16", 1, CLOSE, SQLITE_OPEN),
    owned_out("SQLite", "sqlite3_open_v2", 1, CLOSE, SQLITE_OPEN),
    releases("SQLite", "sqlite3_close", SQLITE_CLOSE),
    releases("SQLite", "sqlite3_close_v2", SQLITE_CLOSE),
    owned_out("SQLite", "sqlite3_prepare", 3, FINALIZE, SQLITE_PREPARE),
    owned_out("SQLite", "sqlite3_prepare_v2", 3, FINALIZE, SQLITE_PREPARE),
    owned_out("SQLite", "sqlite3_prepare16", 3, FINALIZE, SQLITE_PREPARE),
    owned_out(
        "SQLite",
        "sqlite3_prepare16_v2",
        3,
        FINALIZE,
        SQLITE_PREPARE,
    ),
    owned_out("SQLite", "sqlite3_prepare_v3", 4, FINALIZE, SQLITE_PREPARE),
    owned_out(
        "SQLite",
        "sqlite3_prepare16_v3",
        4,
        FINALIZE,
        SQLITE_PREPARE,
    ),
    releases("SQLite", "sqlite3_finalize", SQLITE_FINALIZE),
    borrowed("SQLite", "sqlite3_column_text*", SQLITE_COLUMN),
    borrowed("SQLite", "sqlite3_column_blob", SQLITE_COLUMN),
    borrowed("SQLite", "sqlite3_column_name*", SQLITE_NAME),
    borrowed("SQLite", "sqlite3_column_decltype*", SQLITE_NAME),
    borrowed("SQLite", "sqlite3_column_database_name*", SQLITE_NAME),
    borrowed("SQLite", "sqlite3_column_table_name*", SQLITE_NAME),
    borrowed("SQLite", "sqlite3_column_origin_name*", SQLITE_NAME),
    borrowed("SQLite", "sqlite3_column_value", SQLITE_COLUMN),
    borrowed("SQLite", "sqlite3_value_text*", SQLITE_COLUMN),
    borrowed("SQLite", "sqlite3_value_blob", SQLITE_COLUMN),
    borrowed("SQLite", "sqlite3_errmsg*", SQLITE_ERRMSG),
    borrowed("SQLite", "sqlite3_errstr", SQLITE_ERRMSG),
    borrowed("SQLite", "sqlite3_sql", SQLITE_SQL),
    borrowed("SQLite", "sqlite3_normalized_sql", SQLITE_SQL),
    borrowed("SQLite", "sqlite3_db_handle", SQLITE_MISC),
    borrowed("SQLite", "sqlite3_next_stmt", SQLITE_MISC),
    borrowed("SQLite", "sqlite3_db_filename", SQLITE_MISC),
    borrowed("SQLite", "sqlite3_libversion", SQLITE_MISC),
    borrowed("SQLite", "sqlite3_sourceid", SQLITE_MISC),
    // OpenSSL.
    owned(
        "OpenSSL",
        "CRYPTO_malloc",
        "CRYPTO_free|OPENSSL_free",
        OPENSSL_FREE,
    ),
    owned(
        "OpenSSL",
        "CRYPTO_zalloc",
        "CRYPTO_free|OPENSSL_free",
        OPENSSL_FREE,
    ),
    owned(
        "OpenSSL",
        "CRYPTO_strdup",
        "CRYPTO_free|OPENSSL_free",
        OPENSSL_FREE,
    ),
    owned(
        "OpenSSL",
        "BN_bn2hex",
        "CRYPTO_free|OPENSSL_free",
        OPENSSL_FREE,
    ),
    owned(
        "OpenSSL",
        "BN_bn2dec",
        "CRYPTO_free|OPENSSL_free",
        OPENSSL_FREE,
    ),
    releases("OpenSSL", "CRYPTO_free", OPENSSL_FREE),
    releases("OpenSSL", "OPENSSL_free", OPENSSL_FREE),
    borrowed("OpenSSL", "*_get0_*", OPENSSL_GET0),
    // libgit2: `git_T_free` releases what `git_T **out` received.
    releases("libgit2", "git_*_free", GIT2_FREE),
    // curl.
    owned("curl", "curl_easy_init", "curl_easy_cleanup", CURL_EASY),
    owned(
        "curl",
        "curl_easy_duphandle",
        "curl_easy_cleanup",
        CURL_EASY,
    ),
    releases("curl", "curl_easy_cleanup", CURL_EASY),
    owned("curl", "curl_multi_init", "curl_multi_cleanup", CURL_MULTI),
    releases("curl", "curl_multi_cleanup", CURL_MULTI),
    owned("curl", "curl_url", "curl_url_cleanup", CURL_URL),
    owned("curl", "curl_url_dup", "curl_url_cleanup", CURL_URL),
    releases("curl", "curl_url_cleanup", CURL_URL),
    owned("curl", "curl_easy_escape", "curl_free", CURL_FREE),
    owned("curl", "curl_easy_unescape", "curl_free", CURL_FREE),
    owned("curl", "curl_escape", "curl_free", CURL_FREE),
    owned("curl", "curl_unescape", "curl_free", CURL_FREE),
    releases("curl", "curl_free", CURL_FREE),
    borrowed("curl", "curl_version", CURL_FREE),
    // zstd.
    owned("zstd", "ZSTD_create*", "ZSTD_free*", ZSTD_CREATE),
    releases("zstd", "ZSTD_free*", ZSTD_CREATE),
    // GLib.
    owned("GLib", "g_malloc", "g_free", GLIB_ALLOC),
    owned("GLib", "g_malloc0", "g_free", GLIB_ALLOC),
    owned("GLib", "g_strdup", "g_free", GLIB_ALLOC),
    owned("GLib", "g_strndup", "g_free", GLIB_ALLOC),
    owned("GLib", "g_strdup_printf", "g_free", GLIB_ALLOC),
    releases("GLib", "g_free", GLIB_FREE),
    // Core Foundation: the Create Rule and the Get Rule.
    releases("Core Foundation", "CFRelease", CF_CREATE),
    owned("Core Foundation", "CF*Create*", "CFRelease", CF_CREATE),
    owned("Core Foundation", "CF*Copy*", "CFRelease", CF_CREATE),
    borrowed("Core Foundation", "CF*Get*", CF_GET),
    // Win32.
    releases("Win32", "CloseHandle", WIN32_CLOSE),
];

type S = &'static str;

const fn c(library: S, pattern: S, role: Spec, reason: S) -> Convention {
    Convention {
        library,
        pattern,
        role,
        reason,
    }
}

const fn owned(lib: S, pat: S, free: S, why: S) -> Convention {
    c(lib, pat, Spec::Allocates(free), why)
}

const fn owned_out(lib: S, pat: S, param: usize, free: S, why: S) -> Convention {
    c(lib, pat, Spec::AllocatesOut(param, free), why)
}

const fn releases(lib: S, pat: S, why: S) -> Convention {
    c(lib, pat, Spec::Releases, why)
}

const fn borrowed(lib: S, pat: S, why: S) -> Convention {
    c(lib, pat, Spec::Borrowed, why)
}

/// A package's own conventions: `[package.metadata.ffi-guard]` `pairs` and `borrowed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[allocating fn, release fn]`.
    pub pairs: Vec<(String, String)>,
    /// Fns whose results the caller must not release.
    pub borrowed: Vec<String>,
}

/// A malformed `pairs` or `borrowed` entry, naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `package.metadata.ffi-guard.pairs`, say.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `pairs` and `borrowed` from `[package.metadata.ffi-guard]` of a
    /// `Cargo.toml`'s text (other keys are the linter's to judge). A manifest
    /// without that table is the empty config.
    pub fn from_manifest(text: &str) -> Result<Config, ConfigError> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            key: "Cargo.toml".into(),
            message: e.message().to_owned(),
        })?;
        let table = doc
            .get("package")
            .and_then(|p| p.get("metadata"))
            .and_then(|m| m.get("ffi-guard"));
        match table {
            None => Ok(Config::default()),
            Some(t) => Config::from_table(t, "package.metadata.ffi-guard"),
        }
    }

    /// Reads `pairs` and `borrowed` from an `ffi-guard` metadata table; `at`
    /// names the table in errors.
    pub fn from_table(table: &toml::Value, at: &str) -> Result<Config, ConfigError> {
        let mut out = Config::default();
        let err = |key: &str, message: String| ConfigError {
            key: format!("{at}.{key}"),
            message,
        };
        if let Some(pairs) = table.get("pairs") {
            let list = pairs.as_array().ok_or_else(|| {
                err(
                    "pairs",
                    "expected a list of [allocating fn, release fn] pairs".into(),
                )
            })?;
            for (i, pair) in list.iter().enumerate() {
                let names: Option<Vec<&str>> = pair
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>())
                    .unwrap_or(None);
                match names.as_deref() {
                    Some([a, b]) if is_fn_name(a) && is_fn_name(b) => {
                        out.pairs.push(((*a).to_owned(), (*b).to_owned()))
                    }
                    _ => {
                        return Err(err(
                            "pairs",
                            format!(
                                "entry {} is `{pair}`; expected [\"allocating_fn\", \"release_fn\"], two fn names",
                                i + 1
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(borrowed) = table.get("borrowed") {
            let list = borrowed
                .as_array()
                .ok_or_else(|| err("borrowed", "expected a list of fn names".into()))?;
            for (i, v) in list.iter().enumerate() {
                match v.as_str() {
                    Some(name) if is_fn_name(name) => out.borrowed.push(name.to_owned()),
                    _ => {
                        return Err(err(
                            "borrowed",
                            format!("entry {} is `{v}`; expected a fn name", i + 1),
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

fn is_fn_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Releases that may fail and leave their object alive, reporting it by a
/// non-zero result: the release counts only when the call returns 0.
pub static KEPT_ON_ERROR: &[(&str, &str)] = &[("sqlite3_close", SQLITE_CLOSE_BUSY)];

/// Whether the release `name` keeps its object when it returns non-zero.
pub fn release_kept_on_error(name: &str) -> bool {
    KEPT_ON_ERROR.iter().any(|(n, _)| *n == name)
}

/// The table and a package's configuration, asked by fn name.
#[derive(Debug, Clone, Default)]
pub struct Conventions {
    config: Config,
}

impl Conventions {
    /// The built-in table alone.
    pub fn builtin() -> Conventions {
        Conventions::default()
    }

    /// The built-in table extended by a package's configuration, which wins.
    pub fn with_config(config: Config) -> Conventions {
        Conventions { config }
    }

    /// What the conventions say `name` does, if anything.
    pub fn role(&self, name: &str) -> Option<Role> {
        self.lookup(name).map(|(role, _)| role)
    }

    /// The role and its reason: the library's documentation, or the package
    /// configuration's key.
    pub fn lookup(&self, name: &str) -> Option<(Role, &'static str)> {
        const CONFIGURED: &str = "the package's [package.metadata.ffi-guard] configuration";
        if self.config.borrowed.iter().any(|b| b == name) {
            return Some((Role::Borrowed, CONFIGURED));
        }
        if let Some((_, free)) = self.config.pairs.iter().find(|(a, _)| a == name) {
            return Some((
                Role::Allocates {
                    free: vec![free.clone()],
                },
                CONFIGURED,
            ));
        }
        if self.config.pairs.iter().any(|(_, f)| f == name) {
            return Some((Role::Releases, CONFIGURED));
        }
        BUILTIN.iter().find_map(|c| {
            let caps = glob(c.pattern, name)?;
            let role = match c.role {
                Spec::Allocates(free) => Role::Allocates {
                    free: fill(free, &caps),
                },
                Spec::AllocatesOut(param, free) => Role::AllocatesOut {
                    param,
                    free: fill(free, &caps),
                },
                Spec::Releases => Role::Releases,
                Spec::Borrowed => Role::Borrowed,
            };
            Some((role, c.reason))
        })
    }
}

/// `*` matches any run, empty too; the runs, in order, or `None`.
fn glob<'a>(pattern: &str, name: &'a str) -> Option<Vec<&'a str>> {
    let mut caps = Vec::new();
    if glob_at(pattern, name, &mut caps) {
        Some(caps)
    } else {
        None
    }
}

fn glob_at<'a>(pattern: &str, name: &'a str, caps: &mut Vec<&'a str>) -> bool {
    match pattern.find('*') {
        None => pattern == name,
        Some(star) => {
            let (lit, rest) = (&pattern[..star], &pattern[star + 1..]);
            let Some(tail) = name.strip_prefix(lit) else {
                return false;
            };
            // Shortest run first: `CF*Create*` reads `CFStringCreateCopy` as
            // `String` + `Copy`.
            for end in 0..=tail.len() {
                if !tail.is_char_boundary(end) {
                    continue;
                }
                caps.push(&tail[..end]);
                if glob_at(rest, &tail[end..], caps) {
                    return true;
                }
                caps.pop();
            }
            false
        }
    }
}

fn fill(names: &str, caps: &[&str]) -> Vec<String> {
    names
        .split('|')
        .map(|n| {
            let mut out = String::new();
            let mut caps = caps.iter();
            for (i, part) in n.split('*').enumerate() {
                if i > 0 {
                    out.push_str(caps.next().copied().unwrap_or(""));
                }
                out.push_str(part);
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Option<Role> {
        Conventions::builtin().role(name)
    }

    fn allocates(free: &[&str]) -> Option<Role> {
        Some(Role::Allocates {
            free: free.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn sqlite() {
        assert_eq!(role("sqlite3_malloc64"), allocates(&["sqlite3_free"]));
        assert_eq!(role("sqlite3_mprintf"), allocates(&["sqlite3_free"]));
        assert_eq!(role("sqlite3_free"), Some(Role::Releases));
        assert_eq!(
            role("sqlite3_open_v2"),
            Some(Role::AllocatesOut {
                param: 1,
                free: vec!["sqlite3_close".into(), "sqlite3_close_v2".into()]
            })
        );
        assert_eq!(
            role("sqlite3_prepare_v3"),
            Some(Role::AllocatesOut {
                param: 4,
                free: vec!["sqlite3_finalize".into()]
            })
        );
        for b in [
            "sqlite3_column_text",
            "sqlite3_column_text16",
            "sqlite3_column_blob",
            "sqlite3_errmsg",
            "sqlite3_column_name",
            "sqlite3_sql",
            "sqlite3_db_handle",
        ] {
            assert_eq!(role(b), Some(Role::Borrowed), "{b}");
        }
        assert_eq!(role("sqlite3_backup_init"), None);
        assert!(release_kept_on_error("sqlite3_close"));
        assert!(!release_kept_on_error("sqlite3_close_v2"));
    }

    #[test]
    fn patterns_fill_release_names() {
        assert_eq!(role("ZSTD_createCCtx"), allocates(&["ZSTD_freeCCtx"]));
        assert_eq!(role("ZSTD_freeDStream"), Some(Role::Releases));
        assert_eq!(role("X509_get0_notBefore"), Some(Role::Borrowed));
        assert_eq!(role("git_repository_free"), Some(Role::Releases));
        assert_eq!(role("CFStringCreateWithCString"), allocates(&["CFRelease"]));
        assert_eq!(role("CFStringCreateCopy"), allocates(&["CFRelease"]));
        assert_eq!(role("CFArrayGetValueAtIndex"), Some(Role::Borrowed));
        assert_eq!(role("curl_easy_init"), allocates(&["curl_easy_cleanup"]));
        assert_eq!(role("g_strdup"), allocates(&["g_free"]));
        assert_eq!(role("CloseHandle"), Some(Role::Releases));
        assert_eq!(role("CreateFileW"), None);
        // OpenSSL's TYPE_new/TYPE_free is the naming rule's, not the table's.
        assert_eq!(role("widget_new"), None);
        assert_eq!(role("printf"), None);
        for c in BUILTIN {
            assert!(c.reason.starts_with("https://"), "{}", c.pattern);
        }
    }

    #[test]
    fn configuration_extends_and_wins() {
        let config = Config::from_manifest(
            r#"
            [package]
            name = "x"
            [package.metadata.ffi-guard]
            deny = ["leaked_into_raw"]
            pairs = [["acme_get", "acme_put"]]
            borrowed = ["sqlite3_malloc"]
            "#,
        )
        .unwrap();
        let conv = Conventions::with_config(config);
        assert_eq!(conv.role("acme_get"), allocates(&["acme_put"]));
        assert_eq!(conv.role("acme_put"), Some(Role::Releases));
        assert_eq!(conv.role("sqlite3_malloc"), Some(Role::Borrowed));
        assert_eq!(
            Config::from_manifest("[package]\nname = \"x\"\n").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn malformed_configuration_names_the_key() {
        let e =
            Config::from_manifest("[package.metadata.ffi-guard]\npairs = [[\"a\"]]\n").unwrap_err();
        assert_eq!(e.key, "package.metadata.ffi-guard.pairs");
        assert!(e.message.starts_with("entry 1 is"), "{e}");
        let e =
            Config::from_manifest("[package.metadata.ffi-guard]\nborrowed = \"x\"\n").unwrap_err();
        assert_eq!(e.key, "package.metadata.ffi-guard.borrowed");
        let e = Config::from_manifest("[package.metadata.ffi-guard]\nborrowed = [\"a b\"]\n")
            .unwrap_err();
        assert!(e.to_string().contains("expected a fn name"), "{e}");
    }
}
