//! The wizard's logic: `update(state, event)` changes the state and names the effect to run.
//!
//! Nothing here touches the terminal, the filesystem or fioctl: effects ([`Effect`]) are run by
//! [`super::effects`] and come back as events. Every rule (urls, regions, secret names, the plan's
//! refusals) is the core's: this module only calls it.

mod cloud;
mod fleet;
mod forms;
mod lists;
mod login;
mod review;

pub use cloud::offers_new_principal;

use cloud::*;
use fleet::*;
use forms::*;
use lists::*;
use login::*;
use review::*;

use super::state::{
    ApplyRun, CommitState, CredsForm, CredsKind, Edit, FieldKind, Fleet, Flow, KeyCheck,
    LoginCheck, LoginFocus, LoginStatus, LoginTest, OneFactory, Pick, PlanSource, Profiles,
    RegistryForm, Review, ReviewFocus, ScanState, Screen, Secrets, Several, StartAction, StartItem,
    State, StepStatus, UserTokenFocus, profile_disabled_reason,
};
use crate::credentials::aws::ProfileInfo;
use crate::factory_config::diff;
use crate::plan::{Action as PlanAction, Applied, CommitPlan, Plan, Progress};
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
    /// The containers.git checkout's path (Start).
    Containers,
    /// AWS: the name of the IAM user to create.
    NewUser,
    /// AWS: the admin profile that creates it.
    AdminProfile,
    /// GAR: the name of the service account to create.
    ServiceAccount,
    /// GAR: its project.
    GcpProject,
    /// GAR: the repository's location.
    GarLocation,
    /// GAR: the one repository it may read.
    GarRepository,
    /// Azure: the name of the service principal (or token) to create.
    AzurePrincipal,
    /// Azure: the repositories a token may read (empty: a principal on the whole registry).
    AcrRepositories,
    /// Azure: the token's expiry in days.
    TokenDays,
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
    /// The remembered factories' overview, or why the settings could not be read.
    FleetLoaded(Result<Vec<crate::fleet::FactoryOverview>, String>),
    /// Several factories: the ones the flows run on, by name, all at once (the line prompts).
    Factories(Vec<String>),
    /// Several factories: the plan for all built from the answers and the credentials read
    /// once, with a copy of its first factory's plan (for the login test), or why not.
    FleetPlanned {
        source: Box<PlanSource>,
        result: Result<(Arc<Plan>, Arc<crate::fleet::Batch>), String>,
    },
    /// Several factories: a factory's part is applied (its index in the batch, its row).
    FleetRow(usize, crate::fleet::summary::Row),
    /// Several factories: applying has ended; every factory's row.
    FleetApplied(Vec<crate::fleet::summary::Row>),
    /// A device-wrap from Start: the file written (or already there), or why not.
    Wrapped(Result<String, String>),
    /// The scan of containers.git: the report, or why it could not be made.
    Scanned(Result<crate::scan::ScanReport, String>),
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
    /// The review of creating `identity` (the cloud's read-only calls) and the plan with a
    /// placeholder secret, or why not.
    CloudPlanned {
        /// Boxed: it would make every action as large as the answers.
        source: Box<PlanSource>,
        identity: NewIdentity,
        result: Result<(Arc<crate::cloud::CloudPlan>, Arc<Plan>), String>,
    },
    /// A step of creating the IAM user, checking its key, storing it and writing the config.
    CloudStep(crate::cloud::apply::Step),
    /// Creating and storing ended: what was applied and created, or why not (what exists).
    CloudApplied(
        Result<(Applied, crate::wizard::report::CreatedIdentity), super::state::ApplyFailure>,
    ),
    /// What `Plan::with_commit` gave for the plan under review, or its refusal.
    CommitChecked(Result<CommitPlan, String>),
    /// Across factories: the plan for all with each written config's commit (a factory whose
    /// checkout refuses it refused), made `from` the plan for all it copies.
    FleetCommitChecked {
        from: Arc<crate::fleet::Batch>,
        batch: Arc<crate::fleet::Batch>,
    },
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

