//! `fioreg add aws --create-user` and `fioreg rotate --new-key` through the real binary, the real
//! AWS CLI and moto's server on 127.0.0.1 (IAM, STS), with the fioctl stand-in as the factory.
//! Every run also proves that the new secret key is in no output, no aws argv and no file.

mod common;
#[path = "support/moto.rs"]
mod moto;

use common::*;
use moto::{Moto, real_tool};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const USER: &str = "fioreg-acme-pull";
const ADMIN_KEY_ID: &str = "AKIAADMINKEY00000001";
const ADMIN_SECRET: &str = "adminSecretKeyNeverShown000000000000001";

struct Cloud {
    w: World,
    moto: Moto,
}

impl Cloud {
    fn new() -> Cloud {
        let w = World::new(BASE);
        let creds = w.path("credentials");
        let mut text = fs::read_to_string(&creds).expect("credentials");
        text.push_str(&format!(
            "\n[admin]\naws_access_key_id = {ADMIN_KEY_ID}\naws_secret_access_key = {ADMIN_SECRET}\n"
        ));
        fs::write(&creds, text).expect("credentials");
        Cloud {
            w,
            moto: Moto::start(),
        }
    }

    fn argv_log(&self) -> PathBuf {
        self.w.path("aws-argv.log")
    }

    /// fioreg with the logging aws wrapper and the AWS CLI pointed at moto.
    fn fioreg(&self) -> Command {
        let mut c = self.w.fioreg();
        c.env("FIOREG_AWS", format!("{ROOT}/tests/support/tool-logged"))
            .env("TOOL_REAL", real_tool("aws"))
            .env("TOOL_ARGV_LOG", self.argv_log())
            .env("AWS_ENDPOINT_URL", &self.moto.endpoint)
            .env("AWS_CONFIG_FILE", self.w.path("aws-config"))
            .env("AWS_DEFAULT_REGION", "us-east-2");
        c
    }

    fn aws(&self, args: &[&str]) -> serde_json::Value {
        self.moto.aws(&self.w.path("credentials"), args)
    }

    fn keys(&self, user: &str) -> Vec<String> {
        let v = self.aws(&["iam", "list-access-keys", "--user-name", user]);
        v["AccessKeyMetadata"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["AccessKeyId"].as_str().expect("id").to_string())
            .collect()
    }

    /// The stored `aws_creds` secret: (access key id, secret access key).
    fn stored_keys(&self) -> (String, String) {
        let bytes = self.w.stored("aws_creds").expect("aws_creds stored");
        let text = String::from_utf8(bytes).expect("utf8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("[default]"), "{text:?}");
        let id = lines
            .next()
            .and_then(|l| l.strip_prefix("aws_access_key_id = "))
            .expect("key id line");
        let secret = lines
            .next()
            .and_then(|l| l.strip_prefix("aws_secret_access_key = "))
            .expect("secret line");
        assert_eq!(lines.next(), None, "{text:?}");
        (id.to_string(), secret.to_string())
    }

    /// `secret` is in no output, no aws argv, and no file of the world except the factory's
    /// secret store (the fioctl stand-in's state).
    fn assert_nowhere(&self, secret: &str, outputs: &[&str]) {
        assert!(secret.len() >= 20, "a real secret key: {secret:?}");
        for o in outputs {
            assert!(!o.contains(secret), "secret key in output:\n{o}");
        }
        let argv = fs::read_to_string(self.argv_log()).expect("argv log");
        assert!(!argv.contains(secret), "secret key in aws argv");
        assert!(
            argv.contains("create-access-key"),
            "the wrapper saw the calls"
        );
        let store = self.w.stub().join("factories");
        let mut files = Vec::new();
        walk(self.w.dir.path(), &mut files);
        for f in files.iter().filter(|f| !f.starts_with(&store)) {
            let bytes = fs::read(f).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "secret key in {}",
                f.display()
            );
        }
        self.w.assert_no_secret_files_left();
    }
}

fn add_new_user(c: &Cloud, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = c.fioreg();
    cmd.args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--admin-profile",
        "admin",
        "--yes",
    ]);
    if !extra.contains(&"--create-user") {
        cmd.arg("--create-user");
    }
    cmd.args(extra);
    run(cmd, "")
}

