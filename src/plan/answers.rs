//! What the user asked for: the request, the credentials, and the same as a command line.

use super::*;
use crate::credentials::{self, CredError, aws::ProfileSource, user_token::UserTokenKind};
use secrecy::SecretString;
use std::path::Path;

/// What the user asked for, before any rule was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub provider: Provider,
    pub url: Option<String>,
    pub region: Option<String>,
    pub secret_name: Option<String>,
}

/// How the credentials are given, before they are read and checked.
#[derive(Debug, Clone)]
pub enum CredentialInput {
    /// An AWS profile name; `None`: AWS_PROFILE, else `default`.
    AwsProfile(Option<String>),
    /// An Azure service principal id or a generic user name, and the password or token.
    UserToken {
        user: String,
        password: SecretString,
    },
    /// A GCP service-account key file.
    GcpKeyFile(PathBuf),
}

/// Everything a front end collects: the registry and its credentials.
#[derive(Debug, Clone)]
pub struct Answers {
    pub request: Request,
    pub credential: CredentialInput,
}

impl CredentialInput {
    /// How a command line gives this credential: `--profile P`, `--key-file F` (with
    /// `key_file`), or the user's flag (`--client-id` for azure, else `--username`), the name
    /// and `password` (`--password-stdin`, `--from-keyring`, ...).
    pub fn flags(&self, provider: Provider, password: &str, key_file: bool) -> Vec<String> {
        match self {
            CredentialInput::AwsProfile(Some(p)) => vec!["--profile".into(), shell_word(p)],
            CredentialInput::GcpKeyFile(path) if key_file => {
                vec!["--key-file".into(), shell_word(&path.display().to_string())]
            }
            CredentialInput::UserToken { user, .. } => {
                let flag = match provider {
                    Provider::Azure => "--client-id",
                    _ => "--username",
                };
                vec![flag.into(), shell_word(user), password.into()]
            }
            _ => Vec::new(),
        }
    }
}

impl Answers {
    /// Reads and checks the credentials into the exact bytes CI expects.
    pub fn secret(&self, aws: &ProfileSource) -> Result<Secret, CredError> {
        let kind = UserTokenKind::of(self.request.provider);
        match &self.credential {
            CredentialInput::AwsProfile(p) => credentials::aws::credentials_for(aws, p.as_deref()),
            CredentialInput::GcpKeyFile(path) => Ok(credentials::gcp::key_file(path)?.0),
            CredentialInput::UserToken { user, password } => {
                credentials::user_token::user_token(user, password.clone(), kind)
            }
        }
    }

    /// The `fioreg add ...` line that does the same from a script (never the secret itself);
    /// `password`: how it reads the password (`--password-stdin`, ...).
    pub fn command_line(&self, config: &Path, factory: Option<&str>, password: &str) -> String {
        let r = &self.request;
        let mut words = command_prefix(config, factory);
        words.extend(["add".into(), r.provider.type_name().into()]);
        if let CredentialInput::GcpKeyFile(path) = &self.credential {
            words.extend(["--key-file".into(), shell_word(&path.display().to_string())]);
        }
        if let Some(u) = &r.url {
            words.extend(["--url".into(), shell_word(u)]);
        }
        if let Some(region) = &r.region {
            words.extend(["--region".into(), shell_word(region)]);
        }
        words.extend(self.credential.flags(r.provider, password, false));
        if let Some(n) = &r.secret_name {
            words.extend(["--secret-name".into(), shell_word(n)]);
        }
        words.join(" ")
    }
}

/// `fioreg [--config PATH] [--factory NAME]`: how every equivalent command line starts.
pub fn command_prefix(config: &Path, factory: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> = vec!["fioreg".into()];
    if config != Path::new("factory-config.yml") {
        words.extend(["--config".into(), shell_word(&config.display().to_string())]);
    }
    if let Some(f) = factory {
        words.extend(["--factory".into(), shell_word(f)]);
    }
    words
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(w: &str) -> String {
    let safe = !w.is_empty()
        && w.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':' | '@' | ',' | '=')
        });
    if safe {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}
