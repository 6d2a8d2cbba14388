//! Both wizards create a pull-only Azure identity with the admin's own az login: the real binary
//! in a pseudo-terminal, the `az` stand-in (tests/support/az, az's documented JSON output, as
//! tests/cloud_azure.rs uses it) and the fioctl stand-in as the factory. A run must leave a
//! service principal with AcrPull on that registry only (or a token reading only the named
//! repositories), `id:password` stored as the secret, the config entry, exit 0, and the
//! password in no output, no argv and no file.

mod common;

use common::pty::*;
use common::*;
use std::fs;

const URL: &str = "acmeprod.azurecr.io";
/// The default name: fioreg-<factory>-pull.
const NAME: &str = "fioreg-acme-pull";
const SCOPE: &str = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/acme-rg/providers/Microsoft.ContainerRegistry/registries/acmeprod";
const BACKTAB: &str = "\x1b[Z";

fn world() -> World {
    let w = World::new(BASE);
    fs::create_dir(w.path("az")).expect("az dir");
    // A second registry: nothing may be granted on it.
    fs::write(w.path("az/registries"), "acmeprod\nother\n").expect("registries");
    w
}

/// The wizard (`extra` flags) with the az stand-in.
fn wizard(w: &World, extra: &[&str]) -> Pty {
    let mut args = vec!["--no-verify"];
    args.extend_from_slice(extra);
    w.wizard_env(
        &args,
        &[
            ("FIOREG_AZ", format!("{ROOT}/tests/support/az")),
            ("AZ_STUB_DIR", w.path("az").to_string_lossy().into_owned()),
        ],
    )
}

/// The line prompts from Start to the new principal's name: Add, azure, URL, the default
/// secret name, "Create a new ...".
fn plain_to_the_new_principal(p: &mut Pty) {
    p.wait_for_output("What do you want to do?");
    p.answer(ENTER, "Which kind of registry");
    p.answer("Azure\r", "Registry URL");
    p.answer(&format!("{URL}\r"), "Secret name");
    p.answer(ENTER, "How does CI log in to Azure?");
    p.answer("Create a new\r", "Name of the new service principal");
}

