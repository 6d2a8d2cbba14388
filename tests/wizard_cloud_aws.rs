//! Both wizards create a pull-only IAM user with the admin's own aws login: the real binary in a
//! pseudo-terminal, the real AWS CLI against moto's server on 127.0.0.1 (IAM, STS), the fioctl
//! stand-in as the factory. Each run must leave the IAM user with exactly the pull-only policy,
//! its one new key stored as a `[default]` credentials file, the config entry, exit 0, and the
//! secret key in no output.

mod common;
#[path = "support/moto.rs"]
mod moto;

use common::pty::*;
use common::*;
use moto::{Moto, real_tool};
use std::fs;

const USER: &str = "fioreg-acme-pull";
const ADMIN_KEY_ID: &str = "AKIAADMINKEY00000001";
const ADMIN_SECRET: &str = "adminSecretKeyNeverShown000000000000001";

/// A world whose credentials file also holds the admin's profile, and moto.
fn world() -> (World, Moto) {
    let w = World::new(BASE);
    let creds = w.path("credentials");
    let mut text = fs::read_to_string(&creds).expect("credentials");
    text.push_str(&format!(
        "\n[admin]\naws_access_key_id = {ADMIN_KEY_ID}\naws_secret_access_key = {ADMIN_SECRET}\n"
    ));
    fs::write(&creds, text).expect("credentials");
    (w, Moto::start())
}

/// The wizard (`extra` flags) with the logging aws wrapper, the AWS CLI pointed at moto and
/// AWS_PROFILE=admin (the admin profile the wizard offers).
fn wizard(w: &World, moto: &Moto, extra: &[&str]) -> Pty {
    wizard_env(w, moto, extra, &[])
}

/// [`wizard`] with more environment variables (the wrapper's knobs).
fn wizard_env(w: &World, moto: &Moto, extra: &[&str], more: &[(&str, String)]) -> Pty {
    let mut args = vec!["--no-verify"];
    args.extend_from_slice(extra);
    let real = real_tool("aws").to_string_lossy().into_owned();
    let mut envs = vec![
        ("FIOREG_AWS", format!("{ROOT}/tests/support/tool-logged")),
        ("TOOL_REAL", real),
        (
            "TOOL_ARGV_LOG",
            w.path("aws-argv.log").to_string_lossy().into_owned(),
        ),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        (
            "AWS_CONFIG_FILE",
            w.path("aws-config").to_string_lossy().into_owned(),
        ),
        ("AWS_DEFAULT_REGION", "us-east-2".into()),
        ("AWS_PROFILE", "admin".into()),
    ];
    envs.extend(more.iter().cloned());
    w.wizard_env(&args, &envs)
}

/// What both wizards must leave behind: the user with the pull-only policy and one key, that
/// key stored as `[default]`, the entry in the config, exit 0, the secret key nowhere else.
/// `all`: everything the terminal received, the full-screen frames included.
fn check(w: &World, moto: &Moto, code: i32, out: &str, all: &str) {
    let text = plain_text(out);
    assert_eq!(code, 0, "{text}");
    let aws = |args: &[&str]| moto.aws(&w.path("credentials"), args);
    let user = aws(&["iam", "get-user", "--user-name", USER]);
    assert_eq!(user["User"]["UserName"], USER);
    let policy = aws(&[
        "iam",
        "get-user-policy",
        "--user-name",
        USER,
        "--policy-name",
        "fioreg-ecr-pull",
    ]);
    let actions = policy["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::Array(a) => a.clone(),
            one => vec![one.clone()],
        })
        .map(|a| a.as_str().expect("action").to_string())
        .collect::<Vec<_>>();
    let mut sorted = actions.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer"
        ],
        "{policy}"
    );
    let keys = aws(&["iam", "list-access-keys", "--user-name", USER]);
    let keys = keys["AccessKeyMetadata"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key_id = keys[0]["AccessKeyId"].as_str().expect("id");

    let stored = String::from_utf8(w.stored("aws_creds").expect("aws_creds stored")).expect("utf8");
    let mut lines = stored.lines();
    assert_eq!(lines.next(), Some("[default]"), "{stored:?}");
    assert_eq!(
        lines.next(),
        Some(format!("aws_access_key_id = {key_id}").as_str())
    );
    let secret = lines
        .next()
        .and_then(|l| l.strip_prefix("aws_secret_access_key = "))
        .expect("secret line");
    assert_eq!(lines.next(), None, "{stored:?}");
    assert!(secret.len() >= 20, "a real secret key");
    assert!(!out.contains(secret), "the secret key was shown:\n{text}");
    assert!(!all.contains(secret), "the secret key was on the screen");
    let argv = fs::read_to_string(w.path("aws-argv.log")).expect("argv log");
    assert!(!argv.contains(secret), "the secret key in aws argv");
    w.assert_no_secret_files_left();

    assert!(
        w.config().ends_with(&format!(
            "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
        )),
        "{}",
        w.config()
    );
    // The one report names what was created.
    assert!(
        text.contains(&format!(
            "Created for CI: arn:aws:iam::123456789012:user/{USER} with access key {key_id}."
        )),
        "{text}"
    );
}

