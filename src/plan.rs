//! Answers -> [`Plan`]: the secret to store and the config edit, previewed with the secret
//! redacted, then applied in a safe order (secret first, config only when fioctl succeeded).
//!
//! Every front end (flags, wizard, plain prompts) builds its plan here, so the rules are written
//! once: url and region checks, default secret names, one aws/gar entry per factory, no secret
//! name shared between two entries, and updating an existing entry instead of duplicating it.

use crate::credentials::{self, CredError, aws::ProfileSource, user_token::UserTokenKind};
use crate::factory_config::{self, Change, FactoryConfig, RegistryEntry};
use crate::fioctl::{Fioctl, FioctlError};
use crate::provider::{self, Provider};
use crate::secret::Secret;
use secrecy::SecretString;
use std::path::{Path, PathBuf};

/// An entry's keys and values, in file order.
type Fields = Vec<(String, String)>;

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

    /// The `fioreg add ...` line that does the same from a script (never the secret itself).
    pub fn command_line(&self, config: &Path, factory: Option<&str>) -> String {
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
        match &self.credential {
            CredentialInput::AwsProfile(Some(p)) => {
                words.extend(["--profile".into(), shell_word(p)]);
            }
            CredentialInput::UserToken { user, .. } => {
                let flag = if r.provider == Provider::Azure {
                    "--client-id"
                } else {
                    "--username"
                };
                words.extend([flag.into(), shell_word(user), "--password-stdin".into()]);
            }
            _ => {}
        }
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

/// Where secrets go: the factory through fioctl, or a scratch folder in demo mode.
pub trait SecretStore: Send + Sync {
    /// Stores each secret under its name.
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError>;
    /// The names of the secrets that exist.
    fn list(&self) -> Result<Vec<String>, FioctlError>;
    /// Deletes each named secret.
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError>;
    /// How the plan shows a store call, e.g. `fioctl --factory acme secrets update`.
    fn update_command(&self) -> String;
}

impl SecretStore for Fioctl {
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        self.secrets_update(secrets)
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        self.secrets_list()
    }
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError> {
        self.secrets_delete(names)
    }
    fn update_command(&self) -> String {
        fioctl_update_command(self.factory())
    }
}

fn fioctl_update_command(factory: Option<&str>) -> String {
    match factory {
        Some(f) => format!("fioctl --factory {f} secrets update"),
        None => "fioctl secrets update".into(),
    }
}

/// A store for plans that neither store nor delete a secret: removing an entry and keeping its
/// secret needs no fioctl.
pub struct NoStore;

impl SecretStore for NoStore {
    fn update(&self, _: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        Err(FioctlError::Io(std::io::Error::other(
            "no secret store in use",
        )))
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        Ok(Vec::new())
    }
    fn delete(&self, _: &[&str]) -> Result<(), FioctlError> {
        Err(FioctlError::Io(std::io::Error::other(
            "no secret store in use",
        )))
    }
    fn update_command(&self) -> String {
        String::new()
    }
}

/// Demo mode's store: each secret becomes a 0600 file in a scratch folder; no fioctl, no factory.
#[derive(Debug)]
pub struct FolderStore {
    pub dir: PathBuf,
}

impl SecretStore for FolderStore {
    fn update(&self, secrets: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(&self.dir).map_err(FioctlError::Io)?;
        for (name, secret) in secrets {
            provider::validate_secret_name(name).map_err(|e| {
                FioctlError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            })?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(self.dir.join(name))
                .map_err(FioctlError::Io)?;
            f.write_all(secret.expose()).map_err(FioctlError::Io)?;
        }
        Ok(())
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        let mut names = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
    fn delete(&self, names: &[&str]) -> Result<(), FioctlError> {
        for name in names {
            provider::validate_secret_name(name).map_err(|e| {
                FioctlError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            })?;
            match std::fs::remove_file(self.dir.join(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(FioctlError::Io(e));
                }
                _ => {}
            }
        }
        Ok(())
    }
    fn update_command(&self) -> String {
        format!("(demo) store in {}", self.dir.display())
    }
}

/// Whether the entry is new or an existing one is updated in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Add,
    /// Update the entry at this index (its first line in the file).
    Update {
        index: usize,
        line: usize,
    },
    /// New credentials for the entry at this index; the file stays byte-identical.
    Rotate {
        index: usize,
        line: usize,
    },
    /// Remove the entry at this index (and, with `SecretOp::Delete`, its secret).
    Remove {
        index: usize,
        line: usize,
    },
}

