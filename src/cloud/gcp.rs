//! Google Cloud: a pull-only service account for one Artifact Registry repository and its keys,
//! through the official `gcloud` CLI (the admin's own gcloud login, SSO included).
//!
//! Every call is `gcloud --quiet ... --format=json` with stdout read from a pipe. The key is
//! created with `gcloud iam service-accounts keys create -`, which writes the key file to stdout:
//! it is read into zeroized memory, checked like a key file (src/credentials/gcp.rs) and never
//! written anywhere. gcloud honours `api_endpoint_overrides/<api>` (env
//! CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM, ..._ARTIFACTREGISTRY), which the tests point at loopback.

use super::{CliError, CloudAction, CloudError, CloudPlan, Created, Document, Ledger};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use zeroize::Zeroizing;

/// The only role the service account gets, on one repository.
pub const ROLE: &str = "roles/artifactregistry.reader";

const INSTALL_HINT: &str = "install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), \
     sign in with `gcloud auth login`, and run this again; or create the service account by hand \
     with the commands of `fioreg policy gar`";

/// What an organisation policy that forbids keys means, and the two ways out.
pub fn key_creation_forbidden_help(project: &str) -> String {
    format!(
        "the organisation policy `iam.disableServiceAccountKeyCreation` forbids service-account \
         keys in project {project}, and Foundries CI can only log in to Artifact Registry with a \
         key. Two ways out: (1) ask your organisation policy administrator for an exception for \
         this project (e.g. `gcloud resource-manager org-policies disable-enforce \
         iam.disableServiceAccountKeyCreation --project {project}`), then run this again; or \
         (2) keep the images out of Artifact Registry for CI: wrap each one into \
         hub.foundries.io with `fioreg device-wrap --image IMAGE --container NAME`, pushed by \
         someone who can pull"
    )
}

/// The admin's `gcloud`.
#[derive(Debug, Clone)]
pub struct Gcloud {
    bin: PathBuf,
}

#[derive(Debug, Clone)]
struct CliFailure {
    message: String,
    not_found: bool,
    key_creation_forbidden: bool,
}

impl Gcloud {
    /// The `gcloud` program: env FIOREG_GCLOUD, else `gcloud` on PATH.
    pub fn find() -> Result<Gcloud, CloudError> {
        let bin = super::find_program("FIOREG_GCLOUD", "gcloud").ok_or_else(|| {
            CloudError::nothing(format!(
                "the Google Cloud CLI (`gcloud`) is not installed or not on PATH: {INSTALL_HINT}"
            ))
        })?;
        Ok(Gcloud { bin })
    }

    fn shown(&self, words: &[&str]) -> String {
        super::show_command(&[&["gcloud"], words].concat())
    }

    /// Runs `gcloud --quiet ARGS` and returns stdout (zeroized on drop).
    fn call(&self, args: &[&str]) -> Result<Zeroizing<Vec<u8>>, CliFailure> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--quiet")
            .args(args)
            // A config with `core/log_http` would log every answer, the new key included.
            .env("CLOUDSDK_CORE_LOG_HTTP", "false");
        super::run_cli(cmd, "gcloud", Some(INSTALL_HINT)).map_err(|e| match e {
            CliError::NotRun(message) => CliFailure::said(message),
            CliError::Failed(status, stderr) => CliFailure {
                not_found: stderr.contains("NOT_FOUND") || stderr.contains("not found"),
                key_creation_forbidden: stderr.contains("disableServiceAccountKeyCreation")
                    || stderr.contains("Key creation is not allowed"),
                message: format!(
                    "{} {}",
                    super::why_failed(&stderr, true),
                    super::ended("gcloud", status)
                ),
            },
        })
    }

    fn failed(&self, args: &[&str], f: &CliFailure) -> String {
        format!("`{}` failed: {}", self.shown(args), f.message)
    }

    fn call_json<T: for<'de> Deserialize<'de>>(&self, args: &[&str]) -> Result<T, CliFailure> {
        let out = self.call(args)?;
        super::parse_json(&out, || self.shown(args)).map_err(CliFailure::said)
    }
}

