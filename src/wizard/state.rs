//! The wizard's model: everything the screens show, and nothing else.
//!
//! The state never holds a secret in clear: the password field is a [`SecretString`], the plan's
//! secret is a [`crate::secret::Secret`], and both print redacted through `Debug`.

use crate::credentials::aws::ProfileInfo;
use crate::factory_config::FactoryConfig;
use crate::factory_config::diff::DiffLine;
use crate::plan::{Answers, Applied, CommitPlan, CredentialInput, Plan, Request};
use crate::provider::{self, Provider};
use crate::session::Session;
pub use crate::wizard::flow::{EntryChoice, KeyringUse, LoginCheck, PlanSource, Purpose};
use crate::wizard::update::Input;

/// An editing key in a text field, as a front end reports it (the TUI from its keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: delete everything before the cursor.
    ClearToStart,
}
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;

/// The facts of the session the screens show; fixed for the whole run.
#[derive(Debug, Clone)]
pub struct Context {
    /// The factory, as `Session::factory_label` words it.
    pub factory_label: String,
    /// The factory's name alone, for the header.
    pub factory: Option<String>,
    /// The config path as the user gave it (never made absolute: snapshots stay stable).
    pub config_path: PathBuf,
    /// The factory passed to plans (`--factory` only).
    pub plan_factory: Option<String>,
    /// Why nothing can be applied (fioctl not found), if so.
    pub store_error: Option<String>,
    /// Demo mode: where the scratch files are.
    pub demo: Option<DemoInfo>,
    /// Colours on (off with NO_COLOR).
    pub color: bool,
    /// `$HOME`, for `~` in the key-file path.
    pub home: Option<PathBuf>,
    /// The git work tree holding the config, when there is one (never in demo mode): the
    /// Review screen then offers to commit the file.
    pub checkout: Option<CheckoutInfo>,
    /// How to test a login before the review (`session.verify`); `None`: the step is skipped
    /// (`--no-verify`, demo mode).
    pub verify: Option<crate::verify::VerifyOptions>,
    /// The OS keyring, as its store describes itself.
    pub keyring: String,
    /// The containers.git checkout the Start screen scans, when one is known.
    pub containers: Option<PathBuf>,
    /// `AWS_PROFILE`: the admin profile offered for creating an IAM user (empty: the AWS CLI's
    /// default credentials).
    pub aws_profile: Option<String>,
}

/// Where the config would be committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutInfo {
    pub root: PathBuf,
    pub branch: String,
}

/// Where demo mode keeps its scratch files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInfo {
    pub dir: PathBuf,
    pub secrets_dir: PathBuf,
}

impl Context {
    /// The context of a real or demo session.
    pub fn from_session(session: &Session, color: bool) -> Context {
        Context {
            factory_label: session.factory_label(),
            factory: session.factory.as_ref().map(|(f, _)| f.clone()),
            config_path: session.config_path.clone(),
            plan_factory: session.plan_factory(),
            store_error: session.store.as_ref().err().cloned(),
            demo: session.demo.as_ref().map(|d| DemoInfo {
                dir: d.dir.clone(),
                secrets_dir: d.secrets_dir.clone(),
            }),
            color,
            home: std::env::var_os("HOME").map(PathBuf::from),
            checkout: if session.demo.is_some() {
                None
            } else {
                crate::git::Checkout::find(&session.config_path).map(|c| CheckoutInfo {
                    branch: c.branch().unwrap_or_else(|_| "HEAD".into()),
                    root: c.root,
                })
            },
            verify: session.verify.clone(),
            keyring: session.keys.describe().to_string(),
            containers: session.containers.clone(),
            aws_profile: std::env::var("AWS_PROFILE")
                .ok()
                .filter(|p| !p.trim().is_empty()),
        }
    }

    /// Where secrets go, for the report and the progress labels.
    pub fn target(&self) -> crate::wizard::report::Target<'_> {
        crate::wizard::report::Target {
            factory: self.factory.as_deref(),
            demo_secrets: self.demo.as_ref().map(|d| d.secrets_dir.as_path()),
        }
    }

    /// Why the login test is skipped (`--no-verify`, demo mode), if it is.
    pub fn login_skipped(&self) -> Option<&'static str> {
        crate::wizard::flow::login_test_skipped(self.verify.as_ref(), self.demo.is_some())
    }
}

/// The wizard's screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Start,
    Provider,
    Registry,
    /// Rotate and remove: choose a configured entry.
    Pick,
    Credentials,
    /// Add and rotate: the login test of the credentials, before the review.
    TestLogin,
    Review,
    Apply,
    Done,
}

/// What the wizard does; it decides the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Add,
    Rotate,
    Remove,
}

impl Flow {
    /// The steps of the step list, in order (Done is the end of the last one).
    pub fn steps(self) -> &'static [Screen] {
        match self {
            Flow::Add => &[
                Screen::Start,
                Screen::Provider,
                Screen::Registry,
                Screen::Credentials,
                Screen::TestLogin,
                Screen::Review,
                Screen::Apply,
            ],
            Flow::Rotate => &[
                Screen::Start,
                Screen::Pick,
                Screen::Credentials,
                Screen::TestLogin,
                Screen::Review,
                Screen::Apply,
            ],
            Flow::Remove => &[Screen::Start, Screen::Pick, Screen::Review, Screen::Apply],
        }
    }
}

impl Screen {
    /// 1-based step number in `flow`; Done counts as the last step.
    pub fn step(self, flow: Flow) -> usize {
        let steps = flow.steps();
        steps
            .iter()
            .position(|s| *s == self)
            .map_or(steps.len(), |i| i + 1)
    }

    pub fn name(self) -> &'static str {
        match self {
            Screen::Start => "Start",
            Screen::Provider => "Provider",
            Screen::Registry | Screen::Pick => "Registry",
            Screen::Credentials => "Credentials",
            Screen::TestLogin => "Test login",
            Screen::Review => "Review",
            Screen::Apply => "Apply",
            Screen::Done => "Done",
        }
    }
}

/// Whether the registries' secrets exist in the factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secrets {
    /// No registries to check, or the config did not load.
    NotNeeded,
    /// `store.list()` runs on a background thread.
    Loading,
    Loaded(Vec<String>),
    /// Listing failed (fioctl said why).
    Failed(String),
    /// There is no store (fioctl not found).
    Unavailable(String),
}

impl Secrets {
    /// The factory's secret names, once listed.
    pub fn names(&self) -> Option<&[String]> {
        match self {
            Secrets::Loaded(names) => Some(names),
            _ => None,
        }
    }
}

/// The remembered factories side by side (Start screen), when settings remember two or more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fleet {
    /// One factory (or none) remembered: nothing is shown.
    Off,
    /// `fleet::remembered_overview` runs on a background thread.
    Loading,
    Loaded(Vec<crate::fleet::FactoryOverview>),
    /// The settings could not be read.
    Failed(String),
}

