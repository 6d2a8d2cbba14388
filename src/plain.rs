//! The line-prompt wizard (`fioreg --plain`, and automatically with `TERM=dumb`): the same flow as
//! the full-screen wizard, one question at a time, for screen readers and simple terminals.
//!
//! No rule lives here. Answers become a [`Request`] and a [`CredentialInput`]; the provider rules
//! check each answer as it is given, [`Plan::build`] (the same plan as `fioreg add`) checks the
//! whole request, and [`Plan::apply_with_progress`] applies it. Before the plan is shown, add
//! and rotate test the login as `fioreg add` does ([`crate::verify::verify`], behind a
//! [`front::Verifier`]). Every question goes through a [`Prompter`], so the whole flow runs in
//! unit tests with a scripted fake (and a fake login test: no network).

use crate::commands::Exit;
use crate::credentials::{self, CredError, user_token::UserTokenKind};
use crate::factory_config::FactoryConfig;
use crate::factory_config::lint::Severity;
use crate::fioctl::FioctlError;
use crate::plan::SecretStore;
use crate::plan::{
    Action, Answers, ApplyError, CredentialInput, Plan, Progress, Request, SecretOp,
};
use crate::provider::{self, Provider};
use crate::secret::Secret;
use crate::session::Session;
use crate::tui::front::{self, EntryChoice, KeyringUse, LoginCheck, PlanSource, Purpose};
use crate::tui::state::Flow;
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;

/// One option of a [`Prompter::select`] question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    /// Why the option cannot be chosen; it is still listed, so the user learns it exists.
    pub disabled: Option<String>,
}

impl Choice {
    /// An option that can be chosen.
    pub fn new(label: impl Into<String>) -> Self {
        Choice {
            label: label.into(),
            disabled: None,
        }
    }

    /// An option that is listed with the reason it cannot be chosen.
    pub fn disabled(label: impl Into<String>, reason: impl Into<String>) -> Self {
        Choice {
            label: label.into(),
            disabled: Some(reason.into()),
        }
    }
}

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptError {
    /// Esc: go back one question.
    Back,
    /// Ctrl-C: stop without changing anything.
    Interrupted,
    /// The terminal failed.
    Io(String),
}

/// Asks questions and prints lines. [`InquirePrompter`] is the real one; tests script a fake.
pub trait Prompter {
    /// The index of the chosen option. Disabled options may be returned: the flow refuses them.
    fn select(&mut self, question: &str, options: &[Choice]) -> Result<usize, PromptError>;
    /// One line of text; an empty answer gives `default` when there is one.
    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        help: Option<&str>,
    ) -> Result<String, PromptError>;
    /// A file path (the real prompter completes paths with Tab).
    fn path(&mut self, question: &str, help: Option<&str>) -> Result<String, PromptError> {
        self.text(question, None, help)
    }
    /// A hidden answer: never shown, never echoed.
    fn password(&mut self, question: &str) -> Result<SecretString, PromptError>;
    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError>;
    /// Prints `text` and ends the line.
    fn say(&mut self, text: &str);
    /// Prints `text` without ending the line: a step that is under way.
    fn progress(&mut self, text: &str) {
        self.say(text)
    }
    /// Whether printed plans may use ANSI colours.
    fn color(&self) -> bool {
        false
    }
}

/// Runs the wizard: overview (with `fioreg check`'s findings), then add (provider, registry
/// fields, credentials), rotate (registry, credentials) or remove (registry, its secret), the
/// login test (add and rotate), and review, apply, done.
pub fn run(session: &Session, p: &mut dyn Prompter) -> anyhow::Result<()> {
    run_with(session, p, crate::verify::verify)
}

/// [`run`] with another login test in place of [`crate::verify::verify`] (tests pass a fake).
pub fn run_with(
    session: &Session,
    p: &mut dyn Prompter,
    verifier: front::Verifier,
) -> anyhow::Result<()> {
    let cfg = match FactoryConfig::load(&session.config_path) {
        Ok(cfg) => cfg,
        Err(e) => {
            p.say(&e.to_string());
            return Err(Exit {
                code: 1,
                message: "cannot use the factory-config.yml (see above); nothing was changed"
                    .into(),
            }
            .into());
        }
    };
    let mut w = Wizard {
        session,
        p,
        cfg,
        draft: Draft::default(),
        verifier,
    };
    w.overview();
    w.run()
}

/// The steps, in order; Esc goes back to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Menu,
    Provider,
    Url,
    Region,
    SecretName,
    /// Rotate and remove: choose a configured entry.
    Pick,
    /// Remove: also delete the entry's secret?
    DeleteSecret,
    Credentials,
    Review,
}

/// What a step leads to.
enum Go {
    Next(Step),
    Finish(anyhow::Result<()>),
}

/// The answers so far; earlier answers are offered again as defaults when the user goes back.
struct Draft {
    flow: Flow,
    /// Rotate and remove: the chosen entry.
    target: Option<EntryChoice>,
    /// Remove: delete the entry's secret too.
    delete_secret: bool,
    /// Whether the password came from, or goes to, the OS keyring.
    keyring: KeyringUse,
    provider: Option<Provider>,
    /// The url as typed (for the default when asked again).
    url_answer: Option<String>,
    /// The normalized url (`None`: gar without a url).
    url: Option<String>,
    region: Option<String>,
    secret_name_answer: Option<String>,
    secret_name: Option<String>,
    user: Option<String>,
    credential: Option<CredentialInput>,
    secret: Option<Secret>,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            flow: Flow::Add,
            target: None,
            delete_secret: false,
            keyring: KeyringUse::No,
            provider: None,
            url_answer: None,
            url: None,
            region: None,
            secret_name_answer: None,
            secret_name: None,
            user: None,
            credential: None,
            secret: None,
        }
    }
}

struct Wizard<'a> {
    session: &'a Session,
    p: &'a mut dyn Prompter,
    cfg: FactoryConfig,
    draft: Draft,
    /// The login test before storing.
    verifier: front::Verifier,
}

/// What follows a login test.
enum LoginNext {
    /// On to the plan.
    GoOn,
    /// Run the test again.
    Again,
    /// Somewhere else (back to the credentials, or the end).
    Go(Go),
}

fn nothing_changed_exit(code: u8, what: &str) -> anyhow::Error {
    Exit {
        code,
        message: format!("{what}: nothing was changed"),
    }
    .into()
}

