//! Turning what the user already has (an AWS profile, a GCP service-account key file, a user name
//! and token) into the exact bytes CI expects in a factory secret.
//!
//! Every function here returns a [`crate::secret::Secret`] whose description is safe to print, or a
//! [`CredError`] whose message is one sentence that says what is wrong and how to fix it. No error
//! message ever contains secret bytes: values are described (`contains ':'`), never quoted.

pub mod aws;
pub mod gcp;
pub mod user_token;

use std::io::Read;
use std::path::{Path, PathBuf};

/// The most fioreg reads from a key file, a credentials file or `--password-stdin`: 1 MiB. Real
/// ones are a few KiB; anything larger is the wrong file (or a device that never ends).
pub const MAX_INPUT: u64 = 1024 * 1024;

/// Why [`read_bounded`] refused a file; the `Display` text completes "cannot read FILE: ...".
#[derive(Debug, thiserror::Error)]
pub enum BoundedReadError {
    /// A FIFO, a device, a socket or a directory: refused before reading (a FIFO or a device
    /// could block or never end).
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it is larger than 1 MiB, far more than any key or credentials file")]
    TooLarge,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads a whole regular file of at most [`MAX_INPUT`] bytes. The file is opened without blocking
/// (a FIFO without a writer cannot hold it up) and checked on the open descriptor, so it cannot
/// be swapped between the check and the read; it is read through `take(MAX_INPUT + 1)`.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, BoundedReadError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(BoundedReadError::NotRegular(if ft.is_fifo() {
            "a FIFO (named pipe)"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_dir() {
            "a directory"
        } else {
            "a special file"
        }));
    }
    if meta.len() > MAX_INPUT {
        return Err(BoundedReadError::TooLarge);
    }
    // Room for the whole file up front: no reallocation leaves copies of a key behind.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    file.take(MAX_INPUT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT {
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(BoundedReadError::TooLarge);
    }
    Ok(bytes)
}

