//! Both wizards create a pull-only GAR service account with the admin's own gcloud login: the
//! real binary in a pseudo-terminal, the real `gcloud` pointed at the loopback stand-in of the
//! IAM and Artifact Registry APIs (tests/support/gcp_api.rs), the fioctl stand-in as the
//! factory. Each run must leave the account with the reader role on the one repository, its one
//! key stored as the secret, the config entry, exit 0, and the private key in no output.

mod common;
#[path = "support/gcp_api.rs"]
mod gcp_api;
#[path = "support/http_stub.rs"]
mod http_stub;

use common::pty::*;
use common::*;
use gcp_api::{GcpApi, TOKEN};
use std::fs;

const PROJECT: &str = "acme-prod-1";
const LOCATION: &str = "us-central1";
const REPO: &str = "apps";
const HOST: &str = "us-central1-docker.pkg.dev";
/// The default name: fioreg-<factory>-pull.
const NAME: &str = "fioreg-acme-pull";
const EMAIL: &str = "fioreg-acme-pull@acme-prod-1.iam.gserviceaccount.com";

fn world() -> (World, GcpApi) {
    let w = World::new(BASE);
    fs::write(w.path("token"), TOKEN).expect("token");
    let api = GcpApi::start();
    api.add_repository(PROJECT, LOCATION, REPO);
    api.add_repository(PROJECT, LOCATION, "other");
    (w, api)
}

/// The wizard (`extra` flags) with the logging gcloud wrapper, gcloud pointed at the stand-in.
fn wizard(w: &World, api: &GcpApi, extra: &[&str]) -> Pty {
    wizard_env(w, api, extra, &[])
}