/// A placeholder secret: enough to check every rule before any credential is read.
fn placeholder() -> Secret {
    front::placeholder()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `~/x` -> `$HOME/x`; anything else unchanged.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

impl Wizard<'_> {
    /// Prints `text`, which may quote a config, a key file, a registry or fioctl: control
    /// characters are shown escaped (crate::escape).
    fn say(&mut self, text: &str) {
        self.p.say(&crate::escape::controls(text));
    }

    /// The factory, the config and its registries with their secrets.
    fn overview(&mut self) {
        let s = self.session;
        self.say(
            "fioreg: one question at a time. Esc goes back one question; Ctrl-C quits without \
             changing anything.",
        );
        self.say(&format!("Factory: {}", s.factory_label()));
        self.say(&format!("Config:  {}", s.config_path.display()));
        if let Some(demo) = &s.demo {
            self.say(&format!(
                "Demo mode: this is a scratch copy of the example; secrets go to {}, not to a factory.",
                demo.secrets_dir.display()
            ));
        }
        if self.cfg.registries.is_empty() {
            self.say("No container registries are configured yet.");
            if let Err(why) = &s.store {
                self.say(&format!("Secrets cannot be stored: {why}"));
            }
            self.findings(None);
            return;
        }
        let secrets: Result<Vec<String>, String> = match &s.store {
            Ok(store) => store.list().map_err(|e| e.to_string()),
            Err(why) => Err(why.clone()),
        };
        let n = self.cfg.registries.len();
        let mut lines = vec![format!(
            "{n} container {} configured:",
            if n == 1 { "registry" } else { "registries" }
        )];
        for e in &self.cfg.registries {
            let what = match &e.url {
                Some(u) => format!("{} {u}", e.kind),
                None => e.kind.clone(),
            };
            let secret = match (&e.secret_name, &secrets) {
                (None, _) => "no secret name".to_string(),
                (Some(name), Ok(names)) if names.contains(name) => {
                    format!("secret {name}: present")
                }
                (Some(name), Ok(_)) => {
                    format!("secret {name}: MISSING from the factory (CI cannot log in)")
                }
                (Some(name), Err(_)) => format!("secret {name}: unknown"),
            };
            lines.push(format!("- line {}: {what}, {secret}", e.line));
        }
        for line in lines {
            self.say(&line);
        }
        if let Err(why) = &secrets {
            self.say(&format!("Secrets were not checked: {why}"));
        }
        self.findings(secrets.as_deref().ok());
    }

    /// `fioreg check`'s findings, as it prints them: `file:line: error|warning: ...` and the fix.
    fn findings(&mut self, secrets: Option<&[String]>) {
        let found = self.cfg.lint(secrets);
        let path = self.cfg.path.display().to_string();
        let errors = found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let online = if secrets.is_some() || self.cfg.registries.is_empty() {
            ""
        } else {
            " (secrets not checked)"
        };
        if found.is_empty() {
            self.say(&format!("Check: no problems found{online}."));
            return;
        }
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        self.say(&format!(
            "Check: {}, {}{online}:",
            count(errors, "error"),
            count(found.len() - errors, "warning")
        ));
        for f in &found {
            self.say(&f.render(&path));
        }
    }

    fn run(&mut self) -> anyhow::Result<()> {
        let mut history: Vec<Step> = Vec::new();
        let mut step = Step::Menu;
        loop {
            match self.step(step) {
                Ok(Go::Next(next)) => {
                    if next != step {
                        match history.iter().position(|s| *s == next) {
                            Some(pos) => history.truncate(pos),
                            None => history.push(step),
                        }
                    }
                    step = next;
                }
                Ok(Go::Finish(result)) => return result,
                Err(PromptError::Back) => match history.pop() {
                    Some(prev) => step = prev,
                    None => {
                        self.say("Quit: nothing was changed.");
                        return Ok(());
                    }
                },
                Err(PromptError::Interrupted) => {
                    return Err(nothing_changed_exit(130, "interrupted"));
                }
                Err(PromptError::Io(e)) => {
                    return Err(nothing_changed_exit(
                        1,
                        &format!("the terminal failed ({e})"),
                    ));
                }
            }
        }
    }

    fn step(&mut self, step: Step) -> Result<Go, PromptError> {
        match step {
            Step::Menu => self.menu(),
            Step::Provider => self.provider(),
            Step::Url => self.url(),
            Step::Region => self.region(),
            Step::SecretName => self.secret_name(),
            Step::Pick => self.pick(),
            Step::DeleteSecret => self.delete_secret(),
            Step::Credentials => self.credentials(),
            Step::Review => self.review(),
        }
    }

    /// A select that refuses disabled options with their reason and asks again.
    fn choose(&mut self, question: &str, options: &[Choice]) -> Result<usize, PromptError> {
        loop {
            let i = self.p.select(question, options)?;
            match options.get(i) {
                Some(Choice {
                    label,
                    disabled: Some(why),
                }) => self.say(&format!("Not available: {label}: {why}.")),
                Some(_) => return Ok(i),
                None => return Err(PromptError::Io(format!("there is no option {i}"))),
            }
        }
    }

    fn provider_of(&self) -> Provider {
        self.draft.provider.unwrap_or(Provider::Generic)
    }

    fn menu(&mut self) -> Result<Go, PromptError> {
        let none = self.cfg.registries.is_empty();
        let entry_action = |label: &str| {
            if none {
                Choice::disabled(label, "no registry is configured yet")
            } else {
                Choice::new(label)
            }
        };
        let options = [
            Choice::new("Add a registry (or update one: give its url again)"),
            entry_action("Rotate a registry's credentials (factory-config.yml stays as it is)"),
            entry_action("Remove a registry"),
            Choice::new("Quit"),
        ];
        let (flow, next) = match self.choose("What do you want to do?", &options)? {
            0 => (Flow::Add, Step::Provider),
            1 => (Flow::Rotate, Step::Pick),
            2 => (Flow::Remove, Step::Pick),
            _ => {
                self.say("Quit: nothing was changed.");
                return Ok(Go::Finish(Ok(())));
            }
        };
        if self.draft.flow != flow {
            self.draft = Draft {
                flow,
                ..Draft::default()
            };
        }
        Ok(Go::Next(next))
    }

    /// Rotate and remove: the configured entries; the ones the core refuses are listed with
    /// the reason.
    fn pick(&mut self) -> Result<Go, PromptError> {
        let purpose = if self.draft.flow == Flow::Remove {
            Purpose::Remove
        } else {
            Purpose::Rotate
        };
        let entries = front::entry_choices(&self.cfg, purpose);
        let options: Vec<Choice> = entries
            .iter()
            .map(|e| {
                let secret = e
                    .secret_name
                    .as_deref()
                    .map_or("no secret name".to_string(), |n| format!("secret {n}"));
                let label = format!("{} (line {}, {secret})", e.label(), e.line);
                match e.disabled() {
                    Some(why) => Choice::disabled(label, why),
                    None => Choice::new(label),
                }
            })
            .collect();
        let question = match purpose {
            Purpose::Rotate => "Which registry gets new credentials?",
            Purpose::Remove => "Which registry should be removed?",
        };
        let i = self.choose(question, &options)?;
        let Some(entry) = entries.get(i).cloned() else {
            return Err(PromptError::Io(format!("there is no option {i}")));
        };
        if self.draft.target.as_ref().map(|t| t.index) != Some(entry.index) {
            let flow = self.draft.flow;
            self.draft = Draft {
                flow,
                ..Draft::default()
            };
        }
        match purpose {
            Purpose::Rotate => {
                let Some(p) = entry.provider else {
                    return Err(PromptError::Io("the entry has no known type".into()));
                };
                self.draft.provider = Some(p);
                self.draft.url = entry.url.clone();
                self.draft.target = Some(entry);
                Ok(Go::Next(Step::Credentials))
            }
            Purpose::Remove => {
                let has_secret = entry.secret_name.is_some();
                self.draft.target = Some(entry);
                if has_secret {
                    Ok(Go::Next(Step::DeleteSecret))
                } else {
                    self.draft.delete_secret = false;
                    Ok(Go::Next(Step::Review))
                }
            }
        }
    }

    /// Remove: also delete the entry's secret? The core refuses when another entry uses it.
    fn delete_secret(&mut self) -> Result<Go, PromptError> {
        let Some(Ok(target)) = self.draft.target.as_ref().map(|t| t.target.clone()) else {
            return Ok(Go::Next(Step::Pick));
        };
        let name = self
            .draft
            .target
            .as_ref()
            .and_then(|t| t.secret_name.clone())
            .unwrap_or_default();
        loop {
            let delete = self.p.confirm(
                &format!("Also delete its secret {name} from the factory?"),
                false,
            )?;
            match Plan::remove(&self.cfg, &target, delete, self.session.plan_factory()) {
                Ok(_) => {
                    self.draft.delete_secret = delete;
                    return Ok(Go::Next(Step::Review));
                }
                Err(e) => self.say(&format!("✗ {e}")),
            }
        }
    }

    fn provider(&mut self) -> Result<Go, PromptError> {
        let options: Vec<Choice> = Provider::ALL
            .iter()
            .map(|p| Choice::new(format!("{} — {}", p.title(), p.blurb())))
            .collect();
        let i = self.choose("Which kind of registry?", &options)?;
        let chosen = Provider::ALL.get(i).copied().unwrap_or(Provider::Generic);
        if self.draft.provider != Some(chosen) {
            self.draft = Draft {
                provider: Some(chosen),
                ..Draft::default()
            };
        }
        Ok(Go::Next(Step::Url))
    }

    fn url(&mut self) -> Result<Go, PromptError> {
        let p = self.provider_of();
        let (question, help) = match p {
            Provider::Aws => ("Registry url", provider::aws::URL_SHAPE.to_string()),
            Provider::Azure => ("Registry url", "NAME.azurecr.io".to_string()),
            Provider::Gar => (
                "Registry url (optional)",
                "LOCATION-docker.pkg.dev, e.g. us-central1-docker.pkg.dev; press Enter to leave \
                 it out (CI does not need it)"
                    .to_string(),
            ),
            Provider::Generic => (
                "Registry url",
                "the registry host, e.g. ghcr.io, docker.io or harbor.example.com".to_string(),
            ),
        };
        // Offer what was typed before, else the url of the one entry CI allows for this type.
        let default = self.draft.url_answer.clone().or_else(|| {
            p.single_per_factory()
                .then(|| self.cfg.entries_of(p).next().and_then(|e| e.url.clone()))
                .flatten()
        });
        loop {
            let answer = self.p.text(question, default.as_deref(), Some(&help))?;
            let answer = answer.trim().to_string();
            let url = if answer.is_empty() && p == Provider::Gar {
                None
            } else {
                match p.validate_url(&answer) {
                    Ok(u) => Some(u),
                    Err(why) => {
                        self.say(&format!("✗ {why}"));
                        continue;
                    }
                }
            };
            if self.draft.url != url || self.draft.url_answer.is_none() {
                self.draft.region = None;
                self.draft.secret_name_answer = None;
                self.draft.secret_name = None;
            }
            self.draft.url = url;
            self.draft.url_answer = Some(answer);
            let next = if p == Provider::Aws {
                Step::Region
            } else {
                Step::SecretName
            };
            return Ok(Go::Next(next));
        }
    }

    fn region(&mut self) -> Result<Go, PromptError> {
        let url = self.draft.url.clone().unwrap_or_default();
        let from_url = provider::aws::resolve_region(&url, None).ok();
        let default = self.draft.region.clone().or_else(|| from_url.clone());
        loop {
            let answer = self.p.text(
                "AWS region of the registry",
                default.as_deref(),
                Some("press Enter to use the url's region"),
            )?;
            match provider::aws::resolve_region(&url, Some(answer.trim())) {
                Ok(region) => {
                    // The url's own region is implied: keep the request (and command line) short.
                    self.draft.region = (Some(&region) != from_url.as_ref()).then_some(region);
                    return Ok(Go::Next(Step::SecretName));
                }
                Err(why) => self.say(&format!("✗ {why}")),
            }
        }
    }

    fn request(&self) -> Request {
        Request {
            provider: self.provider_of(),
            url: self.draft.url.clone(),
            region: self.draft.region.clone(),
            secret_name: self.draft.secret_name.clone(),
        }
    }

    fn plan_with(&self, req: &Request, secret: Secret) -> Result<Plan, crate::plan::PlanError> {
        Plan::build(&self.cfg, req, secret, self.session.plan_factory())
    }

    fn secret_name(&mut self) -> Result<Go, PromptError> {
        let p = self.provider_of();
        let default_name = p.default_secret_name(self.draft.url.as_deref());
        // When the plan updates an entry, offer that entry's secret name and say so.
        let mut offered = default_name.clone();
        let unnamed = Request {
            secret_name: None,
            ..self.request()
        };
        if let Ok(plan) = self.plan_with(&unnamed, placeholder())
            && let Action::Update { index, line } = plan.action
        {
            self.say(&format!(
                "{}:{line} already holds this registry: its entry and its secret will be updated \
                 in place.",
                self.cfg.path.display()
            ));
            if let Some(name) = self
                .cfg
                .registries
                .get(index)
                .and_then(|e| e.secret_name.clone())
            {
                offered = name;
            }
        }
        let default = self.draft.secret_name_answer.clone().unwrap_or(offered);
        loop {
            let answer = self.p.text(
                "Factory secret name",
                Some(&default),
                Some("the name of the factory secret that will hold the credentials"),
            )?;
            let name = answer.trim().to_string();
            if let Err(why) = provider::validate_secret_name(&name) {
                self.say(&format!("✗ {why}"));
                continue;
            }
            self.draft.secret_name_answer = Some(name.clone());
            self.draft.secret_name = (name != default_name).then_some(name);
            // Every rule, before any credential is read.
            match self.plan_with(&self.request(), placeholder()) {
                Ok(_) => return Ok(Go::Next(Step::Credentials)),
                Err(e) => match self.fix_plan_error(&e.to_string())? {
                    Go::Next(Step::SecretName) => continue,
                    go => return Ok(go),
                },
            }
        }
    }

    /// The plan refused the request: say why and let the user choose what to change.
    fn fix_plan_error(&mut self, why: &str) -> Result<Go, PromptError> {
        self.say(&format!("✗ {why}"));
        let options = [
            Choice::new("Change the secret name"),
            Choice::new("Change the url"),
            Choice::new("Choose another kind of registry"),
            Choice::new("Quit without changing anything"),
        ];
        Ok(match self.choose("What do you want to change?", &options) {
            Ok(0) | Err(PromptError::Back) => Go::Next(Step::SecretName),
            Ok(1) => Go::Next(Step::Url),
            Ok(2) => Go::Next(Step::Provider),
            Ok(_) => {
                self.say("Quit: nothing was changed.");
                Go::Finish(Ok(()))
            }
            Err(e) => return Err(e),
        })
    }

    fn credentials(&mut self) -> Result<Go, PromptError> {
        self.draft.credential = None;
        self.draft.secret = None;
        self.draft.keyring = KeyringUse::No;
        if let Some(t) = &self.draft.target
            && self.draft.flow == Flow::Rotate
        {
            let secret = t.secret_name.as_deref().unwrap_or("-");
            let line = format!(
                "New credentials for {} (line {}), stored again as secret {secret}.",
                t.label(),
                t.line
            );
            self.say(&line);
        }
        let (credential, secret) = match self.provider_of() {
            Provider::Aws => self.aws_profile()?,
            Provider::Gar => self.gcp_key()?,
            p @ (Provider::Azure | Provider::Generic) => self.user_token(p)?,
        };
        self.draft.credential = Some(credential);
        self.draft.secret = Some(secret);
        Ok(Go::Next(Step::Review))
    }

    fn answers(&self, credential: CredentialInput) -> Answers {
        Answers {
            request: self.request(),
            credential,
        }
    }

    fn aws_profile(&mut self) -> Result<(CredentialInput, Secret), PromptError> {
        loop {
            let profiles = match credentials::aws::list_profiles(&self.session.aws) {
                Ok(list) if !list.is_empty() => list,
                found => {
                    let why = match found {
                        Err(e) => e.to_string(),
                        // Its message says where profiles were looked for and how to create one.
                        Ok(_) => match credentials::aws::credentials_for(&self.session.aws, None) {
                            Err(e) => e.to_string(),
                            Ok(_) => "no AWS profiles were found".to_string(),
                        },
                    };
                    self.say(&format!("✗ {why}"));
                    let again = [Choice::new("Look again (after fixing the AWS files)")];
                    self.choose("No AWS profile can be used", &again)?;
                    continue;
                }
            };
            self.say(
                "CI gets only the chosen profile's two keys, stored as [default]: never your \
                 other profiles.",
            );
            let options: Vec<Choice> = profiles
                .iter()
                .map(|pi| {
                    let mut label = match &pi.access_key_id_masked {
                        Some(id) => format!("{} ({id})", pi.name),
                        None => pi.name.clone(),
                    };
                    if pi.looks_personal {
                        label.push_str(" — looks personal: prefer a pull-only IAM user");
                    }
                    if pi.session_token {
                        Choice::disabled(
                            label,
                            "it holds temporary keys (aws_session_token), which expire; CI needs \
                             a pull-only IAM user's long-lived keys",
                        )
                    } else if !pi.has_keys {
                        Choice::disabled(
                            label,
                            "it has no static access keys (aws_access_key_id and \
                             aws_secret_access_key)",
                        )
                    } else {
                        Choice::new(label)
                    }
                })
                .collect();
            let i = self.choose("Which AWS profile should CI use?", &options)?;
            let Some(chosen) = profiles.get(i) else {
                continue;
            };
            let credential = CredentialInput::AwsProfile(Some(chosen.name.clone()));
            match self.answers(credential.clone()).secret(&self.session.aws) {
                Ok(secret) => return Ok((credential, secret)),
                Err(e) => self.say(&format!("✗ {e}")),
            }
        }
    }

    fn gcp_key(&mut self) -> Result<(CredentialInput, Secret), PromptError> {
        loop {
            let answer = self.p.path(
                "Path to the service-account JSON key file",
                Some(
                    "Tab completes paths. Create a key with `gcloud iam service-accounts keys \
                     create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`",
                ),
            )?;
            let answer = answer.trim();
            if answer.is_empty() {
                self.say("✗ Give the path of the key file.");
                continue;
            }
            let path = expand_home(answer);
            match credentials::gcp::key_file(&path) {
                Ok((secret, info)) => {
                    let project = info
                        .project_id
                        .map(|p| format!(" (project {p})"))
                        .unwrap_or_default();
                    self.say(&format!("Service account: {}{project}", info.client_email));
                    return Ok((CredentialInput::GcpKeyFile(path), secret));
                }
                Err(e) => self.say(&format!("✗ {e}")),
            }
        }
    }

    fn user_token(&mut self, p: Provider) -> Result<(CredentialInput, Secret), PromptError> {
        let kind = UserTokenKind::of(p);
        let user_q = match kind {
            UserTokenKind::AzurePrincipal => {
                "Service principal id (the application / client id)".to_string()
            }
            UserTokenKind::Generic => "User name".to_string(),
        };
        let pass_q = format!(
            "{} (hidden: nothing is shown as you type)",
            capitalized(kind.password_noun())
        );
        // The registry's keyring account: its url.
        let account = self.draft.url.as_deref().map(crate::keystore::account);
        let short = if p == Provider::Azure {
            "password"
        } else {
            "token"
        };
        let mut ask_user = true;
        loop {
            if ask_user {
                let default = self.draft.user.clone();
                let user = self.p.text(&user_q, default.as_deref(), None)?;
                self.draft.user = Some(user.trim().to_string());
            }
            let user = self.draft.user.clone().unwrap_or_default();
            // A password kept by an earlier --remember: offer it (never shown).
            let kept = account
                .as_deref()
                .and_then(|a| self.session.keys.get(a).ok().flatten().map(|pw| (a, pw)));
            if let Some((acct, kept)) = kept {
                match self
                    .p
                    .confirm(&format!("Use the remembered {short} for {acct}?"), true)
                {
                    Ok(true) => {
                        let credential = CredentialInput::UserToken {
                            user,
                            password: kept,
                        };
                        match self.answers(credential.clone()).secret(&self.session.aws) {
                            Ok(secret) => {
                                self.draft.keyring = KeyringUse::UseRemembered(acct.to_string());
                                return Ok((credential, secret));
                            }
                            Err(e) => {
                                self.say(&format!("✗ {e}"));
                                ask_user = is_user_error(&e);
                                continue;
                            }
                        }
                    }
                    Ok(false) => {}
                    Err(PromptError::Back) => {
                        ask_user = true;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let password = match self.p.password(&pass_q) {
                Ok(pw) => pw,
                Err(PromptError::Back) => {
                    ask_user = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let credential = CredentialInput::UserToken {
                user,
                password: password.clone(),
            };
            let secret = match self.answers(credential.clone()).secret(&self.session.aws) {
                Ok(secret) => secret,
                Err(e) => {
                    self.say(&format!("✗ {e}"));
                    ask_user = is_user_error(&e);
                    continue;
                }
            };
            let Some(acct) = account.as_deref() else {
                return Ok((credential, secret));
            };
            // Kept before anything is applied, as `--remember` does: a failure later needs no
            // retyping. The keyring's refusal is shown and the question asked again.
            loop {
                match self
                    .p
                    .confirm(&format!("Remember the {short} in the OS keyring?"), false)
                {
                    Ok(true) => {
                        match front::keep_password(self.session.keys.as_ref(), acct, &password) {
                            Ok(()) => {
                                self.say(&format!(
                                    "Kept the {short} for {acct} in {}.",
                                    self.session.keys.describe()
                                ));
                                self.draft.keyring = KeyringUse::Remember(acct.to_string());
                                return Ok((credential, secret));
                            }
                            Err(e) => self.say(&format!("✗ {e}")),
                        }
                    }
                    Ok(false) => return Ok((credential, secret)),
                    Err(PromptError::Back) => break,
                    Err(e) => return Err(e),
                }
            }
            ask_user = false;
        }
    }

    /// What the plan is built from, for the flow; `None` when an answer is missing.
    fn source(&mut self) -> Option<(PlanSource, Secret)> {
        let target = || {
            self.draft
                .target
                .as_ref()
                .and_then(|t| t.target.clone().ok())
        };
        if self.draft.flow == Flow::Remove {
            let source = PlanSource::Remove {
                target: target()?,
                delete_secret: self.draft.delete_secret,
            };
            return Some((source, placeholder()));
        }
        let credential = self.draft.credential.clone()?;
        let answers = self.answers(credential);
        let keyring = self.draft.keyring.clone();
        let source = match self.draft.flow {
            Flow::Rotate => PlanSource::Rotate {
                target: target()?,
                answers,
                keyring,
            },
            _ => PlanSource::Add { answers, keyring },
        };
        let secret = self.draft.secret.take()?;
        Some((source, secret))
    }

    fn review(&mut self) -> Result<Go, PromptError> {
        let Some((source, secret)) = self.source() else {
            let back = match self.draft.flow {
                Flow::Remove => Step::Pick,
                _ => Step::Credentials,
            };
            return Ok(Go::Next(back));
        };
        let factory = self.session.plan_factory();
        let mut plan = match source.build(&self.cfg, secret, factory.clone()) {
            Ok(plan) => plan,
            Err(e) if self.draft.flow == Flow::Add => return self.fix_plan_error(&e.to_string()),
            Err(e) => {
                self.say(&format!("✗ {e}"));
                return Ok(Go::Next(Step::Pick));
            }
        };
        // As `fioreg add`: the credentials are tested before the plan is shown.
        if front::plan_needs_login_test(&plan) {
            loop {
                match self.login_test(&plan)? {
                    LoginNext::GoOn => break,
                    LoginNext::Again => {}
                    LoginNext::Go(go) => return Ok(go),
                }
            }
        }
        let color = self.p.color();
        self.say("");
        // Escaped by render itself, before the diff's colours.
        self.p.say(plan.render(color).trim_end());
        // Removing an entry and keeping its secret needs no fioctl, as `fioreg remove` does.
        let store: Arc<dyn SecretStore> = match &self.session.store {
            Ok(store) => store.clone(),
            Err(_) if plan.secret_op == SecretOp::Keep => Arc::new(front::NoStore),
            Err(why) => {
                self.say(&format!("Applying is impossible: {why}"));
                self.say("Nothing was changed.");
                return Ok(Go::Finish(Err(nothing_changed_exit(
                    1,
                    "not applied (secrets cannot be stored)",
                ))));
            }
        };
        if plan.new_text != plan.old_text && self.session.demo.is_none() {
            self.offer_commit(&source, &mut plan)?;
        }
        match self.p.confirm("Apply?", false) {
            Ok(true) => {}
            Ok(false) => {
                self.say("Not applied: nothing was changed.");
                return Ok(Go::Finish(Err(nothing_changed_exit(1, "not applied"))));
            }
            Err(e) => return Err(e),
        }
        Ok(Go::Finish(self.apply(&plan, store.as_ref(), &source)))
    }

    /// The login test of the plan's secret, as one line: "Testing the login to HOST ... ✓
    /// accepted" or "✗" and the reason. A registry that cannot be reached is stored only on an
    /// explicit yes (default No), as `fioreg add` asks; any other failure goes back to the
    /// credentials (or tests again, or quits).
    fn login_test(&mut self, plan: &Plan) -> Result<LoginNext, PromptError> {
        let Some(opts) = &self.session.verify else {
            let why = front::login_test_skipped(None, self.session.demo.is_some());
            self.say(&format!(
                "Login test skipped: {}.",
                why.unwrap_or("--no-verify")
            ));
            return Ok(LoginNext::GoOn);
        };
        let host = front::login_host(plan);
        self.p
            .progress(&format!("Testing the login to {host} ... "));
        match LoginCheck::of(front::verify_plan(plan, opts, self.verifier)) {
            LoginCheck::Accepted => {
                self.say("✓ accepted");
                Ok(LoginNext::GoOn)
            }
            LoginCheck::NoLogin => {
                self.say(&format!(
                    "! {host} needs no login, so the credentials could not be tested"
                ));
                Ok(LoginNext::GoOn)
            }
            LoginCheck::Failed(why) => {
                self.say(&format!("✗ {why}"));
                self.say("Nothing was stored.");
                self.after_failed_login()
            }
            LoginCheck::Unreachable(why) => {
                self.say(&format!("✗ {why}"));
                self.say("The credentials could not be tested.");
                if self.p.confirm("Store them anyway?", false)? {
                    return Ok(LoginNext::GoOn);
                }
                self.say("Not stored.");
                self.after_failed_login()
            }
        }
    }

    /// After a login test that does not let the wizard go on: fix the credentials (Esc too),
    /// test again, or quit.
    fn after_failed_login(&mut self) -> Result<LoginNext, PromptError> {
        let options = [
            Choice::new("Change the credentials"),
            Choice::new("Test again"),
            Choice::new("Quit without changing anything"),
        ];
        Ok(match self.choose("What now?", &options) {
            Ok(0) | Err(PromptError::Back) => LoginNext::Go(Go::Next(Step::Credentials)),
            Ok(1) => LoginNext::Again,
            Ok(_) => {
                self.say("Quit: nothing was changed.");
                LoginNext::Go(Go::Finish(Ok(())))
            }
            Err(e) => return Err(e),
        })
    }

    /// When the config lives in a git work tree: commit it after writing it? The core's
    /// refusal (e.g. uncommitted changes) is shown and the question asked again.
    fn offer_commit(&mut self, source: &PlanSource, plan: &mut Plan) -> Result<(), PromptError> {
        let Some(checkout) = crate::git::Checkout::find(&self.session.config_path) else {
            return Ok(());
        };
        let branch = checkout.branch().unwrap_or_else(|_| "HEAD".into());
        let question = format!(
            "Commit {} in {} (branch {branch}) after writing it?",
            plan.config_name(),
            checkout.root.display()
        );
        loop {
            if !self.p.confirm(&question, false)? {
                plan.commit = None;
                return Ok(());
            }
            match source.commit(&self.cfg, self.session.plan_factory()) {
                Ok(c) => {
                    self.say("");
                    self.say(&format!(
                        "Then commit {} on {}: \"{}\"",
                        c.checkout.rel.display(),
                        c.branch,
                        c.message
                    ));
                    plan.commit = Some(c);
                    return Ok(());
                }
                Err(e) => self.say(&format!("✗ {e}")),
            }
        }
    }

    fn apply(
        &mut self,
        plan: &Plan,
        store: &dyn SecretStore,
        source: &PlanSource,
    ) -> anyhow::Result<()> {
        let s = self.session;
        let target = match (&s.demo, &s.factory) {
            (Some(_), _) => "in the demo folder".to_string(),
            (None, Some((f, _))) => format!("in factory {f}"),
            (None, None) => "in fioctl's default factory".to_string(),
        };
        let from = target.replacen("in ", "from ", 1);
        let config = plan.config_path.display().to_string();
        let secret_name = plan.secret_name.clone();
        let p = &mut *self.p;
        let result = plan.apply_with_progress(store, &mut |step| match step {
            Progress::StoringSecret => {
                p.progress(&format!("Storing secret {secret_name} {target} ... "))
            }
            Progress::WritingConfig => p.progress(&format!("Writing {config} ... ")),
            Progress::DeletingSecret => {
                p.progress(&format!("Deleting secret {secret_name} {from} ... "))
            }
            Progress::Committing => p.progress(&format!("Committing {config} ... ")),
            Progress::Pushing => p.progress("Pushing ... "),
            Progress::SecretStored
            | Progress::ConfigWritten
            | Progress::SecretDeleted
            | Progress::Committed
            | Progress::Pushed => p.say("done"),
        });
        let applied = match result {
            Ok(applied) => applied,
            Err(e) => {
                self.say("failed");
                self.say(&e.to_string());
                let message = match e {
                    ApplyError::Fioctl(FioctlError::Interrupted) => {
                        return Err(Exit {
                            code: 130,
                            message: "interrupted: fioctl was stopped, the secret file removed, \
                                      and factory-config.yml is untouched"
                                .into(),
                        }
                        .into());
                    }
                    ApplyError::Fioctl(_) => "not applied: nothing was changed".to_string(),
                    // The message above says what was and was not changed.
                    _ => "applying failed part-way (see above)".to_string(),
                };
                return Err(Exit { code: 1, message }.into());
            }
        };
        let adds = matches!(plan.action, Action::Add | Action::Update { .. });
        self.say("");
        if plan.secret_op == SecretOp::Store {
            self.say(&format!("✓ Stored secret {secret_name} {target}."));
        }
        match (&applied.commit, &plan.commit) {
            (Some(id), Some(c)) => {
                self.say(&format!("✓ Wrote {config}."));
                self.say(&format!(
                    "✓ Committed {id} on {}: \"{}\". Push it so the next CI build uses it.",
                    c.branch, c.message
                ));
            }
            _ if applied.config_written => self.say(&format!(
                "✓ Wrote {config}. Commit and push it in your ci-scripts checkout so the next CI \
                 build uses it."
            )),
            _ if matches!(plan.action, Action::Rotate { .. }) => self.say(&format!(
                "  {config} is unchanged (byte-identical): nothing to commit."
            )),
            _ => self.say(&format!(
                "  {config} already held this entry: nothing to write."
            )),
        }
        match plan.secret_op {
            SecretOp::Delete => self.say(&format!("✓ Deleted secret {secret_name} {from}.")),
            SecretOp::Keep if !secret_name.is_empty() => {
                self.say(&format!("  The secret {secret_name} stays {target}."));
            }
            _ => {}
        }
        if let Some(demo) = &s.demo {
            self.say(&format!(
                "Demo mode: the secret is a file in the scratch folder {}; no factory was touched.",
                demo.secrets_dir.display()
            ));
        }
        if adds {
            // As `fioreg add`: the choices, never a secret; a failure only warns.
            if let Err(why) = front::remember_choices(s, plan) {
                self.say(&format!("warning: the settings were not saved: {why}"));
            }
            self.say("");
            self.say(plan.provider.device_advice());
        }
        self.say("");
        self.say("The same from a script:");
        self.say(&format!(
            "  {}",
            source.command_line(
                &s.config_path,
                s.plan_factory().as_deref(),
                applied.commit.is_some()
            )
        ));
        Ok(())
    }
}

/// Whether the credential error is about the user name (then it is asked again).
fn is_user_error(e: &CredError) -> bool {
    matches!(
        e,
        CredError::EmptyUser { .. }
            | CredError::ColonInUser { .. }
            | CredError::NewlineInUser { .. }
    )
}

/// The real prompts: inquire on the terminal (its output on stderr; said lines on stdout).
pub struct InquirePrompter;

mod real {
    use super::{Choice, PromptError, Prompter};
    use inquire::autocompletion::{Autocomplete, Replacement};
    use inquire::ui::RenderConfig;
    use inquire::{
        Confirm, CustomUserError, InquireError, Password, PasswordDisplayMode, Select, Text,
    };
    use secrecy::SecretString;
    use std::io::Write;

    const KEYS: &str = "Enter to answer, Esc to go back";

    fn map(e: InquireError) -> PromptError {
        match e {
            InquireError::OperationCanceled => PromptError::Back,
            InquireError::OperationInterrupted => PromptError::Interrupted,
            other => PromptError::Io(other.to_string()),
        }
    }

    /// No colours with NO_COLOR or TERM=dumb.
    fn render_config() -> RenderConfig<'static> {
        let plain = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        if plain {
            RenderConfig::empty()
        } else {
            RenderConfig::default()
        }
    }

    fn help_with_keys(help: Option<&str>) -> String {
        match help {
            Some(h) => format!("{h} ({KEYS})"),
            None => KEYS.to_string(),
        }
    }

    /// Tab completes a path as far as it is unambiguous, like a shell; no list pops up.
    #[derive(Clone, Default)]
    struct PathCompleter;

    impl PathCompleter {
        fn candidates(input: &str) -> Vec<String> {
            let (dir_part, file_part) = match input.rfind('/') {
                Some(i) => input.split_at(i + 1),
                None => ("", input),
            };
            let dir = if dir_part.is_empty() {
                std::path::PathBuf::from(".")
            } else {
                super::expand_home(dir_part)
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                return Vec::new();
            };
            let mut out: Vec<String> = entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let hidden_ok = file_part.starts_with('.') || !name.starts_with('.');
                    (name.starts_with(file_part) && hidden_ok).then(|| {
                        let slash = if e.path().is_dir() { "/" } else { "" };
                        format!("{dir_part}{name}{slash}")
                    })
                })
                .collect();
            out.sort();
            out
        }
    }

    impl Autocomplete for PathCompleter {
        fn get_suggestions(&mut self, _input: &str) -> Result<Vec<String>, CustomUserError> {
            Ok(Vec::new())
        }

        fn get_completion(
            &mut self,
            input: &str,
            highlighted: Option<String>,
        ) -> Result<Replacement, CustomUserError> {
            if highlighted.is_some() {
                return Ok(highlighted);
            }
            let all = Self::candidates(input);
            let Some(first) = all.first() else {
                return Ok(None);
            };
            let mut prefix: &str = first;
            for c in &all[1..] {
                let common = prefix
                    .char_indices()
                    .zip(c.chars())
                    .find(|((_, a), b)| a != b)
                    .map_or(prefix.len().min(c.len()), |((i, _), _)| i);
                prefix = &prefix[..common];
            }
            Ok((prefix.len() > input.len()).then(|| prefix.to_string()))
        }
    }

    impl Prompter for super::InquirePrompter {
        fn select(&mut self, question: &str, options: &[Choice]) -> Result<usize, PromptError> {
            let labels: Vec<String> = options
                .iter()
                .map(|c| match &c.disabled {
                    Some(why) => format!("{} (unavailable: {why})", c.label),
                    None => c.label.clone(),
                })
                .collect();
            Select::new(question, labels)
                .with_help_message("↑↓ to move, type to filter, Enter to choose, Esc to go back")
                .with_page_size(10)
                .with_render_config(render_config())
                .raw_prompt()
                .map(|o| o.index)
                .map_err(map)
        }

        fn text(
            &mut self,
            question: &str,
            default: Option<&str>,
            help: Option<&str>,
        ) -> Result<String, PromptError> {
            let help = help_with_keys(help);
            let mut t = Text::new(question)
                .with_help_message(&help)
                .with_render_config(render_config());
            if let Some(d) = default {
                t = t.with_default(d);
            }
            t.prompt().map_err(map)
        }

        fn path(&mut self, question: &str, help: Option<&str>) -> Result<String, PromptError> {
            let help = help_with_keys(help);
            Text::new(question)
                .with_help_message(&help)
                .with_autocomplete(PathCompleter)
                .with_render_config(render_config())
                .prompt()
                .map_err(map)
        }

        fn password(&mut self, question: &str) -> Result<SecretString, PromptError> {
            Password::new(question)
                .without_confirmation()
                .with_display_mode(PasswordDisplayMode::Hidden)
                .with_help_message(KEYS)
                .with_render_config(render_config())
                .prompt()
                .map(SecretString::from)
                .map_err(map)
        }

        fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
            Confirm::new(question)
                .with_default(default)
                .with_help_message("y or n, Esc to go back")
                .with_render_config(render_config())
                .prompt()
                .map_err(map)
        }

        fn say(&mut self, text: &str) {
            println!("{text}");
        }

        fn progress(&mut self, text: &str) {
            print!("{text}");
            let _ = std::io::stdout().flush();
        }

        fn color(&self) -> bool {
            crate::commands::color_stdout()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::aws::ProfileSource;
    use crate::fioctl::FactorySource;
    use crate::keystore::MemoryKeyStore;
    use crate::plan::{FolderStore, SecretStore};
    use crate::session::Demo;
    use secrecy::ExposeSecret;
    use std::collections::VecDeque;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    /// One scripted answer.
    #[derive(Debug)]
    enum A {
        /// Choose the first option whose label contains this text.
        Pick(&'static str),
        /// Type this (an empty answer takes the default).
        Text(&'static str),
        Pass(&'static str),
        Yes,
        No,
        Back,
        Interrupt,
    }

    /// A prompter that answers from a script and records every question and printed line.
    struct Fake {
        answers: VecDeque<A>,
        /// Questions, as `? QUESTION [default: D]` or `? QUESTION {opt | opt}`.
        asked: Vec<String>,
        said: Vec<String>,
        /// Everything in order, for failure messages.
        log: Vec<String>,
    }

    impl Fake {
        fn new(answers: Vec<A>) -> Self {
            Fake {
                answers: answers.into(),
                asked: Vec::new(),
                said: Vec::new(),
                log: Vec::new(),
            }
        }

        fn next(&mut self, question: String) -> A {
            self.asked.push(question.clone());
            self.log.push(question);
            match self.answers.pop_front() {
                Some(a) => {
                    self.log.push(format!("  -> {a:?}"));
                    a
                }
                None => panic!("no answer left; transcript:\n{}", self.log.join("\n")),
            }
        }

        fn said(&self) -> String {
            self.said.join("\n")
        }

        fn asked_count(&self, question: &str) -> usize {
            self.asked.iter().filter(|q| q.contains(question)).count()
        }

        fn done(&self) {
            assert!(
                self.answers.is_empty(),
                "answers left over: {:?}\n{}",
                self.answers,
                self.log.join("\n")
            );
        }

        fn refuse(&self, a: A, q: &str) -> ! {
            panic!(
                "answer {a:?} does not fit `{q}`; transcript:\n{}",
                self.log.join("\n")
            )
        }
    }

    impl Prompter for Fake {
        fn select(&mut self, question: &str, options: &[Choice]) -> Result<usize, PromptError> {
            let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
            match self.next(format!("? {question} {{{}}}", labels.join(" | "))) {
                A::Pick(s) => match options.iter().position(|o| o.label.contains(s)) {
                    Some(i) => Ok(i),
                    None => self.refuse(A::Pick(s), question),
                },
                A::Back => Err(PromptError::Back),
                A::Interrupt => Err(PromptError::Interrupted),
                a => self.refuse(a, question),
            }
        }

        fn text(
            &mut self,
            question: &str,
            default: Option<&str>,
            _help: Option<&str>,
        ) -> Result<String, PromptError> {
            let shown = match default {
                Some(d) => format!("? {question} [default: {d}]"),
                None => format!("? {question}"),
            };
            match self.next(shown) {
                A::Text("") => Ok(default.unwrap_or_default().to_string()),
                A::Text(t) => Ok(t.to_string()),
                A::Back => Err(PromptError::Back),
                A::Interrupt => Err(PromptError::Interrupted),
                a => self.refuse(a, question),
            }
        }

        fn password(&mut self, question: &str) -> Result<SecretString, PromptError> {
            match self.next(format!("? {question}")) {
                A::Pass(t) => Ok(SecretString::from(t)),
                A::Back => Err(PromptError::Back),
                A::Interrupt => Err(PromptError::Interrupted),
                a => self.refuse(a, question),
            }
        }

        fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
            match self.next(format!("? {question} [default: {default}]")) {
                A::Yes => Ok(true),
                A::No => Ok(false),
                A::Back => Err(PromptError::Back),
                A::Interrupt => Err(PromptError::Interrupted),
                a => self.refuse(a, question),
            }
        }

        fn say(&mut self, text: &str) {
            self.said.push(text.to_string());
            self.log.push(text.to_string());
        }
    }

    const BASE: &str = "# The factory definition.\nlmp:\n  params: {}\n";
    const AWS1: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";
    const CREDS: &str = "\
[ci-pull]
aws_access_key_id = AKIACIPULL0000000002
aws_secret_access_key = ciPullSecretKey00000000000000000000000002

[default]
aws_access_key_id = AKIADEFAULT000000001
aws_secret_access_key = defaultSecretKey0000000000000000000000001

[temp]
aws_access_key_id = ASIATEMP000000000003
aws_secret_access_key = tempSecretKey0000000000000000000000000003
aws_session_token = sessionToken

[nokeys]
region = eu-west-1
";

    struct Env {
        dir: tempfile::TempDir,
        session: Session,
    }

    impl Env {
        fn new(config: &str) -> Env {
            let dir = tempfile::tempdir().unwrap();
            let config_path = dir.path().join("factory-config.yml");
            std::fs::write(&config_path, config).unwrap();
            let session = Session {
                config_path,
                factory: Some(("acme".into(), FactorySource::Flag)),
                store: Ok(Arc::new(FolderStore {
                    dir: dir.path().join("secrets"),
                })),
                aws: Arc::new(ProfileSource::from_files(Some(CREDS.into()), None, &[]).unwrap()),
                demo: None,
                keys: Arc::new(MemoryKeyStore::new()),
                settings: None,
                verify: None,
            };
            Env { dir, session }
        }

        fn config(&self) -> String {
            std::fs::read_to_string(&self.session.config_path).unwrap()
        }

        fn secret(&self, name: &str) -> Option<Vec<u8>> {
            std::fs::read(self.dir.path().join("secrets").join(name)).ok()
        }

        fn no_secrets(&self) -> bool {
            !self.dir.path().join("secrets").exists()
        }

        fn run(&self, answers: Vec<A>) -> (anyhow::Result<()>, Fake) {
            let mut fake = Fake::new(answers);
            let result = run(&self.session, &mut fake);
            (result, fake)
        }

        /// The run with the login test on, answered by [`fake_verify`].
        fn run_verified(&mut self, answers: Vec<A>) -> (anyhow::Result<()>, Fake) {
            self.session.verify = Some(crate::verify::VerifyOptions::default());
            let mut fake = Fake::new(answers);
            let result = run_with(&self.session, &mut fake, fake_verify);
            (result, fake)
        }
    }

    fn exit_code(r: &anyhow::Result<()>) -> Option<u8> {
        r.as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<Exit>())
            .map(|x| x.code)
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gcp")
            .join(name)
    }

    #[test]
    fn aws_flow_stores_one_profile_as_default_and_adds_the_entry() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add a registry"),
            A::Pick("AWS"),
            A::Text(AWS1),
            A::Text(""),
            A::Text(""),
            A::Pick("temp"),
            A::Pick("nokeys"),
            A::Pick("ci-pull"),
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(
            env.config(),
            format!(
                "{BASE}\ncontainer_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  \
                 aws_creds_secret_name: aws_creds\n"
            )
        );
        assert_eq!(
            env.secret("aws_creds").unwrap(),
            b"[default]\naws_access_key_id = AKIACIPULL0000000002\n\
              aws_secret_access_key = ciPullSecretKey00000000000000000000000002\n"
        );
        assert!(
            fake.asked
                .iter()
                .any(|q| q.contains("AWS region of the registry [default: us-east-2]"))
        );
        assert!(
            fake.asked
                .iter()
                .any(|q| q.contains("Factory secret name [default: aws_creds]"))
        );
        let profiles = fake
            .asked
            .iter()
            .find(|q| q.contains("Which AWS profile"))
            .unwrap();
        assert!(profiles.contains("default (AKIA"), "{profiles}");
        assert!(
            profiles.contains("looks personal: prefer a pull-only IAM user"),
            "{profiles}"
        );
        let said = fake.said();
        assert!(said.contains("Not available: temp"), "{said}");
        assert!(
            said.contains("temporary keys (aws_session_token)"),
            "{said}"
        );
        assert!(said.contains("Not available: nokeys"), "{said}");
        assert!(said.contains("Plan: add aws"), "{said}");
        assert!(
            said.contains("Storing secret aws_creds in factory acme ... "),
            "{said}"
        );
        assert!(said.contains(crate::provider::aws::DEVICE_ADVICE), "{said}");
        assert!(
            said.contains(&format!(
                "--factory acme add aws --url {AWS1} --profile ci-pull"
            )),
            "{said}"
        );
        assert!(!said.contains("ciPullSecretKey"), "{said}");
    }

    #[test]
    fn azure_flow_reasks_only_the_password_and_never_says_it() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Azure"),
            A::Text("acmeprod.azurecr.io"),
            A::Text(""),
            A::Text("1f2e3d4c-0000-1111"),
            A::Pass("s3cr3t:Pw"),
            A::Pass(""),
            A::Pass("s3cr3tPw"),
            A::No, // not remembered in the keyring
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert!(env.config().ends_with(
            "container_registries:\n- type: azure\n  url: acmeprod.azurecr.io\n  \
             azure_principal_secret_name: azprincipal\n"
        ));
        assert_eq!(
            env.secret("azprincipal").unwrap(),
            b"1f2e3d4c-0000-1111:s3cr3tPw"
        );
        assert_eq!(fake.asked_count("Service principal id"), 1);
        assert_eq!(fake.asked_count("Service principal password"), 3);
        let said = fake.said();
        assert!(said.contains("contains ':'"), "{said}");
        assert!(said.contains("password is empty"), "{said}");
        for line in fake.said.iter().chain(&fake.asked) {
            assert!(!line.contains("s3cr3t"), "the password was shown: {line}");
        }
    }

    #[test]
    fn gar_flow_checks_the_key_file_and_names_the_service_account() {
        let env = Env::new(BASE);
        let missing = env.dir.path().join("nope.json");
        let missing: &'static str = Box::leak(missing.display().to_string().into_boxed_str());
        let personal: &'static str = Box::leak(
            fixture("authorized-user.json")
                .display()
                .to_string()
                .into_boxed_str(),
        );
        let key: &'static str = Box::leak(
            fixture("sa-key.json")
                .display()
                .to_string()
                .into_boxed_str(),
        );
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Google"),
            A::Text("us-central-1-docker.pkg.dev"),
            A::Text(""),
            A::Text(""),
            A::Text(""),
            A::Text(missing),
            A::Text(personal),
            A::Text(key),
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert!(
            env.config().ends_with(
                "container_registries:\n- type: gar\n  gar_creds_secret_name: gcp_creds\n"
            ),
            "{}",
            env.config()
        );
        assert_eq!(
            env.secret("gcp_creds").unwrap(),
            std::fs::read(fixture("sa-key.json")).unwrap()
        );
        let said = fake.said();
        assert!(said.contains("without a dash"), "{said}");
        assert!(said.contains("Give the path"), "{said}");
        assert!(said.contains("Cannot read the GCP key file"), "{said}");
        assert!(said.contains("personal user credentials"), "{said}");
        assert!(
            said.contains("Service account: ci-pull@fioreg-test.iam.gserviceaccount.com"),
            "{said}"
        );
        assert!(said.contains("add gar --key-file"), "{said}");
        assert!(!said.contains("PRIVATE KEY"), "{said}");
    }

    #[test]
    fn generic_flow_in_demo_mode_with_a_custom_secret_name() {
        let mut env = Env::new(BASE);
        let secrets_dir = env.dir.path().join("secrets");
        env.session.demo = Some(Demo {
            dir: env.dir.path().to_path_buf(),
            secrets_dir: secrets_dir.clone(),
        });
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text(" GHCR.io "),
            A::Text("bad name"),
            A::Text("gh_pull"),
            A::Text("ci-bot"),
            A::Pass("ghp_tok"),
            A::No, // not remembered in the keyring
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert!(env.config().ends_with(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: gh_pull\n"
        ));
        assert_eq!(env.secret("gh_pull").unwrap(), b"ci-bot:ghp_tok");
        assert!(
            fake.asked
                .iter()
                .any(|q| q.contains("Factory secret name [default: ghcr_creds]"))
        );
        let said = fake.said();
        assert!(said.contains("contains ` `"), "{said}");
        assert!(said.contains("Demo mode"), "{said}");
        assert!(said.contains(&secrets_dir.display().to_string()), "{said}");
        assert!(
            said.contains(
                "add generic --url ghcr.io --username ci-bot --password-stdin --secret-name gh_pull"
            ),
            "{said}"
        );
        assert!(!said.contains("ghp_tok"), "{said}");
    }

    #[test]
    fn an_invalid_url_is_asked_again_with_the_reason() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("https://ghcr.io"),
            A::Text("ghcr.io/org/image"),
            A::Text(""),
            A::Text("ghcr.io"),
            A::Interrupt,
        ]);
        fake.done();
        assert_eq!(exit_code(&r), Some(130));
        assert_eq!(fake.asked_count("Registry url"), 4);
        let said = fake.said();
        assert!(said.contains("without `https://`"), "{said}");
        assert!(said.contains("without a path"), "{said}");
        assert!(said.contains("the registry url is empty"), "{said}");
    }

    #[test]
    fn a_second_aws_entry_is_refused_until_the_existing_url_is_given() {
        let config = format!(
            "container_registries:\n- type: aws # prod\n  region: us-east-2\n  url: {AWS1}\n  \
             aws_creds_secret_name: aws_creds\n"
        );
        let env = Env::new(&config);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("AWS"),
            A::Text("210987654321.dkr.ecr.eu-west-1.amazonaws.com"),
            A::Text(""),
            A::Text(""),
            A::Pick("Change the url"),
            A::Text(AWS1),
            A::Text(""),
            A::Text(""),
            A::Pick("ci-pull"),
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(fake.asked[2], format!("? Registry url [default: {AWS1}]"));
        let said = fake.said();
        assert!(
            said.contains("crashes when a factory has two aws entries"),
            "{said}"
        );
        assert!(said.contains(":2 already holds this registry"), "{said}");
        assert!(said.contains("already held this entry"), "{said}");
        assert_eq!(env.config(), config);
        assert!(env.secret("aws_creds").is_some());
    }

    #[test]
    fn a_shared_secret_name_is_refused_and_asked_again() {
        let config = "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: creds\n";
        let env = Env::new(config);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("docker.io"),
            A::Text("creds"),
            A::Pick("Change the secret name"),
            A::Text("docker_creds"),
            A::Text("ci"),
            A::Pass("tok"),
            A::No, // not remembered in the keyring
            A::No,
        ]);
        fake.done();
        assert_eq!(exit_code(&r), Some(1));
        assert!(
            fake.said().contains("`creds` is already used by"),
            "{}",
            fake.said()
        );
        assert!(fake.said().contains("generic_secret_name: docker_creds"));
        assert_eq!(env.config(), config);
        assert!(env.no_secrets());
    }

    #[test]
    fn esc_goes_back_one_question_and_keeps_earlier_answers() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Back, // url -> provider
            A::Pick("Azure"),
            A::Text("acmeprod.azurecr.io"),
            A::Back, // secret name -> url
            A::Text(""),
            A::Text(""),
            A::Text("id-1"),
            A::Back, // password -> user
            A::Text(""),
            A::Pass("pw-1"),
            A::No,   // not remembered in the keyring
            A::Back, // apply -> credentials
            A::Text(""),
            A::Pass("pw-2"),
            A::No, // not remembered in the keyring
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        let q: Vec<&str> = fake.asked.iter().map(|s| s.as_str()).collect();
        assert!(q[3].starts_with("? Which kind of registry?"), "{q:#?}");
        assert_eq!(q[6], "? Registry url [default: acmeprod.azurecr.io]");
        assert!(
            q[10].contains("Service principal id (the application / client id) [default: id-1]")
        );
        assert_eq!(env.secret("azprincipal").unwrap(), b"id-1:pw-2");
    }

    #[test]
    fn esc_at_the_first_question_quits_and_a_disabled_option_is_refused() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![A::Pick("Rotate"), A::Pick("Remove"), A::Back]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        // Without any registry, there is nothing to rotate or remove.
        assert!(
            said.contains("Not available: Rotate a registry's credentials (factory-config.yml stays as it is): no registry is configured yet."),
            "{said}"
        );
        assert!(
            said.contains("Not available: Remove a registry: no registry is configured yet."),
            "{said}"
        );
        assert!(said.contains("nothing was changed"), "{said}");
        assert_eq!(env.config(), BASE);
    }

    #[test]
    fn ctrl_c_changes_nothing_and_exits_130() {
        for at in 0..=7 {
            let env = Env::new(BASE);
            let mut script = vec![
                A::Pick("Add"),
                A::Pick("Generic"),
                A::Text("ghcr.io"),
                A::Text(""),
                A::Text("ci"),
                A::Pass("tok"),
                A::Yes,
            ];
            script.truncate(at.min(6));
            script.push(A::Interrupt);
            let (r, fake) = env.run(script);
            fake.done();
            assert_eq!(exit_code(&r), Some(130), "at {at}");
            let msg = r.unwrap_err().to_string();
            assert!(msg.contains("nothing was changed"), "{msg}");
            assert_eq!(env.config(), BASE);
            assert!(env.no_secrets());
        }
    }

    #[test]
    fn declining_at_review_changes_nothing() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No, // not remembered in the keyring
            A::No,
        ]);
        fake.done();
        assert_eq!(exit_code(&r), Some(1));
        assert!(
            fake.asked
                .last()
                .unwrap()
                .contains("Apply? [default: false]")
        );
        assert!(fake.said().contains("Not applied: nothing was changed."));
        assert_eq!(env.config(), BASE);
        assert!(env.no_secrets());
    }

    #[test]
    fn the_overview_shows_each_secret_present_or_missing() {
        let config = format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  \
             aws_creds_secret_name: aws_creds\n- type: generic\n  url: ghcr.io\n  \
             generic_secret_name: ghcr_creds\n"
        );
        let env = Env::new(&config);
        let store = FolderStore {
            dir: env.dir.path().join("secrets"),
        };
        store
            .update(&[("aws_creds", &Secret::new(b"x".to_vec(), "x"))])
            .unwrap();
        let (r, fake) = env.run(vec![A::Pick("Quit")]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(said.contains("Factory: acme (from --factory)"), "{said}");
        assert!(said.contains("2 container registries configured"), "{said}");
        assert!(
            said.contains(&format!("- line 2: aws {AWS1}, secret aws_creds: present")),
            "{said}"
        );
        assert!(
            said.contains("- line 6: generic ghcr.io, secret ghcr_creds: MISSING"),
            "{said}"
        );
    }

    #[test]
    fn without_fioctl_secrets_are_unknown_and_applying_is_refused() {
        let config =
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: g\n";
        let mut env = Env::new(config);
        env.session.store = Err("fioctl was not found: not on PATH".into());
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("docker.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No, // not remembered in the keyring
        ]);
        fake.done();
        assert_eq!(exit_code(&r), Some(1));
        let said = fake.said();
        assert!(said.contains("secret g: unknown"), "{said}");
        assert!(
            said.contains("Secrets were not checked: fioctl was not found"),
            "{said}"
        );
        assert!(
            said.contains("Applying is impossible: fioctl was not found"),
            "{said}"
        );
        assert!(!fake.asked.iter().any(|q| q.contains("Apply?")));
        assert_eq!(env.config(), config);
    }

    #[test]
    fn a_broken_config_is_reported_before_any_question() {
        let env = Env::new("container_registries:\n- type: aws\n  url: [unclosed\n");
        let (r, fake) = env.run(vec![]);
        assert_eq!(exit_code(&r), Some(1));
        assert!(fake.asked.is_empty());
        assert!(
            fake.said().contains("factory-config.yml:"),
            "{}",
            fake.said()
        );
    }

    struct FailingStore;

    impl SecretStore for FailingStore {
        fn update(&self, _: &[(&str, &Secret)]) -> Result<(), FioctlError> {
            Err(FioctlError::Failed {
                command: "fioctl secrets update ghcr_creds==<file>".into(),
                error_line: "ERROR: HTTP 403".into(),
                status: Some(1),
            })
        }
        fn list(&self) -> Result<Vec<String>, FioctlError> {
            Ok(Vec::new())
        }
        fn delete(&self, _: &[&str]) -> Result<(), FioctlError> {
            Ok(())
        }
        fn update_command(&self) -> String {
            "fioctl secrets update".into()
        }
    }

    #[test]
    fn a_failing_fioctl_is_reported_and_the_config_is_untouched() {
        let mut env = Env::new(BASE);
        env.session.store = Ok(Arc::new(FailingStore));
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No, // not remembered in the keyring
            A::Yes,
        ]);
        fake.done();
        assert_eq!(exit_code(&r), Some(1));
        let said = fake.said();
        assert!(said.contains("ERROR: HTTP 403"), "{said}");
        assert!(said.contains("the secret was not stored"), "{said}");
        assert_eq!(env.config(), BASE);
    }

    #[test]
    fn password_answers_stay_secret_strings() {
        // The fake hands out SecretString like the real prompter; Debug never shows it.
        let s = SecretString::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }

    // ---- rotate, remove, commit, the OS keyring, settings ----------------------------------

    const TWO: &str = "# acme\ncontainer_registries:\n- type: aws\n  region: us-east-2\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n- type: quay\n  url: quay.io\n";

    fn store(env: &Env, name: &str, value: &[u8]) {
        FolderStore {
            dir: env.dir.path().join("secrets"),
        }
        .update(&[(name, &Secret::new(value.to_vec(), "old"))])
        .unwrap();
    }

    #[test]
    fn control_characters_from_the_config_are_said_escaped() {
        let env = Env::new(
            "container_registries:\n- type: generic\n  url: \"ghcr.io\\e[2J\"\n  generic_secret_name: ghcr_creds\n",
        );
        let (r, fake) = env.run(vec![A::Pick("Quit")]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(said.contains("ghcr.io\\x1b[2J"), "{said}");
        assert!(!said.contains('\x1b'), "{said}");
    }

    #[test]
    fn the_overview_shows_the_checks_findings() {
        let env = Env::new(TWO);
        let (r, fake) = env.run(vec![A::Pick("Quit")]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(said.contains("Check: 3 errors, 1 warning:"), "{said}");
        assert!(
            said.contains("factory-config.yml:10: error: type `quay` is not one CI knows"),
            "{said}"
        );
        assert!(
            said.contains("  fix: use one of aws, azure, gar, generic"),
            "{said}"
        );
        assert!(
            said.contains("secret `aws_creds` does not exist in the factory"),
            "{said}"
        );
    }

    #[test]
    fn rotate_stores_new_credentials_and_leaves_the_config_byte_identical() {
        let env = Env::new(TWO);
        store(&env, "ghcr_creds", b"ci-bot:old-token");
        let (r, fake) = env.run(vec![
            A::Pick("Rotate"),
            A::Pick("quay"),
            A::Pick("ghcr.io"),
            A::Text("ci-bot"),
            A::Pass("new-token"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.config(), TWO);
        assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:new-token");
        let said = fake.said();
        assert!(said.contains("Not available: quay quay.io"), "{said}");
        assert!(said.contains("which CI does not support"), "{said}");
        assert!(
            said.contains(
                "New credentials for generic ghcr.io (line 7), stored again as secret ghcr_creds."
            ),
            "{said}"
        );
        assert!(said.contains("Plan: rotate generic ghcr.io"), "{said}");
        assert!(
            said.contains("factory-config.yml is unchanged (byte-identical): nothing to commit."),
            "{said}"
        );
        assert!(
            said.contains("--factory acme rotate ghcr_creds --username ci-bot --password-stdin"),
            "{said}"
        );
        assert!(!said.contains("new-token"), "{said}");
        assert!(
            !said.contains("Devices:"),
            "no device advice for a rotation"
        );
    }

    #[test]
    fn rotate_aws_asks_for_a_profile_and_goes_back_to_the_list() {
        let env = Env::new(TWO);
        let (r, fake) = env.run(vec![
            A::Pick("Rotate"),
            A::Pick("aws"),
            A::Back, // profile -> the registry list
            A::Pick("aws"),
            A::Pick("ci-pull"),
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.config(), TWO);
        assert!(
            String::from_utf8(env.secret("aws_creds").unwrap())
                .unwrap()
                .contains("AKIACIPULL0000000002")
        );
        assert_eq!(fake.asked_count("Which registry gets new credentials?"), 2);
        assert!(fake.said().contains("rotate aws_creds --profile ci-pull"));
    }

    #[test]
    fn remove_with_its_secret_deletes_both() {
        let env = Env::new(TWO);
        store(&env, "ghcr_creds", b"ci-bot:tok");
        let (r, fake) = env.run(vec![
            A::Pick("Remove"),
            A::Pick("ghcr.io"),
            A::Yes, // also delete its secret
            A::Yes, // apply
        ]);
        r.unwrap();
        fake.done();
        assert!(!env.config().contains("ghcr"), "{}", env.config());
        assert!(
            env.config()
                .contains("aws_creds_secret_name: aws_creds\n- type: quay")
        );
        assert_eq!(env.secret("ghcr_creds"), None);
        let said = fake.said();
        assert!(said.contains("-- type: generic  # GitHub"), "{said}");
        assert!(
            said.contains("fioctl --factory acme secrets update ghcr_creds="),
            "{said}"
        );
        assert!(
            said.contains("✓ Deleted secret ghcr_creds from factory acme."),
            "{said}"
        );
        assert!(
            said.contains("--factory acme remove ghcr_creds --delete-secret"),
            "{said}"
        );
        assert_eq!(
            fake.asked
                .iter()
                .find(|q| q.contains("delete its secret"))
                .map(String::as_str),
            Some("? Also delete its secret ghcr_creds from the factory? [default: false]")
        );
    }

    #[test]
    fn remove_refuses_to_delete_a_shared_secret_and_keeps_it_without_fioctl() {
        let config = "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: shared\n- type: generic\n  url: docker.io\n  generic_secret_name: shared\n";
        let mut env = Env::new(config);
        store(&env, "shared", b"ci:tok");
        // Keeping the secret needs no fioctl, as `fioreg remove` does.
        env.session.store = Err("fioctl was not found: not on PATH".into());
        let (r, fake) = env.run(vec![
            A::Pick("Remove"),
            A::Pick("docker.io"),
            A::Yes,
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(
            said.contains("✗ the secret `shared` is also used by"),
            "{said}"
        );
        assert!(
            said.contains("The secret shared stays in factory acme."),
            "{said}"
        );
        assert_eq!(
            env.config(),
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: shared\n"
        );
        assert_eq!(env.secret("shared").unwrap(), b"ci:tok");
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// An Env whose config is committed in a fresh git repository (branch main).
    fn env_in_repo(config: &str) -> Env {
        let env = Env::new(config);
        let d = env.dir.path();
        git(d, &["init", "--quiet", "-b", "main"]);
        git(d, &["config", "user.email", "t@example.com"]);
        git(d, &["config", "user.name", "T"]);
        std::fs::write(d.join("other.txt"), "x\n").unwrap();
        git(d, &["add", "factory-config.yml", "other.txt"]);
        git(d, &["commit", "--quiet", "-m", "init"]);
        env
    }

    #[test]
    fn commit_offered_in_a_checkout_commits_only_the_config() {
        let env = env_in_repo(BASE);
        std::fs::write(env.dir.path().join("other.txt"), "changed\n").unwrap();
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No,
            A::Yes, // commit
            A::Yes, // apply
        ]);
        r.unwrap();
        fake.done();
        let d = env.dir.path();
        assert_eq!(
            git(d, &["log", "-1", "--format=%s"]),
            "container_registries: add generic ghcr.io"
        );
        assert_eq!(
            git(d, &["show", "--name-only", "--format=", "HEAD"]),
            "factory-config.yml"
        );
        assert_eq!(
            git(d, &["status", "--porcelain", "--untracked-files=no"]),
            " M other.txt"
        );
        let said = fake.said();
        assert!(
            said.contains("Then commit factory-config.yml on main"),
            "{said}"
        );
        assert!(said.contains("✓ Committed "), "{said}");
        assert!(
            said.contains("add generic --url ghcr.io --username ci --password-stdin --commit"),
            "{said}"
        );
        let q = fake
            .asked
            .iter()
            .find(|q| q.starts_with("? Commit factory-config.yml in "))
            .expect("the commit was offered");
        assert!(
            q.ends_with("(branch main) after writing it? [default: false]"),
            "{q}"
        );
    }

    #[test]
    fn a_refused_commit_is_shown_and_asked_again() {
        let env = env_in_repo(TWO);
        // Uncommitted changes of the user's own: the core refuses to commit.
        let dirty = format!("{TWO}# local note\n");
        std::fs::write(&env.session.config_path, &dirty).unwrap();
        let (r, fake) = env.run(vec![
            A::Pick("Remove"),
            A::Pick("quay"),
            A::Yes, // commit: refused
            A::No,  // then without
            A::Yes, // apply
        ]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(said.contains("already has uncommitted changes"), "{said}");
        assert_eq!(fake.asked_count("after writing it?"), 2);
        assert!(!env.config().contains("quay"));
        assert_eq!(git(env.dir.path(), &["log", "--format=%s"]), "init");
        // A removal without a secret name asks nothing about a secret.
        assert_eq!(fake.asked_count("delete its secret"), 0);
    }

    #[test]
    fn remember_keeps_the_token_and_the_next_run_offers_it() {
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("tok-1"),
            A::Yes, // remember
            A::No,  // do not apply: the token is kept anyway
        ]);
        assert_eq!(exit_code(&r), Some(1));
        fake.done();
        let kept = env.session.keys.get("ghcr.io").unwrap().unwrap();
        assert_eq!(kept.expose_secret(), "tok-1");
        assert!(
            fake.said()
                .contains("Kept the token for ghcr.io in an in-memory store (tests only)."),
            "{}",
            fake.said()
        );
        assert!(
            fake.asked
                .iter()
                .any(|q| q == "? Remember the token in the OS keyring? [default: false]")
        );
        // The next run: the kept token is offered (default yes), never asked or shown.
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Yes, // use the remembered token
            A::Yes, // apply
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:tok-1");
        assert_eq!(fake.asked_count("Token (hidden"), 0);
        assert!(
            fake.asked
                .iter()
                .any(|q| q == "? Use the remembered token for ghcr.io? [default: true]")
        );
        let said = fake.said();
        assert!(said.contains("--username ci-bot --from-keyring"), "{said}");
        assert!(!said.contains("tok-1"), "{said}");
    }

    #[test]
    fn declining_the_remembered_token_asks_for_one() {
        let env = Env::new(TWO);
        env.session
            .keys
            .set("ghcr.io", &SecretString::from("kept"))
            .unwrap();
        let (r, fake) = env.run(vec![
            A::Pick("Rotate"),
            A::Pick("ghcr.io"),
            A::Text("ci-bot"),
            A::No,
            A::Pass("typed"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:typed");
    }

    /// A key store that refuses, like a sandboxed kernel keyring.
    struct Refusing;

    impl crate::keystore::KeyStore for Refusing {
        fn get(&self, _: &str) -> Result<Option<SecretString>, crate::keystore::KeyStoreError> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &SecretString) -> Result<(), crate::keystore::KeyStoreError> {
            Err(self.refusal())
        }
        fn delete(&self, _: &str) -> Result<bool, crate::keystore::KeyStoreError> {
            Ok(false)
        }
        fn describe(&self) -> &'static str {
            "the test keyring"
        }
        fn check(&self) -> Result<(), crate::keystore::KeyStoreError> {
            Err(self.refusal())
        }
    }

    impl Refusing {
        fn refusal(&self) -> crate::keystore::KeyStoreError {
            crate::keystore::KeyStoreError::Unavailable {
                store: "the test keyring",
                reason: "access denied (EACCES)".into(),
            }
        }
    }

    #[test]
    fn a_refusing_keyring_is_reported_and_the_question_asked_again() {
        let mut env = Env::new(BASE);
        env.session.keys = Arc::new(Refusing);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Azure"),
            A::Text("acmeprod.azurecr.io"),
            A::Text(""),
            A::Text("id-1"),
            A::Pass("pw"),
            A::Yes, // refused
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        let said = fake.said();
        assert!(
            said.contains("✗ the test keyring is unavailable: access denied (EACCES)"),
            "{said}"
        );
        assert_eq!(
            fake.asked_count("Remember the password in the OS keyring?"),
            2
        );
        assert_eq!(env.secret("azprincipal").unwrap(), b"id-1:pw");
    }

    #[test]
    fn a_successful_add_records_the_settings_never_a_secret() {
        let mut env = Env::new(BASE);
        let path = env.dir.path().join("settings/config.toml");
        env.session.settings = Some(path.clone());
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok-s3cret"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        let saved = crate::settings::Settings::load(&path).unwrap();
        assert!(
            saved
                .get("factories.acme.config")
                .is_some_and(|c| c.ends_with("factory-config.yml")),
            "{}",
            saved.show()
        );
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("tok-s3cret")
        );
        // A rotation records nothing; an unreadable settings file only warns.
        std::fs::write(&path, "not [toml").unwrap();
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("docker.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert!(
            fake.said()
                .contains("warning: the settings were not saved:"),
            "{}",
            fake.said()
        );
    }

    /// The login test without a network: `down.example.com` cannot be reached; a password
    /// `wrong` is rejected, `nopull` may not pull; anything else is accepted.
    fn fake_verify(
        _: Provider,
        url: Option<&str>,
        _: Option<&str>,
        secret: &Secret,
        _: &crate::verify::VerifyOptions,
    ) -> Result<crate::verify::Outcome, crate::verify::VerifyError> {
        use crate::verify::{Outcome, VerifyError};
        let url = url.unwrap_or_default();
        let secret = secret.expose();
        if url == "down.example.com" {
            Err(VerifyError::Unreachable {
                url: format!("https://{url}/v2/"),
                reason: "connection refused".into(),
            })
        } else if secret.ends_with(b":wrong") {
            Err(VerifyError::Rejected {
                registry: url.into(),
                status: 401,
            })
        } else if secret.ends_with(b":nopull") {
            Ok(Outcome::ValidNoPull {
                repository: "team/app".into(),
            })
        } else {
            Ok(Outcome::Valid)
        }
    }

    /// Where `needle` was said first (panics when it was not).
    fn said_at(fake: &Fake, needle: &str) -> usize {
        fake.said
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} was not said:\n{}", fake.said()))
    }

    #[test]
    fn an_accepted_login_is_one_line_before_the_plan() {
        let mut env = Env::new(BASE);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("right"),
            A::No, // not remembered in the keyring
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:right");
        let testing = said_at(&fake, "Testing the login to ghcr.io ... ");
        assert_eq!(fake.said[testing + 1], "✓ accepted");
        assert!(testing < said_at(&fake, "Plan: add generic ghcr.io"));
        assert!(!fake.said().contains("skipped"), "{}", fake.said());
    }

    #[test]
    fn a_rejected_login_goes_back_to_the_credentials_and_stores_nothing_until_fixed() {
        let mut env = Env::new(BASE);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("wrong"),
            A::No,
            A::Pick("Test again"),
            A::Pick("Change the credentials"),
            A::Text(""), // the user name kept
            A::Pass("nopull"),
            A::No,
            A::Back, // Esc: the credentials again too
            A::Text(""),
            A::Pass("right"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:right");
        let said = fake.said();
        assert_eq!(
            said.matches("✗ the registry ghcr.io rejected these credentials (HTTP 401)")
                .count(),
            2,
            "tested again: {said}"
        );
        assert!(
            said.contains("✗ valid login, but no pull permission on team/app; CI could not pull"),
            "{said}"
        );
        assert!(said.contains("Nothing was stored."), "{said}");
        assert!(
            fake.asked
                .iter()
                .any(|q| q.contains("User name [default: ci-bot]")),
            "{:?}",
            fake.asked
        );
        assert_eq!(said.matches("Plan: add generic").count(), 1, "{said}");
        assert!(
            !said.contains("wrong") && !said.contains("nopull:"),
            "{said}"
        );
    }

    #[test]
    fn quitting_after_a_failed_login_changes_nothing() {
        let mut env = Env::new(BASE);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("wrong"),
            A::No,
            A::Pick("Quit"),
        ]);
        r.unwrap();
        fake.done();
        assert!(env.no_secrets());
        assert_eq!(env.config(), BASE);
        assert!(!fake.said().contains("Plan:"), "{}", fake.said());
    }

    #[test]
    fn an_unreachable_registry_is_stored_only_when_the_user_says_so() {
        let mut env = Env::new(BASE);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("down.example.com"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("tok"),
            A::No,
            A::No, // not stored anyway
            A::Pick("Test again"),
            A::Yes, // stored anyway
            A::Yes, // apply
        ]);
        r.unwrap();
        fake.done();
        assert_eq!(env.secret("down_example_creds").unwrap(), b"ci-bot:tok");
        let said = fake.said();
        assert_eq!(
            said.matches("✗ cannot reach https://down.example.com/v2/: connection refused")
                .count(),
            2,
            "{said}"
        );
        assert!(
            said.contains("The credentials could not be tested."),
            "{said}"
        );
        assert!(said.contains("Not stored."), "{said}");
        assert_eq!(
            fake.asked_count("Store them anyway? [default: false]"),
            2,
            "{:?}",
            fake.asked
        );

        // No, then quit: nothing stored; Esc on the question goes back to the credentials.
        let mut env = Env::new(BASE);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("down.example.com"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("tok"),
            A::No,
            A::Back,
            A::Text(""),
            A::Pass("tok"),
            A::No,
            A::No,
            A::Pick("Quit"),
        ]);
        r.unwrap();
        fake.done();
        assert!(env.no_secrets());
        assert_eq!(env.config(), BASE);
    }

    #[test]
    fn rotate_tests_the_entrys_registry_and_a_skipped_test_is_said() {
        let mut env = Env::new(TWO);
        let (r, fake) = env.run_verified(vec![
            A::Pick("Rotate"),
            A::Pick("ghcr.io"),
            A::Text("ci-bot"),
            A::Pass("wrong"),
            A::No,
            A::Pick("Quit"),
        ]);
        r.unwrap();
        fake.done();
        assert!(env.no_secrets());
        assert!(fake.said().contains("Testing the login to ghcr.io ... "));

        // Without options (--no-verify): said once, and the plan follows.
        let env = Env::new(BASE);
        let (r, fake) = env.run(vec![
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci-bot"),
            A::Pass("wrong"),
            A::No,
            A::Yes,
        ]);
        r.unwrap();
        fake.done();
        assert!(
            fake.said().contains("Login test skipped: --no-verify."),
            "{}",
            fake.said()
        );
        assert!(!fake.said().contains("Testing the login"));
    }
}
