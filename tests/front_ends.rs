//! One wizard, three front ends: for the same answers, the scriptable CLI, the full-screen TUI and
//! the line prompts must leave byte-identical factory-config.yml, the same stored secret, the
//! same exit code and the same report. Each front end runs as the real binary in a
//! pseudo-terminal against the fioctl stand-in, in a world of its own; the worlds are compared.

mod common;

use common::pty::*;
use common::*;

const TOKEN: &str = "s3cr3t-t0ken";
const GHCR: &str = "container_registries:\n- type: generic   # the team's mirror\n  url: ghcr.io\n  generic_secret_name: team_ghcr   # kept\n";

/// What a run left behind.
#[derive(Debug, PartialEq, Eq)]
struct Result {
    code: i32,
    config: String,
    secret: Option<Vec<u8>>,
    /// The report, from `✓ Done:` to its last line (the device advice after an add).
    report: String,
    /// The last line fioreg printed on its own (`fioreg: ...`), if any.
    last_words: Option<String>,
}

impl Result {
    fn of(w: &World, secret: &str, code: i32, out: &str) -> Result {
        // Each world is its own temporary directory: name it the same in every report.
        let text = plain_text(out).replace(w.dir.path().to_str().expect("utf-8 path"), "<world>");
        let text = text.split("EXIT=").next().unwrap_or_default();
        let report = match text.rfind("✓ Done: ") {
            Some(at) => text[at..]
                .split("The same from a script:")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.starts_with("fioreg: "))
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string(),
            None => String::new(),
        };
        // The last line, when it is fioreg's own (main.rs's `fioreg: ...` on stderr).
        let last_words = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.find("fioreg: ").map(|at| l[at..].trim_end().to_string()));
        Result {
            code,
            config: w.config(),
            secret: w.stored(secret),
            report,
            last_words,
        }
    }
}

/// The three runs of one scenario, from the same starting config; each front end is driven by
/// its own keys for the same answers.
fn three(
    config: &str,
    secret: &str,
    cli: &[&str],
    cli_keys: impl Fn(&mut Pty),
    tui_keys: impl Fn(&mut Pty),
    plain_keys: impl Fn(&mut Pty),
) -> [Result; 3] {
    let run = |args: &[&str], keys: &dyn Fn(&mut Pty)| {
        let w = World::new(config);
        let mut p = w.wizard_with(args);
        keys(&mut p);
        let (code, out) = p.finish();
        assert!(!out.contains(TOKEN), "the token was shown:\n{out}");
        Result::of(&w, secret, code, &out)
    };
    let mut cli_args = vec!["--no-verify"];
    cli_args.extend_from_slice(cli);
    let results = [
        run(&cli_args, &cli_keys),
        run(&["--no-verify"], &tui_keys),
        run(&["--no-verify", "--plain"], &plain_keys),
    ];
    assert_eq!(results[0], results[1], "the CLI and the TUI differ");
    assert_eq!(
        results[0], results[2],
        "the CLI and the line prompts differ"
    );
    results
}

/// The CLI's hidden prompt and its one confirmation.
fn cli_token_then(answer: &'static str) -> impl Fn(&mut Pty) {
    move |p: &mut Pty| {
        p.wait_for_output("(hidden)");
        p.send(&format!("{TOKEN}\r"));
        p.answer("", "Apply this plan? [y/N]");
        p.send(answer);
    }
}

/// The TUI: the user name and token on the Credentials screen, then Review.
fn tui_credentials(p: &mut Pty, user: &str, plan: &str) {
    p.wait_for("User name");
    p.send(user);
    p.send(TAB);
    p.send(TOKEN);
    p.press(ENTER, &format!("Plan: {plan}"));
}

/// The TUI's Review: Apply, Done, quit.
fn tui_apply(p: &mut Pty, summary: &str) {
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, &format!("Done: {summary}"));
    p.wait_for("The same from a script:");
    p.send("q");
}

/// The line prompts: the user name and token questions.
fn plain_credentials(p: &mut Pty, user: &str) {
    p.wait_for_output("User name");
    p.answer(&format!("{user}\r"), "Token (hidden");
    p.answer(&format!("{TOKEN}\r"), "Remember the token");
    p.answer("n\r", "Apply this plan?");
}

