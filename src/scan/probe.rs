//! The online part of the scan: for every repository, whether anyone may pull it (an anonymous
//! pull-token request, as docker does before a pull without credentials), and, where fioreg has
//! credentials for the registry, whether they may pull it; for every tag or digest, whether the
//! registry has it (a manifest HEAD).
//!
//! Built on the login test (`crate::verify`): its HTTP client, challenge parser, token request
//! and `registry_credentials` (how ECR keys, a GAR key or user:password become a registry
//! login), so the same TLS rules (`--insecure-registry` only to loopback, `--ca-file`),
//! timeouts and messages apply.
//!
//! Cost: one `GET /v2/` per registry, then per repository one anonymous token request (Bearer
//! registries) and one HEAD per tag or digest; with credentials one login per registry and, for
//! repositories that are not public, one pull-scoped token and the HEADs again. Repositories are
//! probed concurrently by `jobs` threads (std threads, no async runtime); `jobs = 1` probes one
//! at a time. The work grows with the number of distinct repositories and tags, never with how
//! often an image is named.

use crate::fleet::runner::run_bounded;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::FindingKind;
use super::reference::Reference;
use crate::secret::Secret;
use crate::verify::http::{Auth, Checked, Client, Reply};
use crate::verify::registry::{Login, TokenAnswer, TokenService, parse_challenges, pick};
use crate::verify::{LoginSecret, Redactor, VerifyError, VerifyOptions, registry_credentials};

/// The media types a pull accepts, sent with every manifest HEAD.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Whether a repository can be pulled without credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Public,
    Private,
    /// Not known: the registry could not be reached or answered oddly.
    Unknown,
}

/// Whether the registry has a tag or digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exists {
    Yes,
    No,
    /// Not checked (private without credentials, or unreachable).
    Unknown,
}

/// What fioreg's credentials for a registry may do with one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoCreds {
    Pull,
    NoPull,
}

/// Credentials fioreg has for a registry host.
pub enum Credential {
    /// azure and generic: `docker login -u USER` with a password or token.
    UserPassword {
        user: String,
        password: SecretString,
    },
    /// aws: an AWS credentials file (`[default]` keys), exchanged with
    /// ecr:GetAuthorizationToken in `region`.
    Aws {
        secret: Secret,
        region: Option<String>,
    },
    /// gar: a service-account key, exchanged for an access token.
    Gcp { key: Secret },
}

/// Probe settings.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub verify: VerifyOptions,
    /// Repositories probed at once (at least 1).
    pub jobs: usize,
}

/// A registry-level problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostNote {
    pub kind: FindingKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RepoResult {
    access: Access,
    creds: Option<RepoCreds>,
    exists: HashMap<String, Exists>,
}

/// Everything the registries answered.
#[derive(Debug, Clone, Default)]
pub struct ProbeResults {
    repos: HashMap<(String, String), RepoResult>,
    notes: HashMap<String, HostNote>,
}

impl ProbeResults {
    /// What was found for one image; `None` when it was not probed.
    pub fn status(&self, r: &Reference) -> Option<super::ImageStatus> {
        let repo = self.repos.get(&(r.host.clone(), r.repository.clone()))?;
        Some(super::ImageStatus {
            access: repo.access.clone(),
            exists: repo
                .exists
                .get(r.manifest_reference())
                .copied()
                .unwrap_or(Exists::Unknown),
            creds: repo.creds,
        })
    }

    /// Why a registry could not be (fully) probed.
    pub fn host_note(&self, host: &str) -> Option<HostNote> {
        self.notes.get(host).cloned()
    }
}

/// How a registry wants clients to authenticate (its answer to `GET /v2/`).
enum HostAuth {
    /// 200: no login at all.
    Open,
    /// `Basic`: every request needs credentials.
    Basic,
    /// `Bearer`: tokens from its token service.
    Bearer(TokenService),
}

/// A registry after the first phase.
struct Host {
    base: Checked,
    auth: HostAuth,
    /// The user and password to use, after any token exchange; `None` without credentials or
    /// when the login failed.
    login: Option<Login>,
    note: Option<HostNote>,
}

