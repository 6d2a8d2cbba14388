//! rotate, remove, check and --commit through the real binary, with real git and the fioctl
//! stand-in.

mod common;

use assert_cmd::Command;
use common::*;
use predicates::prelude::*;
use std::fs;

const CONFIG: &str = "# acme\nnotify:\n  email:\n    users: a@b.c\n\ncontainer_registries:\n# production\n- type: aws\n  region: us-east-2  # Ohio\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n# GitHub packages\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";

/// A world with [`CONFIG`], whose two secrets the factory already holds, and a `ci-pull` AWS
/// profile with the new keys a rotation stores.
fn world() -> World {
    let w = World::with_credentials(
        CONFIG,
        "[ci-pull]\naws_access_key_id = AKIAEXAMPLEPULL00002\naws_secret_access_key = rotatedSecretKeyValue\n",
    );
    for name in ["aws_creds", "ghcr_creds"] {
        w.seed_secret(name, "old");
    }
    w
}

#[test]
fn rotate_stores_new_credentials_and_leaves_the_file_byte_identical() {
    let w = world();
    w.cmd()
        .args(["rotate", "aws_creds", "--profile", "ci-pull", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Plan: rotate aws"))
        .stdout(predicate::str::contains("the file is not changed"))
        .stdout(predicate::str::contains("Stored the secret aws_creds"));
    assert_eq!(w.config(), CONFIG);
    assert_eq!(
        w.stored_text("aws_creds").expect("secret"),
        "[default]\naws_access_key_id = AKIAEXAMPLEPULL00002\naws_secret_access_key = rotatedSecretKeyValue\n"
    );
    // By url, for a generic registry, the token from stdin.
    w.cmd()
        .args([
            "rotate",
            "ghcr.io",
            "--username",
            "bot",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("newtoken\n")
        .assert()
        .success();
    assert_eq!(w.stored_text("ghcr_creds").expect("secret"), "bot:newtoken");
    assert_eq!(w.config(), CONFIG);
}

#[test]
fn rotate_of_an_unknown_registry_lists_the_known_ones() {
    let w = world();
    w.cmd()
        .args([
            "rotate",
            "docker.io",
            "--username",
            "x",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("t\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no registry has the secret name or url `docker.io`",
        ))
        .stderr(predicate::str::contains("ghcr_creds (ghcr.io)"));
}

#[test]
fn remove_takes_its_comment_lines_and_deletes_the_secret_after_writing() {
    let w = world();
    w.cmd()
        .args(["remove", "ghcr.io", "--delete-secret", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("-# GitHub packages"))
        .stdout(predicate::str::contains(
            "fioctl --factory acme secrets update ghcr_creds=",
        ))
        .stdout(predicate::str::contains("Deleted the secret ghcr_creds"));
    assert_eq!(
        w.config(),
        "# acme\nnotify:\n  email:\n    users: a@b.c\n\ncontainer_registries:\n# production\n- type: aws\n  region: us-east-2  # Ohio\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n"
    );
    assert_eq!(w.stored_text("ghcr_creds"), None);
    assert!(w.stored_text("aws_creds").is_some());
}

#[test]
fn remove_without_delete_secret_keeps_it_and_needs_no_fioctl() {
    let w = world();
    w.cmd_without_fioctl()
        .args(["remove", "aws_creds", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stays in the factory"));
    assert!(!w.config().contains("type: aws"));
    assert!(w.config().contains("# GitHub packages\n- type: generic"));
    assert!(w.stored_text("aws_creds").is_some());
}

#[test]
fn commit_commits_only_the_config_with_a_message() {
    let w = world();
    w.init_repo();
    fs::write(w.path("repo/notes.txt"), "unrelated\n").expect("notes");
    w.git(&["add", "notes.txt"]);
    w.cmd()
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "sp",
            "--password-stdin",
            "--yes",
            "--commit",
        ])
        .write_stdin("pw\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Commit factory-config.yml in"))
        .stdout(predicate::str::contains("Committed"));
    assert_eq!(
        w.git(&["log", "-1", "--format=%s"]),
        "container_registries: add azure acmeprod.azurecr.io"
    );
    assert_eq!(
        w.git(&["show", "--name-only", "--format=", "HEAD"]),
        "factory-config.yml"
    );
    assert_eq!(w.git(&["diff", "--cached", "--name-only"]), "notes.txt");
    // In a work tree the lock file lives in the git directory (empty): never listed by git
    // status, never committed, nothing left beside the config.
    assert_eq!(
        fs::read(w.path("repo/.git/fioreg-locks/factory-config.yml.lock")).expect("lock file"),
        b""
    );
    assert!(!w.path("repo/.factory-config.yml.fioreg-lock").exists());
    assert_eq!(
        w.git(&["status", "--porcelain", "--untracked-files=all"]),
        "A  notes.txt"
    );
    // -m overrides the message.
    w.cmd()
        .args(["remove", "acmeprod.azurecr.io", "--yes", "-m", "drop ACR"])
        .assert()
        .success();
    assert_eq!(w.git(&["log", "-1", "--format=%s"]), "drop ACR");
}

#[test]
fn commit_is_refused_when_the_file_already_had_changes() {
    let w = world();
    w.init_repo();
    let edited = CONFIG.replace("a@b.c", "ops@b.c");
    fs::write(w.config_path(), &edited).expect("edit");
    w.cmd()
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "sp",
            "--password-stdin",
            "--yes",
            "--commit",
        ])
        .write_stdin("pw\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("already has uncommitted changes"));
    assert_eq!(w.config(), edited);
    assert!(
        w.stored_text("azprincipal").is_none(),
        "nothing may be stored"
    );
}

#[test]
fn push_pushes_the_branch() {
    let w = world();
    w.init_repo();
    let remote = tempfile::tempdir().expect("remote");
    git(remote.path(), &["init", "--quiet", "--bare"]);
    w.git(&[
        "remote",
        "add",
        "origin",
        &remote.path().display().to_string(),
    ]);
    w.cmd()
        .args(["remove", "ghcr_creds", "--yes", "--push"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Pushed main"));
    assert_eq!(
        git(remote.path(), &["log", "-1", "--format=%s", "main"]),
        "container_registries: remove generic ghcr.io"
    );
}

#[test]
fn check_reports_file_line_severity_and_fix() {
    let w = world();
    let broken = format!(
        "{CONFIG}- type: aws\n  region: eu-west-1\n  url: 210987654321.dkr.ecr.eu-west-1.amazonaws.com\n  aws_creds_secret_name: aws2\n- type: quay\n  url: quay.io\n"
    );
    fs::write(w.config_path(), &broken).expect("write");
    w.cmd()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "factory-config.yml:16: error: a second aws entry (the first is at line 8)",
        ))
        .stdout(predicate::str::contains(
            "factory-config.yml:19: error: secret `aws2` does not exist in the factory",
        ))
        .stdout(predicate::str::contains(
            "factory-config.yml:20: error: type `quay` is not one CI knows",
        ))
        .stdout(predicate::str::contains("  fix: "));
    let out = w
        .cmd()
        .args(["check", "--offline", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["errors"], serde_json::json!(2));
    assert_eq!(v["findings"][0]["line"], serde_json::json!(16));
}

#[test]
fn check_passes_a_clean_config_and_warns_about_unused_secrets() {
    let w = world();
    fs::write(
        w.stub().join("factories/acme/secrets/old_registry_creds"),
        "x",
    )
    .expect("s");
    w.cmd()
        .args(["check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: the factory has a secret `old_registry_creds`",
        ))
        .stdout(predicate::str::contains("0 errors, 1 warnings"));
}

#[test]
fn check_online_without_login_fails_with_the_reason() {
    let w = world();
    w.knob("logged_out", "");
    w.cmd()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("could not be checked"))
        .stdout(predicate::str::contains("--offline"));
    w.cmd().args(["check", "--offline"]).assert().success();
}

#[test]
fn settings_remember_the_config_path_and_choices_and_keep_comments() {
    let w = world();
    let xdg = w.path("xdg");
    fs::create_dir_all(xdg.join("fioreg")).expect("dir");
    fs::write(xdg.join("fioreg/config.toml"), "# my fioreg settings\n").expect("toml");
    w.cmd()
        .env("XDG_CONFIG_HOME", &xdg)
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "sp",
            "--password-stdin",
            "--yes",
        ])
        .write_stdin("azure-Settings-Pw0rd\n")
        .assert()
        .success();
    let toml = fs::read_to_string(xdg.join("fioreg/config.toml")).expect("toml");
    assert!(toml.starts_with("# my fioreg settings\n"), "{toml}");
    assert!(toml.contains("[factories.acme]"), "{toml}");
    assert!(toml.contains("[factories.acme]\nconfig = "), "{toml}");
    // (A distinctive password: a two-letter one can occur in the random temp dir's name.)
    assert!(
        !toml.contains("azure-Settings-Pw0rd"),
        "no secret in settings: {toml}"
    );
    // The remembered config path is used when --config is not given, from another directory.
    let elsewhere = tempfile::tempdir().expect("dir");
    Command::cargo_bin("fioreg")
        .expect("bin")
        .current_dir(elsewhere.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["--factory", "acme", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("acmeprod.azurecr.io"));
    w.cmd()
        .env("XDG_CONFIG_HOME", &xdg)
        .args([
            "settings",
            "set",
            "factories.acme.config",
            "/srv/acme/factory-config.yml",
        ])
        .assert()
        .success();
    w.cmd()
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["settings", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "config = \"/srv/acme/factory-config.yml\"",
        ));
    // Only the config path is a setting: nothing else was ever read back.
    w.cmd()
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["settings", "set", "factories.acme.last_provider", "gar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "unknown setting `factories.acme.last_provider`: use one of factories.<NAME>.config",
        ));
    w.cmd()
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["settings", "set", "factories.acme.password", "x"])
        .assert()
        .failure();
}

