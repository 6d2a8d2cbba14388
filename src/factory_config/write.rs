//! Atomic replacement of factory-config.yml: a temp file in the same directory, fsync, rename.

use std::fs;
use std::io::Write;
use std::path::Path;

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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".factory-config.yml.")
        .suffix(".fioreg-tmp")
        .tempfile_in(dir)
        .map_err(|source| WriteError::Io {
            path: format!("{} (its directory)", shown),
            source,
        })?;
    Ok(())
}

/// Replaces `path` with `new`, provided it still holds `expected_old`. The file's mode is kept.
pub fn replace(path: &Path, expected_old: &str, new: &str) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let io = |source| WriteError::Io {
        path: shown.clone(),
        source,
    };
    let current = fs::read(path).map_err(io)?;
    if current != expected_old.as_bytes() {
        return Err(WriteError::ChangedSinceRead { path: shown });
    }
    let meta = fs::metadata(path).map_err(io)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".factory-config.yml.")
        .suffix(".fioreg-tmp")
        .tempfile_in(dir)
        .map_err(io)?;
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

/// An exclusive advisory lock on factory-config.yml, held while a plan is applied, so two
/// fioreg runs cannot store secrets and write the same file at once.
#[derive(Debug)]
pub struct ConfigLock {
    _file: fs::File,
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
        let shown = path.display().to_string();
        let file = fs::File::open(path).map_err(|source| WriteError::Io {
            path: shown.clone(),
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
}
