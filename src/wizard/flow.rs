//! What both interactive front ends (the full-screen wizard and the line prompts) share beyond
//! the core: which configured entries can be rotated or removed and by which name, the plan a
//! flow builds, the login test before storing, the commit check, the OS keyring step, the
//! settings a successful add leaves behind, and the equivalent command lines.
//!
//! No rule lives here either: every refusal is the core's ([`Plan::rotate`], [`Plan::remove`],
//! [`Plan::with_commit`], [`crate::plan::find_entry`], [`crate::verify::verify`], the key
//! store's own errors).

use crate::factory_config::FactoryConfig;
pub use crate::keystore::keep_password;
pub use crate::plan::NoStore;
use crate::plan::{
    Answers, CommitPlan, CredentialInput, Plan, PlanError, SecretOp, command_prefix, shell_word,
};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::session::Session;
use crate::verify::VerifyOptions;
pub use crate::verify::{LoginCheck, Verifier, login_host, verify_plan};
use std::path::Path;

/// Why the login test is not run before the review, if it is not: `session.verify` is `None`
/// with `--no-verify`, and in demo mode (its registries are made up).
pub fn login_test_skipped(verify: Option<&VerifyOptions>, demo: bool) -> Option<&'static str> {
    match (verify, demo) {
        (Some(_), _) => None,
        (None, true) => Some("demo: made-up registries"),
        (None, false) => Some("--no-verify"),
    }
}

/// Whether a missing store (no fioctl) blocks applying: only plans that store or delete a secret
/// need one.
pub fn store_blocks(
    ctx: &crate::wizard::state::Context,
    review: &crate::wizard::state::Review,
) -> bool {
    ctx.store_error.is_some() && review.plan.secret_op != SecretOp::Keep
}

/// Whether `plan` gets a login test: only plans that store credentials (add, rotate).
pub fn plan_needs_login_test(plan: &Plan) -> bool {
    plan.secret_op == SecretOp::Store
}

/// How long Apply waits for a new key to be accepted: Azure's as the CLI's, else the default.
pub fn new_key_wait(cloud: &crate::cloud::CloudPlan) -> std::time::Duration {
    match cloud.job {
        crate::cloud::Job::Azure(_) => crate::cloud::azure::KEY_WAIT,
        _ => crate::cloud::apply::DEFAULT_KEY_WAIT,
    }
}

/// What the review says of the login test when the key is created first (both wizards): it
/// cannot run before the key exists; Apply checks the new key of `cloud` (and the login, unless
/// `login` is off) before storing it.
pub fn new_key_login_note(cloud: &crate::cloud::CloudPlan, login: bool) -> String {
    let wait = new_key_wait(cloud).as_secs();
    let skipped = "Login test skipped here: the key does not exist yet.";
    match (&cloud.job, login) {
        (crate::cloud::Job::Aws(_), true) => format!(
            "{skipped} Apply checks the new key (sts:GetCallerIdentity) and the registry login \
             with it, waiting up to {wait} s for IAM, before storing it."
        ),
        (crate::cloud::Job::Aws(_), false) => format!(
            "{skipped} Apply checks the new key (sts:GetCallerIdentity, waiting up to {wait} s \
             for IAM) before storing it."
        ),
        (crate::cloud::Job::Azure(_), true) => format!(
            "{skipped} Apply tests the registry login with the new password, waiting up to \
             {wait} s for Azure to accept it, before storing it."
        ),
        (crate::cloud::Job::Azure(_), false) => {
            format!("{skipped} Apply stores the new password without testing it.")
        }
        (_, true) => format!(
            "{skipped} Apply checks the new key file and tests the registry login with it, \
             waiting up to {wait} s for {} to accept it, before storing it.",
            cloud.cloud
        ),
        (_, false) => format!("{skipped} Apply checks the new key file before storing it."),
    }
}

/// What both wizards say first across factories.
pub const SEVERAL_START: &str = "Several factories: each with its remembered factory-config.yml \
     and its own fioctl --factory; the change is made in the chosen ones. Creating a cloud \
     identity, a new key (rotate --new-key) and the scan of containers.git work for one factory \
     at a time.";

