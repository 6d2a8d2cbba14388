//! What every interactive front end starts from: the config path, the factory, where secrets go
//! (fioctl, or a scratch folder in demo mode) and where AWS profiles are read.

use crate::credentials::aws::ProfileSource;
use crate::fioctl::{self, FactorySource, Fioctl, FioctlError};
use crate::fleet::Tools;
use crate::fleet::matrix::FleetSource;
use crate::keystore::{KeyStore, MemoryKeyStore, OsKeyring};
use crate::plan::{FolderStore, SecretStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The example factory-config.yml, built into the binary so `--demo` works from any directory.
pub const EXAMPLE_CONFIG: &str = include_str!("../assets/example/factory-config.yml");

/// Demo mode's scratch files.
#[derive(Debug)]
pub struct Demo {
    /// Holds the scratch directory; it is kept (not deleted) so the user can look at it.
    pub dir: PathBuf,
    pub secrets_dir: PathBuf,
}

/// The factory and the places an interactive run works with.
pub struct Session {
    pub config_path: PathBuf,
    pub factory: Option<(String, FactorySource)>,
    /// Where secrets are stored and listed. `Err` when fioctl could not be found: the wizard
    /// still shows the config, says why secrets are unknown, and refuses to apply.
    pub store: Result<Arc<dyn SecretStore>, String>,
    pub aws: Arc<ProfileSource>,
    pub demo: Option<Demo>,
    /// Where a registry password or token is remembered: the OS keyring for a real session, an
    /// in-memory store in demo mode (and in tests).
    pub keys: Arc<dyn KeyStore + Send + Sync>,
    /// fioreg's settings file, where a successful add records its choices; `None` in demo mode
    /// (and in tests), which must never touch the user's settings.
    pub settings: Option<PathBuf>,
    /// How to test a login before storing credentials; `None` skips the test (--no-verify, and
    /// demo mode, whose registries are made up).
    pub verify: Option<crate::verify::VerifyOptions>,
    /// The factory's containers.git checkout, when one is known: the Start screen scans it.
    pub containers: Option<PathBuf>,
    /// The remembered factories the Start screen shows side by side: only when the settings
    /// remember two or more (never in demo mode or tests).
    pub fleet: Option<FleetSource>,
}

impl Session {
    /// A real session: fioctl from `--fioctl` or PATH, the factory from the flag, env or config.
    pub fn real(
        config_path: &Path,
        factory_flag: Option<&str>,
        fioctl_bin: Option<&Path>,
        timeout: std::time::Duration,
    ) -> Session {
        let factory = fioctl::resolve_factory(factory_flag);
        let store = Fioctl::find(fioctl_bin, factory_flag.map(String::from))
            .map(|f| Arc::new(f.with_timeout(timeout)) as Arc<dyn SecretStore>)
            .map_err(|e: FioctlError| e.to_string());
        Session {
            config_path: config_path.to_path_buf(),
            factory,
            store,
            aws: Arc::new(ProfileSource::real()),
            demo: None,
            keys: Arc::new(OsKeyring),
            settings: crate::settings::Settings::default_path(),
            verify: Some(crate::verify::VerifyOptions::default()),
            containers: None,
            fleet: None,
        }
    }

    /// Demo mode: a scratch copy of the example config, secrets into a scratch folder, no fioctl.
    /// AWS profiles come from a built-in fake with one pull-only profile, one personal `default`
    /// and one temporary profile, so every case of the credentials screen can be seen.
    pub fn demo() -> std::io::Result<Session> {
        let dir = tempfile::Builder::new()
            .prefix("fioreg-demo-")
            .tempdir()?
            .keep();
        let config_path = dir.join("factory-config.yml");
        std::fs::write(&config_path, EXAMPLE_CONFIG)?;
        let secrets_dir = dir.join("secrets");
        // The example's aws secret exists, its ghcr.io one is missing: both cases show.
        let store = FolderStore {
            dir: secrets_dir.clone(),
        };
        store
            .update(&[(
                "aws_creds",
                &crate::secret::Secret::new(
                    b"[default]\naws_access_key_id = AKIADEMOCIPULL000001\naws_secret_access_key = demo-not-a-real-key\n".to_vec(),
                    "demo",
                ),
            )])
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let aws = ProfileSource::from_files(
            Some(
                "[default]\naws_access_key_id = AKIADEMOPERSONAL0001\naws_secret_access_key = demo-not-a-real-key\n\n\
                 [ci-pull]\naws_access_key_id = AKIADEMOCIPULL000001\naws_secret_access_key = demo-not-a-real-key\n\n\
                 [sso-session]\naws_access_key_id = ASIADEMOTEMPORARY001\naws_secret_access_key = demo-not-a-real-key\naws_session_token = demo\n"
                    .into(),
            ),
            None,
            &[],
        )?;
        Ok(Session {
            config_path,
            factory: Some(("demo-factory".into(), FactorySource::Flag)),
            store: Ok(Arc::new(store)),
            aws: Arc::new(aws),
            demo: Some(Demo { dir, secrets_dir }),
            keys: Arc::new(MemoryKeyStore::new()),
            settings: None,
            verify: None,
            containers: None,
            fleet: None,
        })
    }

    /// The factory's name for display, or a note that none is set.
    pub fn factory_label(&self) -> String {
        match &self.factory {
            Some((f, src)) => format!("{f} (from {})", src.describe()),
            None => "fioctl's default (none set)".into(),
        }
    }

    /// The factory passed to plans (only an explicit flag is passed on to fioctl).
    pub fn plan_factory(&self) -> Option<String> {
        match &self.factory {
            Some((f, FactorySource::Flag)) => Some(f.clone()),
            _ => None,
        }
    }

    /// The config the wizards start from: the factory's, or (several factories, each with
    /// its own) an empty one that is never written.
    pub fn wizard_config(&self) -> Result<crate::factory_config::FactoryConfig, String> {
        if self.fleet.as_ref().is_some_and(|f| f.several.is_some()) {
            return several_config();
        }
        crate::factory_config::FactoryConfig::load(&self.config_path).map_err(|e| e.to_string())
    }
}

/// `--config`, else the path remembered for the factory, else ./factory-config.yml.
pub fn config_path(g: &crate::cli::Global) -> std::path::PathBuf {
    if let Some(p) = &g.config {
        return p.clone();
    }
    let remembered = crate::fioctl::resolve_factory(g.factory.as_deref()).and_then(|(f, _)| {
        let settings =
            crate::settings::Settings::load(&crate::settings::Settings::default_path()?).ok()?;
        settings.get(&format!("factories.{f}.config"))
    });
    remembered
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "factory-config.yml".into())
}

