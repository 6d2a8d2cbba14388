//! `fioreg add azure --create-principal` and `rotate --new-key` for azure through the real
//! binary: without `az` (the commands are printed), and with the `az` stand-in
//! (tests/support/az, az's documented JSON output) and the fioctl stand-in.

mod common;

use common::*;
use std::fs;
use std::process::Command;

const URL: &str = "acmeprod.azurecr.io";

struct Cloud {
    w: World,
}

impl Cloud {
    fn new() -> Cloud {
        let w = World::new(BASE);
        fs::create_dir(w.path("az")).expect("az dir");
        fs::write(w.path("az/registries"), "acmeprod\n").expect("registries");
        Cloud { w }
    }

    fn fioreg(&self) -> Command {
        let mut c = self.w.fioreg();
        c.env("FIOREG_AZ", format!("{ROOT}/tests/support/az"))
            .env("AZ_STUB_DIR", self.w.path("az"));
        c
    }

    /// `fioreg add azure --url URL --create-principal fioreg-acme-pull --yes` and `extra`
    /// flags: (code, stdout, stderr).
    fn create_principal(&self, extra: &[&str]) -> (Option<i32>, String, String) {
        let mut cmd = self.fioreg();
        cmd.args([
            "add",
            "azure",
            "--url",
            URL,
            "--create-principal",
            "fioreg-acme-pull",
            "--yes",
        ]);
        cmd.args(extra);
        run(cmd, "")
    }

