//! `fioreg add gar --create-service-account` and `fioreg rotate --new-key` for gar through the
//! real binary and the real `gcloud`, pointed at a loopback stand-in of the IAM and Artifact
//! Registry APIs (tests/support/gcp_api.rs), with the fioctl stand-in as the factory.

mod common;
#[path = "support/gcp_api.rs"]
mod gcp_api;
#[path = "support/http_stub.rs"]
mod http_stub;

use common::*;
use gcp_api::{GcpApi, TOKEN};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const PROJECT: &str = "acme-prod-1";
const LOCATION: &str = "us-central1";
const REPO: &str = "apps";
const EMAIL: &str = "fioreg-ci-pull@acme-prod-1.iam.gserviceaccount.com";

struct Cloud {
    w: World,
    api: GcpApi,
}

fn gcloud() -> PathBuf {
    which::which("gcloud").unwrap_or_else(|_| {
        panic!("`gcloud` is not installed: install the Google Cloud CLI (Debian: google-cloud-cli)")
    })
}

impl Cloud {
    fn new() -> Cloud {
        let w = World::new(BASE);
        fs::write(w.path("token"), TOKEN).expect("token");
        let api = GcpApi::start();
        api.add_repository(PROJECT, LOCATION, REPO);
        api.add_repository(PROJECT, LOCATION, "other");
        Cloud { w, api }
    }

    fn argv_log(&self) -> PathBuf {
        self.w.path("gcloud-argv.log")
    }

    fn fioreg(&self) -> Command {
        let mut c = self.w.fioreg();
        let endpoint = format!("{}/", self.api.stub.url());
        c.env("FIOREG_GCLOUD", format!("{ROOT}/tests/support/tool-logged"))
            .env("TOOL_REAL", gcloud())
            .env("TOOL_ARGV_LOG", self.argv_log())
            .env("CLOUDSDK_CONFIG", self.w.path("gcloud"))
            .env("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", self.w.path("token"))
            .env("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM", &endpoint)
            .env(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_ARTIFACTREGISTRY",
                &endpoint,
            )
            .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
            .env("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "1")
            .env("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "1");
        c
    }

    fn add(&self, extra: &[&str]) -> (Option<i32>, String, String) {
        let mut cmd = self.fioreg();
        cmd.args([
            "add",
            "gar",
            "--create-service-account",
            "fioreg-ci-pull",
            "--project",
            PROJECT,
            "--location",
            LOCATION,
            "--repository",
            REPO,
            "--yes",
        ])
        .args(extra);
        run(cmd, "")
    }

    /// The private key lines and key id of a key file: what must never be shown.
    fn secret_parts(key: &[u8]) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(key).expect("key json");
        let mut parts: Vec<String> = v["private_key"]
            .as_str()
            .expect("private_key")
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_string)
            .collect();
        assert!(!parts.is_empty());
        parts.push(v["private_key"].as_str().expect("pk").to_string());
        // As the API sends it (privateKeyData): base64 of the whole file; any 64 characters of it.
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        parts.push(b64[b64.len() / 2..b64.len() / 2 + 64].to_string());
        parts
    }

    fn assert_nowhere(&self, key: &[u8], outputs: &[&str]) {
        let parts = Self::secret_parts(key);
        let argv = fs::read_to_string(self.argv_log()).expect("argv log");
        assert!(argv.contains("arg: create\n") || argv.contains("arg: keys\n"));
        let store = self.w.stub().join("factories");
        let mut files = Vec::new();
        walk(self.w.dir.path(), &mut files);
        for p in &parts {
            for o in outputs {
                assert!(!o.contains(p.as_str()), "private key in output:\n{o}");
            }
            assert!(!argv.contains(p.as_str()), "private key in gcloud argv");
            for f in files.iter().filter(|f| !f.starts_with(&store)) {
                let text = String::from_utf8_lossy(&fs::read(f).unwrap_or_default()).into_owned();
                assert!(!text.contains(p.as_str()), "private key in {}", f.display());
            }
        }
        self.w.assert_no_secret_files_left();
    }
}