/// Several factories at once: a session started with `fioreg --all-factories` or several
/// `--factory`. The flows run on the factories chosen on Start, with one plan for all.
#[derive(Debug, Clone, Default)]
pub struct Several {
    /// Per factory of the loaded overview ([`Fleet::Loaded`]): whether the flows run on it
    /// (every factory with a config at first).
    pub chosen: Vec<bool>,
    /// Why the last choice of factories was refused (a name that is not one of them).
    pub error: Option<String>,
    /// The plan for all chosen factories, from the credentials' answers (kept while applying).
    pub batch: Option<Arc<crate::fleet::Batch>>,
    /// Applying: each factory's row once it is done, in the batch's order.
    pub rows: Vec<Option<crate::fleet::summary::Row>>,
    /// Applying has ended: every factory's row (the summary table).
    pub done: Option<Vec<crate::fleet::summary::Row>>,
    /// Set by Ctrl-C (or SIGINT, SIGTERM) while applying: no other factory is started.
    pub stop: Arc<std::sync::atomic::AtomicBool>,
    /// Reached from a one-factory Start ([`StartItem::Several`]): that factory's config and
    /// context, put back by Esc on Start. `None`: the session was started across factories.
    pub one_factory: Option<Box<OneFactory>>,
}

/// What a one-factory session set aside while it works across factories.
#[derive(Debug, Clone)]
pub struct OneFactory {
    pub config: Result<FactoryConfig, String>,
    pub ctx: Context,
    /// Start's cursor (on the item that switched).
    pub start_cursor: usize,
}

/// The actions of the Start screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAction {
    Add,
    Rotate,
    Remove,
    Quit,
}

impl StartAction {
    pub const ALL: [StartAction; 4] = [
        StartAction::Add,
        StartAction::Rotate,
        StartAction::Remove,
        StartAction::Quit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StartAction::Add => "Add a registry",
            StartAction::Rotate => "Rotate a registry's credentials",
            StartAction::Remove => "Remove a registry",
            StartAction::Quit => "Quit",
        }
    }

    /// Why the action cannot be chosen with `registries` entries configured, if so.
    pub fn disabled_reason(self, registries: usize) -> Option<&'static str> {
        match self {
            StartAction::Rotate | StartAction::Remove if registries == 0 => {
                Some("no registry is configured yet")
            }
            _ => None,
        }
    }
}

/// The label of the one-factory Start's item that works across the remembered factories.
pub const SEVERAL_LABEL: &str = "Work on several of these factories at once";

/// What the Start screen offers: an entry a scanned registry needs, or one of the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartItem {
    /// Add the entry containers.git needs, with the provider and url filled in.
    AddFor {
        host: String,
        provider: Provider,
        url: Option<String>,
    },
    /// No containers.git checkout is known: ask for its path (once: it is remembered).
    ScanContainers,
    /// Wrap a private image that devices pull into hub.foundries.io: write
    /// `<container>/Dockerfile` in containers.git (never over an existing file).
    DeviceWrap {
        image: String,
        container: String,
    },
    Action(StartAction),
    /// One factory's Start, with the remembered factories loaded: work across them instead
    /// (the same mode as `fioreg --all-factories`).
    Several,
    /// Several factories: whether the flows run on this one (Space or Enter flips it).
    Factory {
        index: usize,
        name: String,
        on: bool,
    },
}

impl StartItem {
    pub fn label(&self) -> String {
        match self {
            StartItem::Factory { name, on, .. } => {
                format!("[{}] factory {name}", if *on { "x" } else { " " })
            }
            StartItem::AddFor { host, provider, .. } => {
                format!("Add {host} ({})", provider.type_name())
            }
            StartItem::ScanContainers => {
                "Scan containers.git for the registries its images need".to_string()
            }
            StartItem::DeviceWrap { image, container } => {
                format!("Wrap {image} for devices: write {container}/Dockerfile")
            }
            StartItem::Action(a) => a.label().to_string(),
            StartItem::Several => SEVERAL_LABEL.to_string(),
        }
    }
}

/// The scan of containers.git for the Start screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanState {
    /// No containers.git checkout is known.
    Off,
    /// Waiting for the factory's secrets, then scanning.
    Pending,
    Running,
    Done {
        /// `containers.git needs 2 registries that no entry covers: ...`, if any.
        headline: Option<String>,
        suggestions: Vec<crate::scan::Suggestion>,
        /// The scan's error count (what `fioreg scan` would exit 1 for) and warning count.
        errors: usize,
        warnings: usize,
    },
    Failed(String),
}

/// The Pick screen (rotate, remove): the cursor over the entries, and for remove whether the
/// entry's secret goes too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pick {
    pub cursor: usize,
    /// Remove only: also delete the entry's secret (off unless asked for).
    pub delete_secret: bool,
    /// What the core said about the choice (e.g. a secret shared with another entry).
    pub error: Option<String>,
}

/// A one-line text field: its text and the cursor (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    cursor: usize,
}

impl TextInput {
    pub fn new(value: impl Into<String>) -> TextInput {
        let value = value.into();
        let cursor = value.chars().count();
        TextInput { value, cursor }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cursor position, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, value: impl Into<String>) {
        *self = TextInput::new(value);
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_index)
            .map_or(self.value.len(), |(i, _)| i)
    }

    /// Applies an editing key; returns whether the text changed.
    pub fn edit(&mut self, edit: Edit) -> bool {
        let len = self.value.chars().count();
        match edit {
            Edit::ClearToStart => {
                let at = self.byte_at(self.cursor);
                self.value.replace_range(..at, "");
                self.cursor = 0;
                at > 0
            }
            Edit::Insert(c) => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, c);
                self.cursor += 1;
                true
            }
            Edit::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.value.remove(at);
                self.cursor -= 1;
                true
            }
            Edit::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
                true
            }
            Edit::Backspace | Edit::Delete => false,
            Edit::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                false
            }
            Edit::Right => {
                self.cursor = (self.cursor + 1).min(len);
                false
            }
            Edit::Home => {
                self.cursor = 0;
                false
            }
            Edit::End => {
                self.cursor = len;
                false
            }
        }
    }
}

/// A password field: typed at the end only, shown as `•`, held as a [`SecretString`].
#[derive(Debug, Clone)]
pub struct SecretInput {
    value: SecretString,
}

impl Default for SecretInput {
    fn default() -> Self {
        SecretInput {
            value: SecretString::from(""),
        }
    }
}

impl SecretInput {
    pub fn secret(&self) -> &SecretString {
        &self.value
    }

    /// How many `•` to show.
    pub fn len(&self) -> usize {
        self.value.expose_secret().chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.value.expose_secret().is_empty()
    }

    /// Builds the new value in a buffer of the exact size, so no copy is left behind by a
    /// reallocation; the old value is zeroized when dropped.
    fn replace(&mut self, f: impl FnOnce(&str, &mut String), extra: usize) {
        let old = self.value.expose_secret();
        let mut next = String::with_capacity(old.len() + extra);
        f(old, &mut next);
        self.value = SecretString::from(next);
    }

    /// Replaces the whole value (a hidden answer given at once, as the line prompts do).
    pub fn set(&mut self, value: SecretString) {
        self.value = value;
    }

