//! Creating pull-only cloud identities and rotating their keys, with the admin's own cloud login.
//!
//! Every front end works the same way: a `plan_*` function makes only read-only calls (who is
//! signed in, whether the identity exists) and returns a [`CloudPlan`] that lists each cloud
//! action and the policy document; [`CloudPlan::render`] shows it in the review before anything
//! is created. [`CloudPlan::execute`] then runs the actions one by one, reporting each through a
//! progress callback, and returns the new key as a [`Secret`] (it never touches a file, argv or
//! the screen). Any failure after something was created is a [`CloudError`] that says exactly
//! what exists now and what to run.

pub mod apply;
pub mod aws;
pub mod azure;
pub mod gcp;
pub mod rotate;

use crate::secret::Secret;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// One cloud action, shown in the review before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudAction {
    /// What it does, in words, e.g. `Create the IAM user fioreg-acme-pull`.
    pub title: String,
    /// The equivalent command (never a secret), e.g. `aws iam create-user --user-name ...`.
    pub command: String,
}

/// A document the review shows in full (the IAM policy, the role binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub text: String,
}

/// Everything the cloud side of a run will do, known before anything is created.
#[derive(Debug)]
pub struct CloudPlan {
    /// `AWS`, `Google Cloud`.
    pub cloud: &'static str,
    /// Who acts: the admin's identity as the cloud reports it, and how it was chosen.
    pub admin: String,
    /// The identity whose key will be stored (an ARN, a service account's email).
    pub identity: String,
    /// Things the reviewer must know (an identity that already exists and is reused, ...).
    pub notes: Vec<String>,
    pub actions: Vec<CloudAction>,
    pub document: Option<Document>,
    pub(crate) job: Job,
}

#[derive(Debug)]
pub(crate) enum Job {
    Aws(aws::Job),
    Azure(azure::Job),
    Gcp(gcp::Job),
}

/// A step of [`CloudPlan::execute`] or of a wait for a new key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudProgress {
    /// Action `index` (0-based) of [`CloudPlan::actions`] starts.
    Started(usize, CloudAction),
    /// Action `index` finished.
    Finished(usize, CloudAction),
    /// A new key is not accepted yet (the cloud is eventually consistent): retrying, `left`
    /// of the bounded wait remains. `why` is the last answer (no secret).
    Waiting { why: String, left: Duration },
}

/// What [`CloudPlan::execute`] made.
#[derive(Debug)]
pub struct Created {
    /// The exact bytes CI needs (an AWS credentials file, a service-account key).
    pub secret: Secret,
    /// The new key's id (AWS access key id, GCP key id); not secret.
    pub key_id: String,
    /// What exists now, one line each.
    pub exists: Vec<String>,
    /// The commands that delete what this run created, newest first.
    pub undo: Vec<String>,
}

impl Created {
    /// The error for a failure after the key exists: `failed` and an account of what exists.
    pub fn failure(&self, failed: impl Into<String>) -> CloudError {
        CloudError {
            message: failed.into(),
            exists: self.exists.clone(),
            next: self.undo.clone(),
            interrupted: false,
        }
    }
}

/// A cloud step that failed: what went wrong, what exists now, and what to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CloudError {
    pub message: String,
    pub exists: Vec<String>,
    pub next: Vec<String>,
    /// SIGINT or SIGTERM stopped the run (exit status 130).
    pub interrupted: bool,
}

impl CloudError {
    /// A failure before anything was created.
    pub fn nothing(message: impl Into<String>) -> CloudError {
        CloudError {
            message: message.into(),
            exists: Vec::new(),
            next: Vec::new(),
            interrupted: false,
        }
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.exists.is_empty() {
            f.write_str("\nWhat exists now:")?;
            for e in &self.exists {
                write!(f, "\n  - {e}")?;
            }
        }
        if !self.next.is_empty() {
            f.write_str("\nWhat to run:")?;
            for n in &self.next {
                write!(f, "\n  {n}")?;
            }
        }
        Ok(())
    }
}

impl CloudPlan {
    /// What fioreg remembers of the identity it created, for `rotate --new-key`: the settings
    /// key under `factories.<factory>.` (spelled by [`rotate::Cloud::setting`]), its value, and
    /// what a warning calls it. `key_id`: the new key's id (an Azure principal's appId).
    pub(crate) fn remembered(&self, key_id: &str) -> (String, String, &'static str) {
        match &self.job {
            Job::Aws(job) => (
                rotate::Cloud::Aws.setting(""),
                job.user().to_string(),
                "IAM user",
            ),
            Job::Gcp(_) => (
                rotate::Cloud::Gcp.setting(""),
                self.identity.clone(),
                "service account",
            ),
            Job::Azure(job) => {
                let (key, value) = job.remembered(key_id);
                (key, value, "Azure identity")
            }
        }
    }

