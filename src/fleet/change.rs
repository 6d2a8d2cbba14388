//! `add`, `rotate` and `remove` across factories: plan all, one review, apply in parallel.
//!
//! The core ([`Job`], [`precheck`], [`plan`], [`Batch`], [`outcome`]) is shared by the CLI
//! (below) and the wizards (src/wizard/effects.rs): the per-factory work is built from one
//! request and one secret, rendered as one plan, applied with a progress callback, and
//! summarised in the same table with the same exit status.

use super::summary::{self, Row, RowResult};
use super::{Member, header, members, runner};
use crate::cli::{AddCommand, CredFlags, Global};
use crate::commands::{Creds, check_can_confirm, request, verify_before_storing};
use crate::escape;
use crate::factory_config::FactoryConfig;
use crate::fioctl::{Fioctl, FioctlError};
use crate::keystore;
use crate::plan::{Action, Plan, Request, SecretOp, SecretStore};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::term::{color_stdout, confirm};
use crate::wizard::report::{Exit, NOT_APPLIED, Outcome, Report};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a run across factories does: the same request in every selected factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Add (or update) this registry.
    Add(Request),
    /// New credentials for the registry with this url or secret name.
    Rotate(String),
    /// Remove the registry with this url or secret name, and its secret when asked.
    Remove { target: String, delete_secret: bool },
}

/// How each factory's fioctl is found (`--fioctl`, else PATH, with `--factory NAME`) and how
/// many factories are worked on at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub fioctl: Option<PathBuf>,
    pub timeout: Duration,
    pub jobs: usize,
}

impl Tools {
    /// The global flags' tools (`--fioctl`, `--fioctl-timeout`, `--jobs`).
    pub fn of(g: &Global) -> Tools {
        Tools {
            fioctl: g.fioctl.clone(),
            timeout: Duration::from_secs(g.fioctl_timeout),
            jobs: usize::from(g.jobs),
        }
    }

    /// The fioctl of one factory.
    pub fn fioctl(&self, factory: &str) -> Result<Fioctl, FioctlError> {
        Ok(
            Fioctl::find(self.fioctl.as_deref(), Some(factory.to_string()))?
                .with_timeout(self.timeout),
        )
    }

    /// fioctl, found before any secret is read.
    fn check_fioctl(&self, members: &[Member]) -> Result<()> {
        if let Some(m) = members.first() {
            self.fioctl(&m.name)?;
        }
        Ok(())
    }
}

/// What the run will do in one factory.
#[derive(Debug)]
enum Item {
    Plan(Box<Plan>),
    /// Delete a secret that an earlier `remove --delete-secret` left behind (the entry is gone).
    Leftover(Box<Plan>),
    /// Nothing to do there; why.
    Skipped(String),
    /// No plan could be made; why.
    Refused(String),
}

#[derive(Debug)]
struct Work {
    member: Member,
    item: Item,
}

/// The plan for all selected factories: per factory its plan, or why it is skipped or refused.
#[derive(Debug)]
pub struct Batch {
    works: Vec<Work>,
    /// An add: each factory's choices are recorded in the settings after it succeeded, and the
    /// provider's device advice is given.
    remember: bool,
}

fn placeholder() -> Secret {
    Secret::new(Vec::new(), "not read yet")
}

/// One more copy of the secret for one more factory's plan (zeroized with that plan).
pub(super) fn copy(secret: &Secret) -> Secret {
    Secret::new(secret.expose().to_vec(), secret.description())
}

/// A copy of `p` with its own copy of the secret.
fn duplicate(p: &Plan) -> Plan {
    Plan {
        config_path: p.config_path.clone(),
        factory: p.factory.clone(),
        provider: p.provider,
        url: p.url.clone(),
        action: p.action.clone(),
        secret_name: p.secret_name.clone(),
        secret: copy(&p.secret),
        secret_op: p.secret_op,
        old_text: p.old_text.clone(),
        new_text: p.new_text.clone(),
        commit: p.commit.clone(),
        git_path: p.git_path.clone(),
        notes: p.notes.clone(),
        region: p.region.clone(),
    }
}

