//! AWS: a pull-only IAM user for ECR and its access keys, through the official `aws` CLI, so
//! whatever the admin's profile uses (static keys, SSO, assume-role with MFA) keeps working.
//!
//! Every call is `aws --output json [--profile P] ...` with stdout read from a pipe and parsed
//! as JSON; stdout is never printed or logged. The one answer that holds a secret
//! (`iam create-access-key`) is read into zeroized memory and the SecretAccessKey goes straight
//! into a [`Secret`]. The AWS CLI itself honours `AWS_ENDPOINT_URL` (tests point it at moto).

use super::{CliError, CloudAction, CloudError, CloudPlan, Created, Document, Ledger};
use crate::secret::Secret;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::Command;
use zeroize::Zeroizing;

/// The inline policy's name on the IAM user.
pub const POLICY_NAME: &str = "fioreg-ecr-pull";

const INSTALL_HINT: &str = "install the AWS CLI (https://aws.amazon.com/cli/), sign in (`aws \
     configure`, or `aws sso login --profile P`), and run this again; or create the user by hand \
     with the commands of `fioreg policy aws --url URL`";

/// The admin's `aws` CLI and the profile it signs in with.
#[derive(Debug, Clone)]
pub struct AwsCli {
    bin: PathBuf,
    /// `--profile`: the flag, else AWS_PROFILE; `None`: the CLI's own default credentials.
    profile: Option<String>,
}

/// A failed `aws` call: the command (no secret) and what the CLI said.
#[derive(Debug, Clone)]
struct CliFailure {
    /// The AWS error code, e.g. `NoSuchEntity`, when the CLI named one.
    code: Option<String>,
    message: String,
}

impl AwsCli {
    /// The `aws` program (env FIOREG_AWS, else `aws` on PATH) signing in with `profile` (else
    /// AWS_PROFILE, else the CLI's default credentials).
    pub fn find(profile: Option<&str>) -> Result<AwsCli, CloudError> {
        let bin = super::find_program("FIOREG_AWS", "aws").ok_or_else(|| {
            CloudError::nothing(format!(
                "the AWS CLI (`aws`) is not installed or not on PATH: {INSTALL_HINT}"
            ))
        })?;
        let profile = profile
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .filter(|p| !p.trim().is_empty());
        Ok(AwsCli { bin, profile })
    }

    /// How the review names the admin's sign-in.
    pub fn describe_profile(&self) -> String {
        match &self.profile {
            Some(p) => format!("profile {p}"),
            None => "the AWS CLI's default credentials".into(),
        }
    }

    /// `aws [--profile P] WORDS...` as shown to the user.
    fn shown(&self, words: &[&str]) -> String {
        let mut all = vec!["aws"];
        if let Some(p) = &self.profile {
            all.extend(["--profile", p.as_str()]);
        }
        all.extend(words);
        super::show_command(&all)
    }

