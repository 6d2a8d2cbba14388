//! The fioctl stand-in (tests/support/fioctl) follows the real fioctl where fioreg can see it
//! (shared/domain.md): the two-space "Invalid key=value" error, `secrets list` in creation order,
//! the server's 400 for deleting on a factory without secrets, and what it records about how each
//! NAME==PATH reached it (a pipe or a file). Run directly and through fioreg.

mod common;

use common::World;
use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

const STUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fioctl");

fn stand_in(state: &Path, args: &[&str]) -> Output {
    Command::new(STUB)
        .args(["--factory", "acme"])
        .args(args)
        .env("FIOCTL_STUB_DIR", state)
        .env_remove("FIOCTL_FACTORY")
        .output()
        .expect("run the stand-in")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn invalid_key_value_argument_has_two_spaces() {
    let state = tempfile::tempdir().expect("tempdir");
    let out = stand_in(state.path(), &["secrets", "update", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "ERROR: Invalid key=value argument:  novalue\n"
    );
}

#[test]
fn secrets_list_is_in_creation_order() {
    let state = tempfile::tempdir().expect("tempdir");
    for name in ["zeta", "alpha", "mid"] {
        let out = stand_in(state.path(), &["secrets", "update", &format!("{name}=v")]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    // Updating keeps the place; deleting and creating again moves to the end.
    for args in [
        ["secrets", "update", "zeta=w"],
        ["secrets", "update", "alpha="],
    ] {
        assert!(stand_in(state.path(), &args).status.success());
    }
    assert!(
        stand_in(state.path(), &["secrets", "update", "alpha=again"])
            .status
            .success()
    );
    let out = stand_in(state.path(), &["secrets", "list"]);
    assert_eq!(stdout(&out), "SECRETS\n-------\nzeta\nmid\nalpha\n");
}

#[test]
fn deleting_on_a_factory_without_secrets_is_the_servers_400() {
    let state = tempfile::tempdir().expect("tempdir");
    let out = stand_in(state.path(), &["secrets", "update", "ghcr_creds="]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ERROR: HTTP error during PATCH 'https://api.foundries.io/projects/acme/lmp/triggers/1/': 400 Bad Request"
    );
    assert!(lines[1].starts_with("= "), "{text}");
    assert_eq!(lines.len(), 2, "{text}");
    // With one secret stored, deleting works (also a name that does not exist).
    assert!(
        stand_in(state.path(), &["secrets", "update", "a=1"])
            .status
            .success()
    );
    assert!(
        stand_in(state.path(), &["secrets", "update", "other="])
            .status
            .success()
    );
    assert!(
        stand_in(state.path(), &["secrets", "update", "a="])
            .status
            .success()
    );
    assert_eq!(
        stdout(&stand_in(state.path(), &["secrets", "list"])),
        "SECRETS\n-------\n"
    );
}

#[test]
fn the_stand_in_records_whether_it_got_a_pipe_or_a_file() {
    let state = tempfile::tempdir().expect("tempdir");
    let file = state.path().join("value");
    fs::write(&file, "from-a-file").expect("write");
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    let fd = reader.as_raw_fd();
    writer.write_all(b"from-a-pipe").expect("write");
    drop(writer);
    let mut c = Command::new(STUB);
    c.args(["--factory", "acme", "secrets", "update"])
        .arg(format!("piped==/dev/fd/{fd}"))
        .arg(format!("filed=={}", file.display()))
        .env("FIOCTL_STUB_DIR", state.path());
    // SAFETY: only fcntl between fork and exec: the child keeps the read end open.
    unsafe {
        c.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = c.output().expect("run");
    drop(reader);
    assert!(out.status.success(), "{}", stdout(&out));
    let log = fs::read_to_string(state.path().join("handover.log")).expect("handover.log");
    assert_eq!(log, "piped dev-fd pipe\nfiled regular not-pipe\n");
    let secrets = state.path().join("factories/acme/secrets");
    assert_eq!(
        fs::read(secrets.join("piped")).expect("piped"),
        b"from-a-pipe"
    );
    assert_eq!(
        fs::read(secrets.join("filed")).expect("filed"),
        b"from-a-file"
    );
}

/// Through fioreg: `remove --delete-secret` on a factory that has no secrets shows the server's
/// 400 and says that the config was written (the entry is gone, the secret never existed).
#[test]
fn fioreg_remove_delete_secret_on_a_factory_without_secrets_shows_the_400() {
    let w = World::new(
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n",
    );
    let out = w
        .fioreg()
        .args(["remove", "ghcr.io", "--delete-secret", "--yes"])
        .output()
        .expect("run fioreg");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("400 Bad Request"), "{err}");
    assert!(err.contains("factory-config.yml WAS written"), "{err}");
    assert_eq!(w.config(), "container_registries: []\n");
}

#[test]
fn fail_update_of_one_factory_fails_only_that_factory() {
    let state = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(state.path().join("factories/beta")).expect("mkdir");
    fs::write(
        state.path().join("factories/beta/fail_update"),
        "HTTP error during PATCH: 403 Forbidden\n",
    )
    .expect("knob");
    let beta = Command::new(STUB)
        .args(["--factory", "beta", "secrets", "update", "s=v"])
        .env("FIOCTL_STUB_DIR", state.path())
        .output()
        .expect("run the stand-in");
    assert_eq!(beta.status.code(), Some(1));
    assert_eq!(
        stdout(&beta),
        "ERROR: HTTP error during PATCH: 403 Forbidden\n"
    );
    assert!(!state.path().join("factories/beta/secrets/s").exists());
    let acme = stand_in(state.path(), &["secrets", "update", "s=v"]);
    assert!(acme.status.success(), "{}", stdout(&acme));
    assert_eq!(
        fs::read(state.path().join("factories/acme/secrets/s")).expect("stored"),
        b"v"
    );
}

#[test]
fn delay_knob_holds_each_call_back_and_changes_nothing_else() {
    let state = tempfile::tempdir().expect("tempdir");
    fs::write(state.path().join("delay"), "0.2\n").expect("knob");
    let started = std::time::Instant::now();
    let out = stand_in(state.path(), &["secrets", "update", "s=v"]);
    // A lower bound only (sleep never returns early), not a speed assertion.
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
    let list = stand_in(state.path(), &["secrets", "list"]);
    assert_eq!(stdout(&list), "SECRETS\n-------\ns\n");
}

#[test]
fn calls_running_at_the_same_time_are_recorded_whole() {
    let state = tempfile::tempdir().expect("tempdir");
    // Many lines per record: bash's printf would write each line on its own.
    let extra: Vec<String> = (0..1000).map(|j| format!("x{j:04}")).collect();
    // Started from 24 threads at once, as fioreg's --jobs starts its calls.
    let barrier = std::sync::Barrier::new(24);
    std::thread::scope(|scope| {
        for i in 0..24 {
            let (barrier, extra, state) = (&barrier, &extra, state.path());
            scope.spawn(move || {
                let mut cmd = Command::new(STUB);
                cmd.args(["--factory", &format!("f{i}"), "secrets", "list"])
                    .args(extra)
                    .env("FIOCTL_STUB_DIR", state)
                    .stdout(std::process::Stdio::null());
                barrier.wait();
                assert!(cmd.status().expect("run the stand-in").success());
            });
        }
    });
    let log = fs::read_to_string(state.path().join("calls.log")).expect("calls.log");
    let mut factories: Vec<String> = log
        .split_terminator("end\n")
        .map(|record| {
            let args: Vec<&str> = record
                .lines()
                .map(|l| l.strip_prefix("arg: ").expect("an arg line"))
                .collect();
            assert_eq!(args.len(), 1004, "a record mixed with another:\n{record}");
            assert_eq!(args[0], "--factory", "{record}");
            assert_eq!(args[2..4], ["secrets", "list"], "{record}");
            assert_eq!(args[4..], extra, "{record}");
            args[1].to_string()
        })
        .collect();
    factories.sort();
    let mut expected: Vec<String> = (0..24).map(|i| format!("f{i}")).collect();
    expected.sort();
    assert_eq!(factories, expected);
}
