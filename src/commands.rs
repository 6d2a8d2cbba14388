//! The scriptable front end: `fioreg add ...` and `fioreg list`, driven by flags.

use crate::cli::{AddCommand, CredFlags, Global, PolicyCommand, SettingsCommand};
use crate::credentials::{self, aws::ProfileSource, user_token::UserTokenKind};
use crate::escape;
use crate::factory_config::FactoryConfig;
use crate::fioctl::{Fioctl, FioctlError};
use crate::keystore::{self, KeyStore};
use crate::plan::{Action, Answers, CredentialInput, Plan, Request};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::session::verify_options;
use crate::settings::Settings;
use crate::term::{color_stdout, confirm, prompt_hidden};
use crate::wizard::flow::{self, KeyringUse, PlanSource};
pub use crate::wizard::report::Exit;
use crate::wizard::report::{NOT_APPLIED, Outcome, Report, Target};
use crate::wizard::update::NewIdentity;
use anyhow::{Context, Result, bail};
use secrecy::SecretString;
use std::io::IsTerminal;

/// The credential flags of `add` and `rotate`, whatever the provider.
#[derive(Debug, Default)]
pub(crate) struct Creds {
    profile: Option<String>,
    user: Option<String>,
    key_file: Option<std::path::PathBuf>,
    pub(crate) password_stdin: bool,
    remember: bool,
    from_keyring: bool,
}

impl Creds {
    pub(crate) fn of_add(cmd: &AddCommand) -> Creds {
        match cmd {
            AddCommand::Aws { profile, .. } => Creds {
                profile: profile.clone(),
                ..Creds::default()
            },
            AddCommand::Gar { key_file, .. } => Creds {
                key_file: key_file.clone(),
                ..Creds::default()
            },
            AddCommand::Azure {
                client_id: user,
                password,
                ..
            } => Creds {
                user: user.clone(),
                password_stdin: password.password_stdin,
                remember: password.remember,
                from_keyring: password.from_keyring,
                ..Creds::default()
            },
            AddCommand::Generic {
                username: user,
                password,
                ..
            } => Creds {
                user: Some(user.clone()),
                password_stdin: password.password_stdin,
                remember: password.remember,
                from_keyring: password.from_keyring,
                ..Creds::default()
            },
        }
    }

    pub(crate) fn of_rotate(c: &CredFlags) -> Creds {
        Creds {
            profile: c.profile.clone(),
            user: c.client_id.clone().or_else(|| c.username.clone()),
            key_file: c.key_file.clone(),
            password_stdin: c.password.password_stdin,
            remember: c.password.remember,
            from_keyring: c.password.from_keyring,
        }
    }

    /// The credential answers the flags give for `provider`, as the wizards' answers: the
    /// password is read from stdin or the hidden prompt here; one kept in the keyring is taken,
    /// and one to keep is kept, by [`flow::read_and_build`] as in the wizards.
    fn answers(
        &self,
        provider: Provider,
        url: Option<&str>,
        dry_run: bool,
        stdin_tty: bool,
    ) -> Result<Given> {
        if (self.remember || self.from_keyring)
            && !matches!(provider, Provider::Azure | Provider::Generic)
        {
            bail!(
                "--remember and --from-keyring keep an Azure password or a generic token; a \
                 {provider} registry has none"
            );
        }
        let account = url.map(keystore::account);
        let credential = match provider {
            Provider::Aws => CredentialInput::AwsProfile(self.profile.clone()),
            Provider::Gar => CredentialInput::GcpKeyFile(
                self.key_file
                    .clone()
                    .context("a gar registry needs --key-file FILE (a service-account key)")?,
            ),
            Provider::Azure | Provider::Generic => {
                let kind = UserTokenKind::of(provider);
                let flag = if provider == Provider::Azure {
                    "--client-id ID"
                } else {
                    "--username USER"
                };
                let user = self
                    .user
                    .clone()
                    .with_context(|| format!("a {provider} registry needs {flag}"))?;
                let noun = kind.password_noun();
                let password: SecretString = if self.from_keyring {
                    let account = account.context("--from-keyring needs the url")?;
                    // Filled in from the keyring by flow::read_and_build.
                    let password = SecretString::from("");
                    let credential = CredentialInput::UserToken { user, password };
                    return Ok(Given::Answers(
                        credential,
                        KeyringUse::UseRemembered(account),
                    ));
                } else if self.password_stdin {
                    credentials::user_token::read_password_stdin(std::io::stdin().lock())?
                } else if dry_run {
                    return Ok(Given::NotAsked(Secret::new(
                        Vec::new(),
                        format!("{} {user}, {noun} not asked in a dry run", kind.user_noun()),
                    )));
                } else if stdin_tty {
                    let typed = match prompt_hidden(&format!("{noun} for {user} (hidden): ")) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                            return Err(Exit {
                                code: 130,
                                message: crate::wizard::report::INTERRUPTED.to_string(),
                            }
                            .into());
                        }
                        other => other.context("reading the password from the terminal")?,
                    };
                    SecretString::from(typed)
                } else {
                    bail!("no {noun}: pipe it in with --password-stdin (never pass it as a flag)");
                };
                let keyring = match account {
                    Some(account) if self.remember && !dry_run => KeyringUse::Remember(account),
                    None if self.remember => bail!("--remember needs the url"),
                    _ => KeyringUse::No,
                };
                return Ok(Given::Answers(
                    CredentialInput::UserToken { user, password },
                    keyring,
                ));
            }
        };
        Ok(Given::Answers(credential, KeyringUse::No))
    }
}