/// What happens to the factory secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOp {
    /// Store [`Plan::secret`] before the config is written.
    Store,
    /// Delete the secret (`NAME=`) after the config is written.
    Delete,
    /// Leave the secret as it is.
    Keep,
}

/// Commit factory-config.yml in its ci-scripts checkout after writing it.
#[derive(Debug, Clone)]
pub struct CommitPlan {
    pub checkout: crate::git::Checkout,
    pub branch: String,
    pub message: String,
    pub push: bool,
}

/// A request the rules refuse; the message says why and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Invalid(String),
    /// A refusal whose way out each front end words in its own terms ([`Fix`]).
    #[error("{reason}. {}", fix.cli())]
    Refused { reason: String, fix: Fix },
    #[error(transparent)]
    Edit(#[from] factory_config::edit::EditError),
}

/// The way out of a refused request, as data: the CLI names a flag, the wizards a field or a
/// checkbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Give the url of the existing entry, to update it in place.
    UseExistingUrl(String),
    /// Choose another secret name.
    OtherSecretName,
    /// Do not delete the secret.
    KeepSecret,
    /// Give the registry's url.
    GiveUrl,
}

impl Fix {
    /// In the scriptable commands' terms (flags).
    pub fn cli(&self) -> String {
        match self {
            Fix::UseExistingUrl(u) => format!(
                "To replace it, run again with --url {u} (its fields and secret are updated in \
                 place), or delete that entry first"
            ),
            Fix::OtherSecretName => "Choose another with --secret-name".into(),
            Fix::KeepSecret => "Leave out --delete-secret".into(),
            Fix::GiveUrl => "Give it with --url".into(),
        }
    }

    /// In the wizards' terms (fields and checkboxes).
    pub fn wizard(&self) -> String {
        match self {
            Fix::UseExistingUrl(u) => format!(
                "To replace it, give the url {u} (its fields and secret are updated in place), \
                 or remove that entry first"
            ),
            Fix::OtherSecretName => "Choose another secret name".into(),
            Fix::KeepSecret => "Keep the secret (leave \"delete its secret\" unchecked)".into(),
            Fix::GiveUrl => "Fill in the url".into(),
        }
    }
}

impl PlanError {
    /// The message in the wizards' terms: the same reason, the way out named as a field.
    pub fn for_wizard(&self) -> String {
        match self {
            PlanError::Refused { reason, fix } => format!("{reason}. {}", fix.wizard()),
            other => other.to_string(),
        }
    }
}

/// Everything that applying will do, computed before anything is done.
#[derive(Debug)]
pub struct Plan {
    pub config_path: PathBuf,
    pub factory: Option<String>,
    pub provider: Provider,
    pub url: Option<String>,
    pub action: Action,
    pub secret_name: String,
    pub secret: Secret,
    pub secret_op: SecretOp,
    pub old_text: String,
    pub new_text: String,
    pub commit: Option<CommitPlan>,
    /// The config's path inside its git work tree, when it is in one: diffs name it as git
    /// would (`a/ci/factory-config.yml`).
    pub git_path: Option<PathBuf>,
    /// What fioreg changed in what it was asked, and why (e.g. Docker Hub's url written as
    /// `docker.io`); shown at the top of the plan.
    pub notes: Vec<String>,
}

fn git_path(config: &Path) -> Option<PathBuf> {
    crate::git::Checkout::find(config).map(|c| c.rel)
}

impl Request {
    /// The validated entry fields, in the order of Foundries' documented examples.
    fn fields(&self) -> Result<(Option<String>, Fields), PlanError> {
        let p = self.provider;
        let invalid = |m: String| PlanError::Invalid(m);
        let url = match (&self.url, p) {
            (Some(u), _) => Some(p.validate_url(u).map_err(invalid)?),
            (None, Provider::Gar) => None,
            (None, _) => {
                return Err(PlanError::Refused {
                    reason: format!("a {p} registry needs a url ({})", url_hint(p)),
                    fix: Fix::GiveUrl,
                });
            }
        };
        let secret_name = match &self.secret_name {
            Some(n) => n.trim().to_string(),
            None => p.default_secret_name(url.as_deref()),
        };
        provider::validate_secret_name(&secret_name).map_err(invalid)?;
        let mut fields = vec![("type".to_string(), p.type_name().to_string())];
        if p == Provider::Aws {
            let u = url.as_deref().unwrap_or_default();
            let region =
                provider::aws::resolve_region(u, self.region.as_deref()).map_err(invalid)?;
            fields.push(("region".into(), region));
        } else if self.region.is_some() {
            return Err(invalid(format!("--region applies to aws only, not to {p}")));
        }
        if let Some(u) = &url {
            fields.push(("url".into(), u.clone()));
        }
        fields.push((p.secret_key().to_string(), secret_name));
        Ok((url, fields))
    }
}

