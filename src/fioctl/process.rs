//! Running fioctl: its own process group, stdin closed, stdout and stderr read on threads, a
//! deadline, and SIGINT/SIGTERM turned into [`FioctlError::Interrupted`] while it runs.

use super::handover::{PipeHandover, PipeWriters};
use super::{Fioctl, FioctlError};
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Instant;

/// How often the wait loop looks at the child, the deadline and the signal flag.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

impl Fioctl {
    /// Runs fioctl with `args`, enforcing the timeout and reacting to SIGINT/SIGTERM (`guard`).
    ///
    /// `pipes`, when given, hands the secrets over: the child inherits the read ends, and once it
    /// runs, a thread per secret writes the bytes and closes its end. The writers are joined when
    /// fioctl has exited ([`Output::writers`]); on a timeout or signal they are left to finish on
    /// their own (fioctl's group is dead, so their next write fails with EPIPE).
    pub(super) fn run(
        &self,
        args: &[OsString],
        guard: &SignalGuard,
        pipes: Option<PipeHandover>,
    ) -> Result<Output, FioctlError> {
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
        if let Some(pipes) = &pipes {
            pipes.inherit(&mut command);
        }
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
        // Our copies of the read ends are closed here, so a dead fioctl means EPIPE for a writer.
        let writers = pipes.map(PipeHandover::into_writers);

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
                    writers,
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
}

/// The result of one finished fioctl run.
pub(super) struct Output {
    pub(super) status: ExitStatus,
    pub(super) stdout: Vec<u8>,
    pub(super) stderr: Vec<u8>,
    /// The threads that wrote the secrets into the pipes (pipe hand-over only).
    pub(super) writers: Option<PipeWriters>,
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
pub struct SignalGuard {
    flag: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

/// Shared by all guards: how many are alive, and the "no call is running" flag.
pub(super) struct SignalState {
    pub(super) active: usize,
    pub(super) idle: Option<Arc<AtomicBool>>,
}

pub(super) static SIGNAL_STATE: Mutex<SignalState> = Mutex::new(SignalState {
    active: 0,
    idle: None,
});

pub(super) const HANDLED_SIGNALS: [libc::c_int; 2] =
    [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];

impl SignalGuard {
    /// Installs the handlers; from now on SIGINT and SIGTERM only set this guard's flag.
    pub fn install() -> io::Result<Self> {
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
    pub fn fired(&self) -> bool {
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