/// A secret that stands in for the real one while only the rules are checked.
pub fn placeholder() -> Secret {
    Secret::new(Vec::new(), "not read yet")
}

/// The remembered factories side by side, as both wizards' Start screens show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetLines {
    pub head: String,
    /// The matrix: a header of factory names, a row per registry (empty while reading).
    pub table: Vec<String>,
    /// The gaps in a sentence, or why the factories could not be read.
    pub note: Option<(crate::wizard::report::Mark, String)>,
}

/// [`FleetLines`] for the state at `width` columns; `None` unless two factories or more are
/// remembered (a single-factory Start screen stays as it is).
pub fn fleet_lines(state: &crate::wizard::state::State, width: usize) -> Option<FleetLines> {
    use crate::fleet::matrix;
    use crate::wizard::report::Mark;
    use crate::wizard::state::Fleet;
    match &state.fleet {
        Fleet::Off => None,
        Fleet::Loading => Some(FleetLines {
            head: "Remembered factories: reading their configs and secrets…".into(),
            table: Vec::new(),
            note: None,
        }),
        Fleet::Failed(why) => Some(FleetLines {
            head: "Remembered factories".into(),
            table: Vec::new(),
            note: Some((Mark::Warn, format!("cannot be read: {why}"))),
        }),
        Fleet::Loaded(views) if views.len() < 2 => None,
        Fleet::Loaded(views) => {
            let m = matrix::matrix(views);
            let summary = matrix::summary(views);
            let complete = m
                .rows
                .iter()
                .all(|(_, cells)| cells.iter().all(|c| *c == matrix::Cell::Present))
                && views.iter().all(|v| v.registries.is_ok());
            Some(FleetLines {
                head: format!("Remembered factories ({})", matrix::LEGEND),
                table: matrix::lines(&m, width),
                note: Some((if complete { Mark::Done } else { Mark::Warn }, summary)),
            })
        }
    }
}

/// What the scan of containers.git says on the Start screen, in both wizards: running, the
/// headline, each device-pulled private image with its `fioreg device-wrap` line, or why it
/// could not be made. Nothing when no checkout is known.
pub fn scan_lines(
    state: &crate::wizard::state::State,
) -> Vec<(crate::wizard::report::Mark, String)> {
    use crate::wizard::report::Mark;
    let mut lines = scan_state_lines(&state.scan);
    match &state.wrapped {
        Some(Ok(done)) => lines.push((Mark::Done, done.clone())),
        Some(Err(why)) => lines.push((Mark::Warn, format!("device-wrap: {why}"))),
        None => {}
    }
    lines
}

fn scan_state_lines(
    scan: &crate::wizard::state::ScanState,
) -> Vec<(crate::wizard::report::Mark, String)> {
    use crate::wizard::report::Mark;
    use crate::wizard::state::ScanState;
    match scan {
        ScanState::Off => Vec::new(),
        ScanState::Pending | ScanState::Running => {
            vec![(Mark::Note, "Scanning containers.git…".into())]
        }
        ScanState::Failed(why) => vec![(Mark::Warn, format!("containers.git: {why}"))],
        ScanState::Done {
            headline,
            suggestions,
            errors,
            warnings,
        } => {
            let mut lines = Vec::new();
            match headline {
                Some(h) => lines.push((Mark::Warn, format!("{h} (Add below)"))),
                None if *errors == 0 => lines.push((
                    Mark::Done,
                    "containers.git: no image needs a registry that no entry covers".into(),
                )),
                None => {}
            }
            if errors + warnings > 0 {
                lines.push((
                    Mark::Warn,
                    format!(
                        "containers.git: `fioreg scan` finds {errors} error(s), {warnings} \
                         warning(s)"
                    ),
                ));
            }
            for s in suggestions {
                if let crate::scan::Suggestion::DeviceWrap { image, .. } = s {
                    lines.push((
                        Mark::Warn,
                        format!(
                            "devices pull the private image {image} with their own credentials: \
                             wrap it into hub.foundries.io (below) or give devices credentials"
                        ),
                    ));
                }
            }
            lines
        }
    }
}