/// Why a credential could not be turned into a factory secret.
#[derive(Debug, thiserror::Error)]
pub enum CredError {
    // ----- AWS -----
    /// The selected profile is in neither shared file.
    #[error(
        "AWS profile `{profile}`{via} was not found in {sources}; {}",
        available_hint(available)
    )]
    AwsProfileNotFound {
        profile: String,
        /// `" (selected by AWS_PROFILE)"` or empty.
        via: &'static str,
        /// The names that do exist, sorted.
        available: Vec<String>,
        /// Where the profiles were read from, e.g. `/home/me/.aws/credentials and /home/me/.aws/config (not present)`.
        sources: String,
    },

    /// The profile gets its credentials some other way (SSO, role, credential_process, ...).
    #[error(
        "AWS profile `{profile}` has no static access keys ({how}), but CI needs the long-lived access keys of a pull-only IAM user: create them with `aws iam create-access-key --user-name NAME` and store them with `aws configure --profile NAME`."
    )]
    AwsNoStaticKeys { profile: String, how: String },

    /// Only one of the two keys is present.
    #[error(
        "AWS profile `{profile}` has {present} but no {missing}; add the missing key to the profile (for example with `aws configure --profile {profile}`)."
    )]
    AwsIncompleteKeys {
        profile: String,
        present: &'static str,
        missing: &'static str,
    },

    /// The profile holds temporary (STS) keys.
    #[error(
        "AWS profile `{profile}` holds temporary keys (it sets aws_session_token), which expire; CI needs the long-lived access keys of a pull-only IAM user: create them with `aws iam create-access-key --user-name NAME` and store them with `aws configure --profile NAME`."
    )]
    AwsSessionToken { profile: String },

    /// A key value is empty or contains whitespace.
    #[error(
        "The {key} of AWS profile `{profile}` {problem}; copy the key again exactly as AWS showed it (without spaces or line breaks)."
    )]
    AwsBadKeyValue {
        profile: String,
        key: &'static str,
        problem: &'static str,
    },

    /// A shared file exists but cannot be read (permissions, not UTF-8, a directory, ...).
    #[error("Cannot read the AWS {what} file {}: {reason}; fix its permissions or content, or point {env_var} at another file.", path.display())]
    AwsFileUnreadable {
        what: &'static str,
        path: PathBuf,
        env_var: &'static str,
        reason: String,
    },

    /// aws-config could not parse the shared files.
    #[error(
        "The AWS profile files could not be parsed ({detail}); fix that line or check the file with `aws configure list-profiles`."
    )]
    AwsFilesMalformed { detail: String },

    // ----- GCP -----
    /// The key file cannot be read.
    #[error("Cannot read the GCP key file {}: {reason}; check the path and its permissions.", path.display())]
    GcpFileUnreadable { path: PathBuf, reason: String },

    /// The key file is not JSON.
    #[error(
        "The GCP key file {} is not valid JSON ({detail} at line {line}, column {column}); use the JSON key file created by `gcloud iam service-accounts keys create` unchanged.",
        path.display()
    )]
    GcpNotJson {
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },

    /// The file holds `gcloud auth application-default login` credentials.
    #[error(
        "The GCP key file {} holds personal user credentials (type authorized_user, from `gcloud auth application-default login`), which must not be given to CI; create a service-account key instead with `gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`.",
        path.display()
    )]
    GcpUserCredentials { path: PathBuf },

    /// The file is some other kind of credential (external_account, impersonated_service_account, ...).
    #[error(
        "The GCP key file {} is {kind}, not a service-account key (not personal or federated credentials, which CI cannot use); create a service-account key with `gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`.",
        path.display()
    )]
    GcpNotServiceAccount { path: PathBuf, kind: String },

    /// A required field is missing or has the wrong JSON type.
    #[error(
        "The GCP key file {} {problem}; use the JSON key file created by `gcloud iam service-accounts keys create` unchanged.",
        path.display()
    )]
    GcpBadField { path: PathBuf, problem: String },

    /// `private_key` is not a usable PKCS#8 RSA key.
    #[error(
        "The private_key in the GCP key file {} {problem}; the file was probably edited or truncated, so create a new key with `gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`.",
        path.display()
    )]
    GcpBadPrivateKey {
        path: PathBuf,
        problem: &'static str,
    },

    /// gcp_auth refused the key for another reason.
    #[error(
        "The GCP key file {} was rejected by the Google auth library ({reason}); create a new key with `gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`.",
        path.display()
    )]
    GcpKeyRejected { path: PathBuf, reason: String },

    // ----- user:token -----
    /// The user name (or service principal id) is empty.
    #[error("The {} is empty; give the {} CI should log in with.", .what.user_noun(), .what.user_noun())]
    EmptyUser { what: user_token::UserTokenKind },

    /// The password or token is empty.
    #[error("The {} is empty; give the {} CI should log in with.", .what.password_noun(), .what.password_noun())]
    EmptyPassword { what: user_token::UserTokenKind },

    /// A ':' in the user: CI splits `user:password` on every ':'.
    #[error("The {} contains ':', which CI cannot handle (it splits the secret `user:password` on every ':'); use a {} without ':'.", .what.user_noun(), .what.user_noun())]
    ColonInUser { what: user_token::UserTokenKind },

    /// A ':' in the password: CI splits `user:password` on every ':'.
    #[error("The {} contains ':', which crashes CI (it splits the secret `user:password` on every ':'); generate a new {} without ':'.", .what.password_noun(), .what.password_noun())]
    ColonInPassword { what: user_token::UserTokenKind },

    /// A line break in the user.
    #[error("The {} contains a line break; give it on a single line without '\\n' or '\\r'.", .what.user_noun())]
    NewlineInUser { what: user_token::UserTokenKind },

    /// A line break in the password.
    #[error("The {} contains a line break; give it on a single line without '\\n' or '\\r'.", .what.password_noun())]
    NewlineInPassword { what: user_token::UserTokenKind },

    /// Whitespace at either end of the user: CI `.strip()`s the secret before splitting it.
    #[error("The {} begins or ends with a space, tab or other blank; CI strips blanks from both ends of the secret `user:password` before it logs in, so it would log in as a different user. Give the {} without them.", .what.user_noun(), .what.user_noun())]
    SpaceAroundUser { what: user_token::UserTokenKind },

    /// Whitespace at either end of the password: CI `.strip()`s the secret before splitting it.
    #[error("The {} begins or ends with a space, tab or other blank; CI strips blanks from both ends of the secret `user:password` before it logs in, so it would use a different {} than the one tested here. Nothing was stored; give the {} without them (or generate one that has none).", .what.password_noun(), .what.password_noun(), .what.password_noun())]
    SpaceAroundPassword { what: user_token::UserTokenKind },

    /// An input that is not UTF-8 text: fioctl would change it on its way to the server.
    #[error("{input} is not UTF-8 text (the first bad byte is at offset {offset}): {why}. Nothing was stored; give it as UTF-8 text.", why = crate::secret::NOT_UTF8_WHY)]
    NotUtf8 { input: String, offset: usize },

    /// Reading the password from stdin failed.
    #[error(
        "Cannot read the password from stdin ({reason}); pipe it in as one line of UTF-8 text."
    )]
    StdinUnreadable { reason: String },

    /// Stdin was empty or held only a line break.
    #[error("There was no password on stdin; pipe the password in as a single line of text.")]
    NoPasswordOnStdin,
}

fn available_hint(available: &[String]) -> String {
    if available.is_empty() {
        "there are no profiles at all: create a pull-only IAM user's access key with `aws iam create-access-key --user-name NAME` and store it with `aws configure --profile NAME`.".to_string()
    } else {
        format!(
            "choose one of the available profiles: {}.",
            available.join(", ")
        )
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    #[test]
    fn regular_files_up_to_1_mib_are_read_others_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok");
        std::fs::write(&ok, vec![b'a'; MAX_INPUT as usize]).unwrap();
        assert_eq!(read_bounded(&ok).unwrap().len(), MAX_INPUT as usize);
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; MAX_INPUT as usize + 1]).unwrap();
        assert!(matches!(
            read_bounded(&big),
            Err(BoundedReadError::TooLarge)
        ));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_bounded(&fifo).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a FIFO (named pipe), not a regular file"
        );
        let err = read_bounded(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.to_string(), "it is a device, not a regular file");
        assert!(matches!(
            read_bounded(dir.path()),
            Err(BoundedReadError::NotRegular("a directory"))
        ));
        assert!(matches!(
            read_bounded(&dir.path().join("none")),
            Err(BoundedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
