//! Login tests against the real Docker registry (the CNCF distribution registry, Debian package
//! `docker-registry`) on 127.0.0.1, with loopback stand-ins for the token services
//! (tests/support/fake_auth.rs) that check signatures the way the real ones do.
//!
//! These tests need `docker-registry` and `htpasswd` (apache2-utils); when they are missing the
//! tests fail and say to run `.ci/run`, which installs them.

mod common;
#[path = "support/fake_auth.rs"]
mod fake_auth;
#[path = "support/http_stub.rs"]
mod http_stub;
#[path = "support/registry.rs"]
mod registry;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use common::World;
use fake_auth::{ECR_PASSWORD, GOOGLE_ACCESS_TOKEN, Grant};
use fioreg::credentials::aws::{ProfileSource, credentials_for};
use fioreg::credentials::gcp::key_file;
use fioreg::credentials::user_token::{UserTokenKind, user_token};
use fioreg::provider::Provider;
use fioreg::secret::Secret;
use fioreg::verify::{Outcome, VerifyError, VerifyOptions, verify};
use registry::{Auth, Config, Registry};
use secrecy::SecretString;

const USER: &str = "ci-bot";
const PASSWORD: &str = "right-Pass-7f3a9c51";
const WRONG: &str = "wrong-Pass-0b2e4d77";
const NOPULL_USER: &str = "login-only";
const NOPULL_PASSWORD: &str = "login-Only-Pass-5d1c";

const AWS_KEY_ID: &str = "AKIAFIOREGTEST000001";
const AWS_SECRET: &str = "fioregTestSecretAccessKey/0123456789abcd";
const AWS_REGION: &str = "us-east-2";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn insecure() -> VerifyOptions {
    VerifyOptions {
        insecure_loopback: true,
        ..VerifyOptions::default()
    }
}

fn with_repo(repo: &str) -> VerifyOptions {
    VerifyOptions {
        repository: Some(repo.to_string()),
        ..insecure()
    }
}

fn user_secret(kind: UserTokenKind, user: &str, password: &str) -> Secret {
    user_token(user, SecretString::from(password), kind).expect("a valid user:token")
}

/// Fails when any of `secrets` shows up in `msg`.
fn assert_clean(msg: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!msg.contains(s), "the message shows a secret: {msg}");
    }
    assert!(!msg.contains('\n'), "not one line: {msg}");
}

fn htpasswd_registry(tls: Option<(PathBuf, PathBuf)>) -> Registry {
    Registry::start(Config {
        auth: Auth::Htpasswd(vec![
            (USER.into(), PASSWORD.into()),
            ("oauth2accesstoken".into(), GOOGLE_ACCESS_TOKEN.into()),
            ("AWS".into(), ECR_PASSWORD.into()),
        ]),
        tls,
    })
}

fn token_registry(realm: &str) -> Registry {
    Registry::start(Config {
        auth: Auth::Token {
            realm: realm.to_string(),
            service: fake_auth::TOKEN_SERVICE.into(),
            issuer: fake_auth::TOKEN_ISSUER.into(),
            rootcertbundle: fake_auth::token_cert_path(),
        },
        tls: None,
    })
}

