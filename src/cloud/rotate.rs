//! `fioreg rotate SECRET|URL --new-key`: the one flow for every cloud. Find the identity CI
//! uses, plan the new key ([`Rotation::plan`], read-only calls), create it, test it, store it
//! ([`Rotation::run`]), then offer to delete the old key(s) ([`Rotation::old_keys`],
//! [`Rotation::delete`]). What differs between AWS, Google Cloud and Azure (the tool, the words,
//! how a key is tested, whether old keys remain) is here, behind [`Cloud`] and [`Rotation`]; the
//! front end only asks and prints.

use super::apply::{Also, KeyTest, REMOVE_AND_AGAIN, Step, store_created};
use super::{CloudError, CloudPlan, Created, aws, azure, gcp};
use crate::plan::{Applied, Plan, SecretStore};

/// The clouds whose keys `rotate --new-key` can renew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Aws,
    Gcp,
    Azure,
}

impl Cloud {
    /// The cloud of a registry type; `None` for generic registries.
    pub fn of(provider: crate::provider::Provider) -> Option<Cloud> {
        use crate::provider::Provider;
        match provider {
            Provider::Aws => Some(Cloud::Aws),
            Provider::Gar => Some(Cloud::Gcp),
            Provider::Azure => Some(Cloud::Azure),
            Provider::Generic => None,
        }
    }

    /// Refuses `--admin-profile` where the cloud's tool has no profiles.
    pub fn check_admin_profile(self, admin_profile: Option<&str>) -> Result<(), String> {
        match (self, admin_profile) {
            (Cloud::Gcp, Some(_)) => {
                Err("--admin-profile is for aws; gcloud uses its active account".into())
            }
            (Cloud::Azure, Some(_)) => {
                Err("--admin-profile is for aws; az uses its signed-in account".into())
            }
            _ => Ok(()),
        }
    }

    /// The settings key (under `factories.<factory>.`) where fioreg saved the identity it
    /// created for this registry (`registry`: the url's first label, lower case).
    pub fn setting(self, registry: &str) -> String {
        match self {
            Cloud::Aws => "aws_iam_user".into(),
            Cloud::Gcp => "gcp_service_account".into(),
            Cloud::Azure => format!("azure_identity.{registry}"),
        }
    }

    /// Why the identity is unknown when none is saved and `--user` is not given.
    pub fn unknown_identity(self) -> &'static str {
        match self {
            Cloud::Aws => {
                "fioreg did not create this registry's IAM user (none is saved in the settings \
                 for this factory): name it with --user NAME"
            }
            Cloud::Gcp => {
                "fioreg did not create this registry's service account (none is saved in the \
                 settings for this factory): name it with --user EMAIL"
            }
            Cloud::Azure => {
                "fioreg did not create this registry's principal or token (none is saved in the \
                 settings for this factory): name it with --user APP_ID or --user token:NAME"
            }
        }
    }

    /// The review's description of the secret before it exists.
    pub fn placeholder(self, identity: &str) -> String {
        match self {
            Cloud::Aws => {
                format!("AWS credentials: the new access key of IAM user {identity} as [default]")
            }
            Cloud::Gcp => format!("GCP service-account key {identity} (new)"),
            Cloud::Azure => format!("{identity}, new password (made when applied)"),
        }
    }

    /// What a dry run or a declined plan leaves: (dry run, declined).
    pub fn nothing_done(self) -> (&'static str, &'static str) {
        match self {
            Cloud::Aws => (
                "nothing was created in AWS",
                "not applied: nothing was created or changed",
            ),
            Cloud::Gcp => (
                "nothing was created in Google Cloud",
                "not applied: nothing was created or changed",
            ),
            Cloud::Azure => (
                "nothing was changed in Azure",
                "not applied: nothing was changed",
            ),
        }
    }
}

/// The admin's cloud tool, found.
#[derive(Debug)]
pub enum Tool {
    Aws(aws::AwsCli),
    Gcp(gcp::Gcloud),
    Azure(azure::Az),
}