/// A factory's plan, or why none could be made.
fn item(plan: Result<Plan, crate::plan::PlanError>) -> Item {
    match plan {
        Ok(plan) => Item::Plan(Box::new(plan)),
        Err(e) => Item::Refused(e.to_string()),
    }
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

/// The checks made before any secret is read: every rule in every factory for an add (refused
/// when no factory can take it), the one provider of a rotated registry. `Some`: the provider
/// and url of the credentials to read; `None` for a removal (it reads none).
pub fn precheck(members: &[Member], job: &Job) -> Result<Option<(Provider, Option<String>)>> {
    match job {
        Job::Add(req) => {
            let probes: Vec<Result<(), String>> = members
                .iter()
                .map(|m| {
                    let cfg = load(m)?;
                    Plan::build(&cfg, req, placeholder(), Some(m.name.clone()))
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
                .collect();
            if probes.iter().all(Result::is_err) {
                let why = members.iter().zip(&probes);
                bail!(
                    "no factory can take this registry:\n{}",
                    reasons(why.filter_map(|(m, r)| Some((m, r.as_ref().err()?))))
                );
            }
            Ok(Some((
                req.provider,
                req.url.as_deref().map(str::to_ascii_lowercase),
            )))
        }
        Job::Rotate(target) => {
            let (probes, _) = probe_targets(members, target);
            one_provider(members, &probes, target).map(Some)
        }
        Job::Remove { .. } => Ok(None),
    }
}

/// Each factory's part of `job` with its own copy of `secret` (ignored by a removal). A
/// removal with its secret asks each factory's fioctl (at most `tools.jobs` at a time) whether
/// a secret an earlier run left behind is still there.
pub fn plan(members: Vec<Member>, job: &Job, secret: &Secret, tools: &Tools) -> Batch {
    let works = match job {
        Job::Add(req) => members
            .into_iter()
            .map(|member| {
                let item = match load(&member) {
                    Err(why) => Item::Refused(why),
                    Ok(cfg) => item(Plan::build(
                        &cfg,
                        req,
                        copy(secret),
                        Some(member.name.clone()),
                    )),
                };
                Work { member, item }
            })
            .collect(),
        Job::Rotate(target) => {
            let (probes, cfgs) = probe_targets(&members, target);
            members
                .into_iter()
                .zip(cfgs)
                .zip(probes)
                .map(|((member, cfg), probe)| {
                    let item = match (cfg, probe) {
                        (Ok(cfg), Probe::Found(_)) => item(Plan::rotate(
                            &cfg,
                            target,
                            copy(secret),
                            Some(member.name.clone()),
                        )),
                        (_, Probe::Absent(why)) => Item::Skipped(why),
                        (_, Probe::Broken(why)) | (Err(why), _) => Item::Refused(why),
                    };
                    Work { member, item }
                })
                .collect()
        }
        Job::Remove {
            target,
            delete_secret,
        } => plan_remove(members, target, *delete_secret, tools),
    };
    Batch {
        works,
        remember: matches!(job, Job::Add(_)),
    }
}

fn plan_remove(
    members: Vec<Member>,
    target: &str,
    delete_secret: bool,
    tools: &Tools,
) -> Vec<Work> {
    let cfgs: Vec<Result<FactoryConfig, String>> = members.iter().map(load).collect();
    let named_secret = crate::provider::validate_secret_name(target.trim()).is_ok();
    // Where the entry is gone, does the secret (named by TARGET) still exist?
    let leftovers: Vec<Result<bool, String>> = runner::run_bounded(
        &members.iter().zip(&cfgs).collect::<Vec<_>>(),
        tools.jobs,
        |(m, cfg)| {
            let gone = cfg.as_ref().is_ok_and(|cfg| !has_target(cfg, target));
            if !(delete_secret && named_secret && gone) {
                return Ok(false);
            }
            match tools.fioctl(&m.name) {
                Ok(f) => f
                    .secrets_list()
                    .map(|names| names.iter().any(|n| n == target.trim()))
                    .map_err(|e| e.to_string()),
                Err(_) => Ok(false),
            }
        },
    );
    members
        .into_iter()
        .zip(cfgs)
        .zip(leftovers)
        .map(|((member, cfg), leftover)| {
            let item = match cfg {
                Err(why) => Item::Refused(why),
                Ok(cfg) if has_target(&cfg, target) => item(Plan::remove(
                    &cfg,
                    target,
                    delete_secret,
                    Some(member.name.clone()),
                )),
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
        .collect()
}

/// `fioreg --all-factories add ...`: the same registry in every selected factory.
pub fn add(g: &Global, cmd: &AddCommand) -> Result<Outcome> {
    read_plan_and_finish(g, &Creds::of_add(cmd), &Job::Add(request(cmd)))
}

/// `fioreg --all-factories rotate TARGET`: new credentials wherever TARGET is configured; the
/// other factories are skipped.
pub fn rotate(g: &Global, target: &str, flags: &CredFlags) -> Result<Outcome> {
    read_plan_and_finish(
        g,
        &Creds::of_rotate(flags),
        &Job::Rotate(target.to_string()),
    )
}

/// Add and rotate: the checks, the credentials read once, the plans, the login test, then
/// [`finish`].
fn read_plan_and_finish(g: &Global, creds: &Creds, job: &Job) -> Result<Outcome> {
    let members = members(g)?;
    let stdin_tty = check_can_confirm(g, creds.password_stdin)?;
    let tools = Tools::of(g);
    let Some((provider, url)) = precheck(&members, job)? else {
        bail!("this change reads no credentials");
    };
    if !g.dry_run {
        tools.check_fioctl(&members)?;
    }
    let secret = creds.read(
        provider,
        url.as_deref(),
        g.dry_run,
        stdin_tty,
        &keystore::OsKeyring,
    )?;
    let batch = plan(members, job, &secret, &tools);
    if let Some(stop) = verify_each_login(g, &batch, stdin_tty)? {
        return Ok(stop);
    }
    finish(g, batch)
}

/// `fioreg --all-factories remove TARGET [--delete-secret]`: where the entry is already gone
/// there is nothing to do, except a secret an earlier run left behind (TARGET named by its
/// secret name), which is deleted.
pub fn remove(g: &Global, target: &str, delete_secret: bool) -> Result<Outcome> {
    let members = members(g)?;
    check_can_confirm(g, false)?;
    let tools = Tools::of(g);
    if delete_secret && !g.dry_run {
        tools.check_fioctl(&members)?;
    }
    let job = Job::Remove {
        target: target.to_string(),
        delete_secret,
    };
    let batch = plan(members, &job, &placeholder(), &tools);
    finish(g, batch)
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
        region: None,
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
        let why = members.iter().zip(probes).filter_map(|(m, p)| match p {
            Probe::Absent(w) | Probe::Broken(w) => Some((m, w)),
            Probe::Found(_) => None,
        });
        bail!(
            "no selected factory has a usable registry `{}`:\n{}",
            target.trim(),
            reasons(why)
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

/// Each factory's reason on a line of its own (`  NAME: WHY`), control characters escaped.
fn reasons<'a>(each: impl Iterator<Item = (&'a Member, &'a String)>) -> String {
    let lines: Vec<String> = each
        .map(|(m, why)| format!("  {}: {why}", m.name))
        .collect();
    escape::controls(&lines.join("\n")).into_owned()
}

/// The login test before storing, once per distinct registry (url and region) of the plans.
fn verify_each_login(g: &Global, batch: &Batch, stdin_tty: bool) -> Result<Option<Outcome>> {
    let mut tested: Vec<(Option<String>, Option<String>)> = Vec::new();
    for plan in batch.plans() {
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

impl Batch {
    /// The factories, in the order of the plan and of the summary's rows.
    pub fn names(&self) -> Vec<String> {
        self.works.iter().map(|w| w.member.name.clone()).collect()
    }

    /// The plans that store a secret or write a config (not the leftovers' deletions).
    pub fn plans(&self) -> impl Iterator<Item = &Plan> {
        self.works.iter().filter_map(|w| match &w.item {
            Item::Plan(p) => Some(p.as_ref()),
            _ => None,
        })
    }

    /// A copy of the first factory's plan (or leftover deletion): what the wizards test the
    /// login with and name the change by. `None`: nothing to do in any factory.
    pub fn first_plan(&self) -> Option<Plan> {
        self.works.iter().find_map(|w| match &w.item {
            Item::Plan(p) | Item::Leftover(p) => Some(duplicate(p)),
            _ => None,
        })
    }

    /// Per factory: `None` when it has something to do, else `skipped` or `refused`.
    pub fn idle(&self) -> Vec<Option<&'static str>> {
        self.works
            .iter()
            .map(|w| match w.item {
                Item::Plan(_) | Item::Leftover(_) => None,
                Item::Skipped(_) => Some("skipped"),
                Item::Refused(_) => Some("refused"),
            })
            .collect()
    }

    /// How many factories have something to do, are skipped, are refused.
    pub fn counts(&self) -> (usize, usize, usize) {
        let idle = self.idle();
        let n = |of| idle.iter().filter(|i| **i == of).count();
        (n(None), n(Some("skipped")), n(Some("refused")))
    }

    /// Why nothing can be done in any factory (each factory's reason), when that is so.
    pub fn nothing_to_do(&self) -> Option<String> {
        if self.counts().0 > 0 {
            return None;
        }
        let why = self.works.iter().filter_map(|w| match &w.item {
            Item::Skipped(why) | Item::Refused(why) => Some((&w.member, why)),
            Item::Plan(_) | Item::Leftover(_) => None,
        });
        Some(format!(
            "nothing to do in any chosen factory:\n{}",
            reasons(why)
        ))
    }

    /// Whether a commit can be offered: some plan writes its config and none commits yet.
    pub fn may_commit(&self) -> bool {
        self.plans().any(|p| p.new_text != p.old_text) && self.plans().all(|p| p.commit.is_none())
    }

    /// A copy in which every plan that writes its config commits it too, as `--commit` makes
    /// it (the default message, no push); a factory whose checkout refuses is refused.
    pub fn with_commits(&self) -> Batch {
        let works = (self.works.iter())
            .map(|w| Work {
                member: w.member.clone(),
                item: match &w.item {
                    Item::Plan(p) => Item::Plan(Box::new(duplicate(p))),
                    Item::Leftover(p) => Item::Leftover(Box::new(duplicate(p))),
                    Item::Skipped(why) => Item::Skipped(why.clone()),
                    Item::Refused(why) => Item::Refused(why.clone()),
                },
            })
            .collect();
        let mut batch = Batch {
            works,
            remember: self.remember,
        };
        batch.add_commits(None, false);
        batch
    }

    /// Per factory with a commit or refused: its name and the commit, or why it is refused.
    pub fn commits(&self) -> Vec<(&str, Result<&crate::plan::CommitPlan, &str>)> {
        (self.works.iter())
            .filter_map(|w| {
                let name = w.member.name.as_str();
                match &w.item {
                    Item::Plan(p) => p.commit.as_ref().map(|c| (name, Ok(c))),
                    Item::Refused(why) => Some((name, Err(why.as_str()))),
                    _ => None,
                }
            })
            .collect()
    }

    /// Adds a commit (and a push) to every plan that writes its config; a factory whose
    /// checkout refuses it is refused.
    pub fn add_commits(&mut self, message: Option<String>, push: bool) {
        for w in &mut self.works {
            if let Item::Plan(plan) = &mut w.item
                && plan.new_text != plan.old_text
            {
                match plan.commit_plan(message.clone(), push) {
                    Ok(c) => plan.commit = Some(c),
                    Err(e) => w.item = Item::Refused(e.to_string()),
                }
            }
        }
    }

    /// The one plan: per factory a header, then its redacted fioctl calls and config diff, or
    /// why it is skipped or refused; then the counts.
    pub fn render(&self, color: bool) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for w in &self.works {
            let _ = writeln!(out, "{}", header(&w.member));
            match &w.item {
                Item::Plan(plan) => out.push_str(&plan.render(color)),
                Item::Leftover(plan) => out.push_str(&escape::controls(&format!(
                    "Plan: delete the secret `{}`, left behind by an earlier remove ({} has \
                     no entry for it)\n\n1. Delete the secret from the factory:\n   {}\n",
                    plan.secret_name,
                    plan.config_path.display(),
                    plan.fioctl_calls().join("\n   ")
                ))),
                Item::Skipped(why) => {
                    let _ = writeln!(out, "Skipped: {}", escape::controls(why));
                }
                Item::Refused(why) => {
                    let _ = writeln!(
                        out,
                        "Will not be changed: {}",
                        escape::controls(&why.replace('\n', "\n  "))
                    );
                }
            }
            out.push('\n');
        }
        let (to_change, skipped, refused) = self.counts();
        let _ = writeln!(
            out,
            "{} factories: {to_change} to change, {skipped} skipped, {refused} refused.",
            self.works.len()
        );
        out
    }

    /// [`Batch::apply`] as a run applies it: SIGINT or SIGTERM meanwhile stops the running
    /// fioctl calls (src/fioctl) and, through `stop`, starts no other factory; then each
    /// successful add is remembered in the settings at `settings`, when given.
    pub fn apply_interruptibly(
        &self,
        tools: &Tools,
        stop: &Arc<AtomicBool>,
        settings: Option<&std::path::Path>,
        on_row: &(dyn Fn(usize, &Row) + Sync),
    ) -> Vec<Row> {
        let ids: Vec<signal_hook::SigId> =
            [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
                .into_iter()
                .filter_map(|s| signal_hook::flag::register(s, Arc::clone(stop)).ok())
                .collect();
        let mut rows = self.apply(tools, stop, on_row);
        for id in ids {
            signal_hook::low_level::unregister(id);
        }
        if let Some(path) = settings {
            self.remember(path, &mut rows);
        }
        rows
    }

    /// Applies every factory's plan, at most `tools.jobs` factories at a time, each in its
    /// own safe order. Once `stop` is set no other factory is started. `on_row` is told each
    /// factory that had something to do as it finishes (its index in [`Batch::names`]).
    pub fn apply(
        &self,
        tools: &Tools,
        stop: &AtomicBool,
        on_row: &(dyn Fn(usize, &Row) + Sync),
    ) -> Vec<Row> {
        let indexed: Vec<(usize, &Work)> = self.works.iter().enumerate().collect();
        runner::run_bounded(&indexed, tools.jobs, |(i, w)| {
            let work = matches!(w.item, Item::Plan(_) | Item::Leftover(_));
            if stop.load(Ordering::SeqCst) && work {
                return Row::untouched(
                    &w.member.name,
                    RowResult::Failed,
                    "not started: interrupted".into(),
                );
            }
            let row = apply_one(tools, w);
            if work {
                on_row(*i, &row);
            }
            row
        })
    }

    /// After an add: each factory that succeeded remembers its config in the settings at
    /// `path` (one after the other: it is one file); a failure to save is the row's detail.
    pub fn remember(&self, path: &Path, rows: &mut [Row]) {
        if !self.remember {
            return;
        }
        for (w, row) in self.works.iter().zip(rows) {
            if let (Item::Plan(plan), RowResult::Ok) = (&w.item, row.result)
                && let Err(e) = crate::settings::record_add(path, &w.member.name, plan)
            {
                row.detail = Some(format!("the settings were not saved: {e}"));
            }
        }
    }

    /// What is said after applying: the summary table, what to do with the written configs,
    /// and after an add the provider's device advice.
    pub fn closing(&self, rows: &[Row]) -> String {
        use std::fmt::Write as _;
        let mut out = summary::render(rows);
        out.push('\n');
        let written = |r: &&Row| r.result == RowResult::Ok && r.config == "written";
        if rows.iter().filter(written).any(|r| r.commit == "-") {
            let _ = writeln!(
                out,
                "Commit and push each written factory-config.yml in its ci-scripts checkout (or \
                 run with --commit) so the next CI build uses it."
            );
        } else if rows
            .iter()
            .filter(written)
            .any(|r| !r.commit.ends_with("pushed"))
        {
            let _ = writeln!(out, "Push the commits so the next CI build uses them.");
        }
        if self.remember
            && let Some(plan) = self
                .works
                .iter()
                .zip(rows)
                .find_map(|(w, r)| match &w.item {
                    Item::Plan(p) if r.result == RowResult::Ok => Some(p),
                    _ => None,
                })
        {
            let _ = writeln!(out, "\n{}", plan.provider.device_advice());
        }
        if self.counts().0 == 0 && summary::failures(rows).is_none() {
            let _ = writeln!(out, "Nothing was left to do in any selected factory.");
        }
        out
    }
}

/// How a run across factories ends, whichever front end ran it: an error (exit 1) naming the
/// factories not done, an interruption, or applied with each factory's line.
pub fn outcome(rows: &[Row], interrupted: bool) -> Result<Outcome> {
    match summary::failures(rows) {
        Some(message) if interrupted => Ok(Outcome::Interrupted(format!("interrupted: {message}"))),
        Some(message) => Err(Exit { code: 1, message }.into()),
        None => Ok(Outcome::Applied(Report {
            lines: rows
                .iter()
                .map(|r| (crate::wizard::report::Mark::Done, r.progress_line()))
                .collect(),
            advice: None,
        })),
    }
}

/// Adds the commits, shows the one plan, asks once, applies in parallel and prints the summary.
fn finish(g: &Global, mut batch: Batch) -> Result<Outcome> {
    if g.commit || g.push || g.message.is_some() {
        batch.add_commits(g.message.clone(), g.push);
    }
    print!("{}", batch.render(color_stdout()));
    let (to_change, _, refused) = batch.counts();
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
    let stop = Arc::new(AtomicBool::new(false));
    let settings = Settings::default_path();
    let rows = batch.apply_interruptibly(&Tools::of(g), &stop, settings.as_deref(), &|_, row| {
        eprintln!("{}", row.progress_line());
    });
    let interrupted = stop.load(Ordering::SeqCst);
    println!("\n{}", batch.closing(&rows).trim_end());
    outcome(&rows, interrupted)
}

/// Applies one factory's plan with its own fioctl; the row says what was done.
fn apply_one(tools: &Tools, w: &Work) -> Row {
    let name = &w.member.name;
    let plan = match &w.item {
        Item::Plan(p) | Item::Leftover(p) => p,
        Item::Skipped(why) => return Row::untouched(name, RowResult::Skipped, why.clone()),
        Item::Refused(why) => return Row::untouched(name, RowResult::Refused, why.clone()),
    };
    let result = if plan.secret_op == SecretOp::Keep {
        plan.apply(&crate::plan::NoStore)
    } else {
        match tools.fioctl(name) {
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