fn url_hint(p: Provider) -> &'static str {
    match p {
        Provider::Aws => provider::aws::URL_SHAPE,
        Provider::Azure => "NAME.azurecr.io",
        Provider::Gar => "LOCATION-docker.pkg.dev",
        Provider::Generic => "a host such as ghcr.io",
    }
}

/// The entry whose secret name or url is `target`.
pub fn find_entry<'a>(
    cfg: &'a FactoryConfig,
    target: &str,
) -> Result<&'a RegistryEntry, PlanError> {
    let t = target.trim();
    let by_secret: Vec<&RegistryEntry> = cfg
        .registries
        .iter()
        .filter(|e| e.secret_name.as_deref() == Some(t))
        .collect();
    match by_secret.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            let lines: Vec<String> = many.iter().map(|e| e.line.to_string()).collect();
            return Err(PlanError::Invalid(format!(
                "the secret `{t}` is used by the entries at lines {}; name one by its url instead",
                lines.join(", ")
            )));
        }
    }
    if let Some(e) = cfg.entry_by_url(t) {
        return Ok(e);
    }
    let known: Vec<String> = cfg
        .registries
        .iter()
        .map(|e| {
            format!(
                "{} ({})",
                e.secret_name.as_deref().unwrap_or("-"),
                e.url.as_deref().unwrap_or(&e.kind)
            )
        })
        .collect();
    Err(PlanError::Invalid(if known.is_empty() {
        format!("{}: no registry is configured", cfg.path.display())
    } else {
        format!(
            "{}: no registry has the secret name or url `{t}`; configured: {}",
            cfg.path.display(),
            known.join(", ")
        )
    }))
}

/// The provider and secret name of an entry CI can use; an error for a broken entry.
fn entry_provider_and_secret(
    cfg: &FactoryConfig,
    e: &RegistryEntry,
) -> Result<(Provider, String), PlanError> {
    let p = e.provider.ok_or_else(|| {
        PlanError::Invalid(format!(
            "{} has type `{}`, which CI does not support; fix or remove it first",
            describe(cfg, e),
            e.kind
        ))
    })?;
    let name = e
        .secret_name
        .clone()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            PlanError::Invalid(format!(
                "{} has no `{}`; add it (or run `fioreg add`) first",
                describe(cfg, e),
                p.secret_key()
            ))
        })?;
    provider::validate_secret_name(&name).map_err(|why| {
        PlanError::Invalid(format!(
            "{}: {why}; rename it (`fioreg remove` it, then `fioreg add` it again)",
            describe(cfg, e)
        ))
    })?;
    Ok((p, name))
}

/// Whether `e` (if any) is of `p`'s type.
fn e_kind_matches(e: Option<&RegistryEntry>, p: Provider) -> bool {
    e.is_some_and(|e| e.kind == p.type_name())
}

fn describe(cfg: &FactoryConfig, e: &RegistryEntry) -> String {
    let what = match &e.url {
        Some(u) => format!("the {} entry for {u}", e.kind),
        None => format!("the {} entry", e.kind),
    };
    format!("{}:{}: {what}", cfg.path.display(), e.line)
}

