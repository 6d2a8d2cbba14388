//! Runs the effects `update` asks for: slow ones on a background thread that reports back
//! through the channel, quick ones at once.

use super::flow::{NoStore, PlanSource, Verifier};
use super::state::{ApplyFailure, State, expand_home};
use super::update::{Action, Effect, NewIdentity};
use crate::credentials;
use crate::plan::{Plan, SecretOp, SecretStore};
use crate::session::Session;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// How many completion candidates are listed under the key-file field.
const MAX_CANDIDATES: usize = 12;

/// The session's resources, and where background results go.
pub struct Runner<'a> {
    session: &'a Session,
    tx: Sender<Action>,
    /// The login test: [`crate::verify::verify`] unless a test says otherwise.
    verifier: Verifier,
}

impl<'a> Runner<'a> {
    pub fn new(session: &'a Session, tx: Sender<Action>) -> Runner<'a> {
        Runner {
            session,
            tx,
            verifier: crate::verify::verify,
        }
    }

    /// The same runner with another login test (a fake, in tests).
    pub fn with_verifier(self, verifier: Verifier) -> Runner<'a> {
        Runner { verifier, ..self }
    }

    /// Runs `effect`; a quick one returns its event at once, a slow one reports later.
    pub fn run(&self, effect: Effect, state: &State) -> Option<Action> {
        match effect {
            Effect::None => None,
            Effect::ListSecrets => {
                let Ok(store) = self.session.store.clone() else {
                    return None;
                };
                self.spawn(move || Action::SecretsListed(store.list().map_err(|e| e.to_string())));
                None
            }
            Effect::LoadFleet => {
                let Some(source) = self.session.fleet.clone() else {
                    // Nothing remembered to show: the Start screen stays as it is.
                    return Some(Action::FleetLoaded(Ok(Vec::new())));
                };
                self.spawn(move || Action::FleetLoaded(source.load()));
                None
            }
            Effect::Scan { secrets, remember } => {
                let (Ok(cfg), Some(root)) = (state.config.clone(), state.ctx.containers.clone())
                else {
                    return None;
                };
                // Asked once: kept for the factory (never in demo mode or tests).
                if remember
                    && let (Some(path), Some((factory, _)), None) = (
                        &self.session.settings,
                        &self.session.factory,
                        &self.session.demo,
                    )
                    && let Err(e) = crate::settings::record_containers(path, factory, &root)
                {
                    return Some(Action::Scanned(Err(format!(
                        "the path was not saved in the settings: {e}"
                    ))));
                }
                let factory = state.ctx.factory.clone();
                let verify = state.ctx.verify.clone();
                self.spawn(move || Action::Scanned(scan(&cfg, &root, factory, secrets, verify)));
                None
            }
            Effect::DeviceWrap { image, container } => {
                let root = state.ctx.containers.clone()?;
                use crate::device_wrap::{WrapOutcome, wrap};
                let factory = state.ctx.factory.as_deref().unwrap_or("<factory>");
                let hint = crate::device_wrap::hint(factory, &container);
                Some(Action::Wrapped(match wrap(&image, &container, &root) {
                    Ok(WrapOutcome::Written(path)) => Ok(format!(
                        "Wrote {}. {}",
                        path.display(),
                        hint.replace('\n', " ")
                    )),
                    Ok(WrapOutcome::AlreadyThere(path)) => Ok(format!(
                        "{} already wraps {image}: nothing to do. {}",
                        path.display(),
                        hint.replace('\n', " ")
                    )),
                    Err(e) => Err(e.to_string()),
                }))
            }
            Effect::LoadProfiles => {
                let aws = Arc::clone(&self.session.aws);
                self.spawn(move || {
                    Action::ProfilesLoaded(
                        credentials::aws::list_profiles(&aws).map_err(|e| e.to_string()),
                    )
                });
                None
            }
            Effect::CheckKeyFile { typed, path } => {
                self.spawn(move || Action::KeyFileChecked {
                    path: typed,
                    result: credentials::gcp::key_file(&path)
                        .map(|(_secret, info)| info.client_email)
                        .map_err(|e| e.to_string()),
                });
                None
            }
            Effect::CompletePath(input) => {
                let (completed, candidates) = complete_path(&input, state.ctx.home.as_deref());
                Some(Action::PathCompleted {
                    input,
                    completed,
                    candidates,
                })
            }
            Effect::BuildPlan(mut source) if state.several.is_some() => {
                let result = build_fleet_plan(self.session, state, &mut source);
                Some(Action::FleetPlanned {
                    source: Box::new(source),
                    result,
                })
            }
            Effect::BuildPlan(mut source) => {
                let result = build_plan(self.session, state, &mut source);
                Some(Action::PlanBuilt { source, result })
            }
            Effect::CheckKeyring(account) => {
                let keys = Arc::clone(&self.session.keys);
                self.spawn(move || {
                    // A store that cannot answer holds nothing we could use.
                    let held = keys.get(&account).is_ok_and(|v| v.is_some());
                    Action::KeyringChecked { account, held }
                });
                None
            }
            Effect::CheckCommit(source) => {
                let Ok(cfg) = state.config.clone() else {
                    return Some(Action::CommitChecked(Err("the config was not read".into())));
                };
                let factory = state.ctx.plan_factory.clone();
                self.spawn(move || Action::CommitChecked(source.commit(&cfg, factory)));
                None
            }
            Effect::CheckFleetCommit(from) => {
                self.spawn(move || {
                    let batch = Arc::new(from.with_commits());
                    Action::FleetCommitChecked { from, batch }
                });
                None
            }
            Effect::TestLogin { run, plan, opts } => {
                let verifier = self.verifier;
                self.spawn(move || {
                    let result = super::flow::verify_plan(&plan, &opts, verifier);
                    // Dropped before the result is sent: applying needs the plan unshared.
                    drop(plan);
                    Action::LoginTested { run, result }
                });
                None
            }
            Effect::Apply(plan) => {
                let store: Arc<dyn SecretStore> = match self.session.store.clone() {
                    Ok(store) => store,
                    // Removing an entry and keeping its secret needs no fioctl.
                    Err(_) if plan.secret_op == SecretOp::Keep => Arc::new(NoStore),
                    Err(why) => {
                        return Some(Action::Applied(Err(ApplyFailure {
                            message: format!("no secret store: {why}"),
                            interrupted: false,
                        })));
                    }
                };
                let tx = self.tx.clone();
                self.spawn(move || {
                    let result = plan.apply_with_progress(store.as_ref(), &mut |p| {
                        let _ = tx.send(Action::Progress(p));
                    });
                    Action::Applied(result.map_err(|e| ApplyFailure::of(&e)))
                });
                None
            }
            Effect::PlanIdentity { source, identity } => {
                let cfg = state.config.clone();
                let factory = state.ctx.plan_factory.clone();
                self.spawn(move || {
                    let result =
                        cfg.and_then(|cfg| plan_identity(&cfg, &source, &identity, factory));
                    Action::CloudPlanned {
                        source: Box::new(source),
                        identity,
                        result,
                    }
                });
                None
            }
            Effect::ApplyCloud {
                plan,
                cloud,
                source,
            } => {
                let store: Arc<dyn SecretStore> = match self.session.store.clone() {
                    Ok(store) => store,
                    Err(why) => {
                        return Some(Action::CloudApplied(Err(ApplyFailure {
                            message: format!("no secret store: {why}"),
                            interrupted: false,
                        })));
                    }
                };
                let Ok(cfg) = state.config.clone() else {
                    return Some(Action::CloudApplied(Err("the config was not read".into())));
                };
                let factory = state.ctx.plan_factory.clone();
                let test = crate::cloud::apply::KeyTest {
                    opts: state.ctx.verify.clone().unwrap_or_default(),
                    login: state.ctx.verify.is_some(),
                    wait: crate::wizard::flow::new_key_wait(&cloud),
                };
                let settings = match (&self.session.settings, &self.session.factory) {
                    (Some(path), Some((f, _))) if self.session.demo.is_none() => {
                        Some((path.clone(), f.clone()))
                    }
                    _ => None,
                };
                let tx = self.tx.clone();
                self.spawn(move || {
                    // The plan under review, rebuilt to receive the new key (it keeps the commit).
                    let mut fresh = match source.build(&cfg, super::flow::placeholder(), factory) {
                        Ok(p) => p,
                        Err(e) => return Action::CloudApplied(Err(e.for_wizard().as_str().into())),
                    };
                    fresh.commit = plan.commit.clone();
                    drop(plan);
                    let result = crate::cloud::apply::create_and_store(
                        &cloud,
                        &mut fresh,
                        store.as_ref(),
                        &test,
                        &mut |s| {
                            let _ = tx.send(Action::CloudStep(s));
                        },
                    );
                    let made = match result {
                        Ok(made) => made,
                        Err(e) => {
                            return Action::CloudApplied(Err(ApplyFailure {
                                message: e.to_string(),
                                interrupted: e.interrupted,
                            }));
                        }
                    };
                    if let Some((path, factory)) = settings
                        && let Err(e) = cloud.remember(&made, &path, &factory)
                    {
                        let _ = tx.send(Action::SettingsSaved(Err(e)));
                    }
                    let created = crate::wizard::report::CreatedIdentity::of(&cloud, &made);
                    Action::CloudApplied(Ok((made.applied, created)))
                });
                None
            }
            Effect::InterruptCloud => {
                crate::cloud::interrupt();
                None
            }
            Effect::ApplyFleet { batch, stop } => {
                let Some(tools) = self.session.fleet.as_ref().map(|f| f.tools.clone()) else {
                    return Some(Action::FleetApplied(Vec::new()));
                };
                // A successful add is remembered per factory (never in demo mode or tests).
                let settings = match (&self.session.settings, &self.session.demo) {
                    (Some(path), None) => Some(path.clone()),
                    _ => None,
                };
                let tx = self.tx.clone();
                self.spawn(move || {
                    // SIGINT or SIGTERM (the line prompts' Ctrl-C) stops it as in the CLI.
                    let progress = std::sync::Mutex::new(tx);
                    let rows =
                        batch.apply_interruptibly(&tools, &stop, settings.as_deref(), &|i, row| {
                            if let Ok(tx) = progress.lock() {
                                let _ = tx.send(Action::FleetRow(i, row.clone()));
                            }
                        });
                    Action::FleetApplied(rows)
                });
                None
            }
            Effect::RememberChoices(plan) => Some(Action::SettingsSaved(
                super::flow::remember_choices(self.session, &plan),
            )),
        }
    }

