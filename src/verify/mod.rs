//! Tests credentials with a real registry login before they are stored, so a wrong password
//! fails here instead of in CI.
//!
//! [`verify`] works from the same [`Secret`] bytes that will be stored, and logs in the way CI
//! will: a Docker Registry HTTP API v2 login against the registry itself.
//!
//! - azure, generic: the secret is `USER:PASSWORD` (split at the first `:`), sent to the registry
//!   (`Basic`) or to the token service the registry names (`Bearer`).
//! - gar: the service-account key is exchanged for an access token at the key's `token_uri`,
//!   then the registry login is user `oauth2accesstoken` with that token.
//! - aws: `ecr:GetAuthorizationToken` (SigV4-signed with the `[default]` keys of the secret) in
//!   the entry's region gives user `AWS` and a password for the registry login.
//!
//! Credentials only go to the registry, the token service it names and the provider's own
//! token endpoint, and only over TLS: plain HTTP needs [`VerifyOptions::insecure_loopback`] and a
//! loopback address. Redirects are not followed. Every failure is one sentence, and no message
//! contains a secret: every secret (and every token obtained on the way) is masked out of the
//! error before it is returned.
//!
//! Blocking (ureq + rustls); no async runtime. Each HTTP request is bounded by
//! [`VerifyOptions::timeout`].

pub(crate) mod aws;
pub(crate) mod gcp;
pub(crate) mod http;
pub(crate) mod registry;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::provider::{self, Provider};
use crate::secret::Secret;

/// The default bound on each HTTP request of a login test.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The registry GAR is tested against when the entry has no url (CI logs in to every
/// `*-docker.pkg.dev` host; a token valid for one is valid for all).
pub const DEFAULT_GAR_HOST: &str = "us-docker.pkg.dev";

/// How to test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// `--insecure-registry`: plain `http://` instead of TLS, allowed only when every host the
    /// credentials go to is a loopback address (127.0.0.0/8, ::1, `localhost`). Any other host is
    /// refused with [`VerifyError::InsecureNotAllowed`] before a connection is made.
    pub insecure_loopback: bool,
    /// `--ca-file`: PEM certificates trusted in addition to the bundled Mozilla roots (a private
    /// CA of the registry).
    pub ca_file: Option<PathBuf>,
    /// The bound on each HTTP request ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// `--repository NAME`: also prove pull permission on this repository (`team/app`).
    pub repository: Option<String>,
    /// The ECR API endpoint (aws only), e.g. `http://127.0.0.1:4566`. `None`: the
    /// `AWS_ENDPOINT_URL_ECR`, else `AWS_ENDPOINT_URL` variable, else
    /// `https://api.ecr.REGION.amazonaws.com/`.
    pub ecr_endpoint: Option<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            insecure_loopback: false,
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
            repository: None,
            ecr_endpoint: None,
        }
    }
}

/// What a login test found, when the registry answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The registry accepted the credentials (and, with a repository, they may pull from it).
    Valid,
    /// The login works, but the credentials may not pull from `repository`.
    ValidNoPull { repository: String },
    /// The login works, but the registry answered 404 for `repository`: it does not exist, or
    /// (on some registries) these credentials may not see it.
    RepositoryNotFound { repository: String },
    /// The registry answered `/v2/` without asking for credentials, so nothing was tested
    /// (CI's `docker login` will succeed all the same).
    NoLoginRequired,
}

impl Outcome {
    /// Only [`Outcome::Valid`] proves what was asked.
    pub fn is_valid(&self) -> bool {
        matches!(self, Outcome::Valid)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Valid => f.write_str("the registry accepted these credentials"),
            Outcome::ValidNoPull { repository } => {
                write!(f, "valid login, but no pull permission on {repository}")
            }
            Outcome::RepositoryNotFound { repository } => write!(
                f,
                "valid login, but the registry has no repository {repository} (or hides it from these credentials)"
            ),
            Outcome::NoLoginRequired => f.write_str(
                "the registry lets anyone in without a login, so these credentials could not be tested",
            ),
        }
    }
}

