//! Several factories at once, through the real binary with the fioctl stand-in (its state is
//! kept per factory under FIOCTL_STUB_DIR/factories/NAME): each factory has its own git
//! checkout of factory-config.yml, remembered in fioreg's settings.

mod common;
#[path = "support/registry.rs"]
mod registry;

use common::pty::{COLS, DOWN, ENTER, Pty, ROWS, TAB, plain_text};
use common::{BASE, ROOT, World, git, init_repo, run};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const GHCR: &str =
    "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";

/// A [`World`] plus one git checkout per factory (`NAME/factory-config.yml`), each remembered
/// in the settings (HOME/.config/fioreg/config.toml).
struct Fleet {
    world: World,
    names: Vec<&'static str>,
}

impl Fleet {
    fn new(factories: &[(&'static str, &str)]) -> Fleet {
        let mut f = Fleet {
            world: World::new(BASE),
            names: Vec::new(),
        };
        let mut settings = String::new();
        for (name, config) in factories {
            let dir = f.world.path(name);
            fs::create_dir(&dir).expect("mkdir");
            fs::write(dir.join("factory-config.yml"), config).expect("config");
            init_repo(&dir);
            settings.push_str(&format!(
                "[factories.{name}]\nconfig = \"{}\"\n\n",
                f.config_path(name).display()
            ));
            f.names.push(name);
        }
        fs::create_dir_all(f.world.path(".config/fioreg")).expect("settings dir");
        fs::write(f.settings_path(), settings).expect("settings");
        f
    }

    fn settings_path(&self) -> PathBuf {
        self.world.path(".config/fioreg/config.toml")
    }

    fn config_path(&self, factory: &str) -> PathBuf {
        self.world.path(factory).join("factory-config.yml")
    }

    fn config(&self, factory: &str) -> String {
        fs::read_to_string(self.config_path(factory)).expect("config")
    }

    fn git(&self, factory: &str, args: &[&str]) -> String {
        git(&self.world.path(factory), args)
    }

    fn commits(&self, factory: &str) -> usize {
        self.git(factory, &["rev-list", "--count", "HEAD"])
            .parse()
            .expect("count")
    }

    fn secret(&self, factory: &str, name: &str) -> Option<String> {
        fs::read_to_string(
            self.world
                .stub()
                .join("factories")
                .join(factory)
                .join("secrets")
                .join(name),
        )
        .ok()
    }

    fn store(&self, factory: &str, name: &str, value: &str) {
        let dir = self
            .world
            .stub()
            .join("factories")
            .join(factory)
            .join("secrets");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join(name), value).expect("secret");
    }

    fn fail_updates_of(&self, factory: &str, message: &str) {
        let dir = self.world.stub().join("factories").join(factory);
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("fail_update"), message).expect("knob");
    }

    fn heal(&self, factory: &str) {
        fs::remove_file(
            self.world
                .stub()
                .join("factories")
                .join(factory)
                .join("fail_update"),
        )
        .expect("remove knob");
    }

    /// The `secrets update` calls the stand-in got, as (factory, the other arguments).
    fn updates(&self) -> Vec<(String, String)> {
        let mut calls = Vec::new();
        for call in self.world.calls().split("end\n") {
            let args: Vec<&str> = call
                .lines()
                .filter_map(|l| l.strip_prefix("arg: "))
                .collect();
            if !args.windows(2).any(|w| w == ["secrets", "update"]) {
                continue;
            }
            let factory = args
                .iter()
                .position(|a| *a == "--factory")
                .and_then(|i| args.get(i + 1))
                .expect("every call names its factory")
                .to_string();
            let rest: Vec<&str> = args
                .iter()
                .skip_while(|a| **a != "update")
                .skip(1)
                .copied()
                .collect();
            calls.push((factory, rest.join(" ")));
        }
        calls.sort();
        calls
    }

    /// fioreg in the world with the stand-in as fioctl and no factory flag.
    fn fioreg(&self, args: &[&str]) -> Command {
        let mut c = Command::new(common::BIN);
        c.current_dir(self.world.path("tmp"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.world.dir.path())
            .env("TMPDIR", self.world.path("tmp"))
            .env("FIOCTL_STUB_DIR", self.world.stub())
            .env("NO_COLOR", "1")
            .args([
                "--fioctl",
                &format!("{ROOT}/tests/support/fioctl"),
                "--no-verify",
            ])
            .args(args);
        c
    }
}

impl Fleet {
    /// The wizard (no subcommand) in a 100x30 pty with the stand-in as fioctl and `args`,
    /// under a shell that prints the exit status afterwards.
    fn wizard(&self, args: &[&str]) -> Pty {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "trap : INT; stty cols {COLS} rows {ROWS} icanon echo; \"$0\" \"$@\"; \
                 echo \"EXIT=$?\"; stty -a; echo END-OF-RUN"
            ))
            .arg(common::BIN)
            .args([
                "--fioctl",
                &format!("{ROOT}/tests/support/fioctl"),
                "--no-verify",
            ])
            .args(args)
            .current_dir(self.world.path("tmp"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.world.dir.path())
            .env("TMPDIR", self.world.path("tmp"))
            .env("TERM", "xterm-256color")
            .env("FIOCTL_STUB_DIR", self.world.stub());
        Pty::spawn(cmd)
    }
}

/// The line prompts across every factory: Add, generic, `ghcr.io`, the default secret name,
/// user `ci` and `token`, not remembered (up to the plan for all).
fn add_ghcr_in_every_factory(p: &mut Pty, token: &str) {
    p.expect("Which factories?");
    p.send("\r");
    p.expect("What do you want to do?");
    // Add is the first.
    p.send("\r");
    p.expect("Which kind of registry should CI pull from?");
    p.send(&DOWN.repeat(3)); // aws, azure, gar, generic
    p.send("\r");
    p.expect("Registry host");
    p.send("ghcr.io\r");
    p.expect("Secret name");
    p.send("\r");
    p.expect("User name");
    p.send("ci\r");
    p.expect("Token (hidden");
    p.send(&format!("{token}\r"));
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
}

