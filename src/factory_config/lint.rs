//! `fioreg check`: the problems that make Foundries CI crash or fail to log in, each with its
//! file:line, severity and fix.

use super::{FactoryConfig, RegistryEntry};
use crate::provider::{self, Provider};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in factory-config.yml or in the factory's secrets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub line: usize,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

impl Finding {
    pub(crate) fn error(line: usize, message: String, fix: impl Into<String>) -> Finding {
        Finding {
            line,
            severity: Severity::Error,
            message,
            fix: fix.into(),
        }
    }
    fn warning(line: usize, message: String, fix: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(line, message, fix)
        }
    }

    /// `path:line: error: message` and an indented fix, like a compiler.
    pub fn render(&self, path: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Messages quote the file (urls, names, types) and fioctl: escape control characters.
        use crate::escape::line;
        format!(
            "{}:{}: {sev}: {}\n  fix: {}",
            line(path),
            self.line,
            line(&self.message),
            line(&self.fix)
        )
    }
}

/// Names that look like registry credentials (the defaults fioreg and Foundries' docs use).
fn looks_like_registry_secret(name: &str) -> bool {
    ["aws_creds", "azprincipal", "gcp_creds"].contains(&name) || name.ends_with("_creds")
}

impl FactoryConfig {
    /// The line of `key` inside `entry` (the entry's first line when the key is absent).
    fn key_line(&self, entry: &RegistryEntry, key: &str) -> usize {
        let end = self
            .registries
            .get(entry.index + 1)
            .map_or(usize::MAX, |next| next.line);
        self.text
            .lines()
            .enumerate()
            .skip(entry.line - 1)
            .take_while(|(i, _)| i + 1 < end)
            .find(|(_, l)| {
                let t = l.trim_start().trim_start_matches("- ").trim_start();
                t.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map_or(entry.line, |(i, _)| i + 1)
    }

    /// The line of `docker_build_secrets:` when `containers: docker_build_secrets:` is true.
    fn docker_build_secrets_line(&self) -> Option<usize> {
        use serde_yaml::Value;
        let on = match self.value.get("containers")?.get("docker_build_secrets")? {
            Value::Bool(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        if !on {
            return None;
        }
        let line = self
            .text
            .lines()
            .position(|l| {
                l.trim_start()
                    .strip_prefix("docker_build_secrets")
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map_or(1, |i| i + 1);
        Some(line)
    }

    /// Every problem CI would hit. `secrets`: the factory's secret names, for the online checks.
    pub fn lint(&self, secrets: Option<&[String]>) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut seen_single: Vec<(Provider, usize)> = Vec::new();
        let mut seen_secret: Vec<(&str, &RegistryEntry)> = Vec::new();
        // The first entry CI fails on: it stops there (its login fails, or it crashes).
        let mut first_failing: Option<&RegistryEntry> = None;
        for e in &self.registries {
            let before = out.len();
            self.lint_entry(e, secrets, &mut out, &mut seen_single, &mut seen_secret);
            if first_failing.is_none()
                && out[before..].iter().any(|f| f.severity == Severity::Error)
            {
                first_failing = Some(e);
            }
        }
        if let Some(f) = first_failing {
            let later: Vec<String> = self
                .registries
                .iter()
                .skip(f.index + 1)
                .map(|e| match &e.url {
                    Some(u) => format!("line {} ({} {u})", e.line, e.kind),
                    None => format!("line {} ({})", e.line, e.kind),
                })
                .collect();
            if !later.is_empty() {
                let n = later.len();
                out.push(Finding::warning(
                    f.line,
                    format!(
                        "CI stops at the first registry it cannot log in to, so this entry blocks \
                         the {} after it: {}",
                        if n == 1 {
                            "entry".to_string()
                        } else {
                            format!("{n} entries")
                        },
                        later.join(", ")
                    ),
                    format!(
                        "fix this entry first, or remove it with `fioreg remove {}`",
                        f.url
                            .as_deref()
                            .or(f.secret_name.as_deref())
                            .unwrap_or("URL")
                    ),
                ));
            }
        }
        self.lint_after_entries(secrets, &mut out);
        out.sort_by_key(|f| f.line);
        out
    }

    /// The problems of one entry.
    fn lint_entry<'a>(
        &self,
        e: &'a RegistryEntry,
        secrets: Option<&[String]>,
        out: &mut Vec<Finding>,
        seen_single: &mut Vec<(Provider, usize)>,
        seen_secret: &mut Vec<(&'a str, &'a RegistryEntry)>,
    ) {
        let Some(p) = e.provider else {
            let msg = if e.kind.is_empty() {
                "this entry has no `type:`, and CI exits with \"Unsupported registry type\""
                    .to_string()
            } else {
                format!(
                    "type `{}` is not one CI knows, and CI exits with \"Unsupported registry type\"",
                    e.kind
                )
            };
            out.push(Finding::error(
                self.key_line(e, "type"),
                msg,
                "use one of aws, azure, gar, generic",
            ));
            return;
        };
        for key in p.required_keys() {
            let value = e
                .fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str());
            if value.is_none_or(str::is_empty) {
                out.push(Finding::error(
                    e.line,
                    format!("the {p} entry has no `{key}`, and CI crashes with a KeyError"),
                    format!(
                        "add `{key}:` to this entry (`fioreg add {p} ...` writes a complete entry)"
                    ),
                ));
            }
        }
        if let Some(url) = &e.url {
            let line = self.key_line(e, "url");
            match p {
                Provider::Aws => match provider::aws::parse_url(url) {
                    Err(why) => out.push(Finding::error(
                        line,
                        why,
                        "write the registry as ACCOUNT.dkr.ecr.REGION.amazonaws.com",
                    )),
                    Ok(parsed) => {
                        if let Some(region) = &e.region
                            && region != parsed.region
                        {
                            out.push(Finding::error(
                                self.key_line(e, "region"),
                                format!(
                                    "region `{region}` differs from the url's region `{}`: CI logs in to {region} and then cannot pull from {url}",
                                    parsed.region
                                ),
                                format!("set `region: {}`", parsed.region),
                            ));
                        }
                    }
                },
                Provider::Azure => {
                    if let Err(why) = provider::azure::validate_url(url) {
                        out.push(Finding::error(
                            line,
                            why,
                            "write the registry as NAME.azurecr.io",
                        ));
                    }
                }
                Provider::Gar | Provider::Generic => {
                    if p == Provider::Generic && provider::generic::docker_hub_alias(url) {
                        out.push(Finding::warning(
                            line,
                            provider::generic::docker_hub_note(url),
                            format!(
                                "set `url: {}` (or run `fioreg add generic --url {} --username USER`, which updates this entry)",
                                provider::generic::DOCKER_HUB,
                                provider::generic::DOCKER_HUB
                            ),
                        ));
                    } else if let Err(why) = p.validate_url(url) {
                        out.push(Finding::warning(line, why, "write only the registry host"));
                    }
                }
            }
        }
        if p.single_per_factory() {
            if let Some((_, first)) = seen_single.iter().find(|(q, _)| *q == p) {
                out.push(Finding::error(
                    e.line,
                    format!(
                        "a second {p} entry (the first is at line {first}): CI crashes with FileExistsError on two {p} entries"
                    ),
                    format!("keep one {p} entry per factory; remove this one with `fioreg remove`"),
                ));
            } else {
                seen_single.push((p, e.line));
            }
        }
        if let Some(name) = e.secret_name.as_deref().filter(|n| !n.is_empty()) {
            let line = self.key_line(e, p.secret_key());
            if let Err(why) = provider::validate_secret_name(name) {
                out.push(Finding::error(
                    line,
                    why,
                    "rename the secret (and store it again under the new name)",
                ));
            }
            if let Some((_, other)) = seen_secret.iter().find(|(n, _)| *n == name) {
                let (severity, why) = if other.provider == Some(p) {
                    (
                        Severity::Warning,
                        "both registries must then accept the same credentials",
                    )
                } else {
                    (
                        Severity::Error,
                        "the two types need differently shaped secrets, so one of them cannot log in",
                    )
                };
                out.push(Finding {
                    severity,
                    ..Finding::error(
                        line,
                        format!(
                            "secret `{name}` is also used by the {} entry at line {}: {why}",
                            other.kind, other.line
                        ),
                        "give each registry its own secret name",
                    )
                });
            } else {
                seen_secret.push((name, e));
            }
            if let Some(names) = secrets
                && !names.iter().any(|s| s == name)
            {
                out.push(Finding::error(
                    line,
                    format!("secret `{name}` does not exist in the factory, so CI cannot log in to this registry"),
                    format!("store it with `fioreg add {p} ...` (or `fioctl secrets update {name}==FILE`)"),
                ));
            }
        }
    }

    /// The problems of the file and the factory as a whole.
    fn lint_after_entries(&self, secrets: Option<&[String]>, out: &mut Vec<Finding>) {
        if let Some(line) = self.docker_build_secrets_line()
            && !self.registries.is_empty()
        {
            // Each secret once, in the file's order (a shared one need not be adjacent).
            let mut names: Vec<String> = Vec::new();
            for e in &self.registries {
                if let Some(n) = e.secret_name.as_deref().filter(|n| !n.is_empty())
                    && !names.contains(&format!("`{n}`"))
                {
                    names.push(format!("`{n}`"));
                }
            }
            let which = if names.is_empty() {
                "the registry credentials".to_string()
            } else {
                format!("the registry credentials {}", names.join(", "))
            };
            out.push(Finding::warning(
                line,
                format!(
                    "`containers: docker_build_secrets: true` hands every factory secret, {which} \
                     included, to every Dockerfile build in containers.git as a build secret"
                ),
                "remove `docker_build_secrets: true` (or set it to false) unless a Dockerfile \
                 needs a build secret; if one does, any Dockerfile can read these credentials, \
                 so keep them pull-only",
            ));
        }
        if let Some(names) = secrets {
            let last = self.text.lines().count().max(1);
            let key_line = super::key_line_no(&self.text).unwrap_or(last);
            for name in names {
                let used = self
                    .registries
                    .iter()
                    .any(|e| e.secret_name.as_deref() == Some(name));
                if !used && looks_like_registry_secret(name) {
                    out.push(Finding::warning(
                        key_line,
                        format!("the factory has a secret `{name}` that looks like registry credentials, but no entry uses it"),
                        format!("add the registry it belongs to, or delete it with `fioctl secrets update {name}=`"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn lint(text: &str, secrets: Option<&[String]>) -> Vec<Finding> {
        FactoryConfig::parse(Path::new("f.yml"), text.to_string())
            .unwrap()
            .lint(secrets)
    }

    #[test]
    fn clean_config_has_no_findings() {
        let t = "container_registries:\n- type: aws\n  region: us-east-2\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n";
        assert_eq!(lint(t, Some(&["aws_creds".to_string()])), vec![]);
    }

    #[test]
    fn finds_each_crash() {
        let t = "container_registries:\n\
                 - type: docker\n  url: x\n\
                 - type: aws\n  region: eu-west-1\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n\
                 - type: aws\n  url: 1.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: bad name\n\
                 - type: azure\n  url: acme.azurecr.io\n  azure_principal_secret_name: aws_creds\n\
                 - type: gar\n";
        let f = lint(t, None);
        let lines: Vec<(usize, Severity)> = f.iter().map(|f| (f.line, f.severity)).collect();
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert!(msgs[0].contains("type `docker`"), "{msgs:?}");
        assert_eq!(lines[0], (2, Severity::Error));
        assert!(
            f.iter()
                .any(|f| f.line == 5 && f.message.contains("differs from the url's region")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 8 && f.message.contains("no `region`")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 8 && f.message.contains("second aws entry")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 9 && f.message.contains("12 digits")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 10 && f.message.contains("contains ` `")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 12 && f.message.contains("NAME.azurecr.io")),
            "{f:#?}"
        );
        assert!(
            f.iter().any(|f| f.line == 13
                && f.severity == Severity::Error
                && f.message.contains("also used by the aws entry at line 4")),
            "{f:#?}"
        );
        assert!(
            f.iter()
                .any(|f| f.line == 14 && f.message.contains("no `gar_creds_secret_name`")),
            "{f:#?}"
        );
    }

    #[test]
    fn docker_hub_aliases_are_warned_about() {
        let t = "container_registries:\n- type: generic\n  url: https://index.docker.io/v1/\n  generic_secret_name: hub_creds\n";
        let f = lint(t, None);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!((f[0].line, f[0].severity), (3, Severity::Warning));
        assert!(f[0].message.contains("is Docker Hub"), "{f:#?}");
        assert!(f[0].fix.contains("set `url: docker.io`"), "{f:#?}");
    }

    #[test]
    fn docker_build_secrets_is_warned_about_when_there_are_registries() {
        let reg = "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";
        let t = format!("containers:\n  platforms: [amd64]\n  docker_build_secrets: true\n{reg}");
        let f = lint(&t, None);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!((f[0].line, f[0].severity), (3, Severity::Warning));
        assert!(
            f[0].message
                .contains("the registry credentials `ghcr_creds` included"),
            "{f:#?}"
        );
        assert!(
            f[0].fix.starts_with("remove `docker_build_secrets: true`"),
            "{f:#?}"
        );
        // A secret shared by entries that are not next to each other is named once.
        let three = format!(
            "{t}- type: generic\n  url: quay.io\n  generic_secret_name: quay_creds\n\
             - type: generic\n  url: docker.io\n  generic_secret_name: ghcr_creds\n"
        );
        let f = lint(&three, None);
        let warn = f
            .iter()
            .find(|f| f.message.contains("docker_build_secrets"))
            .expect("the warning");
        assert!(
            warn.message
                .contains("the registry credentials `ghcr_creds`, `quay_creds` included"),
            "{f:#?}"
        );
        let off = t.replace("docker_build_secrets: true", "docker_build_secrets: false");
        assert_eq!(lint(&off, None), vec![]);
        assert_eq!(
            lint("containers:\n  docker_build_secrets: true\n", None),
            vec![]
        );
    }

    #[test]
    fn the_first_failing_entry_says_which_entries_it_blocks() {
        let t = "container_registries:\n\
                 - type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n\
                 - type: generic\n  url: quay.io\n  generic_secret_name: quay_creds\n\
                 - type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n\
                 - type: gar\n  gar_creds_secret_name: gcp_creds\n";
        let secrets: Vec<String> = ["ghcr_creds", "azprincipal", "gcp_creds"]
            .map(String::from)
            .to_vec();
        let f = lint(t, Some(&secrets));
        let blocks: Vec<&Finding> = f.iter().filter(|f| f.message.contains("blocks")).collect();
        assert_eq!(blocks.len(), 1, "{f:#?}");
        assert_eq!((blocks[0].line, blocks[0].severity), (5, Severity::Warning));
        assert!(
            blocks[0].message.ends_with(
                "blocks the 2 entries after it: line 8 (azure acmeprod.azurecr.io), line 11 (gar)"
            ),
            "{f:#?}"
        );
        assert_eq!(
            blocks[0].fix,
            "fix this entry first, or remove it with `fioreg remove quay.io`"
        );
        // The last entry failing blocks nothing; no failure, nothing blocked.
        let all: Vec<String> = ["ghcr_creds", "quay_creds", "azprincipal"]
            .map(String::from)
            .to_vec();
        let f = lint(t, Some(&all));
        assert!(f.iter().all(|f| !f.message.contains("blocks")), "{f:#?}");
        assert_eq!(f.len(), 1, "{f:#?}");
    }

    #[test]
    fn online_checks() {
        let t = "a: 1\ncontainer_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";
        let secrets = vec!["aws_creds".to_string(), "unrelated".to_string()];
        let f = lint(t, Some(&secrets));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!((f[0].line, f[0].severity), (2, Severity::Warning));
        assert!(
            f[0].message
                .contains("`aws_creds` that looks like registry credentials")
        );
        assert_eq!((f[1].line, f[1].severity), (5, Severity::Error));
        assert!(f[1].message.contains("`ghcr_creds` does not exist"));
        assert!(
            f[1].render("f.yml")
                .starts_with("f.yml:5: error: secret `ghcr_creds`")
        );
    }
}