impl Creds {
    /// The secret the flags give for `provider` (several factories get the same one): the
    /// answers read as for one factory, the remembered password taken and a typed one kept in
    /// `keys` as [`flow::read_and_build`] does.
    pub(crate) fn read(
        &self,
        provider: Provider,
        url: Option<&str>,
        dry_run: bool,
        stdin_tty: bool,
        keys: &dyn KeyStore,
    ) -> Result<Secret> {
        let (credential, keyring) = match self.answers(provider, url, dry_run, stdin_tty)? {
            Given::NotAsked(secret) => return Ok(secret),
            Given::Answers(credential, keyring) => (credential, keyring),
        };
        let request = Request {
            provider,
            url: url.map(str::to_string),
            region: None,
            secret_name: None,
        };
        let mut source = PlanSource::Add {
            answers: Answers {
                request,
                credential,
            },
            keyring,
        };
        let secret = flow::read_secret(&mut source, keys, &ProfileSource::real())
            .map_err(|e| anyhow::anyhow!(e.cli()))?;
        flow::keep_typed(&source, keys).map_err(|e| anyhow::anyhow!(e.cli()))?;
        if let Some(note) = source.kept_note(keys.describe()) {
            eprintln!("{note}");
        }
        Ok(secret)
    }
}

/// The credential answers of the flags.
enum Given {
    /// The answers, and what the OS keyring does with the password.
    Answers(CredentialInput, KeyringUse),
    /// A dry run did not ask for the password: a stand-in secret that describes it.
    NotAsked(Secret),
}

/// The plan of `source` built from the flags' answers, the same way the wizards build theirs
/// ([`flow::read_and_build`]).
fn build(
    g: &Global,
    cfg: &FactoryConfig,
    given: Given,
    checked: Plan,
    source: impl FnOnce(CredentialInput, KeyringUse) -> PlanSource,
) -> Result<Plan> {
    let (credential, keyring) = match given {
        Given::NotAsked(secret) => {
            return Ok(checked.with_secret(secret)?);
        }
        Given::Answers(credential, keyring) => (credential, keyring),
    };
    let mut source = source(credential, keyring);
    let keys = keystore::OsKeyring;
    let plan = flow::read_and_complete(
        &mut source,
        cfg,
        &keys,
        &ProfileSource::real(),
        g.factory.clone(),
        Some(checked),
    )
    .map_err(|e| anyhow::anyhow!(e.cli()))?;
    if let Some(note) = source.kept_note(keys.describe()) {
        eprintln!("{note}");
    }
    Ok(plan)
}

/// Refuses to start when fioreg could not ask before applying.
pub(crate) fn check_can_confirm(g: &Global, password_stdin: bool) -> Result<bool> {
    let stdin_tty = std::io::stdin().is_terminal();
    if !g.dry_run && !g.yes && (!stdin_tty || password_stdin) {
        bail!(
            "fioreg cannot ask for confirmation: {}. Pass --yes to apply without asking, or \
             --dry-run to only see the plan",
            if password_stdin {
                "stdin carries the password"
            } else {
                "stdin is not a terminal"
            }
        );
    }
    Ok(stdin_tty)
}

pub fn add(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    if let AddCommand::Aws {
        create_user: Some(_),
        ..
    } = cmd
    {
        return add_aws_new_user(g, cmd);
    }
    if let AddCommand::Gar {
        create_service_account: Some(_),
        ..
    } = cmd
    {
        return add_gar_new_account(g, cmd);
    }
    if let AddCommand::Azure {
        create_principal: Some(_),
        ..
    } = cmd
    {
        return add_azure_new_principal(g, cmd);
    }
    let creds = Creds::of_add(cmd);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let req = request(cmd);
    // Check every rule before asking for a secret or looking for fioctl; the plan (the edit
    // and its checks, the costly part on a big file) is made once.
    let plan = Plan::build(
        &cfg,
        &req,
        Secret::new(Vec::new(), "not read yet"),
        g.factory.clone(),
    )?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let url = req.url.as_deref().map(str::to_ascii_lowercase);
    let given = creds.answers(req.provider, url.as_deref(), g.dry_run, stdin_tty)?;
    let plan = build(g, &cfg, given, plan, |credential, keyring| {
        PlanSource::Add {
            answers: Answers {
                request: req,
                credential,
            },
            keyring,
        }
    })?;
    if let Some(stop) = verify_before_storing(g, &plan, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, plan, fioctl)
}

/// The login test `add` and `rotate` run before the review. A registry that cannot be reached
/// at all may be stored anyway after asking (default No); anything else that fails stops here.
pub(crate) fn verify_before_storing(
    g: &Global,
    plan: &Plan,
    stdin_tty: bool,
) -> Result<Option<Outcome>> {
    use crate::verify::{LoginCheck, login_host, verify, verify_plan};
    if g.no_verify {
        return Ok(None);
    }
    if plan.secret.expose().is_empty() {
        println!("Login test skipped: the dry run did not ask for the password.\n");
        return Ok(None);
    }
    if plan.provider == Provider::Aws {
        show_aws_identity(g, plan);
    }
    let shown = escape::line(&login_host(plan)).into_owned();
    eprintln!("Testing the login to {shown} ...");
    let check = LoginCheck::of(verify_plan(
        plan,
        &crate::session::verify_options(g),
        verify,
    ));
    match &check {
        LoginCheck::Accepted => {
            println!("✓ Login test: {shown} accepted these credentials.\n");
            return Ok(None);
        }
        LoginCheck::NoLogin => {
            println!(
                "! Login test: {shown} needs no login, so the credentials could not be tested.\n"
            );
            return Ok(None);
        }
        _ => {}
    }
    let why = check.reason().unwrap_or_default();
    // The wizards' rule: a refusal stops; an unreachable registry may be stored after asking.
    if !check.may_store_anyway() {
        return Err(Exit {
            code: 1,
            message: format!("login test: {why}. Nothing was stored (--no-verify skips the test)"),
        }
        .into());
    }
    let message = format!("login test: {why}. The credentials could not be tested");
    if g.yes || !stdin_tty {
        return Err(Exit {
            code: 1,
            message: format!(
                "{message}; nothing was stored. Pass --no-verify to store them untested"
            ),
        }
        .into());
    }
    eprintln!("✗ {}.", escape::controls(&message));
    if g.dry_run || confirm("Store them anyway?")? {
        Ok(None)
    } else {
        Ok(Some(Outcome::NotApplied(NOT_APPLIED.into())))
    }
}