/// `factory`'s row says `secret` (stored, deleted) and its commit, its checkout has `commits`
/// commits and a clean factory-config.yml.
fn assert_committed(f: &Fleet, out: &str, factory: &str, secret: &str, commits: usize) {
    let id = f.git(factory, &["rev-parse", "--short", "HEAD"]);
    assert_eq!(
        row(out, factory),
        format!("{factory} ok {secret} written {id}")
    );
    assert_eq!(f.commits(factory), commits, "{factory}");
    assert_eq!(
        f.git(
            factory,
            &["status", "--porcelain", "--", "factory-config.yml"]
        ),
        "",
        "{factory}"
    );
}

/// The summary table's row of `factory` (the last table printed), runs of spaces made single.
fn row(stdout: &str, factory: &str) -> String {
    let table = stdout
        .rfind("\nFACTORY ")
        .map_or(stdout, |at| &stdout[at..]);
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(factory))
        .unwrap_or_else(|| panic!("no row for {factory} in:\n{stdout}"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// BASE with the ghcr.io entry added by fioreg (after a blank line).
fn added() -> String {
    format!("{BASE}\n{GHCR}")
}

#[test]
fn rotate_all_factories_finds_the_registry_reads_the_token_once_and_skips_the_others() {
    let aws_only = format!(
        "{BASE}container_registries:\n- type: aws\n  region: us-east-2\n  url: {}\n  aws_creds_secret_name: aws_creds\n",
        common::AWS_URL
    );
    let f = Fleet::new(&[
        ("acme", &format!("{BASE}{GHCR}")),
        ("beta", &format!("{BASE}{GHCR}")),
        ("gamma", &aws_only),
    ]);
    let (code, out, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--yes",
            "rotate",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
        ]),
        "tok-new-1\n",
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    // One plan: per factory its redacted fioctl call, and the factory without it skipped.
    assert!(
        out.contains("fioctl --factory acme secrets update ghcr_creds==<user ci, token>"),
        "{out}"
    );
    assert!(
        out.contains("fioctl --factory beta secrets update ghcr_creds==<user ci, token>"),
        "{out}"
    );
    assert!(out.contains("━━ factory gamma"), "{out}");
    assert!(
        out.contains("has no registry with the secret name or url `ghcr.io`"),
        "{out}"
    );
    assert!(
        out.contains("3 factories: 2 to change, 1 skipped, 0 refused."),
        "{out}"
    );
    assert!(!out.contains("tok-new-1") && !err.contains("tok-new-1"));
    // Stored in each factory that has it, through a pipe; the configs stay byte-identical.
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-new-1")
    );
    assert_eq!(
        f.secret("beta", "ghcr_creds").as_deref(),
        Some("ci:tok-new-1")
    );
    assert_eq!(f.secret("gamma", "ghcr_creds"), None);
    assert_eq!(f.updates().len(), 2, "{:?}", f.updates());
    f.world.assert_handed_over_by_pipe(2);
    assert_eq!(f.config("acme"), format!("{BASE}{GHCR}"));
    assert_eq!(f.config("gamma"), aws_only);
    assert_eq!(row(&out, "acme"), "acme ok stored unchanged -");
    assert_eq!(row(&out, "beta"), "beta ok stored unchanged -");
    assert_eq!(row(&out, "gamma"), "gamma skipped - - -");
    f.world.assert_no_file_holds("tok-new-1");

    // By the secret name too, and --factory given twice selects just those two.
    let (code, out, err) = run(
        f.fioreg(&[
            "--factory",
            "beta",
            "--factory",
            "gamma",
            "--yes",
            "rotate",
            "ghcr_creds",
            "--username",
            "ci",
            "--password-stdin",
        ]),
        "tok-new-2\n",
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-new-1")
    );
    assert_eq!(
        f.secret("beta", "ghcr_creds").as_deref(),
        Some("ci:tok-new-2")
    );
    assert!(!out.contains("factory acme"), "{out}");
}

#[test]
fn add_with_commit_one_factory_failing_then_the_same_command_finishes_only_the_rest() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE), ("gamma", BASE)]);
    f.fail_updates_of("beta", "HTTP error during PATCH: 403 Forbidden");
    let args = [
        "--all-factories",
        "--yes",
        "--commit",
        "--jobs",
        "2",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci",
        "--password-stdin",
    ];
    let (code, out, err) = run(f.fioreg(&args), "tok\n");
    assert_eq!(code, Some(1), "{out}\n{err}");
    // The plan had every factory's diff and call; one confirmation (--yes) for all.
    assert_eq!(
        out.matches("+  generic_secret_name: ghcr_creds").count(),
        3,
        "{out}"
    );
    assert!(
        err.contains("1 of 3 factories not done (beta); the others were not undone"),
        "{err}"
    );
    let entry = added();
    for done in ["acme", "gamma"] {
        assert_eq!(f.config(done), entry);
        assert_eq!(f.secret(done, "ghcr_creds").as_deref(), Some("ci:tok"));
        assert_eq!(f.commits(done), 2);
        assert_eq!(
            f.git(done, &["log", "-1", "--format=%s"]),
            "container_registries: add generic ghcr.io"
        );
        assert!(
            row(&out, done).starts_with(&format!("{done} ok stored written ")),
            "{out}"
        );
    }
    // The failing factory: nothing stored, its config and history untouched.
    assert_eq!(f.config("beta"), BASE);
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
    assert_eq!(f.commits("beta"), 1);
    assert_eq!(
        row(&out, "beta"),
        "beta FAILED NOT stored NOT written NOT made"
    );
    assert!(
        out.contains(
            "beta (FAILED): `fioctl --factory beta secrets update ghcr_creds==<pipe>` failed"
        ),
        "{out}"
    );
    assert!(out.contains("403 Forbidden"), "{out}");
    // The settings keep each factory's config path, and never a secret.
    let settings = fs::read_to_string(f.settings_path()).expect("settings");
    assert_eq!(settings.matches("config = ").count(), 3, "{settings}");
    assert!(!settings.contains("ghcr.io"), "{settings}");

    // The same command again: beta is done now; acme and gamma are already up to date (their
    // secret is stored again, which is harmless; no second commit).
    f.heal("beta");
    let (code, out, err) = run(f.fioreg(&args), "tok\n");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(f.config("beta"), entry);
    assert_eq!(f.secret("beta", "ghcr_creds").as_deref(), Some("ci:tok"));
    assert_eq!(f.commits("beta"), 2);
    for done in ["acme", "gamma"] {
        assert_eq!(f.config(done), entry);
        assert_eq!(f.commits(done), 2, "no empty second commit");
        assert_eq!(row(&out, done), format!("{done} ok stored up to date -"));
    }
    assert!(out.contains("already holds this entry: no change"), "{out}");
    assert!(
        row(&out, "beta").starts_with("beta ok stored written "),
        "{out}"
    );
}