impl Plan {
    /// Applies every rule to `req` against `cfg`; `secret` is what will be stored.
    pub fn build(
        cfg: &FactoryConfig,
        req: &Request,
        secret: Secret,
        factory: Option<String>,
    ) -> Result<Plan, PlanError> {
        secret.check_utf8().map_err(PlanError::Invalid)?;
        let p = req.provider;
        let (url, mut fields) = req.fields()?;

        // The entry this request updates: the same url, or for gar the one gar entry.
        let existing = match (p, &url) {
            (Provider::Gar, _) => cfg.entries_of(Provider::Gar).next(),
            (Provider::Generic, Some(u)) if u == provider::generic::DOCKER_HUB => {
                cfg.entry_by_url(u).or_else(|| {
                    cfg.entries_of(Provider::Generic).find(|e| {
                        e.url
                            .as_deref()
                            .is_some_and(provider::generic::docker_hub_alias)
                    })
                })
            }
            (_, Some(u)) => cfg.entry_by_url(u),
            (_, None) => None,
        };
        // Updating an entry without naming a secret keeps the entry's own secret name.
        if req.secret_name.is_none()
            && let Some(name) = existing.and_then(|e| e.secret_name.as_deref())
            && e_kind_matches(existing, p)
            && provider::validate_secret_name(name).is_ok()
            && let Some(last) = fields.last_mut()
        {
            last.1 = name.to_string();
        }
        let secret_name = fields.last().map(|(_, v)| v.clone()).unwrap_or_default();
        if let Some(e) = existing
            && e.kind != p.type_name()
        {
            return Err(PlanError::Invalid(format!(
                "{} already uses this url as type `{}`; remove or fix that entry first",
                describe(cfg, e),
                e.kind
            )));
        }
        if existing.is_none()
            && p.single_per_factory()
            && let Some(other) = cfg.entries_of(p).next()
        {
            return Err(PlanError::Refused {
                reason: format!(
                    "{} already exists, and Foundries CI crashes when a factory has two {p} \
                     entries",
                    describe(cfg, other)
                ),
                fix: Fix::UseExistingUrl(other.url.clone().unwrap_or_else(|| "<its url>".into())),
            });
        }
        // A secret name used by another entry would overwrite that registry's credentials.
        if let Some(other) = cfg.registries.iter().find(|e| {
            e.secret_name.as_deref() == Some(secret_name.as_str())
                && Some(e.index) != existing.map(|x| x.index)
        }) {
            return Err(PlanError::Refused {
                reason: format!(
                    "the secret name `{secret_name}` is already used by {}; storing it would \
                     replace that registry's credentials",
                    describe(cfg, other)
                ),
                fix: Fix::OtherSecretName,
            });
        }

        let (action, change) = match existing {
            Some(e) => (
                Action::Update {
                    index: e.index,
                    line: e.line,
                },
                Change::Update {
                    index: e.index,
                    fields: fields.into_iter().filter(|(k, _)| k != "type").collect(),
                },
            ),
            None => (Action::Add, Change::Add { fields }),
        };
        let edited = cfg.edit(&change)?;
        let mut notes = Vec::new();
        if let Some(asked) = req.url.as_deref()
            && p == Provider::Generic
            && provider::generic::docker_hub_alias(asked)
        {
            notes.push(provider::generic::docker_hub_note(asked.trim()));
        }
        if let Some(e) = existing
            && let Some(old) = e.url.as_deref()
            && p == Provider::Generic
            && provider::generic::docker_hub_alias(old)
            && req.url.as_deref().map(str::trim) != Some(old)
        {
            notes.push(format!(
                "the entry at line {} had url `{old}`; it becomes `{}`",
                e.line,
                provider::generic::DOCKER_HUB
            ));
        }
        Ok(Plan {
            config_path: cfg.path.clone(),
            factory,
            provider: p,
            url,
            action,
            secret_name,
            secret,
            secret_op: SecretOp::Store,
            old_text: cfg.original(),
            new_text: edited.text,
            commit: None,
            git_path: git_path(&cfg.path),
            notes,
        })
    }

    /// New credentials for an existing entry, found by its secret name or url. The config is
    /// not touched; `secret` must have been read for the entry's type.
    pub fn rotate(
        cfg: &FactoryConfig,
        target: &str,
        secret: Secret,
        factory: Option<String>,
    ) -> Result<Plan, PlanError> {
        secret.check_utf8().map_err(PlanError::Invalid)?;
        let e = find_entry(cfg, target)?;
        let (p, name) = entry_provider_and_secret(cfg, e)?;
        Ok(Plan {
            config_path: cfg.path.clone(),
            factory,
            provider: p,
            url: e.url.clone(),
            action: Action::Rotate {
                index: e.index,
                line: e.line,
            },
            secret_name: name,
            secret,
            secret_op: SecretOp::Store,
            old_text: cfg.original(),
            new_text: cfg.original(),
            commit: None,
            git_path: git_path(&cfg.path),
            notes: Vec::new(),
        })
    }