impl Tool {
    /// `aws` (signing in with `admin_profile`) or `gcloud`. `az` is looked for by the front end
    /// (its absence is not an error: the manual commands are printed instead).
    pub fn find(cloud: Cloud, admin_profile: Option<&str>) -> Result<Tool, CloudError> {
        match cloud {
            Cloud::Aws => aws::AwsCli::find(admin_profile).map(Tool::Aws),
            Cloud::Gcp => gcp::Gcloud::find().map(Tool::Gcp),
            Cloud::Azure => azure::Az::find()
                .map(Tool::Azure)
                .ok_or_else(|| CloudError::nothing("nothing was changed: `az` is not installed")),
        }
    }

    /// What the read-only calls of [`Rotation::plan`] ask, said before they start.
    pub fn asking(&self, identity: &str) -> Option<String> {
        match self {
            Tool::Aws(_) => Some(format!(
                "Asking AWS who you are and which keys {identity} has (nothing is created yet) ..."
            )),
            Tool::Gcp(_) => Some(format!(
                "Asking Google Cloud which keys {identity} has (nothing is created yet) ..."
            )),
            Tool::Azure(_) => None,
        }
    }
}

/// What stays after the new key: the old keys of AWS and Google Cloud (deleted after asking);
/// Azure replaces the password, so nothing.
#[derive(Debug)]
enum Old {
    Aws(aws::OldKeys),
    Gcp(gcp::OldKeys),
    Azure {
        /// The command that makes and stores a new password again.
        again: String,
    },
}

/// A planned rotation: the cloud plan (shown in the review) and what it replaces.
#[derive(Debug)]
pub struct Rotation {
    pub cloud: CloudPlan,
    /// The IAM user, the service account's email, the principal's appId or `token:NAME`.
    pub identity: String,
    old: Old,
}

/// An old key that may be deleted once the new one is stored, with the words to ask about it.
#[derive(Debug, Clone)]
pub struct OldKey {
    pub id: String,
    /// The command that deletes it (no secret).
    pub command: String,
    /// The confirmation question.
    pub question: String,
    /// What is said when the deletion is declined.
    pub kept: String,
    /// What is said once it is deleted.
    pub deleted: String,
}

impl Rotation {
    /// The review (read-only calls only). `url`: the registry's url; `again`: the command that
    /// rotates again (Azure, whose old password stops working at once).
    pub fn plan(
        tool: Tool,
        identity: &str,
        url: &str,
        again: String,
    ) -> Result<Rotation, CloudError> {
        let (cloud, old) = match tool {
            Tool::Aws(cli) => aws::plan_rotate(cli, identity).map(|(p, old)| (p, Old::Aws(old)))?,
            Tool::Gcp(cli) => gcp::plan_rotate(cli, identity).map(|(p, old)| (p, Old::Gcp(old)))?,
            Tool::Azure(az) => (azure::plan_rotate(az, url, identity)?, Old::Azure { again }),
        };
        Ok(Rotation {
            cloud,
            identity: identity.to_string(),
            old,
        })
    }

    /// A line the review adds after the plan (AWS: which old key is deleted after asking).
    pub fn review_note(&self) -> Option<String> {
        let Old::Aws(aws::OldKeys { cli, keys }) = &self.old else {
            return None;
        };
        if keys.is_empty() {
            return None;
        }
        let ids: Vec<&str> = keys.iter().map(|k| k.access_key_id.as_str()).collect();
        Some(format!(
            "\nThen, after asking again: delete the old key {} ($ {}).",
            ids.join(", "),
            ids.iter()
                .map(|k| aws::delete_key_command(cli, &self.identity, k))
                .collect::<Vec<_>>()
                .join(" ; ")
        ))
    }

    /// The words of this cloud: (the new credential, `old`/`older`, the key's noun).
    fn words(&self) -> (&'static str, &'static str, &'static str) {
        match self.old {
            Old::Aws(_) => ("access key", "old", "access key"),
            Old::Gcp(_) => ("key", "older", "key"),
            Old::Azure { .. } => ("password", "old", "password"),
        }
    }

    /// The line said once the new key is stored.
    pub fn stored_line(&self, created: &Created) -> String {
        match self.old {
            Old::Azure { .. } => "✓ CI uses the new password from its next run.".into(),
            _ => format!(
                "✓ CI uses the new {} {} from its next run.",
                self.words().0,
                created.key_id
            ),
        }
    }