    /// Applies an editing key (typed at the end only); returns whether the value changed.
    pub fn edit(&mut self, edit: Edit) -> bool {
        match edit {
            Edit::ClearToStart => {
                let changed = !self.is_empty();
                self.value = SecretString::from("");
                changed
            }
            Edit::Insert(c) => {
                self.replace(
                    |old, next| {
                        next.push_str(old);
                        next.push(c);
                    },
                    c.len_utf8(),
                );
                true
            }
            Edit::Backspace => {
                let changed = !self.is_empty();
                self.replace(
                    |old, next| {
                        let mut chars = old.chars();
                        chars.next_back();
                        next.push_str(chars.as_str());
                    },
                    0,
                );
                changed
            }
            Edit::Delete | Edit::Left | Edit::Right | Edit::Home | Edit::End => false,
        }
    }
}

/// The fields of the Registry screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Url,
    Region,
    SecretName,
}

/// A Registry field's name, as both wizards ask it.
pub fn field_label(p: Provider, kind: FieldKind) -> &'static str {
    match (kind, p) {
        (FieldKind::Url, Provider::Gar) => "Location URL (optional)",
        (FieldKind::Url, Provider::Generic) => "Registry host",
        (FieldKind::Url, _) => "Registry URL",
        (FieldKind::Region, _) => "Region",
        (FieldKind::SecretName, _) => "Secret name",
    }
}

/// What a Registry field holds, as both wizards explain it.
pub fn field_help(p: Provider, kind: FieldKind) -> &'static str {
    match (kind, p) {
        (FieldKind::Url, Provider::Aws) => "ACCOUNT.dkr.ecr.REGION.amazonaws.com",
        (FieldKind::Url, Provider::Azure) => "NAME.azurecr.io",
        (FieldKind::Url, Provider::Gar) => {
            "LOCATION-docker.pkg.dev; may stay empty: CI logs in to every *-docker.pkg.dev host"
        }
        (FieldKind::Url, Provider::Generic) => "a host such as ghcr.io or harbor.example.com",
        (FieldKind::Region, _) => "filled from the url; it must match it",
        (FieldKind::SecretName, Provider::Aws) => {
            "CI reads this secret as an AWS credentials file with one [default] profile."
        }
        (FieldKind::SecretName, Provider::Azure) => {
            "CI reads this secret as <client id>:<password>."
        }
        (FieldKind::SecretName, Provider::Gar) => {
            "CI reads this secret as the service-account JSON key."
        }
        (FieldKind::SecretName, Provider::Generic) => "CI reads this secret as <user>:<token>.",
    }
}

/// One field of the Registry screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub kind: FieldKind,
    pub input: TextInput,
    /// Edited or submitted once: only then is an empty field reported as an error.
    pub touched: bool,
}

/// The Registry screen's answers for one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryForm {
    pub provider: Provider,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// The user typed the region: stop filling it from the url.
    pub region_edited: bool,
    /// The user typed the secret name: stop deriving it from the url.
    pub secret_name_edited: bool,
    /// What the plan rules said on the last Enter (second aws entry, shared secret name, ...).
    pub plan_error: Option<String>,
    /// The configured entries of this provider's type: (url, secret name). Updating one keeps
    /// its secret name, so that is the default shown for its url.
    pub existing: Vec<(Option<String>, String)>,
}

impl RegistryForm {
    /// The form for `provider`, knowing the entries `cfg` already has.
    pub fn for_config(provider: Provider, cfg: Option<&FactoryConfig>) -> RegistryForm {
        let mut form = RegistryForm::new(provider);
        form.existing = cfg
            .map(|c| {
                c.registries
                    .iter()
                    .filter(|e| e.kind == provider.type_name())
                    .filter_map(|e| Some((e.url.clone(), e.secret_name.clone()?)))
                    .filter(|(_, n)| provider::validate_secret_name(n).is_ok())
                    .collect()
            })
            .unwrap_or_default();
        form.fill_defaults();
        form
    }

    pub fn new(provider: Provider) -> RegistryForm {
        let mut kinds = vec![FieldKind::Url];
        if provider == Provider::Aws {
            kinds.push(FieldKind::Region);
        }
        kinds.push(FieldKind::SecretName);
        let fields = kinds
            .into_iter()
            .map(|kind| Field {
                kind,
                input: TextInput::default(),
                touched: false,
            })
            .collect();
        let mut form = RegistryForm {
            provider,
            fields,
            focus: 0,
            region_edited: false,
            secret_name_edited: false,
            plan_error: None,
            existing: Vec::new(),
        };
        form.fill_defaults();
        form
    }

    /// Field `at` was given a new value: it counts as touched; `edited` (`Some(emptied)`) says
    /// whether a region or secret name is now the user's (an emptied field is the default
    /// again and follows the url); a new url fills the defaults anew; an old error goes.
    pub fn changed(&mut self, at: usize, edited: Option<bool>) {
        let Some(field) = self.fields.get_mut(at) else {
            return;
        };
        field.touched = true;
        match (field.kind, edited) {
            (FieldKind::Region, Some(emptied)) => self.region_edited = !emptied,
            (FieldKind::SecretName, Some(emptied)) => self.secret_name_edited = !emptied,
            (FieldKind::Url, _) => self.fill_defaults(),
            _ => {}
        }
        self.plan_error = None;
    }

    pub fn field(&self, kind: FieldKind) -> Option<&Field> {
        self.fields.iter().find(|f| f.kind == kind)
    }

    fn field_mut(&mut self, kind: FieldKind) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.kind == kind)
    }

    /// The trimmed text of a field ("" when the provider has no such field).
    pub fn text(&self, kind: FieldKind) -> &str {
        self.field(kind).map_or("", |f| f.input.value().trim())
    }

    /// The url once it is valid (normalized), else `None`.
    pub fn valid_url(&self) -> Option<String> {
        self.provider.validate_url(self.text(FieldKind::Url)).ok()
    }

    /// Fills the region from the url and the secret name from the provider's default, unless
    /// the user typed them.
    pub fn fill_defaults(&mut self) {
        let p = self.provider;
        let url = self.valid_url();
        if p == Provider::Aws && !self.region_edited {
            let region = url
                .as_deref()
                .and_then(|u| provider::aws::parse_url(u).ok())
                .map(|e| e.region.to_string())
                .unwrap_or_default();
            if let Some(f) = self.field_mut(FieldKind::Region) {
                f.input.set(region);
            }
        }
        if !self.secret_name_edited {
            // The entry this url updates keeps its name (for gar: the one gar entry).
            let kept = self.existing.iter().find(|(u, _)| {
                p == Provider::Gar || (u.is_some() && u.as_deref() == url.as_deref())
            });
            let typed = self.text(FieldKind::Url).to_ascii_lowercase();
            let shown = url.unwrap_or(typed);
            let name = match kept {
                Some((_, name)) => name.clone(),
                None => p.default_secret_name((!shown.is_empty()).then_some(shown.as_str())),
            };
            if let Some(f) = self.field_mut(FieldKind::SecretName) {
                f.input.set(name);
            }
        }
    }

    /// Why a field's value is refused, by the provider's own rules; `None` when it is fine.
    pub fn field_error(&self, kind: FieldKind) -> Option<String> {
        let p = self.provider;
        let value = self.text(kind);
        match kind {
            FieldKind::Url if p == Provider::Gar && value.is_empty() => None,
            FieldKind::Url => p.validate_url(value).err(),
            FieldKind::Region if value.is_empty() => None,
            FieldKind::Region => match self.valid_url() {
                Some(url) => provider::aws::resolve_region(&url, Some(value)).err(),
                None => provider::aws::validate_region(value).err(),
            },
            // Empty: the provider's default (as `fioreg add` without --secret-name).
            FieldKind::SecretName if value.is_empty() => None,
            FieldKind::SecretName => provider::validate_secret_name(value).err(),
        }
    }

    /// The error to show under a field: only once it was touched or holds text.
    pub fn shown_error(&self, kind: FieldKind) -> Option<String> {
        let f = self.field(kind)?;
        if !f.touched && f.input.value().is_empty() {
            return None;
        }
        self.field_error(kind)
    }

    /// The request these answers make.
    pub fn request(&self) -> Request {
        let opt = |kind| {
            let v = self.text(kind);
            (!v.is_empty()).then(|| v.to_string())
        };
        Request {
            provider: self.provider,
            url: opt(FieldKind::Url),
            // Not typed: the region of the url (the core derives it the same way).
            region: opt(FieldKind::Region).filter(|_| self.region_edited),
            // Not typed: the core's default (an updated entry keeps its own name).
            secret_name: opt(FieldKind::SecretName).filter(|_| self.secret_name_edited),
        }
    }
}