/// A token for `scope` (`None`: a login-only token), with or without credentials.
/// `Ok(None)`: the token service refused (401/403).
fn token(
    client: &Client,
    tokens: &TokenService,
    scope: Option<&str>,
    login: Option<&Login>,
) -> Result<Option<Zeroizing<String>>, VerifyError> {
    let odd = |url: &str, reply: &Reply| {
        VerifyError::protocol(
            url,
            format!("the token service answered HTTP {}", reply.status),
        )
    };
    let scopes: Vec<&str> = scope.into_iter().collect();
    let mut redactor = Redactor::default();
    Ok(
        match tokens.fetch(client, login, &scopes, &mut redactor, odd)? {
            TokenAnswer::Token(t) => Some(t),
            TokenAnswer::Refused(_) => None,
        },
    )
}

/// First phase for one registry: how it authenticates, and the login to use.
fn host_phase(
    client: &Client,
    host: &str,
    cred: Option<&Credential>,
    verify: &VerifyOptions,
) -> Result<Host, VerifyError> {
    let base = client.registry_base(host)?;
    let ping = base.join("/v2/");
    let first = client.get(&ping, &[], None, false)?;
    let auth = match first.status {
        200 => HostAuth::Open,
        401 => {
            let challenges = parse_challenges(&first.www_authenticate);
            match pick(&challenges) {
                Some(c) if c.scheme == "bearer" => HostAuth::Bearer(TokenService::of(client, c)?),
                Some(_) => HostAuth::Basic,
                None => {
                    return Err(VerifyError::protocol(
                        &ping.url,
                        "it answered 401 without a Basic or Bearer challenge",
                    ));
                }
            }
        }
        s => {
            return Err(VerifyError::protocol(
                &ping.url,
                format!("HTTP {s} where a registry answers 200 or 401"),
            ));
        }
    };
    let mut h = Host {
        base,
        auth,
        login: None,
        note: None,
    };
    let Some(cred) = cred else { return Ok(h) };
    if matches!(h.auth, HostAuth::Open) {
        return Ok(h);
    }
    let mut redactor = Redactor::default();
    let login = credential_login(client, host, cred, verify, &mut redactor);
    let login = match login {
        Ok(l) => l,
        Err(e) => {
            h.note = Some(HostNote {
                kind: FindingKind::LoginFailed,
                message: format!(
                    "the credentials fioreg was given could not be used: {}",
                    redactor.apply(e)
                ),
            });
            return Ok(h);
        }
    };
    // Check the login itself once, so a wrong password is one finding, not one per repository.
    let accepted = match &h.auth {
        HostAuth::Basic => client.get(&ping, &[], Some(&login.basic()), false)?.status == 200,
        HostAuth::Bearer(tokens) => token(client, tokens, None, Some(&login))?.is_some(),
        HostAuth::Open => true,
    };
    if accepted {
        h.login = Some(login);
    } else {
        h.note = Some(HostNote {
            kind: FindingKind::LoginFailed,
            message: "the registry rejected the credentials fioreg was given".into(),
        });
    }
    Ok(h)
}

/// The user and password a registry login uses, after any token exchange.
fn credential_login(
    client: &Client,
    host: &str,
    cred: &Credential,
    verify: &VerifyOptions,
    redactor: &mut Redactor,
) -> Result<Login, VerifyError> {
    let secret = match cred {
        Credential::UserPassword { user, password } => {
            LoginSecret::UserPassword(user, password.expose_secret())
        }
        Credential::Gcp { key } => LoginSecret::GcpKey(key.expose()),
        Credential::Aws { secret, region } => {
            let region = match region {
                Some(r) => r.clone(),
                None => crate::provider::aws::parse_url(host)
                    .map(|u| u.region.to_string())
                    .map_err(|reason| VerifyError::BadInput { reason })?,
            };
            LoginSecret::AwsKeys(secret.expose(), region)
        }
    };
    registry_credentials(client, secret, verify.ecr_endpoint.as_deref(), redactor)
}

/// HEADs one manifest; the HTTP status.
fn head(
    client: &Client,
    base: &Checked,
    repo: &str,
    reference: &str,
    auth: Option<&Auth<'_>>,
) -> Result<u16, VerifyError> {
    let target = base.join(&format!("/v2/{repo}/manifests/{reference}"));
    Ok(client
        .head(&target, &[("Accept", MANIFEST_TYPES)], auth)?
        .status)
}

fn exists_of(status: u16) -> Exists {
    match status {
        200 => Exists::Yes,
        404 => Exists::No,
        _ => Exists::Unknown,
    }
}