/// [`wizard`] with more environment variables (the wrapper's knobs).
fn wizard_env(w: &World, api: &GcpApi, extra: &[&str], more: &[(&str, String)]) -> Pty {
    let gcloud = which::which("gcloud").unwrap_or_else(|_| {
        panic!("`gcloud` is not installed: install the Google Cloud CLI (Debian: google-cloud-cli)")
    });
    let mut args = vec!["--no-verify"];
    args.extend_from_slice(extra);
    let endpoint = format!("{}/", api.stub.url());
    let path = |p: &str| w.path(p).to_string_lossy().into_owned();
    let mut envs = vec![
        ("FIOREG_GCLOUD", format!("{ROOT}/tests/support/tool-logged")),
        ("TOOL_REAL", gcloud.to_string_lossy().into_owned()),
        ("TOOL_ARGV_LOG", path("gcloud-argv.log")),
        ("CLOUDSDK_CONFIG", path("gcloud")),
        ("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", path("token")),
        ("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM", endpoint.clone()),
        ("CLOUDSDK_API_ENDPOINT_OVERRIDES_ARTIFACTREGISTRY", endpoint),
        ("CLOUDSDK_CORE_DISABLE_PROMPTS", "1".into()),
        (
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK",
            "1".into(),
        ),
        ("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "1".into()),
    ];
    envs.extend(more.iter().cloned());
    w.wizard_env(&args, &envs)
}

/// What both wizards must leave behind. `all`: everything the terminal received.
fn check(w: &World, api: &GcpApi, code: i32, out: &str, all: &str) {
    let text = plain_text(out);
    assert_eq!(code, 0, "{text}");
    // The account, the reader role on the one repository only, one key: the stored one.
    {
        let st = api.state.lock().expect("state");
        assert!(st.accounts.contains_key(EMAIL), "no account {EMAIL}");
        let repo = |r: &str| {
            st.policies
                .get(&format!(
                    "projects/{PROJECT}/locations/{LOCATION}/repositories/{r}"
                ))
                .cloned()
        };
        assert_eq!(
            repo(REPO).expect("policy")["bindings"],
            serde_json::json!([{"role": "roles/artifactregistry.reader", "members": [format!("serviceAccount:{EMAIL}")]}])
        );
        assert_eq!(repo("other"), None, "no other repository touched");
    }
    let ids = api.key_ids(EMAIL);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let issued = api.key_bytes(EMAIL, &ids[0]).expect("key");
    assert_eq!(w.stored("gcp_creds").as_deref(), Some(issued.as_slice()));
    let v: serde_json::Value = serde_json::from_slice(&issued).expect("key json");
    let private = v["private_key"].as_str().expect("private_key");
    let argv = fs::read_to_string(w.path("gcloud-argv.log")).expect("argv log");
    for line in private
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
    {
        assert!(!out.contains(line), "the private key was shown:\n{text}");
        assert!(!all.contains(line), "the private key was on the screen");
        assert!(!argv.contains(line), "the private key in gcloud argv");
    }
    w.assert_no_secret_files_left();
    assert!(
        w.config().ends_with(&format!(
            "container_registries:\n- type: gar\n  url: {HOST}\n  gar_creds_secret_name: gcp_creds\n"
        )),
        "{}",
        w.config()
    );
    // The one report names what was created.
    assert!(
        text.contains(&format!("Created for CI: {EMAIL} with key {}.", ids[0])),
        "{text}"
    );
}

#[test]
fn the_tui_creates_a_pull_only_service_account_and_stores_its_key() {
    let (w, api) = world();
    let mut p = wizard(&w, &api, &[]);
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    p.send(DOWN);
    p.send(DOWN);
    p.press(ENTER, "Location URL (optional)");
    p.send(HOST);
    p.wait_for("Location URL (optional) ✓");
    p.press(ENTER, "Key file");
    p.send(DOWN);
    p.wait_for("▸ + Create a new pull-only service account with my gcloud");
    p.press(ENTER, "Service account");
    // The defaults: fioreg-<factory>-pull and the host's location.
    p.wait_for(NAME);
    p.wait_for(LOCATION);
    p.send(TAB);
    p.send(PROJECT);
    p.send(TAB);
    p.send(TAB);
    p.send(REPO);
    p.wait_for(REPO);
    // The review lists the gcloud actions and the role binding (read-only calls so far).
    p.press(ENTER, "Acting as:");
    p.wait_for(&format!("CI will be: {EMAIL}"));
    p.wait_for("Login test skipped here: the key does not exist yet.");
    assert!(
        !fs::read_to_string(w.path("gcloud-argv.log"))
            .unwrap_or_default()
            .contains("arg: add-iam-policy-binding\n"),
        "nothing is changed before Apply"
    );
    assert!(api.key_ids(EMAIL).is_empty(), "no key before Apply");
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.press(ENTER, "Created for CI:");
    p.wait_for("The same from a script:");
    p.wait_for(&format!(
        "--create-service-account {NAME} --project {PROJECT} --location {LOCATION} --repository \
         {REPO}"
    ));
    p.send("q");
    let (code, out) = p.finish();
    check(&w, &api, code, &out, &p.text());
}

/// The line prompts from Start to the new service account's repository: Add, gar, HOST, the
/// default secret name, "Create a new ...", the default name, PROJECT, the default location.
fn plain_to_the_repository(p: &mut Pty) {
    p.wait_for_output("What do you want to do?");
    p.answer(ENTER, "Which kind of registry");
    p.answer("Google\r", "Location URL (optional)");
    p.answer(&format!("{HOST}\r"), "Secret name");
    p.answer(ENTER, "How does CI get its Google Cloud key?");
    p.answer("Create a new\r", "Name of the new service account");
    p.answer(ENTER, "Its Google Cloud project");
    p.answer(&format!("{PROJECT}\r"), "The repository's location");
    p.answer(ENTER, "The one repository it may read");
}

#[test]
fn the_line_prompts_create_a_pull_only_service_account_and_store_its_key() {
    let (w, api) = world();
    let mut p = wizard(&w, &api, &["--plain"]);
    plain_to_the_repository(&mut p);
    p.answer(&format!("{REPO}\r"), "Acting as:");
    p.expect(&format!("CI will be: {EMAIL}"));
    p.expect("Role binding");
    p.expect("Apply this plan?");
    p.send("y\r");
    p.wait_for_output("Created for CI:");
    let (code, out) = p.finish();
    let text = plain_text(&out);
    for step in [
        format!("1. Create the service account {EMAIL} ... done"),
        format!("The new key is a key of {EMAIL}."),
        "Storing the secret gcp_creds in factory acme ... done".to_string(),
    ] {
        assert!(text.contains(&step), "missing `{step}` in:\n{text}");
    }
    check(&w, &api, code, &out, &p.text());
}

/// The wrapper hangs at `gcloud iam service-accounts keys create ... -` (the key to stdout) and
/// writes its pid to `gcloud-hang.pid`: the create step is under way.
fn hang_at_key(w: &World) -> Vec<(&'static str, String)> {
    vec![
        ("TOOL_HANG_ON", "-".to_string()),
        (
            "TOOL_HANG_PID",
            w.path("gcloud-hang.pid").to_string_lossy().into_owned(),
        ),
    ]
}

fn wait_for_the_hang(w: &World) {
    let pid_file = w.path("gcloud-hang.pid");
    wait_until("gcloud keys create to start", || pid_file.exists());
}

/// After Ctrl-C while the key was being created: exit 130, the account of what exists (the
/// account and its role, no key) and what to run, and nothing stored or written.
fn check_interrupted(w: &World, api: &GcpApi, code: i32, out: &str) {
    let text = plain_text(out);
    assert_eq!(code, 130, "{text}");
    assert!(
        text.contains("interrupted while creating the key"),
        "{text}"
    );
    assert!(text.contains("What exists now:"), "{text}");
    assert!(
        text.contains(&format!("the service account {EMAIL} (new, no roles yet)")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "roles/artifactregistry.reader for it on the repository {REPO}"
        )),
        "{text}"
    );
    assert!(text.contains("What to run:"), "{text}");
    assert!(
        text.contains(&format!(
            "gcloud iam service-accounts delete {EMAIL} --project {PROJECT}"
        )),
        "{text}"
    );
    assert!(api.key_ids(EMAIL).is_empty(), "no key was made");
    assert_eq!(w.stored("gcp_creds"), None, "nothing stored");
    w.assert_config_intact();
    w.assert_no_secret_files_left();
}