    /// Records the identity a run created ([`CloudPlan::remembered`]) in the settings file at
    /// `path` for `factory`; the error says what was not saved.
    pub(crate) fn remember(
        &self,
        made: &apply::NewKey,
        path: &std::path::Path,
        factory: &str,
    ) -> Result<(), String> {
        let (key, value, what) = self.remembered(&made.key_id);
        crate::settings::record(path, factory, &key, &value)
            .map_err(|e| format!("the {what} was not saved in the settings: {e}"))
    }

    /// The review: who acts, the identity, each action with its command, and the document.
    pub fn render(&self) -> String {
        let mut out = format!("{} (before anything is stored):\n", self.cloud);
        out.push_str(&format!("   Acting as:  {}\n", self.admin));
        out.push_str(&format!("   CI will be: {}\n", self.identity));
        for n in &self.notes {
            out.push_str(&format!("   ! {n}\n"));
        }
        for (i, a) in self.actions.iter().enumerate() {
            out.push_str(&format!(
                "   {}. {}\n      $ {}\n",
                i + 1,
                a.title,
                a.command
            ));
        }
        if let Some(d) = &self.document {
            out.push_str(&format!("   {}:\n", d.title));
            for line in d.text.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
        out
    }

    /// Runs the actions in order, reporting each; SIGINT/SIGTERM (or [`interrupt`]) stop the run
    /// between actions (an action already running is allowed to end, so its result is known).
    pub fn execute(&self, progress: &mut dyn FnMut(CloudProgress)) -> Result<Created, CloudError> {
        let guard = crate::fioctl::SignalGuard::install().ok();
        let stop = || interrupted() || guard.as_ref().is_some_and(|g| g.fired());
        let run = Ledger::new(&self.actions, progress, &stop);
        match &self.job {
            Job::Aws(job) => job.execute(run),
            Job::Gcp(job) => job.execute(run),
            Job::Azure(job) => job.execute(run),
        }
    }
}

/// Set by [`interrupt`]: the run stops as on SIGINT.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The cloud CLI processes running now (`aws`, `gcloud`, `az`).
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Stops the cloud work of this process as a Ctrl-C in a terminal would: SIGINT to the cloud CLI
/// running now (and to any started later), and every later `stop` check says interrupted. For a
/// front end whose Ctrl-C is a key, not a signal (the TUI's raw mode); the process ends after
/// the run.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    for pid in children.iter() {
        signal_child(*pid);
    }
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn signal_child(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a pid this process spawned and has not yet reaped (the entry
        // is removed right after the wait), so it cannot be another process.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }
}

/// A cloud CLI process while it runs: listed for [`interrupt`] until dropped (right after its
/// wait).
pub(crate) struct Running(u32);

impl Running {
    pub(crate) fn start(pid: u32) -> Running {
        let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        children.push(pid);
        if interrupted() {
            signal_child(pid);
        }
        Running(pid)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        children.retain(|p| *p != self.0);
    }
}

/// A cloud CLI program: env `var` when set and not empty, else `name` on PATH.
pub(crate) fn find_program(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(b) => Some(PathBuf::from(b)),
        None => which::which(name).ok(),
    }
}

/// How a cloud CLI call went wrong.
pub(crate) enum CliError {
    /// It could not be started or waited for: the whole message.
    NotRun(String),
    /// It ran and failed: its exit status and its stderr.
    Failed(ExitStatus, String),
}

/// Runs a cloud CLI (`aws`, `gcloud`, `az`, named `name` in messages) as `cmd` says (program,
/// args, environment) with stdin closed, stderr read on a thread and stdout read into zeroized
/// memory; while it runs it is listed for [`interrupt`]. `hint` follows the message when the
/// program cannot be started.
pub(crate) fn run_cli(
    mut cmd: Command,
    name: &str,
    hint: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let spawned = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = spawned.map_err(|e| {
        let hint = hint.map(|h| format!(". {h}")).unwrap_or_default();
        let program = Path::new(cmd.get_program()).display();
        CliError::NotRun(format!("could not start {program}: {e}{hint}"))
    })?;
    // A Ctrl-C in the TUI (no signal reaches the child there) interrupts it too.
    let running = Running::start(child.id());
    let mut stderr_pipe = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = stderr_pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    // Enough room that the answer is never reallocated (no stray copies of a secret).
    let mut out = Zeroizing::new(Vec::with_capacity(1 << 16));
    if let Some(mut p) = child.stdout.take() {
        let _ = p.read_to_end(&mut out);
    }
    let status = child
        .wait()
        .map_err(|e| CliError::NotRun(format!("waiting for {name} failed: {e}")))?;
    drop(running);
    let stderr = String::from_utf8_lossy(&errors.join().unwrap_or_default()).into_owned();
    if status.success() {
        Ok(out)
    } else {
        Err(CliError::Failed(status, stderr))
    }
}

