//! `list`, `check` and `verify` across factories, and [`overview`]: per remembered factory its
//! registries and which of their secrets are missing (what a side-by-side view needs).

use super::change::{Probe, copy, one_provider, probe_targets};
use super::{Member, Tools, header, members, runner};
use crate::cli::{CredFlags, Global};
use crate::commands::Creds;
use crate::escape;
use crate::factory_config::FactoryConfig;
use crate::factory_config::lint::{Finding, Severity};
use crate::fioctl::Fioctl;
use crate::keystore;
use crate::plan::Plan;
use crate::settings::Settings;
use crate::wizard::report::Exit;
use anyhow::Result;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// One configured registry of a factory and whether its secret exists there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistryView {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    pub region: Option<String>,
    pub secret_name: Option<String>,
    pub line: usize,
    /// `None` when the factory's secrets could not be listed.
    pub secret_present: Option<bool>,
}

/// A factory's registries as its config has them, with the secrets fioctl lists for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactoryOverview {
    pub factory: String,
    /// Its factory-config.yml; `None` when settings remember none for it.
    pub config: Option<PathBuf>,
    /// The registries, or why the config could not be read.
    pub registries: Result<Vec<RegistryView>, String>,
    /// Why the secrets could not be listed, when they could not (then every `secret_present`
    /// is `None`).
    pub secrets_unknown_reason: Option<String>,
}

