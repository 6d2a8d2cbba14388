//! The real fioreg binary against the fioctl stand-in (tests/support/fioctl), real files on disk.

mod common;

use assert_cmd::Command;
use common::*;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

const TOKEN: &str = "ghp_s3cr3tTokenValue0123456789";

/// Every secret reached the stand-in through a pipe (`count` of them) and no temp secret file or
/// directory is left.
fn assert_no_temp_files_left(w: &World, count: usize) {
    w.assert_handed_over_by_pipe(count);
    w.assert_no_secret_files_left();
}

#[test]
fn add_aws_stores_only_the_chosen_profile_and_writes_the_documented_entry() {
    let w = World::new(BASE);
    w.cmd()
        .args(["add", "aws", "--url", AWS_URL, "--profile", "ci-pull", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "fioctl --factory acme secrets update aws_creds==<AWS credentials: profile ci-pull as [default], 2 keys>",
        ))
        .stdout(predicate::str::contains("Stored the secret aws_creds"));
    assert_eq!(
        w.config(),
        format!(
            "{BASE}\ncontainer_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
        )
    );
    let secret = w.stored_text("aws_creds").expect("stored");
    assert_eq!(
        secret,
        format!(
            "[default]\naws_access_key_id = AKIAEXAMPLEPULL00001\naws_secret_access_key = {AWS_SECRET_KEY}\n"
        )
    );
    assert_eq!(w.handover(), "aws_creds dev-fd pipe\n");
    assert!(
        !w.stub().join("modes.log").exists(),
        "a secret file was read"
    );
    assert_no_temp_files_left(&w, 1);
}

#[test]
fn add_azure_and_generic_store_user_colon_password_from_stdin() {
    let w = World::new(BASE);
    w.cmd()
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "1f2e3d4c-0000-4000-8000-00000000009a",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("azure-P4ssw0rd~x\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "azprincipal==<service principal 1f2e…9a",
        ));
    assert_eq!(
        w.stored("azprincipal").expect("stored"),
        b"1f2e3d4c-0000-4000-8000-00000000009a:azure-P4ssw0rd~x"
    );
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci-bot",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin(format!("{TOKEN}\n"))
        .assert()
        .success();
    assert_eq!(
        w.stored("ghcr_creds").expect("stored"),
        format!("ci-bot:{TOKEN}").as_bytes()
    );
    assert_eq!(
        w.config(),
        format!(
            "{BASE}\ncontainer_registries:\n- type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
        )
    );
    assert_no_temp_files_left(&w, 2);
}

#[test]
fn add_gar_stores_the_key_file_verbatim() {
    let w = World::new(BASE);
    let key = format!("{ROOT}/tests/fixtures/gcp/sa-key.json");
    w.cmd()
        .args([
            "add",
            "gar",
            "--key-file",
            &key,
            "--url",
            "us-central1-docker.pkg.dev",
            "--yes",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "gcp_creds==<GCP service-account key",
        ));
    assert_eq!(
        w.stored("gcp_creds").expect("stored"),
        fs::read(&key).expect("key")
    );
    assert!(w.config().ends_with(
        "\ncontainer_registries:\n- type: gar\n  url: us-central1-docker.pkg.dev\n  gar_creds_secret_name: gcp_creds\n"
    ));
}

#[test]
fn no_secret_byte_in_argv_or_output() {
    let w = World::new(BASE);
    let out = w
        .cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci-bot",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin(format!("{TOKEN}\n"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let out2 = w
        .cmd()
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
            "--yes",
        ])
        .output()
        .expect("run");
    assert!(out2.status.success());
    let calls = w.calls();
    assert!(calls.contains("arg: ghcr_creds=="), "{calls}");
    for (what, text) in [
        ("argv", calls.as_bytes()),
        ("stdout", &out.stdout[..]),
        ("stderr", &out.stderr[..]),
        ("stdout", &out2.stdout[..]),
        ("stderr", &out2.stderr[..]),
    ] {
        let text = String::from_utf8_lossy(text);
        for secret in [TOKEN, AWS_SECRET_KEY] {
            assert!(!text.contains(secret), "secret found in {what}: {text}");
        }
    }
}

#[test]
fn dry_run_changes_nothing_and_calls_no_fioctl() {
    let w = World::new(BASE);
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "+  generic_secret_name: ghcr_creds",
        ))
        .stdout(predicate::str::contains("Dry run: nothing was changed"));
    assert_eq!(w.config(), BASE);
    assert_eq!(w.calls(), "");
}

