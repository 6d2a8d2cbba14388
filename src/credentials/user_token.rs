//! `user:password` secrets: an Azure service principal (`azure_principal_secret_name`) or a
//! generic registry user and token (`generic_secret_name`).
//!
//! CI reads the secret, `.strip()`s it, splits it on ':' with no limit and runs
//! `docker login -u USER`, so neither half may contain ':' (CI crashes) or a line break, the
//! user may not begin and the password may not end with a blank (CI would drop it: both are
//! refused at both ends, so the rule does not depend on which half is first), and the secret has
//! no trailing newline.

use std::io::BufRead;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::CredError;
use crate::secret::Secret;

/// Which registry type the `user:password` pair is for; only changes wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTokenKind {
    /// An Azure service principal: application (client) id and password.
    AzurePrincipal,
    /// Any other registry: user name and token (ghcr.io, Docker Hub, Harbor, ...).
    Generic,
}

impl UserTokenKind {
    /// The kind for a registry type that logs in with a user and a password: Azure's service
    /// principal, else a generic user and token.
    pub fn of(provider: crate::provider::Provider) -> UserTokenKind {
        if provider == crate::provider::Provider::Azure {
            UserTokenKind::AzurePrincipal
        } else {
            UserTokenKind::Generic
        }
    }

    /// What the user half is called in messages.
    pub fn user_noun(self) -> &'static str {
        match self {
            UserTokenKind::AzurePrincipal => "service principal id",
            UserTokenKind::Generic => "user name",
        }
    }

    /// What the password half is called in messages.
    pub fn password_noun(self) -> &'static str {
        match self {
            UserTokenKind::AzurePrincipal => "service principal password",
            UserTokenKind::Generic => "token",
        }
    }
}

fn has_line_break(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

/// Whether Python's `str.strip()` would remove something from `s`.
fn blank_at_an_end(s: &str) -> bool {
    s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace)
}

/// `1f2e…9a`: the first 4 and last 2 characters, or the whole id when shorter than 8.
fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 8 {
        return id.to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail}")
}

/// The secret `USER:PASSWORD` (no trailing newline), after refusing anything CI would mangle.
pub fn user_token(
    user: &str,
    password: SecretString,
    what: UserTokenKind,
) -> Result<Secret, CredError> {
    let pass = password.expose_secret();
    if user.is_empty() {
        return Err(CredError::EmptyUser { what });
    }
    if has_line_break(user) {
        return Err(CredError::NewlineInUser { what });
    }
    if user.contains(':') {
        return Err(CredError::ColonInUser { what });
    }
    if blank_at_an_end(user) {
        return Err(CredError::SpaceAroundUser { what });
    }
    if pass.is_empty() {
        return Err(CredError::EmptyPassword { what });
    }
    if has_line_break(pass) {
        return Err(CredError::NewlineInPassword { what });
    }
    if pass.contains(':') {
        return Err(CredError::ColonInPassword { what });
    }
    if blank_at_an_end(pass) {
        return Err(CredError::SpaceAroundPassword { what });
    }

    // Exact capacity: no reallocation leaves a copy of the password behind.
    let mut bytes = Vec::with_capacity(user.len() + 1 + pass.len());
    bytes.extend_from_slice(user.as_bytes());
    bytes.push(b':');
    bytes.extend_from_slice(pass.as_bytes());
    let description = match what {
        UserTokenKind::AzurePrincipal => format!("service principal {}, password", short_id(user)),
        UserTokenKind::Generic => format!("user {user}, token"),
    };
    Ok(Secret::new(bytes, description))
}

