//! The real line prompts (inquire) in a pseudo-terminal: `fioreg --plain` walked through the
//! generic provider against the fioctl stand-in, as a user at a terminal would. The first walk's
//! registry is made up (`--no-verify`); the second logs in to a real registry on loopback
//! (tests/support/registry.rs).

#[path = "support/registry.rs"]
mod registry;

mod common;

use common::World;
use common::pty::Pty;

const CONFIG: &str = "\
# acme's factory definition
lmp:
  params: {}

container_registries:
- type: aws
  region: us-east-2
  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com
  aws_creds_secret_name: aws_creds
";

const TOKEN: &str = "ghp_PtyS3cretTok3n";

/// Waits for the end; fails unless fioreg exited 0. Returns everything the terminal showed.
fn exit_ok(p: &mut Pty) -> String {
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    out
}

#[test]
fn generic_registry_through_the_real_prompts() {
    let w = World::new(CONFIG);
    let stub = w.stub();
    let mut p = w.wizard_with(&["--plain", "--no-verify"]);

    // The overview lists the configured registry; the stand-in has no secrets yet.
    p.expect("secret aws_creds: MISSING");
    p.expect("What do you want to do?");
    p.send("\r"); // Add a registry (the first option)
    p.expect("Which kind of registry should CI pull from?");
    p.send("\x1b[B\x1b[B\x1b[B\r"); // aws, azure, gar, generic: three down
    p.expect("Registry host");
    p.send("ghcr.io\r");
    p.expect("Secret name");
    p.send("\r"); // the default: ghcr_creds
    p.expect("User name");
    p.send("ci-bot\r");
    p.expect("Token (hidden");
    p.send(&format!("{TOKEN}\r"));
    // Not kept: the tests never write to the OS keyring.
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
    p.expect("Plan: add generic ghcr.io");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect("Storing the secret ghcr_creds in factory acme ... done");
    p.expect("The same from a script:");
    p.expect("add generic --url ghcr.io --username ci-bot --password-stdin");
    let shown = exit_ok(&mut p);
    assert!(!shown.contains(TOKEN), "the token was shown:\n{shown}");

    let written = w.config();
    assert_eq!(
        written,
        format!("{CONFIG}- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n")
    );
    let secret = std::fs::read(stub.join("factories/acme/secrets/ghcr_creds")).unwrap();
    assert_eq!(secret, format!("ci-bot:{TOKEN}").as_bytes());
}

#[test]
fn the_login_test_against_a_real_registry_goes_back_for_a_wrong_token() {
    const USER: &str = "ci-bot";
    const RIGHT: &str = "right-Pass-7f3a9c51";
    const WRONG: &str = "wrong-Pass-0b2e4d77";
    let reg = registry::Registry::start(registry::Config {
        auth: registry::Auth::Htpasswd(vec![(USER.into(), RIGHT.into())]),
        tls: None,
    });
    let url = reg.addr.clone();
    let secret_name = fioreg::provider::Provider::Generic.default_secret_name(Some(&url));
    let w = World::new(CONFIG);
    let stored = w.stub().join("factories/acme/secrets").join(&secret_name);
    let mut p = w.wizard_with(&["--plain", "--insecure-registry"]);

    p.expect("What do you want to do?");
    p.send("\r"); // Add a registry
    p.expect("Which kind of registry should CI pull from?");
    p.send("\x1b[B\x1b[B\x1b[B\r"); // generic
    p.expect("Registry host");
    p.send(&format!("{url}\r"));
    p.expect("Secret name");
    p.send("\r");
    p.expect("User name");
    p.send(&format!("{USER}\r"));
    p.expect("Token (hidden");
    p.send(&format!("{WRONG}\r"));
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
    // ✗ and the registry's answer on the test's line; nothing stored; back to the credentials.
    p.expect(&format!(
        "Testing the login to {url} ... ✗ the registry {url} rejected these credentials (HTTP 401)"
    ));
    p.expect("Nothing was stored.");
    assert!(!stored.exists(), "stored after a failed login test");
    p.expect("What now?");
    p.send("\r"); // Change the credentials (the first option)
    p.expect("User name");
    p.send("\r"); // the user name given before
    p.expect("Token (hidden");
    p.send(&format!("{RIGHT}\r"));
    p.expect("Remember the token in the OS keyring");
    p.send("n\r");
    p.expect(&format!("Testing the login to {url} ... ✓ accepted"));
    p.expect(&format!("Plan: add generic {url}"));
    p.expect("Apply this plan?");
    p.send("y\r");
    p.expect(&format!(
        "Storing the secret {secret_name} in factory acme ... done"
    ));
    let shown = exit_ok(&mut p);
    for secret in [RIGHT, WRONG] {
        assert!(!shown.contains(secret), "a token was shown:\n{shown}");
    }
    assert_eq!(
        std::fs::read(&stored).expect("stored"),
        format!("{USER}:{RIGHT}").into_bytes(),
        "registry log:\n{}",
        reg.log()
    );
    assert!(
        w.config()
            .contains(&format!("generic_secret_name: {secret_name}\n"))
    );
}

#[test]
fn ctrl_c_at_the_hidden_token_prompt_restores_echo_and_exits_130() {
    let w = World::new(CONFIG);
    let mut p = w.wizard_with(&["--plain", "--no-verify"]);
    p.expect("What do you want to do?");
    p.send("\r");
    p.expect("Which kind of registry should CI pull from?");
    p.send("\x1b[B\x1b[B\x1b[B\r");
    p.expect("Registry host");
    p.send("ghcr.io\r");
    p.expect("Secret name");
    p.send("\r");
    p.expect("User name");
    p.send("ci-bot\r");
    p.expect("Token (hidden");
    p.send("half-typ");
    p.send("\x03");
    let (code, out) = p.finish();
    assert_eq!(code, 130, "{out}");
    assert!(
        common::pty::plain_text(&out).contains("fioreg: interrupted: nothing was changed"),
        "{out}"
    );
    assert!(
        !out.contains("half-typ"),
        "the typed token was shown:\n{out}"
    );
    let modes = common::pty::stty_modes(&out);
    assert!(modes.iter().any(|m| m == "echo"), "echo is off: {modes:?}");
    assert_eq!(w.config(), CONFIG);
    assert_eq!(w.stored("ghcr_creds"), None);
}