/// Shows who the AWS keys about to be stored belong to (`sts:GetCallerIdentity`), so that
/// "these are alice's keys" is visible in the review.
fn show_aws_identity(g: &Global, plan: &Plan) {
    let Some(region) = plan.aws_region() else {
        return;
    };
    match crate::verify::aws_caller_identity(&plan.secret, &region, &verify_options(g)) {
        Ok(id) => println!(
            "AWS identity of these keys: {} (account {}). CI will act as it.\n",
            id.arn, id.account
        ),
        Err(e) => println!("! The identity behind these keys could not be checked: {e}\n"),
    }
}

/// `fioreg verify`: the login test alone, for a configured registry.
pub fn verify(g: &Global, target: &str, flags: &CredFlags) -> Result<()> {
    use crate::verify::{LoginCheck, login_host, verify_plan};
    let creds = Creds::of_rotate(flags);
    let stdin_tty = std::io::stdin().is_terminal();
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(
        &cfg,
        target,
        Secret::new(Vec::new(), "not read yet"),
        g.factory.clone(),
    )?;
    let given = creds.answers(probe.provider, probe.url.as_deref(), false, stdin_tty)?;
    let source = rotate_source(target, &probe);
    let plan = build(g, &cfg, given, probe, source)?;
    let shown = escape::line(&login_host(&plan)).into_owned();
    match LoginCheck::of(verify_plan(
        &plan,
        &crate::session::verify_options(g),
        crate::verify::verify,
    )) {
        LoginCheck::Accepted => {
            println!("✓ {shown} accepted these credentials; nothing was stored.");
            Ok(())
        }
        LoginCheck::NoLogin => {
            println!("! {shown} needs no login, so the credentials could not be tested.");
            Ok(())
        }
        LoginCheck::Failed(why) | LoginCheck::Unreachable(why) => Err(Exit {
            code: 1,
            message: format!("✗ {why}"),
        }
        .into()),
    }
}

/// Rotate's answers, as the wizard's: the entry named by `target`, whose provider and url the
/// probe plan found.
fn rotate_source(
    target: &str,
    probe: &Plan,
) -> impl FnOnce(CredentialInput, KeyringUse) -> PlanSource + use<> {
    let request = Request {
        provider: probe.provider,
        url: probe.url.clone(),
        region: None,
        secret_name: None,
    };
    let target = target.to_string();
    move |credential, keyring| PlanSource::Rotate {
        target,
        answers: Answers {
            request,
            credential,
        },
        keyring,
    }
}

pub fn rotate(g: &Global, target: &str, flags: &CredFlags) -> Result<Outcome> {
    let creds = Creds::of_rotate(flags);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(
        &cfg,
        target,
        Secret::new(Vec::new(), "not read yet"),
        g.factory.clone(),
    )?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let given = creds.answers(probe.provider, probe.url.as_deref(), g.dry_run, stdin_tty)?;
    let source = rotate_source(target, &probe);
    let plan = build(g, &cfg, given, probe, source)?;
    if let Some(stop) = verify_before_storing(g, &plan, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, plan, fioctl)
}

pub fn remove(g: &Global, target: &str, delete_secret: bool) -> Result<Outcome> {
    check_can_confirm(g, false)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let plan = Plan::remove(&cfg, target, delete_secret, g.factory.clone())?;
    let fioctl = if g.dry_run || !delete_secret {
        None
    } else {
        Some(fioctl(g)?)
    };
    if g.dry_run {
        return finish(g, plan, None);
    }
    match fioctl {
        Some(f) => finish(g, plan, Some(f)),
        // Nothing goes to fioctl: apply with a store that is never called.
        None => finish_with(g, plan, &crate::plan::NoStore),
    }
}

/// Adds the commit, shows the plan, and applies it after confirmation (not in a dry run).
fn finish(g: &Global, plan: Plan, fioctl: Option<Fioctl>) -> Result<Outcome> {
    match fioctl {
        Some(f) => finish_with(g, plan, &f),
        None => {
            let plan = attach_commit(g, plan)?;
            print!("{}", plan.render(color_stdout()));
            println!("\nDry run: nothing was changed and no secret was stored.");
            Ok(Outcome::Previewed)
        }
    }
}

fn attach_commit(g: &Global, plan: Plan) -> Result<Plan> {
    if (g.commit || g.push || g.message.is_some()) && plan.new_text != plan.old_text {
        Ok(plan.with_commit(g.message.clone(), g.push)?)
    } else {
        Ok(plan)
    }
}

/// The one confirmation, then applying and the report every front end gives.
fn finish_with(g: &Global, plan: Plan, store: &dyn crate::plan::SecretStore) -> Result<Outcome> {
    let plan = attach_commit(g, plan)?;
    print!("{}", plan.render(color_stdout()));
    if !g.yes && !confirm("\nApply this plan?")? {
        return Ok(Outcome::NotApplied(NOT_APPLIED.into()));
    }
    match plan.apply(store) {
        Ok(applied) => Ok(Outcome::Applied(report_applied(g, &plan, &applied))),
        Err(e) => Outcome::of_apply_error(e),
    }
}

pub use crate::session::config_path;

/// What an applied plan did: the one report (as the wizards give it), printed; after an add,
/// the settings recorded first, so that a failure to save them is in the report.
fn report_applied(g: &Global, plan: &Plan, applied: &crate::plan::Applied) -> Report {
    report_applied_created(g, plan, applied, None)
}

/// [`report_applied`], naming the cloud identity the run created, if it did.
fn report_applied_created(
    g: &Global,
    plan: &Plan,
    applied: &crate::plan::Applied,
    created: Option<&crate::wizard::report::CreatedIdentity>,
) -> Report {
    let warning = if matches!(plan.action, Action::Add | Action::Update { .. }) {
        remember_choices(g, plan).err()
    } else {
        None
    };
    let factory = crate::fioctl::resolve_factory(g.factory.as_deref()).map(|(f, _)| f);
    let target = Target {
        factory: factory.as_deref(),
        demo_secrets: None,
    };
    let mut report = Report::of(plan, applied, target, warning.as_deref());
    if let Some(c) = created {
        report.add_created(c);
    }
    print!("\n{}", report.text());
    report
}

