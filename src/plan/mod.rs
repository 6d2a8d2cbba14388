//! Answers -> [`Plan`]: the secret to store and the config edit, previewed with the secret
//! redacted, then applied in a safe order (secret first, config only when fioctl succeeded).
//!
//! Every front end (flags, wizard, plain prompts) builds its plan here, so the rules are written
//! once: url and region checks, default secret names, one aws/gar entry per factory, no secret
//! name shared between two entries, and updating an existing entry instead of duplicating it.

mod answers;
mod apply;
mod render;
mod rules;
mod store;

pub use answers::{Answers, CredentialInput, Request, command_prefix, shell_word};
pub use apply::{Applied, ApplyError, Progress};
pub use rules::find_entry;
pub use store::{FolderStore, NoStore, SecretStore};

use crate::factory_config;
use crate::provider::Provider;
use crate::secret::Secret;
use std::path::PathBuf;

/// Whether the entry is new or an existing one is updated in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Add,
    /// Update the entry at this index (its first line in the file).
    Update {
        index: usize,
        line: usize,
    },
    /// New credentials for the entry at this index; the file stays byte-identical.
    Rotate {
        index: usize,
        line: usize,
    },
    /// Remove the entry at this index (and, with `SecretOp::Delete`, its secret).
    Remove {
        index: usize,
        line: usize,
    },
}

/// What happens to the factory secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOp {
    /// Store [`Plan::secret`] before the config is written.
    Store,
    /// Delete the secret (`NAME=`) after the config is written.
    Delete,
    /// Leave the secret as it is.
    Keep,
}

/// Commit factory-config.yml in its ci-scripts checkout after writing it.
#[derive(Debug, Clone)]
pub struct CommitPlan {
    pub checkout: crate::git::Checkout,
    pub branch: String,
    pub message: String,
    pub push: bool,
}

/// A request the rules refuse; the message says why and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Invalid(String),
    /// A refusal whose way out each front end words in its own terms ([`Fix`]).
    #[error("{reason}. {}", fix.cli())]
    Refused { reason: String, fix: Fix },
    #[error(transparent)]
    Edit(#[from] factory_config::edit::EditError),
}

/// The way out of a refused request, as data: the CLI names a flag, the wizards a field or a
/// checkbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Give the url of the existing entry, to update it in place.
    UseExistingUrl(String),
    /// Choose another secret name.
    OtherSecretName,
    /// Do not delete the secret.
    KeepSecret,
    /// Give the registry's url.
    GiveUrl,
}

impl Fix {
    /// In the scriptable commands' terms (flags).
    pub fn cli(&self) -> String {
        match self {
            Fix::UseExistingUrl(u) => format!(
                "To replace it, run again with --url {u} (its fields and secret are updated in \
                 place), or delete that entry first"
            ),
            Fix::OtherSecretName => "Choose another with --secret-name".into(),
            Fix::KeepSecret => "Leave out --delete-secret".into(),
            Fix::GiveUrl => "Give it with --url".into(),
        }
    }

    /// In the wizards' terms (fields and checkboxes).
    pub fn wizard(&self) -> String {
        match self {
            Fix::UseExistingUrl(u) => format!(
                "To replace it, give the url {u} (its fields and secret are updated in place), \
                 or remove that entry first"
            ),
            Fix::OtherSecretName => "Choose another secret name".into(),
            Fix::KeepSecret => "Keep the secret (leave \"delete its secret\" unchecked)".into(),
            Fix::GiveUrl => "Fill in the url".into(),
        }
    }
}

impl PlanError {
    /// The message in the wizards' terms: the same reason, the way out named as a field.
    pub fn for_wizard(&self) -> String {
        match self {
            PlanError::Refused { reason, fix } => format!("{reason}. {}", fix.wizard()),
            other => other.to_string(),
        }
    }
}

/// Everything that applying will do, computed before anything is done.
#[derive(Debug)]
pub struct Plan {
    pub config_path: PathBuf,
    pub factory: Option<String>,
    pub provider: Provider,
    pub url: Option<String>,
    pub action: Action,
    pub secret_name: String,
    pub secret: Secret,
    pub secret_op: SecretOp,
    pub old_text: String,
    pub new_text: String,
    pub commit: Option<CommitPlan>,
    /// The config's path inside its git work tree, when it is in one: diffs name it as git
    /// would (`a/ci/factory-config.yml`).
    pub git_path: Option<PathBuf>,
    /// What fioreg changed in what it was asked, and why (e.g. Docker Hub's url written as
    /// `docker.io`); shown at the top of the plan.
    pub notes: Vec<String>,
    /// The `region:` of the entry the plan stores credentials for, as the config has it after
    /// the change (see [`Plan::region`]): worked out once, when the plan is made.
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factory_config::FactoryConfig;
    use secrecy::SecretString;
    use std::path::Path;

    fn cfg(text: &str) -> FactoryConfig {
        FactoryConfig::parse(Path::new("factory-config.yml"), text.to_string()).unwrap()
    }

    fn req(p: Provider, url: Option<&str>) -> Request {
        Request {
            provider: p,
            url: url.map(String::from),
            region: None,
            secret_name: None,
        }
    }

    fn secret() -> Secret {
        Secret::new(b"ci:tok".to_vec(), "user ci, token")
    }

    const AWS1: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