/// Second phase for one repository.
fn repo_phase(
    client: &Client,
    h: &Host,
    repo: &str,
    refs: &BTreeSet<String>,
) -> Result<RepoResult, VerifyError> {
    let scope = format!("repository:{repo}:pull");
    let mut result = RepoResult {
        access: Access::Unknown,
        creds: None,
        exists: HashMap::new(),
    };
    // Anonymous, as a device or CI without an entry would pull.
    let anon_token = match &h.auth {
        HostAuth::Open => None,
        HostAuth::Basic => {
            result.access = Access::Private;
            None
        }
        HostAuth::Bearer(tokens) => match token(client, tokens, Some(&scope), None)? {
            Some(t) => Some(t),
            None => {
                result.access = Access::Private;
                None
            }
        },
    };
    if result.access != Access::Private {
        let auth = anon_token.as_ref().map(|t| Auth::Bearer(t));
        for r in refs {
            let status = head(client, &h.base, repo, r, auth.as_ref())?;
            match status {
                401 | 403 => {
                    result.access = Access::Private;
                    result.exists.clear();
                    break;
                }
                200 | 404 => {
                    result.access = Access::Public;
                    result.exists.insert(r.clone(), exists_of(status));
                }
                _ => {
                    result.exists.insert(r.clone(), Exists::Unknown);
                }
            }
        }
    }
    if result.access == Access::Public {
        return Ok(result);
    }
    // With fioreg's credentials, as CI will pull.
    let Some(login) = &h.login else {
        return Ok(result);
    };
    let cred_token;
    let auth = match &h.auth {
        HostAuth::Open => return Ok(result),
        HostAuth::Basic => login.basic(),
        HostAuth::Bearer(tokens) => match token(client, tokens, Some(&scope), Some(login))? {
            Some(t) => {
                cred_token = t;
                Auth::Bearer(&cred_token)
            }
            None => {
                result.creds = Some(RepoCreds::NoPull);
                return Ok(result);
            }
        },
    };
    for r in refs {
        let status = head(client, &h.base, repo, r, Some(&auth))?;
        match status {
            401 | 403 => {
                result.creds = Some(RepoCreds::NoPull);
                result.exists.clear();
                break;
            }
            _ => {
                result.creds = Some(RepoCreds::Pull);
                result.exists.insert(r.clone(), exists_of(status));
            }
        }
    }
    Ok(result)
}

/// Probes every repository of `targets` (host -> repository -> tags/digests); `creds` are the
/// credentials fioreg has, by host.
pub fn probe(
    targets: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    creds: &HashMap<String, Credential>,
    opts: &ProbeOptions,
) -> Result<ProbeResults, VerifyError> {
    let client = Client::new(
        opts.verify.insecure_loopback,
        opts.verify.ca_file.as_deref(),
        opts.verify.timeout,
    )?;
    let hosts: Vec<&String> = targets.keys().collect();
    let phase1 = run_bounded(&hosts, opts.jobs, |host| {
        host_phase(&client, host, creds.get(*host), &opts.verify)
    });
    let mut results = ProbeResults::default();
    let mut ready: HashMap<&str, Host> = HashMap::new();
    for (host, r) in hosts.iter().zip(phase1) {
        match r {
            Ok(h) => {
                if let Some(n) = &h.note {
                    results.notes.insert((*host).clone(), n.clone());
                }
                ready.insert(host.as_str(), h);
            }
            Err(e) => {
                results.notes.insert(
                    (*host).clone(),
                    HostNote {
                        kind: FindingKind::Unreachable,
                        message: format!("not probed: {e}"),
                    },
                );
            }
        }
    }
    let jobs: Vec<(&str, &str, &BTreeSet<String>)> = targets
        .iter()
        .filter(|(h, _)| ready.contains_key(h.as_str()))
        .flat_map(|(h, repos)| {
            repos
                .iter()
                .map(move |(r, refs)| (h.as_str(), r.as_str(), refs))
        })
        .collect();
    let phase2 = run_bounded(&jobs, opts.jobs, |(host, repo, refs)| {
        let h = &ready[host];
        repo_phase(&client, h, repo, refs)
    });
    for ((host, repo, _), r) in jobs.iter().zip(phase2) {
        match r {
            Ok(res) => {
                results
                    .repos
                    .insert(((*host).to_string(), (*repo).to_string()), res);
            }
            Err(e) => {
                results
                    .notes
                    .entry((*host).to_string())
                    .or_insert_with(|| HostNote {
                        kind: FindingKind::Unreachable,
                        message: format!("some repositories were not probed: {e}"),
                    });
            }
        }
    }
    Ok(results)
}