#[test]
fn add_a_new_registry() {
    let [r, ..] = three(
        BASE,
        "ghcr_creds",
        &["add", "generic", "--url", "ghcr.io", "--username", "ci-bot"],
        cli_token_then("y\r"),
        |p| {
            p.wait_for("Add a registry");
            p.press(ENTER, "Which kind of registry");
            p.send(&DOWN.repeat(3));
            p.press(ENTER, "Registry host");
            p.send("ghcr.io");
            p.send(ENTER);
            tui_credentials(p, "ci-bot", "add generic ghcr.io");
            tui_apply(p, "add generic ghcr.io");
        },
        |p| {
            p.wait_for_output("What do you want to do?");
            p.answer(ENTER, "Which kind of registry");
            p.answer(&format!("{}{ENTER}", DOWN.repeat(3)), "Registry host");
            p.answer("ghcr.io\r", "Secret name");
            p.send(ENTER);
            plain_credentials(p, "ci-bot");
            p.send("y\r");
        },
    );
    assert_eq!(r.code, 0);
    assert_eq!(
        r.secret.as_deref(),
        Some(format!("ci-bot:{TOKEN}").as_bytes())
    );
    assert!(r.config.ends_with(
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    ));
    assert!(
        r.report.starts_with(
            "✓ Done: add generic ghcr.io\n✓ Stored the secret ghcr_creds in factory acme.\n✓ Wrote "
        ),
        "{}",
        r.report
    );
    assert!(r.report.contains("Devices:"), "{}", r.report);
}

#[test]
fn add_with_a_configured_url_updates_it_and_keeps_its_secret_name() {
    let config = format!("{BASE}{GHCR}");
    let [r, ..] = three(
        &config,
        "team_ghcr",
        &[
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "new-bot",
        ],
        cli_token_then("y\r"),
        |p| {
            p.wait_for("Add a registry");
            p.press(ENTER, "Which kind of registry");
            p.send(&DOWN.repeat(3));
            p.press(ENTER, "Registry host");
            p.send("ghcr.io");
            p.wait_for("team_ghcr");
            p.send(ENTER);
            tui_credentials(p, "new-bot", "update generic ghcr.io");
            tui_apply(p, "update generic ghcr.io");
        },
        |p| {
            p.wait_for_output("What do you want to do?");
            p.answer(ENTER, "Which kind of registry");
            p.answer(&format!("{}{ENTER}", DOWN.repeat(3)), "Registry host");
            p.answer("ghcr.io\r", "team_ghcr");
            p.send(ENTER);
            plain_credentials(p, "new-bot");
            p.send("y\r");
        },
    );
    assert_eq!(r.code, 0);
    // The entry, its comments and its secret name stay; the secret under that name is new.
    assert_eq!(r.config, config);
    assert_eq!(
        r.secret.as_deref(),
        Some(format!("new-bot:{TOKEN}").as_bytes())
    );
    assert!(
        r.report.contains("already held this entry: unchanged."),
        "{}",
        r.report
    );
}

#[test]
fn rotate_a_registry() {
    let config = format!("{BASE}{GHCR}");
    let [r, ..] = three(
        &config,
        "team_ghcr",
        &["rotate", "ghcr.io", "--username", "ci-bot"],
        cli_token_then("y\r"),
        |p| {
            p.wait_for("Rotate a registry");
            p.send(DOWN);
            p.press(ENTER, "generic");
            p.send(ENTER);
            tui_credentials(p, "ci-bot", "rotate generic ghcr.io");
            tui_apply(p, "rotate generic ghcr.io");
        },
        |p| {
            p.wait_for_output("What do you want to do?");
            p.answer(
                &format!("{DOWN}{ENTER}"),
                "Which registry gets new credentials?",
            );
            p.send(ENTER);
            plain_credentials(p, "ci-bot");
            p.send("y\r");
        },
    );
    assert_eq!(r.code, 0);
    assert_eq!(r.config, config, "rotate leaves the config byte-identical");
    assert_eq!(
        r.secret.as_deref(),
        Some(format!("ci-bot:{TOKEN}").as_bytes())
    );
    assert!(
        r.report.contains("is unchanged (byte-identical)"),
        "{}",
        r.report
    );
}

#[test]
fn remove_a_registry_and_its_secret() {
    let config = format!("{BASE}{GHCR}");
    let seeded = |w: &World| {
        let dir = w.stub().join("factories/acme/secrets");
        std::fs::create_dir_all(&dir).expect("secrets dir");
        std::fs::write(dir.join("team_ghcr"), "old:token").expect("seed");
    };
    let run = |args: &[&str], keys: &dyn Fn(&mut Pty)| {
        let w = World::new(&config);
        seeded(&w);
        let mut p = w.wizard_with(args);
        keys(&mut p);
        let (code, out) = p.finish();
        Result::of(&w, "team_ghcr", code, &out)
    };
    let cli = run(
        &["--no-verify", "remove", "ghcr.io", "--delete-secret"],
        &|p: &mut Pty| {
            p.wait_for_output("Apply this plan? [y/N]");
            p.send("y\r");
        },
    );
    let tui = run(&["--no-verify"], &|p: &mut Pty| {
        p.wait_for("Remove a registry");
        p.send(&DOWN.repeat(2));
        p.press(ENTER, "generic");
        p.send(" ");
        p.press(ENTER, "Plan: remove generic ghcr.io");
        tui_apply(p, "remove generic ghcr.io");
    });
    let plain = run(&["--no-verify", "--plain"], &|p: &mut Pty| {
        p.wait_for_output("What do you want to do?");
        p.answer(
            &format!("{}{ENTER}", DOWN.repeat(2)),
            "Which registry should be removed?",
        );
        p.answer(ENTER, "Also delete its secret team_ghcr");
        p.answer("y\r", "Apply this plan?");
        p.send("y\r");
    });
    assert_eq!(cli, tui, "the CLI and the TUI differ");
    assert_eq!(cli, plain, "the CLI and the line prompts differ");
    assert_eq!(cli.code, 0);
    assert_eq!(cli.config, BASE.to_string() + "container_registries: []\n");
    assert_eq!(cli.secret, None);
    assert!(
        cli.report
            .contains("✓ Deleted the secret team_ghcr from factory acme."),
        "{}",
        cli.report
    );
}