#[test]
fn a_config_changed_since_the_review_is_left_alone_and_the_others_are_applied() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE)]);
    let fioctl = format!("{ROOT}/tests/support/fioctl");
    let mut p = f.world.spawn(&[
        "--fioctl",
        &fioctl,
        "--no-verify",
        "--all-factories",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci",
    ]);
    p.expect("token for ci (hidden): ");
    p.send("tok-pty\r");
    p.expect("━━ factory beta");
    p.expect("Apply this plan to 2 factories? [y/N]");
    // Someone edits beta's config between the review and the answer.
    let edited = format!("{BASE}# edited by hand\n");
    fs::write(f.config_path("beta"), &edited).expect("edit");
    p.send("y\r");
    let (code, _) = p.finish();
    let out = p.text();
    assert_eq!(code, 1, "{out}");
    assert_eq!(f.config("acme"), added());
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-pty")
    );
    // beta: checked before its secret was stored, so nothing happened there.
    assert_eq!(f.config("beta"), edited);
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
    assert!(out.contains("changed since"), "{out}");
    assert_eq!(row(&out, "beta"), "beta FAILED NOT stored NOT written -");
    assert!(!out.contains("tok-pty"), "the token was echoed:\n{out}");

    // Again: only beta has something left, planned against its new text.
    let (code, out, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--yes",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
        ]),
        "tok-pty\n",
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(f.config("beta"), format!("{edited}\n{GHCR}"));
    assert_eq!(row(&out, "acme"), "acme ok stored up to date -");
}

#[test]
fn remove_with_delete_secret_where_one_deletion_fails_then_again_deletes_the_leftover() {
    let f = Fleet::new(&[
        ("acme", &format!("{BASE}{GHCR}")),
        ("beta", &format!("{BASE}{GHCR}")),
    ]);
    for name in ["acme", "beta"] {
        f.store(name, "ghcr_creds", "ci:old");
        f.store(name, "other", "x");
    }
    f.fail_updates_of("beta", "HTTP error during PATCH: 502 Bad Gateway");
    let args = [
        "--all-factories",
        "--yes",
        "remove",
        "ghcr_creds",
        "--delete-secret",
    ];
    let (code, out, err) = run(f.fioreg(&args), "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    for name in ["acme", "beta"] {
        assert!(!f.config(name).contains("ghcr.io"), "{}", f.config(name));
    }
    assert_eq!(f.secret("acme", "ghcr_creds"), None);
    assert_eq!(f.secret("beta", "ghcr_creds").as_deref(), Some("ci:old"));
    assert_eq!(row(&out, "acme"), "acme ok deleted written -");
    assert_eq!(row(&out, "beta"), "beta FAILED NOT deleted written -");

    // Again: acme has nothing left; beta's entry is gone but its secret is still there.
    f.heal("beta");
    let (code, out, err) = run(f.fioreg(&args), "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("Plan: delete the secret `ghcr_creds`, left behind by an earlier remove"),
        "{out}"
    );
    assert!(
        out.contains("fioctl --factory beta secrets update ghcr_creds="),
        "{out}"
    );
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
    assert_eq!(f.secret("beta", "other").as_deref(), Some("x"));
    assert_eq!(row(&out, "acme"), "acme skipped - - -");
    assert_eq!(row(&out, "beta"), "beta ok deleted up to date -");

    // A third time there is nothing left to do anywhere: exit 0, nothing called.
    let before = f.updates().len();
    let (code, out, err) = run(f.fioreg(&args), "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("Nothing was left to do in any selected factory."),
        "{out}"
    );
    assert_eq!(f.updates().len(), before);
}

