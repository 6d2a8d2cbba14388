//! The wizard's logic: `update(state, event)` changes the state and names the effect to run.
//!
//! Nothing here touches the terminal, the filesystem or fioctl: effects ([`Effect`]) are run by
//! [`super::effects`] and come back as events. Every rule (urls, regions, secret names, the plan's
//! refusals) is the core's: this module only calls it.

use super::state::{
    ApplyRun, CommitState, CredsForm, CredsKind, Edit, FieldKind, Flow, KeyCheck, LoginCheck,
    LoginFocus, LoginStatus, LoginTest, Pick, PlanSource, Profiles, RegistryForm, Review,
    ReviewFocus, Screen, Secrets, StartAction, State, StepStatus, UserTokenFocus,
    profile_disabled_reason,
};
use crate::credentials::aws::ProfileInfo;
use crate::factory_config::diff;
use crate::plan::{Action as PlanAction, Applied, CommitPlan, Plan, Progress, SecretOp};
use crate::provider::Provider;
use crate::secret::Secret;
use crate::verify::{Outcome, VerifyError, VerifyOptions};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;

/// What a front end asks for on the current screen; the TUI binds keys to these, the line prompts
/// send them as the answers come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Up,
    Down,
    PageUp,
    PageDown,
    /// Enter: choose, continue, press the focused button.
    Choose,
    Back,
    Quit,
    /// Ctrl-C: leave at once (the wizard ends as interrupted).
    Interrupt,
    NextField,
    PrevField,
    /// Tab in the key-file field.
    Complete,
    /// Move the focus between the Review buttons.
    FocusNext,
    FocusPrev,
    /// Space: flip the checkbox (the focused one, or the screen's only one).
    Toggle,
    /// Run the login test again.
    Retry,
}

/// A text field that can be answered as a whole ([`Action::Answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A field of the Registry screen.
    Registry(FieldKind),
    /// The user name or client id.
    User,
    /// The service-account key file's path.
    KeyFile,
}

/// A checkbox ([`Action::Check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkbox {
    /// Remove: delete the entry's secret too.
    DeleteSecret,
    /// Use the password kept in the OS keyring.
    UseRemembered,
    /// Keep the typed password in the OS keyring.
    Remember,
    /// Commit factory-config.yml after applying.
    Commit,
}

/// Something that happened: a front end's request, a tick of the clock, or an effect's result.
#[derive(Debug)]
pub enum Action {
    Nav(Nav),
    /// Typing in the focused text field.
    Edit(Edit),
    /// A whole answer at once (the line prompts): the option at this index on a list screen
    /// (Start, Provider, Pick, the AWS profiles), chosen as Enter would.
    Select(usize),
    /// The cursor of the current list screen onto the option at this index, without choosing.
    Cursor(usize),
    /// A whole answer at once: the text of a field of the current screen.
    Answer(Input, String),
    /// A whole hidden answer at once: the password or token.
    Password(SecretString),
    /// A checkbox set to a value (remove's secret, the keyring boxes, the commit box).
    Check(Checkbox, bool),
    /// About ten times a second, for the spinner.
    Tick,
    Resize(u16, u16),
    SecretsListed(Result<Vec<String>, String>),
    ProfilesLoaded(Result<Vec<ProfileInfo>, String>),
    /// The check of the key file at `path` (as typed): the service account's email, or why not.
    KeyFileChecked {
        path: String,
        result: Result<String, String>,
    },
    /// Tab completion of `input`: the completed text and, when ambiguous, the candidates.
    PathCompleted {
        input: String,
        completed: String,
        candidates: Vec<String>,
    },
    /// The plan built from the answers and the credentials read, or why it could not be.
    PlanBuilt {
        source: PlanSource,
        result: Result<Arc<Plan>, String>,
    },
    /// Whether the key store holds a password for `account` (`false` also when it cannot say).
    KeyringChecked {
        account: String,
        held: bool,
    },
    /// What `Plan::with_commit` gave for the plan under review, or its refusal.
    CommitChecked(Result<CommitPlan, String>),
    /// What the login test numbered `run` found (`crate::verify::verify`'s own result).
    LoginTested {
        run: u64,
        result: Result<Outcome, VerifyError>,
    },
    Progress(Progress),
    /// Deleting the secret (remove with its secret): started (`Running`) or done.
    Applied(Result<Applied, super::state::ApplyFailure>),
    /// The settings after a successful add: saved (`true`), nothing to save, or why not.
    SettingsSaved(Result<bool, String>),
}