/// The login test's options from the global flags.
pub fn verify_options(g: &crate::cli::Global) -> crate::verify::VerifyOptions {
    crate::verify::VerifyOptions {
        insecure_loopback: g.insecure_registry,
        ca_file: g.ca_file.clone(),
        timeout: std::time::Duration::from_secs(g.verify_timeout),
        repository: g.repository.first().cloned(),
        ..Default::default()
    }
}

/// The wizard's session: the demo's scratch copy, or the real factory and config from the flags
/// (the login test off with `--no-verify`).
pub fn for_wizard(cli: &crate::cli::Cli) -> anyhow::Result<Session> {
    use anyhow::Context as _;
    let g = &cli.global;
    if g.is_fleet() && !cli.demo {
        return several(g);
    }
    let mut session = if cli.demo {
        Session::demo().context("creating the demo's scratch folder")?
    } else {
        Session::real(
            &config_path(g),
            g.factory.as_deref(),
            g.fioctl.as_deref(),
            std::time::Duration::from_secs(g.fioctl_timeout),
        )
    };
    if session.demo.is_none() {
        session.verify = (!g.no_verify).then(|| verify_options(g));
        let factory = session.factory.as_ref().map(|(f, _)| f.as_str());
        session.containers = crate::scan::containers_dir(None, factory, &session.config_path);
        // Start may switch to working across these factories: then `--jobs` and `--commit`
        // (`--push`, `--message`) count as in `fioreg --all-factories`.
        session.fleet = FleetSource::when_several(session.settings.clone(), Tools::of(g))
            .map(|fleet| with_commit(fleet, g));
    }
    Ok(session)
}

/// The wizard's session across factories (`fioreg --all-factories`, or `--factory` given
/// several times): each factory with its remembered factory-config.yml and its own
/// `fioctl --factory NAME`; there is no one config, factory or containers.git.
fn several(g: &crate::cli::Global) -> anyhow::Result<Session> {
    let members = crate::fleet::members(g)?;
    let settings = crate::settings::Settings::default_path().ok_or_else(|| {
        anyhow::anyhow!("neither XDG_CONFIG_HOME nor HOME is set, so there are no settings")
    })?;
    let mut session = Session::real(
        &settings,
        None,
        g.fioctl.as_deref(),
        std::time::Duration::from_secs(g.fioctl_timeout),
    );
    session.verify = (!g.no_verify).then(|| verify_options(g));
    let fleet = FleetSource::several(settings, members, &Tools::of(g));
    session.fleet = Some(with_commit(fleet, g));
    Ok(session)
}

/// `--commit` (`--push`, `--message`): each written config is committed, as the subcommands do.
fn with_commit(fleet: FleetSource, g: &crate::cli::Global) -> FleetSource {
    let commit = (g.commit || g.push || g.message.is_some()).then(|| (g.message.clone(), g.push));
    FleetSource { commit, ..fleet }
}

/// The config a wizard across factories starts from: an empty one that is never written (each
/// factory has its own).
pub fn several_config() -> Result<crate::factory_config::FactoryConfig, String> {
    crate::factory_config::FactoryConfig::parse(Path::new("factory-config.yml"), String::new())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factory_config::FactoryConfig;

    #[test]
    fn demo_session_has_a_scratch_config_and_store() {
        let s = Session::demo().unwrap();
        let demo = s.demo.as_ref().unwrap();
        assert_eq!(
            std::fs::read_to_string(&s.config_path).unwrap(),
            EXAMPLE_CONFIG
        );
        assert!(
            FactoryConfig::load(&s.config_path)
                .unwrap()
                .registries
                .len()
                >= 2
        );
        let store = s.store.as_ref().unwrap();
        assert_eq!(store.list().unwrap(), vec!["aws_creds".to_string()]);
        let profiles = crate::credentials::aws::list_profiles(&s.aws).unwrap();
        assert_eq!(profiles.len(), 3);
        std::fs::remove_dir_all(&demo.dir).unwrap();
    }
}
