//! The rules: a request's fields, which entry a name or url means, and the plan of add, rotate
//! and remove, each refused with its reason and way out.

use super::*;
use crate::factory_config::{Change, FactoryConfig, RegistryEntry};
use crate::provider;
use std::path::Path;

/// An entry's keys and values, in file order.
type Fields = Vec<(String, String)>;

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
            (_, Some(u)) => cfg.entry_by_url(u),
            (_, None) => None,
        };
        if let Some(e) = existing
            && e.kind != p.type_name()
        {
            return Err(PlanError::Invalid(format!(
                "{} already uses this url as type `{}`; remove or fix that entry first",
                describe(cfg, e),
                e.kind
            )));
        }
        // Updating an entry (of this type, as checked above) without naming a secret keeps the
        // entry's own secret name.
        if req.secret_name.is_none()
            && let Some(name) = existing.and_then(|e| e.secret_name.as_deref())
            && provider::validate_secret_name(name).is_ok()
            && let Some(last) = fields.last_mut()
        {
            last.1 = name.to_string();
        }
        let secret_name = fields.last().map(|(_, v)| v.clone()).unwrap_or_default();
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

        // The aws entry after the change holds the region written here.
        let region = fields
            .iter()
            .find(|(k, _)| k == "region")
            .map(|(_, v)| v.clone());
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
            region,
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
            region: e.region.clone(),
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
            region: None,
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
        self.region.clone()
    }

    /// The AWS region the plan's keys are used in: [`Plan::region`], else the ECR url's.
    pub fn aws_region(&self) -> Option<String> {
        self.region().or_else(|| {
            let url = provider::aws::parse_url(self.url.as_deref()?).ok()?;
            Some(url.region.to_string())
        })
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
}