/// Work for the outside world; its result comes back as an [`Action`].
#[derive(Debug)]
pub enum Effect {
    None,
    /// `store.list()`, on a background thread.
    ListSecrets,
    /// `aws::list_profiles`.
    LoadProfiles,
    /// `gcp::key_file` on the path as typed, `~` expanded.
    CheckKeyFile {
        typed: String,
        path: PathBuf,
    },
    /// Complete the path as typed from the filesystem.
    CompletePath(String),
    /// Read the credentials (`Answers::secret`, the remembered password if asked), build the
    /// plan, then keep the password in the keyring if asked.
    BuildPlan(PlanSource),
    /// Whether the key store holds a password for this account, on a background thread.
    CheckKeyring(String),
    /// `Plan::with_commit` for a plan like the one under review, on a background thread.
    CheckCommit(PlanSource),
    /// The login test of the plan's secret (`crate::verify::verify` with the plan's provider,
    /// url and region), on a background thread; reported as [`Action::LoginTested`] with `run`.
    TestLogin {
        run: u64,
        plan: Arc<Plan>,
        opts: VerifyOptions,
    },
    /// `plan.apply_with_progress` on a background thread.
    Apply(Arc<Plan>),
    /// Record the choices of a successful add in the settings (real sessions only).
    RememberChoices(Arc<Plan>),
}

/// The effect the first state needs (listing secrets), if any.
pub fn init(state: &State) -> Effect {
    match state.secrets {
        Secrets::Loading => Effect::ListSecrets,
        _ => Effect::None,
    }
}

/// Applies `event` to `state`; returns the effect to run.
pub fn update(state: &mut State, event: Action) -> Effect {
    match event {
        Action::Nav(nav) => on_action(state, nav),
        Action::Edit(edit) => on_typing(state, edit),
        Action::Select(i) => select(state, i),
        Action::Cursor(i) => {
            match state.screen {
                Screen::Start => state.start_cursor = i,
                Screen::Provider => state.provider_cursor = i,
                Screen::Pick => {
                    state.pick.cursor = i;
                    check_remove(state);
                }
                Screen::Credentials => {
                    if let Some(CredsKind::Aws { cursor }) =
                        state.creds.as_mut().map(|c| &mut c.kind)
                    {
                        *cursor = i;
                    }
                }
                _ => {}
            }
            Effect::None
        }
        Action::Answer(field, text) => answer(state, field, text),
        Action::Password(secret) => {
            if let Some(CredsKind::UserToken { password, .. }) =
                state.creds.as_mut().map(|c| &mut c.kind)
            {
                password.set(secret);
            }
            Effect::None
        }
        Action::Check(which, on) => check(state, which, on),
        Action::Tick => {
            state.tick = state.tick.wrapping_add(1);
            Effect::None
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            clamp_review_scroll(state);
            Effect::None
        }
        Action::SecretsListed(result) => {
            state.secrets = match result {
                Ok(names) => Secrets::Loaded(names),
                Err(e) => Secrets::Failed(e),
            };
            Effect::None
        }
        Action::ProfilesLoaded(result) => {
            state.profiles = match result {
                Ok(list) => Profiles::Loaded(list),
                Err(e) => Profiles::Failed(e),
            };
            if let (Profiles::Loaded(list), Some(creds)) = (&state.profiles, &mut state.creds)
                && let CredsKind::Aws { cursor } = &mut creds.kind
            {
                *cursor = default_profile(list);
            }
            Effect::None
        }
        Action::KeyFileChecked { path, result } => {
            if let Some(CredsKind::KeyFile {
                path: input, check, ..
            }) = state.creds.as_mut().map(|c| &mut c.kind)
                && input.value().trim() == path
            {
                *check = match result {
                    Ok(email) => KeyCheck::Valid { path, email },
                    Err(error) => KeyCheck::Invalid { path, error },
                };
            }
            Effect::None
        }
        Action::PathCompleted {
            input,
            completed,
            candidates,
        } => {
            let home = state.ctx.home.clone();
            if let Some(creds) = state.creds.as_mut()
                && let CredsKind::KeyFile {
                    path,
                    candidates: shown,
                    ..
                } = &mut creds.kind
                && path.value() == input
            {
                *shown = candidates;
                if completed != input {
                    path.set(completed);
                    creds.error = None;
                    return check_key_file(creds, home.as_deref());
                }
            }
            Effect::None
        }
        Action::PlanBuilt { source, result } => {
            if state.screen != Screen::Credentials {
                return Effect::None;
            }
            match result {
                Ok(plan) => return test_login_or_review(state, plan, source),
                Err(e) => {
                    if let Some(c) = state.creds.as_mut() {
                        c.error = Some(e);
                    }
                }
            }
            Effect::None
        }
        Action::LoginTested { run, result } => {
            if state.screen == Screen::TestLogin
                && let Some(login) = state.login.as_mut()
                && login.run == run
            {
                login.status = LoginStatus::Done(LoginCheck::of(result));
                login.focus = LoginFocus::Back;
            }
            Effect::None
        }
        Action::KeyringChecked { account, held } => {
            if let Some(CredsKind::UserToken { keyring, focus, .. }) =
                state.creds.as_mut().map(|c| &mut c.kind)
                && keyring.account.as_deref() == Some(account.as_str())
            {
                keyring.held = Some(held);
                if !keyring.items().contains(focus) {
                    *focus = UserTokenFocus::User;
                }
            }
            Effect::None
        }
        Action::CommitChecked(result) => {
            if let Some(review) = state.review.as_mut()
                && matches!(review.commit, CommitState::Checking)
            {
                review.commit = match result {
                    Ok(c) => CommitState::On(c),
                    Err(e) => CommitState::Refused(e),
                };
                // The plan ends with the commit step or the refusal: scroll it into view (the
                // front end clamps it to its page).
                review.scroll = usize::MAX;
            }
            Effect::None
        }
        Action::Progress(p) => {
            if let Some(run) = state.apply.as_mut() {
                match p {
                    Progress::StoringSecret => run.store = Some(StepStatus::Running),
                    Progress::SecretStored => run.store = Some(StepStatus::Done),
                    Progress::WritingConfig => run.write = Some(StepStatus::Running),
                    Progress::ConfigWritten => run.write = Some(StepStatus::Done),
                    Progress::DeletingSecret => run.delete = Some(StepStatus::Running),
                    Progress::SecretDeleted => run.delete = Some(StepStatus::Done),
                    // The commit step covers a push too.
                    Progress::Committing | Progress::Pushing => {
                        run.commit = Some(StepStatus::Running)
                    }
                    Progress::Committed | Progress::Pushed => run.commit = Some(StepStatus::Done),
                }
            }
            Effect::None
        }
        Action::Applied(result) => {
            let Some(run) = state.apply.as_mut() else {
                return Effect::None;
            };
            let steps = [
                &mut run.store,
                &mut run.write,
                &mut run.delete,
                &mut run.commit,
            ];
            for step in steps.into_iter().flatten() {
                *step = match (*step, result.is_ok()) {
                    (_, true) => StepStatus::Done,
                    (StepStatus::Running, false) => StepStatus::Failed,
                    (other, false) => other,
                };
            }
            let ok = result.is_ok();
            run.result = Some(result);
            state.scroll = 0;
            if !ok {
                return Effect::None;
            }
            state.screen = Screen::Done;
            match state.review.as_ref().map(|r| &r.plan) {
                // A successful add leaves its choices in the settings; never in demo mode.
                Some(plan)
                    if state.ctx.demo.is_none()
                        && matches!(plan.action, PlanAction::Add | PlanAction::Update { .. }) =>
                {
                    Effect::RememberChoices(Arc::clone(plan))
                }
                _ => Effect::None,
            }
        }
        Action::SettingsSaved(result) => {
            state.settings_warning = result.err();
            Effect::None
        }
    }
}

