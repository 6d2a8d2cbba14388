//! Remembers a registry password or token in the OS keyring, behind a trait so tests use memory.
//!
//! Only the password part is kept (an Azure service principal's password or a generic registry
//! token), never the `user:password` text that becomes the factory secret. Entries live under
//! service [`SERVICE`] with the account from [`account`], e.g. `ghcr.io/ci-bot`.
//!
//! [`OsKeyring`] always builds its entries from the platform's native store (the kernel keyring
//! through keyutils on Linux, the Keychain on macOS, the Credential Manager on Windows) and never
//! from keyring's in-memory mock, which would silently forget everything. The kernel keyring
//! keeps values until reboot (or until the persistent keyring expires after a few idle days).

use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use zeroize::Zeroizing;

/// The keyring service name every fioreg entry is stored under.
pub const SERVICE: &str = "fioreg";

/// What to do when the OS keyring cannot be used.
const WITHOUT_REMEMBER: &str = "run again without --remember and enter the secret when asked";

/// A store for registry passwords and tokens, keyed by [`account`].
pub trait KeyStore {
    /// The secret stored for `account`, or `None` when there is none.
    fn get(&self, account: &str) -> Result<Option<SecretString>, KeyStoreError>;
    /// Stores `secret` for `account`, replacing an earlier one.
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeyStoreError>;
    /// Deletes the secret for `account`; `Ok(false)` when there was none.
    fn delete(&self, account: &str) -> Result<bool, KeyStoreError>;
    /// Where secrets go, for messages, e.g. "the Linux kernel keyring (keyutils)".
    fn describe(&self) -> &'static str;
    /// Whether the store works (a harmless write, read back and delete); ask before offering --remember.
    fn check(&self) -> Result<(), KeyStoreError> {
        Ok(())
    }
}

/// Why the keyring could not be used; never carries secret material.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The platform store cannot be reached at all (sandbox, no session keyring, unsupported OS).
    #[error("{store} is unavailable: {reason}; {WITHOUT_REMEMBER}")]
    Unavailable { store: &'static str, reason: String },
    /// The store is there but refused this account name or value.
    #[error("the OS keyring refused the entry `{account}`: {reason}; {WITHOUT_REMEMBER}")]
    Rejected { account: String, reason: String },
    /// A value is stored but it is not text, so it cannot be a password or token.
    #[error(
        "the OS keyring entry `{account}` (service {SERVICE}) is not valid text; delete it with \
         your keyring tool or {WITHOUT_REMEMBER}"
    )]
    NotText { account: String },
    /// An empty secret cannot be stored (keyrings refuse empty values).
    #[error("refusing to store an empty secret for `{account}`: enter the password or token")]
    Empty { account: String },
}

/// The keyring account for a registry: its url, e.g. `account(" GHCR.io ")` is `ghcr.io`. One
/// password or token is kept per registry, as a factory has one entry per registry url.
pub fn account(url: &str) -> String {
    url.trim().to_ascii_lowercase()
}

/// Keeps a password as `--remember` does: the store is checked first (a harmless write, read
/// back and delete), so a refusing keyring never half-keeps the secret.
pub fn keep_password(
    keys: &dyn KeyStore,
    account: &str,
    password: &SecretString,
) -> Result<(), KeyStoreError> {
    keys.check()?;
    keys.set(account, password)
}

/// The account of the harmless value that [`OsKeyring`] writes to test the keyring.
pub const PROBE_ACCOUNT: &str = "fioreg-keyring-probe";