fn repo_policy(c: &Cloud, repo: &str) -> Option<serde_json::Value> {
    let st = c.api.state.lock().expect("state");
    st.policies
        .get(&format!(
            "projects/{PROJECT}/locations/{LOCATION}/repositories/{repo}"
        ))
        .cloned()
}

#[test]
fn create_a_reader_of_one_repository_and_store_its_key() {
    let c = Cloud::new();
    // An admin whose gcloud logs HTTP: the key must still reach no log.
    fs::create_dir_all(c.w.path("gcloud")).expect("gcloud dir");
    fs::write(c.w.path("gcloud/properties"), "[core]\nlog_http = true\n").expect("properties");
    let (code, out, err) = c.add(&[]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains(&format!("CI will be: {EMAIL}")), "{out}");
    for cmd in [
        format!("$ gcloud iam service-accounts create fioreg-ci-pull --project {PROJECT}"),
        format!(
            "$ gcloud artifacts repositories add-iam-policy-binding {REPO} --location {LOCATION} \
             --project {PROJECT} --member serviceAccount:{EMAIL} --role roles/artifactregistry.reader"
        ),
        format!(
            "$ gcloud iam service-accounts keys create - --iam-account {EMAIL} --project {PROJECT}"
        ),
    ] {
        assert!(out.contains(&cmd), "missing `{cmd}` in:\n{out}");
    }
    assert!(
        out.contains("✓ Stored the secret gcp_creds in factory acme."),
        "{out}"
    );

    // The account, the one binding on the one repository, one key: the stored one.
    {
        let st = c.api.state.lock().expect("state");
        assert_eq!(
            st.accounts[EMAIL]["displayName"],
            "fioreg pull-only (Artifact Registry reader)"
        );
    }
    assert_eq!(
        repo_policy(&c, REPO).expect("policy")["bindings"],
        serde_json::json!([{"role": "roles/artifactregistry.reader", "members": [format!("serviceAccount:{EMAIL}")]}])
    );
    assert_eq!(
        repo_policy(&c, "other"),
        None,
        "no other repository touched"
    );
    let ids = c.api.key_ids(EMAIL);
    assert_eq!(ids.len(), 1);
    let issued = c.api.key_bytes(EMAIL, &ids[0]).expect("key");
    assert_eq!(c.w.stored("gcp_creds").as_deref(), Some(issued.as_slice()));
    let cfg = c.w.config();
    assert!(
        cfg.ends_with(
            "container_registries:\n- type: gar\n  url: us-central1-docker.pkg.dev\n  gar_creds_secret_name: gcp_creds\n"
        ),
        "{cfg}"
    );
    let settings = fs::read_to_string(c.w.path(".config/fioreg/config.toml")).expect("settings");
    assert!(
        settings.contains(&format!("gcp_service_account = \"{EMAIL}\"")),
        "{settings}"
    );
    c.assert_nowhere(&issued, &[&out, &err]);
}

#[test]
fn the_org_policy_against_keys_is_explained_with_both_ways_out() {
    let c = Cloud::new();
    c.api.state.lock().expect("state").keys_forbidden = true;
    let (code, out, err) = c.add(&[]);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("iam.disableServiceAccountKeyCreation"),
        "{err}"
    );
    assert!(err.contains("an exception for this project"), "{err}");
    assert!(err.contains("hub.foundries.io"), "{err}");
    assert!(
        err.contains(&format!("the service account {EMAIL} (new, no roles yet)")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "gcloud iam service-accounts delete {EMAIL} --project {PROJECT}"
        )),
        "{err}"
    );
    assert!(err.contains("remove-iam-policy-binding"), "{err}");
    assert_eq!(c.w.stored("gcp_creds"), None);
    c.w.assert_config_intact();
}