#[test]
fn remember_and_from_keyring_use_the_real_kernel_keyring() {
    // Each `keyctl session -` gets its own session keyring, which the kernel allows even where
    // the shared user keyring is refused (as in sandboxes).
    if std::process::Command::new("keyctl")
        .arg("--version")
        .output()
        .is_err()
    {
        skip_or_fail("keyctl (package keyutils) is not installed");
        return;
    }
    let w = world();
    let stub = format!("{ROOT}/tests/support/fioctl");
    let script = format!(
        "set -e\n\
         F='{bin}'; common=\"--fioctl {stub} --factory acme --yes --no-verify\"\n\
         echo 'kept-token-1' | \"$F\" $common add generic --url docker.io --username bot --password-stdin --remember\n\
         \"$F\" $common rotate docker.io --username bot2 --from-keyring\n\
         \"$F\" forget docker.io\n\
         if \"$F\" $common rotate docker.io --username bot --from-keyring; then exit 9; fi\n",
        bin = BIN
    );
    let out = std::process::Command::new("keyctl")
        .args(["session", "-", "bash", "-c", &script])
        .current_dir(w.path("repo"))
        .env("FIOCTL_STUB_DIR", w.stub())
        .env("HOME", w.dir.path())
        .output()
        .expect("keyctl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stderr.contains("is unavailable") {
        skip_or_fail(&format!(
            "this machine refuses the kernel keyring: {stderr}"
        ));
        return;
    }
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("Kept the token for docker.io"), "{stderr}");
    assert!(
        stdout.contains("Deleted the password or token kept for docker.io"),
        "{stdout}"
    );
    assert!(stderr.contains("holds no token for docker.io"), "{stderr}");
    // The rotation used the kept token with the new user name.
    assert_eq!(
        w.stored_text("docker_creds").expect("secret"),
        "bot2:kept-token-1"
    );
    assert!(!stdout.contains("kept-token-1") && !stderr.contains("kept-token-1"));
}

