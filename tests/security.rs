//! Where secret bytes must never appear: fioctl's argv, fioreg's stdout and stderr, Debug output
//! and panic messages, the terminal while a hidden prompt reads a token, and any file: fioctl
//! gets every secret through a pipe (`NAME==/dev/fd/N`), also when fioreg is interrupted or
//! killed while fioctl runs.

mod common;

use common::*;
use fioreg::factory_config::FactoryConfig;
use fioreg::plan::{Answers, CredentialInput, Plan, Request};
use fioreg::provider::Provider;
use fioreg::secret::Secret;
use secrecy::SecretString;
use std::fs;
use std::path::Path;

const AZURE_PASSWORD: &str = "azureP4ssw0rdNeverShown~x";
const GENERIC_TOKEN: &str = "ghp_GenericTokenNeverShown0123";
const ROTATED_TOKEN: &str = "ghp_RotatedTokenNeverShown4567";
const ROTATED_AZURE: &str = "azureRotatedPasswordNeverShown";

/// Pieces of the service-account key that must never be shown.
fn gcp_key_secrets() -> Vec<String> {
    let key = fs::read_to_string(format!("{ROOT}/tests/fixtures/gcp/sa-key.json")).expect("key");
    let v: serde_json::Value = serde_json::from_str(&key).expect("json");
    let pem = v["private_key"].as_str().expect("private_key");
    let mut out: Vec<String> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_string)
        .collect();
    out.push(v["private_key_id"].as_str().expect("id").to_string());
    out
}

fn all_secrets() -> Vec<String> {
    let mut s: Vec<String> = [
        AWS_SECRET_KEY,
        OTHER_PROFILE_SECRET,
        AZURE_PASSWORD,
        GENERIC_TOKEN,
        ROTATED_TOKEN,
        ROTATED_AZURE,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    s.extend(gcp_key_secrets());
    s
}

#[test]
fn no_secret_byte_in_fioctl_argv_or_fioreg_output_for_every_provider() {
    let w = World::new(BASE);
    let key_file = format!("{ROOT}/tests/fixtures/gcp/sa-key.json");
    let runs: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["add", "aws", "--url", AWS_URL, "--profile", "ci-pull"],
            String::new(),
        ),
        (
            vec![
                "add",
                "azure",
                "--url",
                "acmeprod.azurecr.io",
                "--client-id",
                "1f2e3d4c-0000-4000-8000-00000000009a",
                "--password-stdin",
            ],
            format!("{AZURE_PASSWORD}\n"),
        ),
        (
            vec![
                "add",
                "gar",
                "--key-file",
                &key_file,
                "--url",
                "us-central1-docker.pkg.dev",
            ],
            String::new(),
        ),
        (
            vec![
                "add",
                "generic",
                "--url",
                "ghcr.io",
                "--username",
                "ci-bot",
                "--password-stdin",
            ],
            format!("{GENERIC_TOKEN}\n"),
        ),
        (
            vec!["rotate", "aws_creds", "--profile", "ci-pull"],
            String::new(),
        ),
        (
            vec![
                "rotate",
                "ghcr.io",
                "--username",
                "ci-bot",
                "--password-stdin",
            ],
            format!("{ROTATED_TOKEN}\n"),
        ),
        (
            vec![
                "rotate",
                "azprincipal",
                "--client-id",
                "1f2e3d4c-0000-4000-8000-00000000009a",
                "--password-stdin",
            ],
            format!("{ROTATED_AZURE}\n"),
        ),
    ];
    let mut shown = Vec::new();
    for (args, stdin) in &runs {
        let mut c = w.fioreg();
        c.args(args).arg("--yes");
        let (code, out, err) = run(c, stdin);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        shown.push((format!("stdout of {args:?}"), out));
        shown.push((format!("stderr of {args:?}"), err));
    }
    // The secrets really went through: the scan below looks for the right bytes.
    assert_eq!(
        w.stored("ghcr_creds").expect("ghcr"),
        format!("ci-bot:{ROTATED_TOKEN}").as_bytes()
    );
    assert_eq!(
        w.stored("azprincipal").expect("az"),
        format!("1f2e3d4c-0000-4000-8000-00000000009a:{ROTATED_AZURE}").as_bytes()
    );
    let aws = w.stored_text("aws_creds").expect("aws");
    assert!(aws.contains(AWS_SECRET_KEY) && !aws.contains(OTHER_PROFILE_SECRET));
    assert_eq!(
        w.stored("gcp_creds").expect("gcp"),
        fs::read(&key_file).expect("key")
    );

    let calls = w.calls();
    assert_eq!(
        calls.lines().filter(|l| l.contains("==")).count(),
        runs.len(),
        "one NAME==PATH per run: {calls}"
    );
    shown.push(("fioctl argv (calls.log)".into(), calls));
    for (what, text) in &shown {
        for secret in all_secrets() {
            assert!(
                !text.contains(&secret),
                "a secret ({}...) appears in {what}:\n{text}",
                &secret[..6]
            );
        }
    }

    // Every secret reached fioctl through a pipe, and no file anywhere holds one (but the
    // stand-in's store, the "server").
    w.assert_handed_over_by_pipe(runs.len());
    w.assert_no_secret_files_left();
    for secret in all_secrets() {
        w.assert_no_file_holds(&secret);
    }
}