    /// Runs `aws --output json [--profile P] ARGS` and returns its stdout (zeroized on drop).
    fn call(&self, args: &[&str]) -> Result<Zeroizing<Vec<u8>>, CliFailure> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(["--output", "json"]);
        if let Some(p) = &self.profile {
            cmd.args(["--profile", p]);
        }
        // stdin: nothing (an MFA code is read from /dev/tty by the CLI itself).
        cmd.args(args).env("AWS_PAGER", "");
        super::run_cli(cmd, "aws", Some(INSTALL_HINT)).map_err(|e| match e {
            CliError::NotRun(message) => CliFailure {
                code: None,
                message,
            },
            CliError::Failed(status, stderr) => {
                let message = super::why_failed(&stderr, false);
                let code = message
                    .split_once("An error occurred (")
                    .and_then(|(_, rest)| rest.split_once(')'))
                    .map(|(code, _)| code.to_string());
                CliFailure {
                    code,
                    message: format!("{message} {}", super::ended("aws", status)),
                }
            }
        })
    }

    fn call_json<T: for<'de> Deserialize<'de>>(&self, args: &[&str]) -> Result<T, CliFailure> {
        let out = self.call(args)?;
        super::parse_json(&out, || self.shown(args)).map_err(|message| CliFailure {
            code: None,
            message,
        })
    }

    fn failed(&self, args: &[&str], f: CliFailure) -> String {
        format!("`{}` failed: {}", self.shown(args), f.message)
    }

    /// `aws iam COMMAND --user-name USER`, its answer parsed; an error names the call.
    fn iam_json<T: for<'de> Deserialize<'de>>(
        &self,
        command: &str,
        user: &str,
    ) -> Result<T, String> {
        let args = ["iam", command, "--user-name", user];
        self.call_json(&args).map_err(|f| self.failed(&args, f))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Identity {
    arn: String,
    account: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserReply {
    user: User,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct User {
    arn: String,
    #[serde(default)]
    create_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyList {
    access_key_metadata: Vec<KeyMeta>,
}

/// An access key's public facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMeta {
    pub access_key_id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub create_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NewKeyReply {
    access_key: NewKey,
}

/// `iam create-access-key`'s answer; the secret half never leaves a [`SecretString`].
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NewKey {
    access_key_id: String,
    secret_access_key: SecretString,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyNames {
    policy_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attached {
    attached_policies: Vec<AttachedPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    policy_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Groups {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    group_name: String,
}

/// An IAM user name: 1-64 of letters, digits and `+=,.@_-`.
pub fn validate_user_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an IAM user name: use 1-64 letters, digits and + = , . @ _ -"
        ))
    }
}

/// The user name fioreg suggests for `factory`: `fioreg-<factory>-pull`.
pub fn default_user_name(factory: &str) -> String {
    let mut name = format!("fioreg-{factory}-pull");
    name.retain(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    name.truncate(64);
    name
}

/// The pull-only inline policy ([`crate::policy::aws_pull_policy`]), as the review shows it.
pub fn pull_policy(url: &str, repositories: &[String]) -> Result<String, String> {
    crate::policy::aws_pull_policy(url, repositories).map(|p| p.trim_end().to_string())
}

/// The secret CI reads: a credentials file whose only section is `[default]` (the same shape
/// as the one built from a profile).
pub fn credentials_secret(key_id: &str, secret_key: &SecretString, user: &str) -> Secret {
    crate::credentials::aws::credentials_file(
        key_id,
        secret_key.expose_secret(),
        format!("AWS credentials: new access key {key_id} of IAM user {user} as [default], 2 keys"),
    )
}

/// What [`CloudPlan::execute`] does for AWS.
#[derive(Debug)]
pub(crate) struct Job {
    cli: AwsCli,
    user: String,
    create_user: bool,
    policy: Option<String>,
}

/// Who the admin is: (ARN, account).
fn whoami(cli: &AwsCli) -> Result<Identity, CloudError> {
    let args = ["sts", "get-caller-identity"];
    cli.call_json::<Identity>(&args).map_err(|f| {
        CloudError::nothing(format!(
            "{}. Sign in first ({}): e.g. `aws sso login`, or `aws configure`",
            cli.failed(&args, f),
            cli.describe_profile()
        ))
    })
}

/// The AWS CLI can record every answer (secret keys included) in ~/.aws/cli/history: refuse.
fn refuse_cli_history(cli: &AwsCli) -> Result<(), CloudError> {
    let history = cli
        .call(&["configure", "get", "cli_history"])
        .ok()
        .map(|out| String::from_utf8_lossy(&out).trim().to_ascii_lowercase());
    if history.as_deref() == Some("enabled") {
        return Err(CloudError::nothing(format!(
            "the AWS CLI's `cli_history` is enabled for {}: it would record the new secret key \
             in ~/.aws/cli/history. Turn it off (`{}`) and run this again",
            cli.describe_profile(),
            cli.shown(&["configure", "set", "cli_history", "disabled"])
        )));
    }
    Ok(())
}

fn get_user(cli: &AwsCli, user: &str) -> Result<Option<User>, CloudError> {
    let args = ["iam", "get-user", "--user-name", user];
    match cli.call_json::<UserReply>(&args) {
        Ok(r) => Ok(Some(r.user)),
        Err(f) if f.code.as_deref() == Some("NoSuchEntity") => Ok(None),
        Err(f) => Err(CloudError::nothing(cli.failed(&args, f))),
    }
}

/// The access keys of `user`.
pub fn list_keys(cli: &AwsCli, user: &str) -> Result<Vec<KeyMeta>, String> {
    cli.iam_json::<KeyList>("list-access-keys", user)
        .map(|k| k.access_key_metadata)
}

/// `iam delete-access-key --user-name USER --access-key-id KEY_ID`.
fn delete_key_args<'a>(user: &'a str, key_id: &'a str) -> [&'a str; 6] {
    [
        "iam",
        "delete-access-key",
        "--user-name",
        user,
        "--access-key-id",
        key_id,
    ]
}

/// The command that deletes access key `key_id` of `user`.
pub fn delete_key_command(cli: &AwsCli, user: &str, key_id: &str) -> String {
    cli.shown(&delete_key_args(user, key_id))
}

/// Deletes access key `key_id` of `user`.
pub fn delete_key(cli: &AwsCli, user: &str, key_id: &str) -> Result<(), String> {
    let args = delete_key_args(user, key_id);
    cli.call(&args).map(drop).map_err(|f| cli.failed(&args, f))
}

/// Everything else that gives `user` permissions: other inline policies, managed policies,
/// groups. A reused user with any of these is more than pull-only.
fn other_permissions(cli: &AwsCli, user: &str) -> Result<Vec<String>, CloudError> {
    let nothing = CloudError::nothing;
    let inline: PolicyNames = cli.iam_json("list-user-policies", user).map_err(nothing)?;
    let attached: Attached = cli
        .iam_json("list-attached-user-policies", user)
        .map_err(nothing)?;
    let groups: Groups = cli
        .iam_json("list-groups-for-user", user)
        .map_err(nothing)?;
    let inline = inline.policy_names.into_iter().filter(|p| p != POLICY_NAME);
    let attached = attached.attached_policies.into_iter();
    Ok(inline
        .map(|p| format!("inline policy {p}"))
        .chain(attached.map(|p| format!("managed policy {}", p.policy_name)))
        .chain(
            groups
                .groups
                .into_iter()
                .map(|g| format!("group {}", g.group_name)),
        )
        .collect())
}

fn two_keys_error(cli: &AwsCli, user: &str, keys: &[KeyMeta]) -> CloudError {
    let listed: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{} ({}, created {})",
                k.access_key_id,
                k.status.as_deref().unwrap_or("?"),
                k.create_date.as_deref().unwrap_or("?")
            )
        })
        .collect();
    CloudError::nothing(format!(
        "the IAM user {user} already has two access keys ({}), the most AWS allows. Delete the \
         one CI does not use first, e.g. `{}`, then run this again",
        listed.join(", "),
        delete_key_command(cli, user, "<ACCESS_KEY_ID>")
    ))
}

