//! Runs the `fioctl` CLI to list, store and delete FoundriesFactory secrets.
//!
//! fioctl has no stdin form for secret values, and `NAME=VALUE` would put the value into the
//! process list. So a value only ever reaches fioctl as `NAME==PATH`: PATH is a file with mode 0600
//! inside a private (0700) temporary directory, and that directory is removed after the call
//! whatever happens: success, a fioctl error, a timeout, or SIGINT/SIGTERM while fioctl runs.
//!
//! fioctl prints every failure as `ERROR: ...` on stdout and exits 1; cobra's own errors (unknown
//! flag, missing argument) go to stderr as `Error: ...`. [`FioctlError::Failed`] carries that line,
//! with anything looking like the secret values removed.
//!
//! fioctl runs in its own process group with stdin closed, so a Ctrl-C in the terminal reaches
//! only fioreg; fioreg then kills the group itself, removes the temporary files and returns
//! [`FioctlError::Interrupted`] (the caller should exit with status 130).

use crate::secret::Secret;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How long one fioctl call may take before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the wait loop looks at the child, the deadline and the signal flag.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// What fioctl prints (subcommands/common.go, `Login`) when it has no credentials.
const LOGIN_ERROR: &str = "ERROR: Please run: \"fioctl login\" first";

/// Where to get fioctl; part of the [`FioctlError::NotFound`] message.
const INSTALL_HINT: &str = "Download fioctl from https://github.com/foundriesio/fioctl/releases, \
     put it on PATH or pass --fioctl <PATH>, then run `fioctl login`";

/// A located fioctl executable plus the factory and timeout used for every call.
#[derive(Debug, Clone)]
pub struct Fioctl {
    bin: PathBuf,
    factory: Option<String>,
    timeout: Duration,
    /// Extra environment for the child; only the unit tests set it (FIOCTL_STUB_DIR).
    envs: Vec<(OsString, OsString)>,
}

/// Everything that can go wrong while running fioctl. No variant ever holds secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum FioctlError {
    /// fioctl is not installed (or the `--fioctl` path is wrong).
    #[error("fioctl was not found: {detail}. {INSTALL_HINT}")]
    NotFound { detail: String },

    /// fioctl ran and failed. `command` is redacted (`aws_creds==<file>`), `error_line` is what
    /// fioctl said (its `ERROR:` line and any continuation lines, else its last output line).
    #[error("`{command}` failed ({}): {error_line}", exit_text(*.status))]
    Failed {
        command: String,
        error_line: String,
        /// The exit code; `None` when fioctl was killed by a signal.
        status: Option<i32>,
    },

    /// fioctl has no credentials.
    #[error(
        "fioctl is not logged in (`{command}` said: {error_line}). Run `fioctl login`, then try again"
    )]
    NotLoggedIn { command: String, error_line: String },

    /// fioctl did not finish in time and was killed.
    #[error(
        "fioctl did not finish within {secs} s and was stopped; \
         check your network connection and `fioctl secrets list`"
    )]
    TimedOut { secs: u64 },

    /// SIGINT or SIGTERM arrived while fioctl ran; fioctl was killed, temporary files removed.
    #[error(
        "interrupted: fioctl was stopped and the temporary secret files were removed; \
         the change may or may not have been applied (check with `fioctl secrets list`)"
    )]
    Interrupted,

    /// A secret name fioctl or the server would refuse (checked before running fioctl).
    #[error("invalid secret name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },

    /// fioctl succeeded but its output was not what this module understands.
    #[error("unexpected output from `{command}`: {detail}")]
    UnexpectedOutput { command: String, detail: String },

    /// Creating the temporary files, starting fioctl or reading its output failed.
    #[error("I/O error while running fioctl: {0}")]
    Io(#[from] io::Error),
}

fn exit_text(status: Option<i32>) -> String {
    match status {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    }
}

impl Fioctl {
    /// Uses `explicit` (from `--fioctl`) if given, else looks `fioctl` up on PATH.
    ///
    /// An explicit path that does not exist, or is not an executable file, is
    /// [`FioctlError::NotFound`] (a bare name such as `fioctl-0.46` is looked up on PATH). The error
    /// message says where to download fioctl and to run `fioctl login`.
    pub fn find(explicit: Option<&Path>, factory: Option<String>) -> Result<Self, FioctlError> {
        let bin = match explicit {
            Some(path) => resolve_explicit(path)?,
            None => which::which("fioctl").map_err(|_| FioctlError::NotFound {
                detail: "`fioctl` is not on PATH".to_string(),
            })?,
        };
        Ok(Fioctl {
            bin,
            factory,
            timeout: DEFAULT_TIMEOUT,
            envs: Vec::new(),
        })
    }