impl CliFailure {
    /// A failure that is neither of the two gcloud errors fioreg explains.
    fn said(message: String) -> CliFailure {
        CliFailure {
            message,
            not_found: false,
            key_creation_forbidden: false,
        }
    }
}

#[derive(Deserialize)]
struct ConfigList {
    #[serde(default)]
    core: Option<CoreConfig>,
}

#[derive(Deserialize)]
struct CoreConfig {
    #[serde(default)]
    account: Option<String>,
}

/// `describe`'s answer; only its presence matters.
#[derive(Deserialize)]
struct ServiceAccount {}

/// A service-account key's public facts, from `keys list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyMeta {
    /// `projects/P/serviceAccounts/EMAIL/keys/ID`
    pub name: String,
    #[serde(default)]
    pub valid_after_time: Option<String>,
}

impl KeyMeta {
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// The email of service account `name` in `project`.
pub fn email(name: &str, project: &str) -> String {
    format!("{name}@{project}.iam.gserviceaccount.com")
}

/// The project of a service account's email (`NAME@PROJECT.iam.gserviceaccount.com`).
pub fn project_of(email: &str) -> Option<&str> {
    email
        .split_once('@')?
        .1
        .strip_suffix(".iam.gserviceaccount.com")
}

/// What [`CloudPlan::execute`] does for Google Cloud.
#[derive(Debug)]
pub(crate) struct Job {
    cli: Gcloud,
    project: String,
    /// `Some((location, repository))`: bind the reader role there.
    binding: Option<(String, String)>,
    name: String,
    email: String,
    create: bool,
}

impl Job {
    /// The flags of `fioreg add gar` that make this service account:
    /// `--create-service-account NAME --project P [--location L --repository R]`.
    pub(crate) fn add_flags(&self) -> Vec<String> {
        let mut words = vec![
            "--create-service-account".to_string(),
            self.name.clone(),
            "--project".into(),
            self.project.clone(),
        ];
        if let Some((location, repository)) = &self.binding {
            words.extend([
                "--location".into(),
                location.clone(),
                "--repository".into(),
                repository.clone(),
            ]);
        }
        words
    }
}

fn active_account(cli: &Gcloud) -> String {
    let account = cli
        .call_json::<ConfigList>(&["config", "list", "--format=json"])
        .ok()
        .and_then(|c| c.core)
        .and_then(|c| c.account)
        .filter(|a| !a.is_empty());
    match account {
        Some(a) => format!("{a} (gcloud's active account)"),
        None => "gcloud's active credentials".into(),
    }
}

fn describe_account(cli: &Gcloud, email: &str, project: &str) -> Result<bool, CloudError> {
    let args = [
        "iam",
        "service-accounts",
        "describe",
        email,
        "--project",
        project,
        "--format=json",
    ];
    match cli.call_json::<ServiceAccount>(&args) {
        Ok(_) => Ok(true),
        Err(f) if f.not_found => Ok(false),
        Err(f) => Err(CloudError::nothing(format!(
            "{}. Sign in with `gcloud auth login` (and check the project id)",
            cli.failed(&args, &f)
        ))),
    }
}

/// `iam service-accounts keys WORDS... --iam-account EMAIL --project P`; `list` lists the
/// user-managed keys only.
fn keys_args<'a>(words: &[&'a str], email: &'a str, project: &'a str) -> Vec<&'a str> {
    let mut args = [&["iam", "service-accounts", "keys"], words].concat();
    args.extend(["--iam-account", email, "--project", project]);
    if words == ["list"] {
        args.extend(["--managed-by", "user"]);
    }
    args
}

/// `ARGS --format=json`.
fn json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [args, &["--format=json"]].concat()
}

/// The user-managed keys of the service account `email`.
pub fn list_keys(cli: &Gcloud, email: &str, project: &str) -> Result<Vec<KeyMeta>, String> {
    let args = json(&keys_args(&["list"], email, project));
    cli.call_json(&args).map_err(|f| cli.failed(&args, &f))
}

