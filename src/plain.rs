//! The line-prompt wizard (`fioreg --plain`, and automatically with `TERM=dumb`): the wizard's
//! flow ([`crate::wizard`]) one question at a time, for screen readers and simple terminals.
//!
//! Nothing here decides what comes next: the loop asks the current screen's questions through a
//! [`Prompter`], sends each answer to [`update`] as an [`Action`], runs the effects with the same
//! [`Runner`] as the full-screen wizard (waiting for their results instead of drawing a
//! spinner), and prints what the state says. Every question goes through a [`Prompter`], so the
//! whole loop runs in unit tests with a scripted fake.

use crate::factory_config::lint::Severity;
use crate::session::Session;
pub use crate::wizard::ask::Choice;
use crate::wizard::ask::{self, Kind, Next, Question, Reply};
use crate::wizard::effects::Runner;
use crate::wizard::flow::Verifier;
use crate::wizard::report::{self, Exit, Outcome, progress_label};
use crate::wizard::state::{Context, Screen, Secrets, State};
use crate::wizard::{Action, Effect, Nav, init, update};
use secrecy::SecretString;
use std::sync::mpsc::{self, Receiver};

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
}

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
            Action::Progress(step) => self.applying(*step),
            Action::Applied(Err(_)) | Action::CloudApplied(Err(_)) => self.p.say("failed"),
            Action::FleetRow(_, row) => self.say(&row.progress_line()),
            Action::CloudStep(step) => self.cloud_step(step),
            _ => {}
        }
        update(&mut self.state, action)
    }

    /// A step of applying the plan under review: what starts, or that it is done.
    fn applying(&mut self, step: crate::plan::Progress) {
        let label = self
            .state
            .review
            .as_ref()
            .and_then(|r| progress_label(step, &r.plan, self.state.ctx.target()));
        match label {
            Some(label) => self.p.progress(&format!("{label} ... ")),
            None => self.p.say("done"),
        }
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
            Step::Apply(p) => self.applying(*p),
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

    /// The loop: whatever the wizard says comes next, asked, said or sent.
    fn run(&mut self) -> anyhow::Result<Outcome> {
        let mut cur = ask::Cursor::default();
        loop {
            let question = match ask::next(&self.state, &mut cur) {
                Next::End if self.state.screen == Screen::Done && !self.state.quit => {
                    return self.done();
                }
                Next::End => return report::outcome(&self.state),
                Next::Say(lines) => {
                    for line in lines {
                        self.say(&line);
                    }
                    continue;
                }
                // Escaped by render itself, before the diff's colours.
                Next::Show(text) => {
                    self.p.say(&text);
                    continue;
                }
                Next::Go(actions) => {
                    for action in actions {
                        self.send(action);
                    }
                    continue;
                }
                Next::Ask(q) => q,
            };
            let actions = match self.ask(&question) {
                Ok(reply) => ask::answer(&self.state, &mut cur, &question, reply),
                Err(PromptError::Back) => ask::back(&mut cur, &question),
                Err(PromptError::Interrupted) => {
                    self.nav(Nav::Interrupt);
                    return report::outcome(&self.state);
                }
                Err(PromptError::Io(e)) => return Err(anyhow::anyhow!(e)),
            };
            for action in actions {
                self.send(action);
            }
        }
    }

    /// One question through the prompter.
    fn ask(&mut self, q: &Question) -> Result<Reply, PromptError> {
        match &q.kind {
            Kind::Select(options) => self.choose(&q.prompt, options).map(Reply::Index),
            Kind::Text { default } => self
                .p
                .text(&q.prompt, default.as_deref(), q.help)
                .map(Reply::Text),
            Kind::Path => self.p.path(&q.prompt, q.help).map(Reply::Text),
            Kind::Secret => self.p.password(&q.prompt).map(Reply::Secret),
            Kind::Confirm { default } => self.p.confirm(&q.prompt, *default).map(Reply::Yes),
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
        let plain = !crate::term::colors_allowed();
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