    /// Sets how long each fioctl call may run before it is killed ([`FioctlError::TimedOut`]).
    pub fn with_timeout(self, t: Duration) -> Self {
        Fioctl { timeout: t, ..self }
    }

    /// The fioctl executable that is run.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// The factory passed as `--factory`, if any (else fioctl uses FIOCTL_FACTORY or its config).
    pub fn factory(&self) -> Option<&str> {
        self.factory.as_deref()
    }

    /// Runs `fioctl [--factory F] secrets list` and returns the secret names, in fioctl's order.
    pub fn secrets_list(&self) -> Result<Vec<String>, FioctlError> {
        let args = self.secrets_args("list");
        let shown = shown_command(&args);
        let stdout = self.call(&args, &shown)?;
        parse_list(&stdout).ok_or_else(|| FioctlError::UnexpectedOutput {
            command: shown,
            detail: "no `SECRETS` table header in the output".to_string(),
        })
    }

    /// Stores several secrets in one call: `fioctl [--factory F] secrets update NAME==PATH ...`.
    ///
    /// Each value is written to its own 0600 file in a private 0700 temporary directory, which is
    /// removed afterwards in every case. Names are checked first ([`FioctlError::InvalidName`]);
    /// an empty list does nothing.
    pub fn secrets_update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        if secrets.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = secrets.iter().map(|(name, _)| *name).collect();
        validate_names(&names)?;
        let values: Vec<&Secret> = secrets.iter().map(|(_, secret)| *secret).collect();

        // Handlers first, so that a signal arriving while the files exist is always seen.
        let guard = SignalGuard::install()?;
        let dir = private_temp_dir()?;
        let result = self.update_with_files(dir.path(), secrets, &values, &guard);

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

    /// Writes the files into `dir` and runs `secrets update NAME==PATH ...`; the caller cleans up.
    fn update_with_files(
        &self,
        dir: &Path,
        secrets: &[(&str, &Secret)],
        values: &[&Secret],
        guard: &SignalGuard,
    ) -> Result<(), FioctlError> {
        let names: Vec<&str> = secrets.iter().map(|(name, _)| *name).collect();
        let mut args = self.secrets_args("update");
        push_separator_if_needed(&names, &mut args);
        // What error messages show: the paths replaced by `<file>`.
        let mut shown_args = args.clone();
        for (i, (name, secret)) in secrets.iter().enumerate() {
            if guard.fired() {
                return Err(FioctlError::Interrupted);
            }
            let path = write_secret_file(dir, i, secret)?;
            let mut arg = OsString::from(format!("{name}=="));
            arg.push(path.as_os_str());
            args.push(arg);
            shown_args.push(OsString::from(format!("{name}==<file>")));
        }
        let output = self.run(&args, guard)?;
        self.check(&shown_command(&shown_args), output, values)?;
        Ok(())
    }

    /// Deletes secrets: `fioctl [--factory F] secrets update NAME= ...`. An empty list does nothing.
    pub fn secrets_delete(&self, names: &[&str]) -> Result<(), FioctlError> {
        if names.is_empty() {
            return Ok(());
        }
        validate_names(names)?;
        let mut args = self.secrets_args("update");
        push_separator_if_needed(names, &mut args);
        for name in names {
            args.push(OsString::from(format!("{name}=")));
        }
        self.call(&args, &shown_command(&args))?;
        Ok(())
    }

    /// Runs a call that involves no secret value and returns its stdout.
    fn call(&self, args: &[OsString], shown: &str) -> Result<String, FioctlError> {
        let guard = SignalGuard::install()?;
        let result = self
            .run(args, &guard)
            .and_then(|output| self.check(shown, output, &[]));
        if guard.fired() {
            return Err(FioctlError::Interrupted);
        }
        result
    }