    /// Removes an entry, found by its secret name or url; with `delete_secret`, its secret too.
    pub fn remove(
        cfg: &FactoryConfig,
        target: &str,
        delete_secret: bool,
        factory: Option<String>,
    ) -> Result<Plan, PlanError> {
        let e = find_entry(cfg, target)?;
        let kind = e.kind.clone();
        let provider = e.provider.unwrap_or(Provider::Generic);
        let name = e.secret_name.clone().unwrap_or_default();
        if delete_secret {
            if !name.is_empty()
                && let Err(why) = provider::validate_secret_name(&name)
            {
                return Err(PlanError::Invalid(format!(
                    "{}: {why}; leave out --delete-secret",
                    describe(cfg, e)
                )));
            }
            if name.is_empty() {
                return Err(PlanError::Refused {
                    reason: format!(
                        "{} names no secret, so there is none to delete",
                        describe(cfg, e)
                    ),
                    fix: Fix::KeepSecret,
                });
            }
            if let Some(other) = cfg
                .registries
                .iter()
                .find(|o| o.index != e.index && o.secret_name.as_deref() == Some(name.as_str()))
            {
                return Err(PlanError::Refused {
                    reason: format!(
                        "the secret `{name}` is also used by {}; deleting it would break that \
                         registry",
                        describe(cfg, other)
                    ),
                    fix: Fix::KeepSecret,
                });
            }
        }
        let edited = cfg.edit(&Change::Remove { index: e.index })?;
        Ok(Plan {
            config_path: cfg.path.clone(),
            factory,
            provider,
            url: e.url.clone(),
            action: Action::Remove {
                index: e.index,
                line: e.line,
            },
            secret_name: name,
            secret: Secret::new(Vec::new(), format!("{kind} entry's secret")),
            secret_op: if delete_secret {
                SecretOp::Delete
            } else {
                SecretOp::Keep
            },
            old_text: cfg.original(),
            new_text: edited.text,
            commit: None,
            git_path: git_path(&cfg.path),
            notes: Vec::new(),
        })
    }

    /// The same plan with `secret` (read after the plan was checked) as what will be stored;
    /// refused like [`Plan::build`] refuses it.
    pub fn with_secret(mut self, secret: Secret) -> Result<Plan, PlanError> {
        secret.check_utf8().map_err(PlanError::Invalid)?;
        self.secret = secret;
        Ok(self)
    }

    /// Adds a commit of factory-config.yml (and a push) to the plan. Refuses when the file is
    /// not in a git work tree or already has changes of its own, before anything is done.
    pub fn with_commit(
        mut self,
        message: Option<String>,
        push: bool,
    ) -> Result<Plan, crate::git::GitError> {
        self.commit = Some(self.commit_plan(message, push)?);
        Ok(self)
    }

    /// The commit [`Plan::with_commit`] would add, or why it is refused; the plan is kept.
    pub fn commit_plan(
        &self,
        message: Option<String>,
        push: bool,
    ) -> Result<CommitPlan, crate::git::GitError> {
        let checkout = crate::git::Checkout::require(&self.config_path)?;
        checkout.ensure_clean()?;
        let branch = checkout.branch()?;
        Ok(CommitPlan {
            checkout,
            branch,
            message: message.unwrap_or_else(|| format!("container_registries: {}", self.summary())),
            push,
        })
    }

    /// The `region:` the login test uses: for rotate, the rotated entry's; for add and update
    /// (aws only), the aws entry's as the config has it after the change. `None`: no region
    /// (the login test then takes the url's).
    pub fn region(&self) -> Option<String> {
        if !matches!(self.action, Action::Rotate { .. }) && self.provider != Provider::Aws {
            return None;
        }
        let cfg = FactoryConfig::parse(&self.config_path, self.new_text.clone()).ok()?;
        let mut entries = cfg.registries.into_iter();
        match self.action {
            Action::Rotate { index, .. } => entries.find(|e| e.index == index)?.region,
            _ => entries.find(|e| e.provider == Some(Provider::Aws))?.region,
        }
    }

