//! `fioreg scan` through the real binary: hand-written and generated containers.git trees in
//! temporary directories (real git where it matters), the JSON shape, the exit codes, and the
//! online path against the real docker-registry on 127.0.0.1 with token authentication
//! (tests/support/registry.rs, tests/support/fake_auth.rs).
//!
//! The online tests need `docker-registry` (and `htpasswd`); when they are missing they fail and
//! say to run `.ci/run`, which installs them.

#[path = "support/fake_auth.rs"]
mod fake_auth;
#[path = "support/http_stub.rs"]
mod http_stub;
#[path = "support/registry.rs"]
mod registry;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use fake_auth::Grant;
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_fioreg");

/// A scratch world: `ci-scripts/factory-config.yml`, `containers/`, `stub/` (the fioctl
/// stand-in's state), `home/`.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new(config: &str) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["ci-scripts", "containers", "stub", "home"] {
            fs::create_dir(dir.path().join(d)).expect("mkdir");
        }
        fs::write(dir.path().join("ci-scripts/factory-config.yml"), config).expect("config");
        World { dir }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn containers(&self) -> PathBuf {
        self.path("containers")
    }
    /// Writes `containers/REL`.
    fn file(&self, rel: &str, text: &str) {
        let p = self.containers().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }
    fn secret(&self, name: &str) {
        let d = self.path("stub/factories/acme/secrets");
        fs::create_dir_all(&d).expect("mkdir");
        fs::write(d.join(name), "x").expect("secret");
    }
    /// fioreg in `ci-scripts/`, with the fioctl stand-in and an empty HOME.
    fn fioreg(&self) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.path("ci-scripts"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("FIOCTL_STUB_DIR", self.path("stub"))
            .args(["--factory", "acme", "--fioctl"])
            .arg(format!("{ROOT}/tests/support/fioctl"))
            .stdin(Stdio::null());
        c
    }
    fn scan(&self, args: &[&str]) -> Output {
        self.fioreg()
            .arg("scan")
            .arg("--containers")
            .arg(self.containers())
            .args(args)
            .output()
            .expect("run fioreg")
    }
    fn scan_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.scan(&all);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().expect("exit code"), v)
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// (file, line, pulled_by)
type UseRow = (String, u64, Vec<String>);
/// host -> image -> uses
type Shape = Vec<(String, Vec<(String, Vec<UseRow>)>)>;

fn shape(v: &Value) -> Shape {
    v["registries"]
        .as_array()
        .expect("registries")
        .iter()
        .map(|r| {
            let images = r["images"]
                .as_array()
                .expect("images")
                .iter()
                .map(|i| {
                    let uses = i["uses"]
                        .as_array()
                        .expect("uses")
                        .iter()
                        .map(|u| {
                            (
                                u["file"].as_str().expect("file").to_string(),
                                u["line"].as_u64().expect("line"),
                                u["pulled_by"]
                                    .as_array()
                                    .expect("pulled_by")
                                    .iter()
                                    .map(|p| p.as_str().expect("puller").to_string())
                                    .collect(),
                            )
                        })
                        .collect();
                    (i["image"].as_str().expect("image").to_string(), uses)
                })
                .collect();
            (r["host"].as_str().expect("host").to_string(), images)
        })
        .collect()
}