    #[test]
    fn add_aws_documented_shape() {
        let c = cfg("lmp: {}\n");
        let plan = Plan::build(&c, &req(Provider::Aws, Some(AWS1)), secret(), None).unwrap();
        assert_eq!(plan.action, Action::Add);
        assert!(plan.new_text.ends_with(&format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  aws_creds_secret_name: aws_creds\n"
        )));
        assert_eq!(
            plan.fioctl_calls(),
            vec!["fioctl secrets update aws_creds==<user ci, token>"]
        );
        assert_eq!(plan.summary(), format!("add aws {AWS1}"));
    }

    #[test]
    fn a_secret_that_is_not_utf8_makes_no_plan() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n",
        );
        let bad = || Secret::new(b"ci:t\xffk".to_vec(), "user ci, token");
        let err = Plan::build(&c, &req(Provider::Generic, Some("ghcr.io")), bad(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the secret <user ci, token> is not UTF-8 text"),
            "{err}"
        );
        let err = Plan::rotate(&c, "ghcr.io", bad(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("U+FFFD"), "{err}");
    }

    #[test]
    fn second_aws_is_refused_and_same_url_updates() {
        let c = cfg(&format!(
            "container_registries:\n- type: aws # prod\n  region: us-east-2\n  url: {AWS1}\n  aws_creds_secret_name: aws_creds\n"
        ));
        let other = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
        let err = Plan::build(&c, &req(Provider::Aws, Some(other)), secret(), None).unwrap_err();
        assert!(
            err.to_string()
                .contains("crashes when a factory has two aws entries"),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("factory-config.yml:2:"),
            "{err}"
        );
        let plan = Plan::build(&c, &req(Provider::Aws, Some(AWS1)), secret(), None).unwrap();
        assert_eq!(plan.action, Action::Update { index: 0, line: 2 });
        assert_eq!(plan.new_text, plan.old_text);
        assert!(plan.render(false).contains("no change"));
    }

    #[test]
    fn gar_updates_the_one_gar_entry() {
        let c = cfg("container_registries:\n- type: gar\n  gar_creds_secret_name: gcp_creds\n");
        let mut r = req(Provider::Gar, Some("europe-west4-docker.pkg.dev"));
        r.secret_name = Some("gcp_creds".into());
        let plan = Plan::build(&c, &r, secret(), Some("acme".into())).unwrap();
        assert_eq!(plan.action, Action::Update { index: 0, line: 2 });
        assert!(
            plan.new_text
                .contains("  url: europe-west4-docker.pkg.dev\n")
        );
        assert!(
            plan.fioctl_calls()[0].starts_with("fioctl --factory acme secrets update gcp_creds==")
        );
    }

    #[test]
    fn shared_secret_name_is_refused() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: creds\n",
        );
        let mut r = req(Provider::Generic, Some("docker.io"));
        r.secret_name = Some("creds".into());
        let err = Plan::build(&c, &r, secret(), None).unwrap_err().to_string();
        assert!(
            err.contains("already used by factory-config.yml:2: the generic entry for ghcr.io"),
            "{err}"
        );
    }

    #[test]
    fn url_type_conflict_and_bad_input() {
        let c = cfg(
            "container_registries:\n- type: generic\n  url: acmeprod.azurecr.io\n  generic_secret_name: g\n",
        );
        let err = Plan::build(
            &c,
            &req(Provider::Azure, Some("acmeprod.azurecr.io")),
            secret(),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("as type `generic`"), "{err}");
        let c = cfg("");
        assert!(Plan::build(&c, &req(Provider::Azure, None), secret(), None).is_err());
        assert!(
            Plan::build(
                &c,
                &req(Provider::Azure, Some("x.azurecr.io")),
                secret(),
                None
            )
            .is_err()
        );
        let mut r = req(Provider::Generic, Some("ghcr.io"));
        r.region = Some("us-east-2".into());
        assert!(
            Plan::build(&c, &r, secret(), None)
                .unwrap_err()
                .to_string()
                .contains("aws only")
        );
        let mut r = req(Provider::Generic, Some("ghcr.io"));
        r.secret_name = Some("bad name".into());
        assert!(Plan::build(&c, &r, secret(), None).is_err());
    }

    #[test]
    fn command_line_for_scripts_never_holds_the_password() {
        let a = Answers {
            request: Request {
                provider: Provider::Azure,
                url: Some("acmeprod.azurecr.io".into()),
                region: None,
                secret_name: Some("az prod".into()),
            },
            credential: CredentialInput::UserToken {
                user: "1f2e".into(),
                password: SecretString::from("hunter2"),
            },
        };
        assert_eq!(
            a.command_line(
                Path::new("ci/factory-config.yml"),
                Some("acme"),
                "--password-stdin"
            ),
            "fioreg --config ci/factory-config.yml --factory acme add azure --url acmeprod.azurecr.io \
             --client-id 1f2e --password-stdin --secret-name 'az prod'"
        );
    }

    #[test]
    fn folder_store_writes_private_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore {
            dir: dir.path().join("secrets"),
        };
        store.update(&[("ghcr_creds", &secret())]).unwrap();
        let p = dir.path().join("secrets/ghcr_creds");
        assert_eq!(std::fs::read(&p).unwrap(), b"ci:tok");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(store.list().unwrap(), vec!["ghcr_creds".to_string()]);
        assert!(store.update(&[("../x", &secret())]).is_err());
    }

    #[test]
    fn preview_never_shows_the_secret() {
        let c = cfg("");
        let plan =
            Plan::build(&c, &req(Provider::Generic, Some("ghcr.io")), secret(), None).unwrap();
        let shown = format!("{}{:?}", plan.render(true), plan);
        assert!(!shown.contains("ci:tok"), "{shown}");
        assert!(shown.contains("generic_secret_name: ghcr_creds"));
    }
}