/// A new cloud identity as the wizards' form (checked) and the CLI's `--create-*` flags give
/// it, as the cloud is asked about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewIdentity {
    /// An IAM user, created with the admin's profile (`None`: the AWS CLI's default), that may
    /// pull from `repositories` (none: every repository of the registry).
    AwsUser {
        user: String,
        admin_profile: Option<String>,
        repositories: Vec<String>,
    },
    /// A service account that may read one repository.
    GarAccount {
        name: String,
        project: String,
        location: String,
        repository: String,
    },
    /// A service principal with AcrPull on the registry (`repositories` empty), else a token
    /// reading them, expiring after `days`.
    AzurePrincipal {
        name: String,
        repositories: Vec<String>,
        days: u32,
    },
}

impl NewIdentity {
    /// The identity's name (the IAM user's, the service account's, the principal's).
    pub fn name(&self) -> &str {
        match self {
            NewIdentity::AwsUser { user: n, .. }
            | NewIdentity::GarAccount { name: n, .. }
            | NewIdentity::AzurePrincipal { name: n, .. } => n,
        }
    }

    /// What the plan's fioctl call shows for the secret until the key exists.
    pub fn placeholder(&self) -> String {
        match self {
            NewIdentity::AwsUser { user, .. } => {
                format!("AWS credentials: the new access key of IAM user {user} as [default]")
            }
            NewIdentity::GarAccount { name, project, .. } => {
                let email = crate::cloud::gcp::email(name, project);
                format!("GCP service-account key {email} (new)")
            }
            NewIdentity::AzurePrincipal { name, .. } => {
                format!("{name}: id and password (created when applied)")
            }
        }
    }

    /// Azure: what to create for the registry at `url` ([`azure_request`]).
    pub fn azure_request(&self, url: &str) -> Option<crate::cloud::azure::Request> {
        match self {
            NewIdentity::AzurePrincipal {
                name,
                repositories,
                days,
            } => Some(azure_request(url, name, repositories, *days)),
            _ => None,
        }
    }

    /// The cloud's review of creating this identity for the registry at `url`, from read-only
    /// calls (who the admin is, what exists already); `az`: the Azure CLI, found beforehand
    /// (without it the front ends show the commands to run instead).
    pub fn plan_cloud(
        &self,
        url: &str,
        az: Option<crate::cloud::azure::Az>,
    ) -> Result<crate::cloud::CloudPlan, crate::cloud::CloudError> {
        use crate::cloud::{CloudError, aws, azure, gcp};
        if url.is_empty() && !matches!(self, NewIdentity::GarAccount { .. }) {
            return Err(CloudError::nothing("the registry has no url"));
        }
        match self {
            NewIdentity::AwsUser {
                user,
                admin_profile,
                repositories,
            } => {
                let cli = aws::AwsCli::find(admin_profile.as_deref())?;
                aws::plan_create(cli, url, user, repositories)
            }
            NewIdentity::GarAccount {
                name,
                project,
                location,
                repository,
            } => gcp::plan_create(gcp::Gcloud::find()?, name, project, location, repository),
            NewIdentity::AzurePrincipal { .. } => {
                let (Some(req), Some(az)) = (self.azure_request(url), az) else {
                    return Err(CloudError::nothing("the Azure CLI (`az`) is not installed"));
                };
                azure::plan_create(az, req)
            }
        }
    }
}

/// The Azure service principal `name` (no `repositories`) or the token reading `repositories`
/// for `days`, to create for the registry at `url`.
pub fn azure_request(
    url: &str,
    name: &str,
    repositories: &[String],
    days: u32,
) -> crate::cloud::azure::Request {
    use crate::cloud::azure::Kind;
    let kind = match repositories {
        [] => Kind::Principal,
        _ => Kind::Token {
            repositories: repositories.to_vec(),
            days,
        },
    };
    let (url, name) = (url.to_string(), name.to_string());
    crate::cloud::azure::Request { url, name, kind }
}