/// The review for `fioreg add aws --create-user`: read-only calls only (who is signed in,
/// whether `user` exists and what it holds). Nothing is created here.
pub fn plan_create(
    cli: AwsCli,
    url: &str,
    user: &str,
    repositories: &[String],
) -> Result<CloudPlan, CloudError> {
    validate_user_name(user).map_err(CloudError::nothing)?;
    let policy = pull_policy(url, repositories).map_err(CloudError::nothing)?;
    let url = crate::provider::normalize_url(url).map_err(CloudError::nothing)?;
    let ecr = crate::provider::aws::parse_url(&url).map_err(CloudError::nothing)?;
    refuse_cli_history(&cli)?;
    let me = whoami(&cli)?;
    if me.account != ecr.account {
        return Err(CloudError::nothing(format!(
            "{} signs in to AWS account {} ({}), but the registry {url} belongs to account {}: \
             choose the admin profile of that account with --admin-profile",
            cli.describe_profile(),
            me.account,
            me.arn,
            ecr.account
        )));
    }
    let existing = get_user(&cli, user)?;
    let mut notes = Vec::new();
    let partition = crate::policy::partition(&url, ecr.region);
    let identity = match &existing {
        Some(u) => {
            let keys = list_keys(&cli, user).map_err(CloudError::nothing)?;
            if keys.len() >= 2 {
                return Err(two_keys_error(&cli, user, &keys));
            }
            notes.push(format!(
                "The IAM user {user} ALREADY EXISTS (created {}) and is REUSED: its inline policy \
                 {POLICY_NAME} is set to the document below and a new access key is added{}.",
                u.create_date.as_deref().unwrap_or("at an unknown date"),
                match keys.len() {
                    0 => String::new(),
                    _ => format!(" (it keeps its key {})", keys[0].access_key_id),
                }
            ));
            let others = other_permissions(&cli, user)?;
            if !others.is_empty() {
                notes.push(format!(
                    "WARNING: {user} also has {}: CI would get those permissions too. Choose \
                     another name with --create-user NAME for a pull-only user",
                    others.join(", ")
                ));
            }
            u.arn.clone()
        }
        None => format!("arn:{partition}:iam::{}:user/{user}", me.account),
    };
    Ok(create_plan(
        cli,
        user,
        &me.arn,
        identity,
        notes,
        existing.is_none(),
        policy,
    ))
}

/// `iam put-user-policy --user-name USER --policy-name fioreg-ecr-pull --policy-document DOC`.
fn policy_args<'a>(user: &'a str, document: &'a str) -> [&'a str; 8] {
    [
        "iam",
        "put-user-policy",
        "--user-name",
        user,
        "--policy-name",
        POLICY_NAME,
        "--policy-document",
        document,
    ]
}