/// The line of a failed cloud CLI's stderr that says why: the first `ERROR:` line when
/// `marked` (gcloud, az) and there is one, else the last line that is not empty.
pub(crate) fn why_failed(stderr: &str, marked: bool) -> &str {
    let lines = || stderr.lines().map(str::trim);
    marked
        .then(|| lines().find(|l| l.starts_with("ERROR:")))
        .flatten()
        .or_else(|| lines().rfind(|l| !l.is_empty()))
        .unwrap_or("no message")
}

/// `(NAME exit status N)`, or `(NAME was stopped by a signal)`.
pub(crate) fn ended(name: &str, status: ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("({name} exit status {c})"),
        None => format!("({name} was stopped by a signal)"),
    }
}

/// `out` (a cloud CLI's stdout) as JSON; else an error naming the command as `shown`.
pub(crate) fn parse_json<T: for<'de> serde::Deserialize<'de>>(
    out: &[u8],
    shown: impl FnOnce() -> String,
) -> Result<T, String> {
    serde_json::from_slice(out).map_err(|e| format!("unexpected answer from `{}`: {e}", shown()))
}

/// What a cloud job has done so far, for the account every failure gives: the progress of the
/// review's actions, what exists now, and the commands that undo it (oldest first).
pub(crate) struct Ledger<'a> {
    actions: &'a [CloudAction],
    progress: &'a mut dyn FnMut(CloudProgress),
    pub(crate) stop: &'a dyn Fn() -> bool,
    step: usize,
    pub(crate) exists: Vec<String>,
    pub(crate) undo: Vec<String>,
}

impl<'a> Ledger<'a> {
    pub(crate) fn new(
        actions: &'a [CloudAction],
        progress: &'a mut dyn FnMut(CloudProgress),
        stop: &'a dyn Fn() -> bool,
    ) -> Ledger<'a> {
        Ledger {
            actions,
            progress,
            stop,
            step: 0,
            exists: Vec::new(),
            undo: Vec::new(),
        }
    }

    /// Whether SIGINT/SIGTERM (or [`interrupt`]) stopped the run.
    pub(crate) fn stopped(&self) -> bool {
        (self.stop)()
    }

    /// A failure now: `message`, what exists, and the undo commands, newest first.
    pub(crate) fn fail(&self, message: String, interrupted: bool) -> CloudError {
        CloudError {
            message,
            exists: self.exists.clone(),
            next: self.undo.iter().rev().cloned().collect(),
            interrupted,
        }
    }

    /// [`Ledger::fail`], interrupted when the run was stopped.
    pub(crate) fn failed(&self, message: String) -> CloudError {
        self.fail(message, self.stopped())
    }

    /// The next action starts, unless the run was stopped before `what`.
    pub(crate) fn start(&mut self, what: &str) -> Result<(), CloudError> {
        if self.stopped() {
            return Err(self.fail(
                format!("interrupted before {what}: nothing more was done"),
                true,
            ));
        }
        self.report(true);
        Ok(())
    }

    /// The current action is done.
    pub(crate) fn finish(&mut self) {
        self.report(false);
        self.step += 1;
    }

    pub(crate) fn report(&mut self, started: bool) {
        if let Some(a) = self.actions.get(self.step) {
            (self.progress)(if started {
                CloudProgress::Started(self.step, a.clone())
            } else {
                CloudProgress::Finished(self.step, a.clone())
            });
        }
    }

    /// What the run made: the key, what exists, and the undo commands, newest first.
    pub(crate) fn created(self, secret: Secret, key_id: String) -> Created {
        Created {
            secret,
            key_id,
            exists: self.exists,
            undo: self.undo.into_iter().rev().collect(),
        }
    }
}

/// Whether a retried check should go on.
pub enum Attempt<T> {
    Done(T),
    /// Not yet (the cloud has not caught up): retry with this reason.
    Retry(String),
    /// A final failure: stop now.
    Fail(String),
}