/// Work for the outside world; its result comes back as an [`Action`].
#[derive(Debug)]
pub enum Effect {
    None,
    /// `store.list()`, on a background thread.
    ListSecrets,
    /// `fleet::remembered_overview` (the session's `fleet`), on a background thread.
    LoadFleet,
    /// The scan of containers.git (online when the login test is on), on a background thread;
    /// with the factory's secrets when they were listed. `remember`: the checkout was just
    /// given, keep its path in the settings for the factory.
    Scan {
        secrets: Option<Vec<String>>,
        remember: bool,
    },
    /// Write `<container>/Dockerfile` wrapping `image` in the containers.git checkout.
    DeviceWrap {
        image: String,
        container: String,
    },
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
    /// Across factories: `Batch::with_commits` of the plan for all, on a background thread.
    CheckFleetCommit(Arc<crate::fleet::Batch>),
    /// The login test of the plan's secret (`crate::verify::verify` with the plan's provider,
    /// url and region), on a background thread; reported as [`Action::LoginTested`] with `run`.
    TestLogin {
        run: u64,
        plan: Arc<Plan>,
        opts: VerifyOptions,
    },
    /// `plan.apply_with_progress` on a background thread.
    Apply(Arc<Plan>),
    /// The review of creating a new identity (the cloud's read-only calls: `aws`, `gcp` or
    /// `azure::plan_create`) and the plan with a placeholder secret, on a background thread;
    /// answered by [`Action::CloudPlanned`].
    PlanIdentity {
        source: PlanSource,
        identity: NewIdentity,
    },
    /// AWS, GAR or Azure: `cloud::apply::create_and_store` on a background thread: the cloud
    /// actions, the new key's checks, then the plan (rebuilt from `source` with `plan`'s commit)
    /// applied.
    ApplyCloud {
        plan: Arc<Plan>,
        cloud: Arc<crate::cloud::CloudPlan>,
        source: PlanSource,
    },
    /// Ctrl-C while [`Effect::ApplyCloud`] runs: `crate::cloud::interrupt` (the cloud CLI
    /// running now gets SIGINT; a run whose key is not being stored yet stops there and says
    /// what exists).
    InterruptCloud,
    /// Record the choices of a successful add in the settings (real sessions only).
    RememberChoices(Arc<Plan>),
    /// Several factories: the plan for all applied in parallel (`fleet::Batch::apply`, at most
    /// the session's jobs at a time), each factory reported as it ends, on a background thread.
    /// Once `stop` is set (Ctrl-C, SIGINT, SIGTERM) no other factory is started.
    ApplyFleet {
        batch: Arc<crate::fleet::Batch>,
        stop: Arc<std::sync::atomic::AtomicBool>,
    },
}

/// The effect the first state needs (listing secrets), if any.
pub fn init(state: &State) -> Effect {
    match state.secrets {
        Secrets::Loading => Effect::ListSecrets,
        // No secrets to wait for: the scan starts at once.
        _ if state.scan == ScanState::Pending => Effect::Scan {
            secrets: None,
            remember: false,
        },
        _ => Effect::None,
    }
}

/// The second effect the first state needs: the remembered factories side by side, when the
/// session has two or more (`fleet`); nothing otherwise.
pub fn init_fleet(state: &mut State, fleet: bool) -> Effect {
    if !fleet || state.screen != Screen::Start {
        return Effect::None;
    }
    state.fleet = Fleet::Loading;
    Effect::LoadFleet
}

/// [`init_fleet`] for the session's `fleet`: a session started with several factories also
/// runs its flows on the ones chosen on Start.
pub fn init_session_fleet(
    state: &mut State,
    fleet: Option<&crate::fleet::matrix::FleetSource>,
) -> Effect {
    if fleet.is_some_and(|f| f.several.is_some()) && state.screen == Screen::Start {
        state.several = Some(Several::default());
    }
    init_fleet(state, fleet.is_some())
}

/// The scan, once the secrets are known (it says which entries' secrets are missing).
fn start_scan(state: &mut State) -> Effect {
    // Across factories the one factory's config is set aside: its scan waits for Esc.
    if state.scan != ScanState::Pending || state.switched_to_several() {
        return Effect::None;
    }
    scan_effect(state, false)
}

/// The scan of containers.git starts (`remember`: its path is recorded in the settings).
fn scan_effect(state: &mut State, remember: bool) -> Effect {
    state.scan = ScanState::Running;
    Effect::Scan {
        secrets: state.secrets.names().map(<[String]>::to_vec),
        remember,
    }
}

