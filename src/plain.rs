//! The line-prompt wizard (`fioreg --plain`, and automatically with `TERM=dumb`): the wizard's
//! flow ([`crate::wizard`]) one question at a time, for screen readers and simple terminals.
//!
//! Nothing here decides what comes next: the loop asks the current screen's questions through a
//! [`Prompter`], sends each answer to [`update`] as an [`Action`], runs the effects with the same
//! [`Runner`] as the full-screen wizard (waiting for their results instead of drawing a
//! spinner), and prints what the state says. Every question goes through a [`Prompter`], so the
//! whole loop runs in unit tests with a scripted fake.

use crate::credentials::user_token::UserTokenKind;
use crate::factory_config::lint::Severity;
use crate::provider::Provider;
use crate::session::Session;
use crate::wizard::effects::Runner;
use crate::wizard::flow::{Verifier, store_blocks};
use crate::wizard::report::{self, Exit, Outcome, progress_label};
use crate::wizard::state::{
    CommitState, Context, CredsKind, Flow, KeyCheck, LoginCheck, NEW_AWS_USER_LABEL,
    NEW_GAR_ACCOUNT_LABEL, Profiles, ReviewFocus, Screen, Secrets, State, field_help, field_label,
    profile_disabled_reason,
};
use crate::wizard::{Action, Checkbox, Effect, Input, Nav, init, update};
use secrecy::SecretString;
use std::sync::mpsc::{self, Receiver};

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

    /// An option that is listed with the reason it cannot be chosen (`None`: it can be).
    pub fn maybe(label: impl Into<String>, disabled: Option<&str>) -> Self {
        Choice {
            label: label.into(),
            disabled: disabled.map(str::to_string),
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

/// Runs the wizard with the real login test.
pub fn run(session: &Session, p: &mut dyn Prompter) -> anyhow::Result<Outcome> {
    run_with(session, p, crate::verify::verify)
}

/// [`run`] with another login test in place of [`crate::verify::verify`] (tests pass a fake).
pub fn run_with(
    session: &Session,
    p: &mut dyn Prompter,
    verifier: Verifier,
) -> anyhow::Result<Outcome> {
    let config = match session.wizard_config() {
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
    let (tx, rx) = mpsc::channel();
    let state = State::new(Context::from_session(session, p.color()), Ok(config));
    let mut d = Driver {
        runner: Runner::new(session, tx).with_verifier(verifier),
        rx,
        p,
        review_shown: false,
        commit_asked: false,
        key_file_chosen: false,
        state,
    };
    let first = init(&d.state);
    d.run_effect(first);
    let fleet = crate::wizard::init_session_fleet(&mut d.state, session.fleet.as_ref());
    d.run_effect(fleet);
    d.settle();
    d.overview();
    d.run()
}

/// The loop: the wizard's state, the effects' runner and the prompter.
struct Driver<'a> {
    state: State,
    runner: Runner<'a>,
    rx: Receiver<Action>,
    p: &'a mut dyn Prompter,
    /// The plan under review was printed (it is printed again after going back), and the
    /// commit was offered for it.
    review_shown: bool,
    commit_asked: bool,
    /// GAR: "an existing key file" was chosen on this visit of the Credentials screen (its
    /// path is asked again after a refusal, not the choice).
    key_file_chosen: bool,
}

type Step = Result<(), PromptError>;

impl Driver<'_> {
    /// Prints `text`, which may quote a config, a key file, a registry or fioctl: control
    /// characters are shown escaped (crate::escape).
    fn say(&mut self, text: &str) {
        self.p.say(&crate::escape::controls(text));
    }

    /// Sends an answer to the wizard and waits for the work it starts.
    fn send(&mut self, action: Action) {
        let effect = update(&mut self.state, action);
        self.run_effect(effect);
        self.settle();
    }

    fn nav(&mut self, nav: Nav) {
        self.send(Action::Nav(nav));
    }

    /// Runs an effect, and the effects its quick results lead to.
    fn run_effect(&mut self, effect: Effect) {
        let mut next = Some(effect);
        while let Some(effect) = next.take() {
            if let (Effect::TestLogin { .. }, Some(login)) = (&effect, &self.state.login) {
                self.p
                    .progress(&format!("Testing the login to {} ... ", login.host));
            }
            if let Some(result) = self.runner.run(effect, &self.state) {
                next = Some(self.feed(result));
            }
        }
    }

    /// A result for the wizard; applying's progress is printed as it comes.
    fn feed(&mut self, action: Action) -> Effect {
        match &action {
            Action::Progress(step) => {
                let plan = self
                    .state
                    .review
                    .as_ref()
                    .map(|r| std::sync::Arc::clone(&r.plan));
                match plan.and_then(|plan| progress_label(*step, &plan, self.state.ctx.target())) {
                    Some(label) => self.p.progress(&format!("{label} ... ")),
                    None => self.p.say("done"),
                }
            }
            Action::Applied(Err(_)) | Action::CloudApplied(Err(_)) => self.p.say("failed"),
            Action::FleetRow(_, row) => self.say(&row.progress_line()),
            Action::CloudStep(step) => self.cloud_step(step),
            _ => {}
        }
        update(&mut self.state, action)
    }

    /// A step of creating the IAM user, checking its key and storing it, as it comes.
    fn cloud_step(&mut self, step: &crate::cloud::apply::Step) {
        use crate::cloud::CloudProgress;
        use crate::cloud::apply::Step;
        match step {
            Step::Cloud(CloudProgress::Started(i, a)) => {
                self.p.progress(&format!("{}. {} ... ", i + 1, a.title))
            }
            Step::Cloud(CloudProgress::Finished(..)) => self.p.say("done"),
            Step::Cloud(CloudProgress::Waiting { why, left }) => {
                // A line every 10 s, not every second.
                if left.as_secs() % 10 == 0 {
                    self.say(&format!(
                        "not accepted yet ({why}); retrying, {} s left of the wait",
                        left.as_secs()
                    ));
                }
            }
            Step::CheckingKey => self
                .p
                .progress("Checking the new key with sts:GetCallerIdentity ... "),
            Step::KeyWorks(arn) => self.say(&format!("it works and belongs to {arn}")),
            Step::KeyIsOf(id) => self.p.say(&format!("The new key is a key of {id}.")),
            Step::TestingLogin(host) => self.p.progress(&format!(
                "Testing the login to {host} with the new key ... "
            )),
            Step::LoginAccepted(_) => self.p.say("accepted"),
            Step::Apply(p) => {
                let plan = self
                    .state
                    .review
                    .as_ref()
                    .map(|r| std::sync::Arc::clone(&r.plan));
                match plan.and_then(|plan| progress_label(*p, &plan, self.state.ctx.target())) {
                    Some(label) => self.p.progress(&format!("{label} ... ")),
                    None => self.p.say("done"),
                }
            }
        }
    }

    /// Waits for the background work the state is waiting for (no spinner here).
    fn settle(&mut self) {
        while self.state.busy() {
            let Ok(result) = self.rx.recv() else { break };
            let effect = self.feed(result);
            self.run_effect(effect);
        }
        while let Ok(result) = self.rx.try_recv() {
            let effect = self.feed(result);
            self.run_effect(effect);
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

    fn run(&mut self) -> anyhow::Result<Outcome> {
        loop {
            if self.state.quit {
                return report::outcome(&self.state);
            }
            let screen = self.state.screen;
            if screen != Screen::Review {
                self.review_shown = false;
                self.commit_asked = false;
            }
            if screen != Screen::Credentials {
                self.key_file_chosen = false;
            }
            let step = match screen {
                Screen::Start => self.start(),
                Screen::Provider => self.provider(),
                Screen::Registry => self.registry(),
                Screen::Pick => self.pick(),
                Screen::Credentials => self.credentials(),
                Screen::TestLogin => self.test_login(),
                Screen::Review => self.review(),
                // Applying has ended (the wait is in `settle`): it failed, or it is done.
                Screen::Apply => return report::outcome(&self.state),
                Screen::Done => return self.done(),
            };
            match step {
                Ok(()) => {}
                Err(PromptError::Back) => self.nav(Nav::Back),
                Err(PromptError::Interrupted) => {
                    self.nav(Nav::Interrupt);
                    return report::outcome(&self.state);
                }
                Err(PromptError::Io(e)) => return Err(anyhow::anyhow!(e)),
            }
        }
    }

    /// The factory, the config and its registries with their secrets, the check's findings and
    /// the scan of containers.git.
    fn overview(&mut self) {
        if self.state.several.is_some() {
            self.say(
                "fioreg: one question at a time, across factories. Esc goes back one question; \
                 Ctrl-C quits without changing anything.",
            );
            self.say(crate::wizard::flow::SEVERAL_START);
        } else {
            self.registries();
        }
        for (mark, line) in crate::wizard::flow::scan_lines(&self.state) {
            self.say(&format!("{}{line}", mark.prefix()));
        }
        if let Some(f) = crate::wizard::flow::fleet_lines(&self.state, usize::MAX) {
            self.say(&f.head);
            for line in &f.table {
                self.say(line);
            }
            if let Some((mark, note)) = &f.note {
                self.say(&format!("{}{note}", mark.prefix()));
            }
        }
    }

    /// The factory, the config and its registries with their secrets, and the check's findings.
    fn registries(&mut self) {
        let ctx = self.state.ctx.clone();
        self.say(
            "fioreg: one question at a time. Esc goes back one question; Ctrl-C quits without \
             changing anything.",
        );
        self.say(&format!("Factory: {}", ctx.factory_label));
        self.say(&format!("Config:  {}", ctx.config_path.display()));
        if let Some(demo) = &ctx.demo {
            self.say(&format!(
                "Demo mode: this is a scratch copy of the example; secrets go to {}, not to a \
                 factory.",
                demo.secrets_dir.display()
            ));
        }
        let Ok(cfg) = self.state.config.clone() else {
            return;
        };
        let secrets = match &self.state.secrets {
            Secrets::Loaded(names) => Ok(names.clone()),
            Secrets::Failed(why) | Secrets::Unavailable(why) => Err(why.clone()),
            Secrets::NotNeeded | Secrets::Loading => Ok(Vec::new()),
        };
        if cfg.registries.is_empty() {
            self.say("No container registries are configured yet.");
        } else {
            let n = cfg.registries.len();
            self.say(&format!(
                "{n} container {} configured:",
                if n == 1 { "registry" } else { "registries" }
            ));
            for e in &cfg.registries {
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
                self.say(&format!("- line {}: {what}, {secret}", e.line));
            }
        }
        if let Err(why) = &secrets {
            self.say(&format!("Secrets were not checked: {why}"));
        }
        let Some((head, found)) = crate::wizard::flow::start_check(&self.state) else {
            return;
        };
        if found.is_empty() {
            self.say(&format!("{head}."));
            return;
        }
        self.say(&format!("{head}:"));
        let path = cfg.path.display().to_string();
        for f in &found {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            self.say(&format!("{path}:{}: {sev}: {}", f.line, f.message));
            self.say(&format!("  fix: {}", f.fix));
        }
    }

    /// Several factories: which ones the flows run on, asked once as a comma list.
    fn factories(&mut self) -> Step {
        loop {
            let chosen: Vec<String> = self
                .state
                .start_items()
                .into_iter()
                .filter_map(|i| match i {
                    crate::wizard::state::StartItem::Factory { name, on: true, .. } => Some(name),
                    _ => None,
                })
                .collect();
            let answer = self.p.text(
                "Which factories? (names, separated by commas)",
                Some(&chosen.join(", ")),
                Some("the flows run on these; the others are left as they are"),
            )?;
            let names = answer
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect();
            self.send(Action::Factories(names));
            match self.state.several.as_ref().and_then(|s| s.error.clone()) {
                Some(why) => self.say(&format!("✗ {why}")),
                None => return Ok(()),
            }
        }
    }

    fn start(&mut self) -> Step {
        // Across factories the factories are one question (asked on each visit, the last
        // answer as its default), not items of the menu.
        if self.state.several.is_some() {
            match self.factories() {
                // Esc at the first question leaves.
                Err(PromptError::Back) => {
                    self.nav(Nav::Quit);
                    return Ok(());
                }
                other => other?,
            }
        }
        let items: Vec<(usize, crate::wizard::state::StartItem)> = self
            .state
            .start_items()
            .into_iter()
            .enumerate()
            .filter(|(_, a)| !matches!(a, crate::wizard::state::StartItem::Factory { .. }))
            .collect();
        let options: Vec<Choice> = items
            .iter()
            .map(|(_, a)| Choice::maybe(a.label(), self.state.start_disabled(a).as_deref()))
            .collect();
        match self.choose("What do you want to do?", &options) {
            Ok(i) => {
                let before = self.state.wrapped.clone();
                self.send(Action::Select(items.get(i).map_or(i, |(at, _)| *at)));
                if self.state.containers_input.is_some() {
                    self.containers_path()?;
                }
                // A device-wrap was chosen: say what it did.
                if self.state.wrapped != before {
                    match self.state.wrapped.clone() {
                        Some(Ok(done)) => self.say(&format!("✓ {done}")),
                        Some(Err(why)) => self.say(&format!("✗ device-wrap: {why}")),
                        None => {}
                    }
                }
            }
            // Esc at the first question leaves.
            Err(PromptError::Back) => self.nav(Nav::Quit),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The containers.git checkout's path, asked once (then remembered); its scan is said.
    fn containers_path(&mut self) -> Step {
        let typed = match self.p.path(
            "Path to the factory's containers.git checkout",
            Some("scanned now, and remembered for this factory"),
        ) {
            Ok(typed) => typed,
            Err(PromptError::Back) => {
                self.nav(Nav::Back);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.send(Action::Answer(Input::Containers, typed));
        self.nav(Nav::Choose);
        if self.state.containers_input.is_some() {
            // Nothing given: back to the menu.
            self.nav(Nav::Back);
        }
        for (mark, line) in crate::wizard::flow::scan_lines(&self.state) {
            self.say(&format!("{}{line}", mark.prefix()));
        }
        Ok(())
    }

    fn provider(&mut self) -> Step {
        let options: Vec<Choice> = Provider::ALL
            .iter()
            .map(|p| Choice::new(format!("{} — {}", p.title(), p.blurb())))
            .collect();
        let i = self.choose("Which kind of registry should CI pull from?", &options)?;
        self.send(Action::Select(i));
        Ok(())
    }

    /// The Registry screen's fields one by one (Esc goes back a field), then its check.
    fn registry(&mut self) -> Step {
        let Some(form) = &self.state.registry else {
            return Err(PromptError::Back);
        };
        let p = form.provider;
        let kinds: Vec<_> = form.fields.iter().map(|f| f.kind).collect();
        let mut at = 0;
        while let Some(&kind) = kinds.get(at) {
            let current = self
                .state
                .registry
                .as_ref()
                .map(|f| f.text(kind).to_string())
                .unwrap_or_default();
            // A refused value is not offered again: Enter would only give it back.
            let refused = self
                .state
                .registry
                .as_ref()
                .is_some_and(|f| f.field_error(kind).is_some());
            let default = (!current.is_empty() && !refused).then_some(current.as_str());
            match self
                .p
                .text(field_label(p, kind), default, Some(field_help(p, kind)))
            {
                Ok(text) => {
                    // Enter on the value shown is no edit: the region and the secret name go on
                    // following the url, as in the full-screen wizard.
                    if text != current {
                        self.send(Action::Answer(Input::Registry(kind), text));
                    }
                    let error = self
                        .state
                        .registry
                        .as_ref()
                        .and_then(|f| f.field_error(kind));
                    match error {
                        Some(why) => self.say(&format!("✗ {why}")),
                        None => at += 1,
                    }
                }
                Err(PromptError::Back) if at > 0 => at -= 1,
                Err(e) => return Err(e),
            }
        }
        self.nav(Nav::Choose);
        if let Some(why) = self
            .state
            .registry
            .as_ref()
            .and_then(|f| f.plan_error.clone())
            && self.state.screen == Screen::Registry
        {
            self.say(&format!("✗ {why}"));
        }
        Ok(())
    }

    /// Rotate and remove: the configured entries, the refused ones with the core's reason.
    fn pick(&mut self) -> Step {
        let entries = self.state.entries();
        let options: Vec<Choice> = entries
            .iter()
            .map(|e| {
                let secret = e
                    .secret_name
                    .as_deref()
                    .map_or("no secret name".to_string(), |n| format!("secret {n}"));
                Choice::maybe(
                    format!("{} ({}, {secret})", e.label(), e.place()),
                    e.disabled(),
                )
            })
            .collect();
        let remove = self.state.flow == Flow::Remove;
        let question = if remove {
            "Which registry should be removed?"
        } else {
            "Which registry gets new credentials?"
        };
        let i = self.choose(question, &options)?;
        if !remove {
            self.send(Action::Select(i));
            return Ok(());
        }
        self.send(Action::Cursor(i));
        if let Some(name) = entries.get(i).and_then(|e| e.secret_name.clone()) {
            let target = if self.state.several.is_some() {
                "each factory".to_string()
            } else {
                self.state.ctx.target().name()
            };
            let delete = match self.p.confirm(
                &format!("Also delete its secret {name} from {target}?"),
                false,
            ) {
                Ok(delete) => delete,
                // Esc: back to the list, one question.
                Err(PromptError::Back) => return Ok(()),
                Err(e) => return Err(e),
            };
            self.send(Action::Check(Checkbox::DeleteSecret, delete));
        }
        self.nav(Nav::Choose);
        if self.state.screen == Screen::Pick
            && let Some(why) = self.state.pick.error.clone()
        {
            self.say(&format!("✗ {why}"));
        }
        Ok(())
    }

    fn credentials(&mut self) -> Step {
        let Some(creds) = &self.state.creds else {
            return Err(PromptError::Back);
        };
        let provider = creds.provider;
        match &creds.kind {
            CredsKind::Aws { .. } => self.aws_profile()?,
            CredsKind::UserToken { .. } => self.user_token(provider)?,
            CredsKind::KeyFile { new_account, .. } if new_account.editing => {
                self.new_gar_account()?
            }
            CredsKind::KeyFile { .. }
                if self.state.creates_identities() && !self.key_file_chosen =>
            {
                let options = [
                    Choice::new("Use an existing service-account JSON key file"),
                    Choice::new(NEW_GAR_ACCOUNT_LABEL),
                ];
                if self.choose("How does CI get its Google Cloud key?", &options)? == 1 {
                    // Opens the new account's fields (with their defaults), then asks them.
                    self.nav(Nav::Down);
                    self.nav(Nav::Choose);
                    self.new_gar_account()?;
                } else {
                    // The path is asked next (and again after a refusal); Up leaves the
                    // "create" item if an earlier answer chose it.
                    self.nav(Nav::Up);
                    self.key_file_chosen = true;
                    return Ok(());
                }
            }
            CredsKind::KeyFile { .. } => match self.key_file_across() {
                // Esc at the path: back to the choice (when adding).
                Err(PromptError::Back) if self.key_file_chosen => {
                    self.key_file_chosen = false;
                    return Ok(());
                }
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err(e),
            },
        }
        self.nav(Nav::Choose);
        if self.state.screen == Screen::Credentials
            && let Some(why) = self.state.creds.as_ref().and_then(|c| c.error.clone())
        {
            self.say(&format!("✗ {why}"));
        }
        Ok(())
    }

    /// The key file's path; across factories, first why no service account is offered.
    fn key_file_across(&mut self) -> Result<bool, PromptError> {
        if let Some(why) = self.state.no_identity_reason() {
            self.say(why);
        }
        self.key_file()
    }

    fn aws_profile(&mut self) -> Step {
        let create = self.state.creates_identities();
        if let Some(why) = self.state.no_identity_reason() {
            self.say(why);
        }
        if let Some(CredsKind::Aws { new_user, .. }) = self.state.creds.as_ref().map(|c| &c.kind)
            && new_user.editing
        {
            return self.new_aws_user();
        }
        let list = match &self.state.profiles {
            Profiles::Loaded(list) if !list.is_empty() => list.clone(),
            Profiles::Failed(why) => {
                let why = why.clone();
                self.say(&format!("✗ {why}"));
                if !create {
                    return Err(PromptError::Back);
                }
                Vec::new()
            }
            _ => {
                self.say("✗ no AWS profiles were found");
                if !create {
                    return Err(PromptError::Back);
                }
                Vec::new()
            }
        };
        self.say(
            "CI gets only the chosen profile's two keys, stored as [default]: never your other \
             profiles.",
        );
        let mut options: Vec<Choice> = list
            .iter()
            .map(|pi| {
                let mut label = match &pi.access_key_id_masked {
                    Some(id) => format!("{} ({id})", pi.name),
                    None => pi.name.clone(),
                };
                if pi.looks_personal {
                    label.push_str(" — looks personal: prefer a pull-only IAM user");
                }
                Choice::maybe(label, profile_disabled_reason(pi))
            })
            .collect();
        if create {
            options.push(Choice::new(NEW_AWS_USER_LABEL));
        }
        let i = self.choose("Which AWS profile should CI use?", &options)?;
        if create && i == list.len() {
            // Opens the new user's fields (with their defaults), then asks them.
            self.send(Action::Select(i));
            return self.new_aws_user();
        }
        self.send(Action::Cursor(i));
        Ok(())
    }

    /// AWS: the new IAM user's name and the admin profile (Esc goes back a question; from the
    /// first, back to the profiles).
    fn new_aws_user(&mut self) -> Step {
        let mut at = 0;
        while at < 2 {
            let (user, admin) = match self.state.creds.as_ref().map(|c| &c.kind) {
                Some(CredsKind::Aws { new_user, .. }) => (
                    new_user.user.value().to_string(),
                    new_user.admin.value().to_string(),
                ),
                _ => return Err(PromptError::Back),
            };
            let answer = if at == 0 {
                self.p
                    .text(
                        "Name of the new IAM user",
                        (!user.is_empty()).then_some(user.as_str()),
                        Some("created with pull permissions only; an existing user is reused only after the review says so"),
                    )
                    .map(|t| Action::Answer(Input::NewUser, t))
            } else {
                self.p
                    .text(
                        "Your admin AWS profile that creates it",
                        (!admin.is_empty()).then_some(admin.as_str()),
                        Some("your own aws login (SSO and MFA work); empty: AWS_PROFILE, else the AWS CLI's default"),
                    )
                    .map(|t| Action::Answer(Input::AdminProfile, t))
            };
            match answer {
                Ok(action) => {
                    self.send(action);
                    at += 1;
                }
                Err(PromptError::Back) if at > 0 => at -= 1,
                Err(e) => return Err(e),
            }
        }
        self.say("Asking AWS who you are and whether the user exists (nothing is created yet) ...");
        Ok(())
    }

    /// GAR: the new service account's name, project, location and repository (Esc goes back a
    /// question; from the first, back to the choice of a key file or a new account).
    fn new_gar_account(&mut self) -> Step {
        let questions = [
            (
                Input::ServiceAccount,
                "Name of the new service account",
                "6-30 lowercase letters, digits or hyphens; an existing account is reused only \
                 after the review says so",
            ),
            (
                Input::GcpProject,
                "Its Google Cloud project (the repository's)",
                "the project id, e.g. acme-prod-1",
            ),
            (
                Input::GarLocation,
                "The repository's location",
                "e.g. europe-west1 (the LOCATION of LOCATION-docker.pkg.dev)",
            ),
            (
                Input::GarRepository,
                "The one repository it may read",
                "it gets roles/artifactregistry.reader on this repository only",
            ),
        ];
        let mut at = 0;
        while at < questions.len() {
            let value = match self.state.creds.as_ref().map(|c| &c.kind) {
                Some(CredsKind::KeyFile { new_account: f, .. }) => match at {
                    0 => f.name.value().to_string(),
                    1 => f.project.value().to_string(),
                    2 => f.location.value().to_string(),
                    _ => f.repository.value().to_string(),
                },
                _ => return Err(PromptError::Back),
            };
            let (input, question, help) = questions[at];
            match self.p.text(
                question,
                (!value.is_empty()).then_some(value.as_str()),
                Some(help),
            ) {
                Ok(text) => {
                    self.send(Action::Answer(input, text));
                    at += 1;
                }
                Err(PromptError::Back) if at > 0 => at -= 1,
                Err(e) => return Err(e),
            }
        }
        self.say(
            "Asking Google Cloud about the project and the repository (nothing is created yet) ...",
        );
        Ok(())
    }

    /// The user, the remembered password (when the keyring holds one), the password and the
    /// remember box; Esc goes back one question (from the first: the previous screen).
    fn user_token(&mut self, provider: Provider) -> Step {
        let kind = UserTokenKind::of(provider);
        let user_q = match kind {
            UserTokenKind::AzurePrincipal => "Service principal id (the application / client id)",
            UserTokenKind::Generic => "User name",
        };
        let noun = kind.password_noun();
        let keys = self.state.ctx.keyring.clone();
        let mut question = format!("{noun} (hidden: nothing is shown as you type)");
        if let Some(first) = question.get(..1) {
            question.replace_range(..1, &first.to_uppercase());
        }
        let mut at = 0;
        loop {
            let (user, account, held, using) = match self.state.creds.as_ref().map(|c| &c.kind) {
                Some(CredsKind::UserToken { user, keyring, .. }) => (
                    user.value().to_string(),
                    keyring.account.clone(),
                    keyring.held_account().map(str::to_string),
                    keyring.use_remembered && keyring.held == Some(true),
                ),
                _ => return Err(PromptError::Back),
            };
            let answer = match at {
                0 => self
                    .p
                    .text(user_q, (!user.is_empty()).then_some(user.as_str()), None)
                    .map(|typed| Action::Answer(Input::User, typed)),
                1 => match &held {
                    Some(acct) => self
                        .p
                        .confirm(
                            &format!("Use the remembered {noun} for {acct} ({keys})?"),
                            true,
                        )
                        .map(|on| Action::Check(Checkbox::UseRemembered, on)),
                    None => Ok(Action::Check(Checkbox::UseRemembered, false)),
                },
                2 if using => return Ok(()),
                2 => self.p.password(&question).map(Action::Password),
                3 => match &account {
                    Some(acct) => self
                        .p
                        .confirm(
                            &format!("Remember the {noun} in the OS keyring ({keys}) for {acct}?"),
                            false,
                        )
                        .map(|on| Action::Check(Checkbox::Remember, on)),
                    None => return Ok(()),
                },
                _ => return Ok(()),
            };
            match answer {
                Ok(action) => {
                    self.send(action);
                    at += 1;
                }
                // Back one question, past the one that was not asked.
                Err(PromptError::Back) if at > 0 => {
                    at = if at == 2 && held.is_none() { 0 } else { at - 1 };
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The key file's path, checked; `false` when it is asked again.
    fn key_file(&mut self) -> Result<bool, PromptError> {
        let typed = self.p.path(
            "Path to the service-account JSON key file",
            Some(
                "Tab completes paths. Create a key with `gcloud iam service-accounts keys create \
                 key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`",
            ),
        )?;
        self.send(Action::Answer(Input::KeyFile, typed));
        let check = match self.state.creds.as_ref().map(|c| &c.kind) {
            Some(CredsKind::KeyFile { check, .. }) => check.clone(),
            _ => return Err(PromptError::Back),
        };
        match check {
            KeyCheck::Valid { email, .. } => {
                self.say(&format!("Service account: {email}"));
                Ok(true)
            }
            KeyCheck::Invalid { error, .. } => {
                self.say(&format!("✗ {error}"));
                Ok(false)
            }
            KeyCheck::Empty | KeyCheck::Checking(_) => {
                self.say("✗ Give the path of the key file.");
                Ok(false)
            }
        }
    }

    /// The login test's result; a failure offers what the TUI's keys offer.
    fn test_login(&mut self) -> Step {
        let Some(login) = &self.state.login else {
            return Err(PromptError::Back);
        };
        let host = login.host.clone();
        let Some(result) = login.result().cloned() else {
            return Err(PromptError::Io("the login test did not finish".into()));
        };
        let why = match &result {
            LoginCheck::Accepted => {
                self.say("✓ accepted");
                self.nav(Nav::Choose);
                return Ok(());
            }
            LoginCheck::NoLogin => {
                self.say(&format!(
                    "! {host} needs no login, so the credentials could not be tested."
                ));
                self.nav(Nav::Choose);
                return Ok(());
            }
            LoginCheck::Failed(why) | LoginCheck::Unreachable(why) => why.clone(),
        };
        self.say(&format!("✗ {why}"));
        let unreachable = result.may_store_anyway();
        if unreachable {
            self.say("The credentials could not be tested.");
            if self.p.confirm("Store them anyway?", false)? {
                self.nav(Nav::FocusNext);
                self.nav(Nav::Choose);
                return Ok(());
            }
        } else {
            self.say("Nothing was stored.");
        }
        let options = [
            Choice::new("Change the credentials"),
            Choice::new("Test again"),
            Choice::new("Quit"),
        ];
        match self.choose("What now?", &options)? {
            0 => self.nav(Nav::Back),
            1 => self.nav(Nav::Retry),
            _ => self.nav(Nav::Quit),
        }
        Ok(())
    }

    /// The plan, the commit offer and the one confirmation; "No" ends the run unapplied.
    fn review(&mut self) -> Step {
        let Some(review) = &self.state.review else {
            return Err(PromptError::Back);
        };
        let plan = std::sync::Arc::clone(&review.plan);
        let ctx = self.state.ctx.clone();
        let tested = review.login.is_some();
        let cloud = review
            .cloud
            .as_ref()
            .map(|c| std::sync::Arc::clone(&c.plan));
        let kept = review.source.kept_note(&ctx.keyring);
        let blocked = store_blocks(&ctx, review);
        let commit_off = matches!(review.commit, CommitState::Off);
        if !self.review_shown {
            self.review_shown = true;
            self.say("");
            if let Some(note) = kept {
                self.say(&note);
            }
            if let Some(cloud) = &cloud {
                self.say(&crate::wizard::flow::new_key_login_note(
                    cloud,
                    ctx.verify.is_some(),
                ));
                self.say(cloud.render().trim_end());
            } else if !tested
                && crate::wizard::flow::plan_needs_login_test(&plan)
                && let Some(why) = ctx.login_skipped()
            {
                self.say(&format!("Login test skipped ({why})."));
            }
            // Escaped by render itself, before the diff's colours; across factories the plan
            // for all.
            let text = match self.state.review.as_ref().and_then(|r| r.batch.as_ref()) {
                Some(batch) => batch.render(self.p.color()),
                None => plan.render(self.p.color()),
            };
            self.p.say(text.trim_end());
            self.say("");
        }
        let config_name = plan.config_name();
        // Applying takes the plan: no copy may be held past here.
        drop(plan);
        if blocked {
            let why = ctx.store_error.clone().unwrap_or_default();
            self.say(&format!("Applying is impossible: {why}"));
            self.nav(Nav::Quit);
            return Ok(());
        }
        if commit_off
            && !self.commit_asked
            && let Some(checkout) = &ctx.checkout
        {
            let question = format!(
                "Commit {config_name} on {} after applying?",
                checkout.branch
            );
            if self.p.confirm(&question, false)? {
                self.send(Action::Check(Checkbox::Commit, true));
                match self.state.review.as_ref().map(|r| r.commit.clone()) {
                    Some(CommitState::Refused(why)) => {
                        self.say(&format!("✗ {why}"));
                        self.send(Action::Check(Checkbox::Commit, false));
                        return Ok(());
                    }
                    Some(CommitState::On(c)) => {
                        self.say(&crate::wizard::flow::commit_step(&c));
                        self.commit_asked = true;
                    }
                    _ => {}
                }
            } else {
                self.commit_asked = true;
            }
        }
        if !self.p.confirm("Apply this plan?", false)? {
            self.nav(Nav::Quit);
            return Ok(());
        }
        if self.state.review.as_ref().map(|r| r.focus) != Some(ReviewFocus::Apply) {
            self.nav(Nav::FocusNext);
        }
        self.nav(Nav::Choose);
        Ok(())
    }

    /// The report, and the same change as a command line.
    fn done(&mut self) -> anyhow::Result<Outcome> {
        let outcome = report::outcome(&self.state);
        if let Some(text) = report::closing(&self.state, &outcome) {
            self.say("");
            self.say(text.trim_end());
        }
        outcome
    }
}

pub struct InquirePrompter;

mod real {
    use super::{Choice, PromptError, Prompter};
    use inquire::autocompletion::{Autocomplete, Replacement};
    use inquire::ui::RenderConfig;
    use inquire::{Confirm, CustomUserError, InquireError, Select, Text};
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

    impl Autocomplete for PathCompleter {
        fn get_suggestions(&mut self, _input: &str) -> Result<Vec<String>, CustomUserError> {
            Ok(Vec::new())
        }

        /// The TUI's completion (crate::wizard::effects::complete_path): as far as it is
        /// unambiguous, like a shell.
        fn get_completion(
            &mut self,
            input: &str,
            highlighted: Option<String>,
        ) -> Result<Replacement, CustomUserError> {
            if highlighted.is_some() {
                return Ok(highlighted);
            }
            let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
            let (completed, _) = crate::wizard::effects::complete_path(input, home.as_deref());
            Ok((completed != input).then_some(completed))
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

        /// The one hidden prompt (crate::term::prompt_hidden): echo off before the prompt is
        /// shown, Ctrl-C restores the terminal; Esc then Enter goes back.
        fn password(&mut self, question: &str) -> Result<SecretString, PromptError> {
            match crate::term::prompt_hidden(&format!("? {question} (Esc Enter: back) ")) {
                Ok(typed) if typed.starts_with('\x1b') => {
                    let mut typed = typed;
                    zeroize::Zeroize::zeroize(&mut typed);
                    Err(PromptError::Back)
                }
                Ok(typed) => Ok(SecretString::from(typed)),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    Err(PromptError::Interrupted)
                }
                Err(e) => Err(PromptError::Io(e.to_string())),
            }
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
            crate::term::color_stdout()
        }
    }
}

#[cfg(test)]
#[path = "plain_tests.rs"]
mod tests;