/// The operating system's keyring under service [`SERVICE`].
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    /// Stores, reads back and deletes a harmless value under [`PROBE_ACCOUNT`].
    fn probe(&self) -> Result<(), KeyStoreError> {
        const VALUE: &str = "probe";
        let entry = self.entry(PROBE_ACCOUNT)?;
        entry.set_password(VALUE).map_err(|e| self.unavailable(e))?;
        match entry.get_password() {
            Ok(v) if v == VALUE => {}
            Ok(_) => {
                return Err(KeyStoreError::Unavailable {
                    store: self.describe(),
                    reason: "a test value read back differently".into(),
                });
            }
            Err(e) => return Err(self.unavailable(e)),
        }
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.unavailable(e)),
        }
    }

    /// An entry backed by the native store, never by keyring's mock.
    fn entry(&self, account: &str) -> Result<keyring::Entry, KeyStoreError> {
        let builder = native_builder().ok_or_else(|| KeyStoreError::Unavailable {
            store: self.describe(),
            reason: "fioreg supports the OS keyring only on Linux, macOS and Windows".into(),
        })?;
        let credential = builder
            .build(None, SERVICE, account)
            .map_err(|e| self.unavailable(e))?;
        Ok(keyring::Entry::new_with_credential(credential))
    }

    /// Maps a failure to reach the store to [`KeyStoreError::Unavailable`].
    fn unavailable(&self, err: keyring::Error) -> KeyStoreError {
        KeyStoreError::Unavailable {
            store: self.describe(),
            reason: reason(&err),
        }
    }

    /// Maps a failure on one entry, keeping the account name for the message.
    fn entry_error(&self, account: &str, err: keyring::Error) -> KeyStoreError {
        match err {
            keyring::Error::Invalid(..) | keyring::Error::TooLong(..) => KeyStoreError::Rejected {
                account: account.to_string(),
                reason: reason(&err),
            },
            keyring::Error::BadEncoding(_) => KeyStoreError::NotText {
                account: account.to_string(),
            },
            other => self.unavailable(other),
        }
    }
}

/// The native credential builder for this OS; the module only exists with keyring's feature, so
/// dropping the feature breaks the build instead of silently falling back to the mock.
fn native_builder() -> Option<Box<keyring::credential::CredentialBuilder>> {
    #[cfg(target_os = "linux")]
    return Some(keyring::keyutils::default_credential_builder());
    #[cfg(target_os = "macos")]
    return Some(keyring::macos::default_credential_builder());
    #[cfg(target_os = "windows")]
    return Some(keyring::windows::default_credential_builder());
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    return None;
}

/// A printable reason that never includes stored bytes (keyring's Debug of BadEncoding would).
fn reason(err: &keyring::Error) -> String {
    match err {
        // keyutils reports EACCES as NoEntry: on a write or when opening the keyring it means refused.
        keyring::Error::NoEntry => "access to the keyring was denied (EACCES)".into(),
        keyring::Error::BadEncoding(_) => "the stored value is not valid text".into(),
        keyring::Error::Ambiguous(items) => format!("{} entries match", items.len()),
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => {
            let text = e.to_string();
            match text.as_str() {
                "PermissionDenied" => {
                    "permission denied (EPERM, often a sandbox or seccomp)".into()
                }
                "Unknown(38)" => "the kernel has no keyring support (ENOSYS)".into(),
                _ => text,
            }
        }
        other => other.to_string(),
    }
}

impl KeyStore for OsKeyring {
    fn get(&self, account: &str) -> Result<Option<SecretString>, KeyStoreError> {
        let entry = self.entry(account)?;
        match entry.get_password() {
            Ok(password) => Ok(Some(SecretString::from(password))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.entry_error(account, e)),
        }
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeyStoreError> {
        if secret.expose_secret().is_empty() {
            return Err(KeyStoreError::Empty {
                account: account.to_string(),
            });
        }
        // Probe first: keyutils without a session keyring creates the key and then fails to
        // link it (EACCES), which would leave the secret behind where no one can delete it.
        self.probe()?;
        let entry = self.entry(account)?;
        entry
            .set_password(secret.expose_secret())
            .map_err(|e| self.entry_error(account, e))
    }

    fn delete(&self, account: &str) -> Result<bool, KeyStoreError> {
        let entry = self.entry(account)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.entry_error(account, e)),
        }
    }

    fn check(&self) -> Result<(), KeyStoreError> {
        self.probe()
    }

    fn describe(&self) -> &'static str {
        if cfg!(target_os = "linux") {
            "the Linux kernel keyring (keyutils)"
        } else if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(target_os = "windows") {
            "the Windows Credential Manager"
        } else {
            "no OS keyring"
        }
    }
}

/// An in-memory [`KeyStore`] for tests; values are zeroized when dropped.
#[derive(Default)]
pub struct MemoryKeyStore(pub Mutex<HashMap<String, Zeroizing<String>>>);

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map, also after a panic in another thread poisoned the lock.
    fn map(&self) -> MutexGuard<'_, HashMap<String, Zeroizing<String>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut accounts: Vec<String> = self.map().keys().cloned().collect();
        accounts.sort();
        f.debug_struct("MemoryKeyStore")
            .field("accounts", &accounts)
            .finish()
    }
}