/// Applies `event` to `state`; returns the effect to run.
pub fn update(state: &mut State, event: Action) -> Effect {
    match event {
        Action::Nav(nav) => on_action(state, nav),
        Action::Edit(edit) => on_typing(state, edit),
        Action::Select(i) => select(state, i),
        Action::Cursor(i) => {
            cursor(state, i);
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
            state.clamp_scrolls();
            Effect::None
        }
        Action::FleetLoaded(result) => {
            if let (Some(several), Ok(views)) = (state.several.as_mut(), &result) {
                several.chosen = views.iter().map(|v| v.config.is_some()).collect();
                // The cursor on the first action, the factories' boxes above it.
                state.start_cursor = views.len();
            }
            state.fleet = match result {
                Ok(views) => Fleet::Loaded(views),
                Err(why) => Fleet::Failed(why),
            };
            Effect::None
        }
        Action::Factories(names) => {
            choose_factories(state, &names);
            Effect::None
        }
        Action::FleetPlanned { source, result } => fleet_planned(state, *source, result),
        Action::FleetRow(i, row) => {
            if let Some(slot) = state.several.as_mut().and_then(|s| s.rows.get_mut(i)) {
                *slot = Some(row);
            }
            Effect::None
        }
        Action::FleetApplied(rows) => fleet_applied(state, rows),
        Action::SecretsListed(result) => {
            state.secrets = match result {
                Ok(names) => Secrets::Loaded(names),
                Err(e) => Secrets::Failed(e),
            };
            start_scan(state)
        }
        Action::Wrapped(result) => {
            state.wrapped = Some(result);
            Effect::None
        }
        Action::Scanned(result) => {
            state.scan = match result {
                Ok(report) => ScanState::Done {
                    headline: crate::scan::headline(&report),
                    suggestions: crate::scan::summary(&report),
                    errors: report.errors(),
                    warnings: report.findings.len() - report.errors(),
                },
                Err(e) => ScanState::Failed(e),
            };
            Effect::None
        }
        Action::ProfilesLoaded(result) => {
            state.profiles = match result {
                Ok(list) => Profiles::Loaded(list),
                Err(e) => Profiles::Failed(e),
            };
            if let (Profiles::Loaded(list), Some(creds)) = (&state.profiles, &mut state.creds)
                && let CredsKind::Aws { cursor, .. } = &mut creds.kind
            {
                *cursor = default_profile(list, state.flow == Flow::Add);
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
            let create = offers_new_principal(state);
            if let Some(CredsKind::UserToken { keyring, focus, .. }) =
                state.creds.as_mut().map(|c| &mut c.kind)
                && keyring.account.as_deref() == Some(account.as_str())
            {
                keyring.held = Some(held);
                if !user_token_items(keyring, create).contains(focus) {
                    *focus = UserTokenFocus::User;
                }
            }
            Effect::None
        }
        Action::FleetCommitChecked { from, batch } => {
            // Only for the plan under review: an answer about an earlier one (Esc, new
            // credentials, Space again) would bring its old secret back.
            let current = state.several.as_ref().and_then(|s| s.batch.as_ref());
            if let Some(review) = state.review.as_mut()
                && review.batch.is_some()
                && current.is_some_and(|b| Arc::ptr_eq(b, &from))
                && matches!(review.commit, CommitState::Checking)
            {
                review.batch = Some(batch);
                review.commit = CommitState::All;
                // The last factory's commit step (or refusal) into view, as for one factory.
                review.scroll = usize::MAX;
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
            // A warning from recording the created identity stays.
            state.settings_warning = result.err().or(state.settings_warning.take());
            Effect::None
        }
        Action::CloudPlanned {
            source,
            identity,
            result,
        } => cloud_planned(state, *source, identity, result),
        Action::CloudStep(step) => cloud_step(state, step),
        Action::CloudApplied(result) => cloud_applied(state, result),
    }
}

fn on_action(state: &mut State, action: Nav) -> Effect {
    if action == Nav::Interrupt {
        state.interrupted = true;
    }
    if matches!(action, Nav::Quit | Nav::Interrupt) {
        match state.apply.as_mut() {
            // Ctrl-C while the cloud identity is made: stop there, as the CLI stops on SIGINT
            // (the run then says what exists, and the wizard ends).
            Some(run) if !run.finished() && run.cloud.is_some() && action == Nav::Interrupt => {
                run.quit_requested = true;
                return Effect::InterruptCloud;
            }
            Some(run) if !run.finished() => {
                run.quit_requested = true;
                // Across factories Ctrl-C starts no other factory (as in the CLI).
                if let (Nav::Interrupt, Some(several)) = (action, &state.several) {
                    several
                        .stop
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
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

/// The Apply screen, showing `run` from the top.
fn begin_apply(state: &mut State, run: ApplyRun) {
    state.apply = Some(run);
    state.scroll = 0;
    state.screen = Screen::Apply;
}
