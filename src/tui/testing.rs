//! Deterministic states for the unit and snapshot tests: a fixed config, a fixed context, keys.

use crate::factory_config::FactoryConfig;
use crate::plan::Plan;
use crate::secret::Secret;
use crate::verify::{Outcome, VerifyError};
use crate::wizard::flow::PlanSource;
use crate::wizard::state::{Context, Screen, State};
use crate::wizard::update::NewIdentity;
use crate::wizard::{Action, Effect};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A factory-config.yml with one aws and one generic entry.
pub const CONFIG: &str = "\
# Factory definition of acme.
notify:
  email:
    users: 'ops@acme.example'

lmp:
  machines:
  - imx8mm-lpddr4-evk

container_registries:
- type: aws
  region: us-east-2   # Ohio
  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com
  aws_creds_secret_name: aws_creds
- type: generic
  url: ghcr.io
  generic_secret_name: ghcr_creds
";

pub const AWS_URL: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

/// The config parsed as `factory-config.yml` (a relative path: stable in messages).
pub fn config(text: &str) -> FactoryConfig {
    FactoryConfig::parse(Path::new("factory-config.yml"), text.to_string()).unwrap()
}

pub fn ctx() -> Context {
    Context {
        factory_label: "acme (from --factory)".into(),
        factory: Some("acme".into()),
        config_path: PathBuf::from("factory-config.yml"),
        plan_factory: Some("acme".into()),
        store_error: None,
        demo: None,
        color: true,
        home: None,
        checkout: None,
        verify: Some(crate::verify::VerifyOptions::default()),
        keyring: "the test keyring".into(),
        containers: None,
        aws_profile: Some("admin".into()),
    }
}

/// The Start screen over [`CONFIG`], secrets still loading.
pub fn state() -> State {
    State::new(ctx(), Ok(config(CONFIG)))
}

/// What the tests feed the wizard: a key (translated by the keymap, as the TUI does) or an
/// action (an effect's result).
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Act(Action),
}

impl From<Action> for Event {
    fn from(a: Action) -> Event {
        Event::Act(a)
    }
}