/// The plan of [`plan_create`] once AWS has answered: the actions (creating the user when it
/// does not exist), the policy document, and the job that runs them.
fn create_plan(
    cli: AwsCli,
    user: &str,
    admin_arn: &str,
    identity: String,
    notes: Vec<String>,
    create_user: bool,
    policy: String,
) -> CloudPlan {
    let mut actions = Vec::new();
    if create_user {
        actions.push(CloudAction {
            title: format!("Create the IAM user {user}"),
            command: cli.shown(&["iam", "create-user", "--user-name", user]),
        });
    }
    actions.push(CloudAction {
        title: format!("Give {user} only the pull permissions (inline policy {POLICY_NAME})"),
        command: cli.shown(&policy_args(user, "<the policy below>")),
    });
    actions.push(CloudAction {
        title: format!(
            "Create an access key for {user} (its secret goes through a pipe to fioctl; it is \
             never shown or written to a file)"
        ),
        command: cli.shown(&["iam", "create-access-key", "--user-name", user]),
    });
    CloudPlan {
        cloud: "AWS",
        admin: format!("{admin_arn} ({})", cli.describe_profile()),
        identity,
        notes,
        actions,
        document: Some(Document {
            title: format!("Policy {POLICY_NAME}"),
            text: policy.clone(),
        }),
        job: super::Job::Aws(Job {
            cli,
            user: user.to_string(),
            create_user,
            policy: Some(policy),
        }),
    }
}

/// The plan [`plan_create`] makes for a new user, without asking AWS (for the wizards' screen
/// and flow tests).
#[cfg(test)]
pub(crate) fn new_user_plan_for_tests(url: &str, user: &str) -> CloudPlan {
    let policy = pull_policy(url, &[]).expect("policy");
    let cli = AwsCli {
        bin: PathBuf::from("aws"),
        profile: Some("admin".into()),
    };
    create_plan(
        cli,
        user,
        "arn:aws:iam::123456789012:user/alice",
        format!("arn:aws:iam::123456789012:user/{user}"),
        Vec::new(),
        true,
        policy,
    )
}

/// What `rotate --new-key` will replace: the user's keys before the run.
#[derive(Debug)]
pub struct OldKeys {
    pub cli: AwsCli,
    pub keys: Vec<KeyMeta>,
}

/// The review for `fioreg rotate --new-key` on AWS: the user must exist and hold at most one key.
pub fn plan_rotate(cli: AwsCli, user: &str) -> Result<(CloudPlan, OldKeys), CloudError> {
    validate_user_name(user).map_err(CloudError::nothing)?;
    refuse_cli_history(&cli)?;
    let me = whoami(&cli)?;
    let Some(u) = get_user(&cli, user)? else {
        return Err(CloudError::nothing(format!(
            "there is no IAM user {user} in account {} ({}): name the user CI uses with --user NAME",
            me.account,
            cli.describe_profile()
        )));
    };
    let keys = list_keys(&cli, user).map_err(CloudError::nothing)?;
    if keys.len() >= 2 {
        return Err(two_keys_error(&cli, user, &keys));
    }
    let mut notes = Vec::new();
    match keys.as_slice() {
        [] => notes.push(format!(
            "{user} has no access key yet: nothing to delete afterwards."
        )),
        [old] => notes.push(format!(
            "After the new key is stored and tested, fioreg asks before deleting the old key {} \
             (created {}).",
            old.access_key_id,
            old.create_date.as_deref().unwrap_or("at an unknown date")
        )),
        _ => {}
    }
    let plan = CloudPlan {
        cloud: "AWS",
        admin: format!("{} ({})", me.arn, cli.describe_profile()),
        identity: u.arn,
        notes,
        actions: vec![CloudAction {
            title: format!(
                "Create a second access key for {user} (its secret goes through a pipe to \
                 fioctl; it is never shown or written to a file)"
            ),
            command: cli.shown(&["iam", "create-access-key", "--user-name", user]),
        }],
        document: None,
        job: super::Job::Aws(Job {
            cli: cli.clone(),
            user: user.to_string(),
            create_user: false,
            policy: None,
        }),
    };
    Ok((plan, OldKeys { cli, keys }))
}