/// Why a login test failed. Each message is one sentence without any secret in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No HTTP answer: DNS, connection, TLS or timeout. The registry (or token endpoint) may be
    /// fine and only unreachable from here; see [`VerifyError::is_unreachable`].
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The registry (or its token service) answered 401/403 to these credentials.
    #[error("the registry {registry} rejected these credentials (HTTP {status})")]
    Rejected { registry: String, status: u16 },
    /// The provider's token endpoint (ECR GetAuthorizationToken, Google OAuth) refused.
    #[error("{what} refused these credentials: {reason}")]
    Provider { what: String, reason: String },
    /// An answer that no registry or token endpoint should give.
    #[error("unexpected answer from {url}: {detail}")]
    Protocol { url: String, detail: String },
    /// Credentials would have gone over plain HTTP to a host that is not a loopback address.
    #[error(
        "refusing to send credentials to {url} without TLS: plain HTTP is allowed only with --insecure-registry, and only to a loopback address (127.0.0.0/8, ::1, localhost)"
    )]
    InsecureNotAllowed { url: String },
    /// The secret is not in the shape its provider stores (USER:PASSWORD, an AWS credentials
    /// file with `[default]`, a service-account key).
    #[error("cannot test these credentials: {reason}")]
    BadSecret { reason: String },
    /// What to test is incomplete or malformed (no url, no region, a bad repository name).
    #[error("{reason}")]
    BadInput { reason: String },
    /// `ca_file` can't be read or holds no certificate.
    #[error("cannot use the CA file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
}

impl VerifyError {
    /// A [`VerifyError::Protocol`]: `url` gave an answer no registry or token endpoint should give.
    pub(crate) fn protocol(url: &str, detail: impl Into<String>) -> VerifyError {
        VerifyError::Protocol {
            url: url.to_string(),
            detail: detail.into(),
        }
    }

    /// The registry or token endpoint could not be reached at all (DNS, network, TLS, timeout):
    /// the credentials were not tested, which is not the same as being wrong.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, VerifyError::Unreachable { .. })
    }

    fn map_text(self, f: impl Fn(String) -> String) -> Self {
        match self {
            VerifyError::Unreachable { url, reason } => VerifyError::Unreachable {
                url: f(url),
                reason: f(reason),
            },
            VerifyError::Rejected { registry, status } => VerifyError::Rejected {
                registry: f(registry),
                status,
            },
            VerifyError::Provider { what, reason } => VerifyError::Provider {
                what: f(what),
                reason: f(reason),
            },
            VerifyError::Protocol { url, detail } => VerifyError::Protocol {
                url: f(url),
                detail: f(detail),
            },
            VerifyError::InsecureNotAllowed { url } => {
                VerifyError::InsecureNotAllowed { url: f(url) }
            }
            VerifyError::BadSecret { reason } => VerifyError::BadSecret { reason: f(reason) },
            VerifyError::BadInput { reason } => VerifyError::BadInput { reason: f(reason) },
            VerifyError::CaFile { path, reason } => VerifyError::CaFile {
                path,
                reason: f(reason),
            },
        }
    }
}

/// Every secret seen during one test, masked out of the error that is returned.
#[derive(Default)]
pub(crate) struct Redactor {
    secrets: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// Masks `secret` (and its percent-encoded form) from now on; very short values are not
    /// worth masking and would mangle the message.
    pub(crate) fn add(&mut self, secret: &str) {
        if secret.len() >= 4 {
            self.secrets.push(Zeroizing::new(secret.to_string()));
            let encoded: String = secret
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            if encoded != secret {
                self.secrets.push(Zeroizing::new(encoded));
            }
        }
    }

    fn mask(&self, mut text: String) -> String {
        for s in &self.secrets {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "••••");
            }
        }
        text
    }

    pub(crate) fn apply(&self, err: VerifyError) -> VerifyError {
        err.map_text(|t| self.mask(t))
    }
}

/// `: FIRST LINE` of a body, shortened, for an error message (empty for an empty body).
pub(crate) fn summary(body: &str) -> String {
    let line: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(160)
        .collect();
    if line.is_empty() {
        String::new()
    } else if body.split_whitespace().map(str::len).sum::<usize>() > line.len() {
        format!(": {line}…")
    } else {
        format!(": {line}")
    }
}

/// A provider endpoint's answer (ECR, STS, Google OAuth): the reply on 200; on 4xx a
/// [`VerifyError::Provider`] for `what`, with the reason `refusal` reads from the body, else
/// `HTTP STATUS: FIRST LINE`; anything else is a [`VerifyError::Protocol`] of `url`.
pub(crate) fn provider_reply(
    reply: http::Reply,
    url: &str,
    what: String,
    refusal: impl FnOnce(&str) -> Option<String>,
) -> Result<http::Reply, VerifyError> {
    match reply.status {
        200 => Ok(reply),
        400..=499 => Err(VerifyError::Provider {
            what,
            reason: refusal(&reply.body)
                .unwrap_or_else(|| format!("HTTP {}{}", reply.status, summary(&reply.body))),
        }),
        s => Err(VerifyError::protocol(
            url,
            format!("HTTP {s}{}", summary(&reply.body)),
        )),
    }
}