#[test]
fn a_new_key_of_another_account_is_refused_and_nothing_is_stored() {
    let c = Cloud::new();
    let other = format!("someone-else@{PROJECT}.iam.gserviceaccount.com");
    c.api.state.lock().expect("state").keys_of = Some(other.clone());
    let (code, out, err) = c.add(&[]);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains(&format!(
            "the key gcloud created is a key of {other}, not of {EMAIL}; it is not stored"
        )),
        "{err}"
    );
    // What exists is said, with the command that deletes the key.
    let key = &c.api.key_ids(EMAIL)[0];
    assert!(err.contains(&format!("the key {key} of {EMAIL}")), "{err}");
    assert!(
        err.contains(&format!("gcloud iam service-accounts keys delete {key}")),
        "{err}"
    );
    assert_eq!(c.w.stored("gcp_creds"), None);
    c.w.assert_config_intact();
}

#[test]
fn rotation_stores_a_new_key_then_deletes_the_older_one() {
    let c = Cloud::new();
    let (code, out, err) = c.add(&[]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let old = c.api.key_ids(EMAIL);
    let old_key = c.api.key_bytes(EMAIL, &old[0]).expect("old key");
    let mut cmd = c.fioreg();
    cmd.args(["rotate", "gcp_creds", "--new-key", "--yes"]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let now = c.api.key_ids(EMAIL);
    assert_eq!(now.len(), 1);
    assert_ne!(now, old);
    let new_key = c.api.key_bytes(EMAIL, &now[0]).expect("new key");
    assert_eq!(c.w.stored("gcp_creds").as_deref(), Some(new_key.as_slice()));
    assert!(
        out.contains(&format!("✓ Deleted the older key {}.", old[0])),
        "{out}"
    );
    c.assert_nowhere(&new_key, &[&out, &err]);
    c.assert_nowhere(&old_key, &[&out, &err]);
}

#[test]
fn an_unknown_repository_stops_before_anything_is_created() {
    let c = Cloud::new();
    let mut cmd = c.fioreg();
    cmd.args([
        "add",
        "gar",
        "--create-service-account",
        "fioreg-ci-pull",
        "--project",
        PROJECT,
        "--location",
        LOCATION,
        "--repository",
        "missing",
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("there is no Artifact Registry repository missing in us-central1"),
        "{err}"
    );
    assert!(c.api.state.lock().expect("state").accounts.is_empty());
    c.w.assert_config_intact();
}

#[test]
fn without_gcloud_the_way_out_is_named() {
    let w = World::new(BASE);
    let mut cmd = w.fioreg();
    cmd.env("PATH", w.path("no-bin")).args([
        "add",
        "gar",
        "--create-service-account",
        "ci",
        "--project",
        PROJECT,
        "--location",
        LOCATION,
        "--repository",
        REPO,
        "--yes",
    ]);
    let (code, out, err) = run(cmd, "");
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("the Google Cloud CLI (`gcloud`) is not installed"),
        "{err}"
    );
    w.assert_config_intact();
}

#[test]
fn sigint_while_creating_the_key_leaves_a_clear_account() {
    let c = Cloud::new();
    let pid_file = c.w.path("gcloud-hang.pid");
    let mut cmd = c.fioreg();
    // `-` (the key to stdout) is only on the keys create command line.
    cmd.env("TOOL_HANG_ON", "-")
        .env("TOOL_HANG_PID", &pid_file)
        .args([
            "add",
            "gar",
            "--create-service-account",
            "fioreg-ci-pull",
            "--project",
            PROJECT,
            "--location",
            LOCATION,
            "--repository",
            REPO,
            "--yes",
        ]);
    let running = Running::spawn(cmd);
    wait_until("gcloud keys create to start", || pid_file.exists());
    let pid: i32 = fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    running.signal(libc::SIGINT);
    // SAFETY: a signal to the wrapper the test started through fioreg.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let (code, out, err) = running.finish();
    assert_eq!(code, Some(130), "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("interrupted while creating the key"), "{err}");
    assert!(
        err.contains(&format!("the service account {EMAIL} (new, no roles yet)")),
        "{err}"
    );
    assert!(
        err.contains("roles/artifactregistry.reader for it on the repository apps"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "gcloud iam service-accounts delete {EMAIL} --project {PROJECT}"
        )),
        "{err}"
    );
    assert!(c.api.key_ids(EMAIL).is_empty());
    assert_eq!(c.w.stored("gcp_creds"), None);
    c.w.assert_config_intact();
}