/// A plan that stores credentials gets its login test first (unless the session skips it);
/// any other goes straight to the review.
fn test_login_or_review(state: &mut State, plan: Arc<Plan>, source: PlanSource) -> Effect {
    let Some(opts) = state.ctx.verify.clone() else {
        show_review(state, plan, source, None);
        return Effect::None;
    };
    if !crate::wizard::flow::plan_needs_login_test(&plan) {
        show_review(state, plan, source, None);
        return Effect::None;
    }
    state.login_runs += 1;
    let run = state.login_runs;
    state.login = Some(LoginTest {
        host: crate::wizard::flow::login_host(&plan),
        pending: Some((Arc::clone(&plan), source)),
        run,
        status: LoginStatus::Running,
        focus: LoginFocus::Back,
    });
    state.screen = Screen::TestLogin;
    Effect::TestLogin { run, plan, opts }
}

/// The Test login screen: Enter goes on once the test passed (or, for a registry that could
/// not be reached, on "Store anyway"); a failure only goes back or tests again.
fn test_login(state: &mut State, action: Nav) -> Effect {
    let Some(login) = state.login.as_ref() else {
        state.screen = Screen::Credentials;
        return Effect::None;
    };
    let result = login.result().cloned();
    let unreachable = matches!(result, Some(LoginCheck::Unreachable(_)));
    let back_to_credentials = |state: &mut State| {
        // The answers stay on the Credentials screen; a result still to come is dropped.
        state.login = None;
        state.screen = Screen::Credentials;
    };
    match action {
        Nav::Back => back_to_credentials(state),
        Nav::FocusNext | Nav::FocusPrev if unreachable => {
            if let Some(login) = state.login.as_mut() {
                login.focus = match login.focus {
                    LoginFocus::Back => LoginFocus::StoreAnyway,
                    LoginFocus::StoreAnyway => LoginFocus::Back,
                };
            }
        }
        Nav::Retry if result.as_ref().is_some_and(|r| !r.passed()) => {
            let Some(opts) = state.ctx.verify.clone() else {
                return Effect::None;
            };
            state.login_runs += 1;
            let run = state.login_runs;
            let Some(login) = state.login.as_mut() else {
                return Effect::None;
            };
            let Some((plan, _)) = &login.pending else {
                return Effect::None;
            };
            let plan = Arc::clone(plan);
            login.run = run;
            login.status = LoginStatus::Running;
            login.focus = LoginFocus::Back;
            return Effect::TestLogin { run, plan, opts };
        }
        Nav::Choose => {
            let store_anyway = unreachable && login.focus == LoginFocus::StoreAnyway;
            if result.as_ref().is_some_and(LoginCheck::passed) || store_anyway {
                if let Some((plan, source)) = state.login.as_mut().and_then(|l| l.pending.take()) {
                    show_review(state, plan, source, result);
                }
            } else if unreachable {
                back_to_credentials(state);
            }
        }
        _ => {}
    }
    Effect::None
}