    /// Runs `work` on a thread and sends its event.
    fn spawn(&self, work: impl FnOnce() -> Action + Send + 'static) {
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // The receiver is gone only when the wizard has ended: nothing left to tell.
            let _ = tx.send(work());
        });
    }
}

/// The review of creating `identity` with the admin's own cloud login (read-only calls only)
/// and the plan of `source` with a placeholder secret; the plan's own rules first: nothing is
/// asked of the cloud for a plan that cannot be applied. Azure without `az`: the exact
/// commands to run instead, as the CLI prints them.
fn plan_identity(
    cfg: &crate::factory_config::FactoryConfig,
    source: &PlanSource,
    identity: &NewIdentity,
    factory: Option<String>,
) -> Result<(Arc<crate::cloud::CloudPlan>, Arc<Plan>), String> {
    let url = source.answers().and_then(|a| a.request.url.clone());
    let placeholder = crate::secret::Secret::new(Vec::new(), identity.placeholder());
    let prefix = crate::plan::command_prefix(&cfg.path, factory.as_deref()).join(" ");
    let plan = (source.build(cfg, placeholder, factory)).map_err(|e| e.for_wizard())?;
    let url = url.unwrap_or_default();
    let az = match identity.azure_request(&url) {
        Some(req) => Some(crate::cloud::azure::Az::find().ok_or_else(|| {
            format!(
                "the Azure CLI (`az`) is not installed, so fioreg cannot create the credential; \
                 nothing was created. Install it from https://aka.ms/azure-cli, or run these \
                 commands instead:\n\n{}",
                crate::cloud::azure::manual_commands(&req, &prefix)
            )
        })?),
        None => None,
    };
    let cloud = identity.plan_cloud(&url, az).map_err(|e| e.to_string())?;
    Ok((Arc::new(cloud), Arc::new(plan)))
}

