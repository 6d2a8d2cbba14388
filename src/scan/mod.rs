//! `fioreg scan`: which images Foundries CI and the devices will pull for a factory, read from
//! its containers.git checkout the way CI reads it, grouped by registry, and whether an entry
//! of factory-config.yml (and its secret) covers each registry.
//!
//! - [`walk`]: which Dockerfiles and compose files CI uses (apps/build.sh, compose_apps.py);
//! - [`dockerfile`]: the images a Dockerfile build pulls;
//! - [`compose`]: the images of a compose app;
//! - [`reference`]: docker's reference normalisation and the host -> entry rules;
//! - [`probe`]: the online part (anonymous pull tokens, pull permission, manifest HEADs).
//!
//! Who pulls what: every Dockerfile reference is pulled by CI at build time. A compose image is
//! resolved and pinned by digest by CI (compose-publish, with CI's docker credentials), then
//! pulled by the devices with their own credentials. `hub.foundries.io/<factory>/...` images
//! are built by CI and need no entry.

pub mod compose;
pub mod dockerfile;
pub mod probe;
pub mod reference;
pub mod render;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::factory_config::RegistryEntry;
use crate::provider::Provider;
use probe::{Access, Exists, ProbeResults, RepoCreds};
use reference::{FOUNDRIES_HUB, Reference};

/// Who pulls an image for one use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Puller {
    Ci,
    Devices,
}

/// One place an image is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Use {
    /// The file, relative to the containers.git root.
    pub file: String,
    pub line: usize,
    pub pulled_by: Vec<Puller>,
}

/// What the online probe found for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStatus {
    pub access: Access,
    pub exists: Exists,
    /// With credentials for the registry: what they may do with the repository.
    pub creds: Option<RepoCreds>,
}

/// One image and everywhere it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// The normalised reference.
    pub image: String,
    pub uses: Vec<Use>,
    #[serde(skip)]
    pub reference: Reference,
    #[serde(skip)]
    pub status: Option<ImageStatus>,
}

impl Image {
    fn pulled_by_devices(&self) -> bool {
        self.uses
            .iter()
            .any(|u| u.pulled_by.contains(&Puller::Devices))
    }
}

/// The entry that covers a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInfo {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    pub secret: Option<String>,
    /// `None` when the factory's secrets were not checked.
    pub secret_present: Option<bool>,
    /// The entry's line in factory-config.yml.
    #[serde(skip)]
    pub line: usize,
}

/// One registry host and its images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryReport {
    pub host: String,
    pub entry: Option<EntryInfo>,
    /// Online: whether every image of the host can be pulled without credentials (`None`:
    /// offline, not probed, or unreachable).
    pub public: Option<bool>,
    pub images: Vec<Image>,
    /// The host is `hub.foundries.io` and its images are this factory's (built by CI).
    #[serde(skip)]
    pub factory_built: bool,
    /// Why the registry could not be probed, when it could not.
    #[serde(skip)]
    pub probe_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A registry that images need and no entry covers.
    MissingEntry,
    /// Offline: a registry without an entry; it may be public.
    NoEntryUnknown,
    /// The covering entry's secret does not exist in the factory.
    MissingSecret,
    /// An entry no image uses.
    UnusedEntry,
    /// A private image pulled by devices.
    DevicePrivate,
    /// A reference that still holds `$` after substitution.
    Unresolved,
    /// A reference docker would refuse.
    InvalidReference,
    /// `pre-build.conf` exists: the scan may be incomplete.
    PreBuild,
    /// `docker-compose.yaml` without `docker-compose.yml`: CI fails.
    ComposeYaml,
    /// A compose file CI cannot read, or a service without `image:`.
    ComposeInvalid,
    /// The Dockerfile a container names does not exist.
    MissingDockerfile,
    /// The registry has no such tag or digest.
    MissingTag,
    /// The credentials fioreg has may not pull from a repository.
    NoPull,
    /// The credentials fioreg has were refused by the registry.
    LoginFailed,
    /// The registry could not be reached.
    Unreachable,
    /// A file CI uses is not tracked by git, so CI does not see it.
    Untracked,
    /// The factory's name is not known: its own images cannot be told apart.
    NoFactory,
    /// The factory's secrets could not be listed.
    SecretsUnknown,
}

