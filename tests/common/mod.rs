//! Helpers shared by the integration tests: a scratch world for the real binary against the
//! fioctl stand-in (tests/support/fioctl), real git, and checks that nothing was left behind.
#![allow(dead_code)] // each test crate uses a part of it

pub mod pty;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const BIN: &str = env!("CARGO_BIN_EXE_fioreg");
pub const AWS_URL: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";
pub const AWS_KEY_ID: &str = "AKIAEXAMPLEPULL00001";
pub const AWS_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const OTHER_PROFILE_SECRET: &str = "personalSecretValueNeverUploaded";

pub const BASE: &str = "# acme factory\nnotify:\n  email:\n    users: a@b.c  # team\n\nlmp:\n  machines:\n  - imx8mm-lpddr4-evk\n";

/// How long any wait for a process or a file may take before the test gives up (not a timing
/// assertion: only a bound so that a broken build cannot hang the suite).
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A scratch world:
/// `repo/factory-config.yml`, `stub/` (the stand-in's state), `tmp/` (TMPDIR: where fioreg makes
/// its private secret directory), `credentials` (AWS shared credentials), HOME = the world.
pub struct World {
    pub dir: tempfile::TempDir,
    pub original: String,
}

impl World {
    /// The world with `config` and three AWS profiles: `default` (a personal key,
    /// [`OTHER_PROFILE_SECRET`]), `ci-pull` ([`AWS_KEY_ID`], [`AWS_SECRET_KEY`], us-east-2) and
    /// `temp` (temporary keys with a session token).
    pub fn new(config: &str) -> World {
        World::with_credentials(
            config,
            &format!(
                "[default]\naws_access_key_id = AKIAPERSONAL00000001\naws_secret_access_key = {OTHER_PROFILE_SECRET}\n\n\
                 [ci-pull]\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET_KEY}\nregion = us-east-2\n\n\
                 [temp]\naws_access_key_id = ASIAEXAMPLETEMP00001\naws_secret_access_key = tempSecret\naws_session_token = tokentoken\n"
            ),
        )
    }

    /// The world with `config` and `credentials` as the AWS shared credentials file.
    pub fn with_credentials(config: &str, credentials: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["repo", "stub", "tmp"] {
            fs::create_dir(dir.path().join(d)).expect("mkdir");
        }
        fs::write(dir.path().join("repo/factory-config.yml"), config).expect("config");
        fs::write(dir.path().join("credentials"), credentials).expect("credentials");
        World {
            dir,
            original: config.to_string(),
        }
    }

    /// A secret `name` the factory already holds (in the stand-in's store), with `value`.
    pub fn seed_secret(&self, name: &str, value: &str) {
        let secrets = self.stub().join("factories/acme/secrets");
        fs::create_dir_all(&secrets).expect("secrets dir");
        fs::write(secrets.join(name), value).expect("secret");
    }