#[test]
fn fioctl_missing_is_explained_and_nothing_is_written() {
    let w = World::new(BASE);
    w.cmd_without_fioctl()
        .args([
            "--fioctl",
            "/nonexistent/fioctl",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("fioctl"))
        .stderr(predicate::str::contains("fioctl login"));
    assert_eq!(w.config(), BASE);
}

#[test]
fn fioctl_not_logged_in_shows_its_error_and_leaves_the_config() {
    let w = World::new(BASE);
    w.knob("logged_out", "");
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("fioctl login"))
        .stderr(predicate::str::contains("factory-config.yml is untouched"));
    assert_eq!(w.config(), BASE);
    assert_no_temp_files_left(&w, 1);
}

#[test]
fn fioctl_error_line_is_shown_and_config_untouched() {
    let w = World::new(BASE);
    w.knob("fail_update", "HTTP_ERROR: 500 Internal Server Error\n");
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("ERROR: HTTP_ERROR: 500"));
    assert_eq!(w.config(), BASE);
    assert!(w.stored("ghcr_creds").is_none());
    assert_no_temp_files_left(&w, 1);
}

#[test]
fn hanging_fioctl_is_killed_after_the_timeout() {
    let w = World::new(BASE);
    w.knob("hang", "");
    w.cmd()
        .args([
            "--fioctl-timeout",
            "1",
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "fioctl did not finish within 1 s and was stopped",
        ));
    assert_eq!(w.config(), BASE);
    let pid = w.wait_for_hang_pid();
    assert!(!alive(pid), "the hanging fioctl is still running");
    assert_no_temp_files_left(&w, 1);
}

#[test]
fn broken_yaml_names_file_line_column_and_calls_nothing() {
    let w = World::new("notify:\n  email:\n    users: \"a@b.c\n  other: 1\n");
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "factory-config.yml:3:12: a quoted string starts here and is never closed",
        ))
        .stderr(predicate::str::contains("fix: "));
    assert_eq!(w.calls(), "");
}

#[test]
fn authorized_user_key_file_is_refused_with_the_gcloud_hint() {
    let w = World::new(BASE);
    w.cmd()
        .args([
            "add",
            "gar",
            "--key-file",
            &format!("{ROOT}/tests/fixtures/gcp/authorized-user.json"),
            "--yes",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "gcloud iam service-accounts keys create",
        ));
    assert_eq!(w.config(), BASE);
    assert_eq!(w.calls(), "");
}

