//! The scriptable front end: `fioreg add ...` and `fioreg list`, driven by flags.

use crate::cli::{AddCommand, Global};
use crate::credentials::{self, aws::ProfileSource, user_token::UserTokenKind};
use crate::factory_config::FactoryConfig;
use crate::fioctl::{Fioctl, FioctlError};
use crate::plan::{Answers, ApplyError, CredentialInput, Plan, Request};
use crate::provider::Provider;
use crate::secret::Secret;
use anyhow::{Context, Result, bail};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal, Write};

/// Whether stdout gets ANSI colours: a terminal, and NO_COLOR unset.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An error that ends the run with a particular exit status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

pub fn add(g: &Global, cmd: &AddCommand) -> Result<()> {
    let stdin_tty = std::io::stdin().is_terminal();
    let password_stdin = match cmd {
        AddCommand::Azure { password, .. } | AddCommand::Generic { password, .. } => {
            password.password_stdin
        }
        _ => false,
    };
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
    let cfg = FactoryConfig::load(&g.config)?;
    let req = request(cmd);
    // Check every rule before asking for a secret or looking for fioctl.
    Plan::build(
        &cfg,
        &req,
        Secret::new(Vec::new(), "not read yet"),
        g.factory.clone(),
    )?;
    let fioctl = if g.dry_run { None } else { Some(fioctl(g)?) };
    let secret = read_secret(cmd, req.clone(), g.dry_run, stdin_tty)?;
    let plan = Plan::build(&cfg, &req, secret, g.factory.clone())?;
    let color = color_stdout();
    print!("{}", plan.render(color));
    let Some(fioctl) = fioctl else {
        println!("\nDry run: nothing was changed and no secret was stored.");
        return Ok(());
    };
    if !g.yes && !confirm("\nApply this plan?")? {
        return Err(Exit {
            code: 1,
            message: "not applied: nothing was changed".into(),
        }
        .into());
    }
    match plan.apply(&fioctl) {
        Ok(applied) => {
            let factory = plan
                .factory
                .as_deref()
                .map(|f| format!("factory {f}"))
                .unwrap_or_else(|| "the factory".into());
            println!("\n✓ Stored secret {} in {factory}.", plan.secret_name);
            if applied.config_written {
                println!("✓ Wrote {}.", plan.config_path.display());
                println!(
                    "  Commit and push it in your ci-scripts checkout so the next CI build uses it."
                );
            } else {
                println!("  {} was already up to date.", plan.config_path.display());
            }
            println!("\n{}", plan.provider.device_advice());
            Ok(())
        }
        Err(ApplyError::Fioctl(FioctlError::Interrupted)) => Err(Exit {
            code: 130,
            message: "interrupted: fioctl was stopped, the secret file removed, and \
                      factory-config.yml is untouched"
                .into(),
        }
        .into()),
        Err(e) => Err(e.into()),
    }
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

/// The flags as [`Answers`], asking for the password when it is not piped in.
fn read_secret(cmd: &AddCommand, req: Request, dry_run: bool, stdin_tty: bool) -> Result<Secret> {
    let credential = match cmd {
        AddCommand::Aws { profile, .. } => CredentialInput::AwsProfile(profile.clone()),
        AddCommand::Gar { key_file, .. } => CredentialInput::GcpKeyFile(key_file.clone()),
        AddCommand::Azure {
            client_id: user,
            password,
            ..
        }
        | AddCommand::Generic {
            username: user,
            password,
            ..
        } => {
            let kind = if req.provider == Provider::Azure {
                UserTokenKind::AzurePrincipal
            } else {
                UserTokenKind::Generic
            };
            let noun = kind.password_noun();
            let pass: SecretString = if password.password_stdin {
                credentials::user_token::read_password_stdin(std::io::stdin().lock())?
            } else if dry_run {
                return Ok(Secret::new(
                    Vec::new(),
                    format!("{} {user}, {noun} not asked in a dry run", kind.user_noun()),
                ));
            } else if stdin_tty {
                let typed = rpassword::prompt_password(format!("{noun} for {user} (hidden): "))
                    .context("reading the password from the terminal")?;
                SecretString::from(typed)
            } else {
                bail!("no {noun}: pipe it in with --password-stdin (never pass it as a flag)");
            };
            CredentialInput::UserToken {
                user: user.clone(),
                password: pass,
            }
        }
    };
    let answers = Answers {
        request: req,
        credential,
    };
    Ok(answers.secret(&ProfileSource::real())?)
}

/// Asks on the terminal; only `y`/`yes` applies.
fn confirm(question: &str) -> Result<bool> {
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
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
    let cfg = FactoryConfig::load(&g.config)?;
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
            cfg.path.display()
        );
        return Ok(());
    }
    let rows: Vec<[String; 5]> = cfg
        .registries
        .iter()
        .map(|e| {
            let dash = || "-".to_string();
            [
                e.kind.clone(),
                e.url.clone().unwrap_or_else(dash),
                e.region.clone().unwrap_or_else(dash),
                e.secret_name.clone().unwrap_or_else(dash),
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
    println!("{}: {} registries", cfg.path.display(), rows.len());
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    if let Err(why) = &secrets {
        println!("\nSecrets were not checked: {why}");
    } else if rows.iter().any(|r| r[4] == "MISSING") {
        println!(
            "\nA MISSING secret makes CI fail to log in: store it with `fioreg add` for that registry."
        );
    }
    Ok(())
}

/// `fioreg` with no subcommand on a terminal: the full-screen wizard, or line prompts.
pub fn wizard(cli: &crate::cli::Cli) -> Result<()> {
    let g = &cli.global;
    let session = if cli.demo {
        crate::session::Session::demo().context("creating the demo's scratch folder")?
    } else {
        crate::session::Session::real(
            &g.config,
            g.factory.as_deref(),
            g.fioctl.as_deref(),
            std::time::Duration::from_secs(g.fioctl_timeout),
        )
    };
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let result = if cli.plain || dumb {
        crate::plain::run(&session, &mut crate::plain::InquirePrompter)
    } else {
        crate::tui::run(&session)
    };
    if let Some(demo) = &session.demo {
        println!(
            "Demo files: the config is {} and the stored secrets are in {}",
            session.config_path.display(),
            demo.secrets_dir.display()
        );
    }
    result
}