impl FactoryOverview {
    /// The secret names its config uses that the factory does not have (empty when unknown).
    pub fn missing_secrets(&self) -> Vec<String> {
        self.registries
            .as_ref()
            .map(|regs| {
                regs.iter()
                    .filter(|r| r.secret_present == Some(false))
                    .filter_map(|r| r.secret_name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Per factory: its config read and its secrets listed with its own fioctl (at most
/// `tools.jobs` factories at a time).
pub fn overview(members: &[Member], tools: &Tools) -> Vec<FactoryOverview> {
    runner::run_bounded(members, tools.jobs, |m| {
        let found = tools.fioctl(&m.name);
        one_overview(m, found.as_ref().map_err(ToString::to_string))
    })
}

/// [`overview`] of every factory remembered in the settings at `settings`; a factory without
/// a remembered config is listed with that as its error.
pub fn remembered_overview(
    settings: &Path,
    tools: &Tools,
) -> Result<Vec<FactoryOverview>, crate::settings::SettingsError> {
    let remembered = Settings::load(settings)?.factories();
    let members: Vec<Member> = remembered
        .iter()
        .filter_map(|(name, config)| {
            config.as_ref().map(|c| Member {
                name: name.clone(),
                config: PathBuf::from(c),
            })
        })
        .collect();
    let mut known = overview(&members, tools).into_iter();
    Ok(remembered
        .into_iter()
        .map(|(name, config)| match config {
            Some(_) => known.next().expect("one overview per member"),
            None => FactoryOverview {
                factory: name.clone(),
                config: None,
                registries: Err(format!(
                    "no factory-config.yml remembered: `fioreg settings set factories.{name}.config PATH`"
                )),
                secrets_unknown_reason: None,
            },
        })
        .collect())
}

fn one_overview(m: &Member, fioctl: Result<&Fioctl, String>) -> FactoryOverview {
    let cfg = match FactoryConfig::load(&m.config) {
        Ok(cfg) => cfg,
        Err(e) => {
            return FactoryOverview {
                factory: m.name.clone(),
                config: Some(m.config.clone()),
                registries: Err(format!("{e:#}")),
                secrets_unknown_reason: None,
            };
        }
    };
    let secrets: Result<Vec<String>, String> = if cfg.registries.is_empty() {
        Ok(Vec::new())
    } else {
        fioctl.and_then(|f| f.secrets_list().map_err(|e| e.to_string()))
    };
    let registries = cfg
        .registries
        .iter()
        .map(|e| RegistryView {
            kind: e.kind.clone(),
            url: e.url.clone(),
            region: e.region.clone(),
            secret_name: e.secret_name.clone(),
            line: e.line,
            secret_present: secrets.as_ref().ok().map(|names| {
                e.secret_name
                    .as_deref()
                    .is_some_and(|n| names.iter().any(|s| s == n))
            }),
        })
        .collect();
    FactoryOverview {
        factory: m.name.clone(),
        config: Some(m.config.clone()),
        registries: Ok(registries),
        secrets_unknown_reason: secrets.err(),
    }
}

/// Prints rows as columns two spaces apart.
fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    print!(
        "{}",
        super::summary::columns(&header.map(String::from), rows)
    );
}

/// `fioreg --all-factories list`: one table, a row per registry per factory.
pub fn list(g: &Global, json: bool) -> Result<()> {
    let members = members(g)?;
    let views = overview(&members, &Tools::of(g));
    let unreadable: Vec<&str> = views
        .iter()
        .filter(|v| v.registries.is_err())
        .map(|v| v.factory.as_str())
        .collect();
    if json {
        let out: Vec<serde_json::Value> = views
            .iter()
            .map(|v| {
                serde_json::json!({
                    "factory": v.factory,
                    "config": v.config,
                    "config_error": v.registries.as_ref().err(),
                    "secrets_unknown_reason": v.secrets_unknown_reason,
                    "registries": v.registries.as_ref().ok(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let cell = |v: &Option<String>| {
            v.as_deref()
                .map_or_else(|| "-".to_string(), |v| escape::line(v).into_owned())
        };
        let mut rows: Vec<[String; 6]> = Vec::new();
        for v in &views {
            let name = escape::line(&v.factory).into_owned();
            let regs = v.registries.as_deref().unwrap_or_default();
            if regs.is_empty() {
                let none = match v.registries {
                    Err(_) => "(config unreadable)",
                    Ok(_) => "(no registries)",
                };
                let dash = || "-".to_string();
                rows.push([name.clone(), dash(), none.into(), dash(), dash(), dash()]);
            }
            for r in regs {
                rows.push([
                    name.clone(),
                    escape::line(&r.kind).into_owned(),
                    cell(&r.url),
                    cell(&r.region),
                    cell(&r.secret_name),
                    match r.secret_present {
                        Some(true) => "present".into(),
                        Some(false) => "MISSING".into(),
                        None => "unknown".into(),
                    },
                ]);
            }
        }
        print_table(
            ["FACTORY", "TYPE", "URL", "REGION", "SECRET", "IN FACTORY"],
            &rows,
        );
        let mut notes = Vec::new();
        for v in &views {
            if let Err(why) = &v.registries {
                notes.push(format!("{}: {why}", v.factory));
            } else if let Some(why) = &v.secrets_unknown_reason {
                notes.push(format!("{}: secrets were not checked: {why}", v.factory));
            }
        }
        if !notes.is_empty() {
            println!("\n{}", escape::controls(&notes.join("\n")));
        }
        if views.iter().any(|v| !v.missing_secrets().is_empty()) {
            println!(
                "\nA MISSING secret makes CI fail to log in: store it with `fioreg --factory NAME \
                 add` (or `rotate`) for that registry."
            );
        }
    }
    if !unreadable.is_empty() {
        return Err(Exit {
            code: 1,
            message: format!("could not read the config of {}", unreadable.join(", ")),
        }
        .into());
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct CheckJson {
    factory: String,
    config: String,
    online: bool,
    errors: usize,
    warnings: usize,
    findings: Vec<Finding>,
}

/// What `check` finds in `cfg`, its secrets checked against the factory's list when `fioctl`
/// is given (`None`: offline); secrets that cannot be listed are an error of their own.
pub fn findings(
    cfg: &FactoryConfig,
    fioctl: Option<Result<crate::fioctl::Fioctl, crate::fioctl::FioctlError>>,
) -> Vec<Finding> {
    let listed = fioctl.map(|f| f.and_then(|f| f.secrets_list()));
    let mut findings = cfg.lint(
        listed
            .as_ref()
            .and_then(|l| l.as_ref().ok())
            .map(Vec::as_slice),
    );
    if let Some(Err(why)) = listed {
        findings.push(Finding::error(
            1,
            format!("the factory's secrets could not be checked: {why}"),
            "log in with `fioctl login`, or pass --offline to check the file only",
        ));
    }
    findings
}

/// `fioreg --all-factories check`: each factory's findings, then exit 1 if any has an error.
pub fn check(g: &Global, offline: bool, json: bool) -> Result<()> {
    let members = members(g)?;
    let tools = Tools::of(g);
    let results: Vec<(String, Vec<Finding>, usize)> =
        runner::run_bounded(&members, tools.jobs, |m| {
            let cfg = match FactoryConfig::load(&m.config) {
                Ok(cfg) => cfg,
                Err(e) => {
                    return (
                        m.config.display().to_string(),
                        vec![Finding::error(
                            1,
                            format!("{e:#}"),
                            "fix the file, or remember the right one with `fioreg settings set \
                             factories.NAME.config PATH`",
                        )],
                        0,
                    );
                }
            };
            let findings = findings(&cfg, (!offline).then(|| tools.fioctl(&m.name)));
            (
                cfg.path.display().to_string(),
                findings,
                cfg.registries.len(),
            )
        });
    let errors_of = |f: &[Finding]| f.iter().filter(|x| x.severity == Severity::Error).count();
    let failing: Vec<&str> = members
        .iter()
        .zip(&results)
        .filter(|(_, (_, f, _))| errors_of(f) > 0)
        .map(|(m, _)| m.name.as_str())
        .collect();
    if json {
        let out: Vec<CheckJson> = members
            .iter()
            .zip(results)
            .map(|(m, (config, findings, _))| CheckJson {
                factory: m.name.clone(),
                config,
                online: !offline,
                errors: errors_of(&findings),
                warnings: findings.len() - errors_of(&findings),
                findings,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (m, (path, findings, count)) in members.iter().zip(&results) {
            println!("{}", header(m));
            for f in findings {
                println!("{}", f.render(path));
            }
            let errors = errors_of(findings);
            println!(
                "{}: {count} registries, {errors} errors, {} warnings{}\n",
                escape::line(path),
                findings.len() - errors,
                if offline {
                    " (offline: secrets not checked)"
                } else {
                    ""
                }
            );
        }
    }
    if !failing.is_empty() {
        return Err(Exit {
            code: 1,
            message: format!(
                "errors in {} of {} factories: {}",
                failing.len(),
                members.len(),
                failing.join(", ")
            ),
        }
        .into());
    }
    Ok(())
}

/// `fioreg --all-factories verify TARGET`: the credentials read once, the login tested once per
/// distinct registry (url and region), the result shown per factory that has TARGET.
pub fn verify(g: &Global, target: &str, flags: &CredFlags) -> Result<()> {
    use crate::verify::{LoginCheck, verify_plan};
    let members = members(g)?;
    let creds = Creds::of_rotate(flags);
    let (probes, cfgs) = probe_targets(&members, target);
    let (provider, url) = one_provider(&members, &probes, target)?;
    let secret = creds.read(
        provider,
        url.as_deref(),
        false,
        std::io::stdin().is_terminal(),
        &keystore::OsKeyring,
    )?;
    let opts = crate::session::verify_options(g);
    let login = |cfg: &FactoryConfig, m: &Member| -> Result<String, String> {
        let plan = Plan::rotate(cfg, target, copy(&secret), Some(m.name.clone()))
            .map_err(|e| e.to_string())?;
        match LoginCheck::of(verify_plan(&plan, &opts, crate::verify::verify)) {
            LoginCheck::Accepted => Ok("accepted".to_string()),
            LoginCheck::NoLogin => Ok("needs no login (not tested)".to_string()),
            LoginCheck::Failed(why) | LoginCheck::Unreachable(why) => Err(why),
        }
    };
    // Per distinct registry (url, region): the login test's result.
    type Tested = ((Option<String>, Option<String>), Result<String, String>);
    let mut tested: Vec<Tested> = Vec::new();
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut failed = Vec::new();
    for ((m, probe), cfg) in members.iter().zip(&probes).zip(&cfgs) {
        let (registry, result) = match (probe, cfg) {
            (Probe::Found((_, url, region)), Ok(cfg)) => {
                let key = (url.clone(), region.clone());
                let result = match tested.iter().find(|(k, _)| *k == key) {
                    Some((_, r)) => r.clone(),
                    None => {
                        let r = login(cfg, m);
                        tested.push((key, r.clone()));
                        r
                    }
                };
                (url.clone().unwrap_or_else(|| provider.to_string()), result)
            }
            (Probe::Absent(_), _) => ("-".to_string(), Ok("skipped: not configured".into())),
            (Probe::Broken(why), _) | (_, Err(why)) => ("-".to_string(), Err(why.clone())),
        };
        let word = match &result {
            Ok(w) => w.clone(),
            Err(why) => {
                failed.push(format!("{}: {why}", m.name));
                "FAILED".into()
            }
        };
        rows.push([
            escape::line(&m.name).into_owned(),
            escape::line(&registry).into_owned(),
            word,
        ]);
    }
    print_table(["FACTORY", "REGISTRY", "LOGIN TEST"], &rows);
    println!("Nothing was stored.");
    if !failed.is_empty() {
        println!("\n{}", escape::controls(&failed.join("\n")));
        return Err(Exit {
            code: 1,
            message: format!("the login test failed in {} factories", failed.len()),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const STUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fioctl");

    #[test]
    fn overview_gives_registries_and_the_missing_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("factory-config.yml");
        std::fs::write(
            &config,
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n\
             - type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n",
        )
        .unwrap();
        let state = dir.path().join("stub");
        std::fs::create_dir_all(state.join("factories/acme/secrets")).unwrap();
        std::fs::write(state.join("factories/acme/secrets/ghcr_creds"), "ci:t").unwrap();
        let fioctl = Fioctl::find(Some(Path::new(STUB)), Some("acme".into()))
            .unwrap()
            .with_env("FIOCTL_STUB_DIR", &state);
        let m = Member {
            name: "acme".into(),
            config: config.clone(),
        };
        let o = one_overview(&m, Ok(&fioctl));
        assert_eq!(o.secrets_unknown_reason, None);
        assert_eq!(o.missing_secrets(), vec!["azprincipal".to_string()]);
        let regs = o.registries.as_ref().unwrap();
        assert_eq!(regs.len(), 2);
        assert_eq!(regs[0].secret_present, Some(true));
        assert_eq!(regs[1].line, 5);

        // Secrets that cannot be listed are unknown, not missing.
        let o = one_overview(&m, Err("fioctl was not found".into()));
        assert_eq!(
            o.secrets_unknown_reason.as_deref(),
            Some("fioctl was not found")
        );
        assert!(o.missing_secrets().is_empty());
        assert_eq!(o.registries.as_ref().unwrap()[0].secret_present, None);

        // An unreadable config is the factory's error.
        let gone = Member {
            name: "beta".into(),
            config: dir.path().join("nope.yml"),
        };
        assert!(one_overview(&gone, Ok(&fioctl)).registries.is_err());
    }

    #[test]
    fn remembered_overview_lists_every_remembered_factory_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("b.yml");
        std::fs::write(&config, "lmp: {}\n").unwrap();
        let settings = dir.path().join("config.toml");
        std::fs::write(
            &settings,
            format!(
                "[factories.alpha]\nlast_provider = \"aws\"\n[factories.beta]\nconfig = \"{}\"\n",
                config.display()
            ),
        )
        .unwrap();
        let tools = Tools {
            fioctl: Some(PathBuf::from(STUB)),
            timeout: Duration::from_secs(5),
            jobs: 2,
        };
        let all = remembered_overview(&settings, &tools).unwrap();
        let names: Vec<&str> = all.iter().map(|o| o.factory.as_str()).collect();
        assert_eq!(names, ["alpha", "beta"]);
        assert!(
            all[0]
                .registries
                .as_ref()
                .unwrap_err()
                .contains("factories.alpha.config")
        );
        // No registries: fioctl is not asked at all.
        assert_eq!(all[1].registries, Ok(Vec::new()));
        assert_eq!(all[1].secrets_unknown_reason, None);
    }
}
