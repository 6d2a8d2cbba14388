//! The full-screen wizard end to end: the real binary in a pseudo-terminal (expectrl), its
//! output fed to a terminal emulator (vt100) so tests read the screen as a person sees it, and
//! the fioctl stand-in (tests/support/fioctl) as the factory.
//!
//! Each test waits for text on the screen (polling the pty, with a generous deadline), never
//! for a fixed time.
//!
//! The registries here are made up, so the wizard runs with `--no-verify`; one test walks the
//! login test against a real registry on loopback (tests/support/registry.rs).

#[path = "support/registry.rs"]
mod registry;

mod common;

use common::pty::*;
use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Start -> Provider (the `downs`-th) -> Registry.
fn choose_provider(p: &mut Pty, downs: usize, registry_label: &str) {
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    for _ in 0..downs {
        p.send(DOWN);
    }
    p.press(ENTER, registry_label);
}

/// Review -> Apply -> Done; then quit.
fn apply_and_quit(p: &mut Pty, summary: &str) -> (i32, String) {
    p.wait_for(&format!("Plan: {summary}"));
    // Focus starts on Back: Enter now would go back, so move to Apply first.
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, &format!("Done: {summary}"));
    p.wait_for("The same from a script:");
    p.send("q");
    p.finish()
}

#[test]
fn aws_whole_flow() {
    let w = World::new(BASE);
    let mut p = w.wizard();
    choose_provider(&mut p, 0, "Registry URL");
    p.send(AWS_URL);
    p.wait_for("Region ✓");
    assert!(p.contents().contains("us-east-2"));
    p.press(ENTER, "looks personal: prefer a pull-only IAM user");
    p.wait_for("▸ ci-pull");
    assert!(p.contents().contains("AKIA••••0001"), "{}", p.contents());
    assert!(p.contents().contains("disabled: temporary keys"));
    assert!(!p.contents().contains(AWS_SECRET_KEY));
    p.press(
        ENTER,
        "aws_creds==<AWS credentials: profile ci-pull as [default], 2 keys>",
    );
    let (code, out) = apply_and_quit(&mut p, &format!("add aws {AWS_URL}"));
    assert_eq!(code, 0, "{out}");
    assert_terminal_restored(&out);
    assert!(
        w.config().ends_with(&format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
        )),
        "{}",
        w.config()
    );
    assert!(w.config().starts_with(BASE));
    assert_eq!(
        w.stored("aws_creds").expect("stored"),
        format!(
            "[default]\naws_access_key_id = AKIAEXAMPLEPULL00001\naws_secret_access_key = {AWS_SECRET_KEY}\n"
        )
        .into_bytes()
    );
    assert!(!out.contains(AWS_SECRET_KEY), "the secret key was shown");
}

#[test]
fn azure_whole_flow() {
    let w = World::new(BASE);
    let mut p = w.wizard();
    choose_provider(&mut p, 1, "Registry URL");
    p.send("acmeprod.azurecr.io");
    p.wait_for("Registry URL ✓");
    p.press(ENTER, "Client (application) id");
    p.send("1f2e3d4c-0000-1111-2222-33334444559a");
    p.send(TAB);
    p.send("pa55-w0rd");
    p.wait_for("•••••••••");
    p.press(ENTER, "azprincipal==<service principal 1f2e…9a, password>");
    let (code, out) = apply_and_quit(&mut p, "add azure acmeprod.azurecr.io");
    assert_eq!(code, 0, "{out}");
    assert!(w.config().ends_with(
        "container_registries:\n- type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n"
    ));
    assert_eq!(
        w.stored("azprincipal").expect("stored"),
        b"1f2e3d4c-0000-1111-2222-33334444559a:pa55-w0rd"
    );
    assert!(!out.contains("pa55-w0rd"), "the password was shown");
}

#[test]
fn gar_whole_flow_with_path_completion() {
    let w = World::new(BASE);
    let key = fs::read(format!("{ROOT}/tests/fixtures/gcp/sa-key.json")).expect("fixture");
    fs::write(w.path("sa-key.json"), &key).expect("key");
    let mut p = w.wizard();
    choose_provider(&mut p, 2, "Location URL (optional)");
    p.send("europe-west4-docker.pkg.dev");
    p.wait_for("Location URL (optional) ✓");
    p.press(ENTER, "Key file");
    // Tab completes the unique file name from the filesystem.
    p.send(&format!("{}/sa-", w.dir.path().display()));
    p.press(TAB, "sa-key.json");
    p.wait_for("✓ service account");
    p.wait_for("ci-pull@fioreg-test.iam.gserviceaccount.com");
    p.press(ENTER, "gcp_creds==<GCP service-account key");
    let (code, out) = apply_and_quit(&mut p, "add gar europe-west4-docker.pkg.dev");
    assert_eq!(code, 0, "{out}");
    assert!(w.config().ends_with(
        "container_registries:\n- type: gar\n  url: europe-west4-docker.pkg.dev\n  gar_creds_secret_name: gcp_creds\n"
    ));
    assert_eq!(w.stored("gcp_creds").expect("stored"), key);
}