    /// The file name shown in diffs.
    pub fn config_name(&self) -> String {
        if let Some(rel) = &self.git_path {
            return rel.to_string_lossy().into_owned();
        }
        self.config_path.file_name().map_or_else(
            || "factory-config.yml".into(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The unified diff of factory-config.yml; empty when the file stays as it is.
    pub fn diff(&self, color: bool) -> String {
        factory_config::diff::unified(&self.old_text, &self.new_text, &self.config_name(), color)
    }

    /// The fioctl calls, with the secret replaced by its description.
    pub fn fioctl_calls(&self) -> Vec<String> {
        let cmd = fioctl_update_command(self.factory.as_deref());
        match self.secret_op {
            SecretOp::Store => vec![format!(
                "{cmd} {}==<{}>",
                self.secret_name,
                self.secret.description()
            )],
            SecretOp::Delete => vec![format!("{cmd} {}=", self.secret_name)],
            SecretOp::Keep => Vec::new(),
        }
    }

    /// One line saying what the plan does, e.g. `add aws 123456789012.dkr.ecr...` (also the
    /// commit message of a later `--commit`).
    pub fn summary(&self) -> String {
        let verb = match self.action {
            Action::Add => "add",
            Action::Update { .. } => "update",
            Action::Rotate { .. } => "rotate",
            Action::Remove { .. } => "remove",
        };
        match &self.url {
            Some(u) => format!("{verb} {} {u}", self.provider),
            None => format!("{verb} {}", self.provider),
        }
    }

    /// The whole preview: what changes, the diff and the fioctl calls. Never a secret byte.
    pub fn render(&self, color: bool) -> String {
        // Paths, urls, names and descriptions come from outside: no control character is
        // shown raw (see crate::escape).
        fn push(out: &mut String, text: String) {
            out.push_str(&crate::escape::controls(&text));
        }
        let mut out = String::new();
        let path = self.config_path.display();
        let what = match self.action {
            Action::Add => format!("a new entry in {path}"),
            Action::Update { line, .. } => {
                format!("the existing entry at {path}:{line} is updated in place")
            }
            Action::Rotate { line, .. } => {
                format!("new credentials for the entry at {path}:{line}; the file is not changed")
            }
            Action::Remove { line, .. } => format!("the entry at {path}:{line}"),
        };
        push(&mut out, format!("Plan: {} ({what})\n", self.summary()));
        for note in &self.notes {
            push(&mut out, format!("Note: {note}.\n"));
        }
        let mut step = 0;
        let mut next = || {
            step += 1;
            step
        };
        if self.secret_op == SecretOp::Store {
            push(
                &mut out,
                format!("\n{}. Store the secret in the factory:\n", next()),
            );
            for call in self.fioctl_calls() {
                push(&mut out, format!("   {call}\n"));
            }
        }
        let diff = self.diff(color);
        if !diff.is_empty() {
            push(&mut out, format!("\n{}. Write {path}:\n\n", next()));
            // Escaped by diff() itself, before its colours.
            out.push_str(&diff);
        } else if !matches!(self.action, Action::Rotate { .. }) {
            push(
                &mut out,
                format!(
                    "\n{}. {path} already holds this entry: no change.\n",
                    next()
                ),
            );
        }
        if self.secret_op == SecretOp::Delete {
            push(
                &mut out,
                format!("\n{}. Then delete the secret from the factory:\n", next()),
            );
            for call in self.fioctl_calls() {
                push(&mut out, format!("   {call}\n"));
            }
        } else if let Action::Remove { .. } = self.action
            && !self.secret_name.is_empty()
        {
            push(
                &mut out,
                format!(
                    "\n   The secret `{}` stays in the factory (pass --delete-secret to delete it).\n",
                    self.secret_name
                ),
            );
        }
        if let Some(c) = &self.commit
            && !diff.is_empty()
        {
            push(
                &mut out,
                format!(
                    "\n{}. Commit {} in {} (branch {}): \"{}\"{}\n",
                    next(),
                    c.checkout.rel.display(),
                    c.checkout.root.display(),
                    c.branch,
                    c.message,
                    if c.push { ", then push" } else { "" }
                ),
            );
        }
        out
    }

    /// Stores the secret, then (only if fioctl succeeded) writes the config atomically.
    pub fn apply(&self, store: &dyn SecretStore) -> Result<Applied, ApplyError> {
        self.apply_with_progress(store, &mut |_| {})
    }

    /// [`Plan::apply`], reporting each step as it starts and ends (for live progress).
    pub fn apply_with_progress(
        &self,
        store: &dyn SecretStore,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Applied, ApplyError> {
        // Hold the config's lock from before the secret is stored until the end.
        let _lock = factory_config::write::ConfigLock::acquire(&self.config_path)
            .map_err(ApplyError::Config)?;
        if std::fs::read(&self.config_path).ok().as_deref() != Some(self.old_text.as_bytes()) {
            return Err(ApplyError::Config(
                factory_config::write::WriteError::ChangedSinceRead {
                    path: self.config_path.display().to_string(),
                },
            ));
        }
        if self.new_text != self.old_text {
            factory_config::write::preflight(&self.config_path).map_err(ApplyError::Config)?;
        }
        let stored = self.secret_op == SecretOp::Store;
        if stored {
            progress(Progress::StoringSecret);
            store
                .update(&[(self.secret_name.as_str(), &self.secret)])
                .map_err(ApplyError::Fioctl)?;
            progress(Progress::SecretStored);
        }
        let done_so_far = || {
            let mut d = Vec::new();
            if stored {
                d.push(format!("the secret `{}` WAS stored", self.secret_name));
            }
            d
        };
        let config_written = self.new_text != self.old_text;
        if config_written {
            progress(Progress::WritingConfig);
            factory_config::write::replace(&self.config_path, &self.old_text, &self.new_text)
                .map_err(|source| {
                    if stored {
                        ApplyError::ConfigAfterSecret {
                            secret_name: self.secret_name.clone(),
                            source,
                        }
                    } else {
                        ApplyError::Config(source)
                    }
                })?;
            progress(Progress::ConfigWritten);
        }
        let mut done = done_so_far();
        if config_written {
            done.push(format!("{} WAS written", self.config_path.display()));
        }
        if self.secret_op == SecretOp::Delete {
            progress(Progress::DeletingSecret);
            store
                .delete(&[self.secret_name.as_str()])
                .map_err(|e| ApplyError::Later {
                    done: done.join(" and "),
                    failed: format!("deleting the secret `{}` failed: {e}", self.secret_name),
                })?;
            done.push(format!("the secret `{}` WAS deleted", self.secret_name));
            progress(Progress::SecretDeleted);
        }
        let mut commit = None;
        if let Some(c) = self.commit.as_ref().filter(|_| config_written) {
            progress(Progress::Committing);
            let id = c
                .checkout
                .commit(&c.message)
                .map_err(|e| ApplyError::Later {
                    done: done.join(" and "),
                    failed: format!("the commit failed: {e}"),
                })?;
            done.push(format!("commit {id} was made"));
            progress(Progress::Committed);
            if c.push {
                progress(Progress::Pushing);
                c.checkout.push().map_err(|e| ApplyError::Later {
                    done: done.join(" and "),
                    failed: format!("the push failed: {e}"),
                })?;
                progress(Progress::Pushed);
            }
            commit = Some(id);
        }
        Ok(Applied {
            config_written,
            commit,
        })
    }
}

/// A step of [`Plan::apply_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    StoringSecret,
    SecretStored,
    WritingConfig,
    ConfigWritten,
    DeletingSecret,
    SecretDeleted,
    Committing,
    Committed,
    Pushing,
    Pushed,
}

/// What a failed fioctl call means for the factory: only an answer from fioctl says the secret
/// was not stored; a call that was stopped may have reached the server.
fn fioctl_outcome(e: &FioctlError) -> &'static str {
    match e {
        FioctlError::TimedOut { .. }
        | FioctlError::Interrupted
        | FioctlError::Failed { status: None, .. } => {
            "factory-config.yml is untouched. fioctl was stopped before it answered, so the \
             secret may or may not have been stored: run the same command again (storing it \
             twice is harmless)."
        }
        FioctlError::ValueNotReadWhole { .. } => {
            "factory-config.yml is untouched. The secret may have been stored incomplete: run \
             the same command again (storing it twice is harmless)."
        }
        _ => "Nothing was changed: the secret was not stored and factory-config.yml is untouched.",
    }
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub config_written: bool,
    /// The short id of the commit, when one was made.
    pub commit: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{err}\n{outcome}", err = .0, outcome = fioctl_outcome(.0))]
    Fioctl(FioctlError),
    #[error("{0}\nNothing was changed in the factory.")]
    Config(factory_config::write::WriteError),
    #[error("{done}, but {failed}")]
    Later { done: String, failed: String },
    #[error(
        "the secret `{secret_name}` WAS stored in the factory, but {source}\nFix the problem and \
         run the same command again: storing the secret again is harmless."
    )]
    ConfigAfterSecret {
        secret_name: String,
        source: factory_config::write::WriteError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> FactoryConfig {
        FactoryConfig::parse(Path::new("factory-config.yml"), text.to_string()).unwrap()
    }

    fn req(p: Provider, url: Option<&str>) -> Request {
        Request {
            provider: p,
            url: url.map(String::from),
            region: None,
            secret_name: None,
        }
    }

    fn secret() -> Secret {
        Secret::new(b"ci:tok".to_vec(), "user ci, token")
    }

    const AWS1: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

    #[test]
    fn add_aws_documented_shape() {
        let c = cfg("lmp: {}\n");
        let plan = Plan::build(&c, &req(Provider::Aws, Some(AWS1)), secret(), None).unwrap();
        assert_eq!(plan.action, Action::Add);
        assert!(plan.new_text.ends_with(&format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  aws_creds_secret_name: aws_creds\n"
        )));
        assert_eq!(
            plan.fioctl_calls(),
            vec!["fioctl secrets update aws_creds==<user ci, token>"]
        );
        assert_eq!(plan.summary(), format!("add aws {AWS1}"));
    }

