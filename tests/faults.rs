//! Fault injection through the real binary: fioctl fails, hangs or is killed; the config file or
//! its directory cannot be written; the disk is full; the file changes between review and apply;
//! two fioreg runs at once. In every case: exit status non-zero, the message says what was and was
//! not done, the config holds its original bytes (or, where another writer changed it, theirs),
//! no half-written file is left next to it, and no temp secret file is left anywhere.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const TOKEN: &str = "ghp_FaultInjectionToken0123456789";

/// `add generic` with the token on stdin and --yes.
fn add_generic(c: &mut Command) -> &mut Command {
    c.args([
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci",
        "--password-stdin",
        "--yes",
    ])
}

#[test]
fn fioctl_exits_1_nothing_is_changed() {
    let w = World::new(BASE);
    w.knob(
        "fail_update",
        "HTTP error during PATCH: 503 Service Unavailable\n",
    );
    let mut c = w.fioreg();
    add_generic(&mut c);
    let (code, _out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("ERROR: HTTP error during PATCH: 503"), "{err}");
    assert!(
        err.contains(
            "Nothing was changed: the secret was not stored and factory-config.yml is untouched"
        ),
        "{err}"
    );
    assert!(w.stored("ghcr_creds").is_none());
    w.assert_handed_over_by_pipe(1);
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

#[test]
fn fioctl_hanging_past_the_timeout_is_stopped() {
    let w = World::new(BASE);
    w.knob("hang", "");
    let mut c = w.fioreg();
    c.args(["--fioctl-timeout", "1"]);
    add_generic(&mut c);
    let (code, _out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("fioctl did not finish within 1 s and was stopped"),
        "{err}"
    );
    assert!(err.contains("factory-config.yml is untouched"), "{err}");
    let pid: i32 = fs::read_to_string(w.stub().join("hang.pid"))
        .expect("hang.pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(wait_dead(pid), "the hanging fioctl {pid} is still running");
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

#[test]
fn fioctl_killed_by_sigkill() {
    let w = World::new(BASE);
    // A fioctl that records its arguments like the stand-in, then dies of SIGKILL.
    let fake = w.path("fioctl-killed");
    fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do printf 'arg: %s\\n' \"$a\" >>\"$FIOCTL_STUB_DIR/calls.log\"; done\nkill -9 $$\n",
    )
    .expect("fake");
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut c = w.fioreg_with(fake.to_str().expect("utf8"));
    add_generic(&mut c);
    let (code, _out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("killed by a signal"), "{err}");
    assert!(err.contains("ghcr_creds==<pipe>"), "{err}");
    assert!(err.contains("factory-config.yml is untouched"), "{err}");
    assert!(
        w.calls().contains("arg: ghcr_creds=="),
        "fioctl was not called: {}",
        w.calls()
    );
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

#[test]
fn read_only_config_is_refused_before_fioctl_runs() {
    let w = World::new(BASE);
    let cfg = w.config_path();
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o444)).expect("chmod");
    let mut c = w.fioreg();
    add_generic(&mut c);
    let (code, _out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is read-only"), "{err}");
    assert!(err.contains("Nothing was changed in the factory"), "{err}");
    assert_eq!(w.calls(), "", "fioctl must not run");
    assert_eq!(
        fs::metadata(&cfg).expect("meta").permissions().mode() & 0o777,
        0o444
    );
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

/// A directory that takes no new file (0555). Root ignores the mode bits, so as root fioreg runs
/// as `nobody` (setpriv) on a world it owns; without setpriv the case is skipped with a reason.
#[test]
fn read_only_directory_is_refused_before_fioctl_runs() {
    let w = World::new(BASE);
    let root = euid() == 0;
    let bin_ok = world_reachable(std::path::Path::new(BIN))
        && world_reachable(&std::path::Path::new(ROOT).join("tests/support/fioctl"));
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if root && !(setpriv && bin_ok) {
        skip_or_fail(&format!(
            "read_only_directory: running as root (which writes into a 0555 directory \
             anyway) and cannot drop to `nobody` (setpriv: {setpriv}, binary reachable: {bin_ok})"
        ));
        return;
    }
    let mut c = w.fioreg();
    if root {
        // Give the world to nobody, then run as nobody.
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(w.dir.path())
            .status()
            .expect("chown");
        assert!(st.success());
        let mut wrapped = Command::new("setpriv");
        wrapped
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--",
            ])
            .arg(BIN)
            .current_dir(w.path("repo"))
            .env_clear()
            .envs(c.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .args(c.get_args());
        c = wrapped;
    }
    fs::set_permissions(w.path("repo"), fs::Permissions::from_mode(0o555)).expect("chmod");
    add_generic(&mut c);
    let (code, _out, err) = run(c, &format!("{TOKEN}\n"));
    fs::set_permissions(w.path("repo"), fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("(its directory)"), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    assert!(err.contains("Nothing was changed in the factory"), "{err}");
    assert_eq!(w.calls(), "", "fioctl must not run");
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

/// A full disk, for real: the config's directory is a 64 KiB tmpfs filled to the last page,
/// mounted in a private user+mount namespace (`unshare --user --map-root-user --mount`: no
/// root-only mount, nothing visible outside). The secret is stored first, then writing the config
/// fails with ENOSPC: the message must say that the secret WAS stored and the file was not
/// written. Skipped, with the reason, where unprivileged namespaces are not allowed.
#[test]
fn disk_full_after_the_secret_was_stored() {
    let w = World::new(BASE);
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs -o size=64k tmpfs \"$0\"")
        .arg(w.path("repo"))
        .output();
    match &probe {
        Ok(o) if o.status.success() => {}
        other => {
            skip_or_fail(&format!(
                "disk_full: cannot mount a small tmpfs in a user namespace here ({:?})",
                other
                    .as_ref()
                    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            ));
            return;
        }
    }
    let out = w.path("out");
    fs::create_dir(&out).expect("out");
    let mnt = w.path("full");
    fs::create_dir(&mnt).expect("mnt");
    // Inside the namespace: mount, copy the config in, fill the rest, run fioreg, then report
    // the exit status, the file and the directory listing to `out` before the mount goes away.
    let script = r#"
set -u
mnt=$1; out=$2; shift 2
mount -t tmpfs -o size=64k tmpfs "$mnt" || exit 90
cp "$out/../repo/factory-config.yml" "$mnt/factory-config.yml" || exit 91
dd if=/dev/zero of="$mnt/filler" bs=4096 2>/dev/null
df -k "$mnt" >"$out/df"
cd "$mnt"
printf '%s\n' "$TOKEN_IN" | "$@" >"$out/stdout" 2>"$out/stderr"
echo $? >"$out/status"
cp "$mnt/factory-config.yml" "$out/after.yml"
ls -A "$mnt" >"$out/ls"
"#;
    let fioreg = w.fioreg();
    let mut c = Command::new("unshare");
    c.args([
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .arg(&mnt)
    .arg(&out)
    .arg(BIN)
    .args(fioreg.get_args())
    .args([
        "--config",
        "factory-config.yml",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci",
        "--password-stdin",
        "--yes",
    ])
    .env_clear()
    .envs(fioreg.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
    .env("TOKEN_IN", TOKEN);
    let st = c.status().expect("unshare");
    assert!(st.success(), "the namespace script failed: {st:?}");
    let read = |f: &str| fs::read_to_string(out.join(f)).unwrap_or_default();
    let err = read("stderr");
    assert!(
        read("df").contains(" 0 100% "),
        "the tmpfs is not full:\n{}",
        read("df")
    );
    assert_eq!(read("status").trim(), "1", "{err}");
    assert!(
        err.contains("the secret `ghcr_creds` WAS stored in the factory, but"),
        "{err}"
    );
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("The original file is unchanged"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(
        w.stored("ghcr_creds").expect("stored"),
        format!("ci:{TOKEN}").as_bytes()
    );
    assert_eq!(read("after.yml"), BASE, "the config changed");
    assert_eq!(
        read("ls")
            .lines()
            .filter(|l| *l != ".factory-config.yml.fioreg-lock")
            .collect::<Vec<_>>(),
        vec!["factory-config.yml", "filler"],
        "a half-written file was left"
    );
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

/// fioreg waits at "Apply this plan?" (in a pseudo-terminal); meanwhile someone else writes the
/// file. Answering y must refuse: their bytes stay, no secret is stored.
#[test]
fn file_changed_between_review_and_apply() {
    use expectrl::{Eof, Expect, Session};
    let w = World::new(BASE);
    let mut c = w.fioreg();
    c.args(["add", "aws", "--url", AWS_URL, "--profile", "ci-pull"]);
    let mut p = Session::spawn(c).expect("spawn in a pty");
    p.set_expect_timeout(Some(PATIENCE));
    let mut seen = String::new();
    macro_rules! expect {
        ($needle:expr) => {
            match p.expect($needle) {
                Ok(m) => seen.push_str(&String::from_utf8_lossy(m.as_bytes())),
                Err(e) => panic!("waiting for {:?}: {e}\nso far:\n{seen}", $needle),
            }
        };
    }
    expect!("aws_creds==<AWS credentials");
    expect!("Apply this plan? [y/N]");
    let theirs = format!("{BASE}# edited by someone else while fioreg waited\n");
    fs::write(w.config_path(), &theirs).expect("concurrent write");
    p.send_line("y").expect("answer");
    expect!("changed since it was read");
    expect!("Nothing was changed in the factory");
    let _ = p.expect(Eof);
    let status = p.get_process().wait().expect("wait");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 1)),
        "{status:?}\n{seen}"
    );
    assert_eq!(w.calls(), "", "fioctl must not run");
    assert!(w.stored("aws_creds").is_none());
    w.assert_config_is(&theirs);
    w.assert_no_secret_files_left();
}

/// While a first fioreg holds the config's lock (its fioctl hangs), a second one is refused
/// before it runs fioctl; then the first is stopped with SIGTERM and cleans up.
#[test]
fn two_runs_at_once_the_second_is_refused() {
    let w = World::new(BASE);
    w.knob("hang", "");
    let mut first = w.fioreg();
    first.args(["--fioctl-timeout", "600"]).args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--profile",
        "ci-pull",
        "--yes",
    ]);
    let first = Running::spawn(first);
    let hang_pid = w.wait_for_hang_pid();
    let calls_before = w.calls();

    let mut second = w.fioreg();
    add_generic(&mut second);
    let (code, _out, err) = run(second, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("another fioreg is applying a change"), "{err}");
    assert!(err.contains("Nothing was changed in the factory"), "{err}");
    assert_eq!(w.calls(), calls_before, "the second run called fioctl");
    w.assert_config_intact();

    first.signal(libc::SIGTERM);
    let (code, _out, err) = first.finish();
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("factory-config.yml is untouched"), "{err}");
    assert!(
        wait_dead(hang_pid),
        "the hanging fioctl {hang_pid} still runs"
    );
    assert!(w.stored("aws_creds").is_none());
    assert!(w.stored("ghcr_creds").is_none());
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

/// The lock holds after the atomic rename: a first run has written the config (a new file now)
/// and hangs deleting the secret; a second run is still refused before it calls fioctl.
#[test]
fn the_lock_still_holds_after_the_config_was_replaced() {
    let config = format!(
        "{BASE}\ncontainer_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    );
    let w = World::new(&config);
    w.knob("hang", "");
    let mut first = w.fioreg();
    first
        .args(["--fioctl-timeout", "600"])
        .args(["remove", "ghcr.io", "--delete-secret", "--yes"]);
    let first = Running::spawn(first);
    let hang_pid = w.wait_for_hang_pid();
    // The first run has replaced the config and now waits for `secrets update ghcr_creds=`.
    assert!(w.calls().contains("arg: ghcr_creds=\n"), "{}", w.calls());
    let written = w.config();
    assert!(!written.contains("ghcr.io"), "{written}");
    let calls_before = w.calls();

    let mut second = w.fioreg();
    add_generic(&mut second);
    let (code, _out, err) = run(second, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("another fioreg is applying a change"), "{err}");
    assert_eq!(w.calls(), calls_before, "the second run called fioctl");
    assert_eq!(w.config(), written);

    first.signal(libc::SIGTERM);
    let (code, _out, err) = first.finish();
    // Interrupted after the config was written: a later step failed (exit 1), as before.
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("WAS written"), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(wait_dead(hang_pid));
    // The lock file stays, empty; it is the only other file.
    assert_eq!(
        fs::read(w.path("repo/.factory-config.yml.fioreg-lock")).expect("lock file"),
        b""
    );
}

/// A factory-config.yml that is a symlink: the link stays a link and the file it points to gets
/// the change; the lock file sits beside the target; a change to the target between review and
/// apply is seen.
#[test]
fn a_symlinked_config_is_edited_through_the_link() {
    use std::os::unix::fs::symlink;
    let w = World::new(BASE);
    fs::create_dir(w.path("real")).expect("mkdir");
    let real = w.path("real/factory-config.yml");
    fs::rename(w.config_path(), &real).expect("move");
    symlink("../real/factory-config.yml", w.config_path()).expect("symlink");

    let mut c = w.fioreg();
    add_generic(&mut c);
    let (code, out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Stored the secret ghcr_creds"), "{out}");
    let link = fs::symlink_metadata(w.config_path()).expect("link");
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        fs::read_link(w.config_path()).expect("readlink"),
        Path::new("../real/factory-config.yml")
    );
    let text = fs::read_to_string(&real).expect("target");
    assert!(text.starts_with(BASE), "{text}");
    assert!(text.contains("url: ghcr.io"), "{text}");
    assert!(w.path("real/.factory-config.yml.fioreg-lock").exists());
    assert!(!w.path("repo/.factory-config.yml.fioreg-lock").exists());
    // Only the target, the link and the lock: no temp file left in either directory.
    let names = |d: &str| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(w.path(d))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("real"),
        [".factory-config.yml.fioreg-lock", "factory-config.yml"]
    );
    assert_eq!(names("repo"), ["factory-config.yml"]);
}

/// The "changed since read" check looks at the symlink's target.
#[test]
fn a_symlinked_configs_target_changed_between_review_and_apply() {
    use expectrl::{Eof, Expect, Session};
    use std::os::unix::fs::symlink;
    let w = World::new(BASE);
    fs::create_dir(w.path("real")).expect("mkdir");
    let real = w.path("real/factory-config.yml");
    fs::rename(w.config_path(), &real).expect("move");
    symlink(&real, w.config_path()).expect("symlink");
    let mut c = w.fioreg();
    c.args(["add", "aws", "--url", AWS_URL, "--profile", "ci-pull"]);
    let mut p = Session::spawn(c).expect("spawn in a pty");
    p.set_expect_timeout(Some(PATIENCE));
    p.expect("Apply this plan? [y/N]").expect("the question");
    let theirs = format!("{BASE}# edited by someone else while fioreg waited\n");
    fs::write(&real, &theirs).expect("concurrent write");
    p.send_line("y").expect("answer");
    p.expect("changed since it was read").expect("refused");
    let _ = p.expect(Eof);
    let status = p.get_process().wait().expect("wait");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 1)),
        "{status:?}"
    );
    assert_eq!(w.calls(), "", "fioctl must not run");
    assert_eq!(fs::read_to_string(&real).expect("target"), theirs);
    assert!(
        fs::symlink_metadata(w.config_path())
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

/// A fioctl that says it succeeded without reading the whole secret from its pipe (here it reads
/// 10 bytes of a 200 KiB token): fioreg notices (the writer gets EPIPE), says the secret may be
/// stored incomplete, and does not write the config.
#[test]
fn fioctl_succeeding_without_reading_the_whole_secret_is_reported() {
    let w = World::new(BASE);
    let fake = w.path("fioctl-short-read");
    fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do printf 'arg: %s\\n' \"$a\" >>\"$FIOCTL_STUB_DIR/calls.log\"; p=${a#*==}; done\nhead -c 10 \"$p\" >/dev/null\nexit 0\n",
    )
    .expect("fake");
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut c = w.fioreg_with(fake.to_str().expect("utf8"));
    add_generic(&mut c);
    let token = "t".repeat(200 * 1024);
    let (code, _out, err) = run(c, &format!("{token}\n"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("without reading the secret to its end"),
        "{err}"
    );
    assert!(err.contains("may have been stored incomplete"), "{err}");
    assert!(
        w.calls().contains("arg: ghcr_creds==/dev/fd/"),
        "{}",
        w.calls()
    );
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}