    /// `[--factory F] secrets <sub>`
    fn secrets_args(&self, sub: &str) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some(factory) = &self.factory {
            args.push(OsString::from("--factory"));
            args.push(OsString::from(factory));
        }
        args.push(OsString::from("secrets"));
        args.push(OsString::from(sub));
        args
    }

    /// Runs fioctl with `args`, enforcing the timeout and reacting to SIGINT/SIGTERM (`guard`).
    fn run(&self, args: &[OsString], guard: &SignalGuard) -> Result<Output, FioctlError> {
        if guard.fired() {
            return Err(FioctlError::Interrupted);
        }
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: a terminal Ctrl-C does not reach fioctl directly, and on a
            // timeout or signal the whole group (fioctl and anything it started) can be killed.
            .process_group(0);
        let mut child = command.spawn().map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                FioctlError::NotFound {
                    detail: format!("{} could not be started ({e})", self.bin.display()),
                }
            } else {
                io::Error::new(
                    e.kind(),
                    format!("could not start {}: {e}", self.bin.display()),
                )
                .into()
            }
        })?;

        // Read both pipes in threads so that a full pipe can never block fioctl.
        let (tx, rx) = mpsc::channel();
        spawn_reader(child.stdout.take(), Stream::Stdout, tx.clone());
        spawn_reader(child.stderr.take(), Stream::Stderr, tx);

        let deadline = Instant::now() + self.timeout;
        let mut status: Option<ExitStatus> = None;
        let mut stdout: Option<Vec<u8>> = None;
        let mut stderr: Option<Vec<u8>> = None;
        loop {
            if guard.fired() {
                kill_group(&mut child, status.is_some());
                return Err(FioctlError::Interrupted);
            }
            if status.is_none() {
                match child.try_wait() {
                    Ok(s) => status = s,
                    Err(e) => {
                        kill_group(&mut child, false);
                        return Err(e.into());
                    }
                }
            }
            if let (Some(status), Some(_), Some(_)) = (status, &stdout, &stderr) {
                return Ok(Output {
                    status,
                    stdout: stdout.unwrap_or_default(),
                    stderr: stderr.unwrap_or_default(),
                });
            }
            if Instant::now() >= deadline {
                // Also covers a fioctl that exited but left a process holding its pipes open.
                kill_group(&mut child, status.is_some());
                return Err(FioctlError::TimedOut {
                    secs: u64::try_from(self.timeout.as_millis().div_ceil(1000))
                        .unwrap_or(u64::MAX),
                });
            }
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok((stream, Ok(data))) => match stream {
                    Stream::Stdout => stdout = Some(data),
                    Stream::Stderr => stderr = Some(data),
                },
                Ok((_, Err(e))) => {
                    kill_group(&mut child, status.is_some());
                    return Err(e.into());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Both readers finished and their results were taken: just poll the child.
                Err(mpsc::RecvTimeoutError::Disconnected) => thread::sleep(POLL_INTERVAL),
            }
        }
    }

    /// Turns a finished run into stdout text (exit 0) or the matching error. `secrets` are the
    /// values of this call: any trace of them in fioctl's output is removed from the error.
    fn check(
        &self,
        shown: &str,
        output: Output,
        secrets: &[&Secret],
    ) -> Result<String, FioctlError> {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error_line = redact(&error_line(&stdout, &stderr), secrets);
        if stdout.lines().any(|line| line.trim_end() == LOGIN_ERROR) {
            return Err(FioctlError::NotLoggedIn {
                command: shown.to_string(),
                error_line,
            });
        }
        Err(FioctlError::Failed {
            command: shown.to_string(),
            error_line,
            status: output.status.code(),
        })
    }

    /// Test-only: extra environment for the child process.
    #[cfg(test)]
    fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }
}

/// The result of one finished fioctl run.
struct Output {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

fn spawn_reader<R: Read + Send + 'static>(
    pipe: Option<R>,
    which: Stream,
    tx: mpsc::Sender<(Stream, io::Result<Vec<u8>>)>,
) {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let result = match pipe {
            Some(mut pipe) => pipe.read_to_end(&mut buf).map(|_| buf),
            None => Ok(buf),
        };
        // The receiver is gone when the call already ended (timeout, signal): nothing to do.
        let _ = tx.send((which, result));
    });
}