fn az_file(w: &World, rel: &str) -> String {
    fs::read_to_string(w.path("az").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn principals(w: &World) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(w.path("az/sp"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `password` is in no output, no argv, no file but the factory's store and Azure's state.
fn assert_nowhere(w: &World, password: &str, outputs: &[&str]) {
    assert!(password.len() >= 20, "{password:?}");
    for o in outputs {
        assert!(!o.contains(password), "the password was shown");
    }
    assert!(
        !az_file(w, "argv.log").contains(password),
        "password in az argv"
    );
    assert!(!w.calls().contains(password), "password in fioctl argv");
    let skip = [
        w.stub().join("factories"),
        w.path("az/sp"),
        w.path("az/tokens"),
    ];
    let mut files = Vec::new();
    walk(w.dir.path(), &mut files);
    for f in files
        .iter()
        .filter(|f| !skip.iter().any(|s| f.starts_with(s)))
    {
        let text = String::from_utf8_lossy(&fs::read(f).unwrap_or_default()).into_owned();
        assert!(!text.contains(password), "password in {}", f.display());
    }
    w.assert_no_secret_files_left();
}

/// What both wizards must leave after creating the principal `NAME`.
fn check_principal(w: &World, code: i32, out: &str, all: &str) {
    let text = plain_text(out);
    assert_eq!(code, 0, "{text}");
    let sps = principals(w);
    assert_eq!(sps.len(), 1, "{sps:?}");
    let app = &sps[0];
    assert_eq!(az_file(w, &format!("sp/{app}/name")), NAME);
    assert_eq!(az_file(w, &format!("sp/{app}/role")), "AcrPull");
    assert_eq!(
        az_file(w, &format!("sp/{app}/scope")),
        SCOPE,
        "that registry only"
    );
    let password = az_file(w, &format!("sp/{app}/password"));
    assert_eq!(
        w.stored_text("azprincipal"),
        Some(format!("{app}:{password}"))
    );
    assert!(
        w.config().ends_with(&format!(
            "container_registries:\n- type: azure\n  url: {URL}\n  azure_principal_secret_name: \
             azprincipal\n"
        )),
        "{}",
        w.config()
    );
    // Remembered for `fioreg rotate --new-key`.
    let settings = fs::read_to_string(w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains(&format!("acmeprod = \"{app}\"")),
        "{settings}"
    );
    assert!(
        text.contains(&format!(
            "Created for CI: the service principal {NAME} (appId {app}) with AcrPull on acmeprod \
             (new; stored in the factory as `azprincipal`)."
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("add azure --url {URL} --create-principal {NAME}")),
        "{text}"
    );
    assert_nowhere(w, &password, &[out, all]);
}

#[test]
fn the_tui_creates_a_pull_only_service_principal_and_stores_its_password() {
    let w = world();
    let mut p = wizard(&w, &[]);
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    p.send(DOWN);
    p.press(ENTER, "Registry URL");
    p.send(URL);
    p.wait_for("Registry URL ✓");
    p.press(ENTER, "Client (application) id");
    p.wait_for("+ Create a new pull-only service principal with my az login");
    // The "create" item is the form's last item: Shift-Tab from the first field reaches it.
    p.press(
        BACKTAB,
        "▸ + Create a new pull-only service principal with my az login",
    );
    p.press(ENTER, "Repositories (optional)");
    p.wait_for(NAME);
    // The review lists the az action and the role assignment (read-only calls so far).
    p.press(ENTER, "Acting as:");
    p.wait_for(&format!("a new service principal {NAME}"));
    p.wait_for("Role assignment");
    p.wait_for("Login test skipped here: the key does not exist yet.");
    assert!(principals(&w).is_empty(), "nothing is created before Apply");
    assert!(w.stored("azprincipal").is_none());
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Created for CI:");
    p.wait_for("The same from a script:");
    p.send("q");
    let (code, out) = p.finish();
    check_principal(&w, code, &out, &p.text());
}

#[test]
fn the_line_prompts_create_a_pull_only_service_principal_and_store_its_password() {
    let w = world();
    let mut p = wizard(&w, &["--plain"]);
    plain_to_the_new_principal(&mut p);
    p.answer(ENTER, "Only some repositories?");
    p.answer(ENTER, "Acting as:");
    p.expect(&format!("CI will be: a new service principal {NAME}"));
    p.expect("Role assignment");
    p.expect(&format!("AcrPull on {SCOPE}"));
    p.expect("Apply this plan?");
    assert!(principals(&w).is_empty(), "nothing is created before Apply");
    p.send("y\r");
    p.wait_for_output("Created for CI:");
    let (code, out) = p.finish();
    let text = plain_text(&out);
    for step in [
        format!("1. Create the service principal {NAME} with the AcrPull role on acmeprod only"),
        "Storing the secret azprincipal in factory acme ... done".to_string(),
    ] {
        assert!(text.contains(&step), "missing `{step}` in:\n{text}");
    }
    check_principal(&w, code, &out, &p.text());
}

#[test]
fn the_line_prompts_create_a_repository_scoped_token_that_expires() {
    let w = world();
    let mut p = wizard(&w, &["--plain"]);
    plain_to_the_new_principal(&mut p);
    p.answer("ci-token\r", "Only some repositories?");
    p.answer("team/app, base\r", "expires after how many days?");
    p.answer("30\r", "Acting as:");
    p.expect("Token scope");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.wait_for_output("Created for CI:");
    let (code, out) = p.finish();
    let text = plain_text(&out);
    assert_eq!(code, 0, "{text}");
    assert!(principals(&w).is_empty(), "a token, no principal");
    assert_eq!(
        az_file(&w, "tokens/ci-token/repos"),
        "team/app content/read metadata/read\nbase content/read metadata/read\n"
    );
    assert!(az_file(&w, "argv.log").contains("arg: --expiration-in-days\narg: 30\n"));
    let password = az_file(&w, "tokens/ci-token/password1");
    assert_eq!(
        w.stored_text("azprincipal"),
        Some(format!("ci-token:{password}"))
    );
    let settings = fs::read_to_string(w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains("acmeprod = \"token:ci-token\""),
        "{settings}"
    );
    assert!(
        text.contains(
            "Created for CI: the token ci-token in acmeprod, reading team/app, base only (new, \
             expires 20"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "--create-principal ci-token --repository team/app --repository base \
             --expires-in-days 30"
        ),
        "{text}"
    );
    assert_nowhere(&w, &password, &[&out, &p.text()]);
}

#[test]
fn a_failed_store_says_what_exists_in_azure_and_what_to_run() {
    let w = world();
    w.knob("fail_update", "HTTP_ERROR: 500 Internal Server Error\n");
    let mut p = wizard(&w, &["--plain"]);
    plain_to_the_new_principal(&mut p);
    p.answer(ENTER, "Only some repositories?");
    p.answer(ENTER, "Apply this plan?");
    p.send("y\r");
    let (code, out) = p.finish();
    let text = plain_text(&out);
    assert_ne!(code, 0, "{text}");
    let sps = principals(&w);
    assert_eq!(sps.len(), 1, "{sps:?}");
    let app = &sps[0];
    assert!(text.contains("What exists now:"), "{text}");
    assert!(
        text.contains(&format!(
            "the service principal {NAME} (appId {app}) with AcrPull on acmeprod (new; NOT \
             stored in the factory yet)"
        )),
        "{text}"
    );
    assert!(text.contains("What to run:"), "{text}");
    assert!(
        text.contains(&format!("az ad sp delete --id {app}")),
        "{text}"
    );
    assert!(w.stored("azprincipal").is_none(), "nothing stored");
    w.assert_config_intact();
    let password = az_file(&w, &format!("sp/{app}/password"));
    assert_nowhere(&w, &password, &[&out, &p.text()]);
}

#[test]
fn ctrl_c_in_the_tui_while_the_principal_is_created_stops_with_a_clear_account() {
    let w = world();
    let pid_file = w.path("az-hang.pid");
    // The logging wrapper in front of the az stand-in hangs at `az ad sp create-for-rbac`.
    let mut p = w.wizard_env(
        &["--no-verify"],
        &[
            ("FIOREG_AZ", format!("{ROOT}/tests/support/tool-logged")),
            ("TOOL_REAL", format!("{ROOT}/tests/support/az")),
            (
                "TOOL_ARGV_LOG",
                w.path("az-wrapper.log").to_string_lossy().into_owned(),
            ),
            ("TOOL_HANG_ON", "create-for-rbac".into()),
            ("TOOL_HANG_PID", pid_file.to_string_lossy().into_owned()),
            ("AZ_STUB_DIR", w.path("az").to_string_lossy().into_owned()),
        ],
    );
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    p.send(DOWN);
    p.press(ENTER, "Registry URL");
    p.send(URL);
    p.wait_for("Registry URL ✓");
    p.press(ENTER, "Client (application) id");
    p.wait_for("+ Create a new pull-only service principal");
    p.press(BACKTAB, "▸ + Create a new pull-only service principal");
    p.press(ENTER, "Repositories (optional)");
    p.press(ENTER, "Acting as:");
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.send(ENTER);
    wait_until("az create-for-rbac to start", || pid_file.exists());
    p.send(CTRL_C);
    let (code, out) = p.finish();
    let text = plain_text(&out);
    assert_eq!(code, 130, "{text}");
    // The principal may or may not exist: the words say so and where to look.
    assert!(
        text.contains("it may or may not have happened, check in Azure"),
        "{text}"
    );
    assert!(text.contains("What to run:"), "{text}");
    assert!(
        text.contains(&format!("az ad sp list --display-name {NAME}")),
        "{text}"
    );
    assert!(principals(&w).is_empty());
    assert_eq!(w.stored("azprincipal"), None, "nothing stored");
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

/// A PATH with the system's tools but no `az`: symlinks to everything in /usr/bin and /bin
/// except `az`.
fn path_without_az(w: &World) -> String {
    let bin = w.path("bin-without-az");
    fs::create_dir_all(&bin).expect("bin dir");
    for dir in ["/usr/bin", "/bin"] {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if name != "az" && !link.exists() {
                let _ = std::os::unix::fs::symlink(entry.path(), link);
            }
        }
    }
    bin.to_string_lossy().into_owned()
}

#[test]
fn without_az_the_line_prompts_give_the_exact_commands_and_change_nothing() {
    let w = world();
    let mut p = w.wizard_env(
        &["--no-verify", "--plain"],
        &[("PATH", path_without_az(&w))],
    );
    plain_to_the_new_principal(&mut p);
    p.answer(ENTER, "Only some repositories?");
    p.answer(ENTER, "Name of the new service principal");
    let text = p.text();
    assert!(
        text.contains(
            "the Azure CLI (`az`) is not installed, so fioreg cannot create the credential; \
             nothing was created."
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "APP_ID=$(az ad sp create-for-rbac --name {NAME} --role AcrPull --scopes \"$ACR_ID\" \
             --query appId --output tsv)"
        )),
        "{text}"
    );
    assert!(
        text.contains("--client-id \"$APP_ID\" --password-stdin --yes"),
        "{text}"
    );
    p.send(CTRL_C);
    let (code, _) = p.finish();
    assert_eq!(code, 130);
    assert!(!w.path("az/argv.log").exists(), "az was not run");
    assert_eq!(w.stored("azprincipal"), None);
    w.assert_config_intact();
}