/// `fioreg check`'s findings for the Start screen of both wizards, and their headline: `Check:
/// no problems found` or `Check: 2 errors, 1 warning`, with ` (secrets not checked)` while the
/// factory's secrets are not listed. `None` when the config did not load.
pub fn start_check(
    state: &crate::wizard::state::State,
) -> Option<(String, Vec<crate::factory_config::lint::Finding>)> {
    use crate::factory_config::lint::Severity;
    let cfg = state.config.as_ref().ok()?;
    let secrets = state.secrets.names();
    let found = cfg.lint(secrets);
    let online = if secrets.is_some() || cfg.registries.is_empty() {
        ""
    } else {
        " (secrets not checked)"
    };
    let errors = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let head = if found.is_empty() {
        format!("Check: no problems found{online}")
    } else {
        format!(
            "Check: {}, {}{online}",
            count(errors, "error"),
            count(found.len() - errors, "warning")
        )
    };
    Some((head, found))
}

/// Across factories: the Review's commit choice.
pub const FLEET_COMMIT: &str = "commit each changed factory-config.yml in its own checkout";

/// The commit step as the review shows it, in both wizards.
pub fn commit_step(c: &CommitPlan) -> String {
    format!(
        "Then commit {} in {} (branch {}): \"{}\"",
        c.checkout.rel.display(),
        c.checkout.root.display(),
        c.branch,
        c.message
    )
}

/// Why [`read_and_build`] gave no plan.
#[derive(Debug)]
pub enum BuildError {
    /// The key store holds no password for the account any more.
    NotRemembered {
        store: &'static str,
        account: String,
        /// `password` or `token`.
        noun: &'static str,
    },
    /// The key store, the credentials or the plan's rules refused (their own words).
    Refused(String),
    /// The plan's rules refused, with a way out each front end words itself.
    Plan(PlanError),
}

impl BuildError {
    /// In the scriptable commands' terms (flags).
    pub fn cli(&self) -> String {
        match self {
            BuildError::NotRemembered {
                store,
                account,
                noun,
            } => format!("{store} holds no {noun} for {account}: run once with --remember"),
            BuildError::Refused(why) => why.clone(),
            BuildError::Plan(e) => e.to_string(),
        }
    }

    /// In the wizards' terms (fields and checkboxes).
    pub fn for_wizard(&self) -> String {
        match self {
            BuildError::NotRemembered {
                store,
                account,
                noun,
            } => format!(
                "{store} no longer holds a {noun} for {account}: uncheck \"use the {noun} \
                 remembered\" and type it"
            ),
            BuildError::Refused(why) => why.clone(),
            BuildError::Plan(e) => e.for_wizard(),
        }
    }
}

/// Reads the credentials of `source` (the remembered password when asked) and builds its plan;
/// then keeps the typed password in `keys` when asked, so that a later failure needs no
/// retyping. The one way from answers to a plan, for the wizards and the scriptable commands.
pub fn read_and_build(
    source: &mut PlanSource,
    cfg: &FactoryConfig,
    keys: &dyn crate::keystore::KeyStore,
    aws: &crate::credentials::aws::ProfileSource,
    factory: Option<String>,
) -> Result<Plan, BuildError> {
    read_and_complete(source, cfg, keys, aws, factory, None)
}

/// [`read_and_build`], given the plan already built and checked from the same answers with a
/// placeholder secret (`checked`): only the secret is added, so a big config is edited and
/// checked once.
pub fn read_and_complete(
    source: &mut PlanSource,
    cfg: &FactoryConfig,
    keys: &dyn crate::keystore::KeyStore,
    aws: &crate::credentials::aws::ProfileSource,
    factory: Option<String>,
    checked: Option<Plan>,
) -> Result<Plan, BuildError> {
    if matches!(source, PlanSource::Remove { .. }) {
        return source
            .build(cfg, placeholder(), factory)
            .map_err(BuildError::Plan);
    }
    let secret = read_secret(source, keys, aws)?;
    let plan = match checked {
        Some(plan) => plan.with_secret(secret),
        None => source.build(cfg, secret, factory),
    }
    .map_err(BuildError::Plan)?;
    keep_typed(source, keys)?;
    Ok(plan)
}