/// The full-screen wizard from Start to the new IAM user's fields: Add, aws, AWS_URL, the
/// default secret name, then the create item.
fn tui_to_the_new_user(p: &mut Pty) {
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    p.press(ENTER, "Registry URL");
    p.send(AWS_URL);
    p.wait_for("us-east-2");
    p.press(ENTER, "ci-pull");
    // The create item is the last of the list: more Downs stay on it.
    p.send(&DOWN.repeat(6));
    p.wait_for("▸ + Create a new pull-only IAM user with my aws login");
    p.press(ENTER, "IAM user name");
}

#[test]
fn the_tui_creates_a_pull_only_user_and_stores_its_key() {
    let (w, moto) = world();
    let mut p = wizard(&w, &moto, &[]);
    tui_to_the_new_user(&mut p);
    // The defaults: fioreg-<factory>-pull and AWS_PROFILE.
    p.wait_for(USER);
    p.wait_for("admin");
    // The review lists the AWS actions (read-only calls only so far) before the fioctl call.
    p.press(ENTER, "Acting as:");
    p.wait_for(&format!(
        "CI will be: arn:aws:iam::123456789012:user/{USER}"
    ));
    p.wait_for("Login test skipped here: the key does not exist yet.");
    assert!(
        !fs::read_to_string(w.path("aws-argv.log"))
            .unwrap_or_default()
            .contains("create-user"),
        "nothing is created before Apply"
    );
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Created for CI:");
    p.wait_for("The same from a script:");
    p.wait_for(&format!("--create-user {USER} --admin-profile admin"));
    p.send("q");
    let (code, out) = p.finish();
    check(&w, &moto, code, &out, &p.text());
}

#[test]
fn the_line_prompts_create_a_pull_only_user_and_store_its_key() {
    let (w, moto) = world();
    let mut p = wizard(&w, &moto, &["--plain"]);
    p.wait_for_output("What do you want to do?");
    p.answer(ENTER, "Which kind of registry");
    p.answer(ENTER, "Registry URL");
    p.answer(&format!("{AWS_URL}\r"), "Region");
    p.answer(ENTER, "Secret name");
    p.answer(ENTER, "Which AWS profile should CI use?");
    p.answer("Create a new\r", "Name of the new IAM user");
    p.answer(ENTER, "Your admin AWS profile that creates it");
    p.answer(ENTER, "Acting as:");
    p.expect(&format!(
        "CI will be: arn:aws:iam::123456789012:user/{USER}"
    ));
    p.expect("Policy fioreg-ecr-pull:");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.wait_for_output("Created for CI:");
    let (code, out) = p.finish();
    let text = plain_text(&out);
    for step in [
        format!("1. Create the IAM user {USER} ... done"),
        "Checking the new key with sts:GetCallerIdentity ... it works".to_string(),
        "Storing the secret aws_creds in factory acme ... done".to_string(),
    ] {
        assert!(text.contains(&step), "missing `{step}` in:\n{text}");
    }
    check(&w, &moto, code, &out, &p.text());
}

#[test]
fn ctrl_c_in_the_tui_while_the_access_key_is_created_stops_with_a_clear_account() {
    let (w, moto) = world();
    let pid_file = w.path("aws-hang.pid");
    let hang = [
        ("TOOL_HANG_ON", "create-access-key".to_string()),
        ("TOOL_HANG_PID", pid_file.to_string_lossy().into_owned()),
    ];
    let mut p = wizard_env(&w, &moto, &[], &hang);
    tui_to_the_new_user(&mut p);
    p.wait_for(USER);
    p.press(ENTER, "Acting as:");
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.send(ENTER);
    wait_until("aws create-access-key to start", || pid_file.exists());
    // In the TUI Ctrl-C is a key (raw mode): fioreg itself stops the aws call.
    p.send(CTRL_C);
    let (code, out) = p.finish();
    let text = plain_text(&out);
    assert_eq!(code, 130, "{text}");
    assert!(
        text.contains("interrupted while creating the access key"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "the IAM user {USER} (new) with the pull-only policy fioreg-ecr-pull"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("list-access-keys --user-name {USER}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "aws --profile admin iam delete-user --user-name {USER}"
        )),
        "{text}"
    );
    let keys = moto.aws(
        &w.path("credentials"),
        &["iam", "list-access-keys", "--user-name", USER],
    );
    assert_eq!(
        keys["AccessKeyMetadata"].as_array().map(Vec::len),
        Some(0),
        "{keys}"
    );
    assert_eq!(w.stored("aws_creds"), None, "nothing stored");
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}