/// The wizard's side of [`super::flow::read_and_build`]: the config as loaded, the session's key
/// store and AWS profiles, and the refusals in the wizard's words.
fn build_plan(
    session: &Session,
    state: &State,
    source: &mut PlanSource,
) -> Result<Arc<Plan>, String> {
    let cfg = state.config.as_ref().map_err(Clone::clone)?;
    super::flow::read_and_build(
        source,
        cfg,
        session.keys.as_ref(),
        &session.aws,
        state.ctx.plan_factory.clone(),
    )
    .map(Arc::new)
    .map_err(|e| e.for_wizard())
}

/// Several factories: the CLI's checks before any secret is read, the credentials read once
/// (as [`super::flow::read_and_build`] reads them), the plan for all chosen factories by the
/// CLI's core (`fleet::plan`), then the typed password kept when asked. With it, a copy of
/// the first factory's plan: what the login test uses and the review is named by.
fn build_fleet_plan(
    session: &Session,
    state: &State,
    source: &mut PlanSource,
) -> Result<(Arc<Plan>, Arc<crate::fleet::Batch>), String> {
    let fleet = session.fleet.as_ref().ok_or("no factories to work on")?;
    let members = state.chosen_members();
    if members.is_empty() {
        return Err("no factory is chosen".into());
    }
    let job = match &*source {
        PlanSource::Add { answers, .. } => crate::fleet::Job::Add(answers.request.clone()),
        PlanSource::Rotate { target, .. } => crate::fleet::Job::Rotate(target.clone()),
        PlanSource::Remove {
            target,
            delete_secret,
        } => crate::fleet::Job::Remove {
            target: target.clone(),
            delete_secret: *delete_secret,
        },
    };
    crate::fleet::precheck(&members, &job).map_err(|e| format!("{e:#}"))?;
    let secret = super::flow::read_secret(source, session.keys.as_ref(), &session.aws)
        .map_err(|e| e.for_wizard())?;
    let mut batch = crate::fleet::plan(members, &job, &secret, &fleet.tools);
    drop(secret);
    if let Some((message, push)) = &fleet.commit {
        batch.add_commits(message.clone(), *push);
    }
    if let Some(why) = batch.nothing_to_do() {
        return Err(why);
    }
    super::flow::keep_typed(source, session.keys.as_ref()).map_err(|e| e.for_wizard())?;
    let first = batch
        .first_plan()
        .ok_or("nothing to do in any chosen factory")?;
    Ok((Arc::new(first), Arc::new(batch)))
}

