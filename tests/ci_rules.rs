//! What Foundries CI really does with what fioreg writes, through the real binary against the
//! fioctl stand-in: CI `.strip()`s user:token secrets, Docker Hub's url must be `docker.io`,
//! fioctl turns bytes that are not UTF-8 into U+FFFD, `.` and `..` are not secret names CI can
//! read, `docker_build_secrets` hands registry credentials to every build, and CI stops at the
//! first failing login.

mod common;

use common::*;
use std::fs;

const TOKEN: &str = "ghp_StripTestTokenNeverShown42";

/// No fioctl call was made and nothing was stored.
fn assert_nothing_done(w: &World) {
    assert_eq!(w.calls(), "", "fioctl was called");
    w.assert_config_intact();
    assert!(!w.stub().join("factories").exists(), "a secret was stored");
}

#[test]
fn tokens_and_passwords_with_blanks_at_an_end_are_refused_before_anything_is_stored() {
    let cases: [(&[&str], String, &str); 4] = [
        (
            &["add", "generic", "--url", "ghcr.io", "--username", "ci-bot"],
            format!("{TOKEN} \n"),
            "The token begins or ends with a space",
        ),
        (
            &["add", "generic", "--url", "ghcr.io", "--username", "ci-bot"],
            format!("\t{TOKEN}\n"),
            "The token begins or ends with a space",
        ),
        (
            &[
                "add",
                "azure",
                "--url",
                "acmeprod.azurecr.io",
                "--client-id",
                "1f2e3d4c-0000-4000-8000-00000000009a",
            ],
            format!("{TOKEN}  \n"),
            "The service principal password begins or ends with a space",
        ),
        (
            &[
                "add",
                "generic",
                "--url",
                "ghcr.io",
                "--username",
                " ci-bot",
            ],
            format!("{TOKEN}\n"),
            "The user name begins or ends with a space",
        ),
    ];
    for (args, stdin, expected) in cases {
        let w = World::new(BASE);
        let mut c = w.fioreg();
        c.arg("--yes").args(args).arg("--password-stdin");
        let (code, out, err) = run(c, &stdin);
        assert_eq!(code, Some(1), "{args:?}\n{out}\n{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            err.contains("CI strips blanks from both ends"),
            "the message says why: {err}"
        );
        assert!(!err.contains(TOKEN) && !out.contains(TOKEN), "token shown");
        assert_nothing_done(&w);
    }

    // A blank inside the token is kept: CI strips only the ends.
    let w = World::new(BASE);
    let mut c = w.fioreg();
    c.args([
        "--yes",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci-bot",
        "--password-stdin",
    ]);
    let (code, out, err) = run(c, "ghp_inner space\n");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        w.stored("ghcr_creds").as_deref(),
        Some(&b"ci-bot:ghp_inner space"[..])
    );
}

#[test]
fn docker_hub_urls_are_written_as_docker_io_and_the_plan_says_so() {
    for alias in [
        "index.docker.io",
        "registry-1.docker.io",
        "https://index.docker.io/v1/",
    ] {
        let w = World::new(BASE);
        let mut c = w.fioreg();
        c.args([
            "--yes",
            "add",
            "generic",
            "--url",
            alias,
            "--username",
            "ci-bot",
            "--password-stdin",
        ]);
        let (code, out, err) = run(c, &format!("{TOKEN}\n"));
        assert_eq!(code, Some(0), "{alias}\n{out}\n{err}");
        assert!(
            out.contains(&format!(
                "Note: `{alias}` is Docker Hub, written as `docker.io`"
            )),
            "{out}"
        );
        assert_eq!(
            w.config(),
            format!(
                "{BASE}\ncontainer_registries:\n- type: generic\n  url: docker.io\n  generic_secret_name: docker_creds\n"
            ),
            "{alias}"
        );
        assert_eq!(
            w.stored("docker_creds").as_deref(),
            Some(format!("ci-bot:{TOKEN}").as_bytes())
        );
    }
}