/// One problem, with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub host: Option<String>,
    pub image: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
    pub fix: Option<String>,
}

impl Finding {
    fn new(kind: FindingKind, severity: Severity, message: String) -> Finding {
        Finding {
            kind,
            severity,
            host: None,
            image: None,
            file: None,
            line: None,
            message,
            fix: None,
        }
    }
    fn host(mut self, h: &str) -> Self {
        self.host = Some(h.to_string());
        self
    }
    fn image(mut self, i: &str) -> Self {
        self.image = Some(i.to_string());
        self
    }
    fn at(mut self, file: &str, line: usize) -> Self {
        self.file = Some(file.to_string());
        self.line = Some(line);
        self
    }
    fn fix(mut self, f: String) -> Self {
        self.fix = Some(f);
        self
    }
}

/// What the scan is given.
#[derive(Debug, Clone)]
pub struct ScanInput<'a> {
    /// The containers.git checkout.
    pub root: &'a Path,
    /// The factory's name (FACTORY in CI), when known.
    pub factory: Option<&'a str>,
    /// The factory-config.yml entries.
    pub entries: &'a [RegistryEntry],
    /// The path of factory-config.yml, for the commands in fixes.
    pub config_path: &'a Path,
    /// The factory's secret names; `None` when not checked.
    pub secrets: Option<&'a [String]>,
    /// Why `secrets` is `None` while online, if it failed.
    pub secrets_error: Option<String>,
}

/// An image reference as found, before normalisation.
#[derive(Debug, Clone)]
struct Found {
    text: String,
    file: String,
    line: usize,
    pulled_by: Vec<Puller>,
}

/// Everything the files say, before any network access.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    found: Vec<Found>,
    findings: Vec<Finding>,
    pub containers: usize,
    pub apps: usize,
}