/// Kills fioctl's whole process group and reaps fioctl (unless `reaped` already).
fn kill_group(child: &mut Child, reaped: bool) {
    if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: killpg only sends a signal. The group was created for this child by
        // `process_group(0)`, so its id is the child's pid; while the child is not reaped (or
        // another member of the group still lives) that id cannot belong to anyone else.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
    if !reaped {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The line(s) that best explain a failure: fioctl's `ERROR:` line plus the lines after it (an
/// HTTP error continues with `= <server message>`), else cobra's `Error:` line on stderr, else a Go
/// panic line, else the last non-empty line of stdout or stderr.
fn error_line(stdout: &str, stderr: &str) -> String {
    let out: Vec<&str> = stdout.lines().collect();
    if let Some(start) = out.iter().position(|l| l.starts_with("ERROR:")) {
        let lines: Vec<&str> = out[start..]
            .iter()
            .map(|l| l.trim_end())
            .filter(|l| !l.is_empty())
            .collect();
        return lines.join("\n");
    }
    let err_lines = || stderr.lines().map(str::trim_end);
    if let Some(line) = err_lines().find(|l| l.starts_with("Error:")) {
        return line.to_string();
    }
    if let Some(line) = err_lines().find(|l| l.starts_with("panic:")) {
        return line.to_string();
    }
    let last = |text: &str| {
        text.lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .map(str::to_string)
    };
    last(stdout)
        .or_else(|| last(stderr))
        .unwrap_or_else(|| "(fioctl printed nothing)".to_string())
}

/// Replaces anything in `text` that looks like a piece of one of `secrets` with `<redacted>`:
/// the whole value, each line of at least 4 bytes, and each `:`/`=`/whitespace separated part of
/// at least 6 bytes. fioctl never prints values, but a wrapper or a future version might.
fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut needles: Vec<String> = Vec::new();
    for secret in secrets {
        let value = String::from_utf8_lossy(secret.expose());
        let whole = value.trim();
        if !whole.is_empty() {
            needles.push(whole.to_string());
        }
        for line in value.lines().map(str::trim).filter(|l| l.len() >= 4) {
            needles.push(line.to_string());
            needles.extend(
                line.split(|c: char| c == ':' || c == '=' || c.is_whitespace())
                    .map(str::trim)
                    .filter(|part| part.len() >= 6)
                    .map(str::to_string),
            );
        }
    }
    // Longest first, so a whole value is replaced before its parts.
    needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    needles.dedup();
    let mut text = text.to_string();
    for needle in &needles {
        text = text.replace(needle.as_str(), "<redacted>");
    }
    text
}

/// Parses `secrets list` output: a `SECRETS` header, a line of dashes, then one name per line.
fn parse_list(stdout: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let header = lines.iter().position(|l| *l == "SECRETS")?;
    let dashes = lines.get(header + 1)?;
    if dashes.is_empty() || !dashes.chars().all(|c| c == '-') {
        return None;
    }
    Some(
        lines[header + 2..]
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| l.to_string())
            .collect(),
    )
}

/// Checks names against the server's rule `^[a-zA-Z0-9_\-.]+$` and refuses duplicates.
fn validate_names(names: &[&str]) -> Result<(), FioctlError> {
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(FioctlError::InvalidName {
                name: String::new(),
                reason: "a secret name cannot be empty".to_string(),
            });
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(FioctlError::InvalidName {
                name: name.to_string(),
                reason: format!(
                    "{bad:?} is not allowed; use only letters, digits, '_', '-' and '.'"
                ),
            });
        }
        if names[..i].contains(name) {
            return Err(FioctlError::InvalidName {
                name: name.to_string(),
                reason: "given twice in one call".to_string(),
            });
        }
    }
    Ok(())
}

/// A name may start with '-', which fioctl would take for a flag: end the flags with `--` then.
fn push_separator_if_needed(names: &[&str], args: &mut Vec<OsString>) {
    if names.iter().any(|n| n.starts_with('-')) {
        args.push(OsString::from("--"));
    }
}

