//! What Foundries CI really does with what fioreg writes, through the real binary against the
//! fioctl stand-in: CI `.strip()`s user:token secrets, Docker Hub's url must be `docker.io`,
//! fioctl turns bytes that are not UTF-8 into U+FFFD, `.` and `..` are not secret names CI can
//! read, `docker_build_secrets` hands registry credentials to every build, and CI stops at the
//! first failing login.

mod common;

use common::*;

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
