//! The real line prompts (inquire) in a pseudo-terminal: `fioreg --plain` walked through the
//! generic provider against the fioctl stand-in, as a user at a terminal would.

use expectrl::process::Termios;
use expectrl::{Eof, Expect, Session};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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

/// A session that keeps every byte it read, to check what the terminal showed.
struct Pty {
    session: expectrl::session::OsSession,
    seen: Vec<u8>,
}

impl Pty {
    fn expect(&mut self, needle: &str) {
        match self.session.expect(needle) {
            Ok(c) => self.seen.extend_from_slice(c.as_bytes()),
            Err(e) => panic!(
                "waiting for {needle:?}: {e}; the terminal showed so far:\n{}",
                String::from_utf8_lossy(&self.seen)
            ),
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("writing to the pty");
    }

    /// Reads the rest of the output until the program exits.
    fn finish(&mut self) {
        match self.session.expect(Eof) {
            Ok(c) => self.seen.extend_from_slice(c.as_bytes()),
            Err(e) => panic!(
                "waiting for the end: {e}; the terminal showed:\n{}",
                String::from_utf8_lossy(&self.seen)
            ),
        }
    }
}

#[test]
fn generic_registry_through_the_real_prompts() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("factory-config.yml");
    std::fs::write(&config, CONFIG).unwrap();
    let stub = tmp.path().join("stub");
    let fioctl = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fioctl");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fioreg"));
    cmd.arg("--plain")
        .arg("--fioctl")
        .arg(&fioctl)
        .args(["--factory", "acme", "--config"])
        .arg(&config)
        .env("TERM", "xterm-256color")
        .env("FIOCTL_STUB_DIR", &stub)
        .env("HOME", tmp.path())
        .env_remove("NO_COLOR")
        .env_remove("FIOCTL_FACTORY")
        .env_remove("FIOCTL_TOKEN")
        .env_remove("FIOCTL_CONFIG");
    let mut session = Session::spawn(cmd).expect("spawning fioreg in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    // A real terminal echoes what is typed outside raw mode; the hidden prompt must not show it.
    session
        .get_process_mut()
        .set_echo(true)
        .expect("turning echo on");
    let mut p = Pty {
        session,
        seen: Vec::new(),
    };

    // The overview lists the configured registry; the stand-in has no secrets yet.
    p.expect("secret aws_creds: MISSING");
    p.expect("What do you want to do?");
    p.send("\r"); // Add a registry (the first option)
    p.expect("Which kind of registry?");
    p.send("\x1b[B\x1b[B\x1b[B\r"); // aws, azure, gar, generic: three down
    p.expect("Registry url");
    p.send("ghcr.io\r");
    p.expect("Factory secret name");
    p.send("\r"); // the default: ghcr_creds
    p.expect("User name");
    p.send("ci-bot\r");
    p.expect("Token (hidden");
    p.send(&format!("{TOKEN}\r"));
    // Not kept: the tests never write to the OS keyring.
    p.expect("Remember the token in the OS keyring?");
    p.send("n\r");
    p.expect("Plan: add generic ghcr.io");
    p.expect("Apply?");
    p.send("y\r");
    p.expect("Storing secret ghcr_creds in factory acme ... done");
    p.expect("The same from a script:");
    p.expect("add generic --url ghcr.io --username ci-bot --password-stdin");
    p.finish();

    let status = p.session.get_process().wait().expect("waiting for fioreg");
    let shown = String::from_utf8_lossy(&p.seen).into_owned();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}\n{shown}"
    );
    assert!(!shown.contains(TOKEN), "the token was shown:\n{shown}");

    let written = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        written,
        format!("{CONFIG}- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n")
    );
    let secret = std::fs::read(stub.join("factories/acme/secrets/ghcr_creds")).unwrap();
    assert_eq!(secret, format!("ci-bot:{TOKEN}").as_bytes());
}