#[test]
fn check_warns_about_a_docker_hub_alias_and_add_fixes_it_in_place() {
    let config = format!(
        "{BASE}\ncontainer_registries:\n- type: generic  # Docker Hub\n  url: index.docker.io\n  generic_secret_name: hub_creds\n"
    );
    let w = World::new(&config);
    let mut c = w.fioreg();
    c.args(["check", "--offline"]);
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(0), "a warning only\n{out}\n{err}");
    assert!(
        out.contains(
            "factory-config.yml:12: warning: `index.docker.io` is Docker Hub, written as `docker.io`"
        ),
        "{out}"
    );
    assert!(
        out.contains("fix: set `url: docker.io` (or run `fioreg add generic --url docker.io"),
        "{out}"
    );

    let mut c = w.fioreg();
    c.args([
        "--yes",
        "add",
        "generic",
        "--url",
        "docker.io",
        "--username",
        "ci-bot",
        "--secret-name",
        "hub_creds",
        "--password-stdin",
    ]);
    let (code, out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(
            "Note: the entry at line 11 had url `index.docker.io`; it becomes `docker.io`"
        ),
        "{out}"
    );
    assert_eq!(
        w.config(),
        config.replace("url: index.docker.io", "url: docker.io"),
        "updated in place, comment kept"
    );
    let mut c = w.fioreg();
    c.args(["check", "--offline"]);
    let (code, out, _) = run(c, "");
    assert_eq!(code, Some(0));
    assert!(out.contains("0 errors, 0 warnings"), "{out}");
}

#[test]
fn rotate_and_remove_find_docker_hub_by_any_of_its_names() {
    let config = format!(
        "{BASE}\ncontainer_registries:\n- type: generic  # Docker Hub\n  url: https://index.docker.io/v1/\n  generic_secret_name: hub_creds\n"
    );
    let w = World::new(&config);
    // Rotated as `docker.io`: the entry written as Docker Hub's v1 url gets the new token.
    let mut c = w.fioreg();
    c.args([
        "--yes",
        "rotate",
        "docker.io",
        "--username",
        "ci-bot",
        "--password-stdin",
    ]);
    let (code, out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(
        w.stored("hub_creds").as_deref(),
        Some(format!("ci-bot:{TOKEN}").as_bytes())
    );
    assert_eq!(w.config(), config, "rotate leaves the file as it is");
    // Removed as `index.docker.io`: the same entry, and only it.
    let mut c = w.fioreg();
    c.args(["--yes", "remove", "index.docker.io"]);
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(!w.config().contains("docker.io"), "{}", w.config());
    // Another registry is not Docker Hub by any name.
    let mut c = w.fioreg();
    c.args(["--yes", "remove", "docker.io"]);
    let (code, _, err) = run(c, "");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no registry is configured"), "{err}");
}

/// Runs `cmd` with `stdin` bytes: (code, stdout, stderr). fioreg may exit (refusing) before it
/// reads stdin: a broken pipe is not an error here.
fn run_bytes(mut cmd: std::process::Command, stdin: &[u8]) -> (Option<i32>, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn fioreg");
    let written = child.stdin.take().expect("stdin").write_all(stdin);
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn secrets_that_are_not_utf8_are_refused_naming_the_input() {
    // A token piped in.
    let w = World::new(BASE);
    let mut c = w.fioreg();
    c.args([
        "--yes",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci-bot",
        "--password-stdin",
    ]);
    let (code, out, err) = run_bytes(c, b"ghp_caf\xe9Token\n");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("The password on stdin (--password-stdin) is not UTF-8 text (the first bad byte is at offset 7)"),
        "{err}"
    );
    assert!(
        err.contains("U+FFFD, so CI would get a different secret"),
        "{err}"
    );
    assert!(
        !err.contains("Token") && !out.contains("Token"),
        "secret shown"
    );
    assert_nothing_done(&w);

    // A service-account key file with one Latin-1 byte in a value.
    let w = World::new(BASE);
    let key = fs::read(format!("{ROOT}/tests/fixtures/gcp/sa-key.json")).expect("key");
    let text = String::from_utf8(key).expect("fixture is UTF-8");
    let bad = text.replacen("\"client_email\"", "\"caf\u{e9}\": 1, \"client_email\"", 1);
    let mut bytes = bad.into_bytes();
    let at = bytes
        .windows(2)
        .position(|w| w == "\u{e9}".as_bytes())
        .expect("é");
    bytes.splice(at..at + 2, [0xe9]);
    let key_path = w.path("latin1-key.json");
    fs::write(&key_path, &bytes).expect("key");
    let mut c = w.fioreg();
    c.args(["--yes", "add", "gar", "--key-file"]).arg(&key_path);
    let (code, out, err) = run_bytes(c, b"");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "The GCP key file {} is not UTF-8 text (the first bad byte is at offset {at})",
            key_path.display()
        )),
        "{err}"
    );
    assert!(err.contains("U+FFFD"), "{err}");
    assert!(!err.contains("PRIVATE KEY"), "{err}");
    assert_nothing_done(&w);
}