    /// Runs real git with `args` in `repo/` (see [`git`]).
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path("repo"), args)
    }

    /// Makes `repo/` a git work tree on branch main with everything in it committed.
    pub fn init_repo(&self) {
        init_repo(&self.path("repo"));
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("repo/factory-config.yml")
    }

    pub fn config(&self) -> String {
        fs::read_to_string(self.config_path()).expect("read config")
    }

    pub fn stub(&self) -> PathBuf {
        self.path("stub")
    }

    pub fn knob(&self, name: &str, content: &str) {
        fs::write(self.stub().join(name), content).expect("knob");
    }

    pub fn calls(&self) -> String {
        fs::read_to_string(self.stub().join("calls.log")).unwrap_or_default()
    }

    pub fn modes(&self) -> String {
        fs::read_to_string(self.stub().join("modes.log")).unwrap_or_default()
    }

    /// The stand-in's handover.log: one `NAME KIND PIPE` line per NAME==PATH it was given.
    pub fn handover(&self) -> String {
        fs::read_to_string(self.stub().join("handover.log")).unwrap_or_default()
    }

    /// Every secret reached fioctl through a pipe named /dev/fd/N (`count` of them), and no
    /// secret file was read.
    pub fn assert_handed_over_by_pipe(&self, count: usize) {
        let log = self.handover();
        assert_eq!(log.lines().count(), count, "{log}");
        for line in log.lines() {
            assert!(line.ends_with(" dev-fd pipe"), "not through a pipe: {line}");
        }
        assert_eq!(self.modes(), "", "fioctl read a secret from a file");
    }

    /// No file under the world (HOME, TMPDIR, the repository, the stand-in's state) holds
    /// `secret`, except the stand-in's store of factory secrets (the "server") and the AWS
    /// credentials file the secrets come from.
    pub fn assert_no_file_holds(&self, secret: &str) {
        let store = self.stub().join("factories");
        let source = self.path("credentials");
        let mut dirs = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                let meta = fs::symlink_metadata(&path).expect("meta");
                if meta.is_dir() {
                    if path != store {
                        dirs.push(path);
                    }
                } else if meta.is_file() && path != source {
                    let bytes = fs::read(&path).expect("read");
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "{} holds the secret",
                        path.display()
                    );
                }
            }
        }
    }

    pub fn stored(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.stub().join("factories/acme/secrets").join(name)).ok()
    }

    /// [`World::stored`] as text.
    pub fn stored_text(&self, name: &str) -> Option<String> {
        self.stored(name)
            .map(|b| String::from_utf8(b).expect("a utf-8 secret"))
    }

    /// fioreg in this world with the stand-in as fioctl, `--factory acme`, a clean environment.
    pub fn fioreg(&self) -> Command {
        self.fioreg_with(&format!("{ROOT}/tests/support/fioctl"))
    }

    /// fioreg with `fioctl` as the fioctl binary.
    pub fn fioreg_with(&self, fioctl: &str) -> Command {
        let mut c = self.fioreg_without_fioctl();
        c.args(["--fioctl", fioctl]);
        c
    }

    /// fioreg in this world without `--fioctl` (it looks for fioctl on PATH).
    pub fn fioreg_without_fioctl(&self) -> Command {
        let mut c = self.fioreg_verifying_without_fioctl();
        c.arg("--no-verify");
        c
    }

    /// [`World::fioreg`] without `--no-verify`: fioreg tests the registry login.
    pub fn fioreg_verifying(&self) -> Command {
        let mut c = self.fioreg_verifying_without_fioctl();
        c.args(["--fioctl", &format!("{ROOT}/tests/support/fioctl")]);
        c
    }

    /// fioreg in this world, a clean environment, `--factory acme` and no other flag.
    fn fioreg_verifying_without_fioctl(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.path("repo"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.path("tmp"))
            .env("FIOCTL_STUB_DIR", self.stub())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .env("NO_COLOR", "1")
            .args(["--factory", "acme"]);
        c
    }

    /// [`World::fioreg`] with assert_cmd's API.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.fioreg())
    }

    /// [`World::fioreg_without_fioctl`] with assert_cmd's API.
    pub fn cmd_without_fioctl(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.fioreg_without_fioctl())
    }

    /// The wizard against the stand-in, for factory acme; the registries are made up, so
    /// without the login test.
    pub fn wizard(&self) -> pty::Pty {
        self.wizard_with(&["--no-verify"])
    }

    /// The wizard against the stand-in, for factory acme, with `extra` flags.
    pub fn wizard_with(&self, extra: &[&str]) -> pty::Pty {
        self.wizard_env(extra, &[])
    }

    /// [`World::wizard_with`] with more environment variables (a cloud tool's stand-in).
    pub fn wizard_env(&self, extra: &[&str], envs: &[(&str, String)]) -> pty::Pty {
        let config = self.config_path();
        let fioctl = format!("{ROOT}/tests/support/fioctl");
        let mut args = vec![
            "--fioctl",
            &fioctl,
            "--factory",
            "acme",
            "--config",
            config.to_str().expect("utf-8 path"),
        ];
        args.extend_from_slice(extra);
        self.spawn_env(&args, envs)
    }

    /// fioreg with `args` in a 100x30 pty, under a shell that afterwards prints the exit status
    /// and the terminal's modes (`stty -a`), so tests can see what fioreg left behind.
    pub fn spawn(&self, args: &[&str]) -> pty::Pty {
        self.spawn_env(args, &[])
    }

    /// [`World::spawn`] with more environment variables.
    pub fn spawn_env(&self, args: &[&str], envs: &[(&str, String)]) -> pty::Pty {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "trap : INT; stty cols {} rows {} icanon echo; \"$0\" \"$@\"; echo \"EXIT=$?\"; stty -a; \
                 echo END-OF-RUN",
                pty::COLS,
                pty::ROWS
            ))
            .arg(BIN)
            .args(args)
            .current_dir(self.path("repo"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.path("tmp"))
            .env("TERM", "xterm-256color")
            .env("FIOCTL_STUB_DIR", self.stub())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        pty::Pty::spawn(cmd)
    }

    /// Every secret file path fioctl was given (`NAME==PATH` in calls.log, and modes.log); a
    /// pipe (`/dev/fd/N`) is no file.
    pub fn secret_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .calls()
            .lines()
            .filter_map(|l| l.strip_prefix("arg: "))
            .filter_map(|a| a.split_once("==").map(|(_, p)| PathBuf::from(p)))
            .filter(|p| !p.starts_with("/dev/fd"))
            .collect();
        paths.extend(
            self.modes()
                .lines()
                .filter_map(|l| l.split(' ').nth(1).map(PathBuf::from)),
        );
        paths
    }

    /// No temp secret file or directory is left: neither the file paths fioctl saw nor anything
    /// in TMPDIR.
    pub fn assert_no_secret_files_left(&self) {
        for p in self.secret_paths() {
            assert!(!p.exists(), "temp secret file left behind: {}", p.display());
            let parent = p.parent().expect("parent");
            assert!(
                !parent.exists(),
                "temp secret directory left behind: {}",
                parent.display()
            );
        }
        let left: Vec<_> = fs::read_dir(self.path("tmp"))
            .expect("tmp")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }

    /// The config holds exactly its original bytes and no temp file sits next to it.
    pub fn assert_config_intact(&self) {
        self.assert_config_is(&self.original.clone());
    }

    pub fn assert_config_is(&self, expected: &str) {
        assert_eq!(self.config(), expected, "factory-config.yml changed");
        // The lock file (empty, left in place on purpose) may sit beside it.
        let lock = self.path("repo/.factory-config.yml.fioreg-lock");
        if lock.exists() {
            assert_eq!(
                fs::read(&lock).expect("lock"),
                b"",
                "the lock file holds data"
            );
        }
        let names: Vec<String> = fs::read_dir(self.path("repo"))
            .expect("repo")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".factory-config.yml.fioreg-lock")
            .collect();
        assert_eq!(
            names,
            vec!["factory-config.yml".to_string()],
            "a half-written file next to the config"
        );
    }

    /// The PID the `hang` knob wrote, once it exists.
    pub fn wait_for_hang_pid(&self) -> i32 {
        let f = self.stub().join("hang.pid");
        wait_until("the stand-in to hang", || {
            fs::read_to_string(&f)
                .ok()
                .filter(|s| s.ends_with('\n'))
                .is_some()
        });
        fs::read_to_string(&f)
            .expect("hang.pid")
            .trim()
            .parse()
            .expect("pid")
    }
}