fn sha256(data: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Pushes a one-layer image `repo:latest` through the registry API, so that the repository
/// exists; `authorization` is the Authorization header for push.
fn push_image(registry: &Registry, repo: &str, authorization: &str) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let base = format!("http://{}", registry.addr);
    let upload = |data: &[u8]| -> (String, usize) {
        let digest = sha256(data);
        let started = agent
            .post(&format!("{base}/v2/{repo}/blobs/uploads/"))
            .header("Authorization", authorization)
            .send_empty()
            .expect("start a blob upload");
        assert_eq!(started.status().as_u16(), 202, "{}", registry.log());
        let location = started
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload location")
            .to_string();
        let location = if location.starts_with('/') {
            format!("{base}{location}")
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let done = agent
            .put(&format!("{location}{sep}digest={digest}"))
            .header("Authorization", authorization)
            .header("Content-Type", "application/octet-stream")
            .send(data)
            .expect("finish a blob upload");
        assert_eq!(done.status().as_u16(), 201, "{}", registry.log());
        (digest, data.len())
    };
    let layer = b"fioreg test layer".to_vec();
    let (layer_digest, layer_size) = upload(&layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
    })
    .to_string();
    let (config_digest, config_size) = upload(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": config_size, "digest": config_digest
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": layer_size, "digest": layer_digest
        }]
    })
    .to_string();
    let put = agent
        .put(&format!("{base}/v2/{repo}/manifests/latest"))
        .header("Authorization", authorization)
        .header(
            "Content-Type",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .send(manifest.as_bytes())
        .expect("put the manifest");
    assert_eq!(put.status().as_u16(), 201, "{}", registry.log());
}

fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A port on 127.0.0.1 that nothing listens on.
// ---------------------------------------------------------------------------------------------
// Basic (htpasswd) registry: azure and generic

#[test]
fn basic_login_right_password_passes_for_generic_and_azure() {
    let reg = htpasswd_registry(None);
    for kind in [UserTokenKind::Generic, UserTokenKind::AzurePrincipal] {
        let provider = match kind {
            UserTokenKind::Generic => Provider::Generic,
            UserTokenKind::AzurePrincipal => Provider::Azure,
        };
        let secret = user_secret(kind, USER, PASSWORD);
        let outcome = verify(provider, Some(&reg.addr), None, &secret, &insecure());
        assert_eq!(outcome, Ok(Outcome::Valid), "{}", reg.log());
    }
}

#[test]
fn basic_login_wrong_password_is_rejected_without_showing_it() {
    let reg = htpasswd_registry(None);
    for (user, password) in [(USER, WRONG), ("nobody", PASSWORD)] {
        let secret = user_secret(UserTokenKind::Generic, user, password);
        let err = verify(
            Provider::Generic,
            Some(&reg.addr),
            None,
            &secret,
            &insecure(),
        )
        .expect_err("a wrong login must fail");
        assert!(
            matches!(err, VerifyError::Rejected { status: 401, .. }),
            "{err:?}"
        );
        assert!(!err.is_unreachable());
        let msg = err.to_string();
        assert_eq!(
            msg,
            format!(
                "the registry {} rejected these credentials (HTTP 401)",
                reg.addr
            )
        );
        assert_clean(&msg, &[password]);
        assert_clean(&format!("{err:?}"), &[password]);
    }
}

