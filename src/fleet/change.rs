//! `add`, `rotate` and `remove` across factories: plan all, one review, apply in parallel.

use super::summary::{self, Row, RowResult};
use super::{Member, fioctl_for, header, members, runner};
use crate::cli::{AddCommand, CredFlags, Global};
use crate::commands::{Creds, check_can_confirm, request, verify_before_storing};
use crate::escape;
use crate::factory_config::FactoryConfig;
use crate::fioctl::Fioctl;
use crate::keystore;
use crate::plan::{Action, Plan, SecretOp, SecretStore};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::term::{color_stdout, confirm};
use crate::wizard::report::{Exit, NOT_APPLIED, Outcome, Report};
use anyhow::{Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the run will do in one factory.
enum Item {
    Plan(Box<Plan>),
    /// Delete a secret that an earlier `remove --delete-secret` left behind (the entry is gone).
    Leftover(Box<Plan>),
    /// Nothing to do there; why.
    Skipped(String),
    /// No plan could be made; why.
    Refused(String),
}

struct Work {
    member: Member,
    item: Item,
}

fn placeholder() -> Secret {
    Secret::new(Vec::new(), "not read yet")
}

/// One more copy of the secret for one more factory's plan (zeroized with that plan).
fn copy(secret: &Secret) -> Secret {
    Secret::new(secret.expose().to_vec(), secret.description())
}

fn load(m: &Member) -> Result<FactoryConfig, String> {
    FactoryConfig::load(&m.config).map_err(|e| format!("{e:#}"))
}

/// Whether `cfg` has an entry with this secret name or url.
fn has_target(cfg: &FactoryConfig, target: &str) -> bool {
    let t = target.trim();
    cfg.registries
        .iter()
        .any(|e| e.secret_name.as_deref() == Some(t))
        || cfg.entry_by_url(t).is_some()
}

/// fioctl, found before any secret is read (not needed in a dry run).
fn find_fioctl(g: &Global, members: &[Member]) -> Result<()> {
    if let Some(m) = members.first() {
        fioctl_for(g, &m.name)?;
    }
    Ok(())
}

/// `fioreg --all-factories add ...`: the same registry in every selected factory.
pub fn add(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    let members = members(g)?;
    let creds = Creds::of_add(cmd);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let req = request(cmd);
    let cfgs: Vec<Result<FactoryConfig, String>> = members.iter().map(load).collect();
    // Every rule in every factory before the secret is asked for.
    let probes: Vec<Result<(), String>> = cfgs
        .iter()
        .zip(&members)
        .map(|(cfg, m)| {
            let cfg = cfg.as_ref().map_err(Clone::clone)?;
            Plan::build(cfg, &req, placeholder(), Some(m.name.clone()))
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .collect();
    if probes.iter().all(Result::is_err) {
        bail!(
            "no factory can take this registry:\n{}",
            reasons(&members, &probes)
        );
    }
    if !g.dry_run {
        find_fioctl(g, &members)?;
    }
    let url = req.url.as_deref().map(str::to_ascii_lowercase);
    let secret = creds.read(
        req.provider,
        url.as_deref(),
        g.dry_run,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let works: Vec<Work> = members
        .into_iter()
        .zip(cfgs)
        .map(|(member, cfg)| {
            let item = match cfg {
                Err(why) => Item::Refused(why),
                Ok(cfg) => {
                    match Plan::build(&cfg, &req, copy(&secret), Some(member.name.clone())) {
                        Ok(plan) => Item::Plan(Box::new(plan)),
                        Err(e) => Item::Refused(e.to_string()),
                    }
                }
            };
            Work { member, item }
        })
        .collect();
    if let Some(stop) = verify_each_login(g, &works, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, works, true)
}

/// `fioreg --all-factories rotate TARGET`: new credentials wherever TARGET is configured; the
/// other factories are skipped.
pub fn rotate(g: &Global, target: &str, flags: &CredFlags) -> Result<Outcome> {
    let members = members(g)?;
    let creds = Creds::of_rotate(flags);
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let (probes, cfgs) = probe_targets(&members, target);
    let (provider, url) = one_provider(&members, &probes, target)?;
    if !g.dry_run {
        find_fioctl(g, &members)?;
    }
    let secret = creds.read(
        provider,
        url.as_deref(),
        g.dry_run,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let works: Vec<Work> = members
        .into_iter()
        .zip(cfgs)
        .zip(probes)
        .map(|((member, cfg), probe)| {
            let item = match (cfg, probe) {
                (Ok(cfg), Probe::Found(_)) => {
                    match Plan::rotate(&cfg, target, copy(&secret), Some(member.name.clone())) {
                        Ok(plan) => Item::Plan(Box::new(plan)),
                        Err(e) => Item::Refused(e.to_string()),
                    }
                }
                (_, Probe::Absent(why)) => Item::Skipped(why),
                (_, Probe::Broken(why)) | (Err(why), _) => Item::Refused(why),
            };
            Work { member, item }
        })
        .collect();
    if let Some(stop) = verify_each_login(g, &works, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, works, false)
}

/// `fioreg --all-factories remove TARGET [--delete-secret]`: where the entry is already gone
/// there is nothing to do, except a secret an earlier run left behind (TARGET named by its
/// secret name), which is deleted.
pub fn remove(g: &Global, target: &str, delete_secret: bool) -> Result<Outcome> {
    let members = members(g)?;
    check_can_confirm(g, false)?;
    let fioctls: Vec<Option<Fioctl>> = members
        .iter()
        .map(|m| {
            if delete_secret {
                fioctl_for(g, &m.name).ok()
            } else {
                None
            }
        })
        .collect();
    if delete_secret && !g.dry_run {
        find_fioctl(g, &members)?;
    }
    let named_secret = crate::provider::validate_secret_name(target.trim()).is_ok();
    // Where the entry is gone, does the secret (named by TARGET) still exist?
    let leftovers: Vec<Result<bool, String>> = runner::run_bounded(
        &members
            .iter()
            .zip(&fioctls)
            .map(|(m, f)| (m, f.as_ref()))
            .collect::<Vec<_>>(),
        g.jobs.into(),
        |(m, f)| {
            let gone = load(m).is_ok_and(|cfg| !has_target(&cfg, target));
            match f {
                Some(f) if gone && named_secret => f
                    .secrets_list()
                    .map(|names| names.iter().any(|n| n == target.trim()))
                    .map_err(|e| e.to_string()),
                _ => Ok(false),
            }
        },
    );
    let works: Vec<Work> = members
        .into_iter()
        .zip(leftovers)
        .map(|(member, leftover)| {
            let item = match load(&member) {
                Err(why) => Item::Refused(why),
                Ok(cfg) if has_target(&cfg, target) => {
                    match Plan::remove(&cfg, target, delete_secret, Some(member.name.clone())) {
                        Ok(plan) => Item::Plan(Box::new(plan)),
                        Err(e) => Item::Refused(e.to_string()),
                    }
                }
                Ok(cfg) => match leftover {
                    Ok(true) => Item::Leftover(Box::new(leftover_plan(&cfg, target, &member))),
                    Ok(false) => Item::Skipped(format!(
                        "already removed: {} has no registry `{}`",
                        member.config.display(),
                        target.trim()
                    )),
                    Err(why) => Item::Refused(format!(
                        "{} has no registry `{}`, and whether its secret is left could not be \
                         checked: {why}",
                        member.config.display(),
                        target.trim()
                    )),
                },
            };
            Work { member, item }
        })
        .collect();
    finish(g, works, false)
}

/// Deleting the secret `name` left behind when its entry was removed; the config stays as it is.
fn leftover_plan(cfg: &FactoryConfig, name: &str, m: &Member) -> Plan {
    Plan {
        config_path: cfg.path.clone(),
        factory: Some(m.name.clone()),
        provider: Provider::Generic,
        url: None,
        action: Action::Remove { index: 0, line: 0 },
        secret_name: name.trim().to_string(),
        secret: Secret::new(Vec::new(), "left-behind secret"),
        secret_op: SecretOp::Delete,
        old_text: cfg.original(),
        new_text: cfg.original(),
        commit: None,
        git_path: None,
        notes: Vec::new(),
    }
}

/// A configured registry: its provider, url and region.
pub(super) type Found = (Provider, Option<String>, Option<String>);

/// Whether a factory has the target of rotate or verify.
pub(super) enum Probe {
    /// Its provider, url and region.
    Found(Found),
    /// Not configured there.
    Absent(String),
    /// Configured, but no plan can be made (an unsupported type, no secret name, a bad config).
    Broken(String),
}

/// Per factory: the config and whether TARGET is configured in it.
pub(super) fn probe_targets(
    members: &[Member],
    target: &str,
) -> (Vec<Probe>, Vec<Result<FactoryConfig, String>>) {
    let cfgs: Vec<Result<FactoryConfig, String>> = members.iter().map(load).collect();
    let probes = cfgs
        .iter()
        .zip(members)
        .map(|(cfg, m)| match cfg {
            Err(why) => Probe::Broken(why.clone()),
            Ok(cfg) if !has_target(cfg, target) => Probe::Absent(format!(
                "{} has no registry with the secret name or url `{}`",
                m.config.display(),
                target.trim()
            )),
            Ok(cfg) => match Plan::rotate(cfg, target, placeholder(), None) {
                Ok(p) => {
                    let region = p.region();
                    Probe::Found((p.provider, p.url, region))
                }
                Err(e) => Probe::Broken(e.to_string()),
            },
        })
        .collect();
    (probes, cfgs)
}

/// The one provider TARGET has wherever it is configured (the credentials are read once, so
/// they must be of one kind), and the url of its first entry.
pub(super) fn one_provider(
    members: &[Member],
    probes: &[Probe],
    target: &str,
) -> Result<(Provider, Option<String>)> {
    let found: Vec<(&Member, &Found)> = members
        .iter()
        .zip(probes)
        .filter_map(|(m, p)| match p {
            Probe::Found(f) => Some((m, f)),
            _ => None,
        })
        .collect();
    let Some((_, (provider, url, _))) = found.first() else {
        let why: Vec<String> = members
            .iter()
            .zip(probes)
            .map(|(m, p)| match p {
                Probe::Absent(w) | Probe::Broken(w) => format!("  {}: {w}", m.name),
                Probe::Found(_) => String::new(),
            })
            .collect();
        bail!(
            "no selected factory has a usable registry `{}`:\n{}",
            target.trim(),
            escape::controls(&why.join("\n"))
        );
    };
    if let Some((m, (other, _, _))) = found.iter().find(|(_, (p, _, _))| p != provider) {
        bail!(
            "`{}` is a {provider} registry in factory {} but a {other} registry in factory {}: \
             the credentials are read once, so select factories where it has one type",
            target.trim(),
            found[0].0.name,
            m.name
        );
    }
    Ok((*provider, url.clone()))
}

fn reasons(members: &[Member], results: &[Result<(), String>]) -> String {
    let lines: Vec<String> = members
        .iter()
        .zip(results)
        .filter_map(|(m, r)| r.as_ref().err().map(|why| format!("  {}: {why}", m.name)))
        .collect();
    escape::controls(&lines.join("\n")).into_owned()
}

/// The login test before storing, once per distinct registry (url and region) of the plans.
fn verify_each_login(g: &Global, works: &[Work], stdin_tty: bool) -> Result<Option<Outcome>> {
    let mut tested: Vec<(Option<String>, Option<String>)> = Vec::new();
    for w in works {
        let Item::Plan(plan) = &w.item else { continue };
        let key = (plan.url.clone(), plan.region());
        if tested.contains(&key) {
            continue;
        }
        tested.push(key);
        if let Some(stop) = verify_before_storing(g, plan, stdin_tty)? {
            return Ok(Some(stop));
        }
    }
    Ok(None)
}

/// Adds the commits, shows the one plan, asks once, applies in parallel and prints the summary.
/// `remember`: record each factory's choices in the settings after a successful add.
fn finish(g: &Global, mut works: Vec<Work>, remember: bool) -> Result<Outcome> {
    let wants_commit = g.commit || g.push || g.message.is_some();
    for w in &mut works {
        if let Item::Plan(plan) = &w.item
            && wants_commit
            && plan.new_text != plan.old_text
        {
            match plan.commit_plan(g.message.clone(), g.push) {
                Ok(c) => {
                    if let Item::Plan(plan) = &mut w.item {
                        plan.commit = Some(c);
                    }
                }
                Err(e) => w.item = Item::Refused(e.to_string()),
            }
        }
    }
    let color = color_stdout();
    let mut to_change = 0;
    for w in &works {
        println!("{}", header(&w.member));
        match &w.item {
            Item::Plan(plan) => {
                to_change += 1;
                print!("{}", plan.render(color));
            }
            Item::Leftover(plan) => {
                to_change += 1;
                print!(
                    "{}",
                    escape::controls(&format!(
                        "Plan: delete the secret `{}`, left behind by an earlier remove ({} has \
                         no entry for it)\n\n1. Delete the secret from the factory:\n   {}\n",
                        plan.secret_name,
                        plan.config_path.display(),
                        plan.fioctl_calls().join("\n   ")
                    ))
                );
            }
            Item::Skipped(why) => println!("Skipped: {}", escape::controls(why)),
            Item::Refused(why) => println!(
                "Will not be changed: {}",
                escape::controls(&why.replace('\n', "\n  "))
            ),
        }
        println!();
    }
    let refused = works
        .iter()
        .filter(|w| matches!(w.item, Item::Refused(_)))
        .count();
    let skipped = works
        .iter()
        .filter(|w| matches!(w.item, Item::Skipped(_)))
        .count();
    println!(
        "{} factories: {to_change} to change, {skipped} skipped, {refused} refused.",
        works.len()
    );
    if g.dry_run {
        println!("\nDry run: nothing was changed and no secret was stored.");
        return if refused > 0 {
            Err(Exit {
                code: 1,
                message: format!("{refused} factories refused the change (see above)"),
            }
            .into())
        } else {
            Ok(Outcome::Previewed)
        };
    }
    if to_change > 0 && !g.yes && !confirm(&format!("\nApply this plan to {to_change} factories?"))?
    {
        return Ok(Outcome::NotApplied(NOT_APPLIED.into()));
    }
    let jobs = usize::from(g.jobs);
    // Ctrl-C or SIGTERM while a fioctl call runs stops that call (src/fioctl); this flag also
    // keeps the factories not started yet from being started.
    let stop = Arc::new(AtomicBool::new(false));
    let ids: Vec<signal_hook::SigId> = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
        .into_iter()
        .filter_map(|s| signal_hook::flag::register(s, Arc::clone(&stop)).ok())
        .collect();
    let mut rows: Vec<Row> = runner::run_bounded(&works, jobs, |w| {
        if stop.load(Ordering::SeqCst) && matches!(w.item, Item::Plan(_) | Item::Leftover(_)) {
            return Row::untouched(
                &w.member.name,
                RowResult::Failed,
                "not started: interrupted".into(),
            );
        }
        let row = apply_one(g, w);
        if matches!(w.item, Item::Plan(_) | Item::Leftover(_)) {
            eprintln!("{}", row.progress_line());
        }
        row
    });
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    let interrupted = stop.load(Ordering::SeqCst);
    if remember && let Some(path) = Settings::default_path() {
        // One after the other: the settings file is one file.
        for (w, row) in works.iter().zip(&mut rows) {
            if let (Item::Plan(plan), RowResult::Ok) = (&w.item, row.result)
                && let Err(e) = crate::settings::record_add(&path, &w.member.name, plan)
            {
                row.detail = Some(format!("the settings were not saved: {e}"));
            }
        }
    }
    println!("\n{}", summary::render(&rows));
    let written = |r: &&Row| r.result == RowResult::Ok && r.config == "written";
    if rows.iter().filter(written).any(|r| r.commit == "-") {
        println!(
            "Commit and push each written factory-config.yml in its ci-scripts checkout (or run \
             with --commit) so the next CI build uses it."
        );
    } else if rows
        .iter()
        .filter(written)
        .any(|r| !r.commit.ends_with("pushed"))
    {
        println!("Push the commits so the next CI build uses them.");
    }
    if remember
        && let Some(plan) = works.iter().zip(&rows).find_map(|(w, r)| match &w.item {
            Item::Plan(p) if r.result == RowResult::Ok => Some(p),
            _ => None,
        })
    {
        println!("\n{}", plan.provider.device_advice());
    }
    match summary::failures(&rows) {
        Some(message) if interrupted => Ok(Outcome::Interrupted(format!("interrupted: {message}"))),
        Some(message) => Err(Exit { code: 1, message }.into()),
        None => {
            if to_change == 0 {
                println!("Nothing was left to do in any selected factory.");
            }
            Ok(Outcome::Applied(Report {
                lines: rows
                    .iter()
                    .map(|r| (crate::wizard::report::Mark::Done, r.progress_line()))
                    .collect(),
                advice: None,
            }))
        }
    }
}

/// Applies one factory's plan with its own fioctl; the row says what was done.
fn apply_one(g: &Global, w: &Work) -> Row {
    let name = &w.member.name;
    let plan = match &w.item {
        Item::Plan(p) | Item::Leftover(p) => p,
        Item::Skipped(why) => return Row::untouched(name, RowResult::Skipped, why.clone()),
        Item::Refused(why) => return Row::untouched(name, RowResult::Refused, why.clone()),
    };
    let result = if plan.secret_op == SecretOp::Keep {
        plan.apply(&crate::plan::NoStore)
    } else {
        match fioctl_for(g, name) {
            Ok(f) => plan.apply(&f as &dyn SecretStore),
            Err(e) => return Row::untouched(name, RowResult::Failed, e.to_string()),
        }
    };
    let mut row = Row::of_apply(name, plan, &result);
    if matches!(w.item, Item::Leftover(_)) {
        row.config = "up to date".into();
    }
    row
}