/// The AWS profiles, read on entering the Credentials screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profiles {
    NotLoaded,
    Loading,
    Loaded(Vec<ProfileInfo>),
    Failed(String),
}

impl Profiles {
    /// The profiles read, none until they are.
    pub fn list(&self) -> &[ProfileInfo] {
        match self {
            Profiles::Loaded(list) => list,
            _ => &[],
        }
    }
}

/// Why a profile cannot be chosen, if so.
pub fn profile_disabled_reason(p: &ProfileInfo) -> Option<&'static str> {
    if p.session_token {
        Some("temporary keys (aws_session_token): CI needs a pull-only IAM user's long-lived keys")
    } else if !p.has_keys {
        Some("no static access keys (SSO, role or process): CI cannot use it")
    } else {
        None
    }
}

/// The check of the key-file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    Empty,
    Checking(String),
    /// The service account's email.
    Valid {
        path: String,
        email: String,
    },
    Invalid {
        path: String,
        error: String,
    },
}

/// The Credentials screen's fields, by provider.
#[derive(Debug, Clone)]
pub enum CredsKind {
    /// A cursor in [`State::profiles`]; one past the last profile is "create a new IAM user",
    /// whose fields are `new_user`.
    Aws {
        cursor: usize,
        new_user: IdentityForm,
    },
    /// Azure (client id, password) or generic (user name, token), and the OS keyring; for
    /// Azure when adding, after them "create a new service principal", whose fields are
    /// `new_principal`.
    UserToken {
        user: TextInput,
        password: SecretInput,
        focus: UserTokenFocus,
        keyring: KeyringField,
        new_principal: IdentityForm,
    },
    /// GAR: a key file, its check, and the last Tab completion's candidates; below it (adding
    /// only) "create a new service account", whose fields are `new_account`.
    KeyFile {
        path: TextInput,
        check: KeyCheck,
        candidates: Vec<String>,
        new_account: IdentityForm,
    },
}

impl CredsKind {
    /// The form of the new identity this provider can create instead.
    pub fn identity(&self) -> &IdentityForm {
        match self {
            CredsKind::Aws { new_user: f, .. }
            | CredsKind::UserToken {
                new_principal: f, ..
            }
            | CredsKind::KeyFile { new_account: f, .. } => f,
        }
    }

    pub fn identity_mut(&mut self) -> &mut IdentityForm {
        match self {
            CredsKind::Aws { new_user: f, .. }
            | CredsKind::UserToken {
                new_principal: f, ..
            }
            | CredsKind::KeyFile { new_account: f, .. } => f,
        }
    }
}

/// A new pull-only cloud identity made with the admin's own login instead of given credentials:
/// an AWS IAM user, a GAR service account, an Azure service principal (or ACR token). Its fields
/// are declared once, as data: each is an [`Input`] answered whole by the line prompts or typed
/// in the full screen, with its words in [`identity_words`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityForm {
    /// GAR: the "create" item under the key file has the focus (Down from the key file).
    pub selected: bool,
    /// The fields are being edited (Enter on the "create" item); Esc goes back.
    pub editing: bool,
    /// The fields in screen order.
    pub fields: Vec<(Input, TextInput)>,
    /// The index of the focused field.
    pub focus: usize,
    /// The read-only cloud calls of the review run.
    pub planning: bool,
}

impl IdentityForm {
    /// The form of `provider`'s new identity (generic registries have none).
    pub fn of(provider: Provider) -> IdentityForm {
        let inputs: &[Input] = match provider {
            Provider::Aws => &[Input::NewUser, Input::AdminProfile],
            Provider::Gar => &[
                Input::ServiceAccount,
                Input::GcpProject,
                Input::GarLocation,
                Input::GarRepository,
            ],
            Provider::Azure => &[
                Input::AzurePrincipal,
                Input::AcrRepositories,
                Input::TokenDays,
            ],
            Provider::Generic => &[],
        };
        IdentityForm {
            fields: inputs.iter().map(|i| (*i, TextInput::default())).collect(),
            ..IdentityForm::default()
        }
    }

    /// The field's text as typed (empty when the form has no such field).
    pub fn value(&self, input: Input) -> &str {
        self.fields
            .iter()
            .find(|(i, _)| *i == input)
            .map_or("", |(_, t)| t.value())
    }

    /// Sets a field's whole text; `false` when the form has no such field.
    pub fn set(&mut self, input: Input, text: impl Into<String>) -> bool {
        match self.fields.iter_mut().find(|(i, _)| *i == input) {
            Some((_, t)) => {
                t.set(text);
                true
            }
            None => false,
        }
    }

    /// Fills an empty field with its default.
    pub fn fill(&mut self, input: Input, value: Option<String>) {
        if let Some(v) = value
            && self.value(input).is_empty()
        {
            self.set(input, v);
        }
    }

    /// Whether the field has the focus.
    pub fn focused(&self, input: Input) -> bool {
        self.fields
            .get(self.focus)
            .is_some_and(|(i, _)| *i == input)
    }

    /// Puts the focus on the field.
    pub fn focus_on(&mut self, input: Input) {
        if let Some(at) = self.fields.iter().position(|(i, _)| *i == input) {
            self.focus = at;
        }
    }

    /// The next field (`forward`) or the previous one, wrapping.
    pub fn step(&mut self, forward: bool) {
        let n = self.fields.len().max(1);
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    /// Typing in the focused field (nothing while the review is being asked for).
    pub fn edit(&mut self, key: Edit) -> bool {
        let planning = self.planning;
        match self.fields.get_mut(self.focus) {
            Some((_, t)) if !planning => t.edit(key),
            _ => false,
        }
    }
}

/// The words of a field: its label on the full screen, its question in the line prompts, and
/// the help both show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldWords {
    pub label: &'static str,
    pub prompt: &'static str,
    pub help: &'static str,
}