/// Shows the plan on the Review screen; the commit box is offered when the file changes and
/// lives in a git work tree. `login`: what the login test found, when it ran.
fn show_review(state: &mut State, plan: Arc<Plan>, source: PlanSource, login: Option<LoginCheck>) {
    let diff = diff::lines(&plan.old_text, &plan.new_text);
    let commit = if state.ctx.checkout.is_some() && plan.new_text != plan.old_text {
        CommitState::Off
    } else {
        CommitState::Unavailable
    };
    state.review = Some(Review {
        plan,
        source,
        diff,
        scroll: 0,
        focus: ReviewFocus::Back,
        commit,
        login,
    });
    state.screen = Screen::Review;
}

fn on_action(state: &mut State, action: Nav) -> Effect {
    if action == Nav::Interrupt {
        state.interrupted = true;
    }
    if matches!(action, Nav::Quit | Nav::Interrupt) {
        match state.apply.as_mut() {
            Some(run) if !run.finished() => run.quit_requested = true,
            _ => state.quit = true,
        }
        return Effect::None;
    }
    match state.screen {
        Screen::Start if state.config.is_err() => {
            scroll(state, action);
            Effect::None
        }
        Screen::Start => start(state, action),
        Screen::Provider => provider(state, action),
        Screen::Registry => registry(state, action),
        Screen::Pick => pick(state, action),
        Screen::Credentials => credentials(state, action),
        Screen::TestLogin => test_login(state, action),
        Screen::Review => review(state, action),
        Screen::Apply => {
            if action == Nav::Back && state.apply.as_ref().is_some_and(ApplyRun::finished) {
                // The failed run is kept: quitting later still reports it.
                state.screen = Screen::Review;
                if let Some(r) = state.review.as_mut() {
                    r.focus = ReviewFocus::Back;
                }
            } else {
                scroll(state, action);
            }
            Effect::None
        }
        Screen::Done => {
            scroll(state, action);
            Effect::None
        }
    }
}

/// [`Action::Select`]: the option at `i` of the current list screen, chosen as Enter would.
fn select(state: &mut State, i: usize) -> Effect {
    match state.screen {
        Screen::Start => state.start_cursor = i,
        Screen::Provider => state.provider_cursor = i,
        Screen::Pick => state.pick.cursor = i,
        Screen::Credentials => match state.creds.as_mut().map(|c| &mut c.kind) {
            Some(CredsKind::Aws { cursor }) => *cursor = i,
            _ => return Effect::None,
        },
        _ => return Effect::None,
    }
    if state.screen == Screen::Pick {
        check_remove(state);
    }
    on_action(state, Nav::Choose)
}

/// [`Action::Answer`]: a field's whole text, with the same consequences as typing it.
fn answer(state: &mut State, input: Input, text: String) -> Effect {
    let home = state.ctx.home.clone();
    match input {
        Input::Registry(kind) => {
            let Some(form) = state.registry.as_mut() else {
                return Effect::None;
            };
            let Some(at) = form.fields.iter().position(|f| f.kind == kind) else {
                return Effect::None;
            };
            let field = &mut form.fields[at];
            field.input.set(text);
            field.touched = true;
            let emptied = field.input.value().trim().is_empty();
            match kind {
                FieldKind::Region => form.region_edited = !emptied,
                FieldKind::SecretName => form.secret_name_edited = !emptied,
                FieldKind::Url => {}
            }
            if kind == FieldKind::Url {
                form.fill_defaults();
            }
            form.plan_error = None;
            Effect::None
        }
        Input::User => {
            if let Some(creds) = state.creds.as_mut()
                && let CredsKind::UserToken { user, .. } = &mut creds.kind
            {
                user.set(text);
                creds.error = None;
            }
            Effect::None
        }
        Input::KeyFile => {
            let Some(creds) = state.creds.as_mut() else {
                return Effect::None;
            };
            let CredsKind::KeyFile { path, .. } = &mut creds.kind else {
                return Effect::None;
            };
            path.set(text);
            creds.error = None;
            check_key_file(creds, home.as_deref())
        }
    }
}