/// After a successful add: the factory's config path, never a secret. A failure here only
/// warns (in the report): the change itself is done.
fn remember_choices(g: &Global, plan: &Plan) -> Result<(), String> {
    let Some((factory, _)) = crate::fioctl::resolve_factory(g.factory.as_deref()) else {
        return Ok(());
    };
    let Some(path) = Settings::default_path() else {
        return Ok(());
    };
    crate::settings::record_add(&path, &factory, plan).map_err(|e| e.to_string())
}

pub fn settings(cmd: &SettingsCommand) -> Result<()> {
    let path = Settings::default_path()
        .context("neither XDG_CONFIG_HOME nor HOME is set, so there is no settings file")?;
    let mut s = Settings::load(&path)?;
    match cmd {
        SettingsCommand::Show => print!("{}", s.show()),
        SettingsCommand::Set { key, value } => {
            s.set(key, value)?;
            s.save()?;
            println!("{}: {key} = {value:?}", path.display());
        }
    }
    Ok(())
}

pub fn forget(url: &str) -> Result<()> {
    let account = keystore::account(url);
    let keys = keystore::OsKeyring;
    if keys.delete(&account)? {
        println!(
            "Deleted the password or token kept for {account} from {}.",
            keys.describe()
        );
    } else {
        println!("{} holds nothing for {account}.", keys.describe());
    }
    Ok(())
}

pub fn device_wrap(g: &Global, image: &str, container: &str, repo: &std::path::Path) -> Result<()> {
    use crate::device_wrap::{WrapOutcome, hint, wrap};
    match wrap(image, container, repo)? {
        WrapOutcome::Written(path) => println!("✓ Wrote {}.", path.display()),
        WrapOutcome::AlreadyThere(path) => {
            println!(
                "{} already holds this image: nothing to do.",
                path.display()
            )
        }
    }
    let factory = crate::fioctl::resolve_factory(g.factory.as_deref())
        .map(|(f, _)| f)
        .unwrap_or_else(|| "<factory>".into());
    println!("\n{}", hint(&factory, container));
    Ok(())
}

pub fn policy(cmd: &PolicyCommand) -> Result<()> {
    use crate::policy::{aws_policy_help, aws_pull_policy, gar_commands};
    let text = match cmd {
        PolicyCommand::Aws { url, repository } => format!(
            "{}\n\n{}",
            aws_pull_policy(url, &repository.iter().cloned().collect::<Vec<_>>())
                .map_err(anyhow::Error::msg)?,
            aws_policy_help(url).map_err(anyhow::Error::msg)?
        ),
        PolicyCommand::Gar {
            project,
            location,
            repository,
            name,
        } => gar_commands(project, location, repository, name).map_err(anyhow::Error::msg)?,
    };
    println!("{}", text.trim_end());
    Ok(())
}

fn fioctl(g: &Global) -> Result<Fioctl, FioctlError> {
    Ok(Fioctl::find(g.fioctl.as_deref(), g.factory.clone())?
        .with_timeout(std::time::Duration::from_secs(g.fioctl_timeout)))
}

pub(crate) fn request(cmd: &AddCommand) -> Request {
    let (provider, url, region, secret) = match cmd {
        AddCommand::Aws {
            url,
            region,
            secret,
            ..
        } => (Provider::Aws, Some(url), region.clone(), secret),
        AddCommand::Azure { url, secret, .. } => (Provider::Azure, Some(url), None, secret),
        AddCommand::Gar { url, secret, .. } => (Provider::Gar, url.as_ref(), None, secret),
        AddCommand::Generic { url, secret, .. } => (Provider::Generic, Some(url), None, secret),
    };
    Request {
        provider,
        url: url.cloned(),
        region,
        secret_name: secret.secret_name.clone(),
    }
}

