//! The one type that carries secret bytes through fioreg.
//!
//! A [`Secret`] holds the exact bytes that go into a factory secret, zeroized on drop, and a
//! *description* that is safe to print (for example `AWS credentials: profile ci-pull as [default],
//! 2 keys`). `Debug` prints only the description, so a secret can never leak through `{:?}`, a log
//! line or a panic message.

use secrecy::{ExposeSecret, SecretSlice};
use std::fmt;

/// Secret bytes plus a printable, redacted description of them.
pub struct Secret {
    bytes: SecretSlice<u8>,
    description: String,
}

impl Secret {
    /// Wraps `bytes`; `description` must not contain any secret material.
    pub fn new(bytes: Vec<u8>, description: impl Into<String>) -> Self {
        Secret {
            bytes: SecretSlice::from(bytes),
            description: description.into(),
        }
    }

    /// The redacted description shown in plans, e.g. `<service principal 1f2e…9a, password>`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The secret bytes. Call only where they are written to a private file or compared in tests.
    pub fn expose(&self) -> &[u8] {
        self.bytes.expose_secret()
    }
}

/// Keeps the secrets fioreg holds in memory out of core files and away from other processes of
/// the same user, as ssh-agent does: `RLIMIT_CORE` 0 (no core file; soft and hard limit, so it
/// cannot be raised again) and, on Linux, `prctl(PR_SET_DUMPABLE, 0)` (no same-user ptrace or
/// /proc/PID/mem read; /proc/PID's files then belong to root). Call it first thing in `main`.
///
/// Both are inherited by nothing that matters: children (fioctl, git, gcloud) get the core limit
/// of 0, and `execve` makes a child dumpable again.
pub fn protect_process() -> std::io::Result<()> {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit only reads the struct passed by reference.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_DUMPABLE takes one integer argument; the rest are ignored.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Why a secret must be UTF-8 text: said wherever one that is not is refused.
pub const NOT_UTF8_WHY: &str = "fioctl sends a secret to the server as JSON text, which replaces \
     every byte that is not UTF-8 with U+FFFD, so CI would get a different secret";

impl Secret {
    /// Refuses bytes that are not UTF-8 text (see [`NOT_UTF8_WHY`]); `Err` names the secret by
    /// its description and gives the offset of the first bad byte, never a secret byte.
    pub fn check_utf8(&self) -> Result<(), String> {
        match std::str::from_utf8(self.expose()) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "the secret <{}> is not UTF-8 text (the first bad byte is at offset {}): {NOT_UTF8_WHY}. \
                 Nothing was stored",
                self.description,
                e.valid_up_to()
            )),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{}>)", self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_description() {
        let s = Secret::new(b"user:hunter2".to_vec(), "user ci, token");
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret(<user ci, token>)");
        assert!(!shown.contains("hunter2"));
        assert_eq!(s.expose(), b"user:hunter2");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_by_name() {
        assert!(
            Secret::new(b"user:caf\xc3\xa9".to_vec(), "u")
                .check_utf8()
                .is_ok()
        );
        let err = Secret::new(b"user:caf\xe9-secret".to_vec(), "user ci, token")
            .check_utf8()
            .unwrap_err();
        assert!(
            err.starts_with(
                "the secret <user ci, token> is not UTF-8 text (the first bad byte is at offset 8)"
            ),
            "{err}"
        );
        assert!(err.contains("U+FFFD"), "{err}");
        assert!(
            !err.contains("secret\u{fffd}") && !err.contains("-secret"),
            "{err}"
        );
    }
}