fn kinds(v: &Value) -> Vec<(String, String)> {
    let mut k: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().expect("kind").to_string(),
                f["host"]
                    .as_str()
                    .or(f["file"].as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    k.sort();
    k
}

fn finding<'a>(v: &'a Value, kind: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {v:#}"))
}

const CONFIG: &str = "\
container_registries:
- type: generic
  url: ghcr.io
  generic_secret_name: ghcr_creds
- type: gar
  gar_creds_secret_name: gcp_creds
- type: azure
  url: old.azurecr.io
  azure_principal_secret_name: azprincipal
";

/// A tree with every rule CI applies.
fn every_rule(w: &World) {
    w.file(
        "base/Dockerfile",
        "\
# syntax=docker/dockerfile:1.7
ARG REG=ghcr.io/acme
ARG TAG=1.0
FROM ${REG}/sdk:${TAG} AS build
FROM build AS test
FROM alpine
COPY --from=build /a /a
COPY --from=0 /a /b
COPY --from=quay.io/acme/certs:2 /c /c
RUN --mount=type=bind,from=us-central1-docker.pkg.dev/proj/repo/tools:3,target=/t \\
    true
",
    );
    w.file("base/.docker_build_args", "# pinned by CI\n\nTAG=2.0\n");
    w.file("off.disabled/Dockerfile", "FROM ghcr.io/acme/disabled:1\n");
    w.file("group/.ci-search-subdirs", "");
    w.file("group/one/Dockerfile", "FROM eu.gcr.io/proj/one:1\n");
    w.file(
        "group/two.disabled/Dockerfile",
        "FROM ghcr.io/acme/nope:1\n",
    );
    w.file("nosearch/sub/Dockerfile", "FROM ghcr.io/acme/notseen:1\n");
    w.file("custom/Dockerfile", "FROM ghcr.io/acme/notused:1\n");
    w.file("custom/docker-build.conf", "DOCKERFILE=Dockerfile.ci\n");
    w.file(
        "custom/Dockerfile.ci",
        "FROM index.docker.io/library/debian:12\n",
    );
    w.file("vars/Dockerfile", "FROM alpine:3\nFROM ${NOPE}/x:1\n");
    w.file(
        "app/docker-compose.yml",
        "\
x-base: &base
  restart: always
  image: ghcr.io/acme/agent:${AGENT_TAG:-4}
services:
  agent:
    <<: *base
  web:
    image: hub.foundries.io/${FACTORY}/base:latest
  cache:
    image: redis
  azure:
    image: acme.azurecr.io/sdk/x:1
",
    );
    w.file("typo/docker-compose.yaml", "services: {}\n");
    w.file(
        "skip.disabled/docker-compose.yml",
        "services:\n  a:\n    image: ghcr.io/acme/skipme:1\n",
    );
    w.file("pre-build.conf", "IMAGES=base\n");
}

#[test]
fn every_ci_rule_offline_json() {
    let w = World::new(CONFIG);
    every_rule(&w);
    let (code, v) = w.scan_json(&["--offline"]);
    assert_eq!(code, 1, "{v:#}");
    let ci = || vec!["ci".to_string()];
    let both = || vec!["ci".to_string(), "devices".to_string()];
    let u = |f: &str, l: u64, p: Vec<String>| (f.to_string(), l, p);
    assert_eq!(
        shape(&v),
        vec![
            (
                "acme.azurecr.io".into(),
                vec![(
                    "acme.azurecr.io/sdk/x:1".into(),
                    vec![u("app/docker-compose.yml", 12, both())]
                )]
            ),
            (
                "docker.io".into(),
                vec![
                    (
                        "docker.io/docker/dockerfile:1.7".into(),
                        vec![u("base/Dockerfile", 1, ci())]
                    ),
                    (
                        "docker.io/library/alpine:3".into(),
                        vec![u("vars/Dockerfile", 1, ci())]
                    ),
                    (
                        "docker.io/library/alpine:latest".into(),
                        vec![u("base/Dockerfile", 6, ci())]
                    ),
                    (
                        "docker.io/library/debian:12".into(),
                        vec![u("custom/Dockerfile.ci", 1, ci())]
                    ),
                    (
                        "docker.io/library/redis:latest".into(),
                        vec![u("app/docker-compose.yml", 10, both())]
                    ),
                ]
            ),
            (
                "eu.gcr.io".into(),
                vec![(
                    "eu.gcr.io/proj/one:1".into(),
                    vec![u("group/one/Dockerfile", 1, ci())]
                )]
            ),
            (
                "ghcr.io".into(),
                vec![
                    (
                        "ghcr.io/acme/agent:4".into(),
                        vec![u("app/docker-compose.yml", 3, both())]
                    ),
                    (
                        "ghcr.io/acme/sdk:2.0".into(),
                        vec![u("base/Dockerfile", 4, ci())]
                    ),
                ]
            ),
            (
                "hub.foundries.io".into(),
                vec![(
                    "hub.foundries.io/acme/base:latest".into(),
                    vec![u("app/docker-compose.yml", 8, both())]
                )]
            ),
            (
                "quay.io".into(),
                vec![(
                    "quay.io/acme/certs:2".into(),
                    vec![u("base/Dockerfile", 9, ci())]
                )]
            ),
            (
                "us-central1-docker.pkg.dev".into(),
                vec![(
                    "us-central1-docker.pkg.dev/proj/repo/tools:3".into(),
                    vec![u("base/Dockerfile", 10, ci())]
                )]
            ),
        ]
    );
    // Entries: ghcr.io by url, both Google hosts by the gar entry, hub.foundries.io none.
    let reg = |h: &str| {
        v["registries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == h)
            .unwrap()
            .clone()
    };
    assert_eq!(
        reg("ghcr.io")["entry"],
        json!({"type": "generic", "url": "ghcr.io", "secret": "ghcr_creds", "secret_present": null})
    );
    assert_eq!(reg("eu.gcr.io")["entry"]["type"], "gar");
    assert_eq!(reg("us-central1-docker.pkg.dev")["entry"]["type"], "gar");
    assert_eq!(reg("hub.foundries.io")["entry"], Value::Null);
    assert_eq!(reg("docker.io")["entry"], Value::Null);
    assert_eq!(reg("docker.io")["public"], Value::Null);
    // Exactly these keys, as documented.
    let keys = |o: &Value| -> BTreeSet<String> { o.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&v),
        ["findings", "registries"].map(String::from).into()
    );
    assert_eq!(
        keys(&reg("ghcr.io")),
        ["entry", "host", "images", "public"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        keys(&reg("ghcr.io")["images"][0]),
        ["image", "uses"].map(String::from).into()
    );
    assert_eq!(
        kinds(&v),
        vec![
            ("compose_yaml".into(), "typo/docker-compose.yaml".into()),
            ("device_private".into(), "ghcr.io".into()),
            ("no_entry_unknown".into(), "acme.azurecr.io".into()),
            ("no_entry_unknown".into(), "docker.io".into()),
            ("no_entry_unknown".into(), "quay.io".into()),
            ("pre_build".into(), "pre-build.conf".into()),
            ("unresolved".into(), "vars/Dockerfile".into()),
            ("unused_entry".into(), "factory-config.yml".into()),
        ]
    );
    let unresolved = finding(&v, "unresolved");
    assert_eq!(unresolved["line"], 2);
    assert_eq!(unresolved["severity"], "error");
    assert_eq!(unresolved["image"], "${NOPE}/x:1");
    let wrap = finding(&v, "device_private");
    assert_eq!(wrap["image"], "ghcr.io/acme/agent:4");
    assert!(
        wrap["fix"]
            .as_str()
            .unwrap()
            .starts_with("fioreg device-wrap --image ghcr.io/acme/agent:4 --container agent-wrapped --containers-repo "),
        "{wrap:#}"
    );
    let unused = finding(&v, "unused_entry");
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("old.azurecr.io")
    );
    assert_eq!(unused["line"], 7);
    let no_entry = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "no_entry_unknown" && f["host"] == "acme.azurecr.io")
        .unwrap();
    assert!(
        no_entry["fix"]
            .as_str()
            .unwrap()
            .contains("fioreg --factory acme add azure --url acme.azurecr.io --client-id <ID> --password-stdin"),
        "{no_entry:#}"
    );
    // Errors come first.
    assert_eq!(v["findings"][0]["severity"], "error");
}

