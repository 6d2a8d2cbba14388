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
pub use crate::wizard::report::Exit;
use crate::wizard::report::{NOT_APPLIED, Outcome, Report, Target};
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

    /// Reads the secret for `provider`, asking for the password when it is not piped in or kept
    /// in the keyring; with --remember, keeps it in `keys` (before anything is applied, so a
    /// run that fails later needs no retyping).
    pub(crate) fn read(
        &self,
        provider: Provider,
        url: Option<&str>,
        dry_run: bool,
        stdin_tty: bool,
        keys: &dyn KeyStore,
    ) -> Result<Secret> {
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
                    let account = account.as_deref().context("--from-keyring needs the url")?;
                    keys.get(account)?.with_context(|| {
                        format!(
                            "{} holds no {noun} for {account}: run once with --remember",
                            keys.describe()
                        )
                    })?
                } else if self.password_stdin {
                    credentials::user_token::read_password_stdin(std::io::stdin().lock())?
                } else if dry_run {
                    return Ok(Secret::new(
                        Vec::new(),
                        format!("{} {user}, {noun} not asked in a dry run", kind.user_noun()),
                    ));
                } else if stdin_tty {
                    let typed = prompt_hidden(&format!("{noun} for {user} (hidden): "))
                        .context("reading the password from the terminal")?;
                    SecretString::from(typed)
                } else {
                    bail!("no {noun}: pipe it in with --password-stdin (never pass it as a flag)");
                };
                if self.remember && !dry_run {
                    // Refuse a value CI would mangle before keeping it anywhere.
                    credentials::user_token::user_token(&user, password.clone(), kind)?;
                    let account = account.as_deref().context("--remember needs the url")?;
                    keystore::keep_password(keys, account, &password)?;
                    eprintln!("Kept the {noun} for {account} in {}.", keys.describe());
                }
                CredentialInput::UserToken { user, password }
            }
        };
        let answers = Answers {
            request: Request {
                provider,
                url: None,
                region: None,
                secret_name: None,
            },
            credential,
        };
        Ok(answers.secret(&ProfileSource::real())?)
    }
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
    let secret = creds.read(
        req.provider,
        url.as_deref(),
        g.dry_run,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let plan = Plan::build(&cfg, &req, secret, g.factory.clone())?;
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
    let shown = escape::line(&login_host(plan)).into_owned();
    eprintln!("Testing the login to {shown} ...");
    match LoginCheck::of(verify_plan(
        plan,
        &crate::session::verify_options(g),
        verify,
    )) {
        LoginCheck::Accepted => {
            println!("✓ Login test: {shown} accepted these credentials.\n");
            Ok(None)
        }
        LoginCheck::NoLogin => {
            println!(
                "! Login test: {shown} needs no login, so the credentials could not be tested.\n"
            );
            Ok(None)
        }
        LoginCheck::Failed(why) => Err(Exit {
            code: 1,
            message: format!("login test: {why}. Nothing was stored (--no-verify skips the test)"),
        }
        .into()),
        LoginCheck::Unreachable(why) => {
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
    }
}

/// `fioreg verify`: the login test alone, for a configured registry.
pub fn verify(g: &Global, target: &str, flags: &CredFlags) -> Result<()> {
    use crate::verify::{LoginCheck, login_host, verify_plan};
    let creds = Creds::of_rotate(flags);
    let stdin_tty = std::io::stdin().is_terminal();
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(&cfg, target, Secret::new(Vec::new(), "not read yet"), None)?;
    let secret = creds.read(
        probe.provider,
        probe.url.as_deref(),
        false,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let plan = Plan::rotate(&cfg, target, secret, g.factory.clone())?;
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

pub fn rotate(g: &Global, target: &str, flags: &CredFlags) -> Result<Outcome> {
    let creds = Creds::of_rotate(flags);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let cfg = FactoryConfig::load(&config_path(g))?;
    let probe = Plan::rotate(&cfg, target, Secret::new(Vec::new(), "not read yet"), None)?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let secret = creds.read(
        probe.provider,
        probe.url.as_deref(),
        g.dry_run,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let plan = Plan::rotate(&cfg, target, secret, g.factory.clone())?;
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

/// After a successful add: the factory's config path and last choices, never a secret. A
/// failure here only warns (in the report): the change itself is done.
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
