//! The Docker Registry HTTP API v2 login, done the way `docker login` does it.
//!
//! `GET /v2/` without credentials; on 401 the `WWW-Authenticate` challenge says how to log in:
//! `Basic` (send user:password to `/v2/` itself) or `Bearer` (get a token from the challenge's
//! realm with user:password, then send the token to `/v2/`). With a repository, a second,
//! pull-scoped step (`GET /v2/NAME/tags/list`) proves the credentials may pull from it.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::http::{Auth, Checked, Client, Reply};
use super::{Outcome, Redactor, VerifyError};

/// The user and password (or token) sent to the registry, as `docker login -u USER` would.
pub(crate) struct Login {
    pub user: String,
    pub password: Zeroizing<String>,
}

impl Login {
    pub(crate) fn basic(&self) -> Auth<'_> {
        Auth::Basic {
            user: &self.user,
            password: &self.password,
        }
    }
}

/// One challenge of a `WWW-Authenticate` header: its scheme (lowercase) and parameters (names
/// lowercase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: HashMap<String, String>,
}

/// Parses every challenge of every `WWW-Authenticate` header (RFC 7235: `Scheme k=v, k="v",
/// Other k=v`).
pub(crate) fn parse_challenges(headers: &[String]) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    for header in headers {
        let chars: Vec<char> = header.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                i += 1;
            }
            let start = i;
            while i < chars.len()
                && !(chars[i].is_whitespace() || chars[i] == ',' || chars[i] == '=')
            {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            if token.is_empty() {
                // A stray '=' (or token68 padding): skip it.
                i += 1;
                continue;
            }
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == '=' {
                // A parameter of the current challenge.
                i = j + 1;
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                let mut value = String::new();
                if i < chars.len() && chars[i] == '"' {
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' && i + 1 < chars.len() {
                            i += 1;
                        }
                        value.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < chars.len() && chars[i] != ',' && !chars[i].is_whitespace() {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
                if let Some(current) = out.last_mut() {
                    current.params.insert(token.to_ascii_lowercase(), value);
                }
            } else {
                out.push(Challenge {
                    scheme: token.to_ascii_lowercase(),
                    params: HashMap::new(),
                });
            }
        }
    }
    out
}