#[test]
fn ctrl_c_in_the_tui_while_the_key_is_created_stops_with_a_clear_account() {
    let (w, api) = world();
    let mut p = wizard_env(&w, &api, &[], &hang_at_key(&w));
    p.wait_for("Add a registry");
    p.press(ENTER, "Which kind of registry");
    p.send(DOWN);
    p.send(DOWN);
    p.press(ENTER, "Location URL (optional)");
    p.send(HOST);
    p.wait_for("Location URL (optional) ✓");
    p.press(ENTER, "Key file");
    p.send(DOWN);
    p.press(ENTER, "Service account");
    p.wait_for(NAME);
    p.send(TAB);
    p.send(PROJECT);
    p.send(TAB);
    p.send(TAB);
    p.send(REPO);
    p.wait_for(REPO);
    p.press(ENTER, "Acting as:");
    p.wait_for("[▸ Back ]");
    p.press(TAB, "[▸ Apply ]");
    p.send(ENTER);
    wait_for_the_hang(&w);
    // In the TUI Ctrl-C is a key (raw mode): fioreg itself stops the gcloud call.
    p.send(CTRL_C);
    let (code, out) = p.finish();
    check_interrupted(&w, &api, code, &out);
}

#[test]
fn ctrl_c_at_the_line_prompts_while_the_key_is_created_stops_with_a_clear_account() {
    let (w, api) = world();
    let mut p = wizard_env(&w, &api, &["--plain"], &hang_at_key(&w));
    plain_to_the_repository(&mut p);
    p.answer(&format!("{REPO}\r"), "Apply this plan?");
    p.send("y\r");
    wait_for_the_hang(&w);
    // The terminal is in its normal mode here: Ctrl-C is SIGINT to fioreg and gcloud alike.
    p.send(CTRL_C);
    let (code, out) = p.finish();
    check_interrupted(&w, &api, code, &out);
}