/// The words of a new identity's field.
pub fn identity_words(input: Input) -> FieldWords {
    let (label, prompt, help) = match input {
        Input::NewUser => (
            "IAM user name",
            "Name of the new IAM user",
            "created with pull permissions only; an existing user is reused only after the \
             review says so",
        ),
        Input::AdminProfile => (
            "Admin profile",
            "Your admin AWS profile that creates it",
            "your own aws login (SSO and MFA work); empty: AWS_PROFILE, else the AWS CLI's \
             default",
        ),
        Input::ServiceAccount => (
            "Service account",
            "Name of the new service account",
            "6-30 lowercase letters, digits or hyphens; an existing account is reused only \
             after the review says so",
        ),
        Input::GcpProject => (
            "Project",
            "Its Google Cloud project (the repository's)",
            "the project id, e.g. acme-prod-1",
        ),
        Input::GarLocation => (
            "Location",
            "The repository's location",
            "e.g. europe-west1 (the LOCATION of LOCATION-docker.pkg.dev)",
        ),
        Input::GarRepository => (
            "Repository",
            "The one repository it may read",
            "it gets roles/artifactregistry.reader on this repository only",
        ),
        Input::AzurePrincipal => (
            "Name",
            "Name of the new service principal",
            "the service principal's display name (or the token's name): 3-50 letters, \
             digits, - or _",
        ),
        Input::AcrRepositories => (
            "Repositories (optional)",
            "Only some repositories? (empty: AcrPull on the whole registry)",
            "empty: AcrPull on the whole registry; else a token that can only read these, \
             separated by spaces or commas",
        ),
        Input::TokenDays => (
            "Token expiry in days",
            "The token expires after how many days? (empty: 365)",
            "only with repositories; empty: 365; renew it with `fioreg rotate --new-key`",
        ),
        _ => ("", "", ""),
    };
    FieldWords {
        label,
        prompt,
        help,
    }
}

/// What the new identity's form says above its fields, and while the cloud is asked for the
/// review (nothing is created then).
pub fn identity_intro(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::Aws => (
            "Create a new pull-only IAM user with your aws login: the review shows each AWS \
             action and the policy before anything is created.",
            "Asking AWS who you are and whether the user exists (nothing is created yet)",
        ),
        Provider::Gar => (
            "Create a new pull-only service account with your gcloud login: the review shows \
             each gcloud action and the role binding before anything is created.",
            "Asking Google Cloud about the project and the repository (nothing is created yet)",
        ),
        Provider::Azure | Provider::Generic => (
            "Create a new pull-only service principal with your az login: the review shows the \
             az action and the role assignment before anything is created.",
            "Asking Azure who you are and about the registry (nothing is created yet)",
        ),
    }
}

/// The label of the GAR "create a new service account" choice, in both wizards.
pub const NEW_GAR_ACCOUNT_LABEL: &str =
    "Create a new pull-only service account with my gcloud login";

/// The label of the Azure "create a new service principal" choice, in both wizards.
pub const NEW_AZURE_PRINCIPAL_LABEL: &str =
    "Create a new pull-only service principal with my az login";

/// The label of the AWS "create a new IAM user" choice, in both wizards.
pub const NEW_AWS_USER_LABEL: &str = "Create a new pull-only IAM user with my aws login";

/// The items of the user-and-password form, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTokenFocus {
    User,
    /// The checkbox "use the remembered password" (only when the keyring holds one).
    UseRemembered,
    Password,
    /// The checkbox "remember the password in the OS keyring".
    Remember,
    /// Azure, adding: the "create a new service principal" item after the fields.
    CreateNew,
}

/// The OS keyring on the user-and-password form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyringField {
    /// The keyring account of this registry (its url); `None`: no url to keep it under.
    pub account: Option<String>,
    /// Whether the key store holds a password for the account (`None`: not known yet).
    pub held: Option<bool>,
    /// Keep the typed password in the keyring before anything is applied.
    pub remember: bool,
    /// Take the remembered password instead of typing one.
    pub use_remembered: bool,
}

impl KeyringField {
    /// The account, once the store is known to hold a password for it.
    pub fn held_account(&self) -> Option<&str> {
        self.account.as_deref().filter(|_| self.held == Some(true))
    }

    /// What the answers mean for the keyring.
    pub fn usage(&self) -> KeyringUse {
        match (&self.account, self.use_remembered, self.remember) {
            (Some(a), true, _) if self.held == Some(true) => KeyringUse::UseRemembered(a.clone()),
            (Some(a), false, true) => KeyringUse::Remember(a.clone()),
            _ => KeyringUse::No,
        }
    }

    /// The form's items as shown: the password and the remember box give way to the
    /// remembered password when it is used.
    pub fn items(&self) -> Vec<UserTokenFocus> {
        let using = self.use_remembered && self.held == Some(true);
        let mut items = vec![UserTokenFocus::User];
        if self.held == Some(true) {
            items.push(UserTokenFocus::UseRemembered);
        }
        if !using {
            items.push(UserTokenFocus::Password);
            if self.account.is_some() {
                items.push(UserTokenFocus::Remember);
            }
        }
        items
    }
}

/// The Credentials screen's answers and the last refusal.
#[derive(Debug, Clone)]
pub struct CredsForm {
    pub provider: Provider,
    pub kind: CredsKind,
    /// What `Answers::secret()` or the plan said on the last Enter.
    pub error: Option<String>,
}

impl CredsForm {
    pub fn new(provider: Provider) -> CredsForm {
        let kind = match provider {
            Provider::Aws => CredsKind::Aws {
                cursor: 0,
                new_user: IdentityForm::of(provider),
            },
            Provider::Gar => CredsKind::KeyFile {
                path: TextInput::default(),
                check: KeyCheck::Empty,
                candidates: Vec::new(),
                new_account: IdentityForm::of(provider),
            },
            Provider::Azure | Provider::Generic => CredsKind::UserToken {
                user: TextInput::default(),
                password: SecretInput::default(),
                focus: UserTokenFocus::User,
                keyring: KeyringField::default(),
                new_principal: IdentityForm::of(provider),
            },
        };
        CredsForm {
            provider,
            kind,
            error: None,
        }
    }
}

/// Which button of the Test login screen has the focus when the registry could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFocus {
    Back,
    StoreAnyway,
}

/// The login test's progress on the Test login screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStatus {
    /// `verify` runs on a background thread.
    Running,
    Done(LoginCheck),
}

/// The Test login screen: the plan whose secret is tested, and what the test found.
#[derive(Debug, Clone)]
pub struct LoginTest {
    /// The registry tested (the plan's url, or the default GAR host).
    pub host: String,
    /// The plan and what it was built from; handed on to the review when the test lets it go
    /// on (the review must hold the plan alone: applying takes it).
    pub pending: Option<(Arc<Plan>, PlanSource)>,
    /// Which run this is: a result of an earlier run (given up with Esc) is dropped.
    pub run: u64,
    pub status: LoginStatus,
    /// The choice offered when the registry could not be reached; it starts on Back.
    pub focus: LoginFocus,
}

impl LoginTest {
    /// The result, once the test has finished.
    pub fn result(&self) -> Option<&LoginCheck> {
        match &self.status {
            LoginStatus::Done(r) => Some(r),
            LoginStatus::Running => None,
        }
    }
}

/// Which button of the Review screen has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFocus {
    Back,
    Apply,
}