    #[test]
    fn a_secret_that_is_not_utf8_makes_no_plan() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n",
        );
        let bad = || Secret::new(b"ci:t\xffk".to_vec(), "user ci, token");
        let err = Plan::build(&c, &req(Provider::Generic, Some("ghcr.io")), bad(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the secret <user ci, token> is not UTF-8 text"),
            "{err}"
        );
        let err = Plan::rotate(&c, "ghcr.io", bad(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("U+FFFD"), "{err}");
    }

    #[test]
    fn second_aws_is_refused_and_same_url_updates() {
        let c = cfg(&format!(
            "container_registries:\n- type: aws # prod\n  region: us-east-2\n  url: {AWS1}\n  aws_creds_secret_name: aws_creds\n"
        ));
        let other = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
        let err = Plan::build(&c, &req(Provider::Aws, Some(other)), secret(), None).unwrap_err();
        assert!(
            err.to_string()
                .contains("crashes when a factory has two aws entries"),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("factory-config.yml:2:"),
            "{err}"
        );
        let plan = Plan::build(&c, &req(Provider::Aws, Some(AWS1)), secret(), None).unwrap();
        assert_eq!(plan.action, Action::Update { index: 0, line: 2 });
        assert_eq!(plan.new_text, plan.old_text);
        assert!(plan.render(false).contains("no change"));
    }

    #[test]
    fn gar_updates_the_one_gar_entry() {
        let c = cfg("container_registries:\n- type: gar\n  gar_creds_secret_name: gcp_creds\n");
        let mut r = req(Provider::Gar, Some("europe-west4-docker.pkg.dev"));
        r.secret_name = Some("gcp_creds".into());
        let plan = Plan::build(&c, &r, secret(), Some("acme".into())).unwrap();
        assert_eq!(plan.action, Action::Update { index: 0, line: 2 });
        assert!(
            plan.new_text
                .contains("  url: europe-west4-docker.pkg.dev\n")
        );
        assert!(
            plan.fioctl_calls()[0].starts_with("fioctl --factory acme secrets update gcp_creds==")
        );
    }

    #[test]
    fn shared_secret_name_is_refused() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: creds\n",
        );
        let mut r = req(Provider::Generic, Some("docker.io"));
        r.secret_name = Some("creds".into());
        let err = Plan::build(&c, &r, secret(), None).unwrap_err().to_string();
        assert!(
            err.contains("already used by factory-config.yml:2: the generic entry for ghcr.io"),
            "{err}"
        );
    }

    #[test]
    fn url_type_conflict_and_bad_input() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: acmeprod.azurecr.io\n  generic_secret_name: g\n",
        );
        let err = Plan::build(
            &c,
            &req(Provider::Azure, Some("acmeprod.azurecr.io")),
            secret(),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("as type `generic`"), "{err}");
        let c = cfg("");
        assert!(Plan::build(&c, &req(Provider::Azure, None), secret(), None).is_err());
        assert!(
            Plan::build(
                &c,
                &req(Provider::Azure, Some("x.azurecr.io")),
                secret(),
                None
            )
            .is_err()
        );
        let mut r = req(Provider::Generic, Some("ghcr.io"));
        r.region = Some("us-east-2".into());
        assert!(
            Plan::build(&c, &r, secret(), None)
                .unwrap_err()
                .to_string()
                .contains("aws only")
        );
        let mut r = req(Provider::Generic, Some("ghcr.io"));
        r.secret_name = Some("bad name".into());
        assert!(Plan::build(&c, &r, secret(), None).is_err());
    }

    #[test]
    fn command_line_for_scripts_never_holds_the_password() {
        let a = Answers {
            request: Request {
                provider: Provider::Azure,
                url: Some("acmeprod.azurecr.io".into()),
                region: None,
                secret_name: Some("az prod".into()),
            },
            credential: CredentialInput::UserToken {
                user: "1f2e".into(),
                password: SecretString::from("hunter2"),
            },
        };
        assert_eq!(
            a.command_line(Path::new("ci/factory-config.yml"), Some("acme")),
            "fioreg --config ci/factory-config.yml --factory acme add azure --url acmeprod.azurecr.io \
             --client-id 1f2e --password-stdin --secret-name 'az prod'"
        );
    }

    #[test]
    fn folder_store_writes_private_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore {
            dir: dir.path().join("secrets"),
        };
        store.update(&[("ghcr_creds", &secret())]).unwrap();
        let p = dir.path().join("secrets/ghcr_creds");
        assert_eq!(std::fs::read(&p).unwrap(), b"ci:tok");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(store.list().unwrap(), vec!["ghcr_creds".to_string()]);
        assert!(store.update(&[("../x", &secret())]).is_err());
    }

    #[test]
    fn preview_never_shows_the_secret() {
        let c = cfg("");
        let plan =
            Plan::build(&c, &req(Provider::Generic, Some("ghcr.io")), secret(), None).unwrap();
        let shown = format!("{}{:?}", plan.render(true), plan);
        assert!(!shown.contains("ci:tok"), "{shown}");
        assert!(shown.contains("generic_secret_name: ghcr_creds"));
    }
}