#[test]
fn dot_and_dot_dot_are_refused_as_secret_names_everywhere() {
    for dots in [".", ".."] {
        // add
        let w = World::new(BASE);
        let mut c = w.fioreg();
        c.args([
            "--yes",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci-bot",
            "--secret-name",
            dots,
            "--password-stdin",
        ]);
        let (code, out, err) = run(c, &format!("{TOKEN}\n"));
        assert_eq!(code, Some(1), "{out}\n{err}");
        assert!(
            err.contains(&format!(
                "secret name `{dots}` cannot be read by CI: it reads each secret from /secrets/NAME"
            )),
            "{err}"
        );
        assert_nothing_done(&w);

        // check, rotate and remove --delete-secret on an entry that already has it
        let config = format!(
            "{BASE}\ncontainer_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: '{dots}'\n"
        );
        let w = World::new(&config);
        let mut c = w.fioreg();
        c.args(["check", "--offline"]);
        let (code, out, _) = run(c, "");
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains(&format!(
                "factory-config.yml:13: error: secret name `{dots}` cannot be read by CI"
            )),
            "{out}"
        );
        let mut c = w.fioreg();
        c.args([
            "--yes",
            "rotate",
            "ghcr.io",
            "--username",
            "ci-bot",
            "--password-stdin",
        ]);
        let (code, out, err) = run_bytes(c, format!("{TOKEN}\n").as_bytes());
        assert_eq!(code, Some(1), "{out}\n{err}");
        assert!(err.contains("cannot be read by CI"), "{err}");
        let mut c = w.fioreg();
        c.args(["--yes", "remove", "ghcr.io", "--delete-secret"]);
        let (code, out, err) = run(c, "");
        assert_eq!(code, Some(1), "{out}\n{err}");
        assert!(err.contains("leave out --delete-secret"), "{err}");
        assert_nothing_done(&w);
    }
}

#[test]
fn check_warns_that_docker_build_secrets_hands_registry_credentials_to_every_build() {
    let config = format!(
        "{BASE}containers:\n  docker_build_secrets: true\n\ncontainer_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    );
    let w = World::new(&config);
    let mut c = w.fioreg();
    c.args(["check", "--offline"]);
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(0), "a warning\n{out}\n{err}");
    assert!(
        out.contains(
            "factory-config.yml:10: warning: `containers: docker_build_secrets: true` hands every factory secret, the registry credentials `ghcr_creds` included, to every Dockerfile build"
        ),
        "{out}"
    );
    assert!(
        out.contains("fix: remove `docker_build_secrets: true` (or set it to false)"),
        "{out}"
    );
    assert!(out.contains("0 errors, 1 warnings"), "{out}");

    // Without the setting there is nothing to say.
    let w = World::new(&config.replace("true", "false"));
    let mut c = w.fioreg();
    c.args(["check", "--offline"]);
    let (code, out, _) = run(c, "");
    assert_eq!(code, Some(0));
    assert!(out.contains("0 errors, 0 warnings"), "{out}");
}

#[test]
fn check_online_says_which_entries_a_failing_entry_blocks() {
    let config = format!(
        "{BASE}\ncontainer_registries:\n\
         - type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n\
         - type: generic\n  url: quay.io\n  generic_secret_name: quay_creds\n\
         - type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n"
    );
    let w = World::new(&config);
    // The factory has every secret but quay_creds.
    let dir = w.stub().join("factories/acme/secrets");
    fs::create_dir_all(&dir).expect("secrets dir");
    for name in ["ghcr_creds", "azprincipal"] {
        fs::write(dir.join(name), "u:t").expect("secret");
    }
    let mut c = w.fioreg();
    c.arg("check");
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains(
            "factory-config.yml:16: error: secret `quay_creds` does not exist in the factory"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "factory-config.yml:14: warning: CI stops at the first registry it cannot log in to, so this entry blocks the entry after it: line 17 (azure acmeprod.azurecr.io)\n  fix: fix this entry first, or remove it with `fioreg remove quay.io`"
        ),
        "{out}"
    );
    assert!(out.contains("1 errors, 1 warnings"), "{out}");
}

// ---- control characters never reach the terminal raw ------------------------------------------

/// YAML refuses raw control characters in a file, but a double-quoted scalar can hold them
/// through escapes (`\e`, `\a`, `\r`), and CI reads them as such.
const ESC_CONFIG: &str = "# acme factory\nlmp:\n  machines:\n  - imx8mm-lpddr4-evk\n\ncontainer_registries:\n- type: generic  # team registry\n  url: \"ghcr.io\\e[2J\"\n  generic_secret_name: \"ghcr_creds\\a\\r\"\n";

fn assert_no_raw_controls(what: &str, text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(
        raw.is_empty(),
        "{what}: raw control characters {raw:?} in:\n{text}"
    );
}