/// The Review screen: the built plan and how it is shown.
#[derive(Debug, Clone)]
pub struct Review {
    pub plan: Arc<Plan>,
    /// What the plan was built from (the flow and its answers).
    pub source: PlanSource,
    pub diff: Vec<DiffLine>,
    /// The first diff line shown.
    pub scroll: usize,
    pub focus: ReviewFocus,
    pub commit: CommitState,
    /// What the login test found for this plan (`None`: not tested: skipped, or a removal).
    pub login: Option<LoginCheck>,
    /// AWS: the IAM user to create first, and its key to store (the plan holds a placeholder).
    pub cloud: Option<CloudReview>,
    /// Several factories: the plan for all (then `plan` is a copy of its first factory's plan,
    /// which the login test used).
    pub batch: Option<Arc<crate::fleet::Batch>>,
}

/// The cloud side of a review: what will be created before the key is stored.
#[derive(Debug, Clone)]
pub struct CloudReview {
    pub plan: Arc<crate::cloud::CloudPlan>,
    /// What was asked of the cloud, as answered (for the command line).
    pub identity: crate::wizard::update::NewIdentity,
}

impl Review {
    /// Whether Apply can be pressed as far as the commit goes.
    pub fn commit_blocks(&self) -> bool {
        matches!(self.commit, CommitState::Checking | CommitState::Refused(_))
    }
}

/// The Review screen's "commit factory-config.yml" checkbox.
#[derive(Debug, Clone)]
pub enum CommitState {
    /// Not offered: no git work tree, or the file does not change.
    Unavailable,
    Off,
    /// `Plan::with_commit` runs on a background thread.
    Checking,
    On(CommitPlan),
    /// Across factories: each written config is committed in its checkout (the review's plan
    /// for all has the commits, and the factories whose checkout refused).
    All,
    /// What `Plan::with_commit` refused (e.g. uncommitted changes): Apply waits until unchecked.
    Refused(String),
}

/// A step of applying, as shown on the Apply screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
}

/// Applying: each step's progress and, at the end, the outcome.
#[derive(Debug, Clone, Default)]
pub struct ApplyRun {
    /// `None`: no secret is stored (remove).
    pub store: Option<StepStatus>,
    /// `None`: the config already holds the entry (or rotate), nothing to write.
    pub write: Option<StepStatus>,
    /// Remove with its secret: deleting the secret after the config is written.
    pub delete: Option<StepStatus>,
    /// Committing factory-config.yml at the end.
    pub commit: Option<StepStatus>,
    pub result: Option<Result<Applied, ApplyFailure>>,
    /// Creating the IAM user first: each cloud action's progress and what was created.
    pub cloud: Option<CloudRun>,
    /// q or Ctrl-C was pressed while applying: it goes on, and the screen says so.
    pub quit_requested: bool,
}

/// The cloud actions while applying, and the key checks after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudRun {
    /// Each action's title and status, in order.
    pub actions: Vec<(String, StepStatus)>,
    /// `sts:GetCallerIdentity` with the new key (bounded wait), or the check of a new GCP key
    /// file; `None`: no check before the login test (Azure).
    pub key_check: Option<StepStatus>,
    /// The ARN the new key belongs to, once it works.
    pub key_arn: Option<String>,
    /// The registry login test with the new key (`None`: skipped).
    pub login: Option<StepStatus>,
    /// The countdown while the new key is not accepted yet.
    pub waiting: Option<String>,
    /// What was created, once the key is stored.
    pub created: Option<crate::wizard::report::CreatedIdentity>,
}

/// Why applying failed: the core's message (what was and was not changed), and whether fioctl
/// was stopped by a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyFailure {
    pub message: String,
    pub interrupted: bool,
}

impl ApplyFailure {
    pub fn of(e: &crate::plan::ApplyError) -> ApplyFailure {
        ApplyFailure {
            message: e.to_string(),
            interrupted: matches!(
                e,
                crate::plan::ApplyError::Fioctl(crate::fioctl::FioctlError::Interrupted)
            ),
        }
    }
}

impl From<&str> for ApplyFailure {
    /// A failure that is not an interruption, with these words.
    fn from(message: &str) -> ApplyFailure {
        ApplyFailure {
            message: message.into(),
            interrupted: false,
        }
    }
}

impl std::fmt::Display for ApplyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApplyRun {
    /// The steps `plan` takes, all pending: store or delete its secret, write the config when
    /// it changes, and commit it when asked.
    pub fn for_plan(plan: &Plan) -> ApplyRun {
        let writes = plan.new_text != plan.old_text;
        ApplyRun {
            store: (plan.secret_op == crate::plan::SecretOp::Store).then_some(StepStatus::Pending),
            write: writes.then_some(StepStatus::Pending),
            delete: (plan.secret_op == crate::plan::SecretOp::Delete)
                .then_some(StepStatus::Pending),
            commit: (writes && plan.commit.is_some()).then_some(StepStatus::Pending),
            ..ApplyRun::default()
        }
    }

    pub fn finished(&self) -> bool {
        self.result.is_some()
    }
}

/// How applying ended, as the step list marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyEnd {
    /// Everything was done.
    Done,
    /// Across factories: some factories were changed, others failed or were refused.
    Partial,
    /// Nothing was done where it had to be (one factory's apply failed, or no factory was
    /// changed and one failed).
    Failed,
}

/// How far the screens that scroll can go, as the front end lays them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewLimits {
    /// The Review screen's page (rows shown) and its last scroll position.
    pub review_page: usize,
    pub review_max: usize,
    /// The last scroll position of the screens that scroll as a whole.
    pub scroll_max: usize,
}

impl Default for ViewLimits {
    fn default() -> Self {
        ViewLimits {
            review_page: 1,
            review_max: 0,
            scroll_max: 0,
        }
    }
}

/// The whole model.
#[derive(Debug)]
pub struct State {
    pub ctx: Context,
    /// The config, or why it could not be read (file:line:col and the fix).
    pub config: Result<FactoryConfig, String>,
    pub secrets: Secrets,
    /// The remembered factories side by side.
    pub fleet: Fleet,
    /// Several factories at once (`None`: a one-factory session).
    pub several: Option<Several>,
    /// The scan of containers.git, when a checkout is known.
    pub scan: ScanState,
    /// The Start screen asks for the containers.git checkout's path (typed so far).
    pub containers_input: Option<TextInput>,
    /// What the last device-wrap from Start did (the file written), or why it failed.
    pub wrapped: Option<Result<String, String>>,
    pub screen: Screen,
    pub flow: Flow,
    /// Rotate and remove: the entry list's cursor and the remove options.
    pub pick: Pick,
    /// Rotate and remove: the configured entries and what the core says about each, worked
    /// out once when the flow is chosen (the config does not change during a run).
    pub pick_entries: Vec<EntryChoice>,
    /// Rotate: the entry chosen on the Pick screen.
    pub target: Option<EntryChoice>,
    /// Why the settings were not saved after a successful add (a warning on Done).
    pub settings_warning: Option<String>,
    pub start_cursor: usize,
    pub provider_cursor: usize,
    pub registry: Option<RegistryForm>,
    pub profiles: Profiles,
    pub creds: Option<CredsForm>,
    /// Add and rotate: the login test of the plan built from the credentials.
    pub login: Option<LoginTest>,
    /// How many login tests were started (numbers each run).
    pub login_runs: u64,
    pub review: Option<Review>,
    pub apply: Option<ApplyRun>,
    /// Scroll offset of the screens that scroll as a whole (Apply, Done).
    pub scroll: usize,
    /// Advances with every tick; drives the spinner.
    pub tick: usize,
    /// The terminal's size (columns, rows).
    pub size: (u16, u16),
    /// How far the front end lets the screens scroll (the TUI sets it from its layout).
    pub limits: ViewLimits,
    pub quit: bool,
    /// The run ended with Ctrl-C.
    pub interrupted: bool,
}

