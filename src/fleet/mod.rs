//! Several factories at once (`--factory A --factory B`, `--all-factories`): one plan for all,
//! one confirmation, the credentials read once, then each factory applied in its own safe order
//! (secret, config, commit) with at most `--jobs` factories at a time. A failure in one factory
//! neither stops nor undoes the others; the summary table says per factory what was done.
//!
//! Each factory uses the factory-config.yml remembered for it in fioreg's settings
//! (`factories.<NAME>.config`) and its own `fioctl --factory NAME`.

mod change;
mod inspect;
pub mod matrix;
pub mod runner;
pub mod summary;

pub use change::{Batch, Job, Tools, add, outcome, plan, precheck, remove, rotate};
pub use inspect::{
    FactoryOverview, RegistryView, check, findings, list, overview, remembered_overview, verify,
};

use crate::cli::{Command, Global};
use crate::settings::Settings;
use crate::wizard::report::Outcome;
use anyhow::{Result, bail};
use std::path::PathBuf;

/// One selected factory and its factory-config.yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub config: PathBuf,
}

/// Runs `command` across the selected factories, when it is one that works on factories.
/// `None`: the command does not use a factory (settings, completions, ...) and runs as usual.
pub fn dispatch(g: &Global, command: Option<&Command>) -> Option<Result<Option<Outcome>>> {
    let unit = |r: Result<()>| r.map(|()| None);
    Some(match command? {
        Command::Add(cmd) if creates_an_identity(cmd) => Err(anyhow::anyhow!(
            "creating a cloud identity (--create-user, --create-service-account, \
             --create-principal) works for one factory at a time: give one --factory (or none)"
        )),
        Command::Add(cmd) => add(g, cmd).map(Some),
        Command::Rotate { new_key, .. } if new_key.new_key => Err(anyhow::anyhow!(
            "rotate --new-key makes a new key for one factory's identity: give one --factory \
             (or none)"
        )),
        Command::Rotate { target, creds, .. } => rotate(g, target, creds).map(Some),
        Command::Remove {
            target,
            delete_secret,
        } => remove(g, target, *delete_secret).map(Some),
        Command::List { json } => unit(list(g, *json)),
        Command::Check { offline, json } => unit(check(g, *offline, *json)),
        Command::Verify { target, creds } => unit(verify(g, target, creds)),
        Command::DeviceWrap { .. } => Err(anyhow::anyhow!(
            "device-wrap writes into one containers.git: give one --factory (or none)"
        )),
        Command::Scan(_) => Err(anyhow::anyhow!(
            "scan works on one factory's containers.git: give one --factory (or none)"
        )),
        _ => return None,
    })
}

/// Whether `add` is asked to create a cloud identity (one factory at a time).
fn creates_an_identity(cmd: &crate::cli::AddCommand) -> bool {
    use crate::cli::AddCommand;
    matches!(
        cmd,
        AddCommand::Aws {
            create_user: Some(_),
            ..
        } | AddCommand::Gar {
            create_service_account: Some(_),
            ..
        } | AddCommand::Azure {
            create_principal: Some(_),
            ..
        }
    )
}

/// The factories selected by `--factory` (given several times) or `--all-factories`, each with
/// its remembered factory-config.yml.
pub fn members(g: &Global) -> Result<Vec<Member>> {
    if g.config.is_some() {
        bail!(
            "--config names one file, but several factories are selected: each factory uses the \
             factory-config.yml remembered for it (`fioreg settings set factories.NAME.config \
             PATH`); leave out --config"
        );
    }
    let path = Settings::default_path().ok_or_else(|| {
        anyhow::anyhow!(
            "neither XDG_CONFIG_HOME nor HOME is set, so there are no remembered factories"
        )
    })?;
    let settings = Settings::load(&path)?;
    let remembered = settings.factories();
    let names: Vec<String> = if g.all_factories {
        remembered.iter().map(|(n, _)| n.clone()).collect()
    } else {
        let mut names: Vec<String> = Vec::new();
        for n in &g.factories {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        names
    };
    if names.is_empty() {
        bail!(
            "{} remembers no factory: remember each one's config with `fioreg settings set \
             factories.NAME.config PATH` (a successful `fioreg add` does it too)",
            path.display()
        );
    }
    let mut members = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match remembered.iter().find(|(n, _)| *n == name) {
            Some((_, Some(config))) => members.push(Member {
                name,
                config: PathBuf::from(config),
            }),
            _ => missing.push(name),
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} remembers no factory-config.yml for {}: set it with `fioreg settings set \
             factories.{}.config PATH`",
            path.display(),
            missing.join(", "),
            missing[0]
        );
    }
    Ok(members)
}

/// The header of a factory's part of a plan or a listing.
fn header(m: &Member) -> String {
    crate::escape::controls(&format!(
        "━━ factory {} ({}) ━━",
        m.name,
        m.config.display()
    ))
    .into_owned()
}