/// [`Action::Check`]: a checkbox set to a value, with the same consequences as toggling it.
fn check(state: &mut State, which: Checkbox, on: bool) -> Effect {
    match which {
        Checkbox::DeleteSecret => {
            if state.flow == Flow::Remove && state.pick.delete_secret != on {
                state.pick.delete_secret = on;
            }
            check_remove(state);
            Effect::None
        }
        Checkbox::UseRemembered | Checkbox::Remember => {
            if let Some(creds) = state.creds.as_mut()
                && let CredsKind::UserToken { keyring, focus, .. } = &mut creds.kind
            {
                if which == Checkbox::Remember {
                    keyring.remember = on;
                } else {
                    keyring.use_remembered = on;
                }
                if !keyring.items().contains(focus) {
                    *focus = UserTokenFocus::User;
                }
                creds.error = None;
            }
            Effect::None
        }
        Checkbox::Commit => {
            let Some(review) = state.review.as_mut() else {
                return Effect::None;
            };
            let is_on = !matches!(review.commit, CommitState::Off | CommitState::Unavailable);
            if is_on == on {
                return Effect::None;
            }
            on_action(state, Nav::Toggle)
        }
    }
}

/// ↑/↓ on the screens that scroll as a whole.
fn scroll(state: &mut State, action: Nav) {
    let max = state.limits.scroll_max;
    state.scroll = match action {
        Nav::Up => state.scroll.saturating_sub(1),
        Nav::Down => (state.scroll + 1).min(max),
        Nav::PageUp => 0,
        Nav::PageDown => max,
        _ => state.scroll,
    };
}

/// Moves a cursor over `len` items, skipping the disabled ones.
fn step_cursor(cursor: usize, len: usize, down: bool, enabled: impl Fn(usize) -> bool) -> usize {
    let mut i = cursor;
    loop {
        let next = if down {
            i + 1
        } else {
            match i.checked_sub(1) {
                Some(n) => n,
                None => return cursor,
            }
        };
        if next >= len {
            return cursor;
        }
        if enabled(next) {
            return next;
        }
        i = next;
    }
}

fn start(state: &mut State, action: Nav) -> Effect {
    let registries = state.config.as_ref().map_or(0, |c| c.registries.len());
    let enabled = |i: usize| StartAction::ALL[i].disabled_reason(registries).is_none();
    match action {
        Nav::Up | Nav::Down => {
            let down = action == Nav::Down;
            let next = step_cursor(state.start_cursor, StartAction::ALL.len(), down, enabled);
            // On a short screen, ↑ past the first action scrolls up to the registries; ↓ comes
            // back down first.
            if !down && next == state.start_cursor {
                state.scroll = (state.scroll + 1).min(state.limits.scroll_max);
            } else if down && state.scroll > 0 {
                state.scroll -= 1;
            } else {
                state.start_cursor = next;
            }
        }
        Nav::Choose => {
            let chosen = StartAction::ALL[state.start_cursor];
            // A disabled action is never reached by the cursor, and never pretends to work.
            if chosen.disabled_reason(registries).is_some() {
                return Effect::None;
            }
            let flow = match chosen {
                StartAction::Add => Flow::Add,
                StartAction::Rotate => Flow::Rotate,
                StartAction::Remove => Flow::Remove,
                StartAction::Quit => {
                    state.quit = true;
                    return Effect::None;
                }
            };
            if flow != state.flow {
                // Another flow starts afresh; the same one keeps its answers.
                state.flow = flow;
                state.pick = Pick::default();
                state.target = None;
                state.review = None;
                state.registry = None;
                state.creds = None;
                state.load_entries();
            }
            state.scroll = 0;
            if flow == Flow::Add {
                state.screen = Screen::Provider;
            } else {
                let entries = state.entries();
                if entries
                    .get(state.pick.cursor)
                    .is_none_or(|e| e.disabled().is_some())
                {
                    state.pick.cursor = entries
                        .iter()
                        .position(|e| e.disabled().is_none())
                        .unwrap_or(0);
                }
                state.screen = Screen::Pick;
            }
        }
        _ => {}
    }
    Effect::None
}