/// Reads the checkout (no network).
pub fn collect(input: &ScanInput<'_>) -> std::io::Result<Collected> {
    let root = input.root;
    let w = walk::walk(root)?;
    let mut c = Collected {
        containers: w.containers.len(),
        apps: w.apps.len(),
        ..Collected::default()
    };
    let mut used_files: Vec<String> = Vec::new();
    if w.pre_build {
        c.findings.push(
            Finding::new(
                FindingKind::PreBuild,
                Severity::Warning,
                "pre-build.conf is sourced by CI before the build and may set IMAGES or change \
                 any file: this scan may be incomplete"
                    .into(),
            )
            .at("pre-build.conf", 1)
            .fix("check by hand which images pre-build.conf adds or changes".into()),
        );
        used_files.push("pre-build.conf".into());
    }
    for y in &w.lone_yaml {
        c.findings.push(
            Finding::new(
                FindingKind::ComposeYaml,
                Severity::Error,
                "CI fails on a compose app whose file is named docker-compose.yaml".into(),
            )
            .at(y, 1)
            .fix(format!(
                "rename it: git mv {y} {}",
                y.trim_end_matches(".yaml").to_string() + ".yml"
            )),
        );
    }
    for ct in &w.containers {
        let conf = format!("{}/docker-build.conf", ct.dir);
        let text = match std::fs::read_to_string(root.join(&ct.dockerfile)) {
            Ok(t) => t,
            Err(e) => {
                let (file, line) = match ct.dockerfile_set_at {
                    Some(l) => (conf.clone(), l),
                    None => (ct.dockerfile.clone(), 1),
                };
                c.findings.push(
                    Finding::new(
                        FindingKind::MissingDockerfile,
                        Severity::Error,
                        format!(
                            "container {}: CI builds {}, which cannot be read ({e})",
                            ct.dir, ct.dockerfile
                        ),
                    )
                    .at(&file, line)
                    .fix("fix DOCKERFILE= in docker-build.conf or add the file".into()),
                );
                continue;
            }
        };
        used_files.push(ct.dockerfile.clone());
        if root.join(&conf).is_file() {
            used_files.push(conf);
        }
        let args_file = format!("{}/.docker_build_args", ct.dir);
        if root.join(&args_file).is_file() {
            used_files.push(args_file);
        }
        for r in dockerfile::parse(&text, &ct.build_args).images {
            c.found.push(Found {
                text: r.image,
                file: ct.dockerfile.clone(),
                line: r.line,
                pulled_by: vec![Puller::Ci],
            });
        }
    }
    for app in &w.apps {
        used_files.push(app.file.clone());
        let text = match std::fs::read_to_string(root.join(&app.file)) {
            Ok(t) => t,
            Err(e) => {
                c.findings.push(
                    Finding::new(
                        FindingKind::ComposeInvalid,
                        Severity::Error,
                        format!("cannot read it: {e}"),
                    )
                    .at(&app.file, 1),
                );
                continue;
            }
        };
        match compose::parse(&text, input.factory) {
            Err(e) => c.findings.push(
                Finding::new(
                    FindingKind::ComposeInvalid,
                    Severity::Error,
                    format!("CI cannot read this compose file: {}", e.message),
                )
                .at(&app.file, e.line)
                .fix("fix the YAML; `docker compose config` shows the problem".into()),
            ),
            Ok(p) => {
                for (service, line) in p.missing_image {
                    c.findings.push(
                        Finding::new(
                            FindingKind::ComposeInvalid,
                            Severity::Error,
                            format!(
                                "service {service} has no image: CI requires one for every service"
                            ),
                        )
                        .at(&app.file, line)
                        .fix(format!(
                            "add image: to service {service} (build it in containers.git and use \
                             hub.foundries.io/<factory>/<container>)"
                        )),
                    );
                }
                for s in p.images {
                    c.found.push(Found {
                        text: s.image,
                        file: app.file.clone(),
                        line: s.line,
                        pulled_by: vec![Puller::Ci, Puller::Devices],
                    });
                }
            }
        }
    }
    if let Some(untracked) = walk::untracked(root) {
        for f in used_files.iter().filter(|f| untracked.contains(*f)) {
            c.findings.push(
                Finding::new(
                    FindingKind::Untracked,
                    Severity::Warning,
                    "git does not track this file, so CI (which clones the repository) does not \
                     see it"
                        .into(),
                )
                .at(f, 1)
                .fix(format!("git add {f} && git commit (or remove it)")),
            );
        }
    }
    if input.factory.is_none() {
        c.findings.push(Finding::new(
            FindingKind::NoFactory,
            Severity::Warning,
            "the factory's name is not known, so its own hub.foundries.io images and ${FACTORY} \
             cannot be resolved"
                .into(),
        )
        .fix("pass --factory NAME (or set FIOCTL_FACTORY)".into()));
    }
    Ok(c)
}

/// The images to probe: host -> repository -> manifest references. The factory's own images
/// are not probed (CI builds them).
pub fn targets(
    c: &Collected,
    factory: Option<&str>,
) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &c.found {
        if f.text.contains('$') {
            continue;
        }
        if let Ok(r) = Reference::parse(&f.text) {
            if r.is_factory_image(factory) {
                continue;
            }
            out.entry(r.host.clone())
                .or_default()
                .entry(r.repository.clone())
                .or_default()
                .insert(r.manifest_reference().to_string());
        }
    }
    out
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub registries: Vec<RegistryReport>,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub root: PathBuf,
    #[serde(skip)]
    pub online: bool,
    #[serde(skip)]
    pub containers: usize,
    #[serde(skip)]
    pub apps: usize,
    #[serde(skip)]
    pub factory: Option<String>,
    #[serde(skip)]
    pub config_path: PathBuf,
}

