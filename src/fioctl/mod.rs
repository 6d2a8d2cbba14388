//! Runs the `fioctl` CLI to list, store and delete FoundriesFactory secrets.
//!
//! fioctl has no stdin form for secret values, and `NAME=VALUE` would put the value into the
//! process list. So a value only ever reaches fioctl as `NAME==PATH`: PATH is `/dev/fd/N`, an
//! inherited pipe (nothing on disk), or, where /dev/fd does not exist, a 0600 file in a private
//! 0700 temporary directory removed after the call whatever happens ([`handover`]).
//!
//! The parts: [`process`] runs fioctl (timeout, signals), [`handover`] hands the values over,
//! [`factory`] finds out which factory fioctl will use.
//!
//! fioctl prints every failure as `ERROR: ...` on stdout and exits 1; cobra's own errors (unknown
//! flag, missing argument) go to stderr as `Error: ...`. [`FioctlError::Failed`] carries that line,
//! with anything looking like the secret values removed.
//!
//! fioctl runs in its own process group with stdin closed, so a Ctrl-C in the terminal reaches
//! only fioreg; fioreg then kills the group itself, removes the temporary files and returns
//! [`FioctlError::Interrupted`] (the caller should exit with status 130).

mod factory;
mod handover;
mod process;
#[cfg(test)]
mod tests;

pub use factory::{FactorySource, resolve_factory};
pub use handover::Handover;
/// SIGINT/SIGTERM as a flag while a guard lives; also used by the CLI's hidden prompt.
pub use process::SignalGuard;

use crate::secret::Secret;
use process::Output;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one fioctl call may take before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

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
    handover: Handover,
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

    /// SIGINT or SIGTERM arrived while fioctl ran; fioctl was killed, no secret file left.
    #[error(
        "interrupted: fioctl was stopped and no secret file was left behind; \
         the change may or may not have been applied (check with `fioctl secrets list`)"
    )]
    Interrupted,

    /// A secret name fioctl or the server would refuse (checked before running fioctl).
    #[error("invalid secret name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },

    /// fioctl said it stored the values, but it stopped reading one of them (the pipe) before
    /// its end: it may have stored a shortened value.
    #[error(
        "fioctl exited 0 without reading the secret to its end ({detail}), so it may have stored \
         it incomplete; run the same command again"
    )]
    ValueNotReadWhole { detail: String },

    /// fioctl succeeded but its output was not what this module understands.
    #[error("unexpected output from `{command}`: {detail}")]
    UnexpectedOutput { command: String, detail: String },

    /// Creating the temporary files, starting fioctl or reading its output failed.
    #[error("I/O error while running fioctl: {0}")]
    Io(#[from] io::Error),
}

impl FioctlError {
    /// Whether fioctl was stopped before it answered (timed out, interrupted, killed by a
    /// signal): the call may or may not have reached the server.
    pub fn unanswered(&self) -> bool {
        matches!(
            self,
            FioctlError::TimedOut { .. }
                | FioctlError::Interrupted
                | FioctlError::Failed { status: None, .. }
        )
    }
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
            handover: Handover::detect(),
            envs: Vec::new(),
        })
    }

    /// Sets how long each fioctl call may run before it is killed ([`FioctlError::TimedOut`]).
    pub fn with_timeout(self, t: Duration) -> Self {
        Fioctl { timeout: t, ..self }
    }

    /// How secret values reach fioctl ([`Handover::detect`] unless set with this).
    #[cfg(test)]
    pub fn with_handover(self, handover: Handover) -> Self {
        Fioctl { handover, ..self }
    }

    /// How secret values reach fioctl.
    pub fn handover(&self) -> Handover {
        self.handover
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
    /// Each value goes through its own pipe as `NAME==/dev/fd/N` where /dev/fd exists, else
    /// through its own 0600 file in a private 0700 temporary directory, which is removed
    /// afterwards in every case (see [`Handover`]). Names are checked first ([`FioctlError::InvalidName`]);
    /// an empty list does nothing.
    pub fn secrets_update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        if secrets.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = secrets.iter().map(|(name, _)| *name).collect();
        validate_names(&names)?;
        let values: Vec<&Secret> = secrets.iter().map(|(_, secret)| *secret).collect();

        match self.handover {
            Handover::Pipe => self.update_through_pipes(secrets, &values),
            Handover::TempFile => self.update_through_files(secrets, &values),
        }
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
            .run(args, &guard, None)
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
    pub(crate) fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
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