#[test]
fn human_output_lists_registries_uses_and_fixes() {
    let w = World::new(CONFIG);
    every_rule(&w);
    let out = w.scan(&["--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout);
    for want in [
        "4 containers, 1 compose apps (factory acme)",
        "ghcr.io: generic entry, secret ghcr_creds (not checked)",
        "docker.io: no entry (public?)",
        "hub.foundries.io: the factory's own images, built by CI (no entry needed)",
        "  ghcr.io/acme/agent:4\n    app/docker-compose.yml:3  CI, devices",
        "    base/Dockerfile:4  CI",
        "error: vars/Dockerfile:2: `${NOPE}/x:1` still holds a variable",
        "warning: pre-build.conf:1: pre-build.conf is sourced by CI",
        "fix: rename it: git mv typo/docker-compose.yaml typo/docker-compose.yml",
        "7 registries, 12 images, 2 errors, 6 warnings",
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the scan found 2 errors"),
        "{}",
        text(&out)
    );
}

/// File names and image text come from containers.git: no control character reaches the
/// terminal raw.
#[test]
fn control_characters_from_containers_git_are_shown_escaped() {
    let w = World::new(CONFIG);
    w.file(
        "evil/Dockerfile",
        "FROM ghcr.io/acme/app\u{1b}]0;pwned\u{7}:1\nFROM ghcr.io/acme/${NOPE\u{1b}[31m}:2\n",
    );
    let out = w.scan(&["--offline"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("evil/Dockerfile"), "{t}");
    assert!(
        !t.contains('\u{1b}') && !t.contains('\u{7}'),
        "raw control characters: {t:?}"
    );
    assert!(t.contains("\\x1b"), "{t}");
}

#[test]
fn exit_codes() {
    // 0: everything that needs credentials is covered (offline: nothing unknown is an error).
    let w = World::new(CONFIG);
    w.file("a/Dockerfile", "FROM ghcr.io/acme/a:1\nFROM alpine:3\n");
    let out = w.scan(&["--offline"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // 1: a private ECR registry that no entry covers (ECR never allows anonymous pulls).
    w.file(
        "b/Dockerfile",
        "FROM 123456789012.dkr.ecr.us-east-2.amazonaws.com/base:2\n",
    );
    let (code, v) = w.scan_json(&["--offline"]);
    assert_eq!(code, 1);
    let f = finding(&v, "missing_entry");
    assert_eq!(f["host"], "123456789012.dkr.ecr.us-east-2.amazonaws.com");
    assert_eq!(
        f["fix"],
        "fioreg --factory acme add aws --url 123456789012.dkr.ecr.us-east-2.amazonaws.com --profile <PROFILE>"
    );
    assert_eq!(
        (f["file"].as_str(), f["line"].as_u64()),
        (Some("b/Dockerfile"), Some(1))
    );
    // 2: usage errors.
    let out = w
        .fioreg()
        .args(["scan", "--offline", "--containers"])
        .arg(w.path("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not a directory"), "{}", text(&out));
    let out = w.fioreg().args(["scan", "--jobs", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = w
        .fioreg()
        .args(["scan", "--offline", "--config", "missing.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("missing.yml: not found"),
        "{}",
        text(&out)
    );
    let out = w
        .fioreg()
        .args([
            "scan",
            "--password-stdin",
            "--login",
            "a=b",
            "--login",
            "c=d",
        ])
        .arg("--containers")
        .arg(w.containers())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Credentials asked for but unusable: exit 2, naming the file.
    let out = w
        .fioreg()
        .args(["scan", "--key-file", "missing-key.json", "--containers"])
        .arg(w.containers())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing-key.json"), "{}", text(&out));
}

#[test]
fn containers_dir_defaults_to_settings_then_beside_ci_scripts() {
    let w = World::new(CONFIG);
    w.file("a/Dockerfile", "FROM ghcr.io/acme/beside:1\n");
    // ../containers beside the ci-scripts checkout.
    let out = w
        .fioreg()
        .args(["scan", "--offline", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("ghcr.io/acme/beside:1"),
        "{}",
        text(&out)
    );
    // The remembered one wins.
    let other = w.path("elsewhere");
    fs::create_dir_all(other.join("b")).unwrap();
    fs::write(
        other.join("b/Dockerfile"),
        "FROM ghcr.io/acme/remembered:1\n",
    )
    .unwrap();
    let set = w
        .fioreg()
        .args(["settings", "set", "factories.acme.containers"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", text(&set));
    let out = w.fioreg().args(["scan", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("ghcr.io/acme/remembered:1"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("beside"), "{}", text(&out));
    // Neither: a usage error that says what to do.
    let lone = World::new(CONFIG);
    fs::remove_dir(lone.containers()).unwrap();
    let out = lone.fioreg().args(["scan", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("pass --containers DIR"),
        "{}",
        text(&out)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

#[test]
fn files_git_does_not_track_are_reported() {
    let w = World::new(CONFIG);
    w.file("a/Dockerfile", "FROM ghcr.io/acme/a:1\n");
    w.file(".gitignore", "ignored/\n");
    git(&w.containers(), &["init", "-q", "-b", "main"]);
    git(&w.containers(), &["add", "-A"]);
    git(&w.containers(), &["commit", "-qm", "init"]);
    w.file("new/Dockerfile", "FROM ghcr.io/acme/new:1\n");
    w.file("ignored/Dockerfile", "FROM ghcr.io/acme/ignored:1\n");
    let (code, v) = w.scan_json(&["--offline"]);
    assert_eq!(code, 0, "{v:#}");
    let untracked: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "untracked")
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(untracked, vec!["ignored/Dockerfile", "new/Dockerfile"]);

    // A folder inside another repository is not a containers.git clone: nothing to report.
    let outer = World::new(CONFIG);
    outer.file("a/Dockerfile", "FROM ghcr.io/acme/a:1\n");
    git(outer.dir.path(), &["init", "-q", "-b", "main"]);
    let (code, v) = outer.scan_json(&["--offline"]);
    assert_eq!(code, 0, "{v:#}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "untracked"),
        "{v:#}"
    );
}

/// A generated tree: `n` containers and `n / 2` compose apps over a few registries, every image
/// named twice; the report must list each image once with both uses.
#[test]
fn generated_trees() {
    for n in [1usize, 7, 40] {
        let w = World::new(CONFIG);
        let hosts = [
            "ghcr.io/acme",
            "eu.gcr.io/p",
            "hub.foundries.io/acme",
            "library",
        ];
        let mut expected: BTreeSet<String> = BTreeSet::new();
        for i in 0..n {
            let h = hosts[i % hosts.len()];
            let image = format!("{h}/img{}:{}", i % 5, i % 3);
            w.file(
                &format!("c{i}/Dockerfile"),
                &format!(
                    "ARG V={}\nFROM {h}/img{}:${{V}}\nFROM {image} AS again\n",
                    i % 3,
                    i % 5
                ),
            );
            if i % 2 == 0 {
                w.file(
                    &format!("app{i}/docker-compose.yml"),
                    &format!("services:\n  s:\n    image: {image}\n"),
                );
            }
            let norm = if h == "library" {
                format!("docker.io/library/img{}:{}", i % 5, i % 3)
            } else {
                image.clone()
            };
            expected.insert(norm);
        }
        let (_, v) = w.scan_json(&["--offline"]);
        let got: BTreeSet<String> = shape(&v)
            .into_iter()
            .flat_map(|(_, imgs)| imgs.into_iter().map(|(i, _)| i))
            .collect();
        assert_eq!(got, expected, "n = {n}");
        let uses: usize = shape(&v)
            .into_iter()
            .flat_map(|(_, imgs)| imgs.into_iter().map(|(_, u)| u.len()))
            .sum();
        assert_eq!(uses, 2 * n + n.div_ceil(2), "n = {n}");
    }
}

// ---------------------------------------------------------------------------------------------
// Online: the real docker-registry on 127.0.0.1 with token authentication.

const PUSHER: &str = "pusher";
const PUSHER_PW: &str = "push-Pass-91c2";
const CI_USER: &str = "ci-bot";
const CI_PW: &str = "right-Pass-7f3a9c51";
const LOGIN_ONLY: &str = "login-only";
const LOGIN_ONLY_PW: &str = "login-Only-5d1c";

struct Online {
    tokens: http_stub::Stub,
    reg: registry::Registry,
}

fn online() -> Online {
    let tokens = fake_auth::registry_token_server_with_public(
        &[
            (PUSHER, PUSHER_PW, Grant::All),
            (
                CI_USER,
                CI_PW,
                Grant::Only(&["team/private", "team/public"]),
            ),
            (LOGIN_ONLY, LOGIN_ONLY_PW, Grant::Nothing),
        ],
        &["team/public"],
        |h| http_stub::Stub::start(h),
    );
    let reg = registry::Registry::start(registry::Config {
        auth: registry::Auth::Token {
            realm: format!("{}/token", tokens.url()),
            service: fake_auth::TOKEN_SERVICE.into(),
            issuer: fake_auth::TOKEN_ISSUER.into(),
            rootcertbundle: fake_auth::token_cert_path(),
        },
        tls: None,
    });
    for (repo, tag) in [("team/public", "1.0"), ("team/private", "2.0")] {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .new_agent();
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{PUSHER}:{PUSHER_PW}"));
        let mut reply = agent
            .get(&format!("{}/token", tokens.url()))
            .query("service", fake_auth::TOKEN_SERVICE)
            .query("scope", format!("repository:{repo}:pull,push"))
            .header("Authorization", format!("Basic {basic}"))
            .call()
            .expect("push token");
        let body: Value =
            serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap();
        let token = body["token"].as_str().expect("token").to_string();
        reg.push(repo, tag, &format!("Bearer {token}"));
    }
    Online { tokens, reg }
}

/// The tree of the online tests: the public and the private repository from a Dockerfile and a
/// compose app, the private one three times, and a missing tag of the public one.
fn online_tree(w: &World, addr: &str, missing_tag: bool) {
    w.file(
        "a/Dockerfile",
        &format!("FROM {addr}/team/public:1.0\nFROM {addr}/team/private:2.0\n"),
    );
    w.file("b/Dockerfile", &format!("FROM {addr}/team/private:2.0\n"));
    let extra = if missing_tag {
        format!("  gone:\n    image: {addr}/team/public:9.9\n")
    } else {
        String::new()
    };
    w.file(
        "app/docker-compose.yml",
        &format!("services:\n  p:\n    image: {addr}/team/private:2.0\n{extra}"),
    );
}

/// Token requests the token server saw from the scan: (scope, user or "" for anonymous).
fn token_requests(o: &Online) -> Vec<(String, String)> {
    o.tokens
        .seen()
        .iter()
        .filter(|r| r.path == "/token" && r.basic_auth().is_none_or(|(u, _)| u != PUSHER))
        .map(|r| {
            (
                r.query_all("scope").join(" "),
                r.basic_auth().map(|(u, _)| u).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn online_without_entry_tells_public_from_private_and_finds_a_missing_tag() {
    let o = online();
    let addr = o.reg.addr.clone();
    let w = World::new("notify: {}\n");
    online_tree(&w, &addr, true);
    let (code, v) = w.scan_json(&["--insecure-registry"]);
    assert_eq!(code, 1, "{v:#}\n{}", o.reg.log());
    let r = &v["registries"][0];
    assert_eq!(r["host"], addr.as_str());
    assert_eq!(r["entry"], Value::Null);
    assert_eq!(r["public"], false);
    assert_eq!(
        kinds(&v),
        vec![
            ("device_private".into(), addr.clone()),
            ("missing_entry".into(), addr.clone()),
            ("missing_tag".into(), addr.clone()),
        ]
    );
    let missing = finding(&v, "missing_entry");
    assert_eq!(
        missing["fix"],
        format!(
            "fioreg --factory acme add generic --url {addr} --username <USER> --password-stdin"
        )
    );
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("1 private image"),
        "{missing:#}"
    );
    let tag = finding(&v, "missing_tag");
    assert_eq!(tag["image"], format!("{addr}/team/public:9.9"));
    assert_eq!(tag["file"], "app/docker-compose.yml");
    assert_eq!(
        finding(&v, "device_private")["image"],
        format!("{addr}/team/private:2.0")
    );
    // One anonymous token per repository, however often it is named.
    let mut seen = token_requests(&o);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("repository:team/private:pull".to_string(), String::new()),
            ("repository:team/public:pull".to_string(), String::new()),
        ]
    );
    // The human report says the same.
    let out = w.scan(&["--insecure-registry"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains(&format!("{addr}: no entry, private")), "{t}");
    assert!(
        t.contains(&format!("{addr}/team/public:1.0  (public, exists)")),
        "{t}"
    );
    assert!(
        t.contains(&format!("{addr}/team/public:9.9  (public, NOT FOUND)")),
        "{t}"
    );
    assert!(
        t.contains(&format!("{addr}/team/private:2.0  (private)")),
        "{t}"
    );
}

#[test]
fn online_with_an_entry_and_credentials_proves_pull_permission() {
    let o = online();
    let addr = o.reg.addr.clone();
    let w = World::new(&format!(
        "container_registries:\n- type: generic\n  url: {addr}\n  generic_secret_name: reg_creds\n"
    ));
    w.secret("reg_creds");
    online_tree(&w, &addr, false);
    let run = |user: &str, pw: &str| -> (i32, Value) {
        let mut c = w.fioreg();
        c.args([
            "scan",
            "--json",
            "--insecure-registry",
            "--password-stdin",
            "--login",
        ])
        .arg(format!("{addr}={user}"))
        .arg("--containers")
        .arg(w.containers())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            !text(&out).contains(pw),
            "the password shows in the output: {}",
            text(&out)
        );
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        (out.status.code().unwrap(), v)
    };
    let (code, v) = run(CI_USER, CI_PW);
    assert_eq!(code, 0, "{v:#}");
    let r = &v["registries"][0];
    assert_eq!(
        r["entry"],
        json!({"type": "generic", "url": addr, "secret": "reg_creds", "secret_present": true})
    );
    assert_eq!(r["public"], false);
    assert_eq!(kinds(&v), vec![("device_private".into(), addr.clone())]);
    // The private repository got one anonymous and one authenticated pull token.
    let private: Vec<(String, String)> = token_requests(&o)
        .into_iter()
        .filter(|(s, _)| s == "repository:team/private:pull")
        .collect();
    assert_eq!(
        private,
        vec![
            ("repository:team/private:pull".to_string(), String::new()),
            (
                "repository:team/private:pull".to_string(),
                CI_USER.to_string()
            ),
        ]
    );

    // A user that may log in but not pull.
    let (code, v) = run(LOGIN_ONLY, LOGIN_ONLY_PW);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        finding(&v, "no_pull")["image"],
        format!("{addr}/team/private:2.0")
    );
    // A wrong password: one finding for the registry.
    let (code, v) = run(CI_USER, "wrong-Pass-0b2e4d77");
    assert_eq!(code, 1, "{v:#}");
    let f = finding(&v, "login_failed");
    assert_eq!(f["host"], addr.as_str());
    // The missing secret is found through fioctl.
    fs::remove_file(w.path("stub/factories/acme/secrets/reg_creds")).unwrap();
    let (code, v) = run(CI_USER, CI_PW);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["registries"][0]["entry"]["secret_present"], false);
    assert_eq!(
        finding(&v, "missing_secret")["fix"],
        "store it: fioreg rotate reg_creds"
    );
}

#[test]
fn online_unreachable_registry_is_a_warning() {
    let w = World::new("notify: {}\n");
    // A port nothing listens on.
    let (_closed, port) = registry::closed_port();
    w.file("a/Dockerfile", &format!("FROM 127.0.0.1:{port}/x/y:1\n"));
    let (code, v) = w.scan_json(&["--insecure-registry", "--verify-timeout", "2"]);
    assert_eq!(code, 0, "{v:#}");
    let f = finding(&v, "unreachable");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("connection was refused"),
        "{f:#}"
    );
    assert_eq!(v["registries"][0]["public"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Benchmark set-up (not a test: `cargo test` skips it). Run by scripts/bench-scan.sh:
//   cargo test --release --test scan -- --ignored --nocapture bench_scan
// It starts 10 real docker-registry processes with token auth on 127.0.0.1, pushes 25
// repositories x 2 tags to each (half of them public), writes generated containers.git trees,
// and times whole `fioreg scan` runs with hyperfine. Nothing here asserts a time.

const BENCH_REGISTRIES: usize = 10;
const BENCH_REPOS: usize = 25;
const BENCH_TAGS: usize = 2;

fn bench_public_repos() -> &'static [&'static str] {
    let names: Vec<&'static str> = (0..BENCH_REPOS)
        .filter(|r| r % 2 == 0)
        .map(|r| &*Box::leak(format!("team/repo{r}").into_boxed_str()))
        .collect();
    Box::leak(names.into_boxed_slice())
}

/// Writes a containers.git of `containers` Dockerfiles (2 FROMs each) and `apps` compose apps
/// naming images of `hosts`; image k is repository k/2 mod 25 of host k mod 10, tag k mod 2.
fn bench_tree(dir: &Path, hosts: &[String], containers: usize, apps: usize, repeat: usize) {
    let image = |k: usize| {
        let h = &hosts[k % hosts.len()];
        let r = (k / hosts.len()) % BENCH_REPOS;
        let t = (k / (hosts.len() * BENCH_REPOS)) % BENCH_TAGS;
        format!("{h}/team/repo{r}:{t}")
    };
    for c in 0..containers {
        let d = dir.join(format!("c{c}"));
        fs::create_dir_all(&d).unwrap();
        let mut text = String::new();
        for rep in 0..repeat {
            let k = (2 * c + rep * 2 * containers) % (hosts.len() * BENCH_REPOS * BENCH_TAGS);
            text.push_str(&format!(
                "FROM {} AS s{rep}a\nFROM {} AS s{rep}b\n",
                image(k),
                image(k + 1)
            ));
        }
        fs::write(d.join("Dockerfile"), text).unwrap();
    }
    for a in 0..apps {
        let d = dir.join(format!("app{a}"));
        fs::create_dir_all(&d).unwrap();
        let mut text = String::from("services:\n");
        for s in 0..5 {
            text.push_str(&format!("  s{s}:\n    image: {}\n", image(a * 5 + s)));
        }
        fs::write(d.join("docker-compose.yml"), text).unwrap();
    }
}

#[test]
#[ignore = "benchmark set-up: run by scripts/bench-scan.sh"]
fn bench_scan() {
    let tokens = fake_auth::registry_token_server_with_public(
        &[
            (PUSHER, PUSHER_PW, Grant::All),
            (CI_USER, CI_PW, Grant::All),
        ],
        bench_public_repos(),
        |h| http_stub::Stub::start_unbounded(h, std::time::Duration::from_secs(3600)),
    );
    let regs: Vec<registry::Registry> = (0..BENCH_REGISTRIES)
        .map(|_| {
            registry::Registry::start(registry::Config {
                auth: registry::Auth::Token {
                    realm: format!("{}/token", tokens.url()),
                    service: fake_auth::TOKEN_SERVICE.into(),
                    issuer: fake_auth::TOKEN_ISSUER.into(),
                    rootcertbundle: fake_auth::token_cert_path(),
                },
                tls: None,
            })
        })
        .collect();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{PUSHER}:{PUSHER_PW}"));
    for reg in &regs {
        for r in 0..BENCH_REPOS {
            let repo = format!("team/repo{r}");
            let mut reply = agent
                .get(&format!("{}/token", tokens.url()))
                .query("service", fake_auth::TOKEN_SERVICE)
                .query("scope", format!("repository:{repo}:pull,push"))
                .header("Authorization", format!("Basic {basic}"))
                .call()
                .expect("push token");
            let body: Value =
                serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap();
            let token = body["token"].as_str().expect("token").to_string();
            for t in 0..BENCH_TAGS {
                reg.push(&repo, &t.to_string(), &format!("Bearer {token}"));
            }
        }
    }
    let hosts: Vec<String> = regs.iter().map(|r| r.addr.clone()).collect();
    let out_dir = PathBuf::from(
        std::env::var("SCAN_BENCH_DIR").unwrap_or_else(|_| format!("{ROOT}/target/bench-scan")),
    );
    let _ = fs::remove_dir_all(&out_dir);
    fs::create_dir_all(&out_dir).unwrap();
    let mut config = String::from("container_registries:\n");
    for (i, h) in hosts.iter().enumerate() {
        config.push_str(&format!(
            "- type: generic\n  url: {h}\n  generic_secret_name: reg{i}_creds\n"
        ));
    }
    let world = |name: &str| -> PathBuf {
        let w = out_dir.join(name);
        fs::create_dir_all(w.join("ci-scripts")).unwrap();
        fs::create_dir_all(w.join("stub/factories/acme/secrets")).unwrap();
        fs::create_dir_all(w.join("home")).unwrap();
        fs::write(w.join("ci-scripts/factory-config.yml"), &config).unwrap();
        for i in 0..hosts.len() {
            fs::write(
                w.join(format!("stub/factories/acme/secrets/reg{i}_creds")),
                "x",
            )
            .unwrap();
        }
        fs::write(w.join("password"), format!("{CI_PW}\n")).unwrap();
        w
    };
    // A: 500 distinct images (250 repositories x 2 tags) in 250 Dockerfiles.
    let a = world("a");
    bench_tree(&a.join("containers"), &hosts, 250, 0, 1);
    // B: the same 500 images named 4 times each (2000 references: 3 per Dockerfile, 1 in 100
    // compose apps of 5 services).
    let b = world("b");
    bench_tree(&b.join("containers"), &hosts, 250, 100, 3);
    let scan = |w: &Path, extra: &str| {
        format!(
            "cd {} && env -i PATH=\"$PATH\" HOME={home} FIOCTL_STUB_DIR={stub} {BIN} --factory acme \
             --fioctl {ROOT}/tests/support/fioctl --insecure-registry scan --containers {c} \
             --login {h}={CI_USER} --password-stdin {extra} < {pw} > /dev/null",
            w.join("ci-scripts").display(),
            home = w.join("home").display(),
            stub = w.join("stub").display(),
            c = w.join("containers").display(),
            h = hosts[0],
            pw = w.join("password").display(),
        )
    };
    // Sanity: the scan sees what was generated (printed, not asserted on time).
    let mut tree_lines = Vec::new();
    for (name, w) in [("A", &a), ("B", &b)] {
        let out = Command::new("bash")
            .arg("-c")
            .arg(scan(w, "--json").replace(" > /dev/null", ""))
            .output()
            .unwrap();
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        let images: usize = v["registries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["images"].as_array().unwrap().len())
            .sum();
        let uses: usize = v["registries"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["images"].as_array().unwrap().iter())
            .map(|i| i["uses"].as_array().unwrap().len())
            .sum();
        let kinds = kinds(&v);
        let not_found = kinds.iter().filter(|(k, _)| k == "missing_tag").count();
        let unreachable = kinds.iter().filter(|(k, _)| k == "unreachable").count();
        let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for (k, _) in &kinds {
            *by_kind.entry(k.as_str()).or_default() += 1;
        }
        let by_kind: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let line = format!(
            "tree {name}: {} registries, {images} images, {uses} references; findings: {}; \
             exit status {}",
            v["registries"].as_array().unwrap().len(),
            if by_kind.is_empty() {
                "none".to_string()
            } else {
                by_kind.join(", ")
            },
            out.status.code().unwrap_or(-1)
        );
        println!("{line}");
        tree_lines.push(line);
        assert_eq!(not_found + unreachable, 0, "{v:#}");
    }
    let md = out_dir.join("results.md");
    let status = Command::new("hyperfine")
        .args(["--warmup", "1", "--runs", "10", "-i", "--export-markdown"])
        .arg(&md)
        .arg("-n")
        .arg("A: 500 images, --jobs 16")
        .arg(scan(&a, "--jobs 16"))
        .arg("-n")
        .arg("A: 500 images, --jobs 1 (sequential)")
        .arg(scan(&a, "--jobs 1"))
        .arg("-n")
        .arg("B: 2000 references to the same 500 images, --jobs 16")
        .arg(scan(&b, "--jobs 16"))
        .arg("-n")
        .arg("A: --offline")
        .arg(scan(&a, "--offline"))
        .status()
        .expect("hyperfine (apt-get install hyperfine)");
    assert!(status.success());
    let table = fs::read_to_string(&md).unwrap();
    println!("{table}");
    let uname = Command::new("uname").arg("-srm").output().unwrap();
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let section = format!(
        "## fioreg scan\n\n\
         Generated by `bash scripts/bench-scan.sh` (an ignored test in tests/scan.rs that sets up the\n\
         registries and runs hyperfine; `cargo test` never runs it). {} real docker-registry\n\
         processes with token auth on 127.0.0.1, one loopback token server (tests/support/fake_auth.rs,\n\
         single-threaded, an RS256 signature per token), {} repositories x {} tags pushed to each\n\
         (every other repository public to anonymous pulls). factory-config.yml has a generic entry\n\
         for each registry (secrets listed by the fioctl stand-in), and one registry is probed with\n\
         credentials (`--login HOST=USER --password-stdin`). Whole-process wall time of the release\n\
         binary, hyperfine `--warmup 1 --runs 10` (through a shell, for the stdin redirect).\n\n\
         - tree A: 250 Dockerfiles with two `FROM`s each: 500 distinct images in 250 repositories.\n\
         - tree B: the same 500 images named four times each (three times per Dockerfile and once\n  \
         in 100 compose apps of 5 services): 2000 references.\n\n\
         Target: the concurrent scan of tree A under 2 s. The work grows with the number of\n\
         distinct repositories and tags, not references: compare A and B.\n\n\
         Machine: {} ({} cores, shared with other builds; load average at the end: {}).\n\n\
         {}\n{}\n",
        BENCH_REGISTRIES,
        BENCH_REPOS,
        BENCH_TAGS,
        String::from_utf8_lossy(&uname.stdout).trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        table.trim_end(),
        tree_lines
            .iter()
            .map(|l| format!("\n- {l}"))
            .collect::<String>()
    );
    fs::write(out_dir.join("section.md"), section).unwrap();
}

/// aws: `--profile` keys are exchanged with ecr:GetAuthorizationToken (the ECR stand-in, through
/// AWS_ENDPOINT_URL) and the registry (htpasswd: Basic, never anonymous) is probed as user AWS.
#[test]
fn online_aws_profile_proves_pull_on_a_basic_auth_registry() {
    const KEY_ID: &str = "AKIAFIOREGSCAN000001";
    const SECRET: &str = "fioregScanSecretAccessKey/0123456789abcd";
    let ecr = fake_auth::ecr_endpoint(&[(KEY_ID, SECRET)], "us-east-2");
    let reg = registry::Registry::start(registry::Config {
        auth: registry::Auth::Htpasswd(vec![("AWS".into(), fake_auth::ECR_PASSWORD.into())]),
        tls: None,
    });
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("AWS:{}", fake_auth::ECR_PASSWORD));
    reg.push("team/app", "1.0", &format!("Basic {basic}"));
    let addr = reg.addr.clone();
    let w = World::new(&format!(
        "container_registries:\n- type: aws\n  region: us-east-2\n  url: {addr}\n  aws_creds_secret_name: aws_creds\n"
    ));
    w.secret("aws_creds");
    fs::write(
        w.path("credentials"),
        format!("[ci-pull]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    w.file(
        "a/Dockerfile",
        &format!("FROM {addr}/team/app:1.0\nFROM {addr}/team/app:2.0\n"),
    );
    let run = |profile: Option<&str>| -> (i32, Value) {
        let mut c = w.fioreg();
        c.env("AWS_SHARED_CREDENTIALS_FILE", w.path("credentials"))
            .env("AWS_ENDPOINT_URL", ecr.url())
            .args(["scan", "--json", "--insecure-registry", "--containers"])
            .arg(w.containers());
        if let Some(p) = profile {
            c.args(["--profile", p]);
        }
        let out = c.output().unwrap();
        assert!(!text(&out).contains(SECRET), "{}", text(&out));
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        (out.status.code().unwrap(), v)
    };
    // Without credentials: private, covered by the entry, tags unknown.
    let (code, v) = run(None);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["registries"][0]["public"], false);
    assert_eq!(v["registries"][0]["entry"]["type"], "aws");
    assert_eq!(v["findings"], json!([]));
    // With the profile: pull proven, and the missing tag found.
    let (code, v) = run(Some("ci-pull"));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(kinds(&v), vec![("missing_tag".into(), addr.clone())]);
    assert_eq!(
        finding(&v, "missing_tag")["image"],
        format!("{addr}/team/app:2.0")
    );
    assert_eq!(finding(&v, "missing_tag")["line"], 2);
    assert!(
        ecr.seen().iter().any(|r| r.method == "POST"),
        "GetAuthorizationToken was not called"
    );
}