/// Repository names as the distribution spec allows them: lowercase path components of
/// `[a-z0-9]` separated by `.`, `_`, `__` or `-`, joined by `/`.
fn validate_repository(name: &str) -> Result<(), VerifyError> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if name.len() <= 255 && name.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(VerifyError::BadInput {
            reason: format!(
                "`{name}` is not a repository name (lowercase letters, digits, `.`, `_`, `-`, and `/` between parts, like team/app)"
            ),
        })
    }
}

/// Splits `USER:PASSWORD` at the first `:`, as CI does for azure and generic secrets.
fn user_password(bytes: &[u8]) -> Result<(&str, &str), VerifyError> {
    let bad = |reason: &str| VerifyError::BadSecret {
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("the secret is not UTF-8 text"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| bad("the secret is not USER:PASSWORD (there is no `:`)"))?;
    if user.is_empty() {
        return Err(bad("the user name before `:` is empty"));
    }
    if password.is_empty() {
        return Err(bad("the password after `:` is empty"));
    }
    Ok((user, password))
}

/// Tests `secret` against the registry at `url` (`host[:port]`, as in factory-config.yml) the
/// way CI will log in. `region` is the aws entry's region (`None`: the url's). Nothing is
/// stored. `Err` when the test could not be done or failed; `Ok` says what the registry
/// answered (only [`Outcome::Valid`] is a full pass).
pub fn verify(
    provider: Provider,
    url: Option<&str>,
    region: Option<&str>,
    secret: &Secret,
    opts: &VerifyOptions,
) -> Result<Outcome, VerifyError> {
    let mut redactor = Redactor::default();
    let result = run(provider, url, region, secret, opts, &mut redactor);
    result.map_err(|e| redactor.apply(e))
}

fn needs_url(provider: Provider, url: Option<&str>) -> Result<String, VerifyError> {
    match url {
        Some(u) => provider::normalize_url(u).map_err(|reason| VerifyError::BadInput { reason }),
        None => Err(VerifyError::BadInput {
            reason: format!("testing a {provider} login needs the registry url"),
        }),
    }
}

fn run(
    provider: Provider,
    url: Option<&str>,
    region: Option<&str>,
    secret: &Secret,
    opts: &VerifyOptions,
    redactor: &mut Redactor,
) -> Result<Outcome, VerifyError> {
    let repository = opts.repository.as_deref().map(str::trim);
    if let Some(repo) = repository {
        validate_repository(repo)?;
    }
    let client = http::Client::new(
        opts.insecure_loopback,
        opts.ca_file.as_deref(),
        opts.timeout,
    )?;
    let (host, login_secret) = match provider {
        Provider::Azure | Provider::Generic => {
            let host = needs_url(provider, url)?;
            let (user, password) = user_password(secret.expose())?;
            (host, LoginSecret::UserPassword(user, password))
        }
        Provider::Gar => {
            let host = match url {
                Some(_) => needs_url(provider, url)?,
                None => DEFAULT_GAR_HOST.to_string(),
            };
            // Check the registry address before the key goes anywhere.
            client.registry_base(&host)?;
            (host, LoginSecret::GcpKey(secret.expose()))
        }
        Provider::Aws => {
            let host = needs_url(provider, url)?;
            let region = match region {
                Some(r) => {
                    provider::aws::validate_region(r)
                        .map_err(|reason| VerifyError::BadInput { reason })?;
                    r.to_string()
                }
                None => provider::aws::parse_url(&host)
                    .map(|u| u.region.to_string())
                    .map_err(|reason| VerifyError::BadInput {
                        reason: format!("testing an aws login needs the region: {reason}"),
                    })?,
            };
            client.registry_base(&host)?;
            (host, LoginSecret::AwsKeys(secret.expose(), region))
        }
    };
    let login = registry_credentials(
        &client,
        login_secret,
        opts.ecr_endpoint.as_deref(),
        redactor,
    )?;
    registry::login(&client, &host, &login, repository, redactor)
}

/// A provider's credentials as a registry login takes them, before any token exchange.
pub(crate) enum LoginSecret<'a> {
    /// azure, generic: the user and password (or token) of `docker login -u USER`.
    UserPassword(&'a str, &'a str),
    /// gar: a service-account key, exchanged for an access token.
    GcpKey(&'a [u8]),
    /// aws: an AWS credentials file (`[default]` keys) and the region whose
    /// ecr:GetAuthorizationToken it is exchanged with.
    AwsKeys(&'a [u8], String),
}

/// The registry login (user and password) `secret` gives, after any token exchange: Google's
/// token endpoint for a key (user `oauth2accesstoken`), ECR GetAuthorizationToken at
/// `ecr_endpoint` (see [`VerifyOptions::ecr_endpoint`]) for AWS keys. Every secret on the way is
/// masked by `redactor` from then on. The login test and the scan's probe both log in with it.
pub(crate) fn registry_credentials(
    client: &http::Client,
    secret: LoginSecret<'_>,
    ecr_endpoint: Option<&str>,
    redactor: &mut Redactor,
) -> Result<registry::Login, VerifyError> {
    let (user, password) = match secret {
        LoginSecret::UserPassword(user, password) => {
            redactor.add(password);
            (user.to_string(), Zeroizing::new(password.to_string()))
        }
        LoginSecret::GcpKey(key) => (
            gcp::TOKEN_USER.to_string(),
            gcp::access_token(client, key, redactor)?,
        ),
        LoginSecret::AwsKeys(secret, region) => {
            let keys = aws::parse_credentials(secret)?;
            redactor.add(&keys.secret_access_key);
            let endpoint = aws::endpoint(&region, ecr_endpoint, |k| std::env::var(k).ok());
            aws::authorization_token(client, &endpoint, &region, &keys, redactor)?
        }
    };
    Ok(registry::Login { user, password })
}

pub use aws::CallerIdentity;

/// `sts:GetCallerIdentity` with the `[default]` keys of an AWS credentials secret: the ARN of
/// the identity CI will act as. The endpoint is `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`,
/// else the regional STS endpoint; plain http is allowed only to a loopback address, and only
/// when the endpoint was configured in the environment or `opts.insecure_loopback` is set.
pub fn aws_caller_identity(
    secret: &Secret,
    region: &str,
    opts: &VerifyOptions,
) -> Result<CallerIdentity, VerifyError> {
    let mut redactor = Redactor::default();
    let result = (|| {
        let keys = aws::parse_credentials(secret.expose())?;
        redactor.add(&keys.secret_access_key);
        let (endpoint, from_env) = aws::sts_endpoint(region, |k| std::env::var(k).ok());
        let client = http::Client::new(
            opts.insecure_loopback || from_env,
            opts.ca_file.as_deref(),
            opts.timeout,
        )?;
        aws::caller_identity(&client, &endpoint, region, &keys)
    })();
    result.map_err(|e| redactor.apply(e))
}

// ---- The login test before storing, as every front end runs and judges it. ----

/// The login test: [`crate::verify::verify`] in a real run; the front ends' tests pass a fake,
/// so no test of theirs needs a network.
pub type Verifier = fn(
    crate::provider::Provider,
    Option<&str>,
    Option<&str>,
    &crate::secret::Secret,
    &VerifyOptions,
) -> Result<Outcome, VerifyError>;

/// The registry the login test goes to, as `fioreg add` names it: the plan's url, or for gar
/// without one the registry CI's token works for.
pub fn login_host(plan: &crate::plan::Plan) -> String {
    plan.url
        .clone()
        .unwrap_or_else(|| crate::verify::DEFAULT_GAR_HOST.to_string())
}

/// What the login test before storing found, and what may follow, as `fioreg add` and the wizards decide it: only [`LoginCheck::Accepted`] and [`LoginCheck::NoLogin`] go on
/// by themselves; an unreachable registry goes on only when the user says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    /// The registry accepted the credentials.
    Accepted,
    /// The registry lets anyone in: nothing could be tested, and CI will log in all the same.
    NoLogin,
    /// The credentials cannot be used as they are (rejected, no pull permission, a bad key...):
    /// the one-sentence reason. Nothing may be stored.
    Failed(String),
    /// The registry (or its token endpoint) could not be reached: the reason. The credentials
    /// were not tested; storing them needs an explicit "store anyway".
    Unreachable(String),
}

impl LoginCheck {
    /// Sorts a login test's result the way `fioreg add` does.
    pub fn of(result: Result<Outcome, VerifyError>) -> LoginCheck {
        match result {
            Ok(Outcome::Valid) => LoginCheck::Accepted,
            Ok(Outcome::NoLoginRequired) => LoginCheck::NoLogin,
            Ok(other) => LoginCheck::Failed(format!("{other}; CI could not pull")),
            Err(e) if e.is_unreachable() => LoginCheck::Unreachable(e.to_string()),
            Err(e) => LoginCheck::Failed(e.to_string()),
        }
    }

    /// Whether the wizard may go on to the review without asking.
    pub fn passed(&self) -> bool {
        matches!(self, LoginCheck::Accepted | LoginCheck::NoLogin)
    }

    /// Why the test did not pass, if it did not.
    pub fn reason(&self) -> Option<&str> {
        match self {
            LoginCheck::Failed(why) | LoginCheck::Unreachable(why) => Some(why),
            LoginCheck::Accepted | LoginCheck::NoLogin => None,
        }
    }

    /// Whether the credentials may still be stored after asking (default No): only when the
    /// registry could not be reached, so they could not be tested. A refusal stops.
    pub fn may_store_anyway(&self) -> bool {
        matches!(self, LoginCheck::Unreachable(_))
    }
}

/// Runs the login test for `plan` with `verifier`, as `fioreg add` does: the plan's provider,
/// url and region, and the exact secret that will be stored.
pub fn verify_plan(
    plan: &crate::plan::Plan,
    opts: &VerifyOptions,
    verifier: Verifier,
) -> Result<Outcome, VerifyError> {
    let region = plan.region();
    verifier(
        plan.provider,
        plan.url.as_deref(),
        region.as_deref(),
        &plan.secret,
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_password_splits_at_the_first_colon() {
        assert_eq!(user_password(b"ci:tok").unwrap(), ("ci", "tok"));
        assert_eq!(user_password(b"ci:a:b").unwrap(), ("ci", "a:b"));
        for bad in [&b"citok"[..], b":tok", b"ci:", b"\xff:x"] {
            let err = user_password(bad).err().unwrap();
            assert!(matches!(err, VerifyError::BadSecret { .. }), "{err:?}");
        }
    }

    #[test]
    fn repository_names() {
        for ok in ["app", "team/app", "a.b_c-d/e__f", "x9/y/z"] {
            assert!(validate_repository(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Team/app",
            "team//app",
            "/app",
            "app/",
            "-app",
            "a b",
            "a?b",
            "../x",
        ] {
            assert!(validate_repository(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redactor_masks_secrets_and_their_url_encoding() {
        let mut r = Redactor::default();
        r.add("pa ss/word");
        r.add("abc"); // too short to mask
        let err = r.apply(VerifyError::Protocol {
            url: "https://h/?p=pa%20ss%2Fword".into(),
            detail: "echo pa ss/word abc".into(),
        });
        let msg = err.to_string();
        assert!(
            !msg.contains("pa ss/word") && !msg.contains("pa%20ss"),
            "{msg}"
        );
        assert!(msg.contains("••••") && msg.contains("abc"), "{msg}");
    }

    #[test]
    fn summaries_are_one_short_line() {
        assert_eq!(summary(""), "");
        assert_eq!(summary("  a\n b\t"), ": a b");
        let long = "x".repeat(500);
        let s = summary(&long);
        assert!(s.ends_with('…') && s.chars().count() < 170, "{s}");
    }

    #[test]
    fn inputs_are_checked_before_any_request() {
        let secret = Secret::new(b"ci:tok".to_vec(), "user ci, token");
        let opts = VerifyOptions::default();
        let err = verify(Provider::Generic, None, None, &secret, &opts).unwrap_err();
        assert!(err.to_string().contains("needs the registry url"), "{err}");
        let err = verify(
            Provider::Generic,
            Some("https://ghcr.io"),
            None,
            &secret,
            &opts,
        )
        .unwrap_err();
        assert!(matches!(err, VerifyError::BadInput { .. }), "{err:?}");
        let opts = VerifyOptions {
            repository: Some("Bad Name".into()),
            ..VerifyOptions::default()
        };
        let err = verify(Provider::Generic, Some("ghcr.io"), None, &secret, &opts).unwrap_err();
        assert!(err.to_string().contains("not a repository name"), "{err}");

        let aws = Secret::new(
            b"[default]\naws_access_key_id = AKIA1\naws_secret_access_key = sk\n".to_vec(),
            "aws",
        );
        let err = verify(
            Provider::Aws,
            Some("127.0.0.1:1"),
            None,
            &aws,
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs the region"), "{err}");
    }

    #[test]
    fn outcome_messages() {
        assert_eq!(
            Outcome::ValidNoPull {
                repository: "team/app".into()
            }
            .to_string(),
            "valid login, but no pull permission on team/app"
        );
        assert!(Outcome::Valid.is_valid());
        assert!(!Outcome::NoLoginRequired.is_valid());
    }
}