#[test]
fn basic_login_proves_pull_on_a_repository() {
    let reg = htpasswd_registry(None);
    push_image(&reg, "team/app", &basic_header(USER, PASSWORD));
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let verify_repo = |repo: &str| {
        verify(
            Provider::Generic,
            Some(&reg.addr),
            None,
            &secret,
            &with_repo(repo),
        )
    };
    assert_eq!(verify_repo("team/app"), Ok(Outcome::Valid), "{}", reg.log());
    assert_eq!(
        verify_repo("team/missing"),
        Ok(Outcome::RepositoryNotFound {
            repository: "team/missing".into()
        })
    );
    // The repository check comes after the login: a wrong password is still "rejected".
    let wrong = user_secret(UserTokenKind::Generic, USER, WRONG);
    let err = verify(
        Provider::Generic,
        Some(&reg.addr),
        None,
        &wrong,
        &with_repo("team/app"),
    )
    .expect_err("wrong password");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Network failures

#[test]
fn a_closed_port_gives_the_network_message() {
    let (_closed, port) = registry::closed_port();
    let addr = format!("127.0.0.1:{port}");
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let err = verify(Provider::Generic, Some(&addr), None, &secret, &insecure())
        .expect_err("nothing listens there");
    assert!(err.is_unreachable(), "{err:?}");
    let msg = err.to_string();
    assert_eq!(
        msg,
        format!(
            "cannot reach http://{addr}/v2/: the connection was refused (nothing is listening there)"
        )
    );
    assert_clean(&msg, &[PASSWORD]);
}

#[test]
fn an_unknown_host_name_is_unreachable() {
    // `.invalid` never resolves (RFC 6761); whether the resolver says so at once or stays
    // silent until the timeout, the registry is unreachable, not the credentials wrong.
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let opts = VerifyOptions {
        timeout: Duration::from_secs(3),
        ..VerifyOptions::default()
    };
    let err = verify(
        Provider::Generic,
        Some("registry.fioreg-test.invalid"),
        None,
        &secret,
        &opts,
    )
    .expect_err("no such host");
    assert!(err.is_unreachable(), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot reach https://registry.fioreg-test.invalid/v2/: "),
        "{msg}"
    );
    assert_clean(&msg, &[PASSWORD]);
}

#[test]
fn a_silent_server_gives_the_timeout_message() {
    // Connections are accepted by the kernel (backlog) but never answered.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let opts = VerifyOptions {
        timeout: Duration::from_secs(1),
        ..insecure()
    };
    let err = verify(Provider::Generic, Some(&addr), None, &secret, &opts).expect_err("no answer");
    assert!(err.is_unreachable(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot reach http://{addr}/v2/: no answer within 1 s")
    );
    drop(listener);
}

// ---------------------------------------------------------------------------------------------
// TLS rules

#[test]
fn insecure_mode_is_refused_for_hosts_that_are_not_loopback() {
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    for host in [
        "registry.example.com",
        "10.1.2.3:5000",
        "localhost.example.com",
    ] {
        let err = verify(Provider::Generic, Some(host), None, &secret, &insecure())
            .expect_err("plain http to a remote host");
        assert!(
            matches!(err, VerifyError::InsecureNotAllowed { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "refusing to send credentials to http://{host} without TLS"
            )),
            "{msg}"
        );
        assert!(msg.contains("only to a loopback address"), "{msg}");
    }
}

#[test]
fn a_service_account_key_with_a_plain_http_token_uri_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_closed, port) = registry::closed_port();
    let reg_addr = format!("127.0.0.1:{port}");
    // Remote plain http: refused even in insecure mode; loopback plain http: refused without it.
    for (token_uri, opts) in [
        ("http://oauth2.example.com/token", insecure()),
        ("http://127.0.0.1:9/token", VerifyOptions::default()),
    ] {
        let key = gcp_key_with_token_uri(dir.path(), token_uri);
        let err = verify(Provider::Gar, Some(&reg_addr), None, &key, &opts)
            .expect_err("no TLS to the token endpoint");
        assert_eq!(
            err,
            VerifyError::InsecureNotAllowed {
                url: token_uri.to_string()
            }
        );
    }
}