/// Runs real git with `args` in `dir`; panics with git's stderr if it fails; its stdout without
/// the trailing newline.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Makes `dir` a git work tree on branch main (committer CI <ci@example.com>) with everything in
/// it committed.
pub fn init_repo(dir: &Path) {
    git(dir, &["init", "--quiet", "-b", "main"]);
    git(dir, &["config", "user.email", "ci@example.com"]);
    git(dir, &["config", "user.name", "CI"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "init"]);
}

/// Appends every file under `dir` (recursively; an unreadable directory is skipped) to `out`.
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Polls `done` every 20 ms until it holds; panics after [`PATIENCE`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` is a live (not zombie) process.
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits until `pid` is gone (or a zombie); false after [`PATIENCE`].
pub fn wait_dead(pid: i32) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > PATIENCE {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A child process that is killed if the test ends early (a failed assertion).
pub struct Running {
    pub child: Option<Child>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Running {
            child: Some(cmd.spawn().expect("spawn fioreg")),
        }
    }

    /// Like [`Running::spawn`], but stdin stays what `cmd` set (or inherited).
    pub fn spawn_keeping_stdin(mut cmd: Command) -> Running {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Running {
            child: Some(cmd.spawn().expect("spawn fioreg")),
        }
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.as_ref().expect("child").id()).expect("pid")
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sends a signal to our own child, which has not been reaped yet.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill failed");
    }

    /// Waits for the exit (bounded by [`PATIENCE`]) and returns (code, stdout, stderr).
    pub fn finish(mut self) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("child");
        let start = Instant::now();
        loop {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("fioreg did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Running {
    /// A test that failed half-way: SIGTERM first, so that fioreg stops its fioctl's process
    /// group (a SIGKILL would orphan a hanging stand-in), then SIGKILL if it is still there.
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if let Ok(pid) = i32::try_from(c.id()) {
                // SAFETY: a signal to our own child, not reaped yet.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
            let start = Instant::now();
            while c.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `cmd` with `stdin` to the end: (code, stdout, stderr).
pub fn run(mut cmd: Command, stdin: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn fioreg");
    // fioreg may end (refusing) before it reads stdin: a closed pipe is not the test's failure.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        panic!("write stdin: {e}");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The effective user id (`id -u`).
pub fn euid() -> u32 {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("uid")
}

/// Whether `path` is executable by everyone along its whole path (for runs as `nobody`).
pub fn world_reachable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors().all(|p| {
        fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0 || p == Path::new(""))
    })
}

/// A test that cannot run on this machine (a tool or a kernel feature it needs is missing): it
/// FAILS when env CI=true, so a skip never passes green in CI, and otherwise prints why on
/// stderr. The caller returns after it.
pub fn skip_or_fail(why: &str) {
    if let Err(msg) = skip_decision(std::env::var("CI").ok().as_deref(), why) {
        panic!("{msg}");
    }
}

/// `Err` (fail) when `ci` is `true`; `Ok` after printing `SKIPPED: why` otherwise.
pub fn skip_decision(ci: Option<&str>, why: &str) -> Result<(), String> {
    if ci == Some("true") {
        return Err(format!(
            "CI=true and this test cannot run here: {why}. Run `bash .ci/run` (it installs what \
             the tests need) on a machine that allows it."
        ));
    }
    eprintln!("SKIPPED: {why}");
    Ok(())
}