/// Reads one line (the password) from `reader`, without its line ending ("\n" or "\r\n", once).
/// The read buffer is zeroized; an empty line or empty input is an error, and so is a line over
/// 1 MiB ([`super::MAX_INPUT`]; no more than that is read).
pub fn read_password_stdin(reader: impl BufRead) -> Result<SecretString, CredError> {
    let mut buf: Vec<u8> = Vec::new();
    let read = reader
        .take(super::MAX_INPUT + 1)
        .read_until(b'\n', &mut buf);
    let line_len = {
        let mut line: &[u8] = &buf;
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        line.len()
    };
    let result = match read {
        Err(err) => Err(CredError::StdinUnreadable {
            reason: err.to_string(),
        }),
        Ok(_) if line_len as u64 > super::MAX_INPUT => Err(CredError::StdinUnreadable {
            reason: "the line is longer than 1 MiB, far more than any password or token"
                .to_string(),
        }),
        Ok(_) => match std::str::from_utf8(&buf[..line_len]) {
            Err(e) => Err(CredError::NotUtf8 {
                input: "The password on stdin (--password-stdin)".to_string(),
                offset: e.valid_up_to(),
            }),
            Ok("") => Err(CredError::NoPasswordOnStdin),
            // `From<&str>` allocates exactly once, at the right size.
            Ok(password) => Ok(SecretString::from(password)),
        },
    };
    buf.zeroize();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "s3cr3t-P4ss";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn exact_bytes_and_descriptions() {
        let s = user_token(
            "1f2e3d4c-0000-1111-2222-33334444559a",
            secret(PASSWORD),
            UserTokenKind::AzurePrincipal,
        )
        .unwrap();
        assert_eq!(
            s.expose(),
            b"1f2e3d4c-0000-1111-2222-33334444559a:s3cr3t-P4ss"
        );
        assert_eq!(s.description(), "service principal 1f2e…9a, password");

        let s = user_token("ci-bot", secret("ghp_abcDEF123"), UserTokenKind::Generic).unwrap();
        assert_eq!(s.expose(), b"ci-bot:ghp_abcDEF123");
        assert_eq!(s.description(), "user ci-bot, token");
        assert!(!format!("{s:?}").contains("ghp_"));
    }

    #[test]
    fn short_ids_are_shown_whole() {
        let s = user_token("acrpull", secret(PASSWORD), UserTokenKind::AzurePrincipal).unwrap();
        assert_eq!(s.description(), "service principal acrpull, password");
        assert_eq!(short_id("12345678"), "1234…78");
        assert_eq!(short_id("ééééééé"), "ééééééé");
        assert_eq!(short_id("éééééééé"), "éééé…éé");
    }

    #[test]
    fn refusals() {
        use UserTokenKind::{AzurePrincipal as Az, Generic as Gen};
        let cases: Vec<(&str, &str, UserTokenKind, &str)> = vec![
            ("", PASSWORD, Gen, "The user name is empty"),
            ("ci", "", Gen, "The token is empty"),
            ("", PASSWORD, Az, "The service principal id is empty"),
            ("ci", "", Az, "The service principal password is empty"),
            ("ci:bot", PASSWORD, Gen, "The user name contains ':'"),
            (
                "ci",
                "s3cr3t:P4ss",
                Gen,
                "The token contains ':', which crashes CI",
            ),
            (
                "ci",
                "s3cr3t:P4ss",
                Az,
                "The service principal password contains ':'",
            ),
            (
                "ci\nbot",
                PASSWORD,
                Gen,
                "The user name contains a line break",
            ),
            ("ci\r", PASSWORD, Gen, "The user name contains a line break"),
            ("ci", "s3cr3t\nP4ss", Gen, "The token contains a line break"),
            (
                "ci",
                "s3cr3tP4ss\r",
                Az,
                "The service principal password contains a line break",
            ),
            ("ci", "s3cr3tP4ss\n", Gen, "The token contains a line break"),
            (
                "ci",
                " s3cr3tP4ss",
                Gen,
                "The token begins or ends with a space, tab or other blank; CI strips",
            ),
            (
                "ci",
                "s3cr3tP4ss\t",
                Az,
                "The service principal password begins or ends with a space",
            ),
            (
                "ci",
                "s3cr3tP4ss\u{a0}",
                Gen,
                "The token begins or ends with a space",
            ),
            (
                " ci",
                PASSWORD,
                Gen,
                "The user name begins or ends with a space",
            ),
            (
                "ci ",
                PASSWORD,
                Az,
                "The service principal id begins or ends",
            ),
        ];
        for (user, pass, what, expected) in cases {
            let err = user_token(user, secret(pass), what).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with(expected), "{user:?}/{what:?}: {msg}");
            assert!(msg.ends_with('.'), "{msg}");
            assert!(
                !msg.contains("s3cr3t") && !msg.contains("P4ss"),
                "password leaked: {msg}"
            );
            assert!(
                !format!("{err:?}").contains("s3cr3t"),
                "password leaked in Debug"
            );
        }
    }

    #[test]
    fn stdin_reads_one_line_and_strips_one_ending() {
        let read = |input: &[u8]| read_password_stdin(input).map(|s| s.expose_secret().to_string());
        assert_eq!(read(b"hunter2\n").unwrap(), "hunter2");
        assert_eq!(read(b"hunter2\r\n").unwrap(), "hunter2");
        assert_eq!(read(b"hunter2").unwrap(), "hunter2");
        assert_eq!(read(b"hunter2\nsecond line\n").unwrap(), "hunter2");
        assert_eq!(read(b"  spaced  \n").unwrap(), "  spaced  ");
        // Only one ending is stripped; what remains is refused later by user_token.
        assert_eq!(read(b"hunter2\r\r\n").unwrap(), "hunter2\r");
        assert_eq!(read(b"hunter2\r").unwrap(), "hunter2\r");
    }

    #[test]
    fn stdin_over_1_mib_is_refused_without_reading_on() {
        let exact = vec![b'p'; super::super::MAX_INPUT as usize];
        let mut line = exact.clone();
        line.push(b'\n');
        assert_eq!(
            read_password_stdin(&line[..])
                .unwrap()
                .expose_secret()
                .len(),
            exact.len()
        );
        // An endless stream without a line break: refused after 1 MiB + 1 byte.
        let endless = std::io::BufReader::new(std::io::repeat(b'x'));
        let err = read_password_stdin(endless).unwrap_err();
        assert!(err.to_string().contains("longer than 1 MiB"), "{err}");
    }

    #[test]
    fn stdin_errors() {
        for empty in [&b""[..], b"\n", b"\r\n"] {
            let err = read_password_stdin(empty).unwrap_err();
            assert!(matches!(err, CredError::NoPasswordOnStdin), "{err:?}");
            assert!(err.to_string().contains("no password on stdin"), "{err}");
        }
        let err = read_password_stdin(&b"caf\xe9\n"[..]).unwrap_err();
        assert!(
            matches!(err, CredError::NotUtf8 { offset: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("--password-stdin"), "{err}");

        struct Failing;
        impl std::io::Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("boom"))
            }
        }
        let err = read_password_stdin(std::io::BufReader::new(Failing)).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }
}