/// One step of the TUI's loop: the key through the keymap, then the wizard's update.
pub fn update(s: &mut State, e: impl Into<Event>) -> Effect {
    let action = match e.into() {
        Event::Key(k) => match super::keymap::action(s, &k) {
            Some(a) => a,
            None => return Effect::None,
        },
        Event::Act(a) => a,
    };
    super::step(s, action)
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn press(s: &mut State, code: KeyCode) -> Effect {
    update(s, key(code))
}

/// Types `text` key by key; returns the last effect.
pub fn type_text(s: &mut State, text: &str) -> Effect {
    let mut last = Effect::None;
    for c in text.chars() {
        last = update(s, key(KeyCode::Char(c)));
    }
    last
}

/// A plan for `source` over the state's config, with a fixed secret.
pub fn plan_for(s: &State, source: &PlanSource, description: &str) -> Arc<Plan> {
    let cfg = s.config.as_ref().unwrap();
    Arc::new(
        source
            .build(
                cfg,
                Secret::new(b"user:not-shown".to_vec(), description),
                s.ctx.plan_factory.clone(),
            )
            .unwrap(),
    )
}

/// Start -> Provider -> the provider at `index` -> Registry.
pub fn to_registry(s: &mut State, index: usize) {
    press(s, KeyCode::Enter);
    for _ in 0..index {
        press(s, KeyCode::Down);
    }
    press(s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
}

/// A generic registry with the given host, on the Credentials screen (the key store asked
/// whether it holds a password for the host: it does not).
pub fn to_generic_credentials(s: &mut State, host: &str) {
    to_registry(s, 3);
    type_text(s, host);
    let Effect::CheckKeyring(account) = press(s, KeyCode::Enter) else {
        panic!("the key store was not asked")
    };
    update(
        s,
        Action::KeyringChecked {
            account,
            held: false,
        },
    );
    assert_eq!(s.screen, Screen::Credentials, "{:?}", s.registry);
}

/// Generic `docker.io` with user ci and a token, on the Test login screen with the test under
/// way; returns the run's effect (which shares the plan: drop it before applying).
pub fn to_login(s: &mut State) -> Effect {
    to_generic_credentials(s, "docker.io");
    type_text(s, "ci");
    press(s, KeyCode::Tab);
    type_text(s, "tok");
    let Effect::BuildPlan(source) = press(s, KeyCode::Enter) else {
        panic!("no plan asked for")
    };
    let plan = plan_for(s, &source, "user ci, token");
    let effect = update(
        s,
        Action::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    assert_eq!(s.screen, Screen::TestLogin);
    effect
}

/// Generic `docker.io` with user ci and a token, on the Review screen.
pub fn to_review(s: &mut State) {
    to_generic_credentials(s, "docker.io");
    type_text(s, "ci");
    press(s, KeyCode::Tab);
    type_text(s, "tok");
    let Effect::BuildPlan(source) = press(s, KeyCode::Enter) else {
        panic!("no plan asked for")
    };
    let plan = plan_for(s, &source, "user ci, token");
    plan_built(s, source, plan);
    assert_eq!(s.screen, Screen::Review);
}

/// Feeds the answer of the login test under way, as the effect runner would.
pub fn login_answer(s: &mut State, result: Result<Outcome, VerifyError>) {
    let run = s.login.as_ref().expect("a login test").run;
    update(s, Action::LoginTested { run, result });
}

/// Feeds back a built plan; when its login test runs, it passes and Enter goes on to Review.
pub fn plan_built(s: &mut State, source: PlanSource, plan: Arc<Plan>) {
    // The effect (which shares the plan) is dropped at once, as the runner's thread does.
    update(
        s,
        Action::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    if s.screen == Screen::TestLogin {
        login_answer(s, Ok(Outcome::Valid));
        update(s, key(KeyCode::Enter));
    }
}

/// A config whose entries cover every case of the Pick screen: a secret shared by two entries
/// (named by url), a type CI does not know, and an entry without a secret name.
pub const SHARED: &str = "\
lmp:
  machines:
  - imx8mm-lpddr4-evk

container_registries:
- type: generic
  url: ghcr.io
  generic_secret_name: shared_creds
- type: generic   # mirror
  url: docker.io
  generic_secret_name: shared_creds
- type: quay
  url: quay.io
  generic_secret_name: quay_creds
- type: azure
  url: acmeprod.azurecr.io
";

/// Start -> the action at `downs` (1 rotate, 2 remove) -> Pick.
pub fn to_pick(s: &mut State, downs: usize) {
    for _ in 0..downs {
        press(s, KeyCode::Down);
    }
    press(s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Pick);
}

/// What `Plan::with_commit` gives in a checkout at `/home/me/ci-scripts` on main.
pub fn commit_plan(message: &str) -> crate::plan::CommitPlan {
    crate::plan::CommitPlan {
        checkout: crate::git::Checkout {
            root: PathBuf::from("/home/me/ci-scripts"),
            rel: PathBuf::from("factory-config.yml"),
        },
        branch: "main".into(),
        message: message.into(),
        push: false,
    }
}

/// The context of a config inside a git checkout.
pub fn ctx_in_checkout() -> Context {
    Context {
        checkout: Some(crate::wizard::state::CheckoutInfo {
            root: PathBuf::from("/home/me/ci-scripts"),
            branch: "main".into(),
        }),
        ..ctx()
    }
}

/// AWS with no usable profile (only an SSO one): the cursor starts on "create a new IAM user";
/// Enter opens its fields, filled with the defaults.
pub fn to_new_aws_user(s: &mut State) {
    to_registry(s, 0);
    type_text(s, AWS_URL);
    assert!(matches!(press(s, KeyCode::Enter), Effect::LoadProfiles));
    update(
        s,
        Action::ProfilesLoaded(Ok(vec![crate::credentials::aws::ProfileInfo {
            name: "sso".into(),
            access_key_id_masked: None,
            has_keys: false,
            session_token: false,
            looks_personal: false,
        }])),
    );
    assert!(matches!(press(s, KeyCode::Enter), Effect::None));
}

/// [`to_new_aws_user`], then Enter and AWS's answer (a plan made without asking AWS): the
/// Review with the cloud actions.
pub fn to_new_aws_user_review(s: &mut State) {
    to_new_aws_user(s);
    let Effect::PlanIdentity { source, identity } = press(s, KeyCode::Enter) else {
        panic!("AWS was not asked")
    };
    let NewIdentity::AwsUser { user, .. } = identity.clone() else {
        panic!("AWS was not asked")
    };
    let cloud = crate::cloud::aws::new_user_plan_for_tests(AWS_URL, &user);
    let plan = plan_for(
        s,
        &source,
        &format!("AWS credentials: the new access key of IAM user {user} as [default]"),
    );
    update(
        s,
        Action::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Ok((Arc::new(cloud), plan)),
        },
    );
    assert_eq!(s.screen, Screen::Review);
}

/// Three remembered factories: acme has both registries with their secrets, beta's ghcr.io
/// secret is missing, gamma has no ghcr.io entry.
pub fn fleet_views() -> Vec<crate::fleet::FactoryOverview> {
    use crate::fleet::{FactoryOverview, RegistryView};
    let ecr = |present: bool| RegistryView {
        kind: "aws".into(),
        url: Some("123456789012.dkr.ecr.us-east-2.amazonaws.com".into()),
        region: Some("us-east-2".into()),
        secret_name: Some("aws_creds".into()),
        line: 26,
        secret_present: Some(present),
    };
    let ghcr = |present: bool| RegistryView {
        kind: "generic".into(),
        url: Some("ghcr.io".into()),
        region: None,
        secret_name: Some("ghcr_creds".into()),
        line: 30,
        secret_present: Some(present),
    };
    let view = |name: &str, registries: Vec<RegistryView>| FactoryOverview {
        factory: name.into(),
        config: Some(PathBuf::from(format!("/src/{name}/factory-config.yml"))),
        registries: Ok(registries),
        secrets_unknown_reason: None,
    };
    vec![
        view("acme", vec![ecr(true), ghcr(true)]),
        view("beta", vec![ecr(true), ghcr(false)]),
        view("gamma", vec![ecr(true)]),
    ]
}

/// The GAR host of the service-account tests.
pub const GAR_URL: &str = "europe-west1-docker.pkg.dev";

/// Start -> gar -> Registry ([`GAR_URL`]) -> Credentials, Down to "create a new service account",
/// Enter: its fields, with the defaults.
pub fn to_new_gar_account(s: &mut State) {
    to_registry(s, 2);
    type_text(s, GAR_URL);
    press(s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);
    press(s, KeyCode::Down);
    assert!(matches!(press(s, KeyCode::Enter), Effect::None));
}

/// [`to_new_gar_account`], the project and repository typed, then Enter and gcloud's answer (a
/// plan made without asking gcloud): the Review with the cloud actions.
pub fn to_new_gar_account_review(s: &mut State) {
    to_new_gar_account(s);
    press(s, KeyCode::Tab);
    type_text(s, "acme-prod-1");
    press(s, KeyCode::Tab);
    press(s, KeyCode::Tab);
    type_text(s, "containers");
    let Effect::PlanIdentity { source, identity } = press(s, KeyCode::Enter) else {
        panic!("gcloud was not asked")
    };
    let NewIdentity::GarAccount {
        name,
        project,
        location,
        repository,
    } = identity.clone()
    else {
        panic!("gcloud was not asked")
    };
    let cloud =
        crate::cloud::gcp::new_account_plan_for_tests([&name, &project, &location, &repository]);
    let plan = plan_for(
        s,
        &source,
        &format!(
            "GCP service-account key {} (new)",
            crate::cloud::gcp::email(&name, &project)
        ),
    );
    update(
        s,
        Action::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Ok((Arc::new(cloud), plan)),
        },
    );
    assert_eq!(s.screen, Screen::Review);
}