/// The scan of containers.git, as `fioreg scan` makes it: online (the registries probed) when
/// the login test is on, else from the files alone.
fn scan(
    cfg: &crate::factory_config::FactoryConfig,
    root: &Path,
    factory: Option<String>,
    secrets: Option<Vec<String>>,
    verify: Option<crate::verify::VerifyOptions>,
) -> Result<crate::scan::ScanReport, String> {
    use crate::scan::{ScanInput, probe};
    let input = ScanInput {
        root,
        factory: factory.as_deref(),
        entries: &cfg.registries,
        config_path: &cfg.path,
        secrets: secrets.as_deref(),
        secrets_error: None,
    };
    let report = match verify {
        Some(verify) => {
            let opts = probe::ProbeOptions { verify, jobs: 16 };
            crate::scan::scan_online(&input, &Default::default(), &opts)
                .map_err(|e| e.to_string())?
        }
        None => crate::scan::scan_offline(&input).map_err(|e| e.to_string())?,
    };
    Ok(report)
}

/// Completes the last component of a path from the directory it names: one match completes
/// (with `/` after a directory), several complete to their common prefix and are listed.
/// Hidden entries are offered only when the prefix starts with `.`.
pub fn complete_path(input: &str, home: Option<&Path>) -> (String, Vec<String>) {
    let (dir_part, prefix) = match input.rfind('/') {
        Some(i) => input.split_at(i + 1),
        None => ("", input),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_part, home)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (input.to_string(), Vec::new());
    };
    let mut found: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            Some((name, is_dir))
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [] => (input.to_string(), Vec::new()),
        [(name, is_dir)] => {
            let slash = if *is_dir { "/" } else { "" };
            (format!("{dir_part}{name}{slash}"), Vec::new())
        }
        many => {
            let first = &many[0].0;
            let mut common = first.len();
            for (name, _) in many {
                common = first
                    .bytes()
                    .zip(name.bytes())
                    .take(common)
                    .take_while(|(a, b)| a == b)
                    .count();
            }
            while !first.is_char_boundary(common) {
                common -= 1;
            }
            let mut names: Vec<String> = many
                .iter()
                .map(|(n, d)| if *d { format!("{n}/") } else { n.clone() })
                .collect();
            if names.len() > MAX_CANDIDATES {
                let more = names.len() - MAX_CANDIDATES;
                names.truncate(MAX_CANDIDATES);
                names.push(format!("(+{more} more)"));
            }
            (format!("{dir_part}{}", &first[..common]), names)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_from_the_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("sa-key.json"), "{}").unwrap();
        std::fs::write(d.join("sa-other.json"), "{}").unwrap();
        std::fs::write(d.join(".hidden"), "").unwrap();
        std::fs::create_dir(d.join("keys")).unwrap();
        let base = format!("{}/", d.display());

        let (done, list) = complete_path(&format!("{base}k"), None);
        assert_eq!((done, list.len()), (format!("{base}keys/"), 0));

        let (done, list) = complete_path(&format!("{base}sa"), None);
        assert_eq!(done, format!("{base}sa-"));
        assert_eq!(list, vec!["sa-key.json", "sa-other.json"]);

        let (done, _) = complete_path(&format!("{base}sa-k"), None);
        assert_eq!(done, format!("{base}sa-key.json"));

        let (_, list) = complete_path(&base, None);
        assert_eq!(list, vec!["keys/", "sa-key.json", "sa-other.json"]);
        let (done, _) = complete_path(&format!("{base}.h"), None);
        assert_eq!(done, format!("{base}.hidden"));

        // `~/` is the home directory; the completion keeps what was typed.
        let (done, _) = complete_path("~/sa-k", Some(d));
        assert_eq!(done, "~/sa-key.json");
        // Nothing to complete: unchanged.
        assert_eq!(complete_path("/no/such/dir/x", None).0, "/no/such/dir/x");
    }

    use crate::keystore::{KeyStore, KeyStoreError, MemoryKeyStore};
    use crate::plan::CredentialInput;
    use crate::tui::testing::{CONFIG, config, ctx};
    use crate::wizard::flow::{KeyringUse, PlanSource};
    use crate::wizard::update::update;
    use secrecy::{ExposeSecret, SecretString};

    /// A key store that refuses everything, like a sandboxed keyring.
    struct Refusing;

    impl KeyStore for Refusing {
        fn get(&self, _: &str) -> Result<Option<SecretString>, KeyStoreError> {
            Err(self.refusal())
        }
        fn set(&self, _: &str, _: &SecretString) -> Result<(), KeyStoreError> {
            Err(self.refusal())
        }
        fn delete(&self, _: &str) -> Result<bool, KeyStoreError> {
            Err(self.refusal())
        }
        fn describe(&self) -> &'static str {
            "the test keyring"
        }
        fn check(&self) -> Result<(), KeyStoreError> {
            Err(self.refusal())
        }
    }

    impl Refusing {
        fn refusal(&self) -> KeyStoreError {
            KeyStoreError::Unavailable {
                store: self.describe(),
                reason: "access denied (EACCES)".into(),
            }
        }
    }

    fn session(keys: Arc<dyn KeyStore + Send + Sync>, dir: &Path) -> Session {
        Session {
            config_path: dir.join("factory-config.yml"),
            factory: None,
            store: Ok(Arc::new(crate::plan::FolderStore {
                dir: dir.join("secrets"),
            })),
            aws: Arc::new(
                crate::credentials::aws::ProfileSource::from_files(None, None, &[]).unwrap(),
            ),
            demo: None,
            keys,
            settings: None,
            verify: None,
            containers: None,
            fleet: None,
        }
    }

    fn add_generic(password: &str, keyring: KeyringUse) -> PlanSource {
        PlanSource::Add {
            answers: crate::plan::Answers {
                request: crate::plan::Request {
                    provider: crate::provider::Provider::Generic,
                    url: Some("docker.io".into()),
                    region: None,
                    secret_name: None,
                },
                credential: CredentialInput::UserToken {
                    user: "ci".into(),
                    password: SecretString::from(password),
                },
            },
            keyring,
        }
    }

    fn run(session: &Session, effect: Effect) -> Option<Action> {
        let (tx, _rx) = std::sync::mpsc::channel();
        let state = State::new(ctx(), Ok(config(CONFIG)));
        Runner::new(session, tx).run(effect, &state)
    }

    #[test]
    fn remember_keeps_the_password_before_anything_is_applied() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(MemoryKeyStore::new());
        let s = session(keys.clone(), dir.path());
        let effect =
            Effect::BuildPlan(add_generic("tok", KeyringUse::Remember("docker.io".into())));
        let Some(Action::PlanBuilt { result, .. }) = run(&s, effect) else {
            panic!("no plan")
        };
        assert!(result.is_ok(), "{result:?}");
        let kept = keys.get("docker.io").unwrap().unwrap();
        assert_eq!(kept.expose_secret(), "tok");
        // A password the core refuses is never kept.
        let effect = Effect::BuildPlan(add_generic("a:b", KeyringUse::Remember("ghcr.io".into())));
        let Some(Action::PlanBuilt { result, .. }) = run(&s, effect) else {
            panic!("no plan")
        };
        assert!(result.is_err());
        assert!(keys.get("ghcr.io").unwrap().is_none());
        assert!(!dir.path().join("secrets").exists(), "nothing was applied");
    }

    #[test]
    fn the_remembered_password_fills_the_answers() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(MemoryKeyStore::new());
        keys.set("docker.io", &SecretString::from("kept-tok"))
            .unwrap();
        let s = session(keys, dir.path());
        let effect = Effect::BuildPlan(add_generic(
            "",
            KeyringUse::UseRemembered("docker.io".into()),
        ));
        let Some(Action::PlanBuilt { source, result }) = run(&s, effect) else {
            panic!("no plan")
        };
        let plan = result.unwrap();
        assert_eq!(plan.secret.expose(), b"ci:kept-tok");
        let Some(CredentialInput::UserToken { password, .. }) =
            source.answers().map(|a| &a.credential)
        else {
            panic!("no token")
        };
        assert_eq!(password.expose_secret(), "kept-tok");
        // Gone from the store meanwhile: said, not guessed.
        let s = session(Arc::new(MemoryKeyStore::new()), dir.path());
        let effect = Effect::BuildPlan(add_generic(
            "",
            KeyringUse::UseRemembered("docker.io".into()),
        ));
        let Some(Action::PlanBuilt { result, .. }) = run(&s, effect) else {
            panic!("no plan")
        };
        let err = result.unwrap_err();
        assert!(
            err.contains("no longer holds a token for docker.io"),
            "{err}"
        );
    }

    #[test]
    fn a_refusing_key_store_is_reported_and_nothing_is_planned() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Arc::new(Refusing), dir.path());
        let effect =
            Effect::BuildPlan(add_generic("tok", KeyringUse::Remember("docker.io".into())));
        let Some(Action::PlanBuilt { result, .. }) = run(&s, effect) else {
            panic!("no plan")
        };
        let err = result.unwrap_err();
        assert!(
            err.contains("the test keyring is unavailable: access denied"),
            "{err}"
        );
        // Feeding it back keeps the Credentials screen.
        let mut state = State::new(ctx(), Ok(config(CONFIG)));
        crate::tui::testing::to_generic_credentials(&mut state, "docker.io");
        update(
            &mut state,
            Action::PlanBuilt {
                source: add_generic("tok", KeyringUse::No),
                result: Err(err),
            },
        );
        assert_eq!(state.screen, crate::wizard::state::Screen::Credentials);
    }

    #[test]
    fn the_key_store_is_asked_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(MemoryKeyStore::new());
        keys.set("ghcr.io", &SecretString::from("x")).unwrap();
        let s = session(keys, dir.path());
        let (tx, rx) = std::sync::mpsc::channel();
        let state = State::new(ctx(), Ok(config(CONFIG)));
        let runner = Runner::new(&s, tx);
        assert!(
            runner
                .run(Effect::CheckKeyring("ghcr.io".into()), &state)
                .is_none()
        );
        let Ok(Action::KeyringChecked { account, held }) = rx.recv() else {
            panic!("no answer")
        };
        assert_eq!((account.as_str(), held), ("ghcr.io", true));
        // A refusing store holds nothing usable.
        let s = session(Arc::new(Refusing), dir.path());
        let (tx, rx) = std::sync::mpsc::channel();
        Runner::new(&s, tx).run(Effect::CheckKeyring("ghcr.io".into()), &state);
        assert!(matches!(
            rx.recv(),
            Ok(Action::KeyringChecked { held: false, .. })
        ));
    }

    #[test]
    fn settings_are_recorded_for_a_real_session_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = session(Arc::new(MemoryKeyStore::new()), dir.path());
        let plan = Arc::new(
            add_generic("tok", KeyringUse::No)
                .build(
                    &config(CONFIG),
                    crate::secret::Secret::new(b"ci:tok".to_vec(), "t"),
                    None,
                )
                .unwrap(),
        );
        // No factory, no settings file: nothing to record.
        assert!(matches!(
            run(&s, Effect::RememberChoices(Arc::clone(&plan))),
            Some(Action::SettingsSaved(Ok(false)))
        ));
        let path = dir.path().join("config.toml");
        s.settings = Some(path.clone());
        s.factory = Some(("acme".into(), crate::fioctl::FactorySource::Flag));
        assert!(matches!(
            run(&s, Effect::RememberChoices(Arc::clone(&plan))),
            Some(Action::SettingsSaved(Ok(true)))
        ));
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(saved.starts_with("[factories.acme]\nconfig = "), "{saved}");
        assert!(!saved.contains("tok\""), "{saved}");
        // A settings file that cannot be read: an error to warn about.
        std::fs::write(&path, "not [valid toml").unwrap();
        assert!(matches!(
            run(&s, Effect::RememberChoices(plan)),
            Some(Action::SettingsSaved(Err(_)))
        ));
    }

    /// A login test that says what it was given (the secret included: it is a test's).
    fn echo_verifier(
        provider: crate::provider::Provider,
        url: Option<&str>,
        region: Option<&str>,
        secret: &crate::secret::Secret,
        opts: &crate::verify::VerifyOptions,
    ) -> Result<crate::verify::Outcome, crate::verify::VerifyError> {
        Err(crate::verify::VerifyError::BadInput {
            reason: format!(
                "{provider} {url:?} {region:?} {} insecure={}",
                String::from_utf8_lossy(secret.expose()),
                opts.insecure_loopback
            ),
        })
    }

    #[test]
    fn the_login_test_runs_in_the_background_with_the_plans_secret() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Arc::new(MemoryKeyStore::new()), dir.path());
        let plan = Arc::new(
            add_generic("tok", KeyringUse::No)
                .build(
                    &config(CONFIG),
                    crate::secret::Secret::new(b"ci:tok".to_vec(), "t"),
                    None,
                )
                .unwrap(),
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let state = State::new(ctx(), Ok(config(CONFIG)));
        let runner = Runner::new(&s, tx).with_verifier(echo_verifier);
        let opts = crate::verify::VerifyOptions {
            insecure_loopback: true,
            ..Default::default()
        };
        let effect = Effect::TestLogin {
            run: 7,
            plan: Arc::clone(&plan),
            opts,
        };
        assert!(runner.run(effect, &state).is_none());
        let Ok(Action::LoginTested { run, result }) = rx.recv() else {
            panic!("no answer")
        };
        assert_eq!(run, 7);
        assert_eq!(
            result.unwrap_err().to_string(),
            "generic Some(\"docker.io\") None ci:tok insecure=true"
        );
        // The thread let go of the plan before it answered: applying can take it.
        assert_eq!(Arc::strong_count(&plan), 1);
    }

    #[test]
    fn device_wrap_from_start_writes_the_dockerfile_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(Arc::new(MemoryKeyStore::new()), dir.path());
        let (tx, _rx) = std::sync::mpsc::channel();
        let mut state = State::new(
            crate::wizard::state::Context {
                containers: Some(dir.path().to_path_buf()),
                ..ctx()
            },
            Ok(config(CONFIG)),
        );
        state.scan = crate::wizard::state::ScanState::Done {
            headline: None,
            suggestions: vec![crate::scan::Suggestion::DeviceWrap {
                image: "ghcr.io/acme/agent:1.2".into(),
                container: "agent".into(),
                command: String::new(),
            }],
            errors: 0,
            warnings: 1,
        };
        let item = state.start_items()[0].clone();
        assert_eq!(
            item.label(),
            "Wrap ghcr.io/acme/agent:1.2 for devices: write agent/Dockerfile"
        );
        let effect = update(&mut state, Action::Select(0));
        assert!(matches!(effect, Effect::DeviceWrap { .. }), "{effect:?}");
        let runner = Runner::new(&s, tx);
        let Some(result) = runner.run(effect, &state) else {
            panic!("no result")
        };
        update(&mut state, result);
        let said = crate::wizard::flow::scan_lines(&state);
        let (_, last) = said.last().expect("a line");
        assert!(last.starts_with("Wrote "), "{last}");
        let written = std::fs::read_to_string(dir.path().join("agent/Dockerfile")).unwrap();
        assert!(written.contains("FROM ghcr.io/acme/agent:1.2"), "{written}");
        // Again: the file is there and is not overwritten.
        let effect = update(&mut state, Action::Select(0));
        let result = runner.run(effect, &state).expect("a result");
        update(&mut state, result);
        let said = crate::wizard::flow::scan_lines(&state);
        assert!(
            said.last()
                .is_some_and(|(_, l)| l.contains("already wraps ghcr.io/acme/agent:1.2")),
            "{said:?}"
        );
    }
}
