//! Handing secret values to fioctl without putting them into its argv.
//!
//! fioctl reads `NAME==PATH` with Go's `os.ReadFile`. Where `/dev/fd` exists (Linux, macOS, the
//! BSDs), PATH is `/dev/fd/N`: fioctl inherits the read end of a pipe as fd N, and a thread in
//! fioreg writes the value into the write end and closes it. No byte of a secret is written to a
//! filesystem, so even a SIGKILL of fioreg leaves nothing behind.
//!
//! Where `/dev/fd` does not exist, the fallback: each value goes into its own 0600 file inside a
//! private (0700) temporary directory, removed after the call whatever happens (success, a
//! fioctl error, a timeout, SIGINT/SIGTERM while fioctl runs).

use super::process::SignalGuard;
use super::{Fioctl, FioctlError, push_separator_if_needed, shown_command};
use crate::secret::Secret;
use std::ffi::OsString;
use std::fs;
use std::io::{self, PipeWriter, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::{self, JoinHandle};
use zeroize::Zeroizing;

/// How secret values reach fioctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// `NAME==/dev/fd/N`, an inherited pipe: nothing on disk.
    Pipe,
    /// `NAME==PATH`, a 0600 file in a private 0700 temporary directory, removed after the call.
    TempFile,
}

impl Handover {
    /// [`Handover::Pipe`] where `/dev/fd` exists, else [`Handover::TempFile`].
    pub fn detect() -> Handover {
        if Path::new("/dev/fd").is_dir() {
            Handover::Pipe
        } else {
            Handover::TempFile
        }
    }

    /// One sentence for `--help`: how secrets reach fioctl on this system.
    pub fn describe(self) -> &'static str {
        match self {
            Handover::Pipe => {
                "Secrets reach fioctl as NAME==/dev/fd/N, the read end of a pipe that fioctl \
                 inherits: no byte of a secret is written to a disk (this system has /dev/fd)."
            }
            Handover::TempFile => {
                "This system has no /dev/fd, so each secret reaches fioctl as NAME==PATH, a 0600 \
                 file in a private 0700 temporary directory that is removed after the call (also \
                 on an error, a timeout or Ctrl-C)."
            }
        }
    }
}

impl Fioctl {
    /// `secrets update NAME==/dev/fd/N ...`: one pipe per value.
    pub(super) fn update_through_pipes(
        &self,
        secrets: &[(&str, &Secret)],
        values: &[&Secret],
    ) -> Result<(), FioctlError> {
        let guard = SignalGuard::install()?;
        let (pipes, paths) = PipeHandover::new(values)?;
        let (args, shown_args) = self.update_args(secrets, &paths, "<pipe>");
        let result = self.run(&args, &guard, Some(pipes)).and_then(|mut output| {
            let writers = output.writers.take();
            self.check(&shown_command(&shown_args), output, values)?;
            // fioctl said it stored the values: each one must have gone through whole.
            if let Some(writers) = writers {
                writers
                    .finish()
                    .map_err(|e| FioctlError::ValueNotReadWhole {
                        detail: e.to_string(),
                    })?;
            }
            Ok(())
        });
        if guard.fired() {
            return Err(FioctlError::Interrupted);
        }
        result
    }

    /// `secrets update NAME==PATH ...` with temporary files (where /dev/fd does not exist).
    pub(super) fn update_through_files(
        &self,
        secrets: &[(&str, &Secret)],
        values: &[&Secret],
    ) -> Result<(), FioctlError> {
        // Handlers first, so that a signal arriving while the files exist is always seen.
        let guard = SignalGuard::install()?;
        let dir = private_temp_dir()?;
        let result = self.update_with_files(dir.path(), secrets, values, &guard);

        // Remove the files before the signal handlers go away, so a second Ctrl-C cannot
        // interrupt the removal.
        let dir_path = dir.path().to_path_buf();
        let removed = dir.close();
        let interrupted = guard.fired();
        drop(guard);

        // A secret file left behind matters most, then the user's wish to stop.
        removed.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "could not remove the temporary directory {} holding secret files \
                     (delete it yourself): {e}",
                    dir_path.display()
                ),
            )
        })?;
        if interrupted {
            return Err(FioctlError::Interrupted);
        }
        result
    }

    /// `[--factory F] secrets update NAME==PATH ...`, and the same with each path shown as
    /// `shown` (what error messages show).
    fn update_args(
        &self,
        secrets: &[(&str, &Secret)],
        paths: &[PathBuf],
        shown: &str,
    ) -> (Vec<OsString>, Vec<OsString>) {
        let names: Vec<&str> = secrets.iter().map(|(name, _)| *name).collect();
        let mut args = self.secrets_args("update");
        push_separator_if_needed(&names, &mut args);
        let mut shown_args = args.clone();
        for (name, path) in names.iter().zip(paths) {
            let mut arg = OsString::from(format!("{name}=="));
            arg.push(path.as_os_str());
            args.push(arg);
            shown_args.push(OsString::from(format!("{name}=={shown}")));
        }
        (args, shown_args)
    }

    /// Writes the files into `dir` and runs `secrets update NAME==PATH ...`; the caller cleans up.
    fn update_with_files(
        &self,
        dir: &Path,
        secrets: &[(&str, &Secret)],
        values: &[&Secret],
        guard: &SignalGuard,
    ) -> Result<(), FioctlError> {
        let mut paths = Vec::with_capacity(secrets.len());
        for (i, (_, secret)) in secrets.iter().enumerate() {
            if guard.fired() {
                return Err(FioctlError::Interrupted);
            }
            paths.push(write_secret_file(dir, i, secret)?);
        }
        let (args, shown_args) = self.update_args(secrets, &paths, "<file>");
        let output = self.run(&args, guard, None)?;
        self.check(&shown_command(&shown_args), output, values)?;
        Ok(())
    }
}