impl ScanReport {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

/// The `fioreg add ...` command that adds an entry for `host`, with what the user must fill in
/// shown as `<...>`.
pub fn add_command(host: &str, config: &Path, factory: Option<&str>) -> (Provider, String) {
    use crate::plan::{command_prefix, shell_word};
    let provider = reference::provider_for_host(host);
    let mut words = command_prefix(config, factory);
    words.extend(["add".into(), provider.type_name().into()]);
    match provider {
        Provider::Aws => {
            words.extend(["--url".into(), shell_word(host)]);
            words.extend(["--profile".into(), "<PROFILE>".into()]);
        }
        Provider::Azure => {
            words.extend(["--url".into(), shell_word(host)]);
            words.extend([
                "--client-id".into(),
                "<ID>".into(),
                "--password-stdin".into(),
            ]);
        }
        Provider::Gar => {
            words.extend(["--key-file".into(), "<KEY.json>".into()]);
            if crate::provider::gar::validate_url(host).is_ok() {
                words.extend(["--url".into(), shell_word(host)]);
            }
        }
        Provider::Generic => {
            words.extend(["--url".into(), shell_word(host)]);
            words.extend([
                "--username".into(),
                "<USER>".into(),
                "--password-stdin".into(),
            ]);
        }
    }
    (provider, words.join(" "))
}

/// A container name for wrapping `r` (the repository's last component).
fn wrap_name(r: &Reference) -> String {
    let last = r.repository.rsplit('/').next().unwrap_or("image");
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-wrapped", name.trim_matches('-'))
}

/// The `fioreg device-wrap ...` command for a private image pulled by devices.
pub fn device_wrap_command(r: &Reference, root: &Path) -> (String, String) {
    use crate::plan::shell_word;
    let container = wrap_name(r);
    let cmd = format!(
        "fioreg device-wrap --image {} --container {} --containers-repo {}",
        shell_word(&r.normalized()),
        shell_word(&container),
        shell_word(&root.display().to_string())
    );
    (container, cmd)
}

/// Builds the report from what the files say and (online) what the registries answered.
pub fn report(
    input: &ScanInput<'_>,
    collected: Collected,
    probed: Option<&ProbeResults>,
) -> ScanReport {
    let mut findings = collected.findings;
    let mut hosts: BTreeMap<String, BTreeMap<String, Image>> = BTreeMap::new();
    for f in collected.found {
        if f.text.contains('$') {
            findings.push(
                Finding::new(
                    FindingKind::Unresolved,
                    Severity::Error,
                    format!(
                        "`{}` still holds a variable the scan cannot resolve, so its registry is \
                         unknown",
                        f.text
                    ),
                )
                .image(&f.text)
                .at(&f.file, f.line)
                .fix(
                    "give the variable a default (ARG NAME=value, ${NAME:-value}) or a value in \
                     .docker_build_args"
                        .into(),
                ),
            );
            continue;
        }
        let r = match Reference::parse(&f.text) {
            Ok(r) => r,
            Err(why) => {
                findings.push(
                    Finding::new(
                        FindingKind::InvalidReference,
                        Severity::Error,
                        format!(
                            "`{}` is not an image reference docker accepts: {why}",
                            f.text
                        ),
                    )
                    .image(&f.text)
                    .at(&f.file, f.line),
                );
                continue;
            }
        };
        let key = r.normalized();
        let image = hosts
            .entry(r.host.clone())
            .or_default()
            .entry(key.clone())
            .or_insert_with(|| Image {
                image: key,
                uses: Vec::new(),
                reference: r.clone(),
                status: None,
            });
        image.uses.push(Use {
            file: f.file,
            line: f.line,
            pulled_by: f.pulled_by,
        });
    }

    let secret_present = |name: Option<&str>| -> Option<bool> {
        let names = input.secrets?;
        Some(name.is_some_and(|n| names.iter().any(|s| s == n)))
    };
    let mut registries = Vec::new();
    let mut used_entries: BTreeSet<usize> = BTreeSet::new();
    for (host, images) in hosts {
        let mut images: Vec<Image> = images.into_values().collect();
        let factory_built = host == FOUNDRIES_HUB
            && images
                .iter()
                .all(|i| i.reference.is_factory_image(input.factory));
        let entry = if factory_built {
            None
        } else {
            reference::covering_entry(&host, input.entries)
        };
        if let Some(e) = entry {
            used_entries.insert(e.index);
        }
        let entry_info = entry.map(|e| EntryInfo {
            kind: e.kind.clone(),
            url: e.url.clone(),
            secret: e.secret_name.clone(),
            secret_present: secret_present(e.secret_name.as_deref()),
            line: e.line,
        });
        let mut probe_note = None;
        if let Some(p) = probed {
            probe_note = p.host_note(&host);
            for img in images.iter_mut() {
                if img.reference.is_factory_image(input.factory) {
                    continue;
                }
                img.status = p.status(&img.reference);
            }
        }
        let third_party: Vec<&Image> = images
            .iter()
            .filter(|i| !i.reference.is_factory_image(input.factory))
            .collect();
        let public = if probed.is_none() || third_party.is_empty() {
            None
        } else if third_party.iter().any(|i| {
            i.status
                .as_ref()
                .is_some_and(|s| s.access == Access::Private)
        }) {
            Some(false)
        } else if third_party.iter().all(|i| {
            i.status
                .as_ref()
                .is_some_and(|s| s.access == Access::Public)
        }) {
            Some(true)
        } else {
            None
        };
        // Findings for this registry.
        if !factory_built && !third_party.is_empty() {
            let first_use = |i: &Image| i.uses.first().map(|u| (u.file.clone(), u.line));
            match (&entry_info, probed) {
                (Some(e), _) => {
                    if e.secret_present == Some(false) {
                        findings.push(
                            Finding::new(
                                FindingKind::MissingSecret,
                                Severity::Error,
                                format!(
                                    "the {} entry for {host} names secret {}, which the factory \
                                     does not have: CI's login fails",
                                    e.kind,
                                    e.secret.as_deref().unwrap_or("(none)")
                                ),
                            )
                            .host(&host)
                            .at(&input.config_path.display().to_string(), e.line)
                            .fix(format!(
                                "store it: fioreg rotate {}",
                                e.secret.as_deref().unwrap_or(&host)
                            )),
                        );
                    }
                }
                (None, Some(_)) => {
                    let private: Vec<&&Image> = third_party
                        .iter()
                        .filter(|i| {
                            i.status
                                .as_ref()
                                .is_some_and(|s| s.access == Access::Private)
                        })
                        .collect();
                    if !private.is_empty() {
                        let (_, cmd) = add_command(&host, input.config_path, input.factory);
                        let (file, line) = first_use(private[0]).unwrap_or_default();
                        findings.push(
                            Finding::new(
                                FindingKind::MissingEntry,
                                Severity::Error,
                                format!(
                                    "{host}: {} private image(s) and no entry gives CI access \
                                     (e.g. {})",
                                    private.len(),
                                    private[0].image
                                ),
                            )
                            .host(&host)
                            .at(&file, line)
                            .fix(cmd),
                        );
                    }
                }
                (None, None) => {
                    let (_, cmd) = add_command(&host, input.config_path, input.factory);
                    if reference::is_ecr_host(&host) {
                        let (file, line) = first_use(third_party[0]).unwrap_or_default();
                        findings.push(
                            Finding::new(
                                FindingKind::MissingEntry,
                                Severity::Error,
                                format!(
                                    "{host}: a private ECR registry (never anonymous) and no \
                                     entry gives CI access"
                                ),
                            )
                            .host(&host)
                            .at(&file, line)
                            .fix(cmd),
                        );
                    } else {
                        findings.push(
                            Finding::new(
                                FindingKind::NoEntryUnknown,
                                Severity::Warning,
                                format!(
                                    "{host}: no entry (public?); offline, the scan cannot tell"
                                ),
                            )
                            .host(&host)
                            .fix(format!(
                                "run the scan online to check; if the images are private: {cmd}"
                            )),
                        );
                    }
                }
            }
            if let Some(note) = &probe_note {
                findings.push(
                    Finding::new(
                        note.kind,
                        if note.kind == FindingKind::LoginFailed {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        format!("{host}: {}", note.message),
                    )
                    .host(&host),
                );
            }
            for img in &third_party {
                let Some(st) = &img.status else { continue };
                let (file, line) = first_use(img).unwrap_or_default();
                if st.exists == Exists::No {
                    findings.push(
                        Finding::new(
                            FindingKind::MissingTag,
                            Severity::Error,
                            format!(
                                "{}: the registry has no {} (a pull fails)",
                                img.image,
                                img.reference.manifest_reference()
                            ),
                        )
                        .host(&host)
                        .image(&img.image)
                        .at(&file, line)
                        .fix("use a tag or digest that exists".into()),
                    );
                }
                if let Some(RepoCreds::NoPull) = st.creds {
                    findings.push(
                        Finding::new(
                            FindingKind::NoPull,
                            Severity::Error,
                            format!(
                                "the credentials fioreg was given for {host} may not pull {}",
                                img.reference.repository
                            ),
                        )
                        .host(&host)
                        .image(&img.image)
                        .at(&file, line)
                        .fix("grant pull (read) on this repository to the identity CI uses".into()),
                    );
                }
            }
            for img in &third_party {
                if !img.pulled_by_devices() {
                    continue;
                }
                let private = match &img.status {
                    Some(st) => st.access == Access::Private,
                    // Offline: an image of a registry with an entry is most likely private.
                    None => probed.is_none() && entry_info.is_some(),
                };
                if !private {
                    continue;
                }
                let (_, cmd) = device_wrap_command(&img.reference, input.root);
                let u = img
                    .uses
                    .iter()
                    .find(|u| u.pulled_by.contains(&Puller::Devices));
                let mut f = Finding::new(
                    FindingKind::DevicePrivate,
                    Severity::Warning,
                    format!(
                        "{} is {}private and devices pull it with their own credentials \
                         (factory-config.yml gives CI access only)",
                        img.image,
                        if probed.is_some() { "" } else { "probably " }
                    ),
                )
                .host(&host)
                .image(&img.image)
                .fix(format!(
                    "{cmd} (or give the devices credentials for {host})"
                ));
                if let Some(u) = u {
                    f = f.at(&u.file, u.line);
                }
                findings.push(f);
            }
        }
        registries.push(RegistryReport {
            host,
            entry: entry_info,
            public,
            images,
            factory_built,
            probe_note: probe_note.map(|n| n.message),
        });
    }
    let gar_used = registries.iter().any(|r| reference::is_gar_host(&r.host));
    for e in input.entries {
        if used_entries.contains(&e.index) || e.provider.is_none() {
            continue;
        }
        if e.provider == Some(Provider::Gar) && gar_used {
            continue;
        }
        let what = e
            .url
            .clone()
            .unwrap_or_else(|| "Google registries".to_string());
        findings.push(
            Finding::new(
                FindingKind::UnusedEntry,
                Severity::Warning,
                format!(
                    "the {} entry for {what} is used by no image in containers.git (may be stale, \
                     or used by system-image builds only)",
                    e.kind
                ),
            )
            .at(&input.config_path.display().to_string(), e.line)
            .fix(format!(
                "if it is stale: fioreg remove {}",
                e.secret_name
                    .as_deref()
                    .or(e.url.as_deref())
                    .unwrap_or("<SECRET_NAME>")
            )),
        );
    }
    if let Some(why) = &input.secrets_error {
        findings.push(
            Finding::new(
                FindingKind::SecretsUnknown,
                Severity::Warning,
                format!("the factory's secrets could not be listed: {why}"),
            )
            .fix("log in with `fioctl login`, or pass --offline".into()),
        );
    }
    findings.sort_by_key(|f| f.severity);
    ScanReport {
        registries,
        findings,
        root: input.root.to_path_buf(),
        online: probed.is_some(),
        containers: collected.containers,
        apps: collected.apps,
        factory: input.factory.map(str::to_string),
        config_path: input.config_path.to_path_buf(),
    }
}

/// The whole offline scan: [`collect`] then [`report`] without probes.
pub fn scan_offline(input: &ScanInput<'_>) -> std::io::Result<ScanReport> {
    let c = collect(input)?;
    Ok(report(input, c, None))
}

/// The whole online scan: [`collect`], [`probe::probe`] every repository (with `creds`, by
/// host), then [`report`]. `Err` only when the files cannot be read or the probe settings are
/// unusable (a bad `--ca-file`); unreachable registries are findings.
pub fn scan_online(
    input: &ScanInput<'_>,
    creds: &std::collections::HashMap<String, probe::Credential>,
    opts: &probe::ProbeOptions,
) -> anyhow::Result<ScanReport> {
    let c = collect(input)?;
    let t = targets(&c, input.factory);
    let results = probe::probe(&t, creds, opts)?;
    Ok(report(input, c, Some(&results)))
}

/// The containers.git checkout for `fioreg scan`: `--containers`, else the one remembered for
/// the factory (`factories.<NAME>.containers`), else `../containers` beside the ci-scripts
/// checkout (the directory of factory-config.yml) when it exists.
pub fn containers_dir(
    explicit: Option<&std::path::Path>,
    factory: Option<&str>,
    config: &std::path::Path,
) -> Option<std::path::PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let remembered = factory.and_then(|f| {
        let settings =
            crate::settings::Settings::load(&crate::settings::Settings::default_path()?).ok()?;
        settings.get(&format!("factories.{f}.containers"))
    });
    if let Some(p) = remembered {
        return Some(p.into());
    }
    let config = std::path::absolute(config).ok()?;
    let beside = config.parent()?.parent()?.join("containers");
    beside.is_dir().then_some(beside)
}

/// A one-key fix the wizard's Start screen can offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// Add an entry for a registry no entry covers.
    AddEntry {
        host: String,
        provider: Provider,
        /// The url to fill in (`None` for a gar host CI covers without one).
        url: Option<String>,
        /// The `fioreg add ...` line, with `<...>` for what the user must give.
        command: String,
    },
    /// Wrap a private image that devices pull into hub.foundries.io.
    DeviceWrap {
        image: String,
        container: String,
        command: String,
    },
}