/// `fioctl <args>` for messages; arguments holding secret paths are already replaced.
fn shown_command(args: &[OsString]) -> String {
    let mut shown = String::from("fioctl");
    for arg in args {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

fn resolve_explicit(path: &Path) -> Result<PathBuf, FioctlError> {
    let not_found = |detail: String| FioctlError::NotFound { detail };
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => {
            Ok(path.to_path_buf())
        }
        Ok(_) => Err(not_found(format!(
            "{} is not an executable file",
            path.display()
        ))),
        // A bare name (no '/') that is not in the current directory: look it up on PATH.
        Err(_) if path.components().count() == 1 && !path.is_absolute() => {
            which::which(path).map_err(|_| not_found(format!("{} is not on PATH", path.display())))
        }
        Err(e) => Err(not_found(format!("{}: {e}", path.display()))),
    }
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

/// SIGINT/SIGTERM handling for the duration of one fioctl call.
///
/// While a guard exists, SIGINT and SIGTERM only set its flag; the wait loop sees it, kills
/// fioctl, removes the temporary files and returns [`FioctlError::Interrupted`]. Dropping the
/// guard unregisters its handlers.
///
/// signal-hook cannot put the default action back: after `unregister` the signal would simply be
/// ignored (see signal-hook-registry's `unregister` docs). So, once per process, a
/// `register_conditional_default` action is added that runs the default action (terminate) while
/// no guard exists; with it, SIGINT/SIGTERM behave as usual outside fioctl calls.
pub(crate) struct SignalGuard {
    flag: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

/// Shared by all guards: how many are alive, and the "no call is running" flag.
struct SignalState {
    active: usize,
    idle: Option<Arc<AtomicBool>>,
}

static SIGNAL_STATE: Mutex<SignalState> = Mutex::new(SignalState {
    active: 0,
    idle: None,
});

const HANDLED_SIGNALS: [libc::c_int; 2] =
    [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];

impl SignalGuard {
    pub(crate) fn install() -> io::Result<Self> {
        let mut state = SIGNAL_STATE.lock().unwrap_or_else(|e| e.into_inner());
        let idle = match &state.idle {
            Some(idle) => Arc::clone(idle),
            None => {
                let idle = Arc::new(AtomicBool::new(true));
                for signal in HANDLED_SIGNALS {
                    signal_hook::flag::register_conditional_default(signal, Arc::clone(&idle))?;
                }
                state.idle = Some(Arc::clone(&idle));
                idle
            }
        };
        let mut guard = SignalGuard {
            flag: Arc::new(AtomicBool::new(false)),
            ids: Vec::new(),
        };
        // Register our flag before disarming the default action, so no signal is lost between.
        for signal in HANDLED_SIGNALS {
            match signal_hook::flag::register(signal, Arc::clone(&guard.flag)) {
                Ok(id) => guard.ids.push(id),
                Err(e) => {
                    for id in guard.ids.drain(..) {
                        signal_hook::low_level::unregister(id);
                    }
                    return Err(e);
                }
            }
        }
        state.active += 1;
        idle.store(false, Ordering::SeqCst);
        Ok(guard)
    }

    /// Whether SIGINT or SIGTERM arrived since the guard was installed.
    pub(crate) fn fired(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        let mut state = SIGNAL_STATE.lock().unwrap_or_else(|e| e.into_inner());
        state.active = state.active.saturating_sub(1);
        // Re-arm the default action before our handlers go away.
        if state.active == 0
            && let Some(idle) = &state.idle
        {
            idle.store(true, Ordering::SeqCst);
        }
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

impl fmt::Debug for SignalGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalGuard")
            .field("fired", &self.fired())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::MutexGuard;

    const STUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fioctl");

    /// Tests that run the stand-in take this lock: the signal test must be the only call in
    /// flight when it signals the process, and parallel children would make it flaky.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stand-in state directory with a default factory, and a Fioctl pointing at the stand-in.
    fn setup(factory: Option<&str>) -> (tempfile::TempDir, Fioctl) {
        let state = tempfile::tempdir().unwrap();
        fs::write(state.path().join("default_factory"), "acme\n").unwrap();
        let fioctl = Fioctl::find(Some(Path::new(STUB)), factory.map(String::from))
            .unwrap()
            .with_env("FIOCTL_STUB_DIR", state.path())
            .with_env("FIOCTL_FACTORY", "");
        (state, fioctl)
    }

    fn stored(state: &Path, factory: &str, name: &str) -> Vec<u8> {
        fs::read(
            state
                .join("factories")
                .join(factory)
                .join("secrets")
                .join(name),
        )
        .unwrap()
    }

    fn calls(state: &Path) -> String {
        fs::read_to_string(state.join("calls.log")).unwrap_or_default()
    }

    /// The `NAME==PATH` paths passed in calls.log.
    fn passed_paths(state: &Path) -> Vec<PathBuf> {
        calls(state)
            .lines()
            .filter_map(|l| l.strip_prefix("arg: "))
            .filter_map(|a| a.split_once("==").map(|(_, p)| PathBuf::from(p)))
            .collect()
    }

    fn assert_temp_files_gone(state: &Path) {
        let paths = passed_paths(state);
        assert!(!paths.is_empty(), "no NAME==PATH in calls.log");
        for path in paths {
            assert!(!path.exists(), "{} still exists", path.display());
            let dir = path.parent().unwrap();
            assert!(!dir.exists(), "{} still exists", dir.display());
        }
    }

    fn generic() -> Secret {
        Secret::new(
            b"ci-user:t0k3n:with:colons\n".to_vec(),
            "user ci-user, token",
        )
    }

    fn process_alive(pid: libc::pid_t) -> bool {
        // SAFETY: signal 0 only checks whether the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    fn hang_pid(state: &Path) -> libc::pid_t {
        fs::read_to_string(state.join("hang.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    #[test]
    fn update_stores_exact_bytes_and_list_reads_names() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        let azure = Secret::new(b"1f2e-id:pass:word\n\n".to_vec(), "principal");
        let gcp = Secret::new(b"{\"type\": \"service_account\"}".to_vec(), "key");
        fioctl
            .secrets_update(&[("azprincipal", &azure), ("gcp_creds", &gcp)])
            .unwrap();
        assert_eq!(stored(state.path(), "acme", "azprincipal"), azure.expose());
        assert_eq!(stored(state.path(), "acme", "gcp_creds"), gcp.expose());
        assert_eq!(
            fioctl.secrets_list().unwrap(),
            vec!["azprincipal".to_string(), "gcp_creds".to_string()]
        );
        // One call for both secrets.
        assert_eq!(calls(state.path()).matches("arg: update").count(), 1);
        assert_temp_files_gone(state.path());
    }

    #[test]
    fn factory_is_passed_as_flag() {
        let _s = serial();
        let (state, fioctl) = setup(Some("other-factory"));
        assert_eq!(fioctl.factory(), Some("other-factory"));
        fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap();
        assert_eq!(
            stored(state.path(), "other-factory", "ghcr_creds"),
            generic().expose()
        );
        assert!(
            calls(state.path()).starts_with(
                "arg: --factory\narg: other-factory\narg: secrets\narg: update\narg: ghcr_creds=="
            ),
            "{}",
            calls(state.path())
        );
    }

    #[test]
    fn argv_never_holds_the_secret() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        let secret = generic();
        fioctl.secrets_update(&[("ghcr_creds", &secret)]).unwrap();
        let log = calls(state.path());
        assert!(!log.contains("t0k3n"), "{log}");
        assert!(log.contains("arg: ghcr_creds=="), "{log}");
    }

    #[test]
    fn temp_file_is_0600_in_a_0700_dir() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fioctl
            .secrets_update(&[("a", &generic()), ("b", &generic())])
            .unwrap();
        let modes = fs::read_to_string(state.path().join("modes.log")).unwrap();
        let lines: Vec<&str> = modes.lines().collect();
        assert_eq!(lines.len(), 2, "{modes}");
        for line in lines {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 4, "{line}");
            assert_eq!((fields[2], fields[3]), ("600", "700"), "{line}");
        }
    }

    #[test]
    fn fioctl_failure_is_reported_and_files_removed() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fs::write(
            state.path().join("fail_update"),
            "Unable to PATCH: server on fire\n",
        )
        .unwrap();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        match &err {
            FioctlError::Failed {
                command,
                error_line,
                status,
            } => {
                assert_eq!(command, "fioctl secrets update ghcr_creds==<file>");
                assert_eq!(error_line, "ERROR: Unable to PATCH: server on fire");
                assert_eq!(*status, Some(1));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("server on fire"));
        assert!(
            !state
                .path()
                .join("factories/acme/secrets/ghcr_creds")
                .exists()
        );
        assert_temp_files_gone(state.path());
    }

    #[test]
    fn secret_echoed_by_fioctl_is_redacted() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fs::write(
            state.path().join("fail_update"),
            "bad value ci-user:t0k3n:with:colons here",
        )
        .unwrap();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("t0k3n"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn logged_out_is_not_logged_in_and_files_removed() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fs::write(state.path().join("logged_out"), "").unwrap();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        assert!(
            matches!(&err, FioctlError::NotLoggedIn { error_line, .. } if error_line == LOGIN_ERROR),
            "{err:?}"
        );
        assert!(err.to_string().contains("fioctl login"));
        assert_temp_files_gone(state.path());
        assert!(matches!(
            fioctl.secrets_list(),
            Err(FioctlError::NotLoggedIn { .. })
        ));
    }

    #[test]
    fn timeout_kills_fioctl_and_removes_files() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        let fioctl = fioctl.with_timeout(Duration::from_millis(500));
        fs::write(state.path().join("hang"), "").unwrap();
        let started = Instant::now();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        assert!(matches!(err, FioctlError::TimedOut { secs: 1 }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!process_alive(hang_pid(state.path())));
        assert_temp_files_gone(state.path());
    }

    #[test]
    fn signal_kills_fioctl_and_removes_files() {
        let _s = serial();
        for signal in HANDLED_SIGNALS {
            let (state, fioctl) = setup(None);
            let fioctl = fioctl.with_timeout(Duration::from_secs(30));
            fs::write(state.path().join("hang"), "").unwrap();
            let call = thread::spawn(move || fioctl.secrets_update(&[("ghcr_creds", &generic())]));
            // hang.pid appears once fioctl runs, i.e. while the guard is installed.
            let pid_file = state.path().join("hang.pid");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !pid_file.exists() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            assert!(pid_file.exists(), "the stand-in did not start");
            // SAFETY: sends a signal to this test process; the guard turns it into a flag.
            unsafe {
                libc::kill(libc::getpid(), signal);
            }
            let err = call.join().unwrap().unwrap_err();
            assert!(matches!(err, FioctlError::Interrupted), "{err:?}");
            assert!(!process_alive(hang_pid(state.path())));
            assert_temp_files_gone(state.path());
        }
        // With no call running the default action is armed again.
        let state = SIGNAL_STATE.lock().unwrap();
        assert_eq!(state.active, 0);
        assert!(state.idle.as_ref().unwrap().load(Ordering::SeqCst));
    }

    #[test]
    fn delete_uses_empty_value() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fioctl
            .secrets_update(&[("a", &generic()), ("b", &generic())])
            .unwrap();
        fioctl.secrets_delete(&["a"]).unwrap();
        assert_eq!(fioctl.secrets_list().unwrap(), vec!["b".to_string()]);
        assert!(calls(state.path()).contains("arg: a=\nend\n"));
    }

    #[test]
    fn names_starting_with_dash_are_passed_after_separator() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fioctl.secrets_update(&[("-dash", &generic())]).unwrap();
        assert_eq!(stored(state.path(), "acme", "-dash"), generic().expose());
        fioctl.secrets_delete(&["-dash"]).unwrap();
        assert!(fioctl.secrets_list().unwrap().is_empty());
    }

    #[test]
    fn missing_factory_is_fioctls_error() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fs::remove_file(state.path().join("default_factory")).unwrap();
        let err = fioctl.secrets_list().unwrap_err();
        assert!(
            matches!(&err, FioctlError::Failed { error_line, status: Some(1), .. }
                if error_line == "ERROR: Required flag \"factory\" not set"),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_names_are_refused_before_running() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        for bad in ["", "has space", "a=b", "ünï", "x/y", "a\nb"] {
            let err = fioctl.secrets_update(&[(bad, &generic())]).unwrap_err();
            assert!(
                matches!(&err, FioctlError::InvalidName { name, .. } if name == bad),
                "{bad:?}: {err:?}"
            );
            assert!(matches!(
                fioctl.secrets_delete(&[bad]),
                Err(FioctlError::InvalidName { .. })
            ));
        }
        let err = fioctl
            .secrets_update(&[("dup", &generic()), ("dup", &generic())])
            .unwrap_err();
        assert!(matches!(err, FioctlError::InvalidName { .. }));
        assert!(validate_names(&["aws_creds", "a-b.c_D9", "-x", "."]).is_ok());
        assert_eq!(calls(state.path()), "", "fioctl must not have run");
    }

    #[test]
    fn empty_lists_do_nothing() {
        let _s = serial();
        let (state, fioctl) = setup(None);
        fioctl.secrets_update(&[]).unwrap();
        fioctl.secrets_delete(&[]).unwrap();
        assert_eq!(calls(state.path()), "");
    }

    #[test]
    fn not_found() {
        let err = Fioctl::find(Some(Path::new("/nonexistent/dir/fioctl")), None).unwrap_err();
        assert!(matches!(err, FioctlError::NotFound { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("https://github.com/foundriesio/fioctl/releases"),
            "{msg}"
        );
        assert!(msg.contains("--fioctl"), "{msg}");
        assert!(msg.contains("fioctl login"), "{msg}");
        // A directory or a non-executable file is no fioctl either.
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Fioctl::find(Some(dir.path()), None),
            Err(FioctlError::NotFound { .. })
        ));
        let plain = dir.path().join("fioctl");
        fs::write(&plain, "#!/bin/sh\n").unwrap();
        assert!(matches!(
            Fioctl::find(Some(&plain), None),
            Err(FioctlError::NotFound { .. })
        ));
    }

    #[test]
    fn parse_list_output() {
        assert_eq!(
            parse_list("SECRETS\n-------\naws_creds\nazprincipal\n"),
            Some(vec!["aws_creds".to_string(), "azprincipal".to_string()])
        );
        assert_eq!(parse_list("SECRETS\n-------\n"), Some(vec![]));
        assert_eq!(parse_list("something else\n"), None);
        assert_eq!(parse_list("SECRETS\nx\n"), None);
    }

    #[test]
    fn error_line_choice() {
        let http = "ERROR: HTTP error during PATCH 'u': 400 Bad Request\n= Invalid secret name\n";
        assert_eq!(
            error_line(http, ""),
            "ERROR: HTTP error during PATCH 'u': 400 Bad Request\n= Invalid secret name"
        );
        assert_eq!(
            error_line(
                "unknown flag: --x\n",
                "Error: unknown flag: --x\nUsage:\n  fioctl\n"
            ),
            "Error: unknown flag: --x"
        );
        assert_eq!(error_line("", "a\nb\n\n"), "b");
        assert_eq!(error_line("", ""), "(fioctl printed nothing)");
    }
}

/// Where the factory name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorySource {
    Flag,
    Env,
    Config,
}