fn plan_with_secret(bytes: &str) -> Plan {
    let cfg =
        FactoryConfig::parse(Path::new("factory-config.yml"), BASE.to_string()).expect("config");
    let req = Request {
        provider: Provider::Generic,
        url: Some("ghcr.io".into()),
        region: None,
        secret_name: None,
    };
    Plan::build(
        &cfg,
        &req,
        Secret::new(bytes.as_bytes().to_vec(), "user ci-bot, token"),
        Some("acme".into()),
    )
    .expect("plan")
}

#[test]
fn debug_output_of_secrets_plans_and_answers_is_redacted() {
    let secret_bytes = format!("ci-bot:{GENERIC_TOKEN}");
    let secret = Secret::new(secret_bytes.clone().into_bytes(), "user ci-bot, token");
    let plan = plan_with_secret(&secret_bytes);
    let cred = CredentialInput::UserToken {
        user: "ci-bot".into(),
        password: SecretString::from(GENERIC_TOKEN),
    };
    let answers = Answers {
        request: Request {
            provider: Provider::Generic,
            url: Some("ghcr.io".into()),
            region: None,
            secret_name: None,
        },
        credential: cred.clone(),
    };
    for (what, shown) in [
        ("Secret", format!("{secret:?}")),
        ("Secret (pretty)", format!("{secret:#?}")),
        ("Plan", format!("{plan:?}")),
        ("Plan (pretty)", format!("{plan:#?}")),
        ("Plan::render", plan.render(true)),
        ("Plan::fioctl_calls", plan.fioctl_calls().join("\n")),
        ("CredentialInput", format!("{cred:?}")),
        ("Answers", format!("{answers:#?}")),
        (
            "Answers::command_line",
            answers.command_line(
                Path::new("factory-config.yml"),
                Some("acme"),
                "--password-stdin",
            ),
        ),
    ] {
        assert!(
            !shown.contains(GENERIC_TOKEN),
            "{what} shows the token: {shown}"
        );
        assert!(!shown.contains(&secret_bytes), "{what}: {shown}");
    }
    // What is shown instead.
    assert!(format!("{plan:?}").contains("user ci-bot, token"));
    assert!(format!("{cred:?}").contains("REDACTED"));
}

#[test]
fn a_panic_that_formats_a_plan_carries_no_secret() {
    let secret_bytes = format!("ci-bot:{GENERIC_TOKEN}");
    let plan = plan_with_secret(&secret_bytes);
    // Keep the default hook's report out of the test output; the payload is what is checked.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        panic!("applying failed unexpectedly: {plan:?}");
    }));
    std::panic::set_hook(hook);
    let payload = result.expect_err("it panicked");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a string payload");
    assert!(
        msg.contains("applying failed unexpectedly: Plan {"),
        "{msg}"
    );
    assert!(msg.contains("user ci-bot, token"), "{msg}");
    assert!(!msg.contains(GENERIC_TOKEN), "{msg}");
}

/// While fioctl runs, its `NAME==/dev/fd/N` is an open pipe in fioctl's process (seen in
/// /proc/PID/fd/N), and no file holds the secret: not in TMPDIR, not anywhere in the world.
fn assert_fioctl_holds_a_pipe(w: &World, hang_pid: i32, secret: &str) {
    w.assert_handed_over_by_pipe(1);
    let arg = w
        .calls()
        .lines()
        .find_map(|l| l.strip_prefix("arg: aws_creds==").map(str::to_string))
        .expect("aws_creds==PATH");
    let fd = arg.strip_prefix("/dev/fd/").expect("a /dev/fd path");
    let target = fs::read_link(format!("/proc/{hang_pid}/fd/{fd}")).expect("fd open in fioctl");
    assert!(
        target.to_string_lossy().starts_with("pipe:["),
        "{}",
        target.display()
    );
    assert_eq!(
        fs::read_dir(w.path("tmp")).expect("tmp").count(),
        0,
        "something in TMPDIR"
    );
    w.assert_no_file_holds(secret);
}