/// The fixes the wizard offers for `report`: one AddEntry per registry that needs an entry,
/// one DeviceWrap per private device-pulled image.
pub fn summary(report: &ScanReport) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &report.findings {
        match f.kind {
            FindingKind::MissingEntry => {
                let Some(host) = &f.host else { continue };
                if !seen.insert(host.clone()) {
                    continue;
                }
                let (provider, command) =
                    add_command(host, &report.config_path, report.factory.as_deref());
                let url = match provider {
                    Provider::Gar => crate::provider::gar::validate_url(host)
                        .is_ok()
                        .then(|| host.clone()),
                    _ => Some(host.clone()),
                };
                out.push(Suggestion::AddEntry {
                    host: host.clone(),
                    provider,
                    url,
                    command,
                });
            }
            FindingKind::DevicePrivate => {
                let Some(image) = &f.image else { continue };
                let Ok(r) = Reference::parse(image) else {
                    continue;
                };
                let (container, command) = device_wrap_command(&r, &report.root);
                out.push(Suggestion::DeviceWrap {
                    image: image.clone(),
                    container,
                    command,
                });
            }
            _ => {}
        }
    }
    out
}

/// The Start screen's one line, e.g. "containers.git needs 2 registries that no entry covers:
/// ghcr.io, acme.azurecr.io"; `None` when nothing is missing.
pub fn headline(report: &ScanReport) -> Option<String> {
    let hosts: Vec<String> = summary(report)
        .into_iter()
        .filter_map(|s| match s {
            Suggestion::AddEntry { host, .. } => Some(host),
            Suggestion::DeviceWrap { .. } => None,
        })
        .collect();
    match hosts.len() {
        0 => None,
        1 => Some(format!(
            "containers.git needs 1 registry that no entry covers: {}",
            hosts[0]
        )),
        n => Some(format!(
            "containers.git needs {n} registries that no entry covers: {}",
            hosts.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factory_config::FactoryConfig;

    const ECR: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

    fn config(text: &str) -> FactoryConfig {
        FactoryConfig::parse(Path::new("factory-config.yml"), text.to_string()).unwrap()
    }

    #[test]
    fn hosts_map_to_the_entries_ci_logs_in_with() {
        let cfg = config(&format!(
            "container_registries:\n\
             - type: aws\n  region: us-east-2\n  url: {ECR}\n  aws_creds_secret_name: aws_creds\n\
             - type: azure\n  url: acme.azurecr.io\n  azure_principal_secret_name: az\n\
             - type: generic\n  url: index.docker.io\n  generic_secret_name: hub_old\n\
             - type: gar\n  gar_creds_secret_name: gcp_creds\n\
             - type: generic\n  url: GHCR.io\n  generic_secret_name: ghcr\n"
        ));
        let e = |h: &str| {
            reference::covering_entry(h, &cfg.registries).map(|e| e.secret_name.clone().unwrap())
        };
        assert_eq!(e(ECR).as_deref(), Some("aws_creds"));
        assert_eq!(e("999999999999.dkr.ecr.us-east-2.amazonaws.com"), None);
        assert_eq!(e("acme.azurecr.io").as_deref(), Some("az"));
        assert_eq!(e("other.azurecr.io"), None);
        assert_eq!(e("ghcr.io").as_deref(), Some("ghcr"));
        // docker keeps an index.docker.io login where Docker Hub pulls never look.
        assert_eq!(e("docker.io"), None);
        for gar in [
            "us-central1-docker.pkg.dev",
            "docker.europe-west4.rep.pkg.dev",
            "gcr.io",
            "eu.gcr.io",
        ] {
            assert_eq!(e(gar).as_deref(), Some("gcp_creds"), "{gar}");
        }
    }

    #[test]
    fn add_commands_per_provider() {
        let cfg = Path::new("factory-config.yml");
        assert_eq!(
            add_command(ECR, cfg, Some("acme")),
            (
                Provider::Aws,
                format!("fioreg --factory acme add aws --url {ECR} --profile <PROFILE>")
            )
        );
        assert_eq!(
            add_command("gcr.io", Path::new("/x/f.yml"), None),
            (
                Provider::Gar,
                "fioreg --config /x/f.yml add gar --key-file <KEY.json>".to_string()
            )
        );
        assert_eq!(
            add_command("us-docker.pkg.dev", cfg, None).1,
            "fioreg add gar --key-file <KEY.json> --url us-docker.pkg.dev"
        );
        assert_eq!(
            add_command("ghcr.io", cfg, None).1,
            "fioreg add generic --url ghcr.io --username <USER> --password-stdin"
        );
    }

    #[test]
    fn summary_and_headline_for_the_wizard() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(
            root.join("a/Dockerfile"),
            format!("FROM {ECR}/base:1\nFROM 111111111111.dkr.ecr.eu-west-1.amazonaws.com/x:2\n"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::fs::write(
            root.join("app/docker-compose.yml"),
            "services:\n  s:\n    image: ghcr.io/acme/agent:4\n",
        )
        .unwrap();
        let cfg = config(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: g\n",
        );
        let input = ScanInput {
            root,
            factory: Some("acme"),
            entries: &cfg.registries,
            config_path: Path::new("factory-config.yml"),
            secrets: None,
            secrets_error: None,
        };
        let report = scan_offline(&input).unwrap();
        let s = summary(&report);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s.contains(&Suggestion::AddEntry {
            host: ECR.into(),
            provider: Provider::Aws,
            url: Some(ECR.into()),
            command: format!("fioreg --factory acme add aws --url {ECR} --profile <PROFILE>"),
        }));
        assert!(s.iter().any(|x| matches!(x,
            Suggestion::DeviceWrap { image, container, command }
                if image == "ghcr.io/acme/agent:4"
                    && container == "agent-wrapped"
                    && command.starts_with("fioreg device-wrap --image ghcr.io/acme/agent:4 --container agent-wrapped"))));
        assert_eq!(
            headline(&report).as_deref(),
            Some(
                "containers.git needs 2 registries that no entry covers: \
                 111111111111.dkr.ecr.eu-west-1.amazonaws.com, 123456789012.dkr.ecr.us-east-2.amazonaws.com"
            )
        );
        assert_eq!(report.errors(), 2);
    }
}
