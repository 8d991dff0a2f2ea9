//! Reading one file of a module tree, as untrusted input: only a regular
//! file inside the workspace root, at most [`MAX_FILE_BYTES`], opened so that
//! a FIFO is never waited on.
//!
//! The checks run on the path with every symlink resolved, so a `#[path]`,
//! a `[lib] path` or a symlink that leads out of the workspace (absolute,
//! `..`, a link to `/etc/passwd` or `/proc/self/environ`) is refused before
//! the file is opened: nothing of such a file can reach the output.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files larger than this are not parsed (16 MiB: ten times the largest
/// hand-written or generated Rust file of the crates we know).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a file of the module tree was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// Nothing at that path.
    Missing,
    /// The path, symlinks resolved, is outside the workspace root.
    Outside {
        resolved: PathBuf,
    },
    /// A symlink loop (or a chain too long to follow).
    SymlinkLoop,
    /// Something that is not a regular file: `a directory`, `a FIFO`, ...
    NotAFile {
        what: &'static str,
    },
    TooLarge {
        bytes: u64,
    },
    NotUtf8,
    Io(String),
}

impl Unread {
    /// What the user reads after "`src/x.rs` ...".
    pub fn describe(&self) -> String {
        match self {
            Unread::Missing => "does not exist".to_owned(),
            Unread::Outside { resolved } => format!(
                "resolves to `{}`, outside the workspace root; it was not read",
                resolved.display()
            ),
            Unread::SymlinkLoop => "is a symlink loop; it was not read".to_owned(),
            Unread::NotAFile { what } => format!("is {what}, not a file; it was not read"),
            Unread::TooLarge { bytes } => format!(
                "is {} MiB, over the {} MiB limit; it was not parsed",
                bytes.div_ceil(1 << 20),
                MAX_FILE_BYTES >> 20
            ),
            Unread::NotUtf8 => "is not UTF-8 text".to_owned(),
            Unread::Io(e) => format!("cannot be read: {e}"),
        }
    }
}

/// Whether something exists at `path` (a dangling or looping symlink counts:
/// it is there, and reading it says why it cannot be read).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The canonical form of a workspace root, for [`read`].
pub fn canonical_root(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

/// Resolve `path` (every symlink) and check it stays under `root` (a
/// canonical path). Returns the resolved path.
pub fn resolve(path: &Path, root: &Path) -> Result<PathBuf, Unread> {
    let resolved = std::fs::canonicalize(path).map_err(|e| classify(&e))?;
    if !resolved.starts_with(root) {
        return Err(Unread::Outside { resolved });
    }
    Ok(resolved)
}

/// Read the regular file at `resolved` (a path [`resolve`] returned).
pub fn read(resolved: &Path) -> Result<String, Unread> {
    let mut file = open_nonblocking(resolved).map_err(|e| classify(&e))?;
    let meta = file.metadata().map_err(|e| classify(&e))?;
    if !meta.is_file() {
        return Err(Unread::NotAFile {
            what: kind_of(&meta.file_type()),
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Unread::TooLarge { bytes: meta.len() });
    }
    // The size may change under us: never read past the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| classify(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Unread::TooLarge {
            bytes: bytes.len() as u64,
        });
    }
    String::from_utf8(bytes).map_err(|_| Unread::NotUtf8)
}

/// Open for reading without blocking: opening a FIFO with no writer would
/// otherwise wait forever. The file's type is checked on the open handle.
/// The path is already resolved, so its last component is no symlink: one
/// that appears there since is not followed (`O_NOFOLLOW`).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

fn classify(e: &std::io::Error) -> Unread {
    match e.kind() {
        std::io::ErrorKind::NotFound => Unread::Missing,
        std::io::ErrorKind::IsADirectory => Unread::NotAFile {
            what: "a directory",
        },
        _ if is_loop(e) => Unread::SymlinkLoop,
        _ => Unread::Io(e.to_string()),
    }
}

/// ELOOP: too many levels of symbolic links.
#[cfg(unix)]
fn is_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_loop(_: &std::io::Error) -> bool {
    false
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("ffi-guard-source-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        canonical_root(&d)
    }

    #[test]
    fn a_path_out_of_the_root_is_refused_before_it_is_opened() {
        let root = scratch("outside");
        let up = root.join("../../../../../../../../../../etc/passwd");
        for p in [
            up.as_path(),
            Path::new("/etc/passwd"),
            Path::new("/proc/self/environ"),
        ] {
            assert!(
                matches!(resolve(p, &root), Err(Unread::Outside { .. })),
                "{p:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_loops_fifos_and_directories_are_named() {
        let root = scratch("kinds");
        std::os::unix::fs::symlink("/etc/passwd", root.join("out.rs")).unwrap();
        assert!(matches!(
            resolve(&root.join("out.rs"), &root),
            Err(Unread::Outside { .. })
        ));
        std::os::unix::fs::symlink(root.join("b.rs"), root.join("a.rs")).unwrap();
        std::os::unix::fs::symlink(root.join("a.rs"), root.join("b.rs")).unwrap();
        assert_eq!(resolve(&root.join("a.rs"), &root), Err(Unread::SymlinkLoop));
        std::fs::create_dir(root.join("dir.rs")).unwrap();
        let dir = resolve(&root.join("dir.rs"), &root).unwrap();
        assert_eq!(
            read(&dir),
            Err(Unread::NotAFile {
                what: "a directory"
            })
        );
        let fifo = root.join("pipe.rs");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let started = std::time::Instant::now();
            let fifo = resolve(&fifo, &root).unwrap();
            assert_eq!(
                read(&fifo),
                Err(Unread::NotAFile {
                    what: "a FIFO (named pipe)"
                })
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
        assert_eq!(resolve(&root.join("none.rs"), &root), Err(Unread::Missing));
    }

    #[test]
    fn a_file_over_the_limit_is_not_read() {
        let root = scratch("large");
        let big = root.join("big.rs");
        let f = File::create(&big).unwrap();
        // Sparse: no disk space is used.
        f.set_len(MAX_FILE_BYTES * 256).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(
            read(&big),
            Err(Unread::TooLarge {
                bytes: MAX_FILE_BYTES * 256
            })
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let _ = std::fs::remove_file(&big);
    }
}