/// The challenge to answer: Bearer when offered (docker prefers it), else Basic.
pub(crate) fn pick(challenges: &[Challenge]) -> Option<&Challenge> {
    challenges
        .iter()
        .find(|c| c.scheme == "bearer" && c.params.contains_key("realm"))
        .or_else(|| challenges.iter().find(|c| c.scheme == "basic"))
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// What a token request gave.
pub(crate) enum TokenAnswer {
    Token(Zeroizing<String>),
    /// 401 or 403: the token service refused these credentials (or this scope).
    Refused(u16),
}

/// Where a Bearer registry sends clients for tokens: its challenge's realm and service.
pub(crate) struct TokenService {
    pub realm: Checked,
    pub service: Option<String>,
}

impl TokenService {
    /// The token service of a Bearer `challenge` (its realm must pass the TLS rules).
    pub(crate) fn of(client: &Client, challenge: &Challenge) -> Result<TokenService, VerifyError> {
        Ok(TokenService {
            realm: client.check_url(challenge.params.get("realm").map_or("", String::as_str))?,
            service: challenge.params.get("service").cloned(),
        })
    }

    /// A token for `scopes` (none: a login-only token), with `login` or anonymous; `redactor`
    /// masks it from then on. `odd` is the error for an answer other than 200, 401 or 403.
    pub(crate) fn fetch(
        &self,
        client: &Client,
        login: Option<&Login>,
        scopes: &[&str],
        redactor: &mut Redactor,
        odd: fn(&str, &Reply) -> VerifyError,
    ) -> Result<TokenAnswer, VerifyError> {
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(service) = &self.service {
            query.push(("service", service));
        }
        for scope in scopes {
            query.push(("scope", scope));
        }
        if let Some(login) = login {
            query.push(("account", &login.user));
        }
        let auth = login.map(Login::basic);
        let reply = client.get(&self.realm, &query, auth.as_ref(), true)?;
        match reply.status {
            200 => {}
            401 | 403 => return Ok(TokenAnswer::Refused(reply.status)),
            _ => return Err(odd(&self.realm.url, &reply)),
        }
        let odd = |detail: &str| VerifyError::protocol(&self.realm.url, detail);
        let parsed: TokenResponse = serde_json::from_str(&reply.body)
            .map_err(|_| odd("the token service answered 200 without a JSON token"))?;
        let token = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .map(Zeroizing::new)
            .ok_or_else(|| odd("the token service answered 200 without a token"))?;
        redactor.add(&token);
        Ok(TokenAnswer::Token(token))
    }
}

/// Logs in to the registry at `authority` (`host[:port]`) and, with `repository`, proves pull
/// permission on it.
pub(crate) fn login(
    client: &Client,
    authority: &str,
    login: &Login,
    repository: Option<&str>,
    redactor: &mut Redactor,
) -> Result<Outcome, VerifyError> {
    let base = client.registry_base(authority)?;
    let ping = base.join("/v2/");
    let first = client.get(&ping, &[], None, true)?;
    match first.status {
        200 => return Ok(Outcome::NoLoginRequired),
        401 => {}
        _ => return Err(not_a_registry(&ping.url, &first)),
    }
    let challenges = parse_challenges(&first.www_authenticate);
    let Some(challenge) = pick(&challenges) else {
        return Err(VerifyError::protocol(
            &ping.url,
            "it answered 401 without a Basic or Bearer challenge (WWW-Authenticate)",
        ));
    };
    let rejected = |status: u16| VerifyError::Rejected {
        registry: authority.to_string(),
        status,
    };

    // Bearer: the realm is where the registry sends clients for tokens.
    let mut bearer = None;
    if challenge.scheme == "bearer" {
        let tokens = TokenService::of(client, challenge)?;
        let header_scopes: Vec<&str> = challenge
            .params
            .get("scope")
            .map(|s| s.split_whitespace().collect())
            .unwrap_or_default();
        match tokens.fetch(client, Some(login), &header_scopes, redactor, unexpected)? {
            TokenAnswer::Token(t) => bearer = Some((tokens, t)),
            TokenAnswer::Refused(status) => return Err(rejected(status)),
        }
    }
    let auth = match &bearer {
        Some((_, token)) => Auth::Bearer(token),
        None => login.basic(),
    };
    let second = client.get(&ping, &[], Some(&auth), false)?;
    match second.status {
        200 => {}
        401 | 403 => return Err(rejected(second.status)),
        _ => return Err(unexpected(&ping.url, &second)),
    }
    let Some(repo) = repository else {
        return Ok(Outcome::Valid);
    };
    let Some((tokens, _)) = bearer else {
        return pull_check(client, &base, repo, &auth);
    };
    let scope = format!("repository:{repo}:pull");
    let pull_token =
        match tokens.fetch(client, Some(login), &[scope.as_str()], redactor, unexpected)? {
            TokenAnswer::Token(t) => t,
            TokenAnswer::Refused(_) => {
                return Ok(Outcome::ValidNoPull {
                    repository: repo.to_string(),
                });
            }
        };
    pull_check(client, &base, repo, &Auth::Bearer(&pull_token))
}

/// `GET /v2/NAME/tags/list`: the cheapest request that needs pull permission.
fn pull_check(
    client: &Client,
    base: &Checked,
    repository: &str,
    auth: &Auth<'_>,
) -> Result<Outcome, VerifyError> {
    let target = base.join(&format!("/v2/{repository}/tags/list"));
    let reply = client.get(&target, &[], Some(auth), false)?;
    match reply.status {
        200 => Ok(Outcome::Valid),
        401 | 403 => Ok(Outcome::ValidNoPull {
            repository: repository.to_string(),
        }),
        404 => Ok(Outcome::RepositoryNotFound {
            repository: repository.to_string(),
        }),
        _ => Err(unexpected(&target.url, &reply)),
    }
}

fn not_a_registry(url: &str, reply: &Reply) -> VerifyError {
    let detail = match reply.status {
        300..=399 => match &reply.location {
            Some(to) => format!(
                "HTTP {} redirect to {to}; a registry answers /v2/ itself (check the url)",
                reply.status
            ),
            None => format!(
                "HTTP {} redirect; a registry answers /v2/ itself",
                reply.status
            ),
        },
        404 => "HTTP 404: there is no Docker Registry v2 API at this address (check the url)"
            .to_string(),
        400 if reply.body.contains("HTTPS") => {
            "HTTP 400: it expects HTTPS (drop --insecure-registry)".to_string()
        }
        s => format!(
            "HTTP {s} where a registry answers 200 or 401{}",
            super::summary(&reply.body)
        ),
    };
    VerifyError::protocol(url, detail)
}

fn unexpected(url: &str, reply: &Reply) -> VerifyError {
    let detail = match reply.status {
        300..=399 => format!(
            "HTTP {} redirect{}; fioreg does not follow redirects with credentials",
            reply.status,
            reply
                .location
                .as_deref()
                .map(|l| format!(" to {l}"))
                .unwrap_or_default()
        ),
        500..=599 => format!("HTTP {}: the server failed; try again later", reply.status),
        s => format!("HTTP {s}{}", super::summary(&reply.body)),
    };
    VerifyError::protocol(url, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(h: &str) -> Vec<Challenge> {
        parse_challenges(&[h.to_string()])
    }

    #[test]
    fn bearer_challenge() {
        let c = one(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].params["realm"], "https://auth.docker.io/token");
        assert_eq!(c[0].params["service"], "registry.docker.io");
        assert_eq!(c[0].params["scope"], "repository:library/alpine:pull");
    }

    #[test]
    fn basic_and_several_challenges() {
        let c = one(r#"Basic realm="basic-realm""#);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].params["realm"], "basic-realm");

        let c = one(
            r#"Basic realm="x, y", Bearer realm="https://r/t", service=svc , error="insufficient_scope""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].params["realm"], "x, y");
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].params["service"], "svc");
        assert_eq!(c[1].params["error"], "insufficient_scope");
        assert_eq!(pick(&c).unwrap().scheme, "bearer");

        let c = parse_challenges(&[
            r#"Basic realm="https://1.dkr.ecr.us-east-2.amazonaws.com/",service="ecr.amazonaws.com""#
                .to_string(),
        ]);
        assert_eq!(pick(&c).unwrap().scheme, "basic");
        assert_eq!(c[0].params["service"], "ecr.amazonaws.com");
    }

    #[test]
    fn escapes_and_junk() {
        let c = one(r#"Bearer realm="a\"b""#);
        assert_eq!(c[0].params["realm"], "a\"b");
        assert!(one("").is_empty());
        assert!(pick(&one("Negotiate")).is_none());
        // A Bearer challenge without a realm can't be answered.
        assert!(pick(&one("Bearer service=x")).is_none());
        let c = one("Basic abc==");
        assert_eq!(c[0].scheme, "basic");
    }
}