#[test]
fn dry_run_across_factories_changes_nothing() {
    let f = Fleet::new(&[("acme", BASE), ("beta", &format!("{BASE}{GHCR}"))]);
    let (code, out, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--dry-run",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("+  url: ghcr.io"), "{out}");
    assert!(out.contains("already holds this entry: no change"), "{out}");
    assert!(out.contains("Dry run: nothing was changed"), "{out}");
    assert_eq!(f.config("acme"), BASE);
    assert!(f.updates().is_empty());
}

#[test]
fn list_and_check_show_every_factory_and_which_secret_is_missing() {
    let f = Fleet::new(&[
        ("acme", &format!("{BASE}{GHCR}")),
        ("beta", &format!("{BASE}{GHCR}")),
        ("gamma", BASE),
    ]);
    f.store("acme", "ghcr_creds", "ci:t");
    let (code, out, err) = run(f.fioreg(&["--all-factories", "list"]), "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        row(&out, "acme"),
        "acme generic ghcr.io - ghcr_creds present"
    );
    assert_eq!(
        row(&out, "beta"),
        "beta generic ghcr.io - ghcr_creds MISSING"
    );
    assert_eq!(row(&out, "gamma"), "gamma - (no registries) - - -");

    let (code, out, _) = run(f.fioreg(&["--all-factories", "list", "--json"]), "");
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v[1]["factory"], "beta");
    assert_eq!(v[1]["registries"][0]["secret_present"], false);
    assert_eq!(v[0]["registries"][0]["secret_present"], true);

    let (code, out, err) = run(f.fioreg(&["--all-factories", "check"]), "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.contains("━━ factory beta"), "{out}");
    assert!(
        out.contains("`ghcr_creds` does not exist in the factory"),
        "{out}"
    );
    assert!(err.contains("errors in 1 of 3 factories: beta"), "{err}");
    f.store("beta", "ghcr_creds", "ci:t");
    let (code, out, err) = run(f.fioreg(&["--all-factories", "check"]), "");
    assert_eq!(code, Some(0), "{out}\n{err}");
}

#[test]
fn refusals_name_the_fix() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE)]);
    let (code, _, err) = run(
        f.fioreg(&["--all-factories", "--config", "x.yml", "list"]),
        "",
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("leave out --config"), "{err}");
    let (code, _, err) = run(
        f.fioreg(&["--factory", "acme", "--factory", "nope", "list"]),
        "",
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("remembers no factory-config.yml for nope: set it with `fioreg settings set factories.nope.config PATH`"),
        "{err}"
    );
    let (code, _, err) = run(f.fioreg(&["--all-factories", "--jobs", "0", "list"]), "");
    assert_eq!(code, Some(2), "{err}");
    // rotate where no factory has the registry: an error, nothing asked or stored.
    let (code, _, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--yes",
            "rotate",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
        ]),
        "tok\n",
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no selected factory has a usable registry `ghcr.io`"),
        "{err}"
    );
    assert!(f.updates().is_empty());
    // A new key and scan work on one factory: refused up front. The wizard across factories
    // needs a terminal, as the one-factory wizard does.
    let (code, _, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--yes",
            "rotate",
            "aws_creds",
            "--new-key",
        ]),
        "",
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("rotate --new-key makes a new key for one factory's identity"),
        "{err}"
    );
    let (code, _, err) = run(f.fioreg(&["--all-factories", "scan"]), "");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("scan works on one factory's containers.git"),
        "{err}"
    );
    let (code, _, err) = run(f.fioreg(&["--all-factories"]), "");
    assert_eq!(code, Some(2));
    assert!(
        err.contains(
            "fioreg: the wizard needs a terminal on stdin and stdout; use a subcommand such as \
             `fioreg add` in scripts"
        ),
        "{err}"
    );
    assert!(f.updates().is_empty());
    // A single --factory still takes the one-factory path (--config works there).
    let (code, out, err) = run(
        f.fioreg(&[
            "--factory",
            "acme",
            "--config",
            f.config_path("acme").to_str().expect("utf-8"),
            "list",
        ]),
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("no container registries configured"), "{out}");
}