impl State {
    /// The first state: the Start screen with the config (or why it failed to load).
    pub fn new(ctx: Context, config: Result<FactoryConfig, String>) -> State {
        let secrets = match (&config, &ctx.store_error) {
            (Err(_), _) => Secrets::NotNeeded,
            (Ok(_), Some(e)) => Secrets::Unavailable(e.clone()),
            (Ok(c), None) if c.registries.is_empty() => Secrets::NotNeeded,
            (Ok(_), None) => Secrets::Loading,
        };
        let scan = match (&config, &ctx.containers) {
            (Ok(_), Some(_)) => ScanState::Pending,
            _ => ScanState::Off,
        };
        State {
            ctx,
            config,
            secrets,
            fleet: Fleet::Off,
            several: None,
            scan,
            containers_input: None,
            wrapped: None,
            screen: Screen::Start,
            flow: Flow::Add,
            pick: Pick::default(),
            pick_entries: Vec::new(),
            target: None,
            settings_warning: None,
            start_cursor: 0,
            provider_cursor: 0,
            registry: None,
            profiles: Profiles::NotLoaded,
            creds: None,
            login: None,
            login_runs: 0,
            review: None,
            apply: None,
            scroll: 0,
            tick: 0,
            size: (80, 24),
            limits: ViewLimits::default(),
            quit: false,
            interrupted: false,
        }
    }

    /// The answers of the Registry (or Pick) and Credentials screens, if they are complete.
    pub fn answers(&self) -> Option<Answers> {
        let request = match self.flow {
            Flow::Add => self.registry.as_ref()?.request(),
            Flow::Rotate => {
                let t = self.target.as_ref()?;
                Request {
                    provider: t.provider?,
                    url: t.url.clone(),
                    region: None,
                    secret_name: None,
                }
            }
            Flow::Remove => return None,
        };
        let creds = self.creds.as_ref()?;
        let credential = match &creds.kind {
            CredsKind::Aws { cursor, .. } => {
                CredentialInput::AwsProfile(Some(self.profiles.list().get(*cursor)?.name.clone()))
            }
            CredsKind::UserToken { user, password, .. } => CredentialInput::UserToken {
                user: user.value().to_string(),
                password: password.secret().clone(),
            },
            CredsKind::KeyFile { path, .. } => CredentialInput::GcpKeyFile(expand_home(
                path.value().trim(),
                self.ctx.home.as_deref(),
            )),
        };
        Some(Answers {
            request,
            credential,
        })
    }

    /// The Start screen's items: an Add for each registry the scan says is not covered, then
    /// the actions.
    pub fn start_items(&self) -> Vec<StartItem> {
        if let Some(several) = &self.several {
            let mut items: Vec<StartItem> = self
                .fleet_views()
                .iter()
                .enumerate()
                .map(|(index, v)| StartItem::Factory {
                    index,
                    name: v.factory.clone(),
                    on: several.chosen.get(index).copied().unwrap_or(false),
                })
                .collect();
            items.extend(StartAction::ALL.into_iter().map(StartItem::Action));
            return items;
        }
        let mut items = Vec::new();
        if let ScanState::Done { suggestions, .. } = &self.scan {
            for s in suggestions {
                items.push(match s {
                    crate::scan::Suggestion::AddEntry {
                        host,
                        provider,
                        url,
                        ..
                    } => StartItem::AddFor {
                        host: host.clone(),
                        provider: *provider,
                        url: url.clone(),
                    },
                    crate::scan::Suggestion::DeviceWrap {
                        image, container, ..
                    } => StartItem::DeviceWrap {
                        image: image.clone(),
                        container: container.clone(),
                    },
                });
            }
        }
        items.extend(StartAction::ALL.into_iter().map(StartItem::Action));
        // Before Quit: where no checkout is known, one can be given (and is remembered).
        if self.scan == ScanState::Off && self.config.is_ok() && self.ctx.demo.is_none() {
            items.insert(items.len() - 1, StartItem::ScanContainers);
        }
        if self.offers_several() {
            items.insert(items.len() - 1, StartItem::Several);
        }
        items
    }

    /// How applying ended (`None`: not applied, or still running). Across factories it is
    /// [`ApplyEnd::Partial`] when a factory failed or was refused and another was changed.
    pub fn apply_end(&self) -> Option<ApplyEnd> {
        match self.apply.as_ref()?.result.as_ref()? {
            Ok(_) => Some(ApplyEnd::Done),
            Err(_) => {
                let rows = self.several.as_ref().and_then(|s| s.done.as_deref());
                let changed = rows.is_some_and(|rows| {
                    rows.iter()
                        .any(|r| r.result == crate::fleet::summary::RowResult::Ok)
                });
                Some(if changed {
                    ApplyEnd::Partial
                } else {
                    ApplyEnd::Failed
                })
            }
        }
    }

    /// Whether a one-factory Start offers to work across the remembered factories: the
    /// overview is loaded and two of them or more have a config (never in demo mode).
    pub fn offers_several(&self) -> bool {
        self.several.is_none()
            && self.ctx.demo.is_none()
            && self.config.is_ok()
            && self
                .fleet_views()
                .iter()
                .filter(|v| v.config.is_some())
                .count()
                >= 2
    }

    /// Whether the session works across factories only since Start's [`StartItem::Several`]
    /// (Esc on Start goes back to the one factory).
    pub fn switched_to_several(&self) -> bool {
        self.several
            .as_ref()
            .is_some_and(|s| s.one_factory.is_some())
    }

    /// Across factories: the names of the chosen ones, in the overview's order.
    pub fn chosen_names(&self) -> Vec<String> {
        self.start_items()
            .into_iter()
            .filter_map(|i| match i {
                StartItem::Factory { name, on: true, .. } => Some(name),
                _ => None,
            })
            .collect()
    }

    /// Reached from one factory's Start: which factories are chosen and how to go back.
    pub fn switched_note(&self) -> Option<String> {
        let one = self.several.as_ref()?.one_factory.as_ref()?;
        let chosen = self.chosen_names();
        let back = match &one.ctx.factory {
            Some(f) => format!("Esc goes back to factory {f} alone."),
            None => "Esc goes back to the one factory.".to_string(),
        };
        Some(match chosen.as_slice() {
            [] => format!("No factory is chosen yet. {back}"),
            names => format!(
                "Chosen: {}; the others are left as they are until chosen. {back}",
                names.join(", ")
            ),
        })
    }

    /// Whether the Credentials screen offers to create a pull-only cloud identity: when adding,
    /// in one factory (a created identity belongs to one factory, as `add --create-user`).
    pub fn creates_identities(&self) -> bool {
        self.flow == Flow::Add && self.several.is_none()
    }