/// The secret of `source`'s answers: the remembered password taken from `keys` when asked,
/// then checked as CI will read it (a remove has none: a placeholder).
pub fn read_secret(
    source: &mut PlanSource,
    keys: &dyn crate::keystore::KeyStore,
    aws: &crate::credentials::aws::ProfileSource,
) -> Result<Secret, BuildError> {
    let keyring = source.keyring().clone();
    let (PlanSource::Add { answers, .. } | PlanSource::Rotate { answers, .. }) = source else {
        return Ok(placeholder());
    };
    let noun =
        crate::credentials::user_token::UserTokenKind::of(answers.request.provider).password_noun();
    if let (KeyringUse::UseRemembered(account), CredentialInput::UserToken { password, .. }) =
        (&keyring, &mut answers.credential)
    {
        *password = keys
            .get(account)
            .map_err(|e| BuildError::Refused(e.to_string()))?
            .ok_or_else(|| BuildError::NotRemembered {
                store: keys.describe(),
                account: account.clone(),
                noun,
            })?;
    }
    answers
        .secret(aws)
        .map_err(|e| BuildError::Refused(e.to_string()))
}

/// Keeps the typed password in `keys` when the answers ask for it (after it was read and the
/// plan built: a refused one is never kept).
pub fn keep_typed(
    source: &PlanSource,
    keys: &dyn crate::keystore::KeyStore,
) -> Result<(), BuildError> {
    if let (KeyringUse::Remember(account), Some(answers)) = (source.keyring(), source.answers())
        && let CredentialInput::UserToken { password, .. } = &answers.credential
    {
        keep_password(keys, account, password).map_err(|e| BuildError::Refused(e.to_string()))?;
    }
    Ok(())
}

/// What a flow does with the chosen entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Rotate,
    Remove,
}

/// A configured entry, as the rotate and remove lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryChoice {
    /// Its index in `container_registries`.
    pub index: usize,
    /// Its first line in the file.
    pub line: usize,
    /// `type:` as written.
    pub kind: String,
    pub provider: Option<Provider>,
    pub url: Option<String>,
    pub secret_name: Option<String>,
    /// The secret name or url that names exactly this entry on the command line, or why the
    /// entry cannot be chosen (the core's refusal).
    pub target: Result<String, String>,
    /// Several factories: the chosen ones that have it (`None`: one factory's entry).
    pub factories: Option<Vec<String>>,
}

impl EntryChoice {
    /// `aws 123456789012.dkr.ecr...` or `gar` when there is no url.
    pub fn label(&self) -> String {
        match &self.url {
            Some(u) => format!("{} {u}", self.kind),
            None => self.kind.clone(),
        }
    }

    /// Where it is: `line 4`, or across factories `in acme, beta`.
    pub fn place(&self) -> String {
        match &self.factories {
            Some(names) => format!("in {}", names.join(", ")),
            None => format!("line {}", self.line),
        }
    }

    /// Why it cannot be chosen, if so.
    pub fn disabled(&self) -> Option<&str> {
        self.target.as_ref().err().map(String::as_str)
    }
}

/// The secret name, else the url, that [`crate::plan::find_entry`] resolves to this entry.
fn target_of(cfg: &FactoryConfig, index: usize) -> Option<String> {
    let e = cfg.registries.get(index)?;
    [e.secret_name.clone(), e.url.clone()]
        .into_iter()
        .flatten()
        .filter(|t| !t.trim().is_empty())
        .find(|t| crate::plan::find_entry(cfg, t).is_ok_and(|found| found.index == index))
}

/// Every configured entry, each with the name that targets it or the reason it cannot be used
/// for `purpose` (the core's own refusal, e.g. an unknown type or no secret name for rotate).
pub fn entry_choices(cfg: &FactoryConfig, purpose: Purpose) -> Vec<EntryChoice> {
    cfg.registries
        .iter()
        .map(|e| {
            let target = match target_of(cfg, e.index) {
                None => Err(format!(
                    "{}:{}: this entry has no secret name or url that names it alone; edit \
                     {} by hand",
                    cfg.path.display(),
                    e.line,
                    cfg.path.display()
                )),
                Some(t) => {
                    let checked = match purpose {
                        Purpose::Rotate => Plan::rotate(cfg, &t, placeholder(), None).map(|_| ()),
                        Purpose::Remove => Plan::remove(cfg, &t, false, None).map(|_| ()),
                    };
                    checked.map(|()| t).map_err(|e| e.for_wizard())
                }
            };
            EntryChoice {
                index: e.index,
                line: e.line,
                kind: e.kind.clone(),
                provider: e.provider,
                url: e.url.clone(),
                secret_name: e.secret_name.clone().filter(|n| !n.is_empty()),
                target,
                factories: None,
            }
        })
        .collect()
}