#[test]
fn ctrl_c_stops_the_running_call_and_starts_no_other_factory() {
    let f = Fleet::new(&[
        ("acme", &format!("{BASE}{GHCR}")),
        ("beta", &format!("{BASE}{GHCR}")),
        ("gamma", &format!("{BASE}{GHCR}")),
    ]);
    f.world.knob("hang", "");
    let token = f.world.path("token");
    fs::write(&token, "tok\n").expect("token");
    let mut cmd = f.fioreg(&[
        "--all-factories",
        "--yes",
        "--jobs",
        "1",
        "rotate",
        "ghcr.io",
        "--username",
        "ci",
        "--password-stdin",
    ]);
    cmd.stdin(fs::File::open(&token).expect("open token"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let running = common::Running {
        child: Some(cmd.spawn().expect("spawn fioreg")),
    };
    let hung = f.world.wait_for_hang_pid();
    running.signal(libc::SIGINT);
    assert!(
        common::wait_dead(hung),
        "the hanging fioctl was not stopped"
    );
    let (code, out, err) = running.finish();
    assert_eq!(code, Some(130), "{out}\n{err}");
    // Only the first factory's call was started; the other two never were.
    assert_eq!(f.updates().len(), 1, "{:?}", f.updates());
    assert_eq!(row(&out, "acme"), "acme FAILED unknown unchanged -");
    assert!(
        out.contains("beta (FAILED): not started: interrupted"),
        "{out}"
    );
    assert!(
        out.contains("gamma (FAILED): not started: interrupted"),
        "{out}"
    );
    assert!(
        err.contains("interrupted: 3 of 3 factories not done"),
        "{err}"
    );
}

#[test]
fn verify_tests_the_login_once_for_every_factory_that_has_the_registry_and_stores_nothing() {
    let reg = registry::Registry::start(registry::Config {
        auth: registry::Auth::Htpasswd(vec![("ci-bot".into(), "pull-pass-1".into())]),
        tls: None,
    });
    let local = format!(
        "container_registries:\n- type: generic\n  url: {}\n  generic_secret_name: local_creds\n",
        reg.addr
    );
    let f = Fleet::new(&[
        ("acme", &format!("{BASE}{local}")),
        ("beta", &format!("{BASE}{local}")),
        ("gamma", BASE),
    ]);
    let verify = |password: &str| {
        run(
            f.fioreg(&[
                "--all-factories",
                "verify",
                "local_creds",
                "--username",
                "ci-bot",
                "--password-stdin",
                "--insecure-registry",
            ]),
            &format!("{password}\n"),
        )
    };
    let (code, out, err) = verify("pull-pass-1");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(row(&out, "acme"), format!("acme {} accepted", reg.addr));
    assert_eq!(row(&out, "beta"), format!("beta {} accepted", reg.addr));
    assert_eq!(row(&out, "gamma"), "gamma - skipped: not configured");
    assert!(out.contains("Nothing was stored."), "{out}");

    let (code, out, err) = verify("wrong");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_eq!(row(&out, "acme"), format!("acme {} FAILED", reg.addr));
    assert!(out.contains("rejected these credentials"), "{out}");
    assert!(
        !out.contains("wrong") && !err.contains("wrong"),
        "{out}\n{err}"
    );
    assert!(
        err.contains("the login test failed in 2 factories"),
        "{err}"
    );
    assert!(f.updates().is_empty());
}

#[test]
fn a_factory_whose_plan_is_refused_is_listed_and_the_others_are_applied() {
    let clash = "container_registries:\n- type: generic\n  url: docker.io\n  generic_secret_name: ghcr_creds\n";
    let f = Fleet::new(&[
        ("acme", BASE),
        ("beta", &format!("{BASE}{clash}")),
        ("gamma", BASE),
    ]);
    // gamma's checkout has uncommitted changes of its own: --commit refuses it.
    fs::write(f.config_path("gamma"), format!("{BASE}# local edit\n")).expect("edit");
    let (code, out, err) = run(
        f.fioreg(&[
            "--all-factories",
            "--yes",
            "--commit",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
        ]),
        "tok\n",
    );
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains("3 factories: 1 to change, 0 skipped, 2 refused."),
        "{out}"
    );
    assert!(
        out.contains("Will not be changed: the secret name `ghcr_creds` is already used"),
        "{out}"
    );
    assert_eq!(
        row(&out, "acme").split(' ').take(4).collect::<Vec<_>>(),
        ["acme", "ok", "stored", "written"]
    );
    assert_eq!(row(&out, "beta"), "beta REFUSED - - -");
    assert_eq!(row(&out, "gamma"), "gamma REFUSED - - -");
    assert!(
        err.contains("2 of 3 factories not done (beta, gamma)"),
        "{err}"
    );
    assert_eq!(f.config("acme"), added());
    assert_eq!(f.commits("acme"), 2);
    assert_eq!(f.config("beta"), format!("{BASE}{clash}"));
    assert_eq!(f.config("gamma"), format!("{BASE}# local edit\n"));
    assert_eq!(f.updates().len(), 1, "{:?}", f.updates());
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
}

#[test]
fn the_tui_rotates_a_registry_in_the_factories_chosen_on_start() {
    let (f, ghcr) = three_with_ghcr();
    let mut p = f.wizard(&["--all-factories"]);
    // Start: the factories side by side, each chosen; gamma is left out with Space.
    p.wait_for("[x] factory gamma");
    assert!(
        p.contents().contains("[x] factory acme"),
        "{}",
        p.contents()
    );
    // The cursor starts on the first action, the boxes above it.
    p.send("\x1b[A");
    p.press(" ", "[ ] factory gamma");
    p.send(DOWN);
    p.send(DOWN);
    tui_rotate_ghcr_in_acme_and_beta(&mut p, "tok-tui-1");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    common::pty::assert_terminal_restored(&out);
    assert_rotated_in_acme_and_beta(&f, &ghcr, "tok-tui-1", &plain_text(&out));
}

#[test]
fn the_line_prompts_rotate_a_registry_in_the_factories_named_once() {
    let ghcr = format!("{BASE}{GHCR}");
    let f = Fleet::new(&[("acme", &ghcr), ("beta", &ghcr), ("gamma", BASE)]);
    for name in ["acme", "beta"] {
        f.store(name, "ghcr_creds", "ci:old-token");
    }
    let mut p = f.wizard(&["--plain", "--all-factories"]);
    p.expect("registry acme beta gamma");
    // Asked once: every factory is the default; a name that is none of them is refused.
    p.expect("Which factories?");
    p.send("acme, delta\r");
    p.expect("delta is not one of the factories (acme, beta, gamma)");
    p.expect("Which factories?");
    p.send("\r");
    p.expect("What do you want to do?");
    // Add, Rotate.
    p.send(DOWN);
    p.send("\r");
    p.expect("Which registry gets new credentials?");
    p.expect("generic ghcr.io (in acme, beta, secret ghcr_creds)");
    p.send("\r");
    p.expect("User name");
    p.send("ci\r");
    p.expect("Token (hidden");
    p.send("tok-plain-1\r");
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
    // One plan: each factory's redacted call, gamma skipped, the counts; one confirmation.
    p.expect("━━ factory acme");
    p.expect("fioctl --factory acme secrets update ghcr_creds==<user ci, token>");
    p.expect("━━ factory beta");
    p.expect("━━ factory gamma");
    p.expect("Skipped:");
    p.expect("3 factories: 2 to change, 1 skipped, 0 refused.");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("FACTORY");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    let out = plain_text(&out);
    assert_eq!(row(&out, "acme"), "acme ok stored unchanged -");
    assert_eq!(row(&out, "beta"), "beta ok stored unchanged -");
    assert_eq!(row(&out, "gamma"), "gamma skipped - - -");
    // The same change as one command, for the factories it was applied in.
    assert!(
        out.contains(
            "The same from a script:\n  fioreg --factory acme --factory beta rotate ghcr.io \
             --username ci --password-stdin"
        ),
        "{out}"
    );
    assert!(!out.contains("tok-plain-1"), "the token was shown");
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-plain-1")
    );
    assert_eq!(
        f.secret("beta", "ghcr_creds").as_deref(),
        Some("ci:tok-plain-1")
    );
    assert_eq!(f.secret("gamma", "ghcr_creds"), None);
    assert_eq!(f.updates().len(), 2, "{:?}", f.updates());
    f.world.assert_handed_over_by_pipe(2);
    assert_eq!(f.config("acme"), ghcr);
    assert_eq!(f.config("beta"), ghcr);
    assert_eq!(f.config("gamma"), BASE);
    f.world.assert_no_file_holds("tok-plain-1");
}