    fn principals(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.w.path("az/sp"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn az_file(&self, rel: &str) -> String {
        fs::read_to_string(self.w.path("az").join(rel)).expect(rel)
    }

    fn stored(&self) -> Option<String> {
        self.w
            .stored("azprincipal")
            .map(|b| String::from_utf8(b).expect("utf8"))
    }

    /// `password` is in no output, no argv, no file but the factory's store and Azure's state.
    fn assert_nowhere(&self, password: &str, outputs: &[&str]) {
        assert!(password.len() >= 20, "{password:?}");
        for o in outputs {
            assert!(!o.contains(password), "password in output:\n{o}");
        }
        assert!(!self.az_file("argv.log").contains(password));
        assert!(!self.w.calls().contains(password));
        let skip = [
            self.w.stub().join("factories"),
            self.w.path("az/sp"),
            self.w.path("az/tokens"),
        ];
        let mut files = Vec::new();
        walk(self.w.dir.path(), &mut files);
        for f in files
            .iter()
            .filter(|f| !skip.iter().any(|s| f.starts_with(s)))
        {
            let text = String::from_utf8_lossy(&fs::read(f).unwrap_or_default()).into_owned();
            assert!(!text.contains(password), "password in {}", f.display());
        }
        self.w.assert_no_secret_files_left();
    }
}

#[test]
fn without_az_the_exact_commands_are_printed_and_nothing_changes() {
    let w = World::new(BASE);
    let mut cmd = w.fioreg();
    cmd.env("PATH", w.path("no-bin")).args([
        "add",
        "azure",
        "--url",
        URL,
        "--create-principal",
        "fioreg-acme-pull",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains("The Azure CLI (`az`) is not installed"),
        "{out}"
    );
    assert!(
        out.contains("ACR_ID=$(az acr show --name acmeprod --query id --output tsv)"),
        "{out}"
    );
    assert!(out.contains(
        "APP_ID=$(az ad sp create-for-rbac --name fioreg-acme-pull --role AcrPull --scopes \"$ACR_ID\" --query appId --output tsv)"
    ), "{out}");
    assert!(out.contains(
        "az ad sp credential reset --id \"$APP_ID\" --query password --output tsv |\n  fioreg --factory acme add azure --url acmeprod.azurecr.io --client-id \"$APP_ID\" --password-stdin --yes"
    ), "{out}");
    assert!(
        err.contains("nothing was created: `az` is not installed"),
        "{err}"
    );
    w.assert_config_intact();

    let mut cmd = w.fioreg();
    cmd.env("PATH", w.path("no-bin")).args([
        "add",
        "azure",
        "--url",
        URL,
        "--create-principal",
        "fioreg-acme-pull",
        "--repository",
        "team/app",
        "--expires-in-days",
        "90",
    ]);
    let (code, out, _) = run(cmd, "");
    assert_eq!(code, Some(1));
    assert!(out.contains(
        "az acr token create --name fioreg-acme-pull --registry acmeprod --repository team/app content/read metadata/read --expiration-in-days 90 --no-passwords"
    ), "{out}");
}

#[test]
fn a_principal_with_acrpull_on_the_registry_only_is_created_and_stored() {
    let c = Cloud::new();
    let (code, out, err) = c.create_principal(&[]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains(
            "Acting as:  admin@acme.example (subscription 00000000-1111-2222-3333-444444444444)"
        ),
        "{out}"
    );
    let scope = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/acme-rg/providers/Microsoft.ContainerRegistry/registries/acmeprod";
    assert!(
        out.contains(&format!(
            "$ az ad sp create-for-rbac --name fioreg-acme-pull --role AcrPull --scopes {scope}"
        )),
        "{out}"
    );
    let sps = c.principals();
    assert_eq!(sps.len(), 1);
    let app = &sps[0];
    assert_eq!(c.az_file(&format!("sp/{app}/role")), "AcrPull");
    assert_eq!(c.az_file(&format!("sp/{app}/scope")), scope);
    let password = c.az_file(&format!("sp/{app}/password"));
    assert_eq!(c.stored(), Some(format!("{app}:{password}")));
    assert!(c.w.config().contains(
        "- type: azure\n  url: acmeprod.azurecr.io\n  azure_principal_secret_name: azprincipal\n"
    ));
    let settings = fs::read_to_string(c.w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains(&format!("acmeprod = \"{app}\"")),
        "{settings}"
    );
    c.assert_nowhere(&password, &[&out, &err]);
    // The last word names what was created, never that it is not stored.
    assert!(
        out.contains(&format!(
            "✓ Created for CI: the service principal fioreg-acme-pull (appId {app})"
        )) && out.contains("stored in the factory as `azprincipal`")
            && !out.to_lowercase().contains("not stored"),
        "{out}"
    );

    // Rotation resets the password; the new one is stored.
    let mut cmd = c.fioreg();
    cmd.args(["rotate", URL, "--new-key", "--yes"]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let new_password = c.az_file(&format!("sp/{app}/password"));
    assert_ne!(new_password, password);
    assert_eq!(c.stored(), Some(format!("{app}:{new_password}")));
    assert!(
        out.contains(&format!("$ az ad sp credential reset --id {app}")),
        "{out}"
    );
    c.assert_nowhere(&new_password, &[&out, &err]);
}

#[test]
fn a_repository_scoped_token_reads_only_its_repositories_and_expires() {
    let c = Cloud::new();
    let mut cmd = c.fioreg();
    cmd.args([
        "add",
        "azure",
        "--url",
        URL,
        "--create-principal",
        "ci-token",
        "--repository",
        "team/app",
        "--repository",
        "base",
        "--expires-in-days",
        "30",
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(
        c.az_file("tokens/ci-token/repos"),
        "team/app content/read metadata/read\nbase content/read metadata/read\n"
    );
    assert!(
        c.az_file("argv.log")
            .contains("arg: --expiration-in-days\narg: 30\n")
    );
    let password = c.az_file("tokens/ci-token/password1");
    assert_eq!(c.stored(), Some(format!("ci-token:{password}")));
    assert!(
        out.contains("(new, expires 20"),
        "the expiry is named: {out}"
    );
    // Stored by then: the last word says where, never "NOT stored".
    assert!(
        out.contains("stored in the factory as `azprincipal`)")
            && !out.to_lowercase().contains("not stored"),
        "{out}"
    );
    c.assert_nowhere(&password, &[&out, &err]);

    let mut cmd = c.fioreg();
    cmd.args(["rotate", "azprincipal", "--new-key", "--yes"]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let new_password = c.az_file("tokens/ci-token/password1");
    assert_ne!(new_password, password);
    assert_eq!(c.stored(), Some(format!("ci-token:{new_password}")));
    c.assert_nowhere(&new_password, &[&out, &err]);
}

#[test]
fn az_errors_are_shown_and_nothing_is_stored() {
    let c = Cloud::new();
    fs::write(c.w.path("az/forbid_sp"), "").expect("knob");
    let (code, out, err) = c.create_principal(&[]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("Insufficient privileges to complete the operation."),
        "{err}"
    );
    assert_eq!(c.stored(), None);
    c.w.assert_config_intact();

    let mut cmd = c.fioreg();
    cmd.args([
        "add",
        "azure",
        "--url",
        "nosuchreg.azurecr.io",
        "--create-principal",
        "x-pull",
        "--yes",
    ]);
    let (code, _, err) = run(cmd, "");
    assert_eq!(code, Some(1));
    assert!(err.contains("The resource with name 'nosuchreg'"), "{err}");
    assert!(c.principals().is_empty());
}

#[test]
fn a_token_az_answers_without_a_password_is_named_with_its_undo() {
    let c = Cloud::new();
    fs::write(c.w.path("az/no_token_password"), "").expect("knob");
    let (code, out, err) = c.create_principal(&["--repository", "team/app"]);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("az returned no token password"), "{err}");
    // The token exists: the account names it and how to delete it.
    assert!(err.contains("What exists now:"), "{err}");
    assert!(
        err.contains("the token fioreg-acme-pull in acmeprod, reading team/app only"),
        "{err}"
    );
    assert!(
        err.contains("az acr token delete --name fioreg-acme-pull --registry acmeprod --yes"),
        "{err}"
    );
    assert_eq!(c.stored(), None);
    c.w.assert_config_intact();
}

#[test]
fn an_expiry_without_repositories_is_refused() {
    let c = Cloud::new();
    let (code, _, err) = c.create_principal(&["--expires-in-days", "30"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("--expires-in-days applies to a repository-scoped token"),
        "{err}"
    );
    assert!(c.principals().is_empty());
    c.w.assert_config_intact();
}

#[test]
fn sigint_while_fioctl_stores_a_rotated_password_leaves_a_clear_account() {
    let c = Cloud::new();
    let (code, out, err) = c.create_principal(&[]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let app = c.principals().remove(0);
    let password = c.az_file(&format!("sp/{app}/password"));
    let config = c.w.config();
    c.w.knob("hang", "");
    let mut cmd = c.fioreg();
    cmd.args(["rotate", URL, "--new-key", "--yes"]);
    let running = Running::spawn(cmd);
    let fioctl_pid = c.w.wait_for_hang_pid();
    running.signal(libc::SIGINT);
    let (code, out, err) = running.finish();
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(wait_dead(fioctl_pid), "fioctl was stopped");
    let new_password = c.az_file(&format!("sp/{app}/password"));
    assert_ne!(
        new_password, password,
        "the password was reset before fioctl ran"
    );
    // fioctl was stopped before it answered: the account says the new password MAY be stored
    // (not that it is not), that the old one is gone, and how to get a working one again.
    assert!(err.contains("What exists now:"), "{err}");
    assert!(
        err.contains(&format!(
            "the service principal {app} with a NEW password (it MAY be stored in the factory: \
             fioctl was stopped before it answered; the old one no longer works)"
        )),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("not stored"), "{err}");
    assert!(
        err.contains(&format!("rotate {URL} --new-key --user {app} --yes")),
        "{err}"
    );
    c.assert_nowhere(&new_password, &[&out, &err]);
    c.w.assert_config_is(&config);
}