/// SIGINT or SIGTERM to fioreg while fioctl hangs: exit 130, fioctl's process group killed, no
/// secret file at any time, the config untouched.
fn interrupted_while_fioctl_hangs(sig: i32) {
    let w = World::new(BASE);
    w.knob("hang", "");
    let mut c = w.fioreg();
    c.args(["--fioctl-timeout", "600"]).args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--profile",
        "ci-pull",
        "--yes",
    ]);
    let running = Running::spawn(c);
    let hang_pid = w.wait_for_hang_pid();
    assert_fioctl_holds_a_pipe(&w, hang_pid, AWS_SECRET_KEY);
    running.signal(sig);
    let (code, _out, err) = running.finish();
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("factory-config.yml is untouched"), "{err}");
    assert!(wait_dead(hang_pid), "fioctl {hang_pid} survived");
    assert!(w.stored("aws_creds").is_none());
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

#[test]
fn sigint_while_fioctl_hangs_removes_the_secret_file() {
    interrupted_while_fioctl_hangs(libc::SIGINT);
}

#[test]
fn sigterm_while_fioctl_hangs_removes_the_secret_file() {
    interrupted_while_fioctl_hangs(libc::SIGTERM);
}

/// SIGKILL of fioreg (no chance to clean up) while fioctl hangs: no secret is left on disk,
/// because none was ever written to one.
#[test]
fn sigkill_of_fioreg_leaves_no_secret_on_disk() {
    let w = World::new(BASE);
    w.knob("hang", "");
    let mut c = w.fioreg();
    c.args(["--fioctl-timeout", "600"]).args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--profile",
        "ci-pull",
        "--yes",
    ]);
    let running = Running::spawn(c);
    let hang_pid = w.wait_for_hang_pid();
    assert_fioctl_holds_a_pipe(&w, hang_pid, AWS_SECRET_KEY);
    running.signal(libc::SIGKILL);
    let (code, _out, _err) = running.finish();
    assert_eq!(code, None, "killed by a signal");
    // The orphaned stand-in still holds the pipe; nothing is on disk.
    assert!(alive(hang_pid));
    w.assert_no_file_holds(AWS_SECRET_KEY);
    w.assert_no_secret_files_left();
    // SAFETY: the stand-in's sleep, left over by the SIGKILL; stop it.
    unsafe {
        libc::kill(hang_pid, libc::SIGKILL);
    }
    assert!(wait_dead(hang_pid));
    w.assert_config_intact();
}

/// The hidden prompt: with echo on in the terminal (as a real one has), the typed token must not
/// come back, and it is stored as `ci:TOKEN`.
#[test]
fn hidden_prompt_does_not_echo_the_token() {
    use expectrl::process::Termios;
    use expectrl::{Eof, Expect, Session};
    const TYPED: &str = "ghp_TypedAtTheHiddenPrompt987";
    let w = World::new(BASE);
    // A shell that waits for a go-ahead line before it becomes fioreg, so that echo is surely on
    // (as in a real terminal) before fioreg starts: the pty starts with echo off.
    let fioreg = w.fioreg();
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "IFS= read -r go; exec \"$0\" \"$@\"", BIN])
        .args(fioreg.get_args())
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--yes",
        ])
        .current_dir(w.path("repo"))
        .env_clear()
        .envs(fioreg.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(c).expect("spawn in a pty");
    p.set_expect_timeout(Some(PATIENCE));
    p.get_process_mut().set_echo(true).expect("echo on");
    assert!(p.get_process().is_echo().expect("termios"));
    p.send("go\r").expect("go");
    let mut seen = Vec::new();
    match p.expect("(hidden)") {
        Ok(m) => seen.extend_from_slice(m.as_bytes()),
        Err(e) => panic!("no hidden prompt: {e}"),
    }
    // rpassword prints the prompt first and turns echo off just after: type once it is off, as
    // a person does (keys typed ahead of that instant are echoed by the terminal itself).
    wait_until("echo to be turned off", || {
        !p.get_process().is_echo().expect("termios")
    });
    p.send(format!("{TYPED}\r")).expect("type");
    match p.expect(Eof) {
        Ok(m) => seen.extend_from_slice(m.as_bytes()),
        Err(e) => panic!("no end: {e}"),
    }
    let status = p.get_process().wait().expect("wait");
    let shown = String::from_utf8_lossy(&seen).into_owned();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}\n{shown}"
    );
    assert!(shown.contains("Stored the secret ghcr_creds"), "{shown}");
    assert!(!shown.contains(TYPED), "the token was echoed:\n{shown}");
    assert!(
        !shown.contains(&TYPED[..8]),
        "part of the token was echoed:\n{shown}"
    );
    assert_eq!(
        w.stored("ghcr_creds").expect("stored"),
        format!("ci:{TYPED}").as_bytes()
    );
    w.assert_no_secret_files_left();
}