/// The command that deletes key `id` of `email`.
pub fn delete_key_command(cli: &Gcloud, email: &str, project: &str, id: &str) -> String {
    cli.shown(&keys_args(&["delete", id], email, project))
}

/// Deletes key `id` of `email`.
pub fn delete_key(cli: &Gcloud, email: &str, project: &str, id: &str) -> Result<(), String> {
    let args = keys_args(&["delete", id], email, project);
    cli.call(&args).map(drop).map_err(|f| cli.failed(&args, &f))
}

fn key_action(cli: &Gcloud, email: &str, project: &str) -> CloudAction {
    CloudAction {
        title: format!(
            "Create a key for {email} (written by gcloud to a pipe, never to a file or the screen)"
        ),
        command: cli.shown(&keys_args(&["create", "-"], email, project)),
    }
}

/// `iam service-accounts create NAME --project P --display-name ...`.
fn create_args<'a>(name: &'a str, project: &'a str) -> [&'a str; 8] {
    [
        "iam",
        "service-accounts",
        "create",
        name,
        "--project",
        project,
        "--display-name",
        "fioreg pull-only (Artifact Registry reader)",
    ]
}

/// `artifacts repositories VERB R --location L --project P --member M --role ROLE`: VERB
/// `add-iam-policy-binding` or `remove-iam-policy-binding`.
fn binding_args<'a>(
    verb: &'a str,
    [repository, location, project]: [&'a str; 3],
    member: &'a str,
) -> [&'a str; 12] {
    [
        "artifacts",
        "repositories",
        verb,
        repository,
        "--location",
        location,
        "--project",
        project,
        "--member",
        member,
        "--role",
        ROLE,
    ]
}

/// The default service account name for a factory, `fioreg-<factory>-pull`, in the letters a
/// service account name allows (lowercase, digits, hyphens) and at most 30 of them.
pub fn default_account_name(factory: &str) -> String {
    let mut name = format!("fioreg-{}-pull", factory.to_ascii_lowercase());
    name = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if name.len() > 30 {
        // Keep the `-pull` ending: cut the factory's part.
        name = format!("{}-pull", name[..25].trim_end_matches('-'));
    }
    name
}

/// The location of a GAR host `LOCATION-docker.pkg.dev` (with or without a path).
pub fn location_of(url: &str) -> Option<String> {
    let host = url.trim().trim_start_matches("https://");
    let host = host.split('/').next()?;
    host.strip_suffix("-docker.pkg.dev")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
}

/// The review for `fioreg add gar --create-service-account`: read-only calls only.
pub fn plan_create(
    cli: Gcloud,
    name: &str,
    project: &str,
    location: &str,
    repository: &str,
) -> Result<CloudPlan, CloudError> {
    crate::policy::validate_service_account(name).map_err(CloudError::nothing)?;
    crate::policy::validate_gcp_project(project).map_err(CloudError::nothing)?;
    crate::policy::validate_gar_location(location).map_err(CloudError::nothing)?;
    crate::policy::validate_gar_repository(repository).map_err(CloudError::nothing)?;
    let admin = active_account(&cli);
    let email = email(name, project);
    let args = [
        "artifacts",
        "repositories",
        "describe",
        repository,
        "--location",
        location,
        "--project",
        project,
        "--format=json",
    ];
    if let Err(f) = cli.call(&args) {
        return Err(CloudError::nothing(if f.not_found {
            format!(
                "there is no Artifact Registry repository {repository} in {location} of project \
                 {project} ({})",
                f.message
            )
        } else {
            format!(
                "{}. Sign in with `gcloud auth login` (and check the project id)",
                cli.failed(&args, &f)
            )
        }));
    }
    let exists = describe_account(&cli, &email, project)?;
    Ok(create_plan(
        cli,
        admin,
        [name, project, location, repository],
        exists,
    ))
}