#[test]
fn the_tui_applies_the_other_factories_when_one_fails_and_exits_non_zero() {
    let ghcr = format!("{BASE}{GHCR}");
    let f = Fleet::new(&[("acme", &ghcr), ("beta", &ghcr), ("gamma", BASE)]);
    f.fail_updates_of("beta", "HTTP error during PATCH: 403 Forbidden");
    let mut p = f.wizard(&[
        "--factory",
        "acme",
        "--factory",
        "beta",
        "--factory",
        "gamma",
    ]);
    p.wait_for("[x] factory gamma");
    // The cursor starts on Add; Rotate is next.
    p.send(DOWN);
    p.press(ENTER, "Which registry gets new credentials?");
    p.press(ENTER, "User name");
    p.send("ci");
    p.send(TAB);
    p.send("tok-fail-1");
    p.wait_for("••••••••••");
    p.press(ENTER, "━━ factory acme");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "FACTORY");
    p.wait_until("the failed row", |p| {
        let screen = p
            .contents()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        screen.contains("beta FAILED NOT stored unchanged -")
    });
    p.wait_for("1 of 3 factories not done (beta)");
    // What finishes only the rest, as one command.
    p.wait_for("To finish only the rest from a script:");
    p.wait_for("fioreg --factory beta rotate ghcr.io --username ci --password-stdin");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 1, "{out}");
    let out = plain_text(&out);
    assert_eq!(row(&out, "acme"), "acme ok stored unchanged -");
    assert_eq!(row(&out, "beta"), "beta FAILED NOT stored unchanged -");
    assert_eq!(row(&out, "gamma"), "gamma skipped - - -");
    assert!(out.contains("403 Forbidden"), "{out}");
    assert!(
        out.contains("fioreg: error: 1 of 3 factories not done (beta); the others were not undone"),
        "{out}"
    );
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-fail-1")
    );
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
    assert_eq!(f.config("beta"), ghcr);
    assert_eq!(f.config("gamma"), BASE);
    assert!(!out.contains("tok-fail-1"), "the token was shown");
}

#[test]
fn the_line_prompts_add_a_registry_to_every_chosen_factory_then_remove_it_with_its_secret() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE)]);
    let mut p = f.wizard(&["--plain", "--all-factories"]);
    add_ghcr_in_every_factory(&mut p, "tok-add-1");
    p.expect("━━ factory acme");
    p.expect("fioctl --factory acme secrets update ghcr_creds==<user ci, token>");
    p.expect("━━ factory beta");
    p.expect("2 factories: 2 to change, 0 skipped, 0 refused.");
    // The commit in each checkout is offered; Enter keeps the default, no commit.
    p.expect("Commit each changed factory-config.yml in its own checkout after applying?");
    p.send("\r");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("FACTORY");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    let out = plain_text(&out);
    assert_eq!(row(&out, "acme"), "acme ok stored written -");
    assert_eq!(row(&out, "beta"), "beta ok stored written -");
    assert!(
        out.contains("Commit and push each written factory-config.yml"),
        "{out}"
    );
    assert!(!out.contains("tok-add-1"), "the token was shown");
    for name in ["acme", "beta"] {
        assert_eq!(f.config(name), added(), "{name}");
        assert_eq!(
            f.secret(name, "ghcr_creds").as_deref(),
            Some("ci:tok-add-1")
        );
    }
    f.world.assert_handed_over_by_pipe(2);
    f.world.assert_no_file_holds("tok-add-1");

    // Remove it from both, with its secret, committing each config (`--commit`, as the
    // subcommands): one question for all.
    f.store("acme", "other", "x");
    for name in ["acme", "beta"] {
        f.git(name, &["commit", "-qam", "the added entry"]);
    }
    let mut p = f.wizard(&[
        "--plain",
        "--commit",
        "--factory",
        "acme",
        "--factory",
        "beta",
    ]);
    p.expect("Which factories?");
    p.send("\r");
    p.expect("What do you want to do?");
    // Add, Rotate, Remove.
    p.send(&DOWN.repeat(2));
    p.send("\r");
    p.expect("Which registry should be removed?");
    p.expect("generic ghcr.io (in acme, beta, secret ghcr_creds)");
    p.send("\r");
    p.expect("Also delete its secret ghcr_creds from each factory?");
    p.send("y\r");
    p.expect("━━ factory acme");
    p.expect("Commit factory-config.yml");
    p.expect("━━ factory beta");
    p.expect("2 factories: 2 to change, 0 skipped, 0 refused.");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("FACTORY");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    let out = plain_text(&out);
    for name in ["acme", "beta"] {
        assert_committed(&f, &out, name, "deleted", 3);
        assert!(!f.config(name).contains("ghcr"), "{}", f.config(name));
        assert_eq!(f.secret(name, "ghcr_creds"), None);
    }
    assert_eq!(f.secret("acme", "other").as_deref(), Some("x"));
}