/// A token larger than a pipe buffer (64 KiB) reaches fioctl whole through the pipe.
#[test]
fn a_token_larger_than_a_pipe_buffer_goes_through_the_pipe_whole() {
    let w = World::new(BASE);
    let token: String = (0..200 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut c = w.fioreg();
    c.args([
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci-bot",
        "--password-stdin",
        "--yes",
    ]);
    let (code, _out, err) = run(c, &format!("{token}\n"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        w.stored("ghcr_creds").expect("stored"),
        format!("ci-bot:{token}").as_bytes()
    );
    w.assert_handed_over_by_pipe(1);
    w.assert_no_secret_files_left();
}

/// `--help` says how secrets reach fioctl on this system.
#[test]
fn help_says_secrets_go_through_a_pipe() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Secrets reach fioctl as NAME==/dev/fd/N, the read end of a pipe"),
        "{text}"
    );
    assert!(
        text.contains("no byte of a secret is written to a disk"),
        "{text}"
    );
}

/// The owner of /proc/PID/status: the process's own uid, or root (0) when it is not dumpable.
fn proc_owner(pid: i32) -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(format!("/proc/{pid}/status"))
        .expect("/proc/PID/status")
        .uid()
}

/// `Max core file size` in /proc/PID/limits: (soft, hard).
fn core_limit(pid: i32) -> (String, String) {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("core line");
    let f: Vec<&str> = line["Max core file size".len()..]
        .split_whitespace()
        .collect();
    (f[0].to_string(), f[1].to_string())
}