#[test]
fn session_token_profile_is_refused() {
    let w = World::new(BASE);
    w.cmd()
        .args(["add", "aws", "--url", AWS_URL, "--profile", "temp", "--yes"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("temporary keys"));
    assert_eq!(w.config(), BASE);
    assert_eq!(w.calls(), "");
}

#[test]
fn second_aws_entry_is_refused() {
    let cfg = format!(
        "{BASE}container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n"
    );
    let w = World::new(&cfg);
    w.cmd()
        .args([
            "add",
            "aws",
            "--url",
            "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
            "--profile",
            "ci-pull",
            "--yes",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "factory-config.yml:10: the aws entry",
        ))
        .stderr(predicate::str::contains("two aws entries"));
    assert_eq!(w.config(), cfg);
    assert_eq!(w.calls(), "");
}

#[test]
fn colon_in_password_is_refused_without_echoing_it() {
    let w = World::new(BASE);
    w.cmd()
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "abc",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("pa:ss-word-secret\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("':'"))
        .stderr(predicate::str::contains("ss-word-secret").not());
    assert_eq!(w.config(), BASE);
    assert_eq!(w.calls(), "");
}

#[test]
fn updating_an_existing_url_keeps_its_comments() {
    let cfg = "container_registries:\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: old_name  # rotated 2026\n";
    let w = World::new(cfg);
    w.cmd()
        .args([
            "add",
            "generic",
            "--url",
            "ghcr.io",
            "--username",
            "ci",
            "--secret-name",
            "ghcr_creds",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("tok\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("updated in place"));
    assert_eq!(
        w.config(),
        "container_registries:\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: ghcr_creds  # rotated 2026\n"
    );
}

#[test]
fn without_yes_a_non_terminal_stdin_is_refused() {
    let w = World::new(BASE);
    w.cmd()
        .args(["add", "aws", "--url", AWS_URL, "--profile", "ci-pull"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(w.calls(), "");
}

#[test]
fn config_mode_is_kept() {
    let w = World::new(BASE);
    fs::set_permissions(w.config_path(), fs::Permissions::from_mode(0o640)).expect("chmod");
    w.cmd()
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
            "--yes",
        ])
        .assert()
        .success();
    let mode = fs::metadata(w.config_path())
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn list_shows_secret_presence_and_json() {
    let cfg = format!(
        "{BASE}container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS_URL}\n  aws_creds_secret_name: aws_creds\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    );
    let w = World::new(&cfg);
    fs::create_dir_all(w.stub().join("factories/acme/secrets")).expect("dir");
    fs::write(w.stub().join("factories/acme/secrets/aws_creds"), "x").expect("secret");
    w.cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"aws +123456789012\.dkr\.ecr\.us-east-2\.amazonaws\.com +us-east-2 +aws_creds +present").expect("re"))
        .stdout(predicate::str::is_match(r"generic +ghcr\.io +- +ghcr_creds +MISSING").expect("re"));
    let out = w.cmd().args(["list", "--json"]).output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["registries"][0]["secret_present"],
        serde_json::json!(true)
    );
    assert_eq!(
        v["registries"][1]["secret_present"],
        serde_json::json!(false)
    );
    assert_eq!(v["registries"][1]["line"], serde_json::json!(14));
    assert_eq!(v["secrets_unknown_reason"], serde_json::Value::Null);
}

#[test]
fn list_without_login_still_lists_and_says_why() {
    let cfg = format!(
        "{BASE}container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n"
    );
    let w = World::new(&cfg);
    w.knob("logged_out", "");
    w.cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"generic +ghcr\.io +- +ghcr_creds +unknown").expect("re"))
        .stdout(predicate::str::contains("fioctl login"));
    let out = w.cmd().args(["list", "--json"]).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["registries"][0]["secret_present"],
        serde_json::Value::Null
    );
    assert!(
        v["secrets_unknown_reason"]
            .as_str()
            .expect("reason")
            .contains("fioctl login")
    );
}

#[test]
fn fioctl_not_on_path_is_explained() {
    let w = World::new(BASE);
    w.cmd_without_fioctl()
        .env("PATH", "/nonexistent")
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
            "--yes",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not on PATH"))
        .stderr(predicate::str::contains("fioctl login"));
    assert_eq!(w.config(), BASE);
}

#[test]
fn readme_example_runs() {
    Command::cargo_bin("fioreg")
        .expect("binary")
        .current_dir(ROOT)
        .env("PATH", "/nonexistent")
        .args(["list", "--config", "assets/example/factory-config.yml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ghcr_creds"))
        .stdout(predicate::str::contains("Secrets were not checked"));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        Command::cargo_bin("fioreg")
            .expect("binary")
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("rotate"));
    }
    Command::cargo_bin("fioreg")
        .expect("binary")
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH fioreg 1"))
        .stdout(predicate::str::contains("container registry"));
}

#[test]
fn no_subcommand_without_a_terminal_prints_usage_and_exits_2() {
    Command::cargo_bin("fioreg")
        .expect("binary")
        .write_stdin("")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("Usage: fioreg"))
        .stderr(predicate::str::contains("needs a terminal"));
}

/// As for the AWS CLI, a missing AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE is empty, not an
/// error; a profile that is not found is still an error naming the profiles that exist.
#[test]
fn missing_aws_files_named_by_the_environment_count_as_empty() {
    let w = World::new(BASE);
    let missing = w.path("no-such-file");
    w.cmd()
        .env("AWS_CONFIG_FILE", &missing)
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-pull",
            "--yes",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Stored the secret aws_creds"));

    // The profile only in a config file, the credentials file named but missing.
    let w = World::new(BASE);
    fs::write(
        w.path("config"),
        format!(
            "[profile ci-cfg]\naws_access_key_id = AKIAEXAMPLECONFIG001\naws_secret_access_key = {AWS_SECRET_KEY}\n"
        ),
    )
    .expect("config");
    w.cmd()
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_CONFIG_FILE", w.path("config"))
        .args([
            "add",
            "aws",
            "--url",
            AWS_URL,
            "--profile",
            "ci-cfg",
            "--yes",
        ])
        .assert()
        .success();
    let stored = w.stored_text("aws_creds").expect("stored");
    assert!(stored.contains("AKIAEXAMPLECONFIG001"), "{stored}");

    // A profile that is not there: the error lists what exists and where it looked.
    let w = World::new(BASE);
    w.cmd()
        .env("AWS_CONFIG_FILE", &missing)
        .args(["add", "aws", "--url", AWS_URL, "--profile", "nope", "--yes"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("AWS profile `nope` was not found"))
        .stderr(predicate::str::contains(
            "choose one of the available profiles: ci-pull, default, temp.",
        ))
        .stderr(predicate::str::contains(
            "no-such-file (from AWS_CONFIG_FILE; not present)",
        ));
    assert_eq!(w.config(), BASE);
    assert!(w.stored("aws_creds").is_none());
}