#[test]
fn https_registry_with_a_private_ca() {
    let tls = Some((
        fixture("verify/tls-server.pem"),
        fixture("verify/tls-server-key.pem"),
    ));
    let reg = htpasswd_registry(tls);
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let with_ca = VerifyOptions {
        ca_file: Some(fixture("verify/tls-ca.pem")),
        ..VerifyOptions::default()
    };
    assert_eq!(
        verify(Provider::Generic, Some(&reg.addr), None, &secret, &with_ca),
        Ok(Outcome::Valid),
        "{}",
        reg.log()
    );
    let wrong = user_secret(UserTokenKind::Generic, USER, WRONG);
    let err = verify(Provider::Generic, Some(&reg.addr), None, &wrong, &with_ca)
        .expect_err("wrong password over TLS");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");

    // Without the CA the certificate is not trusted: unreachable, with the way out.
    let err = verify(
        Provider::Generic,
        Some(&reg.addr),
        None,
        &secret,
        &VerifyOptions::default(),
    )
    .expect_err("unknown CA");
    assert!(err.is_unreachable(), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("signed by an unknown authority"), "{msg}");
    assert!(msg.contains("--ca-file"), "{msg}");
    assert_clean(&msg, &[PASSWORD]);

    // Plain http against the TLS port (insecure mode): a clear protocol error, not a pass.
    let err = verify(
        Provider::Generic,
        Some(&reg.addr),
        None,
        &secret,
        &insecure(),
    )
    .expect_err("http to an https port");
    assert!(matches!(err, VerifyError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("it expects HTTPS"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Bearer (token) registry

fn bearer_setup() -> (http_stub::Stub, Registry) {
    let tokens = fake_auth::registry_token_server(&[
        (USER, PASSWORD, Grant::All),
        (NOPULL_USER, NOPULL_PASSWORD, Grant::Nothing),
    ]);
    let reg = token_registry(&format!("{}/token", tokens.url()));
    (tokens, reg)
}

fn push_with_token(tokens: &http_stub::Stub, reg: &Registry, repo: &str) {
    let text = ureq::Agent::config_builder()
        .proxy(None)
        .build()
        .new_agent()
        .get(&format!("{}/token", tokens.url()))
        .query("service", fake_auth::TOKEN_SERVICE)
        .query("scope", format!("repository:{repo}:pull,push"))
        .header("Authorization", &basic_header(USER, PASSWORD))
        .call()
        .expect("push token")
        .body_mut()
        .read_to_string()
        .expect("token response");
    let body: serde_json::Value = serde_json::from_str(&text).expect("token json");
    let token = body["token"].as_str().expect("token").to_string();
    push_image(reg, repo, &format!("Bearer {token}"));
}

#[test]
fn bearer_login_right_and_wrong_password() {
    let (tokens, reg) = bearer_setup();
    let secret = user_secret(UserTokenKind::AzurePrincipal, USER, PASSWORD);
    assert_eq!(
        verify(Provider::Azure, Some(&reg.addr), None, &secret, &insecure()),
        Ok(Outcome::Valid),
        "{}",
        reg.log()
    );
    // The token was asked for the registry's service, with basic credentials.
    let seen = tokens.seen();
    let first = seen.first().expect("a token request");
    assert_eq!(first.query_one("service"), Some(fake_auth::TOKEN_SERVICE));
    assert_eq!(first.query_one("account"), Some(USER));
    assert_eq!(
        first.basic_auth(),
        Some((USER.to_string(), PASSWORD.to_string()))
    );

    let wrong = user_secret(UserTokenKind::AzurePrincipal, USER, WRONG);
    let err = verify(Provider::Azure, Some(&reg.addr), None, &wrong, &insecure())
        .expect_err("wrong password");
    assert!(
        matches!(err, VerifyError::Rejected { status: 401, .. }),
        "{err:?}"
    );
    assert_clean(&err.to_string(), &[WRONG, PASSWORD]);
}

#[test]
fn bearer_pull_scope_is_proven_per_repository() {
    let (tokens, reg) = bearer_setup();
    push_with_token(&tokens, &reg, "team/app");

    let puller = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let login_only = user_secret(UserTokenKind::Generic, NOPULL_USER, NOPULL_PASSWORD);
    let run = |secret: &Secret, repo: &str| {
        verify(
            Provider::Generic,
            Some(&reg.addr),
            None,
            secret,
            &with_repo(repo),
        )
    };
    assert_eq!(
        run(&puller, "team/app"),
        Ok(Outcome::Valid),
        "{}",
        reg.log()
    );
    assert!(
        tokens
            .seen()
            .iter()
            .any(|r| r.query_all("scope") == ["repository:team/app:pull"]),
        "no pull-scoped token request"
    );
    let no_pull = run(&login_only, "team/app");
    assert_eq!(
        no_pull,
        Ok(Outcome::ValidNoPull {
            repository: "team/app".into()
        })
    );
    assert_eq!(
        no_pull.map(|o| o.to_string()).unwrap_or_default(),
        "valid login, but no pull permission on team/app"
    );
    // Without a repository the login-only user is simply valid.
    assert_eq!(
        verify(
            Provider::Generic,
            Some(&reg.addr),
            None,
            &login_only,
            &insecure()
        ),
        Ok(Outcome::Valid)
    );
    assert_eq!(
        run(&puller, "team/missing"),
        Ok(Outcome::RepositoryNotFound {
            repository: "team/missing".into()
        })
    );
}

#[test]
fn a_plain_http_token_realm_on_a_remote_host_is_refused() {
    let reg = token_registry("http://auth.example.com/token");
    let secret = user_secret(UserTokenKind::Generic, USER, PASSWORD);
    let err = verify(
        Provider::Generic,
        Some(&reg.addr),
        None,
        &secret,
        &insecure(),
    )
    .expect_err("credentials would go over plain http");
    assert_eq!(
        err,
        VerifyError::InsecureNotAllowed {
            url: "http://auth.example.com/token".into()
        }
    );
}

// ---------------------------------------------------------------------------------------------
// gar

fn gcp_key_with_token_uri(dir: &Path, token_uri: &str) -> Secret {
    let text = std::fs::read_to_string(fixture("gcp/sa-key.json")).expect("fixture key");
    let mut key: serde_json::Value = serde_json::from_str(&text).expect("json");
    key["token_uri"] = serde_json::Value::String(token_uri.to_string());
    let path = dir.join(format!("key-{}.json", key_hash(token_uri)));
    std::fs::write(&path, serde_json::to_string_pretty(&key).expect("json")).expect("write");
    key_file(&path).expect("a valid service-account key").0
}

fn key_hash(s: &str) -> String {
    sha256(s.as_bytes())[7..19].to_string()
}

fn fixture_key() -> (String, String) {
    let text = std::fs::read_to_string(fixture("gcp/sa-key.json")).expect("fixture key");
    let key: serde_json::Value = serde_json::from_str(&text).expect("json");
    (
        key["client_email"].as_str().expect("email").to_string(),
        key["private_key"].as_str().expect("key").to_string(),
    )
}

#[test]
fn gar_key_is_exchanged_for_a_token_that_logs_in() {
    let (email, private_key) = fixture_key();
    let google =
        fake_auth::google_token_endpoint(&email, fake_auth::public_key_of(private_key.as_bytes()));
    let reg = htpasswd_registry(None);
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = gcp_key_with_token_uri(dir.path(), &format!("{}/token", google.url()));

    assert_eq!(
        verify(Provider::Gar, Some(&reg.addr), None, &secret, &insecure()),
        Ok(Outcome::Valid),
        "{}",
        reg.log()
    );
    // Exactly one exchange, and it carried a JWT-bearer assertion (checked by the endpoint).
    let seen = google.seen();
    assert_eq!(seen.len(), 1);
    let form = seen[0].form();
    assert!(form.iter().any(|(k, _)| k == "assertion"), "{form:?}");
}

#[test]
fn gar_key_refused_by_the_token_endpoint_is_a_provider_error() {
    let (email, private_key) = fixture_key();
    // The endpoint expects another key: the assertion's signature does not verify.
    let other = std::fs::read(fixture("verify/token-key.pem")).expect("other key");
    let google = fake_auth::google_token_endpoint(&email, fake_auth::public_key_of(&other));
    let dir = tempfile::tempdir().expect("tempdir");
    let token_uri = format!("{}/token", google.url());
    let secret = gcp_key_with_token_uri(dir.path(), &token_uri);
    // The registry is never reached: nothing needs to listen there.
    let (_closed, port) = registry::closed_port();
    let reg_addr = format!("127.0.0.1:{port}");
    let err = verify(Provider::Gar, Some(&reg_addr), None, &secret, &insecure())
        .expect_err("the key is refused");
    let msg = err.to_string();
    assert!(matches!(err, VerifyError::Provider { .. }), "{err:?}");
    assert!(
        msg.starts_with(&format!(
            "Google's token endpoint ({token_uri}) for {email} refused these credentials: invalid_grant: Invalid JWT Signature."
        )),
        "{msg}"
    );
    let key_body: String = private_key.lines().nth(3).unwrap_or_default().to_string();
    assert_clean(&msg, &[&key_body, "PRIVATE KEY"]);
}

// ---------------------------------------------------------------------------------------------
// aws

fn aws_secret(key_id: &str, secret_key: &str) -> Secret {
    let creds =
        format!("[ci-pull]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\n");
    let src = ProfileSource::from_files(Some(creds), None, &[]).expect("profile files");
    credentials_for(&src, Some("ci-pull")).expect("a valid profile")
}

#[test]
fn aws_keys_get_a_signed_ecr_token_that_logs_in() {
    let ecr = fake_auth::ecr_endpoint(&[(AWS_KEY_ID, AWS_SECRET)], AWS_REGION);
    let reg = htpasswd_registry(None);
    let secret = aws_secret(AWS_KEY_ID, AWS_SECRET);
    let opts = VerifyOptions {
        ecr_endpoint: Some(ecr.url()),
        ..insecure()
    };
    assert_eq!(
        verify(
            Provider::Aws,
            Some(&reg.addr),
            Some(AWS_REGION),
            &secret,
            &opts
        ),
        Ok(Outcome::Valid),
        "{}",
        reg.log()
    );
    let seen = ecr.seen();
    assert_eq!(seen.len(), 1);
    let auth = seen[0].header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/"))
            && auth.contains(&format!("/{AWS_REGION}/ecr/aws4_request")),
        "{auth}"
    );
}

#[test]
fn aws_wrong_keys_fail_at_ecr_without_showing_them() {
    let ecr = fake_auth::ecr_endpoint(&[(AWS_KEY_ID, AWS_SECRET)], AWS_REGION);
    let (_closed, port) = registry::closed_port();
    let reg_addr = format!("127.0.0.1:{port}");
    let opts = VerifyOptions {
        ecr_endpoint: Some(ecr.url()),
        ..insecure()
    };
    let wrong_secret = "wrongSecretAccessKey/0123456789abcdefghij";
    let cases = [
        (
            aws_secret(AWS_KEY_ID, wrong_secret),
            "InvalidSignatureException",
            "the secret access key does not belong to this access key id",
        ),
        (
            aws_secret("AKIAUNKNOWN000000009", AWS_SECRET),
            "UnrecognizedClientException",
            "AWS does not know this access key id",
        ),
    ];
    for (secret, kind, hint) in cases {
        let err = verify(
            Provider::Aws,
            Some(&reg_addr),
            Some(AWS_REGION),
            &secret,
            &opts,
        )
        .expect_err("refused by ECR");
        assert!(matches!(err, VerifyError::Provider { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "AWS (ecr:GetAuthorizationToken in {AWS_REGION} at {}/) refused these credentials: {kind}: ",
                ecr.url()
            )),
            "{msg}"
        );
        assert!(msg.contains(hint), "{msg}");
        assert_clean(&msg, &[wrong_secret, AWS_SECRET]);
    }

    // Signed for another region than the entry's: refused too.
    let err = verify(
        Provider::Aws,
        Some(&reg_addr),
        Some("eu-west-1"),
        &aws_secret(AWS_KEY_ID, AWS_SECRET),
        &opts,
    )
    .expect_err("wrong region");
    assert!(matches!(err, VerifyError::Provider { .. }), "{err:?}");
}

#[test]
fn aws_ecr_password_is_used_against_the_registry() {
    // The ECR token is right but the registry does not know it: the registry rejects it, and
    // neither the ECR password nor the AWS secret shows.
    let ecr = fake_auth::ecr_endpoint(&[(AWS_KEY_ID, AWS_SECRET)], AWS_REGION);
    let reg = Registry::start(Config {
        auth: Auth::Htpasswd(vec![("AWS".into(), "another-password".into())]),
        tls: None,
    });
    let opts = VerifyOptions {
        ecr_endpoint: Some(ecr.url()),
        ..insecure()
    };
    let err = verify(
        Provider::Aws,
        Some(&reg.addr),
        Some(AWS_REGION),
        &aws_secret(AWS_KEY_ID, AWS_SECRET),
        &opts,
    )
    .expect_err("rejected by the registry");
    assert!(matches!(err, VerifyError::Rejected { .. }), "{err:?}");
    assert_clean(&err.to_string(), &[ECR_PASSWORD, AWS_SECRET]);
}

// ---- Through the real binary: `add` tests the login before storing, and `verify` alone. ----

/// fioreg (testing the login) in `w`, with assert_cmd's API.
fn fioreg_in(w: &World) -> assert_cmd::Command {
    assert_cmd::Command::from_std(w.fioreg_verifying())
}

const CLI_CONFIG: &str = "notify:\n  email:\n    users: a@b.c\n";

#[test]
fn add_tests_the_login_before_storing() {
    use predicates::prelude::*;
    let reg = htpasswd_registry(None);
    let w = World::new(CLI_CONFIG);
    let add = |password: &str| {
        let mut c = fioreg_in(&w);
        c.args([
            "add",
            "generic",
            "--url",
            &reg.addr,
            "--username",
            USER,
            "--password-stdin",
            "--secret-name",
            "local_creds",
            "--yes",
            "--insecure-registry",
        ])
        .write_stdin(format!("{password}\n"));
        c
    };
    add("wrong-password")
        .assert()
        .failure()
        .stderr(predicate::str::contains("rejected these credentials"))
        .stderr(predicate::str::contains("Nothing was stored"))
        .stderr(predicate::str::contains("wrong-password").not());
    assert_eq!(w.config(), CLI_CONFIG);
    assert!(w.stored("local_creds").is_none());
    add(PASSWORD)
        .assert()
        .success()
        .stdout(predicate::str::contains("✓ Login test"));
    assert_eq!(
        w.stored("local_creds").expect("stored"),
        format!("{USER}:{PASSWORD}").as_bytes()
    );
    // `fioreg verify` on the configured entry stores nothing.
    let calls_before = w.calls();
    assert!(!calls_before.is_empty(), "the add called fioctl");
    fioreg_in(&w)
        .args([
            "verify",
            "local_creds",
            "--username",
            USER,
            "--password-stdin",
            "--insecure-registry",
        ])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "accepted these credentials; nothing was stored",
        ));
    fioreg_in(&w)
        .args([
            "verify",
            &reg.addr,
            "--username",
            USER,
            "--password-stdin",
            "--insecure-registry",
        ])
        .write_stdin("nope\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rejected these credentials"));
    assert_eq!(w.calls(), calls_before);
}