/// The pipes of one `secrets update` call: the read ends (inherited by fioctl) and the threads
/// writing the values into the write ends.
///
/// The writer threads start at once, before fioctl does: a value larger than the pipe buffer
/// (64 KiB on Linux) then cannot deadlock, and a thread that cannot be started is an error before
/// anything ran (a write end closed without its value would hand fioctl an empty secret). A
/// writer whose reader is gone (fioctl died or was killed) gets EPIPE and ends; fioreg ignores
/// SIGPIPE (Rust's default), so that is an error value, never a signal.
pub(super) struct PipeHandover {
    readers: Vec<OwnedFd>,
    writers: PipeWriters,
}

/// The threads writing the values; [`PipeWriters::finish`] waits for them.
pub(super) struct PipeWriters(Vec<JoinHandle<io::Result<()>>>);

impl PipeHandover {
    /// One pipe per value, its writer thread started; also the `/dev/fd/N` path of each value.
    pub(super) fn new(values: &[&Secret]) -> io::Result<(PipeHandover, Vec<PathBuf>)> {
        let mut readers = Vec::with_capacity(values.len());
        let mut paths = Vec::with_capacity(values.len());
        let mut threads = Vec::with_capacity(values.len());
        for value in values {
            let (reader, writer) = io::pipe()?;
            let reader = above_stdio(OwnedFd::from(reader))?;
            paths.push(PathBuf::from(format!("/dev/fd/{}", reader.as_raw_fd())));
            readers.push(reader);
            threads.push(spawn_writer(
                writer,
                Zeroizing::new(value.expose().to_vec()),
            )?);
        }
        Ok((
            PipeHandover {
                readers,
                writers: PipeWriters(threads),
            },
            paths,
        ))
    }

    /// Lets the child inherit the read ends under their own numbers. They are close-on-exec in
    /// fioreg (so no other child gets them); only fioctl's process clears the flag, after fork.
    pub(super) fn inherit(&self, command: &mut Command) {
        let fds: Vec<RawFd> = self.readers.iter().map(AsRawFd::as_raw_fd).collect();
        // SAFETY: the closure runs in the forked child before exec and only calls fcntl, which is
        // async-signal-safe; it allocates nothing (the Vec was built before the fork).
        unsafe {
            command.pre_exec(move || {
                for &fd in &fds {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }

    /// Closes fioreg's copies of the read ends (once fioctl has them) and returns the writers.
    pub(super) fn into_writers(self) -> PipeWriters {
        drop(self.readers);
        self.writers
    }
}

impl PipeWriters {
    /// Waits for every writer; the first failure (e.g. EPIPE: fioctl stopped reading) is returned.
    /// Call only once fioctl has exited, so that no writer can still be blocked.
    pub(super) fn finish(self) -> io::Result<()> {
        let mut first = Ok(());
        for handle in self.0 {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the secret writer thread panicked")));
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}

fn spawn_writer(
    mut writer: PipeWriter,
    value: Zeroizing<Vec<u8>>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    thread::Builder::new()
        .name("fioctl-secret-writer".into())
        .spawn(move || {
            let result = writer.write_all(&value);
            // Closing the write end is what tells fioctl the value is complete.
            drop(writer);
            result
        })
}

/// A read end numbered 0, 1 or 2 (fioreg started with a standard stream closed) would be replaced
/// by the child's stdin/stdout/stderr: move it to 3 or above (still close-on-exec).
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid, owned fd returns a new fd that nobody else owns.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if new == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` was just created by fcntl and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// A temporary directory only the current user can enter (0700), removed on drop.
fn private_temp_dir() -> io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("fioreg-")
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir()?;
    // Explicitly, whatever the umask or the platform did.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

/// Writes one secret to `<dir>/secret-<i>` (0600), flushed and synced. The file name does not
/// use the secret's name, which may be `.` or `..`.
fn write_secret_file(dir: &Path, i: usize, secret: &Secret) -> io::Result<PathBuf> {
    let path = dir.join(format!("secret-{i}"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(secret.expose())?;
    file.flush()?;
    file.sync_all()?;
    Ok(path)
}