/// The plan of [`plan_create`] once gcloud has answered: the actions (creating the account when
/// it does not exist), the role binding, and the job that runs them.
fn create_plan(
    cli: Gcloud,
    admin: String,
    [name, project, location, repository]: [&str; 4],
    exists: bool,
) -> CloudPlan {
    let email = email(name, project);
    let mut notes = Vec::new();
    let mut actions = Vec::new();
    if exists {
        notes.push(format!(
            "The service account {email} ALREADY EXISTS and is REUSED: it gets the reader role on \
             {repository} and a new key; roles it already has elsewhere stay."
        ));
    } else {
        actions.push(CloudAction {
            title: format!("Create the service account {email}"),
            command: cli.shown(&create_args(name, project)),
        });
    }
    let member = format!("serviceAccount:{email}");
    actions.push(CloudAction {
        title: format!("Let it only read the repository {repository} ({ROLE} on that repository)"),
        command: cli.shown(&binding_args(
            "add-iam-policy-binding",
            [repository, location, project],
            &member,
        )),
    });
    actions.push(key_action(&cli, &email, project));
    CloudPlan {
        cloud: "Google Cloud",
        admin,
        identity: email.clone(),
        notes,
        actions,
        document: Some(Document {
            title: "Role binding".into(),
            text: format!(
                "projects/{project}/locations/{location}/repositories/{repository}:\n  \
                 {ROLE} -> {member}"
            ),
        }),
        job: super::Job::Gcp(Job {
            cli,
            project: project.to_string(),
            binding: Some((location.to_string(), repository.to_string())),
            name: name.to_string(),
            email,
            create: !exists,
        }),
    }
}

/// The plan [`plan_create`] makes for a new service account, without asking gcloud (for the
/// wizards' screen and flow tests).
#[cfg(test)]
pub(crate) fn new_account_plan_for_tests(answers: [&str; 4]) -> CloudPlan {
    create_plan(
        Gcloud {
            bin: PathBuf::from("gcloud"),
        },
        "alice@example.com".into(),
        answers,
        false,
    )
}

/// `rotate --new-key` for a service account: its user-managed keys before the run.
#[derive(Debug)]
pub struct OldKeys {
    pub cli: Gcloud,
    pub project: String,
    pub keys: Vec<KeyMeta>,
}

/// The review for `fioreg rotate --new-key` on a gar registry.
pub fn plan_rotate(cli: Gcloud, email: &str) -> Result<(CloudPlan, OldKeys), CloudError> {
    let project = project_of(email)
        .ok_or_else(|| {
            CloudError::nothing(format!(
                "`{email}` is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)"
            ))
        })?
        .to_string();
    let admin = active_account(&cli);
    if !describe_account(&cli, email, &project)? {
        return Err(CloudError::nothing(format!(
            "there is no service account {email}: name the one CI uses with --user EMAIL"
        )));
    }
    let keys = list_keys(&cli, email, &project).map_err(CloudError::nothing)?;
    let mut notes = Vec::new();
    if !keys.is_empty() {
        let ids: Vec<&str> = keys.iter().map(KeyMeta::id).collect();
        notes.push(format!(
            "After the new key is stored and tested, fioreg asks before deleting the older \
             user-managed key(s) {}.",
            ids.join(", ")
        ));
    }
    let name = email.split('@').next().unwrap_or(email).to_string();
    let plan = CloudPlan {
        cloud: "Google Cloud",
        admin,
        identity: email.to_string(),
        notes,
        actions: vec![key_action(&cli, email, &project)],
        document: None,
        job: super::Job::Gcp(Job {
            cli: cli.clone(),
            project: project.clone(),
            binding: None,
            name,
            email: email.to_string(),
            create: false,
        }),
    };
    Ok((plan, OldKeys { cli, project, keys }))
}

#[derive(Deserialize)]
struct KeyHeader {
    private_key_id: Option<String>,
}