/// The Pick screen: ↑↓ over the entries, Space (remove) for the secret, Enter to go on.
fn pick(state: &mut State, action: Nav) -> Effect {
    let flow = state.flow;
    let entries = state.entries();
    match action {
        Nav::Up | Nav::Down => {
            state.pick.cursor =
                step_cursor(state.pick.cursor, entries.len(), action == Nav::Down, |i| {
                    entries[i].disabled().is_none()
                });
            check_remove(state);
        }
        Nav::Toggle if flow == Flow::Remove => {
            state.pick.delete_secret = !state.pick.delete_secret;
            check_remove(state);
        }
        Nav::Back => {
            state.pick.error = None;
            state.screen = Screen::Start;
        }
        Nav::Choose => {
            let Some(entry) = entries.get(state.pick.cursor) else {
                return Effect::None;
            };
            let Ok(target) = entry.target.clone() else {
                return Effect::None;
            };
            match flow {
                Flow::Remove => {
                    let source = PlanSource::Remove {
                        target,
                        delete_secret: state.pick.delete_secret,
                    };
                    let Ok(cfg) = state.config.as_ref() else {
                        return Effect::None;
                    };
                    match source.build(
                        cfg,
                        crate::wizard::flow::placeholder(),
                        state.ctx.plan_factory.clone(),
                    ) {
                        Ok(plan) => {
                            state.pick.error = None;
                            show_review(state, Arc::new(plan), source, None);
                        }
                        Err(e) => state.pick.error = Some(e.for_wizard()),
                    }
                }
                Flow::Rotate => {
                    let Some(p) = entry.provider else {
                        return Effect::None;
                    };
                    let same = state
                        .target
                        .as_ref()
                        .is_some_and(|t| t.index == entry.index)
                        && state.creds.as_ref().is_some_and(|c| c.provider == p);
                    if !same {
                        state.creds = Some(CredsForm::new(p));
                    }
                    state.target = Some(entry.clone());
                    let account = entry.url.as_deref().map(crate::keystore::account);
                    return enter_credentials(state, account);
                }
                Flow::Add => {}
            }
        }
        _ => {}
    }
    Effect::None
}

/// Remove: what the core says about removing the entry under the cursor with the chosen option
/// (only deleting a secret can be refused), shown at once.
fn check_remove(state: &mut State) {
    state.pick.error = None;
    if state.flow != Flow::Remove || !state.pick.delete_secret {
        return;
    }
    let entries = state.entries();
    let (Ok(cfg), Some(Ok(target))) = (
        state.config.as_ref(),
        entries.get(state.pick.cursor).map(|e| &e.target),
    ) else {
        return;
    };
    if let Err(e) = crate::plan::Plan::remove(cfg, target, true, None) {
        state.pick.error = Some(e.for_wizard());
    }
}

/// On to the Credentials screen: clears the last refusal and starts what the provider needs
/// (reading the AWS profiles, or asking the key store about the registry's password).
fn enter_credentials(state: &mut State, account: Option<String>) -> Effect {
    state.screen = Screen::Credentials;
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    creds.error = None;
    match &mut creds.kind {
        CredsKind::Aws { .. } if matches!(state.profiles, Profiles::NotLoaded) => {
            state.profiles = Profiles::Loading;
            Effect::LoadProfiles
        }
        CredsKind::UserToken { keyring, focus, .. } => {
            if keyring.account != account {
                keyring.account = account;
                keyring.held = None;
                keyring.use_remembered = false;
                keyring.remember = false;
            }
            if !keyring.items().contains(focus) {
                *focus = UserTokenFocus::User;
            }
            match &keyring.account {
                Some(a) => Effect::CheckKeyring(a.clone()),
                None => Effect::None,
            }
        }
        _ => Effect::None,
    }
}

fn provider(state: &mut State, action: Nav) -> Effect {
    let n = Provider::ALL.len();
    match action {
        Nav::Up | Nav::Down => {
            state.provider_cursor =
                step_cursor(state.provider_cursor, n, action == Nav::Down, |_| true);
        }
        Nav::Back => state.screen = Screen::Start,
        Nav::Choose => {
            state.flow = Flow::Add;
            let p = Provider::ALL[state.provider_cursor];
            // The same provider again keeps every earlier answer; another one starts afresh.
            if state.registry.as_ref().map(|r| r.provider) != Some(p) {
                state.registry = Some(RegistryForm::for_config(p, state.config.as_ref().ok()));
                state.creds = None;
            }
            state.screen = Screen::Registry;
        }
        _ => {}
    }
    Effect::None
}

fn registry(state: &mut State, action: Nav) -> Effect {
    let Some(form) = state.registry.as_mut() else {
        state.screen = Screen::Provider;
        return Effect::None;
    };
    let n = form.fields.len();
    match action {
        Nav::NextField => form.focus = (form.focus + 1) % n,
        Nav::PrevField => form.focus = (form.focus + n - 1) % n,
        Nav::Back => state.screen = Screen::Provider,
        Nav::Choose => return submit_registry(state),
        _ => {}
    }
    Effect::None
}