impl FactorySource {
    pub fn describe(self) -> &'static str {
        match self {
            FactorySource::Flag => "--factory",
            FactorySource::Env => "FIOCTL_FACTORY",
            FactorySource::Config => "fioctl's config",
        }
    }
}

/// The factory fioctl will use: `--factory`, else FIOCTL_FACTORY, else `factory:` in fioctl's
/// config (FIOCTL_CONFIG, else ~/.config/fioctl.yaml). `None` when none is set.
pub fn resolve_factory(flag: Option<&str>) -> Option<(String, FactorySource)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    resolve_factory_from(flag, env("FIOCTL_FACTORY"), fioctl_config_path(&env))
}

fn fioctl_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("FIOCTL_CONFIG").map(PathBuf::from).or_else(|| {
        env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))
            .map(|d| d.join("fioctl.yaml"))
    })
}

fn resolve_factory_from(
    flag: Option<&str>,
    env: Option<String>,
    config: Option<PathBuf>,
) -> Option<(String, FactorySource)> {
    if let Some(f) = flag.filter(|f| !f.trim().is_empty()) {
        return Some((f.to_string(), FactorySource::Flag));
    }
    if let Some(f) = env {
        return Some((f, FactorySource::Env));
    }
    let text = std::fs::read_to_string(config?).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let f = value.get("factory")?.as_str()?.trim().to_string();
    (!f.is_empty()).then_some((f, FactorySource::Config))
}

#[cfg(test)]
mod factory_tests {
    use super::*;

    #[test]
    fn factory_resolution_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("fioctl.yaml");
        std::fs::write(
            &cfg,
            "clientcredentials:\n  client_id: x\nfactory: from-config\n",
        )
        .expect("write");
        let r = |flag, env: Option<&str>| {
            resolve_factory_from(flag, env.map(String::from), Some(cfg.clone()))
        };
        assert_eq!(
            r(Some("f"), Some("e")),
            Some(("f".into(), FactorySource::Flag))
        );
        assert_eq!(r(None, Some("e")), Some(("e".into(), FactorySource::Env)));
        assert_eq!(
            r(None, None),
            Some(("from-config".into(), FactorySource::Config))
        );
        assert_eq!(
            resolve_factory_from(None, None, Some(dir.path().join("none"))),
            None
        );
    }
}