#[test]
fn no_at_the_review_changes_nothing_and_exits_1_everywhere() {
    let [r, ..] = three(
        BASE,
        "ghcr_creds",
        &["add", "generic", "--url", "ghcr.io", "--username", "ci-bot"],
        cli_token_then("n\r"),
        |p| {
            p.wait_for("Add a registry");
            p.press(ENTER, "Which kind of registry");
            p.send(&DOWN.repeat(3));
            p.press(ENTER, "Registry host");
            p.send("ghcr.io");
            p.send(ENTER);
            tui_credentials(p, "ci-bot", "add generic ghcr.io");
            // Leaving the review without applying.
            p.send("q");
        },
        |p| {
            p.wait_for_output("What do you want to do?");
            p.answer(ENTER, "Which kind of registry");
            p.answer(&format!("{}{ENTER}", DOWN.repeat(3)), "Registry host");
            p.answer("ghcr.io\r", "Secret name");
            p.send(ENTER);
            plain_credentials(p, "ci-bot");
            p.send("n\r");
        },
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.config, BASE);
    assert_eq!(r.secret, None);
    assert_eq!(r.report, "");
    assert_eq!(
        r.last_words.as_deref(),
        Some("fioreg: not applied: nothing was changed")
    );
}

/// A containers.git beside the ci-scripts checkout whose one container is built FROM a private
/// ECR image: the wizards' Start screen offers the entry it needs, filled in.
fn with_containers(w: &World) {
    let app = w.path("containers/app");
    std::fs::create_dir_all(&app).expect("containers dir");
    std::fs::write(app.join("Dockerfile"), format!("FROM {AWS_URL}/base:1.0\n"))
        .expect("Dockerfile");
}

#[test]
fn the_scans_fix_on_start_adds_the_entry_containers_git_needs() {
    let run = |args: &[&str], keys: &dyn Fn(&mut Pty)| {
        let w = World::new(BASE);
        with_containers(&w);
        let mut p = w.wizard_with(args);
        keys(&mut p);
        let (code, out) = p.finish();
        assert!(!out.contains(AWS_SECRET_KEY), "the key was shown:\n{out}");
        Result::of(&w, "aws_creds", code, &out)
    };
    let fix = format!("Add {AWS_URL} (aws)");
    let headline = format!("containers.git needs 1 registry that no entry covers: {AWS_URL}");
    let cli = run(
        &[
            "--no-verify",
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
        ],
        &|p: &mut Pty| {
            p.wait_for_output("Apply this plan? [y/N]");
            p.send("y\r");
        },
    );
    let tui = run(&["--no-verify"], &|p: &mut Pty| {
        p.wait_for(&headline);
        p.wait_for(&format!("▸ {fix}"));
        // The fix goes straight to the Registry screen, the url and its region filled in.
        p.press(ENTER, "Registry URL");
        p.wait_for("us-east-2");
        p.press(ENTER, "ci-pull");
        p.press(ENTER, &format!("Plan: add aws {AWS_URL}"));
        tui_apply(p, &format!("add aws {AWS_URL}"));
    });
    let plain = run(&["--no-verify", "--plain"], &|p: &mut Pty| {
        p.expect(&headline);
        p.expect("What do you want to do?");
        p.expect(&fix);
        p.answer(ENTER, "Registry URL");
        p.answer(ENTER, "Region");
        p.answer(ENTER, "Secret name");
        p.answer(ENTER, "Which AWS profile should CI use?");
        p.answer(&format!("ci-pull{ENTER}"), "Apply this plan?");
        p.send("y\r");
    });
    assert_eq!(cli, tui, "the CLI and the TUI differ");
    assert_eq!(cli, plain, "the CLI and the line prompts differ");
    assert_eq!(cli.code, 0);
    assert!(
        cli.config.contains(&format!("url: {AWS_URL}")),
        "{}",
        cli.config
    );
    let stored = String::from_utf8(cli.secret.expect("stored")).expect("utf-8");
    assert!(stored.starts_with("[default]\n"), "{stored}");
}