#[test]
fn generic_whole_flow_with_back_navigation() {
    let w = World::new(BASE);
    let mut p = w.wizard();
    choose_provider(&mut p, 3, "Registry host");
    p.send("ghcr.io");
    p.wait_for("ghcr_creds");
    p.press(ENTER, "User name");
    p.send("ci-bot");
    p.send(TAB);
    p.send("tok3n");
    p.wait_for("•••••");
    // Esc goes back one step and keeps the answers; q is a letter in a text field.
    p.press(ESC, "Registry host ✓");
    assert!(p.contents().contains("ghcr.io"));
    p.press(ENTER, "User name");
    p.wait_for("ci-bot");
    p.wait_for("•••••");
    p.press(ENTER, "ghcr_creds==<user ci-bot, token>");
    // Esc on Review goes back too, then forward again.
    p.press(ESC, "User name");
    p.press(ENTER, "ghcr_creds==<user ci-bot, token>");
    let (code, out) = apply_and_quit(&mut p, "add generic ghcr.io");
    assert_eq!(code, 0, "{out}");
    assert!(w.config().ends_with(
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    ));
    assert_eq!(w.stored("ghcr_creds").expect("stored"), b"ci-bot:tok3n");
    assert!(out.contains("The same from a script:"), "{out}");
    assert!(out.contains("  fioreg --config"), "{out}");
}

#[test]
fn start_shows_registries_with_their_secrets() {
    let w = World::new(&format!(
        "{BASE}container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n\
         - type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n"
    ));
    let dir = w.path("stub/factories/acme/secrets");
    fs::create_dir_all(&dir).expect("secrets dir");
    fs::write(dir.join("ghcr_creds"), "x:y").expect("secret");
    let mut p = w.wizard();
    p.wait_for("secret ghcr_creds: present");
    p.wait_for("secret azprincipal: MISSING");
    // `fioreg check`'s findings, with their fix.
    p.wait_for("Check: 1 error, 0 warnings");
    p.wait_for("secret `azprincipal` does not exist in the factory");
    p.wait_for("fix: store it with `fioreg add azure ...`");
    p.wait_for("Rotate a registry's credentials");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0);
    assert_terminal_restored(&out);
}