impl Job {
    /// The IAM user's name.
    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    pub(crate) fn execute(&self, mut run: Ledger) -> Result<Created, CloudError> {
        let cli = &self.cli;
        let user = self.user.as_str();
        if self.create_user {
            run.start("creating the user")?;
            let args = ["iam", "create-user", "--user-name", user];
            if let Err(f) = cli.call(&args) {
                let message = if run.stopped() {
                    format!(
                        "interrupted while creating the IAM user {user}: it may or may not exist; \
                         check with `{}`",
                        cli.shown(&["iam", "get-user", "--user-name", user])
                    )
                } else {
                    cli.failed(&args, f)
                };
                return Err(run.failed(message));
            }
            run.exists
                .push(format!("the IAM user {user} (new, no permissions yet)"));
            run.undo
                .push(cli.shown(&["iam", "delete-user", "--user-name", user]));
            run.finish();
        }
        if let Some(policy) = &self.policy {
            run.start("setting the policy")?;
            let args = policy_args(user, policy);
            if let Err(f) = cli.call(&args) {
                let shown = cli.shown(&args[..6]);
                return Err(run.failed(format!("`{shown} ...` failed: {}", f.message)));
            }
            if self.create_user {
                run.exists[0] =
                    format!("the IAM user {user} (new) with the pull-only policy {POLICY_NAME}");
                run.undo.push(cli.shown(&[
                    "iam",
                    "delete-user-policy",
                    "--user-name",
                    user,
                    "--policy-name",
                    POLICY_NAME,
                ]));
            } else {
                run.exists.push(format!(
                    "the IAM user {user} (it existed before) with the pull-only policy {POLICY_NAME}"
                ));
            }
            run.finish();
        } else {
            run.exists
                .push(format!("the IAM user {user} (it existed before)"));
        }
        run.start("creating the access key")?;
        let args = ["iam", "create-access-key", "--user-name", user];
        let key: NewKeyReply = match cli.call_json(&args) {
            Ok(k) => k,
            Err(f) => {
                let message = if run.stopped() {
                    format!(
                        "interrupted while creating the access key: a key may or may not have \
                         been created; check with `{}` and delete a key CI does not use",
                        cli.shown(&["iam", "list-access-keys", "--user-name", user])
                    )
                } else {
                    cli.failed(&args, f)
                };
                return Err(run.failed(message));
            }
        };
        let key_id = key.access_key.access_key_id.clone();
        run.exists.push(format!(
            "the access key {key_id} of {user} (new; NOT stored in the factory yet)"
        ));
        run.undo.push(delete_key_command(cli, user, &key_id));
        run.finish();
        let secret = credentials_secret(&key_id, &key.access_key.secret_access_key, user);
        Ok(run.created(secret, key_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";

    #[test]
    fn policy_scopes_to_the_region_account_and_repositories() {
        let any: serde_json::Value = serde_json::from_str(&pull_policy(URL, &[]).unwrap()).unwrap();
        assert_eq!(any["Statement"][0]["Action"], "ecr:GetAuthorizationToken");
        assert_eq!(any["Statement"][0]["Resource"], "*");
        assert_eq!(
            any["Statement"][1]["Resource"],
            "arn:aws:ecr:us-east-2:123456789012:repository/*"
        );
        assert_eq!(
            any["Statement"][1]["Action"],
            serde_json::json!([
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability"
            ])
        );
        let two: serde_json::Value =
            serde_json::from_str(&pull_policy(URL, &["team/app".into(), "base".into()]).unwrap())
                .unwrap();
        assert_eq!(
            two["Statement"][1]["Resource"],
            serde_json::json!([
                "arn:aws:ecr:us-east-2:123456789012:repository/team/app",
                "arn:aws:ecr:us-east-2:123456789012:repository/base"
            ])
        );
        let err = pull_policy(URL, &["Bad Name".into()]).unwrap_err();
        assert!(err.contains("not an ECR repository name"), "{err}");
        assert!(pull_policy("ghcr.io", &[]).is_err());
    }

    #[test]
    fn user_names() {
        assert_eq!(default_user_name("acme"), "fioreg-acme-pull");
        assert!(validate_user_name("fioreg-acme-pull").is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(65)] {
            assert!(validate_user_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_has_the_profile_shape_and_a_safe_description() {
        let s = credentials_secret(
            "AKIANEW0000000000001",
            &SecretString::from("newSecret/Key+0000000000000000000000001"),
            "ci",
        );
        assert_eq!(
            s.expose(),
            b"[default]\naws_access_key_id = AKIANEW0000000000001\naws_secret_access_key = newSecret/Key+0000000000000000000000001\n"
        );
        assert!(!format!("{s:?}").contains("newSecret"));
        assert!(s.description().contains("AKIANEW0000000000001"));
    }
}