impl Job {
    pub(crate) fn execute(&self, mut run: Ledger) -> Result<Created, CloudError> {
        let cli = &self.cli;
        let project = self.project.as_str();
        let email = self.email.as_str();
        if self.create {
            run.start("creating the service account")?;
            let args = json(&create_args(&self.name, project));
            if let Err(f) = cli.call(&args) {
                return Err(run.failed(cli.failed(&args, &f)));
            }
            run.exists
                .push(format!("the service account {email} (new, no roles yet)"));
            run.undo.push(cli.shown(&[
                "iam",
                "service-accounts",
                "delete",
                email,
                "--project",
                project,
            ]));
            run.finish();
        } else {
            run.exists
                .push(format!("the service account {email} (it existed before)"));
        }
        if let Some((location, repository)) = &self.binding {
            run.start("granting the role")?;
            let member = format!("serviceAccount:{email}");
            let on = [repository.as_str(), location, project];
            let args = json(&binding_args("add-iam-policy-binding", on, &member));
            if let Err(f) = cli.call(&args) {
                return Err(run.failed(cli.failed(&args, &f)));
            }
            run.exists
                .push(format!("{ROLE} for it on the repository {repository}"));
            run.undo
                .push(cli.shown(&binding_args("remove-iam-policy-binding", on, &member)));
            run.finish();
        }
        run.start("creating the key")?;
        let args = keys_args(&["create", "-"], email, project);
        let out = match cli.call(&args) {
            Ok(out) => out,
            Err(f) => {
                let message = if f.key_creation_forbidden {
                    key_creation_forbidden_help(project)
                } else if run.stopped() {
                    format!(
                        "interrupted while creating the key: a key may or may not have been \
                         created; check with `{}`",
                        cli.shown(&keys_args(&["list"], email, project))
                    )
                } else {
                    cli.failed(&args, &f)
                };
                return Err(run.failed(message));
            }
        };
        let key_id = serde_json::from_slice::<KeyHeader>(&out)
            .ok()
            .and_then(|h| h.private_key_id)
            .unwrap_or_default();
        let checked =
            crate::credentials::gcp::key_bytes(out.to_vec(), Path::new("<the key gcloud created>"));
        // The key exists in Google Cloud from here on, whatever the check says.
        if !key_id.is_empty() {
            run.exists.push(format!(
                "the key {key_id} of {email} (new; NOT stored in the factory yet)"
            ));
            run.undo
                .push(delete_key_command(cli, email, project, &key_id));
        } else {
            run.exists
                .push(format!("a new key of {email} (NOT stored in the factory)"));
        }
        let (secret, info) = checked
            .map_err(|e| run.fail(format!("the key gcloud created cannot be used: {e}"), false))?;
        // What the review and the run say of the key ("a key of EMAIL") is checked here.
        if info.client_email != email {
            return Err(run.fail(
                format!(
                    "the key gcloud created is a key of {}, not of {email}; it is not stored",
                    info.client_email
                ),
                false,
            ));
        }
        run.finish();
        Ok(run.created(secret, key_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_projects() {
        assert_eq!(default_account_name("Acme_Prod"), "fioreg-acme-prod-pull");
        assert_eq!(
            default_account_name("a-very-long-factory-name-indeed"),
            "fioreg-a-very-long-factor-pull"
        );
        assert!(
            crate::policy::validate_service_account(&default_account_name(
                "a-very-long-factory-name-indeed"
            ))
            .is_ok()
        );
        assert_eq!(
            location_of("europe-west1-docker.pkg.dev/p/r").as_deref(),
            Some("europe-west1")
        );
        assert_eq!(location_of("gcr.io"), None);
        assert_eq!(
            email("ci-pull", "acme-prod-1"),
            "ci-pull@acme-prod-1.iam.gserviceaccount.com"
        );
        assert_eq!(
            project_of("ci-pull@acme-prod-1.iam.gserviceaccount.com"),
            Some("acme-prod-1")
        );
        assert_eq!(project_of("someone@example.com"), None);
        let k = KeyMeta {
            name: "projects/p/serviceAccounts/e/keys/abc123".into(),
            valid_after_time: None,
        };
        assert_eq!(k.id(), "abc123");
    }

    #[test]
    fn the_org_policy_is_explained_with_both_ways_out() {
        let t = key_creation_forbidden_help("acme-prod-1");
        assert!(t.contains("iam.disableServiceAccountKeyCreation"));
        assert!(t.contains("exception for this project"));
        assert!(t.contains("hub.foundries.io"));
    }
}