#[test]
fn the_line_prompts_commit_each_written_config_and_a_dirty_checkout_is_refused() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE), ("gamma", BASE)]);
    // gamma's checkout has uncommitted changes of its own: committing there is refused.
    let dirty = format!("{BASE}# local edit\n");
    fs::write(f.config_path("gamma"), &dirty).expect("edit");
    let mut p = f.wizard(&["--plain", "--all-factories"]);
    add_ghcr_in_every_factory(&mut p, "tok-commit-1");
    p.expect("3 factories: 3 to change, 0 skipped, 0 refused.");
    p.expect("Commit each changed factory-config.yml in its own checkout after applying?");
    p.send("y\r");
    p.expect("acme: Then commit factory-config.yml in");
    p.expect("beta: Then commit factory-config.yml in");
    p.expect("gamma: will not be changed:");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("FACTORY");
    let (code, out) = p.finish();
    assert_eq!(code, 1, "gamma was not done: {out}");
    let out = plain_text(&out);
    for name in ["acme", "beta"] {
        assert_committed(&f, &out, name, "stored", 2);
        assert_eq!(f.config(name), added(), "{name}");
    }
    assert_eq!(row(&out, "gamma"), "gamma REFUSED - - -");
    assert_eq!(f.config("gamma"), dirty);
    assert_eq!(f.commits("gamma"), 1);
    assert_eq!(f.secret("gamma", "ghcr_creds"), None);
    assert!(!out.contains("tok-commit-1"), "the token was shown");
    f.world.assert_no_file_holds("tok-commit-1");
}

#[test]
fn the_tui_commits_each_written_config_when_the_review_box_is_checked() {
    let f = Fleet::new(&[("acme", BASE), ("beta", BASE)]);
    let mut p = f.wizard(&["--all-factories"]);
    p.wait_for("[x] factory beta");
    // Add (the cursor starts on it), generic (the fourth type).
    p.press(ENTER, "Which kind of registry should CI pull from?");
    p.send(&DOWN.repeat(3));
    p.press(ENTER, "Registry host");
    p.send("ghcr.io");
    p.press(ENTER, "User name");
    p.send("ci");
    p.send(TAB);
    p.send("tok-tui-commit");
    p.wait_for("••••••••••••••");
    p.press(ENTER, "━━ factory acme");
    p.wait_for("[ ] commit each changed factory-config.yml in its own checkout");
    // Space checks it: the plan for all now commits in each checkout; again unchecks it.
    p.press(
        " ",
        "[x] commit each changed factory-config.yml in its own checkout",
    );
    p.wait_until("the commit step", |p| {
        p.contents().contains("Commit factory-config.yml")
    });
    p.press(" ", "[ ] commit each changed");
    p.wait_until("no commit step", |p| {
        !p.contents().contains("Commit factory-config.yml")
    });
    p.press(" ", "[x] commit each changed");
    p.wait_until("the commit step", |p| {
        p.contents().contains("Commit factory-config.yml")
    });
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "FACTORY");
    p.wait_until("both rows", |p| {
        let screen = p
            .contents()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        screen.contains("acme ok stored written") && screen.contains("beta ok stored written")
    });
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    let out = plain_text(&out);
    for name in ["acme", "beta"] {
        let id = f.git(name, &["rev-parse", "--short", "HEAD"]);
        assert_eq!(row(&out, name), format!("{name} ok stored written {id}"));
        assert_eq!(f.commits(name), 2, "{name}");
        assert_eq!(f.config(name), added(), "{name}");
    }
    assert!(
        out.contains("--username ci --password-stdin --commit"),
        "the same from a script commits too: {out}"
    );
    assert!(!out.contains("tok-tui-commit"), "the token was shown");
}

#[test]
fn ctrl_c_in_the_tui_while_applying_starts_no_other_factory() {
    let ghcr = format!("{BASE}{GHCR}");
    let f = Fleet::new(&[("acme", &ghcr), ("beta", &ghcr), ("gamma", &ghcr)]);
    let mut p = f.wizard(&["--all-factories", "--jobs", "1"]);
    p.wait_for("[x] factory gamma");
    // From now on every fioctl call takes 2 s: acme's is still running when Ctrl-C comes.
    fs::write(f.world.stub().join("delay"), "2\n").expect("delay knob");
    p.send(DOWN);
    p.press(ENTER, "Which registry gets new credentials?");
    p.press(ENTER, "User name");
    p.send("ci");
    p.send(TAB);
    p.send("tok-stop-1");
    p.wait_for("••••••••••");
    p.press(ENTER, "━━ factory acme");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Applying:");
    // Ctrl-C once acme's call is running (the stand-in records a call before its delay).
    p.wait_until("acme's secrets update", |_| !f.updates().is_empty());
    p.press("\x03", "Ctrl-C: no other factory is started");
    p.wait_for("FACTORY");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 130, "{out}");
    let out = plain_text(&out);
    assert_eq!(row(&out, "acme"), "acme ok stored unchanged -");
    assert_eq!(row(&out, "beta"), "beta FAILED - - -");
    assert_eq!(row(&out, "gamma"), "gamma FAILED - - -");
    assert!(out.contains("not started: interrupted"), "{out}");
    assert!(
        out.contains("fioreg: interrupted: 2 of 3 factories not done (beta, gamma)"),
        "{out}"
    );
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some("ci:tok-stop-1")
    );
    assert_eq!(f.secret("beta", "ghcr_creds"), None);
    assert_eq!(f.updates().len(), 1, "{:?}", f.updates());
}

/// Three remembered factories with ghcr.io and its old token; `fioreg --factory acme` works
/// on acme alone until Start's item switches it across them.
/// The full-screen wizard, Rotate chosen with acme and beta: the registry, `ci` and `token`,
/// one plan for the two (gamma not in it), Apply, and Done's rows for both.
fn tui_rotate_ghcr_in_acme_and_beta(p: &mut Pty, token: &str) {
    p.press(ENTER, "Which registry gets new credentials?");
    p.wait_for("in acme, beta");
    p.press(
        ENTER,
        "Rotating: generic ghcr.io (in acme, beta), secret ghcr_creds",
    );
    p.wait_for("User name");
    p.send("ci");
    p.send(TAB);
    p.send(token);
    p.wait_for(&"•".repeat(token.chars().count()));
    // One plan for the two chosen factories, each with its redacted fioctl call.
    p.press(ENTER, "━━ factory acme");
    p.wait_for("fioctl --factory acme secrets update ghcr_creds==<user ci, token>");
    assert!(!p.contents().contains("factory gamma"), "{}", p.contents());
    p.press(TAB, "[▸ Apply ]");
    // Done: the CLI's summary table.
    p.press(ENTER, "FACTORY");
    p.wait_until("both rows", |p| {
        let screen = p
            .contents()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        screen.contains("acme ok stored unchanged -")
            && screen.contains("beta ok stored unchanged -")
    });
}