/// While fioreg holds a secret (here: waiting for a hanging fioctl), it cannot be dumped: its
/// core limit is 0 (soft and hard) and it is not dumpable, which the kernel shows by giving its
/// /proc files to root. The control: fioctl, started by fioreg as the same user, owns its /proc
/// files (execve makes it dumpable again). Run as an unprivileged user (`nobody` via setpriv when
/// the tests run as root), since root owns every process's /proc files anyway.
#[test]
fn fioreg_is_not_dumpable_and_has_no_core_file_limit() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new(BASE);
    w.knob("hang", "");
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    let (fioreg, mut c, uid) = if me == 0 {
        // Let `nobody` use the world.
        let mut dirs = vec![w.dir.path().to_path_buf()];
        while let Some(d) = dirs.pop() {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod");
            for e in fs::read_dir(&d).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o666)).expect("chmod");
                }
            }
        }
        // The binary and the stand-in may sit in a directory `nobody` cannot enter (a clone
        // under /root): run copies from the world.
        let bin_dir = w.path("bin");
        fs::create_dir(&bin_dir).expect("mkdir");
        fs::set_permissions(&bin_dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let bin = bin_dir.join("fioreg");
        let stand_in = bin_dir.join("fioctl");
        fs::copy(BIN, &bin).expect("copy fioreg");
        fs::copy(format!("{ROOT}/tests/support/fioctl"), &stand_in).expect("copy stand-in");
        for f in [&bin, &stand_in] {
            fs::set_permissions(f, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&bin);
        (w.fioreg_with(stand_in.to_str().expect("utf8")), c, 65534)
    } else {
        (w.fioreg(), std::process::Command::new(BIN), me)
    };
    c.args(fioreg.get_args())
        .current_dir(w.path("repo"))
        .env_clear()
        .envs(fioreg.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .args([
            "--fioctl-timeout",
            "600",
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
            "--yes",
        ]);
    let running = Running::spawn(c);
    let hang_pid = w.wait_for_hang_pid();
    let pid = running.pid();
    assert_eq!(proc_owner(hang_pid), uid, "the control: fioctl is dumpable");
    assert_eq!(proc_owner(pid), 0, "fioreg is dumpable");
    assert_eq!(core_limit(pid), ("0".to_string(), "0".to_string()));
    // Inherited by fioctl.
    assert_eq!(core_limit(hang_pid), ("0".to_string(), "0".to_string()));
    running.signal(libc::SIGTERM);
    let (code, _out, err) = running.finish();
    assert_eq!(code, Some(130), "{err}");
    assert!(wait_dead(hang_pid));
}

/// Input is read with a bound: a key file or AWS credentials file that is a FIFO or a device is
/// refused at once, a key file over 1 MiB is refused, and `--password-stdin` stops reading after
/// 1 MiB (here: stdin is /dev/zero, which never ends). Nothing is stored or written.
#[test]
fn key_files_and_stdin_are_read_with_a_bound() {
    let w = World::new(BASE);
    let fifo = w.path("key.fifo");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstring");
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let big = w.path("big.json");
    fs::write(&big, vec![b' '; 1024 * 1024 + 1]).expect("big");
    let gar = |key: &Path| {
        let mut c = w.fioreg();
        c.stdin(std::process::Stdio::null())
            .args(["add", "gar", "--key-file"])
            .arg(key)
            .args(["--url", "us-central1-docker.pkg.dev", "--yes"]);
        c
    };
    let cases: Vec<(std::process::Command, String)> = vec![
        (
            gar(&fifo),
            format!(
                "{}: it is a FIFO (named pipe), not a regular file",
                fifo.display()
            ),
        ),
        (
            gar(Path::new("/dev/zero")),
            "/dev/zero: it is a device, not a regular file".to_string(),
        ),
        (
            gar(&big),
            format!(
                "{}: it is larger than 1 MiB, far more than any key or credentials file",
                big.display()
            ),
        ),
        (
            {
                let mut c = w.fioreg();
                c.stdin(std::process::Stdio::null())
                    .env("AWS_SHARED_CREDENTIALS_FILE", &fifo)
                    .args([
                        "add",
                        "aws",
                        "--url",
                        AWS_URL,
                        "--profile",
                        "ci-pull",
                        "--yes",
                    ]);
                c
            },
            format!(
                "{}: it is a FIFO (named pipe), not a regular file",
                fifo.display()
            ),
        ),
        (
            {
                let mut c = w.fioreg();
                c.stdin(fs::File::open("/dev/zero").expect("/dev/zero"))
                    .args([
                        "add",
                        "generic",
                        "--url",
                        "ghcr.io",
                        "--username",
                        "ci",
                        "--password-stdin",
                        "--yes",
                    ]);
                c
            },
            "the line is longer than 1 MiB".to_string(),
        ),
    ];
    for (c, expected) in cases {
        let what = format!("{:?}", c.get_args().collect::<Vec<_>>());
        let (code, _out, err) = Running::spawn_keeping_stdin(c).finish();
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(err.contains(&expected), "{what}: {err}");
        assert_eq!(w.calls(), "", "{what}: fioctl ran");
        w.assert_config_intact();
    }
}

/// Ctrl-C at the hidden prompt, in a real pseudo-terminal: echo is back on afterwards (the
/// terminal as fioreg found it), the exit status is 130 with "interrupted: nothing was
/// changed", and nothing was stored or written.
#[test]
fn ctrl_c_at_the_hidden_prompt_restores_echo_and_exits_130() {
    use expectrl::process::Termios;
    use expectrl::{Eof, Expect, Session};
    let w = World::new(BASE);
    let fioreg = w.fioreg();
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "IFS= read -r go; exec \"$0\" \"$@\"", BIN])
        .args(fioreg.get_args())
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--yes",
        ])
        .current_dir(w.path("repo"))
        .env_clear()
        .envs(fioreg.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(c).expect("spawn in a pty");
    p.set_expect_timeout(Some(PATIENCE));
    p.get_process_mut().set_echo(true).expect("echo on");
    p.send("go\r").expect("go");
    let mut seen = Vec::new();
    match p.expect("(hidden)") {
        Ok(m) => seen.extend_from_slice(m.as_bytes()),
        Err(e) => panic!("no hidden prompt: {e}"),
    }
    wait_until("echo to be turned off", || {
        !p.get_process().is_echo().expect("termios")
    });
    // Half a token typed, then Ctrl-C (the terminal turns it into SIGINT).
    p.send("ghp_half").expect("type");
    p.send(expectrl::ControlCode::EndOfText).expect("ctrl-c");
    match p.expect(Eof) {
        Ok(m) => seen.extend_from_slice(m.as_bytes()),
        Err(e) => panic!("no end: {e}"),
    }
    let status = p.get_process().wait().expect("wait");
    let shown = String::from_utf8_lossy(&seen).into_owned();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 130)),
        "{status:?}\n{shown}"
    );
    assert!(
        shown.contains("interrupted: nothing was changed"),
        "{shown}"
    );
    assert!(!shown.contains("ghp_half"), "{shown}");
    assert!(
        p.get_process().is_echo().expect("termios"),
        "echo is still off after fioreg ended"
    );
    assert_eq!(w.calls(), "", "fioctl ran");
    assert!(w.stored("ghcr_creds").is_none());
    w.assert_config_intact();
}