    /// Creates the new key, tests it (AWS: `sts:GetCallerIdentity`, then the login; others:
    /// the login) and stores it through `plan` (built with a placeholder secret), as
    /// [`store_created`] does; each failure after the creation also names the old keys that
    /// still work (AWS, Google Cloud) or the command that makes a new password (Azure).
    pub fn run(
        &self,
        plan: &mut Plan,
        store: &dyn SecretStore,
        test: &KeyTest,
        step: &mut dyn FnMut(Step),
    ) -> Result<(Created, Applied), CloudError> {
        let who = &self.identity;
        let (exists, next, failed) = match &self.old {
            Old::Aws(aws::OldKeys { keys, .. }) => (
                keys.iter()
                    .map(|k| {
                        format!(
                            "the old access key {} of {who} (still stored in the factory; \
                             still works)",
                            k.access_key_id
                        )
                    })
                    .collect(),
                None,
                REMOVE_AND_AGAIN,
            ),
            Old::Gcp(gcp::OldKeys { keys, .. }) => (
                keys.iter()
                    .map(|k| {
                        format!(
                            "the older key {} of {who} (still works; the factory may still hold \
                             it)",
                            k.id()
                        )
                    })
                    .collect(),
                None,
                "Nothing was stored in the factory: remove the new key (below)",
            ),
            // The old password is gone: whatever fails now, a new rotation is the way back.
            Old::Azure { again } => (
                Vec::new(),
                Some(again.clone()),
                "The new password was NOT stored, and the old one no longer works: run the same \
                 command again",
            ),
        };
        let also = Also {
            exists,
            next,
            failed,
            key_is_of: false,
        };
        store_created(&self.cloud, plan, store, test, step, also)
    }

    /// The old keys that may be deleted now that the new one is stored.
    pub fn old_keys(&self) -> Vec<OldKey> {
        let who = &self.identity;
        let (_, old, noun) = self.words();
        let ids: Vec<(String, String)> = match &self.old {
            Old::Aws(aws::OldKeys { cli, keys }) => keys
                .iter()
                .map(|k| {
                    let id = k.access_key_id.clone();
                    let command = aws::delete_key_command(cli, who, &id);
                    (id, command)
                })
                .collect(),
            Old::Gcp(gcp::OldKeys { cli, project, keys }) => keys
                .iter()
                .map(|k| {
                    let command = gcp::delete_key_command(cli, who, project, k.id());
                    (k.id().to_string(), command)
                })
                .collect(),
            Old::Azure { .. } => Vec::new(),
        };
        ids.into_iter()
            .map(|(id, command)| OldKey {
                question: format!(
                    "\nDelete the {old} {noun} {id} of {who} now (nothing can use it after)?"
                ),
                kept: format!(
                    "The {old} key {id} still exists and still works. Delete it once nothing \
                     uses it:\n  {command}"
                ),
                deleted: format!("✓ Deleted the {old} {noun} {id}."),
                id,
                command,
            })
            .collect()
    }

    /// Deletes an old key; a failure says what exists (the new key, stored as `secret_name`,
    /// and the old one) and what to run.
    pub fn delete(
        &self,
        key: &OldKey,
        new_key_id: &str,
        secret_name: &str,
    ) -> Result<(), CloudError> {
        let who = &self.identity;
        let (_, old, noun) = self.words();
        let (done, tested) = match &self.old {
            Old::Aws(old) => (aws::delete_key(&old.cli, who, &key.id), " (tested)"),
            Old::Gcp(old) => (gcp::delete_key(&old.cli, who, &old.project, &key.id), ""),
            Old::Azure { .. } => (Ok(()), ""),
        };
        done.map_err(|why| CloudError {
            message: format!("deleting the {old} key failed: {why}"),
            exists: vec![
                format!(
                    "the new {noun} {new_key_id} of {who}, stored in the factory as \
                     `{secret_name}`{tested}"
                ),
                format!("the {old} {noun} {} of {who} (still works)", key.id),
            ],
            next: vec![key.command.clone()],
            interrupted: false,
        })
    }
}