#[test]
fn secrets_are_listed_in_the_background() {
    let w = World::new(&format!(
        "{BASE}container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    ));
    // `secrets list` hangs: the screen must not.
    fs::write(w.path("stub/hang"), "").expect("knob");
    let mut p = w.wizard();
    p.wait_for("secret ghcr_creds: checking…");
    p.press(ENTER, "Which kind of registry");
    p.press(ESC, "Add a registry");
    assert!(p.contents().contains("checking…"));
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    assert_terminal_restored(&out);
    // The stand-in's sleeping `secrets list` outlives the wizard: stop it.
    if let Ok(pid) = fs::read_to_string(w.path("stub/hang.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
}

#[test]
fn a_failed_apply_says_what_was_and_was_not_changed() {
    let w = World::new(BASE);
    fs::write(w.path("stub/fail_update"), "quota exceeded\n").expect("knob");
    let mut p = w.wizard();
    choose_provider(&mut p, 3, "Registry host");
    p.send("ghcr.io");
    p.press(ENTER, "User name");
    p.send("ci-bot");
    p.send(TAB);
    p.send("tok3n");
    p.press(ENTER, "Plan: add generic ghcr.io");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Applying failed:");
    p.wait_for("ERROR: quota exceeded");
    p.wait_for("Nothing was changed: the secret was not stored");
    p.wait_for("✗ Store the secret ghcr_creds in the factory (failed)");
    // Esc goes back to the review; q quits, and the error is repeated on the normal screen.
    p.press(ESC, "[▸ Back ]");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fioreg: error:"), "{out}");
    assert_terminal_restored(&out);
    assert_eq!(w.config(), BASE);
    assert_eq!(w.stored("ghcr_creds"), None);
}

#[test]
fn ctrl_c_in_the_middle_changes_nothing_and_restores_the_terminal() {
    let w = World::new(BASE);
    let before = w.config();
    let mut p = w.wizard();
    choose_provider(&mut p, 3, "Registry host");
    p.send("ghcr.io");
    p.press(ENTER, "User name");
    p.send("ci-bot");
    p.send(TAB);
    p.send("half-typed");
    p.wait_for("••••••••••");
    // While the wizard runs, the terminal is in raw mode.
    let lflags = p.lflags();
    assert_eq!(lflags & libc::ICANON, 0, "not in raw mode");
    assert_eq!(lflags & libc::ECHO, 0, "echo is on while the wizard runs");
    p.send(CTRL_C);
    let (code, out) = p.finish();
    assert_eq!(code, 130, "{out}");
    assert!(out.contains("interrupted: nothing was changed"), "{out}");
    assert_terminal_restored(&out);
    // And the pty itself is back in cooked mode.
    let lflags = p.lflags();
    assert_ne!(lflags & libc::ICANON, 0);
    assert_ne!(lflags & libc::ECHO, 0);
    assert_eq!(w.config(), before);
    assert_eq!(w.stored("ghcr_creds"), None);
    assert!(!w.calls().contains("update"), "{}", w.calls());
}

#[test]
fn demo_walk_ends_on_done_with_the_scratch_secret() {
    let w = World::new(BASE);
    let mut p = w.spawn(&["--demo"]);
    p.wait_for("DEMO");
    choose_provider(&mut p, 3, "Registry host");
    assert!(p.contents().contains("DEMO"));
    p.send("registry.gitlab.com");
    p.wait_for("registry_gitlab_creds");
    p.press(ENTER, "User name");
    assert!(p.contents().contains("DEMO"));
    p.send("ci-bot");
    p.send(TAB);
    p.send("glpat-t0ken");
    p.wait_for("•••••••••••");
    p.press(ENTER, "DEMO: the secret goes to a scratch folder");
    let (code, out) = apply_and_quit(&mut p, "add generic registry.gitlab.com");
    assert_eq!(code, 0, "{out}");
    // The wizard said where the scratch files are; so does the line after it.
    let secrets = out
        .rsplit("the stored secrets are in ")
        .next()
        .and_then(|r| r.lines().next())
        .map(|l| PathBuf::from(l.trim()))
        .expect("the scratch folder is named");
    assert!(secrets.starts_with(w.dir.path()), "{}", secrets.display());
    let file = secrets.join("registry_gitlab_creds");
    assert_eq!(
        fs::read(&file).expect("scratch secret"),
        b"ci-bot:glpat-t0ken"
    );
    assert_eq!(
        fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    let config =
        fs::read_to_string(secrets.with_file_name("factory-config.yml")).expect("scratch config");
    assert!(
        config
            .contains("  url: registry.gitlab.com\n  generic_secret_name: registry_gitlab_creds\n")
    );
    // The real config and the stand-in were never touched.
    assert_eq!(w.config(), BASE);
    assert_eq!(w.calls(), "");
}

const GHCR: &str = "container_registries:\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";

#[test]
fn rotate_stores_new_credentials_and_keeps_the_config_byte_identical() {
    let config = format!("{BASE}{GHCR}");
    let w = World::new(&config);
    let dir = w.path("stub/factories/acme/secrets");
    fs::create_dir_all(&dir).expect("secrets dir");
    fs::write(dir.join("ghcr_creds"), "ci-bot:old-t0ken").expect("secret");
    let mut p = w.wizard();
    p.wait_for("secret ghcr_creds: present");
    p.send(DOWN);
    p.press(ENTER, "Which registry gets new credentials?");
    p.wait_for("▸ generic  ghcr.io");
    p.press(
        ENTER,
        "Rotating: generic ghcr.io (line 10), secret ghcr_creds",
    );
    p.wait_for("User name");
    p.send("ci-bot");
    p.send(TAB);
    p.send("new-t0ken");
    p.wait_for("•••••••••");
    p.press(ENTER, "Plan: rotate generic ghcr.io");
    p.wait_for("ghcr_creds==<user ci-bot, token>");
    p.wait_for("factory-config.yml stays byte-identical: nothing to write or commit.");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Done: rotate generic ghcr.io");
    p.wait_for("rotate ghcr_creds --username ci-bot --password-stdin");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    assert_terminal_restored(&out);
    assert_eq!(w.config(), config, "the config is byte-identical");
    assert_eq!(w.stored("ghcr_creds").expect("stored"), b"ci-bot:new-t0ken");
    assert!(!out.contains("new-t0ken"), "the token was shown");
}

#[test]
fn remove_with_its_secret_deletes_the_lines_and_the_secret() {
    let aws = format!(
        "- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
    );
    let w = World::new(&format!("{BASE}{GHCR}{aws}"));
    let dir = w.path("stub/factories/acme/secrets");
    fs::create_dir_all(&dir).expect("secrets dir");
    fs::write(dir.join("ghcr_creds"), "ci-bot:t0ken").expect("secret");
    fs::write(dir.join("aws_creds"), "[default]\n").expect("secret");
    let mut p = w.wizard();
    p.wait_for("secret ghcr_creds: present");
    p.send(DOWN);
    p.send(DOWN);
    p.press(ENTER, "Which registry should be removed");
    p.wait_for("[ ] also delete its secret ghcr_creds");
    p.press(" ", "[x] also delete its secret ghcr_creds");
    p.press(ENTER, "Plan: remove generic ghcr.io");
    p.wait_for("- - type: generic  # GitHub");
    p.wait_for("fioctl --factory acme secrets update ghcr_creds=");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Done: remove generic ghcr.io");
    p.wait_for("Deleted the secret ghcr_creds from factory acme.");
    p.wait_for("remove ghcr_creds --delete-secret");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    assert_terminal_restored(&out);
    assert_eq!(w.config(), format!("{BASE}container_registries:\n{aws}"));
    assert_eq!(w.stored("ghcr_creds"), None, "the secret was deleted");
    assert!(w.stored("aws_creds").is_some(), "the other secret stays");
    assert!(w.calls().contains("arg: ghcr_creds=\n"), "{}", w.calls());
}

#[test]
fn add_with_the_commit_checkbox_commits_only_the_config() {
    let w = World::new(BASE);
    w.init_repo();
    let mut p = w.wizard();
    choose_provider(&mut p, 3, "Registry host");
    p.send("ghcr.io");
    p.press(ENTER, "User name");
    p.send("ci-bot");
    p.send(TAB);
    p.send("t0ken");
    p.press(ENTER, "Plan: add generic ghcr.io");
    p.wait_for("[ ] commit factory-config.yml in");
    p.press(" ", "[x] commit factory-config.yml in");
    p.wait_for("3. Then commit factory-config.yml");
    p.wait_for("\"container_registries: add generic ghcr.io\"");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Done: add generic ghcr.io");
    p.wait_for("Push it so the next CI build uses it.");
    p.wait_for("--password-stdin --commit");
    p.send("q");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    assert_terminal_restored(&out);
    assert_eq!(
        w.git(&["log", "-1", "--format=%s"]),
        "container_registries: add generic ghcr.io"
    );
    assert_eq!(
        w.git(&["show", "--name-only", "--format=", "HEAD"]),
        "factory-config.yml"
    );
    assert_eq!(
        w.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    assert!(w.config().ends_with(
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    ));
    // A real session records its choices for the next run (never a secret).
    let settings = fs::read_to_string(w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains("[factories.acme]\nconfig = "),
        "{settings}"
    );
    assert!(!settings.contains("t0ken"), "{settings}");
}

#[test]
fn the_login_test_against_a_real_registry_stops_a_wrong_password() {
    const USER: &str = "ci-bot";
    const RIGHT: &str = "right-Pass-7f3a9c51";
    let reg = registry::Registry::start(registry::Config {
        auth: registry::Auth::Htpasswd(vec![(USER.into(), RIGHT.into())]),
        tls: None,
    });
    let url = reg.addr.clone();
    let secret_name = fioreg::provider::Provider::Generic.default_secret_name(Some(&url));
    let w = World::new(BASE);
    let mut p = w.wizard_with(&["--insecure-registry"]);
    choose_provider(&mut p, 3, "Registry host");
    p.send(&url);
    p.wait_for("Registry host ✓");
    p.press(ENTER, "User name");
    p.send(USER);
    p.send(TAB);
    p.send("wrong-Pass-0b2e4d77");
    p.wait_for("•••••••••••••••••••");
    // The wrong password: ✗ with the registry's answer, and nothing goes on from here.
    p.press(ENTER, "Step 5 of 7 · Test login");
    p.wait_for("rejected these credentials (HTTP 401)");
    p.wait_for("Nothing was stored.");
    p.wait_for("r test again · Esc back to credentials");
    assert!(!p.contents().contains("Apply ]"), "{}", p.contents());
    assert_eq!(w.stored(&secret_name), None);
    assert!(!w.calls().contains("update"), "{}", w.calls());
    // Esc: back to the credentials, the answers kept; the password is typed again.
    p.press(ESC, "Step 4 of 7 · Credentials");
    assert!(p.contents().contains(USER), "{}", p.contents());
    p.send("\x15"); // Ctrl-U empties the password field (it has the focus)
    p.wait_until("the password field emptied", |p| {
        !p.contents().contains('•')
    });
    p.send(RIGHT);
    p.wait_for("•••••••••••••••••••");
    p.press(ENTER, &format!("✓ {url} accepted these credentials."));
    p.press(
        ENTER,
        &format!("✓ Login test: {url} accepted these credentials."),
    );
    let (code, out) = apply_and_quit(&mut p, &format!("add generic {url}"));
    assert_eq!(code, 0, "{out}\nregistry log:\n{}", reg.log());
    assert_terminal_restored(&out);
    assert_eq!(
        w.stored(&secret_name).expect("stored"),
        format!("{USER}:{RIGHT}").into_bytes()
    );
    let config = w.config();
    assert!(
        config.ends_with(&format!(
            "container_registries:\n- type: generic\n  url: '{url}'\n  generic_secret_name: {secret_name}\n"
        )),
        "{config}"
    );
    assert!(!out.contains(RIGHT), "the password was shown");
}

/// Not a test: start-to-first-frame time (median of 20 runs) and peak memory, printed.
/// Run with `cargo test --release --test tui_pty -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure_first_frame_and_peak_memory() {
    let w = World::new(&format!(
        "{BASE}container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    ));
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let mut p = w.wizard();
        p.wait_for("Step 1 of 7");
        times.push(start.elapsed());
        p.wait_for("secret ghcr_creds: MISSING");
        p.send("q");
        p.finish();
    }
    times.sort();
    let median = (times[9] + times[10]) / 2;
    println!(
        "first frame: median {:.1} ms (min {:.1}, max {:.1}) over 20 runs",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[19].as_secs_f64() * 1e3
    );

    // Keystroke to redraw: each letter typed into the registry host field, until it shows.
    let mut p = w.wizard();
    p.wait_for("secret ghcr_creds: MISSING");
    choose_provider(&mut p, 3, "Registry host");
    let word = "registryexamplecom";
    let mut typed = String::new();
    let mut key_times = Vec::new();
    for c in word.chars() {
        typed.push(c);
        let start = Instant::now();
        p.send(&c.to_string());
        p.wait_for(&typed);
        key_times.push(start.elapsed());
    }
    p.send("\x03");
    p.finish();
    key_times.sort();
    let n = key_times.len();
    let median = (key_times[(n - 1) / 2] + key_times[n / 2]) / 2;
    println!(
        "keystroke to redraw: median {:.1} ms (min {:.1}, max {:.1}) over {n} keys",
        median.as_secs_f64() * 1e3,
        key_times[0].as_secs_f64() * 1e3,
        key_times[n - 1].as_secs_f64() * 1e3
    );

    // Peak memory of a whole walk (generic flow, through Apply) under GNU time.
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        println!("peak memory: /usr/bin/time not found");
        return;
    }
    let report = w.path("time.txt");
    let config = w.config_path();
    let fioctl = format!("{ROOT}/tests/support/fioctl");
    // The wrapper runs "$0" "$@": here $0 is time(1) itself.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty cols {COLS} rows {ROWS}; \"$0\" \"$@\"; echo \"EXIT=$?\"; echo END-OF-RUN"
        ))
        .arg(time)
        .args(["-v", "-o", report.to_str().expect("utf-8"), BIN])
        .args([
            "--fioctl",
            &fioctl,
            "--factory",
            "acme",
            "--no-verify",
            "--config",
        ])
        .arg(&config)
        .current_dir(w.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", w.dir.path())
        .env("TERM", "xterm-256color")
        .env("FIOCTL_STUB_DIR", w.path("stub"));
    let mut p = Pty::spawn(cmd);
    choose_provider(&mut p, 3, "Registry host");
    p.send("docker.io");
    p.press(ENTER, "User name");
    p.send("ci");
    p.send(TAB);
    p.send("tok");
    p.press(ENTER, "Plan: add generic docker.io");
    apply_and_quit(&mut p, "add generic docker.io");
    let text = fs::read_to_string(&report).expect("time report");
    let rss = text
        .lines()
        .find(|l| l.contains("Maximum resident set size"))
        .unwrap_or("Maximum resident set size: unknown");
    println!("peak memory (whole generic walk): {}", rss.trim());
}