#[test]
fn list_check_plans_and_errors_show_control_characters_from_the_config_escaped() {
    let w = World::new(ESC_CONFIG);

    let mut c = w.fioreg();
    c.arg("list");
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_no_raw_controls("list", &(out.clone() + &err));
    assert!(out.contains("ghcr.io\\x1b[2J"), "{out}");

    let mut c = w.fioreg();
    c.args(["check", "--offline"]);
    let (_, out, err) = run(c, "");
    assert_no_raw_controls("check", &(out.clone() + &err));
    assert!(
        out.contains("secret name `ghcr_creds\\x07\\r` contains `\\x07`"),
        "the name is quoted, escaped: {out}"
    );

    // A plan names the entry by its url and its secret name.
    let mut c = w.fioreg();
    c.args(["--dry-run", "remove", "ghcr.io\x1b[2j"]);
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_no_raw_controls("plan", &(out.clone() + &err));
    assert!(
        out.contains("Plan: remove generic ghcr.io\\x1b[2J (the entry at"),
        "{out}"
    );
    assert!(
        out.contains("The secret `ghcr_creds\\x07\\r` stays in the factory"),
        "{out}"
    );

    // An error that quotes the file.
    let mut c = w.fioreg();
    c.args(["--yes", "remove", "harbor.example.com"]);
    let (code, out, err) = run(c, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_no_raw_controls("error", &(out.clone() + &err));
    assert!(
        err.contains("configured: ghcr_creds\\x07\\r (ghcr.io\\x1b[2J)"),
        "{err}"
    );
    w.assert_config_intact();
}

#[test]
fn control_characters_from_fioctl_are_shown_escaped() {
    // fioctl's error line (the stand-in's fail_update knob) holds a title-setting sequence,
    // a BEL and a screen clear.
    let w = World::new(BASE);
    w.knob("fail_update", "server said \x1b]0;pwned\x07\x1b[2J no\n");
    let mut c = w.fioreg();
    c.args([
        "--yes",
        "add",
        "generic",
        "--url",
        "ghcr.io",
        "--username",
        "ci-bot",
        "--password-stdin",
    ]);
    let (code, out, err) = run(c, &format!("{TOKEN}\n"));
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_no_raw_controls("fioctl error", &(out.clone() + &err));
    assert!(
        err.contains("server said \\x1b]0;pwned\\x07\\x1b[2J no"),
        "{err}"
    );
    w.assert_config_intact();

    // A secret name fioctl lists (the stand-in lists the files of its factory) reaches check.
    let w = World::new(BASE);
    let dir = w.stub().join("factories/acme/secrets");
    fs::create_dir_all(&dir).expect("secrets dir");
    fs::write(dir.join("evil\x1b[8m_creds"), "u:t").expect("secret");
    let mut c = w.fioreg();
    c.arg("check");
    let (_, out, err) = run(c, "");
    assert_no_raw_controls("check online", &(out.clone() + &err));
    assert!(
        out.contains("a secret `evil\\x1b[8m_creds` that looks like registry credentials"),
        "{out}"
    );
}

#[test]
fn a_key_files_client_email_with_an_escape_is_shown_escaped_in_the_plan() {
    let w = World::new(BASE);
    let key = fs::read_to_string(format!("{ROOT}/tests/fixtures/gcp/sa-key.json")).expect("key");
    let mut v: serde_json::Value = serde_json::from_str(&key).expect("json");
    v["client_email"] = serde_json::json!("ci\u{1b}[8mpull@fioreg-test.iam.gserviceaccount.com");
    let key_path = w.path("key.json");
    fs::write(&key_path, v.to_string()).expect("key");
    let mut c = w.fioreg();
    c.args(["--dry-run", "add", "gar", "--key-file"])
        .arg(&key_path);
    let (code, out, err) = run(c, "");
    assert_no_raw_controls("gar plan", &(out.clone() + &err));
    assert!(
        out.contains("ci\\x1b[8mpull@fioreg-test.iam.gserviceaccount.com")
            || err.contains("ci\\x1b[8mpull@"),
        "{code:?}\n{out}\n{err}"
    );
}

#[test]
fn a_test_that_cannot_run_fails_in_ci_and_only_skips_elsewhere() {
    let err = skip_decision(Some("true"), "keyctl is not installed").unwrap_err();
    assert!(err.contains("CI=true and this test cannot run here: keyctl is not installed"));
    assert!(err.contains("bash .ci/run"), "{err}");
    assert_eq!(skip_decision(None, "keyctl is not installed"), Ok(()));
    assert_eq!(skip_decision(Some("false"), "x"), Ok(()));
}