#[test]
fn keyring_flags_are_refused_for_types_without_a_password() {
    let w = world();
    w.cmd()
        .args([
            "rotate",
            "aws_creds",
            "--profile",
            "ci-pull",
            "--remember",
            "--yes",
        ])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("a aws registry has none")
                .or(predicate::str::contains("registry has none")),
        );
    assert_eq!(w.config(), CONFIG);
}

#[test]
fn device_wrap_writes_a_dockerfile_and_refuses_to_overwrite() {
    let w = world();
    let repo = w.path("containers");
    fs::create_dir(&repo).expect("repo");
    let run = |image: &str| {
        let mut c = w.cmd();
        c.args([
            "device-wrap",
            "--image",
            image,
            "--container",
            "sdk",
            "--containers-repo",
        ])
        .arg(&repo);
        c
    };
    run("acmeprod.azurecr.io/sdk/app:1.2")
        .assert()
        .success()
        .stdout(predicate::str::contains("Wrote"))
        .stdout(predicate::str::contains("hub.foundries.io/acme/sdk"));
    let dockerfile = fs::read_to_string(repo.join("sdk/Dockerfile")).expect("dockerfile");
    assert!(
        dockerfile.ends_with("FROM acmeprod.azurecr.io/sdk/app:1.2\n"),
        "{dockerfile}"
    );
    run("acmeprod.azurecr.io/sdk/app:1.2")
        .assert()
        .success()
        .stdout(predicate::str::contains("already"));
    run("acmeprod.azurecr.io/sdk/app:2.0").assert().failure();
    assert_eq!(
        fs::read_to_string(repo.join("sdk/Dockerfile")).expect("same"),
        dockerfile
    );
}