/// Several factories: every registry of the chosen factories (`chosen`, per view), named by
/// its url (else its secret name) as `fioreg --all-factories rotate|remove TARGET` names it,
/// with the factories that have it. A registry of different types in different factories
/// cannot be rotated (the credentials are read once).
pub fn fleet_entries(
    views: &[crate::fleet::FactoryOverview],
    chosen: &[bool],
    purpose: Purpose,
) -> Vec<EntryChoice> {
    let mut out: Vec<EntryChoice> = Vec::new();
    // Each entry's name (its target, else its type), in `out`'s order.
    let mut keys: Vec<String> = Vec::new();
    for (v, _) in views.iter().zip(chosen).filter(|(_, on)| **on) {
        let Ok(regs) = &v.registries else { continue };
        for r in regs {
            let secret_name = r.secret_name.clone().filter(|n| !n.trim().is_empty());
            let target = r
                .url
                .as_deref()
                .map(str::to_ascii_lowercase)
                .or_else(|| secret_name.clone());
            let key = target.clone().unwrap_or_else(|| r.kind.clone());
            if let Some(e) = keys
                .iter()
                .position(|k| *k == key)
                .and_then(|i| out.get_mut(i))
            {
                let names = e.factories.get_or_insert_with(Vec::new);
                if !names.contains(&v.factory) {
                    names.push(v.factory.clone());
                }
                if purpose == Purpose::Rotate && e.kind != r.kind && e.target.is_ok() {
                    e.target = Err(format!(
                        "it is a {} registry in factory {} but a {} registry in factory {}: the \
                         credentials are read once",
                        e.kind, names[0], r.kind, v.factory
                    ));
                }
                continue;
            }
            out.push(EntryChoice {
                index: out.len(),
                line: r.line,
                kind: r.kind.clone(),
                provider: Provider::from_type_name(&r.kind),
                url: r.url.clone(),
                secret_name,
                target: target.clone().ok_or_else(|| {
                    format!(
                        "the entry at line {} of factory {} has no url or secret name to name it \
                         by",
                        r.line, v.factory
                    )
                }),
                factories: Some(vec![v.factory.clone()]),
            });
            keys.push(key);
        }
    }
    out
}

/// How a password or token relates to the OS keyring (the account is the registry's url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringUse {
    No,
    /// Keep the typed password for this account before anything is applied.
    Remember(String),
    /// Take the password kept for this account.
    UseRemembered(String),
}

/// What a plan is built from: the flow and its answers.
#[derive(Debug, Clone)]
pub enum PlanSource {
    Add {
        answers: Answers,
        keyring: KeyringUse,
    },
    Rotate {
        target: String,
        answers: Answers,
        keyring: KeyringUse,
    },
    Remove {
        target: String,
        delete_secret: bool,
    },
}

impl PlanSource {
    /// "Kept the token for ACCOUNT in STORE." when these answers keep a typed password in the
    /// keyring (said by the CLI and the line prompts once it is kept).
    pub fn kept_note(&self, store: &str) -> Option<String> {
        match self.keyring() {
            KeyringUse::Remember(account) => Some(format!(
                "Kept the {} for {account} in {store}.",
                self.password_noun()
            )),
            _ => None,
        }
    }

    /// What the review says of the OS keyring for these answers (`None`: it is not used).
    pub fn keyring_line(&self) -> Option<String> {
        let noun = self.password_noun();
        match self.keyring() {
            KeyringUse::No => None,
            KeyringUse::Remember(a) => {
                Some(format!("the {noun} was kept in the OS keyring for {a}"))
            }
            KeyringUse::UseRemembered(a) => Some(format!(
                "the {noun} is the one remembered in the OS keyring for {a}"
            )),
        }
    }