/// Retries `attempt` every `every` until it is done or `limit` has passed, reporting a
/// countdown about once a second. `sleep` waits (a real sleep, or a fake in tests). `Err` holds
/// the last reason.
pub fn wait_for<T>(
    limit: Duration,
    every: Duration,
    mut attempt: impl FnMut() -> Attempt<T>,
    progress: &mut dyn FnMut(CloudProgress),
    sleep: &mut dyn FnMut(Duration),
) -> Result<T, String> {
    let mut waited = Duration::ZERO;
    let start = Instant::now();
    loop {
        let why = match attempt() {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(why) => return Err(why),
            Attempt::Retry(why) => why,
        };
        // Count what was slept (fake sleeps in tests) or the real time, whichever is larger.
        let spent = waited.max(start.elapsed());
        if spent >= limit {
            return Err(format!("{why} (still refused after {} s)", limit.as_secs()));
        }
        let mut pause = every.min(limit - spent);
        while !pause.is_zero() {
            // Whole seconds, rounded up, for the countdown.
            let left = limit.saturating_sub(waited.max(start.elapsed()));
            let left = Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
            progress(CloudProgress::Waiting {
                why: why.clone(),
                left,
            });
            let step = pause.min(Duration::from_secs(1));
            sleep(step);
            waited += step;
            pause -= step;
        }
    }
}

/// A command as the review shows it: words quoted for a POSIX shell where needed.
pub(crate) fn show_command(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| crate::plan::shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_for_retries_with_a_countdown_then_gives_up() {
        let mut calls = 0;
        let mut shown = Vec::new();
        let mut slept = Duration::ZERO;
        let r: Result<(), String> = wait_for(
            Duration::from_secs(5),
            Duration::from_secs(2),
            || {
                calls += 1;
                Attempt::Retry("InvalidClientTokenId".into())
            },
            &mut |p| {
                if let CloudProgress::Waiting { left, .. } = p {
                    shown.push(left.as_secs());
                }
            },
            &mut |d| slept += d,
        );
        let err = r.unwrap_err();
        assert!(
            err.contains("InvalidClientTokenId") && err.contains("5 s"),
            "{err}"
        );
        assert_eq!(calls, 4, "tries at 0, 2, 4 and 5 s");
        assert_eq!(slept, Duration::from_secs(5));
        assert_eq!(shown.first(), Some(&5));
        assert!(shown.windows(2).all(|w| w[0] >= w[1]), "{shown:?}");
    }

    #[test]
    fn wait_for_stops_on_success_or_a_final_failure() {
        let mut n = 0;
        let r = wait_for(
            Duration::from_secs(60),
            Duration::from_secs(3),
            || {
                n += 1;
                if n < 3 {
                    Attempt::Retry("not yet".into())
                } else {
                    Attempt::Done(n)
                }
            },
            &mut |_| {},
            &mut |_| {},
        );
        assert_eq!(r, Ok(3));
        let r: Result<(), String> = wait_for(
            Duration::from_secs(60),
            Duration::from_secs(3),
            || Attempt::Fail("AccessDenied".into()),
            &mut |_| {},
            &mut |_| panic!("no wait after a final failure"),
        );
        assert_eq!(r, Err("AccessDenied".into()));
    }

    #[test]
    fn a_failed_cli_is_named_by_its_error_line_and_status() {
        use std::os::unix::process::ExitStatusExt;
        let stderr = "\nWARNING: slow\nERROR: (gcloud.iam) NOT_FOUND: no such account\n  hint\n\n";
        assert_eq!(
            why_failed(stderr, true),
            "ERROR: (gcloud.iam) NOT_FOUND: no such account"
        );
        assert_eq!(why_failed(stderr, false), "hint");
        assert_eq!(why_failed("  \n", true), "no message");
        assert_eq!(
            ended("aws", ExitStatus::from_raw(254 << 8)),
            "(aws exit status 254)"
        );
        assert_eq!(
            ended("gcloud", ExitStatus::from_raw(libc::SIGINT)),
            "(gcloud was stopped by a signal)"
        );
    }

    #[test]
    fn errors_say_what_exists_and_what_to_run() {
        let e = CloudError {
            message: "storing the key failed".into(),
            exists: vec!["the IAM user ci".into()],
            next: vec!["aws iam delete-user --user-name ci".into()],
            interrupted: false,
        };
        assert_eq!(
            e.to_string(),
            "storing the key failed\nWhat exists now:\n  - the IAM user ci\nWhat to run:\n  \
             aws iam delete-user --user-name ci"
        );
        assert_eq!(CloudError::nothing("no aws").to_string(), "no aws");
    }
}
