//! Atomic replacement of factory-config.yml: a temp file in the same directory, fsync, rename.
//!
//! A factory-config.yml that is a symlink is edited through the link: the file it points to (its
//! [`target`]) is replaced, the link stays a link. The lock and the "changed since read" check
//! apply to that target too.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file `path` names: `path` itself, or, when it is a symlink (or a chain of them), the file
/// at the end. Writes go there, so a link stays a link.
pub fn target(path: &Path) -> Result<PathBuf, WriteError> {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(path.to_path_buf());
    }
    fs::canonicalize(path).map_err(|source| WriteError::Io {
        path: format!("{} (a symlink)", path.display()),
        source,
    })
}

/// The directory a new file beside `file` goes to.
pub(crate) fn dir_of(file: &Path) -> &Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "{path} changed since it was read (by an editor or another fioreg?); it was not \
         written. Run fioreg again to see the change against the new contents"
    )]
    ChangedSinceRead { path: String },
    #[error(transparent)]
    Locked(Locked),
    #[error("{path} is read-only; make it writable (chmod u+w) if fioreg may change it")]
    ReadOnly { path: String },
    #[error("{path}: cannot write it: {source}. The original file is unchanged")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Checks, before anything is done, that `path` can be replaced: the file is not read-only
/// and its directory takes a new file.
pub fn preflight(path: &Path) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io = |source| WriteError::Io {
        path: shown.clone(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.permissions().readonly() {
        return Err(WriteError::ReadOnly { path: shown });
    }
    let target = target(path)?;
    let dir = dir_of(&target);
    temp_in(dir).map_err(|source| WriteError::Io {
        path: format!("{} (its directory)", shown),
        source,
    })?;
    Ok(())
}

/// A new temporary file next to the config, to be renamed over it.
fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".factory-config.yml.")
        .suffix(".fioreg-tmp")
        .tempfile_in(dir)
}

/// Replaces `path` (its [`target`] when it is a symlink) with `new`, provided it still holds
/// `expected_old`. The file's mode is kept.
pub fn replace(path: &Path, expected_old: &str, new: &str) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io = |source| WriteError::Io {
        path: shown.clone(),
        source,
    };
    let path = &target(path)?;
    let current = fs::read(path).map_err(io)?;
    if current != expected_old.as_bytes() {
        return Err(WriteError::ChangedSinceRead { path: shown });
    }
    let meta = fs::metadata(path).map_err(io)?;
    let dir = dir_of(path);
    let mut tmp = temp_in(dir).map_err(io)?;
    tmp.write_all(new.as_bytes()).map_err(io)?;
    tmp.as_file()
        .set_permissions(meta.permissions())
        .map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("factory-config.yml");
        fs::write(&p, "a: 1\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        replace(&p, "a: 1\n", "a: 2\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a: 2\n");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // No temp file left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_when_the_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("factory-config.yml");
        fs::write(&p, "a: 3\n").unwrap();
        let err = replace(&p, "a: 1\n", "a: 2\n").unwrap_err();
        assert!(err.to_string().contains("changed since it was read"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "a: 3\n");
    }
}

/// An exclusive advisory lock for factory-config.yml, held while a plan is applied, so two
/// fioreg runs cannot store secrets and write the same file at once.
///
/// The lock is taken on a lock file that never holds data: in a git work tree in the repository's
/// git directory (`.git/fioreg-locks/DIR/factory-config.yml.lock`, DIR the config's directory in
/// the work tree), where `git status` never lists it and no commit can take it; elsewhere beside
/// the config (beside its [`target`] when the config is a symlink),
/// `.factory-config.yml.fioreg-lock`. Not the config itself:
/// the atomic rename replaces the config with a new file, and a lock on the old one would no
/// longer keep out a second run while the first still deletes a secret or pushes. The lock file
/// is left in place: removing it would race with a run that has just opened it (that run would
/// lock a file nobody else sees). Only where the lock file can neither be created nor opened (a
/// read-only directory, where the config cannot be replaced either) the config itself is locked.
#[derive(Debug)]
pub struct ConfigLock {
    _file: fs::File,
}

/// The lock file of the config `target`: in a git work tree
/// `GIT_DIR/fioreg-locks/DIR/NAME.lock`, else `.NAME.fioreg-lock` in its directory.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "factory-config.yml".into(), |n| n.to_string_lossy());
    let dir = dir_of(target);
    match git_dir_of(dir) {
        Some((git_dir, rel)) => git_dir
            .join("fioreg-locks")
            .join(rel)
            .join(format!("{name}.lock")),
        None => dir.join(format!(".{name}.fioreg-lock")),
    }
}