    /// Adding across factories: why no cloud identity is offered.
    pub fn no_identity_reason(&self) -> Option<&'static str> {
        (self.flow == Flow::Add && self.several.is_some()).then_some(
            "Creating a pull-only cloud identity works for one factory at a time: run fioreg \
             with one --factory (or none) to create one.",
        )
    }

    /// Why a Start item cannot be chosen, if so (the registries configured, and across
    /// factories whether any is chosen).
    pub fn start_disabled(&self, item: &StartItem) -> Option<String> {
        let StartItem::Action(action) = item else {
            return None;
        };
        let Some(several) = &self.several else {
            let registries = self.config.as_ref().map_or(0, |c| c.registries.len());
            return action.disabled_reason(registries).map(str::to_string);
        };
        if *action == StartAction::Quit {
            return None;
        }
        match &self.fleet {
            Fleet::Loading => return Some("the factories are still being read".into()),
            Fleet::Failed(why) => return Some(format!("the factories could not be read: {why}")),
            Fleet::Off => return Some("no factories to work on".into()),
            Fleet::Loaded(_) => {}
        }
        if !several.chosen.contains(&true) {
            return Some("no factory is chosen".into());
        }
        let registries: usize = self
            .fleet_views()
            .iter()
            .zip(&several.chosen)
            .filter(|(_, on)| **on)
            .map(|(v, _)| v.registries.as_ref().map_or(0, Vec::len))
            .sum();
        action
            .disabled_reason(registries)
            .map(|_| "no chosen factory has a registry".to_string())
    }

    /// The factories the overview shows (none until it is loaded).
    pub fn fleet_views(&self) -> &[crate::fleet::FactoryOverview] {
        match &self.fleet {
            Fleet::Loaded(views) => views,
            _ => &[],
        }
    }

    /// Several factories: the chosen ones, each with its config.
    pub fn chosen_members(&self) -> Vec<crate::fleet::Member> {
        let Some(several) = &self.several else {
            return Vec::new();
        };
        self.fleet_views()
            .iter()
            .zip(&several.chosen)
            .filter(|(_, on)| **on)
            .filter_map(|(v, _)| {
                Some(crate::fleet::Member {
                    name: v.factory.clone(),
                    config: v.config.clone()?,
                })
            })
            .collect()
    }

    /// The entries of the Pick screen for the current flow (none for add).
    pub fn entries(&self) -> Vec<EntryChoice> {
        match self.flow {
            Flow::Add => Vec::new(),
            Flow::Rotate | Flow::Remove => self.pick_entries.clone(),
        }
    }

    /// Works out the Pick screen's entries for the current flow.
    pub fn load_entries(&mut self) {
        let purpose = match self.flow {
            Flow::Rotate => Purpose::Rotate,
            Flow::Remove => Purpose::Remove,
            Flow::Add => {
                self.pick_entries.clear();
                return;
            }
        };
        if let Some(several) = &self.several {
            self.pick_entries =
                crate::wizard::flow::fleet_entries(self.fleet_views(), &several.chosen, purpose);
            return;
        }
        self.pick_entries = self
            .config
            .as_ref()
            .map(|cfg| crate::wizard::flow::entry_choices(cfg, purpose))
            .unwrap_or_default();
    }

    /// Keeps the scroll positions within the limits (the update may ask for "the end").
    pub fn clamp_scrolls(&mut self) {
        if let Some(review) = self.review.as_mut() {
            review.scroll = review.scroll.min(self.limits.review_max);
        }
        self.scroll = self.scroll.min(self.limits.scroll_max);
    }

    /// Whether a spinner is turning somewhere (then ticks redraw).
    pub fn busy(&self) -> bool {
        matches!(self.secrets, Secrets::Loading)
            || self.fleet == Fleet::Loading
            || matches!(self.scan, ScanState::Pending | ScanState::Running)
            || self
                .review
                .as_ref()
                .is_some_and(|r| matches!(r.commit, CommitState::Checking))
            || matches!(self.profiles, Profiles::Loading)
            || self
                .creds
                .as_ref()
                .is_some_and(|c| c.kind.identity().planning)
            || (self.screen == Screen::TestLogin
                && self
                    .login
                    .as_ref()
                    .is_some_and(|l| l.status == LoginStatus::Running))
            || self.apply.as_ref().is_some_and(|a| !a.finished())
            || matches!(
                self.creds.as_ref().map(|c| &c.kind),
                Some(CredsKind::KeyFile {
                    check: KeyCheck::Checking(_),
                    ..
                })
            )
            || matches!(
                self.creds.as_ref().map(|c| &c.kind),
                Some(CredsKind::UserToken { keyring, .. })
                    if self.screen == Screen::Credentials
                        && keyring.account.is_some()
                        && keyring.held.is_none()
            )
    }
}

/// `~/x` -> `$HOME/x`; anything else unchanged.
pub fn expand_home(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if path == "~" => home.map_or_else(|| PathBuf::from(path), PathBuf::from),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_input_edits_at_the_cursor() {
        let mut t = TextInput::new("ghcr.io");
        t.edit(Edit::Home);
        t.edit(Edit::Insert('x'));
        assert_eq!((t.value(), t.cursor()), ("xghcr.io", 1));
        t.edit(Edit::Delete);
        t.edit(Edit::End);
        t.edit(Edit::Backspace);
        assert_eq!(t.value(), "xhcr.i");
        t.edit(Edit::Left);
        t.edit(Edit::Insert('é'));
        assert_eq!((t.value(), t.cursor()), ("xhcr.éi", 6));
        t.edit(Edit::ClearToStart);
        assert_eq!((t.value(), t.cursor()), ("i", 0));
        assert!(!t.edit(Edit::Left));
    }

    #[test]
    fn secret_input_never_prints() {
        let mut s = SecretInput::default();
        for c in "hunter2".chars() {
            s.edit(Edit::Insert(c));
        }
        s.edit(Edit::Backspace);
        assert_eq!(s.secret().expose_secret(), "hunter");
        assert_eq!(s.len(), 6);
        assert!(!format!("{s:?}").contains("hunter"));
    }

    #[test]
    fn registry_defaults_follow_the_url_until_edited() {
        let mut f = RegistryForm::new(Provider::Generic);
        assert_eq!(f.text(FieldKind::SecretName), "registry_creds");
        f.fields[0].input.set("ghcr.io");
        f.fill_defaults();
        assert_eq!(f.text(FieldKind::SecretName), "ghcr_creds");
        f.secret_name_edited = true;
        f.fields[0].input.set("docker.io");
        f.fill_defaults();
        assert_eq!(f.text(FieldKind::SecretName), "ghcr_creds");

        let mut f = RegistryForm::new(Provider::Aws);
        f.fields[0]
            .input
            .set("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        f.fill_defaults();
        assert_eq!(f.text(FieldKind::Region), "eu-west-1");
        assert_eq!(f.text(FieldKind::SecretName), "aws_creds");
        f.fields[1].input.set("us-east-1");
        assert!(
            f.field_error(FieldKind::Region)
                .is_some_and(|e| e.contains("differs"))
        );
    }

    #[test]
    fn home_expansion() {
        let home = std::path::Path::new("/home/me");
        assert_eq!(expand_home("~/k.json", Some(home)), home.join("k.json"));
        assert_eq!(expand_home("k.json", Some(home)), PathBuf::from("k.json"));
        assert_eq!(expand_home("~/k.json", None), PathBuf::from("~/k.json"));
    }
}