#[test]
fn policy_commands_print_least_privilege_setups() {
    let w = world();
    let out = w
        .cmd()
        .args([
            "policy",
            "aws",
            "--url",
            "123456789012.dkr.ecr.us-east-2.amazonaws.com",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let json_end = text.find("\n\n").expect("policy then help");
    let policy: serde_json::Value = serde_json::from_str(&text[..json_end]).expect("json policy");
    let actions = policy.to_string();
    for a in [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
    ] {
        assert!(actions.contains(a), "{a} missing: {actions}");
    }
    assert!(
        actions.contains("arn:aws:ecr:us-east-2:123456789012:repository/*"),
        "{actions}"
    );
    assert!(!actions.contains("ecr:PutImage"));
    w.cmd()
        .args([
            "policy",
            "gar",
            "--project",
            "acme-prod",
            "--location",
            "us-central1",
            "--repository",
            "images",
            "--name",
            "ci-pull",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--role=roles/artifactregistry.reader",
        ))
        .stdout(predicate::str::contains(
            "gcloud iam service-accounts keys create",
        ));
    w.cmd()
        .args([
            "policy",
            "gar",
            "--project",
            "acme-prod",
            "--location",
            "us-central-1",
            "--repository",
            "images",
            "--name",
            "ci-pull",
        ])
        .assert()
        .failure();
}

#[test]
fn in_a_git_work_tree_the_diff_names_the_file_as_git_would() {
    let w = world();
    w.init_repo();
    fs::create_dir(w.path("repo/ci")).expect("dir");
    fs::write(w.path("repo/ci/factory-config.yml"), CONFIG).expect("config");
    w.cmd()
        .args(["--config", "ci/factory-config.yml", "--dry-run"])
        .args([
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "sp",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- a/ci/factory-config.yml\n+++ b/ci/factory-config.yml",
        ));
}

/// `--config` naming a symlink: the file it points to is changed and committed; the link is not.
#[test]
fn commit_through_a_symlink_commits_the_target() {
    let w = world();
    std::os::unix::fs::symlink("factory-config.yml", w.path("repo/link.yml")).expect("symlink");
    w.init_repo();
    w.cmd()
        .args([
            "--config",
            "link.yml",
            "add",
            "azure",
            "--url",
            "acmeprod.azurecr.io",
            "--client-id",
            "sp",
            "--password-stdin",
            "--yes",
            "--commit",
        ])
        .write_stdin("pw\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Committed"));
    assert_eq!(
        w.git(&["show", "--name-only", "--format=", "HEAD"]),
        "factory-config.yml"
    );
    assert!(
        fs::symlink_metadata(w.path("repo/link.yml"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(w.config().contains("acmeprod.azurecr.io"));
    assert_eq!(
        w.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
}