/// The git directory of the work tree holding `dir` (`.git`, or where a linked work tree's
/// `.git` file points), and `dir`'s path inside that work tree; `None` outside one. Every run
/// finds the same answer for the same directory: the path is made canonical first.
fn git_dir_of(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let dir = fs::canonicalize(dir).ok()?;
    for top in dir.ancestors() {
        let dot_git = top.join(".git");
        let git_dir = match fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() => dot_git,
            Ok(m) if m.is_file() => {
                let text = fs::read_to_string(&dot_git).ok()?;
                top.join(text.strip_prefix("gitdir:")?.trim())
            }
            _ => continue,
        };
        return Some((git_dir, dir.strip_prefix(top).ok()?.to_path_buf()));
    }
    None
}

/// Another run holds the lock.
#[derive(Debug, thiserror::Error)]
#[error(
    "another fioreg is applying a change to {path} right now; nothing was changed. Wait for it \
     to finish, then run again"
)]
pub struct Locked {
    pub path: String,
}

impl ConfigLock {
    /// Takes the lock without waiting. The lock goes with the open file: it is released when
    /// the returned value is dropped, or when the process ends.
    pub fn acquire(path: &Path) -> Result<ConfigLock, WriteError> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let shown = path.display().to_string();
        let target = target(path)?;
        let lock = lock_path(&target);
        if let Some(parent) = lock.parent() {
            // In a git directory the lock's folders may not exist yet; a failure shows below.
            let _ = fs::create_dir_all(parent);
        }
        let opened = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&lock)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    fs::File::open(&lock).or_else(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => fs::File::open(&target),
                        _ => Err(e),
                    })
                }
                _ => Err(e),
            });
        let file = opened.map_err(|source| WriteError::Io {
            path: lock.display().to_string(),
            source,
        })?;
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::WouldBlock {
                return Err(WriteError::Locked(Locked { path: shown }));
            }
            return Err(WriteError::Io {
                path: shown,
                source: err,
            });
        }
        Ok(ConfigLock { _file: file })
    }
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn in_a_git_work_tree_the_lock_lives_in_the_git_directory() {
        let dir = tempfile::tempdir().unwrap();
        let top = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(top.join(".git")).unwrap();
        fs::create_dir_all(top.join("ci/sub")).unwrap();
        let p = top.join("ci/sub/factory-config.yml");
        fs::write(&p, "a: 1\n").unwrap();
        let first = ConfigLock::acquire(&p).unwrap();
        let lock = top.join(".git/fioreg-locks/ci/sub/factory-config.yml.lock");
        assert_eq!(lock_path(&p), lock);
        assert!(lock.exists());
        assert!(!top.join("ci/sub/.factory-config.yml.fioreg-lock").exists());
        assert!(ConfigLock::acquire(&p).is_err(), "the same lock");
        drop(first);
        // A linked work tree: `.git` is a file naming the git directory.
        let wt = top.join("wt");
        fs::create_dir_all(&wt).unwrap();
        fs::write(wt.join(".git"), "gitdir: ../.git/worktrees/wt\n").unwrap();
        assert_eq!(
            lock_path(&wt.join("factory-config.yml")),
            wt.join("../.git/worktrees/wt/fioreg-locks/factory-config.yml.lock")
        );
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("factory-config.yml");
        fs::write(&p, "a: 1\n").unwrap();
        let first = ConfigLock::acquire(&p).unwrap();
        let err = ConfigLock::acquire(&p).unwrap_err();
        assert!(
            err.to_string().contains("another fioreg is applying"),
            "{err}"
        );
        drop(first);
        ConfigLock::acquire(&p).unwrap();
    }

    #[test]
    fn the_lock_survives_the_rename_and_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yml");
        fs::write(&real, "a: 1\n").unwrap();
        let link = dir.path().join("factory-config.yml");
        std::os::unix::fs::symlink("real.yml", &link).unwrap();
        let first = ConfigLock::acquire(&link).unwrap();
        assert!(dir.path().join(".real.yml.fioreg-lock").exists());
        replace(&link, "a: 1\n", "a: 2\n").unwrap();
        // Through the link or at the target, after the rename: still locked.
        assert!(ConfigLock::acquire(&link).is_err());
        assert!(ConfigLock::acquire(&real).is_err());
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "a: 2\n");
        drop(first);
        ConfigLock::acquire(&link).unwrap();
        assert_eq!(fs::read(lock_path(&real)).unwrap(), b"");
    }
}
