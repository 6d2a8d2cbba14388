//! Which factory fioctl will use: `--factory`, FIOCTL_FACTORY, or fioctl's config.

use std::path::{Path, PathBuf};

/// Where the factory name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorySource {
    Flag,
    Env,
    Config,
}

impl FactorySource {
    pub fn describe(self) -> &'static str {
        match self {
            FactorySource::Flag => "--factory",
            FactorySource::Env => "FIOCTL_FACTORY",
            FactorySource::Config => "fioctl's config",
        }
    }
}

/// The factory fioctl will use: `--factory`, else FIOCTL_FACTORY, else `factory:` in fioctl's
/// config (FIOCTL_CONFIG, else ~/.config/fioctl.yaml). `None` when none is set.
pub fn resolve_factory(flag: Option<&str>) -> Option<(String, FactorySource)> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    resolve_factory_from(flag, env("FIOCTL_FACTORY"), fioctl_config_path(&env))
}

fn fioctl_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("FIOCTL_CONFIG").map(PathBuf::from).or_else(|| {
        env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))
            .map(|d| d.join("fioctl.yaml"))
    })
}

fn resolve_factory_from(
    flag: Option<&str>,
    env: Option<String>,
    config: Option<PathBuf>,
) -> Option<(String, FactorySource)> {
    if let Some(f) = flag.filter(|f| !f.trim().is_empty()) {
        return Some((f.to_string(), FactorySource::Flag));
    }
    if let Some(f) = env {
        return Some((f, FactorySource::Env));
    }
    let text = std::fs::read_to_string(config?).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let f = value.get("factory")?.as_str()?.trim().to_string();
    (!f.is_empty()).then_some((f, FactorySource::Config))
}

#[cfg(test)]
mod factory_tests {
    use super::*;

    #[test]
    fn factory_resolution_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("fioctl.yaml");
        std::fs::write(
            &cfg,
            "clientcredentials:\n  client_id: x\nfactory: from-config\n",
        )
        .expect("write");
        let r = |flag, env: Option<&str>| {
            resolve_factory_from(flag, env.map(String::from), Some(cfg.clone()))
        };
        assert_eq!(
            r(Some("f"), Some("e")),
            Some(("f".into(), FactorySource::Flag))
        );
        assert_eq!(r(None, Some("e")), Some(("e".into(), FactorySource::Env)));
        assert_eq!(
            r(None, None),
            Some(("from-config".into(), FactorySource::Config))
        );
        assert_eq!(
            resolve_factory_from(None, None, Some(dir.path().join("none"))),
            None
        );
    }
}