    /// What the password half of these answers is called ("token", "service principal
    /// password").
    fn password_noun(&self) -> &'static str {
        let provider = self
            .answers()
            .map_or(Provider::Generic, |a| a.request.provider);
        crate::credentials::user_token::UserTokenKind::of(provider).password_noun()
    }

    /// The credentials' answers (none for remove).
    pub fn answers(&self) -> Option<&Answers> {
        match self {
            PlanSource::Add { answers, .. } | PlanSource::Rotate { answers, .. } => Some(answers),
            PlanSource::Remove { .. } => None,
        }
    }

    pub fn keyring(&self) -> &KeyringUse {
        match self {
            PlanSource::Add { keyring, .. } | PlanSource::Rotate { keyring, .. } => keyring,
            PlanSource::Remove { .. } => &KeyringUse::No,
        }
    }

    /// The plan, by the core's constructor for this flow (`secret` is ignored for remove).
    pub fn build(
        &self,
        cfg: &FactoryConfig,
        secret: Secret,
        factory: Option<String>,
    ) -> Result<Plan, PlanError> {
        match self {
            PlanSource::Add { answers, .. } => Plan::build(cfg, &answers.request, secret, factory),
            PlanSource::Rotate { target, .. } => Plan::rotate(cfg, target, secret, factory),
            PlanSource::Remove {
                target,
                delete_secret,
            } => Plan::remove(cfg, target, *delete_secret, factory),
        }
    }

    /// The commit `--commit` would add to this plan, or the core's refusal (not a git work
    /// tree, uncommitted changes, ...). Checked on a plan with a placeholder secret, so the
    /// real plan is never consumed by a refusal.
    pub fn commit(
        &self,
        cfg: &FactoryConfig,
        factory: Option<String>,
    ) -> Result<CommitPlan, String> {
        self.build(cfg, placeholder(), factory)
            .map_err(|e| e.for_wizard())?
            .commit_plan(None, false)
            .map_err(|e| e.to_string())
    }

    /// The command line that does the same from a script (never the secret itself).
    pub fn command_line(&self, config: &Path, factory: Option<&str>, commit: bool) -> String {
        let mut words = command_prefix(config, factory);
        match self {
            PlanSource::Add { answers, keyring } => {
                let mut line = answers.command_line(config, factory, &password_flags(keyring));
                if commit {
                    line.push_str(" --commit");
                }
                return line;
            }
            PlanSource::Rotate {
                target,
                answers,
                keyring,
            } => {
                words.extend(["rotate".into(), shell_word(target)]);
                let password = password_flags(keyring);
                let provider = answers.request.provider;
                words.extend(answers.credential.flags(provider, &password, true));
            }
            PlanSource::Remove {
                target,
                delete_secret,
            } => {
                words.extend(["remove".into(), shell_word(target)]);
                if *delete_secret {
                    words.push("--delete-secret".into());
                }
            }
        }
        if commit {
            words.push("--commit".into());
        }
        words.join(" ")
    }
}

/// The password flags for a keyring choice.
fn password_flags(keyring: &KeyringUse) -> String {
    match keyring {
        KeyringUse::No => "--password-stdin".into(),
        KeyringUse::Remember(_) => "--password-stdin --remember".into(),
        KeyringUse::UseRemembered(_) => "--from-keyring".into(),
    }
}