impl KeyStore for MemoryKeyStore {
    fn get(&self, account: &str) -> Result<Option<SecretString>, KeyStoreError> {
        Ok(self
            .map()
            .get(account)
            .map(|v| SecretString::from(v.as_str().to_owned())))
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), KeyStoreError> {
        if secret.expose_secret().is_empty() {
            return Err(KeyStoreError::Empty {
                account: account.to_string(),
            });
        }
        self.map().insert(
            account.to_string(),
            Zeroizing::new(secret.expose_secret().to_owned()),
        );
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, KeyStoreError> {
        Ok(self.map().remove(account).is_some())
    }

    fn describe(&self) -> &'static str {
        "an in-memory store (demo and tests: kept until fioreg ends)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn accounts_are_normalized_urls() {
        assert_eq!(account(" GHCR.io "), "ghcr.io");
        assert_eq!(account("acmeprod.azurecr.io"), "acmeprod.azurecr.io");
    }

    #[test]
    fn memory_round_trip_and_delete() {
        let store = MemoryKeyStore::new();
        store.check().unwrap();
        let acct = account("ghcr.io");
        assert!(store.get(&acct).unwrap().is_none());
        store.set(&acct, &secret("ghp_first")).unwrap();
        store.set(&acct, &secret("ghp_second")).unwrap();
        let got = store.get(&acct).unwrap().unwrap();
        assert_eq!(got.expose_secret(), "ghp_second");
        assert!(store.get("ghcr.io/other").unwrap().is_none());
        assert!(store.delete(&acct).unwrap());
        assert!(!store.delete(&acct).unwrap());
        assert!(store.get(&acct).unwrap().is_none());
    }

    #[test]
    fn memory_refuses_empty_and_hides_values() {
        let store = MemoryKeyStore::new();
        let err = store.set("ghcr.io/ci-bot", &secret("")).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        store.set("ghcr.io/ci-bot", &secret("ghp_hidden")).unwrap();
        let debug = format!("{store:?}");
        assert!(debug.contains("ghcr.io/ci-bot"), "{debug}");
        assert!(!debug.contains("ghp_hidden"), "{debug}");
    }

    #[test]
    fn errors_say_how_to_go_on() {
        let err = KeyStoreError::Unavailable {
            store: OsKeyring.describe(),
            reason: reason(&keyring::Error::NoEntry),
        };
        let text = err.to_string();
        assert!(text.contains("unavailable"), "{text}");
        assert!(text.contains("EACCES"), "{text}");
        assert!(text.contains("without --remember"), "{text}");
        let bad = reason(&keyring::Error::BadEncoding(b"ghp_leak\xff".to_vec()));
        assert!(!bad.contains("ghp_leak"), "{bad}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn os_keyring_uses_kernel_keyutils_not_the_mock() {
        let builder = native_builder().expect("linux has a native store");
        assert!(matches!(
            builder.persistence(),
            keyring::credential::CredentialPersistence::UntilReboot
        ));
        if let Ok(credential) = builder.build(None, SERVICE, "fioreg-test/probe") {
            let any = credential.as_any();
            assert!(any.is::<keyring::keyutils::KeyutilsCredential>());
            assert!(!any.is::<keyring::mock::MockCredential>());
        }
    }

    #[test]
    fn os_keyring_round_trip_or_skip() {
        let store = OsKeyring;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let acct = account(&format!(
            "t{}-{nanos}.test.fioreg.invalid",
            std::process::id()
        ));
        let value = secret(&format!("token-{nanos}:with:colons"));
        if let Err(e) = store.check() {
            assert!(matches!(e, KeyStoreError::Unavailable { .. }), "{e}");
            eprintln!("skipped: {e}");
            return;
        }
        match store.set(&acct, &value) {
            Ok(()) => {}
            Err(e @ KeyStoreError::Unavailable { .. }) => {
                eprintln!("skipped: {e}");
                return;
            }
            Err(e) => panic!("unexpected keyring error: {e}"),
        }
        let got = store.get(&acct).unwrap().expect("value just stored");
        assert_eq!(got.expose_secret(), value.expose_secret());
        assert!(store.delete(&acct).unwrap());
        assert!(store.get(&acct).unwrap().is_none());
        assert!(!store.delete(&acct).unwrap());
    }
}