fn three_with_ghcr() -> (Fleet, String) {
    let ghcr = format!("{BASE}{GHCR}");
    let f = Fleet::new(&[("acme", &ghcr), ("beta", &ghcr), ("gamma", &ghcr)]);
    for name in ["acme", "beta", "gamma"] {
        f.store(name, "ghcr_creds", "ci:old-token");
    }
    (f, ghcr)
}

/// acme and beta got the new token through a pipe, gamma kept its old one, and every
/// config (and its git history) is as it was.
fn assert_rotated_in_acme_and_beta(f: &Fleet, ghcr: &str, token: &str, out: &str) {
    assert_eq!(row(out, "acme"), "acme ok stored unchanged -");
    assert_eq!(row(out, "beta"), "beta ok stored unchanged -");
    assert!(!out.contains("gamma ok"), "{out}");
    assert!(!out.contains(token), "the token was shown");
    let new = format!("ci:{token}");
    assert_eq!(
        f.secret("acme", "ghcr_creds").as_deref(),
        Some(new.as_str())
    );
    assert_eq!(
        f.secret("beta", "ghcr_creds").as_deref(),
        Some(new.as_str())
    );
    assert_eq!(
        f.secret("gamma", "ghcr_creds").as_deref(),
        Some("ci:old-token")
    );
    let updated: Vec<String> = f
        .updates()
        .into_iter()
        .map(|(factory, args)| {
            assert!(args.starts_with("ghcr_creds==/dev/fd/"), "{args}");
            factory
        })
        .collect();
    assert_eq!(updated, ["acme", "beta"]);
    f.world.assert_handed_over_by_pipe(2);
    for name in ["acme", "beta", "gamma"] {
        assert_eq!(f.config(name), ghcr, "{name}");
        assert_eq!(f.commits(name), 1, "{name}");
    }
    f.world.assert_no_file_holds(token);
}

#[test]
fn the_tui_of_one_factory_switches_on_start_and_rotates_in_the_factories_chosen() {
    let (f, ghcr) = three_with_ghcr();
    let mut p = f.wizard(&["--factory", "acme"]);
    // acme's own Start, the factories side by side, and the item that works across them.
    p.wait_for("Work on several of these factories at once");
    assert!(p.contents().contains("acme beta gamma"), "{}", p.contents());
    // Add, Rotate, Remove, the containers.git scan, then the switch.
    for _ in 0..4 {
        p.send(DOWN);
    }
    p.wait_for("▸ Work on several");
    // Across factories: acme alone chosen; Esc goes back to acme's Start, Enter again.
    p.press(ENTER, "[ ] factory gamma");
    p.wait_for("1 of 3 factories");
    let screen = p.contents();
    assert!(screen.contains("[x] factory acme"), "{screen}");
    assert!(screen.contains("[ ] factory beta"), "{screen}");
    assert!(screen.contains("Chosen: acme;"), "{screen}");
    p.press("\x1b", "▸ Work on several");
    assert!(
        !p.contents().contains("[x] factory acme"),
        "{}",
        p.contents()
    );
    p.press(ENTER, "[ ] factory beta");
    // beta chosen with Space (the cursor starts on acme's box), then Rotate.
    p.send(DOWN);
    p.press(" ", "[x] factory beta");
    p.wait_for("2 of 3 factories");
    p.send(DOWN);
    p.send(DOWN);
    p.send(DOWN);
    tui_rotate_ghcr_in_acme_and_beta(&mut p, "tok-switch-1");
    assert!(p.contents().contains("✓ Apply"), "{}", p.contents());
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    common::pty::assert_terminal_restored(&out);
    assert_rotated_in_acme_and_beta(&f, &ghcr, "tok-switch-1", &plain_text(&out));
}

#[test]
fn the_line_prompts_of_one_factory_switch_on_start_and_rotate_in_the_factories_named() {
    let (f, ghcr) = three_with_ghcr();
    let mut p = f.wizard(&["--plain", "--factory", "acme"]);
    p.expect("registry acme beta gamma");
    p.expect("What do you want to do?");
    p.expect("Work on several of these factories at once");
    // Add, Rotate, Remove, the containers.git scan, then the switch.
    for _ in 0..4 {
        p.send(DOWN);
    }
    p.send("\r");
    p.expect("Several factories: each with its remembered factory-config.yml");
    p.expect("Chosen: acme;");
    // Esc at the factories goes back to acme alone; choosing the item again comes back.
    p.expect("Which factories?");
    p.send("\x1b");
    p.expect("Back to one factory: acme");
    p.expect("What do you want to do?");
    for _ in 0..4 {
        p.send(DOWN);
    }
    p.send("\r");
    p.expect("Which factories?");
    p.send("acme, beta\r");
    p.expect("What do you want to do?");
    p.send(DOWN);
    p.send("\r");
    p.expect("Which registry gets new credentials?");
    p.expect("generic ghcr.io (in acme, beta, secret ghcr_creds)");
    p.send("\r");
    p.expect("User name");
    p.send("ci\r");
    p.expect("Token (hidden");
    p.send("tok-switch-2\r");
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
    p.expect("━━ factory acme");
    p.expect("fioctl --factory acme secrets update ghcr_creds==<user ci, token>");
    p.expect("━━ factory beta");
    p.expect("2 factories: 2 to change, 0 skipped, 0 refused.");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("FACTORY");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    assert_rotated_in_acme_and_beta(&f, &ghcr, "tok-switch-2", &plain_text(&out));
}