/// After a successful add: the factory's config path, never a secret, as
/// `fioreg add` records them. `Ok(false)`: nothing to record (demo, tests, no factory or no
/// settings file). An error only warrants a warning: the change itself is done.
pub fn remember_choices(session: &Session, plan: &Plan) -> Result<bool, String> {
    let (Some(path), Some((factory, _))) = (&session.settings, &session.factory) else {
        return Ok(false);
    };
    if session.demo.is_some() {
        return Ok(false);
    }
    crate::settings::record_add(path, factory, plan)
        .map(|()| true)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Request;
    use crate::verify::{Outcome, VerifyError};
    use secrecy::SecretString;
    use std::path::PathBuf;

    const CONFIG: &str = "container_registries:\n\
        - type: aws\n  region: us-east-2\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n\
        - type: generic\n  url: ghcr.io\n  generic_secret_name: shared\n\
        - type: generic\n  url: docker.io\n  generic_secret_name: shared\n\
        - type: quay\n  url: quay.io\n\
        - type: gar\n";

    fn cfg() -> FactoryConfig {
        FactoryConfig::parse(Path::new("factory-config.yml"), CONFIG.into()).unwrap()
    }

    #[test]
    fn entries_are_named_uniquely_and_refusals_are_the_cores() {
        let c = cfg();
        let rotate = entry_choices(&c, Purpose::Rotate);
        let targets: Vec<Result<&str, &str>> = rotate
            .iter()
            .map(|e| e.target.as_deref().map_err(String::as_str))
            .collect();
        assert_eq!(targets[0], Ok("aws_creds"));
        // A shared secret name names two entries: the url names one.
        assert_eq!(targets[1], Ok("ghcr.io"));
        assert_eq!(targets[2], Ok("docker.io"));
        assert!(
            rotate[3]
                .disabled()
                .is_some_and(|r| r.contains("which CI does not support")),
            "{:?}",
            rotate[3]
        );
        assert!(
            rotate[4]
                .disabled()
                .is_some_and(|r| r.contains("names it alone")),
            "{:?}",
            rotate[4]
        );
        let remove = entry_choices(&c, Purpose::Remove);
        assert_eq!(remove[3].target.as_deref(), Ok("quay.io"));
        assert_eq!(
            remove[0].label(),
            format!("aws {}", rotate[0].url.as_deref().unwrap())
        );
    }

    fn answers(p: Provider, credential: CredentialInput) -> Answers {
        Answers {
            request: Request {
                provider: p,
                url: Some("ghcr.io".into()),
                region: None,
                secret_name: None,
            },
            credential,
        }
    }

    #[test]
    fn command_lines_for_each_flow() {
        let token = || CredentialInput::UserToken {
            user: "ci bot".into(),
            password: SecretString::from("hunter2"),
        };
        let add = PlanSource::Add {
            answers: answers(Provider::Generic, token()),
            keyring: KeyringUse::Remember("ghcr.io".into()),
        };
        assert_eq!(
            add.command_line(Path::new("factory-config.yml"), Some("acme"), true),
            "fioreg --factory acme add generic --url ghcr.io --username 'ci bot' \
             --password-stdin --remember --commit"
        );
        let rotate = PlanSource::Rotate {
            target: "ghcr_creds".into(),
            answers: answers(Provider::Generic, token()),
            keyring: KeyringUse::UseRemembered("ghcr.io".into()),
        };
        let line = rotate.command_line(Path::new("ci/factory-config.yml"), None, false);
        assert_eq!(
            line,
            "fioreg --config ci/factory-config.yml rotate ghcr_creds --username 'ci bot' \
             --from-keyring"
        );
        assert!(!line.contains("hunter2"));
        let rotate = PlanSource::Rotate {
            target: "gcp_creds".into(),
            answers: answers(
                Provider::Gar,
                CredentialInput::GcpKeyFile(PathBuf::from("/k/sa key.json")),
            ),
            keyring: KeyringUse::No,
        };
        assert_eq!(
            rotate.command_line(Path::new("factory-config.yml"), None, false),
            "fioreg rotate gcp_creds --key-file '/k/sa key.json'"
        );
        let remove = PlanSource::Remove {
            target: "ghcr.io".into(),
            delete_secret: true,
        };
        assert_eq!(
            remove.command_line(Path::new("factory-config.yml"), Some("acme"), true),
            "fioreg --factory acme remove ghcr.io --delete-secret --commit"
        );
    }

    #[test]
    fn the_commit_check_reports_the_cores_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("factory-config.yml");
        std::fs::write(&path, CONFIG).unwrap();
        let c = FactoryConfig::load(&path).unwrap();
        let remove = PlanSource::Remove {
            target: "aws_creds".into(),
            delete_secret: false,
        };
        let err = remove.commit(&c, None).unwrap_err();
        assert!(err.contains("not inside a git work tree"), "{err}");
    }

    /// A login test that answers with what it was given, for checking the arguments.
    fn echo(
        provider: Provider,
        url: Option<&str>,
        region: Option<&str>,
        secret: &Secret,
        _: &VerifyOptions,
    ) -> Result<Outcome, VerifyError> {
        Err(VerifyError::BadInput {
            reason: format!(
                "{provider} {url:?} {region:?} {}",
                String::from_utf8_lossy(secret.expose())
            ),
        })
    }

    #[test]
    fn the_login_test_gets_the_plans_provider_url_region_and_secret() {
        let c = cfg();
        let opts = VerifyOptions::default();
        let aws_secret = || Secret::new(b"[default]\n".to_vec(), "aws");
        // Rotate: the entry's own region.
        let plan = Plan::rotate(&c, "aws_creds", aws_secret(), None).unwrap();
        assert_eq!(
            verify_plan(&plan, &opts, echo).unwrap_err().to_string(),
            "aws Some(\"123456789012.dkr.ecr.us-east-2.amazonaws.com\") Some(\"us-east-2\") \
             [default]\n"
        );
        assert_eq!(
            login_host(&plan),
            "123456789012.dkr.ecr.us-east-2.amazonaws.com"
        );
        // Add (an update in place here): the region as the config has it after the change.
        let req = Request {
            provider: Provider::Aws,
            url: Some("123456789012.dkr.ecr.us-east-2.amazonaws.com".into()),
            region: None,
            secret_name: None,
        };
        let plan = Plan::build(&c, &req, aws_secret(), None).unwrap();
        assert!(
            verify_plan(&plan, &opts, echo)
                .unwrap_err()
                .to_string()
                .contains("Some(\"us-east-2\")")
        );
        // Not aws: no region; gar without a url is tested against the default host.
        let plan = Plan::rotate(&c, "ghcr.io", Secret::new(b"u:p".to_vec(), "u"), None).unwrap();
        assert_eq!(
            verify_plan(&plan, &opts, echo).unwrap_err().to_string(),
            "generic Some(\"ghcr.io\") None u:p"
        );
        let gar =
            FactoryConfig::parse(Path::new("factory-config.yml"), "lmp: {}\n".into()).unwrap();
        let req = Request {
            provider: Provider::Gar,
            url: None,
            region: None,
            secret_name: None,
        };
        let plan = Plan::build(&gar, &req, Secret::new(b"{}".to_vec(), "k"), None).unwrap();
        assert_eq!(login_host(&plan), crate::verify::DEFAULT_GAR_HOST);
        assert!(plan_needs_login_test(&plan));
        let remove = Plan::remove(&c, "ghcr.io", false, None).unwrap();
        assert!(!plan_needs_login_test(&remove));
    }

    #[test]
    fn login_results_are_sorted_as_fioreg_add_does() {
        assert_eq!(LoginCheck::of(Ok(Outcome::Valid)), LoginCheck::Accepted);
        assert_eq!(
            LoginCheck::of(Ok(Outcome::NoLoginRequired)),
            LoginCheck::NoLogin
        );
        assert_eq!(
            LoginCheck::of(Ok(Outcome::RepositoryNotFound {
                repository: "a/b".into()
            })),
            LoginCheck::Failed(
                "valid login, but the registry has no repository a/b (or hides it from these \
                 credentials); CI could not pull"
                    .into()
            )
        );
        let unreachable = VerifyError::Unreachable {
            url: "https://h/v2/".into(),
            reason: "timed out".into(),
        };
        assert_eq!(
            LoginCheck::of(Err(unreachable)),
            LoginCheck::Unreachable("cannot reach https://h/v2/: timed out".into())
        );
        let provider = VerifyError::Provider {
            what: "Google".into(),
            reason: "invalid_grant".into(),
        };
        assert_eq!(
            LoginCheck::of(Err(provider)),
            LoginCheck::Failed("Google refused these credentials: invalid_grant".into())
        );
        assert!(LoginCheck::Accepted.passed() && LoginCheck::NoLogin.passed());
        assert!(!LoginCheck::Unreachable(String::new()).passed());
        assert_eq!(login_test_skipped(None, false), Some("--no-verify"));
        assert_eq!(
            login_test_skipped(None, true),
            Some("demo: made-up registries")
        );
        assert_eq!(
            login_test_skipped(Some(&VerifyOptions::default()), true),
            None
        );
    }
}