#[test]
fn create_user_with_pull_only_policy_and_store_its_new_key() {
    let c = Cloud::new();
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");

    // The review named the admin, the identity, every action and the policy.
    assert!(
        out.contains("Acting as:  arn:aws:sts::123456789012:user/moto (profile admin)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "CI will be: arn:aws:iam::123456789012:user/{USER}"
        )),
        "{out}"
    );
    for cmd in [
        format!("$ aws --profile admin iam create-user --user-name {USER}"),
        format!(
            "$ aws --profile admin iam put-user-policy --user-name {USER} --policy-name fioreg-ecr-pull"
        ),
        format!("$ aws --profile admin iam create-access-key --user-name {USER}"),
    ] {
        assert!(out.contains(&cmd), "missing `{cmd}` in:\n{out}");
    }
    assert!(
        out.contains("arn:aws:ecr:us-east-2:123456789012:repository/*"),
        "{out}"
    );
    assert!(out.contains("fioctl --factory acme secrets update aws_creds==<AWS credentials: the new access key of IAM user fioreg-acme-pull as [default]>"), "{out}");
    assert!(
        out.contains(
            "✓ The new key works and belongs to arn:aws:iam::123456789012:user/fioreg-acme-pull."
        ),
        "{out}"
    );
    assert!(
        out.contains("✓ Stored the secret aws_creds in factory acme."),
        "{out}"
    );

    // In AWS: the user, exactly the pull-only policy, one key: the stored one.
    let user = c.aws(&["iam", "get-user", "--user-name", USER]);
    assert_eq!(user["User"]["UserName"], USER);
    let policy = c.aws(&[
        "iam",
        "get-user-policy",
        "--user-name",
        USER,
        "--policy-name",
        "fioreg-ecr-pull",
    ]);
    assert_eq!(
        policy["PolicyDocument"],
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {"Sid": "EcrPull", "Effect": "Allow",
                 "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                 "Resource": "arn:aws:ecr:us-east-2:123456789012:repository/*"}
            ]
        })
    );
    let policies = c.aws(&["iam", "list-attached-user-policies", "--user-name", USER]);
    assert_eq!(policies["AttachedPolicies"], serde_json::json!([]));
    let (id, secret) = c.stored_keys();
    assert_eq!(c.keys(USER), vec![id.clone()]);

    // The entry CI reads, and the user remembered for rotation.
    let cfg = c.w.config();
    assert!(
        cfg.ends_with(&format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
        )),
        "{cfg}"
    );
    let settings = fs::read_to_string(c.w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains(&format!("aws_iam_user = \"{USER}\"")),
        "{settings}"
    );
    assert!(!settings.contains(&id), "{settings}");

    c.assert_nowhere(&secret, &[&out, &err]);
    // The secret went to fioctl through a file path (the pipe), never inline.
    assert!(!c.w.calls().contains(&secret));
    assert!(c.w.calls().contains("aws_creds==/"), "{}", c.w.calls());
}

#[test]
fn named_repositories_limit_the_policy() {
    let c = Cloud::new();
    let (code, out, err) = add_new_user(
        &c,
        &[
            "--repository",
            "team/app",
            "--repository",
            "base",
            "--create-user",
            "ci-reader",
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    let policy = c.aws(&[
        "iam",
        "get-user-policy",
        "--user-name",
        "ci-reader",
        "--policy-name",
        "fioreg-ecr-pull",
    ]);
    assert_eq!(
        policy["PolicyDocument"]["Statement"][1]["Resource"],
        serde_json::json!([
            "arn:aws:ecr:us-east-2:123456789012:repository/team/app",
            "arn:aws:ecr:us-east-2:123456789012:repository/base"
        ])
    );
    let (_, secret) = c.stored_keys();
    c.assert_nowhere(&secret, &[&out, &err]);
}

#[test]
fn an_existing_user_is_reused_only_after_the_review_says_so() {
    let c = Cloud::new();
    c.aws(&["iam", "create-user", "--user-name", USER]);
    let doc =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    c.aws(&[
        "iam",
        "create-policy",
        "--policy-name",
        "EverythingAllowed",
        "--policy-document",
        doc,
    ]);
    c.aws(&[
        "iam",
        "attach-user-policy",
        "--user-name",
        USER,
        "--policy-arn",
        "arn:aws:iam::123456789012:policy/EverythingAllowed",
    ]);
    let (code, out, err) = add_new_user(&c, &["--dry-run"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!("The IAM user {USER} ALREADY EXISTS")),
        "{out}"
    );
    assert!(out.contains("is REUSED"), "{out}");
    assert!(
        out.contains("WARNING: fioreg-acme-pull also has managed policy EverythingAllowed"),
        "{out}"
    );
    assert!(
        !out.contains("iam create-user"),
        "no create for an existing user:\n{out}"
    );
    assert!(out.contains("Dry run: nothing was created in AWS"), "{out}");
    assert!(c.keys(USER).is_empty(), "a dry run creates no key");
    assert_eq!(c.w.stored("aws_creds"), None);
    c.w.assert_config_intact();
}

#[test]
fn a_user_with_two_keys_is_refused_before_anything_is_created() {
    let c = Cloud::new();
    c.aws(&["iam", "create-user", "--user-name", USER]);
    c.aws(&["iam", "create-access-key", "--user-name", USER]);
    c.aws(&["iam", "create-access-key", "--user-name", USER]);
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(err.contains("already has two access keys"), "{err}");
    assert!(
        err.contains("iam delete-access-key --user-name fioreg-acme-pull"),
        "{err}"
    );
    assert_eq!(c.keys(USER).len(), 2);
    assert_eq!(c.w.stored("aws_creds"), None);
    c.w.assert_config_intact();
}

#[test]
fn rotation_makes_a_second_key_stores_it_then_deletes_the_first() {
    let c = Cloud::new();
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (old_id, old_secret) = c.stored_keys();
    let config_before = c.w.config();

    // The dry run shows the plan and creates nothing.
    let mut cmd = c.fioreg();
    cmd.args([
        "rotate",
        "aws_creds",
        "--new-key",
        "--admin-profile",
        "admin",
        "--dry-run",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!("Create a second access key for {USER}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Then, after asking again: delete the old key {old_id}"
        )),
        "{out}"
    );
    assert_eq!(c.keys(USER), vec![old_id.clone()]);
    fs::write(c.argv_log(), "").expect("reset log");

    let mut cmd = c.fioreg();
    cmd.args([
        "rotate",
        "aws_creds",
        "--new-key",
        "--admin-profile",
        "admin",
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let (new_id, new_secret) = c.stored_keys();
    assert_ne!(new_id, old_id);
    assert_ne!(new_secret, old_secret);
    // Two keys existed between the create and the delete; one is left: the stored one.
    let argv = fs::read_to_string(c.argv_log()).expect("log");
    let create = argv.find("arg: create-access-key").expect("create");
    let delete = argv.find("arg: delete-access-key").expect("delete");
    assert!(create < delete, "{argv}");
    assert!(argv.contains(&format!("arg: {old_id}")), "{argv}");
    assert_eq!(c.keys(USER), vec![new_id.clone()]);
    assert!(
        out.contains(&format!("fioreg asks before deleting the old key {old_id}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("✓ Deleted the old access key {old_id}.")),
        "{out}"
    );
    assert_eq!(
        c.w.config(),
        config_before,
        "rotate leaves the file as it is"
    );
    c.assert_nowhere(&new_secret, &[&out, &err]);
    c.assert_nowhere(&old_secret, &[&out, &err]);
}

#[test]
fn rotate_without_a_remembered_user_asks_for_user() {
    let c = Cloud::new();
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    fs::remove_file(c.w.path(".config/fioreg/config.toml")).expect("settings");
    let mut cmd = c.fioreg();
    cmd.args([
        "rotate",
        "aws_creds",
        "--new-key",
        "--admin-profile",
        "admin",
        "--yes",
    ]);
    let (code, _, err) = run(cmd, "");
    assert_eq!(code, Some(1));
    assert!(err.contains("name it with --user NAME"), "{err}");
    let mut cmd = c.fioreg();
    cmd.args([
        "rotate",
        "aws_creds",
        "--new-key",
        "--admin-profile",
        "admin",
        "--user",
        USER,
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(c.keys(USER).len(), 1);
}

#[test]
fn a_failure_after_the_key_exists_says_what_exists_and_what_to_run() {
    let c = Cloud::new();
    c.w.knob(
        "fail_update",
        "HTTP error during PATCH: 500 Internal Server Error\n",
    );
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    let keys = c.keys(USER);
    assert_eq!(keys.len(), 1, "the key exists in AWS");
    let key = &keys[0];
    assert!(err.contains("What exists now:"), "{err}");
    assert!(
        err.contains(&format!(
            "the IAM user {USER} (new) with the pull-only policy fioreg-ecr-pull"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the access key {key} of {USER} (new; NOT stored in the factory yet)"
        )),
        "{err}"
    );
    let undo = [
        format!(
            "aws --profile admin iam delete-access-key --user-name {USER} --access-key-id {key}"
        ),
        format!(
            "aws --profile admin iam delete-user-policy --user-name {USER} --policy-name fioreg-ecr-pull"
        ),
        format!("aws --profile admin iam delete-user --user-name {USER}"),
    ];
    let at: Vec<usize> = undo
        .iter()
        .map(|u| {
            err.find(&format!("\n  {u}"))
                .unwrap_or_else(|| panic!("no `{u}` in:\n{err}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "undo in order:\n{err}");
    assert_eq!(c.w.stored("aws_creds"), None);
    c.w.assert_config_intact();

    // What it says to run really removes everything.
    for u in &undo {
        let words: Vec<&str> = u.split(' ').skip(1).collect();
        let out = Command::new(real_tool("aws"))
            .args(&words)
            .env("AWS_ENDPOINT_URL", &c.moto.endpoint)
            .env("AWS_SHARED_CREDENTIALS_FILE", c.w.path("credentials"))
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_DEFAULT_REGION", "us-east-2")
            .output()
            .expect("aws");
        assert!(
            out.status.success(),
            "{u}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let users = c.aws(&["iam", "list-users"]);
    assert_eq!(users["Users"], serde_json::json!([]));
}

#[test]
fn sigint_while_creating_the_key_leaves_a_clear_account() {
    let c = Cloud::new();
    let pid_file = c.w.path("aws-hang.pid");
    let mut cmd = c.fioreg();
    cmd.env("TOOL_HANG_ON", "create-access-key")
        .env("TOOL_HANG_PID", &pid_file)
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--create-user",
            "--admin-profile",
            "admin",
            "--yes",
        ]);
    let running = Running::spawn(cmd);
    wait_until("aws create-access-key to start", || pid_file.exists());
    let aws_pid: i32 = fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    // A terminal's Ctrl-C reaches fioreg and the aws it runs.
    running.signal(libc::SIGINT);
    // SAFETY: a signal to the wrapper the test started through fioreg.
    unsafe { libc::kill(aws_pid, libc::SIGINT) };
    let (code, out, err) = running.finish();
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("interrupted while creating the access key"),
        "{err}"
    );
    assert!(
        err.contains(&format!("list-access-keys --user-name {USER}")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the IAM user {USER} (new) with the pull-only policy fioreg-ecr-pull"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "aws --profile admin iam delete-user --user-name {USER}"
        )),
        "{err}"
    );
    assert!(c.keys(USER).is_empty());
    assert_eq!(c.w.stored("aws_creds"), None);
    c.w.assert_config_intact();
}

#[test]
fn keys_from_a_profile_show_their_identity_in_the_review() {
    let c = Cloud::new();
    c.aws(&["iam", "create-user", "--user-name", "alice"]);
    let key = c.aws(&["iam", "create-access-key", "--user-name", "alice"]);
    let id = key["AccessKey"]["AccessKeyId"]
        .as_str()
        .expect("id")
        .to_string();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_string();
    let creds = c.w.path("credentials");
    let mut text = fs::read_to_string(&creds).expect("credentials");
    text.push_str(&format!(
        "\n[alice]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    fs::write(&creds, text).expect("credentials");
    // Without --no-verify: the identity check runs (the registry login itself cannot be
    // reached from here, so the run stops there and stores nothing).
    let mut cmd = Command::new(BIN);
    cmd.current_dir(c.w.path("repo"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", c.w.dir.path())
        .env("TMPDIR", c.w.path("tmp"))
        .env("FIOCTL_STUB_DIR", c.w.stub())
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_ENDPOINT_URL", &c.moto.endpoint)
        .env("NO_COLOR", "1")
        .args([
            "--factory",
            "acme",
            "--fioctl",
            &format!("{ROOT}/tests/support/fioctl"),
        ])
        .args([
            "--verify-timeout",
            "3",
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "alice",
            "--yes",
        ]);
    let (_, out, err) = run(cmd, "");
    assert!(
        out.contains("AWS identity of these keys: arn:aws:iam::123456789012:user/alice (account 123456789012)"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
    assert!(!out.contains(&secret) && !err.contains(&secret));
}

#[test]
fn without_the_aws_cli_nothing_happens_and_the_way_out_is_named() {
    let w = World::new(BASE);
    let mut cmd = w.fioreg();
    cmd.env("PATH", w.path("no-bin")).args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--create-user",
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("the AWS CLI (`aws`) is not installed"),
        "{err}"
    );
    assert!(err.contains("fioreg policy aws --url URL"), "{err}");
    w.assert_config_intact();
}

#[test]
fn sigint_while_fioctl_stores_the_new_key_leaves_a_clear_account() {
    let c = Cloud::new();
    c.w.knob("hang", "");
    let mut cmd = c.fioreg();
    cmd.args([
        "add",
        "aws",
        "--url",
        AWS_URL,
        "--create-user",
        "--admin-profile",
        "admin",
        "--yes",
    ]);
    let running = Running::spawn(cmd);
    let fioctl_pid = c.w.wait_for_hang_pid();
    running.signal(libc::SIGINT);
    let (code, out, err) = running.finish();
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(wait_dead(fioctl_pid), "fioctl was stopped");
    let keys = c.keys(USER);
    assert_eq!(keys.len(), 1);
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("What exists now:"), "{err}");
    assert!(
        err.contains(&format!(
            "the access key {} of {USER} (new; it MAY be stored in the factory: fioctl was \
             stopped before it answered)",
            keys[0]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "aws --profile admin iam delete-access-key --user-name {USER} --access-key-id {}",
            keys[0]
        )),
        "{err}"
    );
    c.w.assert_config_intact();
    c.w.assert_no_secret_files_left();
}

#[test]
fn an_aws_cli_that_records_its_answers_is_refused() {
    let c = Cloud::new();
    fs::write(
        c.w.path("aws-config"),
        "[profile admin]\nregion = us-east-2\ncli_history = enabled\n",
    )
    .expect("aws config");
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("`cli_history` is enabled for profile admin"),
        "{err}"
    );
    assert!(
        err.contains("aws --profile admin configure set cli_history disabled"),
        "{err}"
    );
    let users = c.aws(&["iam", "list-users"]);
    assert_eq!(users["Users"], serde_json::json!([]), "nothing was created");
    c.w.assert_config_intact();
}

#[test]
fn a_failed_rotation_says_which_key_is_stored_and_what_to_delete() {
    let c = Cloud::new();
    let (code, out, err) = add_new_user(&c, &[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (old_id, _) = c.stored_keys();
    c.w.knob(
        "fail_update",
        "HTTP error during PATCH: 500 Internal Server Error\n",
    );
    let mut cmd = c.fioreg();
    cmd.args([
        "rotate",
        "aws_creds",
        "--new-key",
        "--admin-profile",
        "admin",
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    let keys = c.keys(USER);
    assert_eq!(keys.len(), 2, "both keys exist");
    let new_id = keys.iter().find(|k| **k != old_id).expect("new key");
    assert!(
        err.contains(&format!(
            "the access key {new_id} of {USER} (new; NOT stored in the factory yet)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the old access key {old_id} of {USER} (still stored in the factory; still works)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "aws --profile admin iam delete-access-key --user-name {USER} --access-key-id {new_id}"
        )),
        "{err}"
    );
    assert!(!err.contains(&format!("--access-key-id {old_id}")), "{err}");
    assert_eq!(
        c.stored_keys().0,
        old_id,
        "the factory still holds the old key"
    );
}