/// Enter on the Registry screen: every field valid, then the plan's own rules with a placeholder
/// secret, before asking for any credential.
fn submit_registry(state: &mut State) -> Effect {
    let (Some(form), Ok(cfg)) = (state.registry.as_mut(), state.config.as_ref()) else {
        return Effect::None;
    };
    for f in &mut form.fields {
        f.touched = true;
    }
    if let Some(bad) = form
        .fields
        .iter()
        .position(|f| form.field_error(f.kind).is_some())
    {
        form.focus = bad;
        return Effect::None;
    }
    let placeholder = Secret::new(Vec::new(), "…");
    match Plan::build(
        cfg,
        &form.request(),
        placeholder,
        state.ctx.plan_factory.clone(),
    ) {
        Err(e) => {
            form.plan_error = Some(e.for_wizard());
            Effect::None
        }
        Ok(_) => {
            form.plan_error = None;
            let p = form.provider;
            let account = form.valid_url().as_deref().map(crate::keystore::account);
            if state.creds.as_ref().map(|c| c.provider) != Some(p) {
                state.creds = Some(CredsForm::new(p));
            }
            enter_credentials(state, account)
        }
    }
}

/// The profile selected first: the first usable one that does not look personal, else the
/// first usable one.
fn default_profile(list: &[ProfileInfo]) -> usize {
    let usable = |p: &&ProfileInfo| profile_disabled_reason(p).is_none();
    list.iter()
        .position(|p| usable(&p) && !p.looks_personal)
        .or_else(|| list.iter().position(|p| usable(&p)))
        .unwrap_or(0)
}

