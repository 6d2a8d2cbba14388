//! Azure: a pull-only credential for one container registry through the official `az` CLI (the
//! admin's own `az login`): a service principal with the AcrPull role scoped to the registry
//! (`az ad sp create-for-rbac`), or, for some repositories only, an ACR token with
//! `content/read` and `metadata/read` and an expiry (`az acr token create`). The secret is
//! `id:password` (the principal's appId, or the token's name).
//!
//! Every call is `az ... --output json` with stdout read from a pipe. When `az` is not
//! installed, [`manual_commands`] gives the exact commands to run instead: they pipe the
//! password straight into `fioreg add azure --password-stdin`, so it is never shown.

use super::{CliError, CloudAction, CloudError, CloudPlan, Created, Document, Ledger};
use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;
use std::process::Command;
use zeroize::Zeroizing;

/// How long a new Azure credential may be refused before the run gives up (Entra ID replicates
/// slowly).
pub const KEY_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// What kind of identity CI logs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A service principal with AcrPull on the whole registry.
    Principal,
    /// A repository-scoped token: these repositories, read only, expiring after `days`.
    Token {
        repositories: Vec<String>,
        days: u32,
    },
}

/// What to create, for the plan and for the manual commands.
#[derive(Debug, Clone)]
pub struct Request {
    /// `NAME.azurecr.io`
    pub url: String,
    /// The principal's display name or the token's name.
    pub name: String,
    pub kind: Kind,
}

impl Request {
    /// The registry's name: the url's first label.
    pub fn registry(&self) -> &str {
        self.url.split('.').next().unwrap_or(&self.url)
    }

    /// `ad sp create-for-rbac --name NAME --role AcrPull --scopes SCOPE`.
    fn principal_args<'a>(&'a self, scope: &'a str) -> [&'a str; 9] {
        [
            "ad",
            "sp",
            "create-for-rbac",
            "--name",
            &self.name,
            "--role",
            "AcrPull",
            "--scopes",
            scope,
        ]
    }

    /// `acr token credential generate --name NAME --registry R --password1`.
    fn password1_args(&self) -> [&str; 9] {
        [
            "acr",
            "token",
            "credential",
            "generate",
            "--name",
            &self.name,
            "--registry",
            self.registry(),
            "--password1",
        ]
    }

    fn token_args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "acr".into(),
            "token".into(),
            "create".into(),
            "--name".into(),
            self.name.clone(),
            "--registry".into(),
            self.registry().into(),
        ];
        if let Kind::Token { repositories, days } = &self.kind {
            for r in repositories {
                args.extend([
                    "--repository".into(),
                    r.clone(),
                    "content/read".into(),
                    "metadata/read".into(),
                ]);
            }
            args.extend(["--expiration-in-days".into(), days.to_string()]);
        }
        args
    }
}

