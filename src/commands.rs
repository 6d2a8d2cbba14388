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
use crate::settings::Settings;
use crate::term::{color_stdout, confirm, prompt_hidden};
use crate::wizard::flow::{self, KeyringUse, PlanSource};
pub use crate::wizard::report::Exit;
use crate::wizard::report::{NOT_APPLIED, Outcome, Report, Target};
use anyhow::{Context, Result, bail};
use secrecy::SecretString;
use std::io::IsTerminal;

/// The credential flags of `add` and `rotate`, whatever the provider.
#[derive(Debug, Default)]
struct Creds {
    profile: Option<String>,
    user: Option<String>,
    key_file: Option<std::path::PathBuf>,
    password_stdin: bool,
    remember: bool,
    from_keyring: bool,
}

impl Creds {
    fn of_add(cmd: &AddCommand) -> Creds {
        match cmd {
            AddCommand::Aws { profile, .. } => Creds {
                profile: profile.clone(),
                ..Creds::default()
            },
            AddCommand::Gar { key_file, .. } => Creds {
                key_file: Some(key_file.clone()),
                ..Creds::default()
            },
            AddCommand::Azure {
                client_id: user,
                password,
                ..
            }
            | AddCommand::Generic {
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

    fn of_rotate(c: &CredFlags) -> Creds {
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
    source: impl FnOnce(CredentialInput, KeyringUse) -> PlanSource,
) -> Result<Plan> {
    let (credential, keyring) = match given {
        Given::NotAsked(secret) => {
            let source = source(CredentialInput::AwsProfile(None), KeyringUse::No);
            return Ok(source.build(cfg, secret, g.factory.clone())?);
        }
        Given::Answers(credential, keyring) => (credential, keyring),
    };
    let mut source = source(credential, keyring);
    let keys = keystore::OsKeyring;
    let plan = flow::read_and_build(
        &mut source,
        cfg,
        &keys,
        &ProfileSource::real(),
        g.factory.clone(),
    )
    .map_err(|e| anyhow::anyhow!(e.cli()))?;
    if let KeyringUse::Remember(account) = source.keyring() {
        let noun = UserTokenKind::of(plan.provider).password_noun();
        eprintln!("Kept the {noun} for {account} in {}.", keys.describe());
    }
    Ok(plan)
}

/// Refuses to start when fioreg could not ask before applying.
fn check_can_confirm(g: &Global, password_stdin: bool) -> Result<bool> {
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
    let creds = Creds::of_add(cmd);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let req = request(cmd);
    // Check every rule before asking for a secret or looking for fioctl.
    Plan::build(
        &cfg,
        &req,
        Secret::new(Vec::new(), "not read yet"),
        g.factory.clone(),
    )?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let url = req.url.as_deref().map(str::to_ascii_lowercase);
    let given = creds.answers(req.provider, url.as_deref(), g.dry_run, stdin_tty)?;
    let plan = build(g, &cfg, given, |credential, keyring| PlanSource::Add {
        answers: Answers {
            request: req,
            credential,
        },
        keyring,
    })?;
    if let Some(stop) = verify_before_storing(g, &plan, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, plan, fioctl)
}

/// The login test `add` and `rotate` run before the review. A registry that cannot be reached
/// at all may be stored anyway after asking (default No); anything else that fails stops here.
fn verify_before_storing(g: &Global, plan: &Plan, stdin_tty: bool) -> Result<Option<Outcome>> {
    use crate::verify::{LoginCheck, login_host, verify, verify_plan};
    if g.no_verify {
        return Ok(None);
    }
    if plan.secret.expose().is_empty() {
        println!("Login test skipped: the dry run did not ask for the password.\n");
        return Ok(None);
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

/// `fioreg verify`: the login test alone, for a configured registry.
pub fn verify(g: &Global, target: &str, flags: &CredFlags) -> Result<()> {
    use crate::verify::{LoginCheck, login_host, verify_plan};
    let creds = Creds::of_rotate(flags);
    let stdin_tty = std::io::stdin().is_terminal();
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(&cfg, target, Secret::new(Vec::new(), "not read yet"), None)?;
    let given = creds.answers(probe.provider, probe.url.as_deref(), false, stdin_tty)?;
    let plan = build(g, &cfg, given, rotate_source(target, &probe))?;
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
) -> impl FnOnce(CredentialInput, KeyringUse) -> PlanSource {
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
    let probe = Plan::rotate(&cfg, target, Secret::new(Vec::new(), "not read yet"), None)?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let given = creds.answers(probe.provider, probe.url.as_deref(), g.dry_run, stdin_tty)?;
    let plan = build(g, &cfg, given, rotate_source(target, &probe))?;
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
        Ok(applied) => {
            let warning = if matches!(plan.action, Action::Add | Action::Update { .. }) {
                remember_choices(g, &plan).err()
            } else {
                None
            };
            let factory = crate::fioctl::resolve_factory(g.factory.as_deref()).map(|(f, _)| f);
            let target = Target {
                factory: factory.as_deref(),
                demo_secrets: None,
            };
            let report = Report::of(&plan, &applied, target, warning.as_deref());
            print!("\n{}", report.text());
            Ok(Outcome::Applied(report))
        }
        Err(e) => Outcome::of_apply_error(e),
    }
}

pub use crate::session::config_path;

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
            aws_pull_policy(url, repository.as_deref()).map_err(anyhow::Error::msg)?,
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

fn request(cmd: &AddCommand) -> Request {
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
    use crate::factory_config::lint::{Finding, Severity};
    let cfg = FactoryConfig::load(&config_path(g))?;
    let (secrets, unchecked) = if offline {
        (None, None)
    } else {
        match fioctl(g).and_then(|f| f.secrets_list()) {
            Ok(names) => (Some(names), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let mut findings = cfg.lint(secrets.as_deref());
    if let Some(why) = &unchecked {
        findings.push(Finding {
            line: 1,
            severity: Severity::Error,
            message: format!("the factory's secrets could not be checked: {why}"),
            fix: "log in with `fioctl login`, or pass --offline to check the file only".into(),
        });
    }
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
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    println!(
        "{}: {} registries",
        escape::line(&cfg.path.display().to_string()),
        rows.len()
    );
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
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
        print!("{}", scan::render::render(&report));
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