fn credentials(state: &mut State, action: Nav) -> Effect {
    let home = state.ctx.home.clone();
    let back = if state.flow == Flow::Rotate {
        Screen::Pick
    } else {
        Screen::Registry
    };
    let Some(creds) = state.creds.as_mut() else {
        state.screen = back;
        return Effect::None;
    };
    if action == Nav::Back {
        state.screen = back;
        return Effect::None;
    }
    match (&mut creds.kind, action) {
        (CredsKind::Aws { cursor }, Nav::Up | Nav::Down) => {
            if let Profiles::Loaded(list) = &state.profiles {
                *cursor = step_cursor(*cursor, list.len(), action == Nav::Down, |i| {
                    profile_disabled_reason(&list[i]).is_none()
                });
            }
        }
        (CredsKind::UserToken { focus, keyring, .. }, Nav::NextField | Nav::PrevField) => {
            let items = keyring.items();
            let n = items.len();
            let at = items.iter().position(|f| f == focus).unwrap_or(0);
            let next = if action == Nav::NextField {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            *focus = items[next];
        }
        (CredsKind::UserToken { focus, keyring, .. }, Nav::Toggle) => {
            match focus {
                UserTokenFocus::UseRemembered => keyring.use_remembered = !keyring.use_remembered,
                UserTokenFocus::Remember => keyring.remember = !keyring.remember,
                UserTokenFocus::User | UserTokenFocus::Password => {}
            }
            creds.error = None;
        }
        (CredsKind::KeyFile { path, .. }, Nav::Complete) => {
            return Effect::CompletePath(path.value().to_string());
        }
        (_, Nav::Choose) => {
            if let CredsKind::Aws { cursor } = &creds.kind {
                let usable = match &state.profiles {
                    Profiles::Loaded(list) => list
                        .get(*cursor)
                        .is_some_and(|p| profile_disabled_reason(p).is_none()),
                    _ => false,
                };
                if !usable {
                    return Effect::None;
                }
            }
            if let CredsKind::KeyFile { path, check, .. } = &creds.kind {
                // Enter waits for the check of what is typed; the error is already on screen.
                let typed = path.value().trim();
                let checked = matches!(check, KeyCheck::Valid { path, .. } if path == typed);
                if !checked {
                    if typed.is_empty() {
                        creds.error =
                            Some("give the path of the service account's JSON key file".into());
                    } else if matches!(check, KeyCheck::Empty) {
                        return check_key_file(creds, home.as_deref());
                    }
                    return Effect::None;
                }
            }
            creds.error = None;
            let keyring = match &creds.kind {
                CredsKind::UserToken { keyring, .. } => keyring.usage(),
                _ => super::state::KeyringUse::No,
            };
            if let Some(answers) = state.answers() {
                let source = match (state.flow, &state.target) {
                    (Flow::Rotate, Some(t)) => match &t.target {
                        Ok(target) => PlanSource::Rotate {
                            target: target.clone(),
                            answers,
                            keyring,
                        },
                        Err(_) => return Effect::None,
                    },
                    _ => PlanSource::Add { answers, keyring },
                };
                return Effect::BuildPlan(source);
            }
        }
        _ => {}
    }
    Effect::None
}

/// Starts checking the key-file path as typed (stale results are dropped when they arrive).
fn check_key_file(creds: &mut CredsForm, home: Option<&std::path::Path>) -> Effect {
    let CredsKind::KeyFile { path, check, .. } = &mut creds.kind else {
        return Effect::None;
    };
    let typed = path.value().trim().to_string();
    if typed.is_empty() {
        *check = KeyCheck::Empty;
        return Effect::None;
    }
    *check = KeyCheck::Checking(typed.clone());
    let path = super::state::expand_home(&typed, home);
    Effect::CheckKeyFile { typed, path }
}

fn on_typing(state: &mut State, key: Edit) -> Effect {
    let home = state.ctx.home.clone();
    match state.screen {
        Screen::Registry => {
            let Some(form) = state.registry.as_mut() else {
                return Effect::None;
            };
            let focus = form.focus;
            let Some(field) = form.fields.get_mut(focus) else {
                return Effect::None;
            };
            if field.input.edit(key) {
                field.touched = true;
                let kind = field.kind;
                let emptied = field.input.value().is_empty();
                match kind {
                    // An emptied field means the default again (and follows the url).
                    FieldKind::Region => form.region_edited = !emptied,
                    FieldKind::SecretName => form.secret_name_edited = !emptied,
                    FieldKind::Url => {}
                }
                if kind == FieldKind::Url {
                    form.fill_defaults();
                }
                form.plan_error = None;
            }
            Effect::None
        }
        Screen::Credentials => {
            let Some(creds) = state.creds.as_mut() else {
                return Effect::None;
            };
            let changed = match &mut creds.kind {
                CredsKind::UserToken {
                    user,
                    password,
                    focus,
                    ..
                } => match focus {
                    UserTokenFocus::User => user.edit(key),
                    UserTokenFocus::Password => password.edit(key),
                    UserTokenFocus::UseRemembered | UserTokenFocus::Remember => false,
                },
                CredsKind::KeyFile {
                    path, candidates, ..
                } => {
                    let r = path.edit(key);
                    if r {
                        candidates.clear();
                    }
                    r
                }
                CredsKind::Aws { .. } => false,
            };
            if changed {
                creds.error = None;
                return check_key_file(creds, home.as_deref());
            }
            Effect::None
        }
        _ => Effect::None,
    }
}

fn review(state: &mut State, action: Nav) -> Effect {
    let (page, max) = (state.limits.review_page, state.limits.review_max);
    let back = if state.flow == Flow::Remove {
        Screen::Pick
    } else {
        Screen::Credentials
    };
    let Some(review) = state.review.as_mut() else {
        state.screen = back;
        return Effect::None;
    };
    match action {
        Nav::Up => review.scroll = review.scroll.saturating_sub(1),
        Nav::Down => review.scroll = (review.scroll + 1).min(max),
        Nav::PageUp => review.scroll = review.scroll.saturating_sub(page),
        Nav::PageDown => review.scroll = (review.scroll + page).min(max),
        Nav::FocusNext | Nav::FocusPrev => {
            review.focus = match review.focus {
                ReviewFocus::Back => ReviewFocus::Apply,
                ReviewFocus::Apply => ReviewFocus::Back,
            }
        }
        Nav::Toggle => {
            let effect = match &review.commit {
                CommitState::Unavailable => Effect::None,
                CommitState::Off => {
                    review.commit = CommitState::Checking;
                    Effect::CheckCommit(review.source.clone())
                }
                CommitState::Checking | CommitState::On(_) | CommitState::Refused(_) => {
                    review.commit = CommitState::Off;
                    Effect::None
                }
            };
            clamp_review_scroll(state);
            return effect;
        }
        Nav::Back => state.screen = back,
        Nav::Choose => match review.focus {
            ReviewFocus::Back => state.screen = back,
            // Without a store there is nothing to apply with (unless no secret is touched);
            // a refused or unfinished commit check waits too. The screen says why.
            ReviewFocus::Apply
                if super::flow::store_blocks(&state.ctx, review) || review.commit_blocks() => {}
            ReviewFocus::Apply => {
                let commit = match &review.commit {
                    CommitState::On(c) => Some(c.clone()),
                    _ => None,
                };
                // The plan is held only here while it is reviewed.
                let Some(plan) = Arc::get_mut(&mut review.plan) else {
                    review.commit =
                        CommitState::Refused("the plan is still in use; try again".into());
                    return Effect::None;
                };
                plan.commit = commit;
                let plan = Arc::clone(&review.plan);
                let writes = plan.new_text != plan.old_text;
                state.apply = Some(ApplyRun {
                    store: (plan.secret_op == SecretOp::Store).then_some(StepStatus::Pending),
                    write: writes.then_some(StepStatus::Pending),
                    delete: (plan.secret_op == SecretOp::Delete).then_some(StepStatus::Pending),
                    commit: (writes && plan.commit.is_some()).then_some(StepStatus::Pending),
                    result: None,
                    quit_requested: false,
                });
                state.scroll = 0;
                state.screen = Screen::Apply;
                return Effect::Apply(plan);
            }
        },
        _ => {}
    }
    Effect::None
}

fn clamp_review_scroll(state: &mut State) {
    let max = state.limits.review_max;
    if let Some(review) = state.review.as_mut() {
        review.scroll = review.scroll.min(max);
    }
    state.scroll = state.scroll.min(state.limits.scroll_max);
}