/// A token or principal name: 5-50 letters, digits, `-` and `_` (ACR's rule for token names;
/// also a safe display name).
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = (3..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` cannot be used as the principal or token name: use 3-50 letters, digits, \
             `-` and `_`"
        ))
    }
}

/// The exact commands to run when `az` is not installed. The password goes from `az` straight
/// into fioreg through a pipe; it is never shown.
pub fn manual_commands(req: &Request, fioreg_prefix: &str) -> String {
    let reg = req.registry();
    let url = &req.url;
    match &req.kind {
        Kind::Principal => format!(
            "# With the Azure CLI (https://aka.ms/azure-cli) after `az login`:\n\
             ACR_ID=$(az acr show --name {reg} --query id --output tsv)\n\
             APP_ID=$(az ad sp create-for-rbac --name {name} --role AcrPull --scopes \"$ACR_ID\" \
             --query appId --output tsv)\n\
             # A fresh password for it, piped into fioreg (never shown):\n\
             az ad sp credential reset --id \"$APP_ID\" --query password --output tsv |\n  \
             {fioreg_prefix} add azure --url {url} --client-id \"$APP_ID\" --password-stdin --yes\n",
            name = crate::plan::shell_word(&req.name),
        ),
        Kind::Token { days, .. } => {
            let mut create: Vec<String> = vec!["az".into()];
            create.extend(req.token_args().iter().map(|w| crate::plan::shell_word(w)));
            create.push("--no-passwords".into());
            format!(
                "# With the Azure CLI (https://aka.ms/azure-cli) after `az login`:\n\
                 {}\n\
                 # A password for it, piped into fioreg (never shown):\n\
                 az acr token credential generate --name {name} --registry {reg} --password1 \
                 --expiration-in-days {days} --query 'passwords[0].value' --output tsv |\n  \
                 {fioreg_prefix} add azure --url {url} --client-id {name} --password-stdin --yes\n",
                create.join(" "),
                name = crate::plan::shell_word(&req.name),
            )
        }
    }
}

/// The exact commands for `rotate --new-key` without `az`: a new password piped into
/// `fioreg rotate`. `identity` is a principal's appId or `token:NAME`.
pub fn manual_rotate_commands(url: &str, identity: &str, fioreg_prefix: &str) -> String {
    let reg = url.split('.').next().unwrap_or(url);
    let (make, user) = match identity.strip_prefix("token:") {
        Some(token) => (
            format!(
                "az acr token credential generate --name {t} --registry {reg} --password1 \
                 --query 'passwords[0].value' --output tsv",
                t = crate::plan::shell_word(token)
            ),
            token,
        ),
        None => (
            format!(
                "az ad sp credential reset --id {} --query password --output tsv",
                crate::plan::shell_word(identity)
            ),
            identity,
        ),
    };
    format!(
        "# With the Azure CLI (https://aka.ms/azure-cli) after `az login`; the new password is\n\
         # piped into fioreg (never shown):\n\
         {make} |\n  {fioreg_prefix} rotate {url} --client-id {} --password-stdin --yes\n",
        crate::plan::shell_word(user)
    )
}

/// The admin's `az`.
#[derive(Debug, Clone)]
pub struct Az {
    bin: PathBuf,
}

impl Az {
    /// `az`: env FIOREG_AZ, else `az` on PATH; `None` when it is not installed.
    pub fn find() -> Option<Az> {
        super::find_program("FIOREG_AZ", "az").map(|bin| Az { bin })
    }

    fn shown(&self, words: &[&str]) -> String {
        super::show_command(&[&["az"], words].concat())
    }

    /// Runs `az ARGS --output json` and returns stdout (zeroized on drop) or the error line.
    fn call(&self, args: &[&str]) -> Result<Zeroizing<Vec<u8>>, String> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .args(["--output", "json"])
            // az's optional log file (`logging.enable_log_file`) stays off for these calls.
            .env("AZURE_LOGGING_ENABLE_LOG_FILE", "no");
        super::run_cli(cmd, "az", None).map_err(|e| match e {
            CliError::NotRun(message) => message,
            CliError::Failed(status, stderr) => format!(
                "`{}` failed: {} (az exit status {})",
                self.shown(args),
                super::why_failed(&stderr, true),
                status
                    .code()
                    .map_or_else(|| "signal".to_string(), |c| c.to_string())
            ),
        })
    }

    fn call_json<T: for<'de> Deserialize<'de>>(&self, args: &[&str]) -> Result<T, String> {
        super::parse_json(&self.call(args)?, || self.shown(args))
    }
}

#[derive(Deserialize)]
struct Account {
    id: String,
    #[serde(default)]
    user: Option<AccountUser>,
}

#[derive(Deserialize)]
struct AccountUser {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registry {
    id: String,
    login_server: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewPrincipal {
    app_id: String,
    password: SecretString,
}

#[derive(Deserialize)]
struct TokenPasswords {
    passwords: Vec<TokenPassword>,
}

#[derive(Deserialize)]
struct TokenPassword {
    value: Option<SecretString>,
    #[serde(default)]
    expiry: Option<String>,
}

#[derive(Deserialize)]
struct NewToken {
    credentials: TokenPasswords,
}

/// What [`CloudPlan::execute`] does for Azure.
#[derive(Debug)]
pub(crate) struct Job {
    az: Az,
    req: Request,
    scope: String,
    /// `Some(id)`: reset this existing principal's password (rotate) instead of creating one.
    reset_principal: Option<String>,
    /// Rotate a token: generate password1 again.
    regenerate_token: bool,
}

fn whoami(az: &Az) -> Result<String, CloudError> {
    let a: Account = az
        .call_json(&["account", "show"])
        .map_err(|e| CloudError::nothing(format!("{e}. Sign in with `az login` first")))?;
    Ok(match a.user {
        Some(u) => format!("{} (subscription {})", u.name, a.id),
        None => format!("subscription {}", a.id),
    })
}

fn registry(az: &Az, req: &Request) -> Result<Registry, CloudError> {
    let reg: Registry = az
        .call_json(&["acr", "show", "--name", req.registry()])
        .map_err(CloudError::nothing)?;
    if !reg.login_server.eq_ignore_ascii_case(&req.url) {
        return Err(CloudError::nothing(format!(
            "the registry {} serves {}, not {}",
            req.registry(),
            reg.login_server,
            req.url
        )));
    }
    Ok(reg)
}

fn secret_note(what: &str) -> String {
    format!(
        "{what} (the password goes through a pipe to fioctl; it is never shown or written to a file)"
    )
}

/// The review for `fioreg add azure --create-principal NAME`: read-only calls only.
pub fn plan_create(az: Az, req: Request) -> Result<CloudPlan, CloudError> {
    validate_name(&req.name).map_err(CloudError::nothing)?;
    let admin = whoami(&az)?;
    let reg = registry(&az, &req)?;
    let (identity, action, document) = match &req.kind {
        Kind::Principal => (
            format!(
                "a new service principal {} (its appId is the user name)",
                req.name
            ),
            CloudAction {
                title: secret_note(&format!(
                    "Create the service principal {} with the AcrPull role on {} only",
                    req.name,
                    req.registry()
                )),
                command: az.shown(&req.principal_args(&reg.id)),
            },
            Document {
                title: "Role assignment".into(),
                text: format!("AcrPull on {}", reg.id),
            },
        ),
        Kind::Token { repositories, days } => {
            let args = req.token_args();
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            (
                format!("the ACR token {} (user name {})", req.name, req.name),
                CloudAction {
                    title: secret_note(&format!(
                        "Create the token {} that can only read {} in {}, expiring in {days} days",
                        req.name,
                        repositories.join(", "),
                        req.registry()
                    )),
                    command: az.shown(&words),
                },
                Document {
                    title: "Token scope".into(),
                    text: repositories
                        .iter()
                        .map(|r| format!("{r}: content/read, metadata/read"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
            )
        }
    };
    Ok(CloudPlan {
        cloud: "Azure",
        admin,
        identity,
        notes: Vec::new(),
        actions: vec![action],
        document: Some(document),
        job: super::Job::Azure(Job {
            az,
            scope: reg.id,
            req,
            reset_principal: None,
            regenerate_token: false,
        }),
    })
}

/// The review for `fioreg rotate --new-key` on an azure registry: `identity` is `token:NAME` or
/// a principal's appId.
pub fn plan_rotate(az: Az, url: &str, identity: &str) -> Result<CloudPlan, CloudError> {
    let admin = whoami(&az)?;
    let (req, action, reset, regenerate) = match identity.strip_prefix("token:") {
        Some(token) => {
            let req = Request {
                url: url.to_string(),
                name: token.to_string(),
                kind: Kind::Token {
                    repositories: Vec::new(),
                    days: 0,
                },
            };
            let action = CloudAction {
                title: secret_note(&format!(
                    "Generate a new password1 for the token {token} (the old password1 stops \
                     working at once)"
                )),
                command: az.shown(&req.password1_args()),
            };
            (req, action, None, true)
        }
        None => {
            let req = Request {
                url: url.to_string(),
                name: identity.to_string(),
                kind: Kind::Principal,
            };
            let action = CloudAction {
                title: secret_note(&format!(
                    "Reset the password of the service principal {identity} (the old password \
                     stops working at once)"
                )),
                command: az.shown(&["ad", "sp", "credential", "reset", "--id", identity]),
            };
            (req, action, Some(identity.to_string()), false)
        }
    };
    let reg = registry(&az, &req)?;
    Ok(CloudPlan {
        cloud: "Azure",
        admin,
        identity: identity.to_string(),
        notes: vec![
            "Azure replaces the password: CI fails until the new one is stored, which follows at \
             once."
                .into(),
        ],
        actions: vec![action],
        document: None,
        job: super::Job::Azure(Job {
            az,
            scope: reg.id,
            req,
            reset_principal: reset,
            regenerate_token: regenerate,
        }),
    })
}

fn user_token(user: &str, password: &SecretString) -> Result<crate::secret::Secret, String> {
    crate::credentials::user_token::user_token(
        user,
        password.clone(),
        crate::credentials::user_token::UserTokenKind::AzurePrincipal,
    )
    .map_err(|e| e.to_string())
}

impl Job {
    /// Where fioreg remembers what it created, for `rotate --new-key`: the settings key under
    /// `factories.<factory>.` and its value (`key_id`: the principal's appId; a token is
    /// remembered as `token:NAME`).
    pub(crate) fn remembered(&self, key_id: &str) -> (String, String) {
        let value = match &self.req.kind {
            Kind::Principal => key_id.to_string(),
            Kind::Token { .. } => format!("token:{}", self.req.name),
        };
        let registry = self.req.registry().to_ascii_lowercase();
        (super::rotate::Cloud::Azure.setting(&registry), value)
    }

    /// The flags of `fioreg add azure` that create the same (after `--url`).
    pub(crate) fn add_flags(&self) -> Vec<String> {
        let mut words = vec!["--create-principal".to_string(), self.req.name.clone()];
        if let Kind::Token { repositories, days } = &self.req.kind {
            for r in repositories {
                words.extend(["--repository".into(), r.clone()]);
            }
            words.extend(["--expires-in-days".into(), days.to_string()]);
        }
        words
    }
}

/// Test support: the plan of creating `name` for `url` (a principal, or a token when
/// `repositories` are given) as [`plan_create`] makes it, without asking az.
#[cfg(test)]
pub(crate) fn new_principal_plan_for_tests(
    url: &str,
    name: &str,
    repositories: &[String],
) -> CloudPlan {
    let req = Request {
        url: url.to_string(),
        name: name.to_string(),
        kind: if repositories.is_empty() {
            Kind::Principal
        } else {
            Kind::Token {
                repositories: repositories.to_vec(),
                days: 365,
            }
        },
    };
    CloudPlan {
        cloud: "Azure",
        admin: "admin@example.com (subscription 0000)".into(),
        identity: format!("a new service principal {name} (its appId is the user name)"),
        notes: Vec::new(),
        actions: vec![CloudAction {
            title: format!("Create the service principal {name} with the AcrPull role"),
            command: format!("az ad sp create-for-rbac --name {name}"),
        }],
        document: None,
        job: super::Job::Azure(Job {
            az: Az {
                bin: PathBuf::from("az"),
            },
            scope: "/subscriptions/0000/registries/x".into(),
            req,
            reset_principal: None,
            regenerate_token: false,
        }),
    }
}

impl Job {
    /// `az acr token delete` for the token of this job.
    fn delete_token(&self) -> String {
        self.az.shown(&[
            "acr",
            "token",
            "delete",
            "--name",
            &self.req.name,
            "--registry",
            self.req.registry(),
            "--yes",
        ])
    }

    pub(crate) fn execute(&self, mut run: Ledger) -> Result<Created, CloudError> {
        let az = &self.az;
        let req = &self.req;
        if run.stopped() {
            return Err(run.fail("interrupted before anything was created".into(), true));
        }
        run.report(true);
        // What to run to see whether the interrupted action happened, and to undo it.
        let check: Vec<String> = if self.reset_principal.is_some() || self.regenerate_token {
            Vec::new()
        } else {
            match &req.kind {
                Kind::Principal => vec![
                    az.shown(&["ad", "sp", "list", "--display-name", &req.name]),
                    "az ad sp delete --id APP_ID   (the appId listed, if any)".into(),
                ],
                Kind::Token { .. } => vec![
                    az.shown(&[
                        "acr",
                        "token",
                        "show",
                        "--name",
                        &req.name,
                        "--registry",
                        req.registry(),
                    ]),
                    self.delete_token(),
                ],
            }
        };
        let stop = run.stop;
        let interrupted_note = |e: String| {
            if stop() {
                CloudError {
                    message: format!(
                        "interrupted: {e}; it may or may not have happened, check in Azure"
                    ),
                    exists: Vec::new(),
                    next: check.clone(),
                    interrupted: true,
                }
            } else {
                CloudError::nothing(e)
            }
        };
        // The credential exists by then: the account says so, with its undo.
        let no_password = |run: &Ledger| run.fail("az returned no token password".into(), false);
        // The user name of the secret, which is also the new credential's id.
        let (user, password) = if let Some(id) = &self.reset_principal {
            let args = ["ad", "sp", "credential", "reset", "--id", id.as_str()];
            let p: NewPrincipal = az.call_json(&args).map_err(interrupted_note)?;
            run.exists.push(format!(
                "the service principal {} with a NEW password (not stored in the factory yet; \
                 the old one no longer works)",
                p.app_id
            ));
            (p.app_id, p.password)
        } else if self.regenerate_token {
            let t: TokenPasswords = az
                .call_json(&req.password1_args())
                .map_err(interrupted_note)?;
            let pw = t.passwords.into_iter().find_map(|p| p.value);
            run.exists.push(format!(
                "the token {} with a NEW password1 (not stored in the factory yet)",
                req.name
            ));
            (req.name.clone(), pw.ok_or_else(|| no_password(&run))?)
        } else {
            match &req.kind {
                Kind::Principal => {
                    let p: NewPrincipal = az
                        .call_json(&req.principal_args(&self.scope))
                        .map_err(interrupted_note)?;
                    run.exists.push(format!(
                        "the service principal {} (appId {}) with AcrPull on {} (new; NOT \
                         stored in the factory yet)",
                        req.name,
                        p.app_id,
                        req.registry()
                    ));
                    run.undo
                        .push(az.shown(&["ad", "sp", "delete", "--id", &p.app_id]));
                    (p.app_id, p.password)
                }
                Kind::Token { repositories, .. } => {
                    let args = req.token_args();
                    let words: Vec<&str> = args.iter().map(String::as_str).collect();
                    let t: NewToken = az.call_json(&words).map_err(interrupted_note)?;
                    let first = t
                        .credentials
                        .passwords
                        .into_iter()
                        .find(|p| p.value.is_some());
                    let expiry = first
                        .as_ref()
                        .and_then(|p| p.expiry.clone())
                        .unwrap_or_else(|| "?".into());
                    run.exists.push(format!(
                        "the token {} in {}, reading {} only (new, expires {expiry}; NOT \
                         stored in the factory yet)",
                        req.name,
                        req.registry(),
                        repositories.join(", ")
                    ));
                    run.undo.push(self.delete_token());
                    let pw = first
                        .and_then(|p| p.value)
                        .ok_or_else(|| no_password(&run))?;
                    (req.name.clone(), pw)
                }
            }
        };
        let secret = user_token(&user, &password)
            .map_err(|e| run.fail(format!("the new credential cannot be used: {e}"), false))?;
        run.finish();
        Ok(run.created(secret, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_commands_never_show_the_password() {
        let p = Request {
            url: "acmeprod.azurecr.io".into(),
            name: "fioreg-acme-pull".into(),
            kind: Kind::Principal,
        };
        let text = manual_commands(&p, "fioreg --factory acme");
        assert!(text.contains("az acr show --name acmeprod --query id --output tsv"));
        assert!(text.contains(
            "az ad sp create-for-rbac --name fioreg-acme-pull --role AcrPull --scopes \"$ACR_ID\" --query appId --output tsv"
        ));
        assert!(text.contains(
            "az ad sp credential reset --id \"$APP_ID\" --query password --output tsv |\n  fioreg --factory acme add azure --url acmeprod.azurecr.io --client-id \"$APP_ID\" --password-stdin --yes"
        ));
        let t = Request {
            kind: Kind::Token {
                repositories: vec!["team/app".into()],
                days: 90,
            },
            ..p
        };
        let text = manual_commands(&t, "fioreg");
        assert!(text.contains(
            "az acr token create --name fioreg-acme-pull --registry acmeprod --repository team/app content/read metadata/read --expiration-in-days 90 --no-passwords"
        ), "{text}");
        assert!(
            text.contains(
                "--password1 --expiration-in-days 90 --query 'passwords[0].value' --output tsv |"
            ),
            "{text}"
        );
    }

    #[test]
    fn names() {
        assert!(validate_name("fioreg-acme-pull").is_ok());
        assert!(validate_name("a b").is_err());
        assert!(validate_name("x").is_err());
    }
}
