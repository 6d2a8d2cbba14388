use super::process::{HANDLED_SIGNALS, SIGNAL_STATE};
use super::*;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::Instant;

const STUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fioctl");

/// Tests that run the stand-in take this lock: the signal test must be the only call in
/// flight when it signals the process, and parallel children would make it flaky.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Both ways of handing a secret over (the tests of the fallback run on Linux too).
const HANDOVERS: [Handover; 2] = [Handover::Pipe, Handover::TempFile];

/// A stand-in state directory with a default factory, and a Fioctl pointing at the stand-in
/// (the hand-over this system uses: a pipe on Linux).
fn setup(factory: Option<&str>) -> (tempfile::TempDir, Fioctl) {
    let state = tempfile::tempdir().unwrap();
    fs::write(state.path().join("default_factory"), "acme\n").unwrap();
    let fioctl = Fioctl::find(Some(Path::new(STUB)), factory.map(String::from))
        .unwrap()
        .with_env("FIOCTL_STUB_DIR", state.path())
        .with_env("FIOCTL_FACTORY", "");
    (state, fioctl)
}

/// [`setup`] with the given hand-over.
fn setup_with(handover: Handover) -> (tempfile::TempDir, Fioctl) {
    let (state, fioctl) = setup(None);
    (state, fioctl.with_handover(handover))
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

/// What the stand-in recorded in handover.log: one `NAME KIND PIPE` line per NAME==PATH.
fn handover_log(state: &Path) -> String {
    fs::read_to_string(state.join("handover.log")).unwrap_or_default()
}

/// Every value went the `handover` way: through a pipe named /dev/fd/N (and no file was read),
/// or through a regular temp file that is gone now.
fn assert_handed_over(state: &Path, handover: Handover) {
    let log = handover_log(state);
    assert!(!log.is_empty(), "no NAME==PATH reached the stand-in");
    let expected = match handover {
        Handover::Pipe => " dev-fd pipe",
        Handover::TempFile => " regular not-pipe",
    };
    for line in log.lines() {
        assert!(line.ends_with(expected), "{handover:?}: {log}");
    }
    match handover {
        Handover::Pipe => {
            assert!(!state.join("modes.log").exists(), "a regular file was read");
            for path in passed_paths(state) {
                assert!(path.starts_with("/dev/fd"), "{}", path.display());
            }
        }
        Handover::TempFile => assert_temp_files_gone(state),
    }
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
    for handover in HANDOVERS {
        let (state, fioctl) = setup_with(handover);
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
        assert_handed_over(state.path(), handover);
    }
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
    let (state, fioctl) = setup_with(Handover::TempFile);
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
    for (handover, shown) in [(Handover::Pipe, "<pipe>"), (Handover::TempFile, "<file>")] {
        let (state, fioctl) = setup_with(handover);
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
                assert_eq!(
                    command,
                    &format!("fioctl secrets update ghcr_creds=={shown}")
                );
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
        assert_handed_over(state.path(), handover);
    }
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
    for handover in HANDOVERS {
        let (state, fioctl) = setup_with(handover);
        fs::write(state.path().join("logged_out"), "").unwrap();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        assert!(
            matches!(&err, FioctlError::NotLoggedIn { error_line, .. } if error_line == LOGIN_ERROR),
            "{err:?}"
        );
        assert!(err.to_string().contains("fioctl login"));
        assert_handed_over(state.path(), handover);
        assert!(matches!(
            fioctl.secrets_list(),
            Err(FioctlError::NotLoggedIn { .. })
        ));
    }
}

#[test]
fn timeout_kills_fioctl_and_removes_files() {
    let _s = serial();
    for handover in HANDOVERS {
        let (state, fioctl) = setup_with(handover);
        let fioctl = fioctl.with_timeout(Duration::from_millis(500));
        fs::write(state.path().join("hang"), "").unwrap();
        let started = Instant::now();
        let err = fioctl
            .secrets_update(&[("ghcr_creds", &generic())])
            .unwrap_err();
        assert!(matches!(err, FioctlError::TimedOut { secs: 1 }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!process_alive(hang_pid(state.path())));
        assert_handed_over(state.path(), handover);
    }
}

#[test]
fn signal_kills_fioctl_and_removes_files() {
    let _s = serial();
    for (signal, handover) in HANDLED_SIGNALS
        .into_iter()
        .flat_map(|s| HANDOVERS.map(|h| (s, h)))
    {
        let (state, fioctl) = setup_with(handover);
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
        assert_handed_over(state.path(), handover);
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

/// More than a pipe buffer holds (64 KiB on Linux), with every byte value.
fn large_secret() -> Secret {
    let bytes: Vec<u8> = (0..(1024 * 1024 + 7))
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    Secret::new(bytes, "a large value")
}

#[test]
fn this_system_hands_secrets_over_through_pipes() {
    assert_eq!(Handover::detect(), Handover::Pipe);
    let (_state, fioctl) = setup(None);
    assert_eq!(fioctl.handover(), Handover::Pipe);
    assert!(Handover::Pipe.describe().contains("/dev/fd/N"));
    assert!(Handover::TempFile.describe().contains("0600"));
}

#[test]
fn a_value_larger_than_the_pipe_buffer_arrives_whole() {
    let _s = serial();
    let (state, fioctl) = setup(None);
    let big = large_secret();
    let small = generic();
    fioctl
        .secrets_update(&[("big", &big), ("small", &small)])
        .unwrap();
    assert_eq!(stored(state.path(), "acme", "big"), big.expose());
    assert_eq!(stored(state.path(), "acme", "small"), small.expose());
    assert_handed_over(state.path(), Handover::Pipe);
    assert_eq!(handover_log(state.path()).lines().count(), 2);
}

#[test]
fn fioctl_dying_before_reading_a_large_value_is_its_own_error() {
    // The writer thread gets EPIPE (fioreg ignores SIGPIPE); the error is fioctl's.
    let _s = serial();
    let (state, fioctl) = setup(None);
    fs::write(state.path().join("logged_out"), "").unwrap();
    let err = fioctl
        .secrets_update(&[("big", &large_secret())])
        .unwrap_err();
    assert!(matches!(err, FioctlError::NotLoggedIn { .. }), "{err:?}");
    assert_handed_over(state.path(), Handover::Pipe);
}

#[test]
fn a_large_value_with_a_hanging_fioctl_times_out() {
    // The writer blocks on the full pipe until fioctl's group is killed; the call still returns.
    let _s = serial();
    let (state, fioctl) = setup(None);
    let fioctl = fioctl.with_timeout(Duration::from_millis(500));
    fs::write(state.path().join("hang"), "").unwrap();
    let err = fioctl
        .secrets_update(&[("big", &large_secret())])
        .unwrap_err();
    assert!(matches!(err, FioctlError::TimedOut { .. }), "{err:?}");
    assert!(!process_alive(hang_pid(state.path())));
}

#[test]
fn fioctl_succeeding_without_reading_the_whole_value_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fioctl");
    // Reads 10 bytes of the value, then says it succeeded.
    fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do p=${a#*==}; done\nhead -c 10 \"$p\" >/dev/null\nexit 0\n",
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let fioctl = Fioctl::find(Some(&fake), Some("acme".into())).unwrap();
    let err = fioctl
        .secrets_update(&[("big", &large_secret())])
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, FioctlError::ValueNotReadWhole { .. }),
        "{err:?}"
    );
    assert!(
        msg.contains("without reading the secret to its end"),
        "{msg}"
    );
}