/// `fioreg check`: every problem with file:line, severity and fix; exit 1 on errors.
pub fn check(g: &Global, offline: bool, json: bool) -> Result<()> {
    use crate::factory_config::lint::Severity;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let findings = crate::fleet::findings(&cfg, (!offline).then(|| fioctl(g)));
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let path = cfg.path.display().to_string();
    if json {
        // serde_json escapes control characters itself.
        let out = serde_json::json!({
            "config": path,
            "online": !offline,
            "errors": errors,
            "warnings": findings.len() - errors,
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for f in &findings {
            println!("{}", f.render(&path));
        }
        println!(
            "{}: {} registries, {errors} errors, {} warnings{}",
            escape::line(&path),
            cfg.registries.len(),
            findings.len() - errors,
            if offline {
                " (offline: secrets not checked)"
            } else {
                ""
            }
        );
    }
    if errors > 0 {
        return Err(Exit {
            code: 1,
            message: format!("{errors} errors in {path}"),
        }
        .into());
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ListJson<'a> {
    config: String,
    factory: Option<&'a str>,
    /// Why the `secret_present` values are null, when they are.
    secrets_unknown_reason: Option<String>,
    registries: Vec<ListEntry<'a>>,
}

#[derive(serde::Serialize)]
struct ListEntry<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    url: Option<&'a str>,
    region: Option<&'a str>,
    secret_name: Option<&'a str>,
    line: usize,
    secret_present: Option<bool>,
}

pub fn list(g: &Global, json: bool) -> Result<()> {
    let cfg = FactoryConfig::load(&config_path(g))?;
    let secrets: Result<Vec<String>, String> = if cfg.registries.is_empty() {
        Ok(Vec::new())
    } else {
        fioctl(g)
            .and_then(|f| f.secrets_list())
            .map_err(|e| e.to_string())
    };
    let present = |name: Option<&str>| -> Option<bool> {
        let names = secrets.as_ref().ok()?;
        Some(name.is_some_and(|n| names.iter().any(|s| s == n)))
    };
    if json {
        let out = ListJson {
            config: cfg.path.display().to_string(),
            factory: g.factory.as_deref(),
            secrets_unknown_reason: secrets.as_ref().err().cloned(),
            registries: cfg
                .registries
                .iter()
                .map(|e| ListEntry {
                    kind: &e.kind,
                    url: e.url.as_deref(),
                    region: e.region.as_deref(),
                    secret_name: e.secret_name.as_deref(),
                    line: e.line,
                    secret_present: present(e.secret_name.as_deref()),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if cfg.registries.is_empty() {
        println!(
            "{}: no container registries configured. Add one with `fioreg add`.",
            escape::line(&cfg.path.display().to_string())
        );
        return Ok(());
    }
    let rows: Vec<[String; 5]> = cfg
        .registries
        .iter()
        .map(|e| {
            let dash = || "-".to_string();
            // Every cell comes from the file: control characters are shown escaped.
            let cell = |v: &Option<String>| {
                v.as_deref()
                    .map_or_else(dash, |v| escape::line(v).into_owned())
            };
            [
                escape::line(&e.kind).into_owned(),
                cell(&e.url),
                cell(&e.region),
                cell(&e.secret_name),
                match present(e.secret_name.as_deref()) {
                    Some(true) => "present".into(),
                    Some(false) => "MISSING".into(),
                    None => "unknown".into(),
                },
            ]
        })
        .collect();
    let header = ["TYPE", "URL", "REGION", "SECRET", "IN FACTORY"].map(String::from);
    println!(
        "{}: {} registries",
        escape::line(&cfg.path.display().to_string()),
        rows.len()
    );
    print!("{}", crate::fleet::summary::columns(&header, &rows));
    if let Err(why) = &secrets {
        println!("\nSecrets were not checked: {}", escape::controls(why));
    } else if rows.iter().any(|r| r[4] == "MISSING") {
        println!(
            "\nA MISSING secret makes CI fail to log in: store it with `fioreg add` for that registry."
        );
    }
    Ok(())
}
/// `fioreg scan`: the images of containers.git by registry, whether entries cover them, and the
/// findings; exit 1 on errors, 2 when the inputs cannot be read.
pub fn scan(g: &Global, args: &crate::cli::ScanArgs) -> Result<()> {
    use crate::scan::{self, ScanInput, probe};
    let usage = |message: String| -> anyhow::Error { Exit { code: 2, message }.into() };
    let config_path = config_path(g);
    let cfg = FactoryConfig::load(&config_path).map_err(|e| usage(e.to_string()))?;
    let factory = crate::fioctl::resolve_factory(g.factory.as_deref()).map(|(f, _)| f);
    let root =
        crate::scan::containers_dir(args.containers.as_deref(), factory.as_deref(), &config_path)
            .ok_or_else(|| {
            usage(
                "no containers.git checkout: pass --containers DIR (or remember it with \
                 `fioreg settings set factories.<NAME>.containers DIR`)"
                    .into(),
            )
        })?;
    if !root.is_dir() {
        return Err(usage(format!(
            "{} is not a directory: pass the path of the factory's containers.git checkout with \
             --containers DIR",
            root.display()
        )));
    }
    let (secrets, secrets_error) = if args.offline || cfg.registries.is_empty() {
        (None, None)
    } else {
        match fioctl(g).and_then(|f| f.secrets_list()) {
            Ok(names) => (Some(names), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let input = ScanInput {
        root: &root,
        factory: factory.as_deref(),
        entries: &cfg.registries,
        config_path: &config_path,
        secrets: secrets.as_deref(),
        secrets_error,
    };
    let collected = scan::collect(&input).with_context(|| format!("reading {}", root.display()))?;
    let report = if args.offline {
        scan::report(&input, collected, None)
    } else {
        let targets = scan::targets(&collected, factory.as_deref());
        // Credentials that were asked for but cannot be used: the inputs are wrong (exit 2).
        let creds =
            scan_credentials(args, &cfg, &targets).map_err(|e| match e.downcast::<Exit>() {
                Ok(exit) => exit.into(),
                Err(e) => usage(format!("{e:#}")),
            })?;
        let opts = probe::ProbeOptions {
            verify: crate::session::verify_options(g),
            jobs: usize::from(args.jobs),
        };
        let results = probe::probe(&targets, &creds, &opts).map_err(|e| usage(e.to_string()))?;
        scan::report(&input, collected, Some(&results))
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        // File names and image text come from containers.git: shown escaped.
        print!(
            "{}",
            crate::escape::controls(&scan::render::render(&report))
        );
    }
    match report.errors() {
        0 => Ok(()),
        n => Err(Exit {
            code: 1,
            message: format!("the scan found {n} errors"),
        }
        .into()),
    }
}

/// The credentials `fioreg scan` was given, by registry host.
fn scan_credentials(
    args: &crate::cli::ScanArgs,
    cfg: &FactoryConfig,
    targets: &std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    >,
) -> Result<std::collections::HashMap<String, crate::scan::probe::Credential>> {
    use crate::scan::probe::Credential;
    use crate::scan::reference::{is_ecr_host, is_gar_host};
    let usage = |message: String| -> anyhow::Error { Exit { code: 2, message }.into() };
    let mut creds = std::collections::HashMap::new();
    if let Some(profile) = &args.profile {
        let secret =
            credentials::aws::credentials_for(&ProfileSource::real(), Some(profile.as_str()))?;
        let entry = cfg.entries_of(Provider::Aws).next();
        let hosts: Vec<(String, Option<String>)> = match entry.and_then(|e| e.url.clone()) {
            Some(url) => vec![(
                url.to_ascii_lowercase(),
                entry.and_then(|e| e.region.clone()),
            )],
            None => targets
                .keys()
                .filter(|h| is_ecr_host(h))
                .map(|h| (h.clone(), None))
                .collect(),
        };
        for (host, region) in hosts {
            creds.insert(
                host,
                Credential::Aws {
                    secret: Secret::new(secret.expose().to_vec(), "aws"),
                    region,
                },
            );
        }
    }
    if let Some(path) = &args.key_file {
        let (secret, _) = credentials::gcp::key_file(path)?;
        for host in targets.keys().filter(|h| is_gar_host(h)) {
            creds.insert(
                host.clone(),
                Credential::Gcp {
                    key: Secret::new(secret.expose().to_vec(), "gcp key"),
                },
            );
        }
    }
    if args.password_stdin && args.logins.len() != 1 {
        return Err(usage(
            "--password-stdin reads one password: give exactly one --login HOST=USER".into(),
        ));
    }
    for login in &args.logins {
        let (host, user) = login
            .split_once('=')
            .filter(|(h, u)| !h.trim().is_empty() && !u.trim().is_empty())
            .ok_or_else(|| {
                usage(format!(
                    "--login {login}: write HOST=USER, e.g. ghcr.io=ci-bot"
                ))
            })?;
        let host = keystore::account(host);
        let password = if args.password_stdin {
            credentials::user_token::read_password_stdin(std::io::stdin().lock())?
        } else {
            let keys = keystore::OsKeyring;
            keys.get(&host)?.with_context(|| {
                format!(
                    "{} holds no password or token for {host}: keep one with `fioreg add ... \
                     --remember`, or pass it with --password-stdin",
                    keys.describe()
                )
            })?
        };
        creds.insert(
            host,
            Credential::UserPassword {
                user: user.trim().to_string(),
                password,
            },
        );
    }
    Ok(creds)
}

// ---- Cloud identities: `add aws --create-user`, `rotate --new-key` (src/cloud/) ----

/// Prints cloud progress on stderr: each action as it starts and ends, and a countdown while a
/// new key is not accepted yet (one line a second on a terminal, every 10 s otherwise).
struct CloudReporter {
    tty: bool,
    waiting: bool,
}

impl CloudReporter {
    fn new() -> Self {
        CloudReporter {
            tty: std::io::stderr().is_terminal(),
            waiting: false,
        }
    }

    fn report(&mut self, p: crate::cloud::CloudProgress) {
        use crate::cloud::CloudProgress;
        match p {
            CloudProgress::Started(i, a) => eprintln!("  {}. {} ...", i + 1, a.title),
            CloudProgress::Finished(i, _) => eprintln!("  {}. done", i + 1),
            CloudProgress::Waiting { why, left } => {
                let secs = left.as_secs();
                let line =
                    format!("  not accepted yet ({why}); retrying, {secs:>3} s left of the wait");
                if self.tty {
                    eprint!("\r{line}");
                } else if !self.waiting || secs % 10 == 0 {
                    eprintln!("{line}");
                }
                self.waiting = true;
            }
        }
    }

    /// Ends a countdown line.
    fn done_waiting(&mut self) {
        if self.waiting && self.tty {
            eprintln!();
        }
        self.waiting = false;
    }
}

/// Turns a cloud failure into the run's error (exit 130 when interrupted).
fn cloud_exit(e: crate::cloud::CloudError) -> anyhow::Error {
    Exit {
        code: if e.interrupted { 130 } else { 1 },
        message: e.to_string(),
    }
    .into()
}

/// The factory name, for default identity names and the settings.
fn factory_name(g: &Global) -> Option<String> {
    crate::fioctl::resolve_factory(g.factory.as_deref()).map(|(f, _)| f)
}

/// How the CLI tests a new key: `--verify-timeout`, `--ca-file` ... and `--no-verify`.
fn key_test(g: &Global, wait: std::time::Duration) -> crate::cloud::apply::KeyTest {
    crate::cloud::apply::KeyTest {
        opts: verify_options(g),
        login: !g.no_verify,
        wait,
    }
}

/// Prints a step of creating and storing a new key: the cloud actions and the countdowns on
/// stderr (through `reporter`), what the key checks found on stdout.
fn print_step(reporter: &mut CloudReporter, step: crate::cloud::apply::Step) {
    use crate::cloud::apply::Step;
    match step {
        Step::Cloud(p) => reporter.report(p),
        Step::CheckingKey => eprintln!("Checking the new key with sts:GetCallerIdentity ..."),
        Step::KeyWorks(arn) => {
            reporter.done_waiting();
            println!("✓ The new key works and belongs to {arn}.");
        }
        Step::KeyIsOf(id) => {
            reporter.done_waiting();
            println!("✓ The new key is a valid service-account key of {id}.");
        }
        Step::TestingLogin(host) => {
            eprintln!("Testing the login to {host} with the new key ...")
        }
        Step::LoginAccepted(host) => {
            reporter.done_waiting();
            println!("✓ Login test: {host} accepted the new key.");
        }
        Step::Apply(_) => reporter.done_waiting(),
    }
}

/// [`crate::cloud::apply::create_and_store`] (the same code as the wizards: create, check the
/// key, store it, write the config), printed; a failure says what exists.
fn create_and_store(
    g: &Global,
    cloud: &crate::cloud::CloudPlan,
    plan: &mut Plan,
    fioctl: &Fioctl,
    wait: std::time::Duration,
) -> Result<crate::cloud::apply::NewKey> {
    let mut reporter = CloudReporter::new();
    let made =
        crate::cloud::apply::create_and_store(cloud, plan, fioctl, &key_test(g, wait), &mut |s| {
            print_step(&mut reporter, s)
        });
    reporter.done_waiting();
    made.map_err(cloud_exit)
}

/// The one gate of the cloud flows, after their plan is shown: a dry run stops there
/// (`Previewed`, saying `nothing_done`), otherwise the one confirmation (declined:
/// `NotApplied` with `declined`). `Ok(fioctl)`: go ahead.
fn cloud_go_ahead(
    g: &Global,
    fioctl: Option<Fioctl>,
    nothing_done: &str,
    declined: &str,
) -> Result<std::result::Result<Fioctl, Outcome>> {
    let Some(fioctl) = fioctl else {
        println!("\nDry run: {nothing_done} and no secret was stored.");
        return Ok(Err(Outcome::Previewed));
    };
    if !cloud_confirm(g, "\nApply this plan?")? {
        return Ok(Err(Outcome::NotApplied(declined.into())));
    }
    Ok(Ok(fioctl))
}

/// Asks (unless --yes) and then confirms; `false` when declined.
fn cloud_confirm(g: &Global, question: &str) -> Result<bool> {
    if g.yes {
        return Ok(true);
    }
    Ok(confirm(question)?)
}

/// What the three `add --create-*` flows share once the cloud's plan is made: the cloud's
/// review and the factory's (the secret: `placeholder` until the key exists), the order of
/// what happens (`order`, then the secret and the file), the one gate, then create, test,
/// store and write ([`create_and_store`], a new key tested for up to `wait`); the identity is
/// remembered for `rotate --new-key` and the one report names it.
fn add_new_identity(
    g: &Global,
    probe: Plan,
    placeholder: String,
    cloud: crate::cloud::CloudPlan,
    fioctl: Option<Fioctl>,
    order: &str,
    wait: std::time::Duration,
) -> Result<Outcome> {
    let mut plan = attach_commit(g, probe.with_secret(Secret::new(Vec::new(), placeholder))?)?;
    println!("{}", cloud.render());
    print!("{}", plan.render(color_stdout()));
    println!("\nOrder: {order}, then the factory secret, then the file.");
    let nothing = format!("nothing was created in {}", cloud.cloud);
    let declined = "not applied: nothing was created or changed";
    let fioctl = match cloud_go_ahead(g, fioctl, &nothing, declined)? {
        Ok(fioctl) => fioctl,
        Err(stop) => return Ok(stop),
    };
    let made = create_and_store(g, &cloud, &mut plan, &fioctl, wait)?;
    if let (Some(factory), Some(path)) = (factory_name(g), Settings::default_path())
        && let Err(e) = cloud.remember(&made, &path, &factory)
    {
        eprintln!("warning: {e}");
    }
    let created = crate::wizard::report::CreatedIdentity::of(&cloud, &made);
    let report = report_applied_created(g, &plan, &made.applied, Some(&created));
    Ok(Outcome::Applied(report))
}

/// The plan of `req` with its rules checked before anything is asked of a cloud; its secret is
/// named once the cloud's plan says what it will be ([`Plan::with_secret`]).
fn plan_before_cloud(g: &Global, req: &Request) -> Result<Plan> {
    let cfg = FactoryConfig::load(&config_path(g))?;
    let placeholder = Secret::new(Vec::new(), "not created yet");
    Ok(Plan::build(&cfg, req, placeholder, g.factory.clone())?)
}

/// `fioreg add aws --url URL --create-user [NAME]`: a pull-only IAM user and its key, stored.
pub fn add_aws_new_user(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    use crate::cloud::aws;
    let AddCommand::Aws {
        create_user: Some(name),
        admin_profile,
        key_wait,
        ..
    } = cmd
    else {
        bail!("add_aws_new_user needs `add aws --create-user`");
    };
    check_can_confirm(g, false)?;
    let req = request(cmd);
    let probe = plan_before_cloud(g, &req)?;
    let user = if name.trim().is_empty() {
        let factory = factory_name(g).context(
            "name the IAM user with --create-user NAME, or the factory with --factory (the \
             default name is fioreg-<factory>-pull)",
        )?;
        aws::default_user_name(&factory)
    } else {
        name.trim().to_string()
    };
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let url = req.url.clone().unwrap_or_default();
    eprintln!("Asking AWS who you are and whether {user} exists (nothing is created yet) ...");
    let identity = NewIdentity::AwsUser {
        user,
        admin_profile: admin_profile.clone(),
        repositories: g.repository.clone(),
    };
    let cloud = identity.plan_cloud(&url, None).map_err(cloud_exit)?;
    add_new_identity(
        g,
        probe,
        identity.placeholder(),
        cloud,
        fioctl,
        &format!(
            "the AWS actions, then a test of the new key (up to {key_wait} s while IAM catches up)"
        ),
        std::time::Duration::from_secs(*key_wait),
    )
}

/// `fioreg rotate SECRET|URL --new-key`: a new key for the same identity, created, tested and
/// stored, then the old key(s) deleted after asking. The provider-specific parts are
/// [`crate::cloud::rotate`]; this function handles the flags, the questions and the printing.
pub fn rotate_new_key(
    g: &Global,
    target: &str,
    flags: &crate::cli::NewKeyFlags,
) -> Result<Outcome> {
    use crate::cloud::azure;
    use crate::cloud::rotate::{Cloud, Rotation, Tool};
    check_can_confirm(g, false)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(
        &cfg,
        target,
        Secret::new(Vec::new(), "not created yet"),
        None,
    )?;
    let Some(cloud) = Cloud::of(probe.provider) else {
        bail!(
            "--new-key works for aws, gar and azure registries; `{target}` is a generic \
             registry: rotate it with --username and --password-stdin"
        );
    };
    cloud
        .check_admin_profile(flags.admin_profile.as_deref())
        .map_err(anyhow::Error::msg)?;
    let url = match cloud {
        Cloud::Azure => probe.url.clone().context("the azure entry has no url")?,
        _ => probe.url.clone().unwrap_or_default(),
    };
    let registry = url.split('.').next().unwrap_or(&url).to_ascii_lowercase();
    let identity = match &flags.user {
        Some(u) => u.trim().to_string(),
        None => factory_name(g)
            .and_then(|f| {
                let s = Settings::load(&Settings::default_path()?).ok()?;
                s.get(&format!("factories.{f}.{}", cloud.setting(&registry)))
            })
            .context(cloud.unknown_identity())?,
    };
    // Without `az`, the exact commands instead (before fioctl is needed at all).
    let az = match cloud {
        Cloud::Azure => match azure::Az::find() {
            Some(az) => Some(Tool::Azure(az)),
            None => {
                println!(
                    "The Azure CLI (`az`) is not installed, so fioreg cannot make a new password. \
                     These commands do the same by hand:\n\n{}",
                    azure::manual_rotate_commands(&url, &identity, &fioreg_prefix(g))
                );
                return Err(Exit {
                    code: 1,
                    message: "nothing was changed: `az` is not installed".into(),
                }
                .into());
            }
        },
        _ => None,
    };
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let tool = match az {
        Some(tool) => tool,
        None => Tool::find(cloud, flags.admin_profile.as_deref()).map_err(cloud_exit)?,
    };
    if let Some(line) = tool.asking(&identity) {
        eprintln!("{line}");
    }
    let again = format!(
        "{} rotate {url} --new-key --user {} --yes",
        fioreg_prefix(g),
        crate::plan::shell_word(&identity)
    );
    let rotation = Rotation::plan(tool, &identity, &url, again).map_err(cloud_exit)?;
    let placeholder = Secret::new(Vec::new(), cloud.placeholder(&identity));
    let mut plan = Plan::rotate(&cfg, target, placeholder, g.factory.clone())?;
    println!("{}", rotation.cloud.render());
    print!("{}", plan.render(color_stdout()));
    if let Some(note) = rotation.review_note() {
        println!("{note}");
    }
    let (dry_run, declined) = cloud.nothing_done();
    let fioctl = match cloud_go_ahead(g, fioctl, dry_run, declined)? {
        Ok(fioctl) => fioctl,
        Err(stop) => return Ok(stop),
    };
    let mut reporter = CloudReporter::new();
    let wait = std::time::Duration::from_secs(flags.key_wait);
    let made = rotation.run(&mut plan, &fioctl, &key_test(g, wait), &mut |s| {
        print_step(&mut reporter, s)
    });
    reporter.done_waiting();
    let (created, applied) = made.map_err(cloud_exit)?;
    let report = report_applied(g, &plan, &applied);
    println!("{}", rotation.stored_line(&created));
    // The new key is stored: a Ctrl-C at the questions below may end the run as usual.
    for key in rotation.old_keys() {
        if !cloud_confirm(g, &key.question)? {
            println!("{}", key.kept);
            continue;
        }
        rotation
            .delete(&key, &created.key_id, &plan.secret_name)
            .map_err(cloud_exit)?;
        println!("{}", key.deleted);
    }
    Ok(Outcome::Applied(report))
}

/// `fioreg add gar --create-service-account NAME --project P --location L --repository R`.
pub fn add_gar_new_account(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    let AddCommand::Gar {
        create_service_account: Some(name),
        project: Some(project),
        location: Some(location),
        ..
    } = cmd
    else {
        bail!("--create-service-account needs --project P and --location L");
    };
    let repository = match g.repository.as_slice() {
        [one] => one.clone(),
        _ => bail!(
            "--create-service-account needs exactly one --repository R: the service account may \
             read only that repository"
        ),
    };
    check_can_confirm(g, false)?;
    let mut req = request(cmd);
    if req.url.is_none() {
        req.url = Some(format!("{location}-docker.pkg.dev"));
    }
    let probe = plan_before_cloud(g, &req)?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    eprintln!("Asking Google Cloud about {project} and {repository} (nothing is created yet) ...");
    let identity = NewIdentity::GarAccount {
        name: name.trim().to_string(),
        project: project.clone(),
        location: location.clone(),
        repository,
    };
    let cloud = identity.plan_cloud("", None).map_err(cloud_exit)?;
    let wait = crate::cloud::apply::DEFAULT_KEY_WAIT;
    add_new_identity(
        g,
        probe,
        identity.placeholder(),
        cloud,
        fioctl,
        &format!(
            "the Google Cloud actions, then a test of the new key (up to {} s)",
            wait.as_secs()
        ),
        wait,
    )
}

/// How long a new Azure credential may take to be accepted (Entra ID replicates slowly).
const AZURE_KEY_WAIT: u64 = crate::cloud::azure::KEY_WAIT.as_secs();

/// The `fioreg [--config P] [--factory F]` prefix of commands printed for the user.
fn fioreg_prefix(g: &Global) -> String {
    crate::plan::command_prefix(&config_path(g), g.factory.as_deref()).join(" ")
}

/// `fioreg add azure --url NAME.azurecr.io --create-principal NAME [--repository R ...]`.
pub fn add_azure_new_principal(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    use crate::cloud::azure;
    let AddCommand::Azure {
        create_principal: Some(name),
        expires_in_days,
        ..
    } = cmd
    else {
        bail!("add_azure_new_principal needs `add azure --create-principal`");
    };
    let req = request(cmd);
    let probe = plan_before_cloud(g, &req)?;
    if g.repository.is_empty() && expires_in_days.is_some() {
        bail!(
            "--expires-in-days applies to a repository-scoped token: add --repository R (a \
             service principal's password is reset with `fioreg rotate --new-key`)"
        );
    }
    let (name, days) = (name.trim().to_string(), expires_in_days.unwrap_or(365));
    azure::validate_name(&name).map_err(anyhow::Error::msg)?;
    let url = probe.url.clone().unwrap_or_default();
    let areq = crate::wizard::update::azure_request(&url, &name, &g.repository, days);
    let identity = NewIdentity::AzurePrincipal {
        name,
        repositories: g.repository.clone(),
        days,
    };
    let Some(az) = azure::Az::find() else {
        println!(
            "The Azure CLI (`az`) is not installed, so fioreg cannot create the credential. These \
             commands do the same by hand:\n\n{}",
            azure::manual_commands(&areq, &fioreg_prefix(g))
        );
        return Err(Exit {
            code: 1,
            message: "nothing was created: `az` is not installed (install it from \
                      https://aka.ms/azure-cli and run this again, or run the commands above)"
                .into(),
        }
        .into());
    };
    check_can_confirm(g, false)?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    eprintln!("Asking Azure who you are and about {url} (nothing is created yet) ...");
    let cloud = identity.plan_cloud(&url, Some(az)).map_err(cloud_exit)?;
    add_new_identity(
        g,
        probe,
        identity.placeholder(),
        cloud,
        fioctl,
        &format!(
            "the Azure action, then a login test with the new credential (up to \
             {AZURE_KEY_WAIT} s while Azure catches up)"
        ),
        std::time::Duration::from_secs(AZURE_KEY_WAIT),
    )
}