#[test]
fn unreachable_registry_with_yes_fails_unless_no_verify() {
    use predicates::prelude::*;
    let (_closed, port) = registry::closed_port();
    let url = format!("127.0.0.1:{port}");
    let w = World::new(CLI_CONFIG);
    let add = |extra: &str| {
        let mut c = fioreg_in(&w);
        c.args([
            "add",
            "generic",
            "--url",
            &url,
            "--username",
            "u",
            "--password-stdin",
            "--yes",
            "--insecure-registry",
        ]);
        if !extra.is_empty() {
            c.arg(extra);
        }
        c.write_stdin("tok\n");
        c
    };
    add("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not be tested"))
        .stderr(predicate::str::contains("--no-verify"));
    assert_eq!(w.config(), CLI_CONFIG);
    add("--no-verify").assert().success();
    assert!(w.config().contains(&url));
}

#[test]
fn plain_http_to_a_remote_registry_is_refused_by_the_cli() {
    use predicates::prelude::*;
    let w = World::new(CLI_CONFIG);
    fioreg_in(&w)
        .args([
            "add",
            "generic",
            "--url",
            "registry.example.com",
            "--username",
            "u",
            "--password-stdin",
            "--yes",
            "--insecure-registry",
        ])
        .write_stdin("tok\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("insecure").or(predicate::str::contains("plain http")));
    assert_eq!(w.config(), CLI_CONFIG);
}
