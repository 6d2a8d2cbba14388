//! The line-prompt wizard driven end to end by a scripted [`Prompter`]: every flow's questions,
//! what is said, the config bytes, the stored secrets and the [`Outcome`].

use super::*;
use crate::credentials::aws::ProfileSource;
use crate::fioctl::{FactorySource, FioctlError};
use crate::keystore::MemoryKeyStore;
use crate::plan::{FolderStore, SecretStore};
use crate::secret::Secret;
use crate::session::Demo;
use crate::wizard::report::Report;
use secrecy::ExposeSecret;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One scripted answer.
#[derive(Debug, Clone, Copy)]
enum A {
    /// Choose the first option whose label contains this text.
    Pick(&'static str),
    /// Type this (an empty answer takes the default).
    Text(&'static str),
    Pass(&'static str),
    Yes,
    No,
    Back,
    Interrupt,
}

/// A prompter that answers from a script and records every question and printed line.
struct Fake {
    answers: VecDeque<A>,
    /// Questions, as `? QUESTION [default: D]` or `? QUESTION {opt | opt}`.
    asked: Vec<String>,
    said: Vec<String>,
    /// Everything in order, for failure messages.
    log: Vec<String>,
}

impl Fake {
    fn new(answers: Vec<A>) -> Self {
        Fake {
            answers: answers.into(),
            asked: Vec::new(),
            said: Vec::new(),
            log: Vec::new(),
        }
    }

    fn next(&mut self, question: String) -> A {
        self.asked.push(question.clone());
        self.log.push(question);
        match self.answers.pop_front() {
            Some(a) => {
                self.log.push(format!("  -> {a:?}"));
                a
            }
            None => panic!("no answer left; transcript:\n{}", self.log.join("\n")),
        }
    }

    fn said(&self) -> String {
        self.said.join("\n")
    }

    fn asked_count(&self, question: &str) -> usize {
        self.asked.iter().filter(|q| q.contains(question)).count()
    }

    fn was_asked(&self, question: &str) -> bool {
        self.asked.iter().any(|q| q == question)
    }

    fn done(&self) {
        assert!(
            self.answers.is_empty(),
            "answers left over: {:?}\n{}",
            self.answers,
            self.log.join("\n")
        );
    }

    fn refuse(&self, a: A, q: &str) -> ! {
        panic!(
            "answer {a:?} does not fit `{q}`; transcript:\n{}",
            self.log.join("\n")
        )
    }
}

impl Prompter for Fake {
    fn select(&mut self, question: &str, options: &[Choice]) -> Result<usize, PromptError> {
        let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
        match self.next(format!("? {question} {{{}}}", labels.join(" | "))) {
            A::Pick(s) => match options.iter().position(|o| o.label.contains(s)) {
                Some(i) => Ok(i),
                None => self.refuse(A::Pick(s), question),
            },
            A::Back => Err(PromptError::Back),
            A::Interrupt => Err(PromptError::Interrupted),
            a => self.refuse(a, question),
        }
    }

    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        _help: Option<&str>,
    ) -> Result<String, PromptError> {
        let shown = match default {
            Some(d) => format!("? {question} [default: {d}]"),
            None => format!("? {question}"),
        };
        match self.next(shown) {
            A::Text("") => Ok(default.unwrap_or_default().to_string()),
            A::Text(t) => Ok(t.to_string()),
            A::Back => Err(PromptError::Back),
            A::Interrupt => Err(PromptError::Interrupted),
            a => self.refuse(a, question),
        }
    }

    fn password(&mut self, question: &str) -> Result<SecretString, PromptError> {
        match self.next(format!("? {question}")) {
            A::Pass(t) => Ok(SecretString::from(t)),
            A::Back => Err(PromptError::Back),
            A::Interrupt => Err(PromptError::Interrupted),
            a => self.refuse(a, question),
        }
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        match self.next(format!("? {question} [default: {default}]")) {
            A::Yes => Ok(true),
            A::No => Ok(false),
            A::Back => Err(PromptError::Back),
            A::Interrupt => Err(PromptError::Interrupted),
            a => self.refuse(a, question),
        }
    }

    fn say(&mut self, text: &str) {
        self.said.push(text.to_string());
        self.log.push(text.to_string());
    }
}

const BASE: &str = "# The factory definition.\nlmp:\n  params: {}\n";
const AWS1: &str = "123456789012.dkr.ecr.us-east-2.amazonaws.com";
const CREDS: &str = "\
[ci-pull]
aws_access_key_id = AKIACIPULL0000000002
aws_secret_access_key = ciPullSecretKey00000000000000000000000002

[default]
aws_access_key_id = AKIADEFAULT000000001
aws_secret_access_key = defaultSecretKey0000000000000000000000001

[temp]
aws_access_key_id = ASIATEMP000000000003
aws_secret_access_key = tempSecretKey0000000000000000000000000003
aws_session_token = sessionToken

[nokeys]
region = eu-west-1
";
/// The keyring's words in questions: [`MemoryKeyStore`]'s description.
const KEYS: &str = "an in-memory store (demo and tests: kept until fioreg ends)";

struct Env {
    dir: tempfile::TempDir,
    session: Session,
}

impl Env {
    fn new(config: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("factory-config.yml");
        std::fs::write(&config_path, config).unwrap();
        let session = Session {
            config_path,
            factory: Some(("acme".into(), FactorySource::Flag)),
            store: Ok(Arc::new(FolderStore {
                dir: dir.path().join("secrets"),
            })),
            aws: Arc::new(ProfileSource::from_files(Some(CREDS.into()), None, &[]).unwrap()),
            demo: None,
            keys: Arc::new(MemoryKeyStore::new()),
            settings: None,
            verify: None,
            containers: None,
            fleet: None,
        };
        Env { dir, session }
    }

    fn config(&self) -> String {
        std::fs::read_to_string(&self.session.config_path).unwrap()
    }

    fn secret(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.path().join("secrets").join(name)).ok()
    }

    fn no_secrets(&self) -> bool {
        !self.dir.path().join("secrets").exists()
    }

    /// The names and bytes of every stored secret.
    fn secrets(&self) -> Vec<(String, Vec<u8>)> {
        let Ok(dir) = std::fs::read_dir(self.dir.path().join("secrets")) else {
            return Vec::new();
        };
        let mut all: Vec<(String, Vec<u8>)> = dir
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    }

    fn run(&self, answers: Vec<A>) -> (anyhow::Result<Outcome>, Fake) {
        let mut fake = Fake::new(answers);
        let result = run(&self.session, &mut fake);
        (result, fake)
    }

    /// The run with the login test on, answered by [`fake_verify`].
    fn run_verified(&mut self, answers: Vec<A>) -> (anyhow::Result<Outcome>, Fake) {
        self.session.verify = Some(crate::verify::VerifyOptions::default());
        let mut fake = Fake::new(answers);
        let result = run_with(&self.session, &mut fake, fake_verify);
        (result, fake)
    }
}

/// The exit status main.rs gives the result.
fn exit_code(r: &anyhow::Result<Outcome>) -> u8 {
    match r {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => e.downcast_ref::<Exit>().map_or(1, |x| x.code),
    }
}

/// The last words main.rs prints for the outcome (`fioreg: ...`).
fn message(r: &anyhow::Result<Outcome>) -> String {
    match r {
        Ok(outcome) => outcome.message().unwrap_or_default().to_string(),
        Err(e) => format!("{e:#}"),
    }
}

/// The report of an applied plan (panics with the transcript otherwise).
fn applied(r: anyhow::Result<Outcome>, fake: &Fake) -> Report {
    match r {
        Ok(Outcome::Applied(report)) => report,
        other => panic!("not applied: {other:?}\n{}", fake.log.join("\n")),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gcp")
        .join(name)
}

/// A path as a scripted answer.
fn leak(p: &Path) -> &'static str {
    Box::leak(p.display().to_string().into_boxed_str())
}

#[test]
fn aws_flow_stores_one_profile_as_default_and_adds_the_entry() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add a registry"),
        A::Pick("AWS"),
        A::Text(AWS1),
        A::Text(""),
        A::Text(""),
        A::Pick("temp"),
        A::Pick("nokeys"),
        A::Pick("ci-pull"),
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert_eq!(
        env.config(),
        format!(
            "{BASE}\ncontainer_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  \
             aws_creds_secret_name: aws_creds\n"
        )
    );
    assert_eq!(
        env.secret("aws_creds").unwrap(),
        b"[default]\naws_access_key_id = AKIACIPULL0000000002\n\
          aws_secret_access_key = ciPullSecretKey00000000000000000000000002\n"
    );
    assert!(
        fake.was_asked("? Region [default: us-east-2]"),
        "{:#?}",
        fake.asked
    );
    assert!(
        fake.was_asked("? Secret name [default: aws_creds]"),
        "{:#?}",
        fake.asked
    );
    let profiles = fake
        .asked
        .iter()
        .find(|q| q.contains("Which AWS profile should CI use?"))
        .unwrap();
    assert!(profiles.contains("default (AKIA"), "{profiles}");
    assert!(
        profiles.contains("looks personal: prefer a pull-only IAM user"),
        "{profiles}"
    );
    let said = fake.said();
    assert!(said.contains("Not available: temp"), "{said}");
    assert!(
        said.contains("temporary keys (aws_session_token)"),
        "{said}"
    );
    assert!(said.contains("Not available: nokeys"), "{said}");
    assert!(said.contains("Plan: add aws"), "{said}");
    assert!(
        said.contains("Storing the secret aws_creds in factory acme ... "),
        "{said}"
    );
    assert!(said.contains(crate::provider::aws::DEVICE_ADVICE), "{said}");
    assert_eq!(report.advice, Some(crate::provider::aws::DEVICE_ADVICE));
    // The region and the secret name taken with Enter are not repeated as flags: the core
    // derives the same from the url.
    assert!(
        said.ends_with(&format!(
            "--factory acme add aws --url {AWS1} --profile ci-pull"
        )),
        "{said}"
    );
    assert!(!said.contains("ciPullSecretKey"), "{said}");
}

#[test]
fn azure_flow_reasks_the_password_and_never_says_it() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Azure"),
        A::Text("acmeprod.azurecr.io"),
        A::Text(""),
        A::Pick("Use an existing"),
        A::Text("1f2e3d4c-0000-1111"),
        A::Pass("s3cr3t:Pw"),
        A::No, // not remembered in the keyring
        A::Text(""),
        A::Pass(""),
        A::No,
        A::Text(""),
        A::Pass("s3cr3tPw"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert!(env.config().ends_with(
        "container_registries:\n- type: azure\n  url: acmeprod.azurecr.io\n  \
         azure_principal_secret_name: azprincipal\n"
    ));
    assert_eq!(
        env.secret("azprincipal").unwrap(),
        b"1f2e3d4c-0000-1111:s3cr3tPw"
    );
    // The Credentials screen is asked again as a whole: the id offered as typed.
    assert_eq!(fake.asked_count("Service principal id"), 3);
    assert_eq!(
        fake.asked_count(
            "Service principal id (the application / client id) [default: 1f2e3d4c-0000-1111]"
        ),
        2
    );
    assert_eq!(fake.asked_count("Service principal password (hidden"), 3);
    assert!(fake.was_asked(&format!(
        "? Remember the service principal password in the OS keyring ({KEYS}) for \
         acmeprod.azurecr.io? [default: false]"
    )));
    let said = fake.said();
    assert!(said.contains("contains ':'"), "{said}");
    assert!(said.contains("password is empty"), "{said}");
    for line in fake.said.iter().chain(&fake.asked) {
        assert!(!line.contains("s3cr3t"), "the password was shown: {line}");
    }
}

#[test]
fn gar_flow_checks_the_key_file_and_names_the_service_account() {
    let env = Env::new(BASE);
    let missing = leak(&env.dir.path().join("nope.json"));
    let personal = leak(&fixture("authorized-user.json"));
    let key = leak(&fixture("sa-key.json"));
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Google"),
        A::Text("us-central-1-docker.pkg.dev"),
        A::Text(""), // no url: refused answers are not offered again
        A::Text(""),
        A::Pick("existing service-account JSON key file"),
        A::Text(""),
        A::Text(missing),
        A::Text(personal),
        A::Text(key),
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert!(
        env.config()
            .ends_with("container_registries:\n- type: gar\n  gar_creds_secret_name: gcp_creds\n"),
        "{}",
        env.config()
    );
    assert_eq!(
        env.secret("gcp_creds").unwrap(),
        std::fs::read(fixture("sa-key.json")).unwrap()
    );
    assert_eq!(fake.asked_count("? Location URL (optional)"), 2);
    assert_eq!(
        fake.asked_count("Path to the service-account JSON key file"),
        4
    );
    let said = fake.said();
    assert!(said.contains("without a dash"), "{said}");
    assert!(said.contains("Give the path"), "{said}");
    assert!(said.contains("Cannot read the GCP key file"), "{said}");
    assert!(said.contains("personal user credentials"), "{said}");
    assert!(
        said.contains("Service account: ci-pull@fioreg-test.iam.gserviceaccount.com"),
        "{said}"
    );
    assert!(said.contains("add gar --key-file"), "{said}");
    assert!(!said.contains("PRIVATE KEY"), "{said}");
}

#[test]
fn generic_flow_in_demo_mode_with_a_custom_secret_name() {
    let mut env = Env::new(BASE);
    let secrets_dir = env.dir.path().join("secrets");
    env.session.demo = Some(Demo {
        dir: env.dir.path().to_path_buf(),
        secrets_dir: secrets_dir.clone(),
    });
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text(" GHCR.io "),
        A::Text("bad name"),
        A::Text("gh_pull"),
        A::Text("ci-bot"),
        A::Pass("ghp_tok"),
        A::No, // not remembered in the keyring
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert!(env.config().ends_with(
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: gh_pull\n"
    ));
    assert_eq!(env.secret("gh_pull").unwrap(), b"ci-bot:ghp_tok");
    assert!(fake.was_asked("? Secret name [default: ghcr_creds]"));
    // The refused name is not offered again.
    assert_eq!(fake.asked_count("? Secret name"), 2);
    assert!(fake.was_asked("? Secret name"), "{:#?}", fake.asked);
    let said = fake.said();
    assert!(said.contains("contains ` `"), "{said}");
    assert!(said.contains("Demo mode"), "{said}");
    assert!(said.contains(&secrets_dir.display().to_string()), "{said}");
    assert!(
        said.contains("Login test skipped (demo: made-up registries)."),
        "{said}"
    );
    // The url as typed (trimmed); `fioreg add` normalizes it as the wizard did.
    assert!(
        said.to_ascii_lowercase().contains(
            "add generic --url ghcr.io --username ci-bot --password-stdin --secret-name gh_pull"
        ),
        "{said}"
    );
    assert!(!said.contains("ghp_tok"), "{said}");
}

#[test]
fn an_invalid_url_is_asked_again_with_the_reason() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("https://ghcr.io"),
        A::Text("ghcr.io/org/image"),
        A::Text(""),
        A::Text("ghcr.io"),
        A::Interrupt,
    ]);
    fake.done();
    assert_eq!(exit_code(&r), 130);
    assert!(matches!(r, Ok(Outcome::Interrupted(_))), "{r:?}");
    assert_eq!(fake.asked_count("? Registry host"), 4);
    let said = fake.said();
    assert!(said.contains("without `https://`"), "{said}");
    assert!(said.contains("without a path"), "{said}");
    assert!(said.contains("the registry url is empty"), "{said}");
    assert_eq!(env.config(), BASE);
}

#[test]
fn a_second_aws_entry_is_refused_until_the_existing_url_is_given() {
    let config = format!(
        "container_registries:\n- type: aws # prod\n  region: us-east-2\n  url: {AWS1}\n  \
         aws_creds_secret_name: aws_creds\n"
    );
    let env = Env::new(&config);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("AWS"),
        A::Text("210987654321.dkr.ecr.eu-west-1.amazonaws.com"),
        A::Text(""),
        A::Text(""),
        // Refused: the fields are asked again, with the answers as defaults.
        A::Text(AWS1),
        A::Text(""), // the region follows the new url
        A::Text(""),
        A::Pick("ci-pull"),
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert!(fake.was_asked("? Region [default: eu-west-1]"));
    assert!(
        fake.was_asked("? Registry URL [default: 210987654321.dkr.ecr.eu-west-1.amazonaws.com]")
    );
    assert!(
        fake.was_asked("? Region [default: us-east-2]"),
        "{:#?}",
        fake.asked
    );
    let said = fake.said();
    assert!(
        said.contains("crashes when a factory has two aws entries"),
        "{said}"
    );
    // The refusal names the url to give.
    assert!(said.contains(&format!("give the url {AWS1}")), "{said}");
    assert!(said.contains("Plan: update aws"), "{said}");
    assert!(said.contains(":2 is updated in place"), "{said}");
    assert!(
        report
            .text()
            .contains("already held this entry: unchanged."),
        "{}",
        report.text()
    );
    assert_eq!(env.config(), config);
    assert!(env.secret("aws_creds").is_some());
}

#[test]
fn a_shared_secret_name_is_refused_and_asked_again() {
    let config =
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: creds\n";
    let env = Env::new(config);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("docker.io"),
        A::Text("creds"),
        // Refused: asked again with the answers as defaults.
        A::Text(""),
        A::Text("docker_creds"),
        A::Text("ci"),
        A::Pass("tok"),
        A::No, // not remembered in the keyring
        A::No, // not applied
    ]);
    fake.done();
    assert_eq!(exit_code(&r), 1);
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert!(fake.was_asked("? Registry host [default: docker.io]"));
    assert!(
        fake.said()
            .contains("the secret name `creds` is already used by"),
        "{}",
        fake.said()
    );
    assert!(fake.said().contains("generic_secret_name: docker_creds"));
    assert_eq!(env.config(), config);
    assert!(env.no_secrets());
}

#[test]
fn esc_goes_back_one_question_and_keeps_earlier_answers() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Back, // url -> provider
        A::Pick("Azure"),
        A::Text("acmeprod.azurecr.io"),
        A::Back, // secret name -> url
        A::Text(""),
        A::Text(""),
        A::Pick("Use an existing"),
        A::Text("id-1"),
        A::Back, // password -> user
        A::Text(""),
        A::Pass("pw-0"),
        A::Back, // remember -> password
        A::Pass("pw-1"),
        A::No,   // not remembered in the keyring
        A::Back, // apply -> credentials: the choice of how, then the id
        A::Pick("Use an existing"),
        A::Text(""),
        A::Pass("pw-2"),
        A::No, // not remembered in the keyring
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    let q: Vec<&str> = fake.asked.iter().map(|s| s.as_str()).collect();
    assert!(
        q[3].starts_with("? Which kind of registry should CI pull from?"),
        "{q:#?}"
    );
    assert_eq!(q[6], "? Registry URL [default: acmeprod.azurecr.io]");
    assert!(q[8].starts_with("? How does CI log in to Azure?"), "{q:#?}");
    assert!(
        q[11].contains("Service principal id (the application / client id) [default: id-1]"),
        "{q:#?}"
    );
    assert!(q[13].starts_with("? Remember the service principal password"));
    assert!(q[14].starts_with("? Service principal password (hidden"));
    assert!(q[16].starts_with("? Apply this plan?"));
    assert!(
        q[17].starts_with("? How does CI log in to Azure?"),
        "{q:#?}"
    );
    assert!(
        q[18].contains("Service principal id (the application / client id) [default: id-1]"),
        "{q:#?}"
    );
    assert_eq!(env.secret("azprincipal").unwrap(), b"id-1:pw-2");
}

#[test]
fn esc_at_the_first_question_quits_and_a_disabled_option_is_refused() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![A::Pick("Rotate"), A::Pick("Remove"), A::Back]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    assert_eq!(exit_code(&r), 0);
    assert_eq!(message(&r), "nothing was changed");
    let said = fake.said();
    // Without any registry, there is nothing to rotate or remove.
    assert!(
        said.contains(
            "Not available: Rotate a registry's credentials: no registry is configured yet."
        ),
        "{said}"
    );
    assert!(
        said.contains("Not available: Remove a registry: no registry is configured yet."),
        "{said}"
    );
    assert_eq!(fake.asked_count("What do you want to do?"), 3);
    assert_eq!(env.config(), BASE);
    assert!(env.no_secrets());
}

/// Runs `script` cut before each of its answers, with Ctrl-C there: every question ends the
/// run as interrupted (130) with the config and the secrets as they were.
fn ctrl_c_everywhere(name: &str, make: impl Fn() -> Env, verified: bool, script: &[A]) {
    for at in 0..=script.len() {
        let mut env = make();
        let config = env.config();
        let secrets = env.secrets();
        let mut cut = script[..at].to_vec();
        cut.push(A::Interrupt);
        let (r, fake) = if verified {
            env.run_verified(cut)
        } else {
            env.run(cut)
        };
        if at == script.len() {
            // The whole script ran to its end: no question was left for Ctrl-C.
            assert!(
                !fake.answers.is_empty(),
                "{name}: the whole script should end the run"
            );
            continue;
        }
        fake.done();
        let question = fake.asked.last().cloned().unwrap_or_default();
        assert!(
            matches!(r, Ok(Outcome::Interrupted(_))),
            "{name} at {at} ({question}): {r:?}\n{}",
            fake.log.join("\n")
        );
        assert_eq!(exit_code(&r), 130, "{name} at {at}");
        assert_eq!(message(&r), "interrupted: nothing was changed", "{name}");
        assert_eq!(env.config(), config, "{name} at {at} ({question})");
        assert_eq!(env.secrets(), secrets, "{name} at {at} ({question})");
    }
}

#[test]
fn ctrl_c_changes_nothing_and_exits_130() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![A::Interrupt]);
    fake.done();
    assert_eq!(exit_code(&r), 130);
    assert_eq!(env.config(), BASE);
    assert!(env.no_secrets());

    ctrl_c_everywhere(
        "add generic",
        || Env::new(BASE),
        false,
        &[
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No,
            A::Yes,
        ],
    );
}

#[test]
fn ctrl_c_at_any_question_of_any_flow_is_an_interruption() {
    let with_token = || {
        let env = env_in_repo(BASE);
        env.session
            .keys
            .set("ghcr.io", &SecretString::from("kept"))
            .unwrap();
        env
    };
    // The remembered token offered, the commit offered.
    ctrl_c_everywhere(
        "add generic in a checkout",
        with_token,
        false,
        &[
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::No, // not the remembered token
            A::Pass("tok"),
            A::No, // not remembered
            A::No, // no commit
            A::Yes,
        ],
    );
    // The login test's questions.
    ctrl_c_everywhere(
        "unreachable registry",
        || Env::new(BASE),
        true,
        &[
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("down.example.com"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("tok"),
            A::No,
            A::No, // not stored anyway
            A::Pick("Test again"),
            A::Yes, // stored anyway
            A::Yes,
        ],
    );
    ctrl_c_everywhere(
        "rejected login",
        || Env::new(BASE),
        true,
        &[
            A::Pick("Add"),
            A::Pick("Generic"),
            A::Text("ghcr.io"),
            A::Text(""),
            A::Text("ci"),
            A::Pass("wrong"),
            A::No,
            A::Pick("Change the credentials"),
            A::Text(""),
            A::Pass("right"),
            A::No,
            A::Yes,
        ],
    );
    // The registry list and the AWS profiles.
    ctrl_c_everywhere(
        "rotate aws",
        || Env::new(TWO),
        false,
        &[
            A::Pick("Rotate"),
            A::Pick("aws"),
            A::Pick("ci-pull"),
            A::Yes,
        ],
    );
    // The secret's deletion and the commit of a removal.
    ctrl_c_everywhere(
        "remove with its secret",
        || {
            let env = env_in_repo(TWO);
            store(&env, "ghcr_creds", b"ci-bot:tok");
            env
        },
        false,
        &[
            A::Pick("Remove"),
            A::Pick("ghcr.io"),
            A::Yes, // its secret too
            A::Yes, // commit
            A::Yes,
        ],
    );
    // The key file's path.
    let key = leak(&fixture("sa-key.json"));
    ctrl_c_everywhere(
        "add gar",
        || Env::new(BASE),
        false,
        &[
            A::Pick("Add"),
            A::Pick("Google"),
            A::Text(""),
            A::Text(""),
            A::Pick("existing service-account JSON key file"),
            A::Text(key),
            A::Yes,
        ],
    );
}

#[test]
fn declining_at_review_changes_nothing() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok"),
        A::No, // not remembered in the keyring
        A::No,
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert_eq!(exit_code(&r), 1);
    assert_eq!(message(&r), "not applied: nothing was changed");
    assert_eq!(
        fake.asked.last().map(String::as_str),
        Some("? Apply this plan? [default: false]")
    );
    assert!(fake.said().contains("Plan: add generic ghcr.io"));
    assert_eq!(env.config(), BASE);
    assert!(env.no_secrets());
}

#[test]
fn no_at_apply_gives_not_applied_in_every_flow() {
    // Rotate: the old secret stays as it was.
    let env = Env::new(TWO);
    store(&env, "ghcr_creds", b"ci-bot:old");
    let (r, fake) = env.run(vec![
        A::Pick("Rotate"),
        A::Pick("ghcr.io"),
        A::Text("ci-bot"),
        A::Pass("new"),
        A::No,
        A::No,
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert_eq!(exit_code(&r), 1);
    assert_eq!(env.config(), TWO);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:old");

    // Remove with its secret, committed: neither the file, the secret nor git changes.
    let env = env_in_repo(TWO);
    store(&env, "ghcr_creds", b"ci-bot:tok");
    let (r, fake) = env.run(vec![
        A::Pick("Remove"),
        A::Pick("ghcr.io"),
        A::Yes, // its secret too
        A::Yes, // commit
        A::No,  // not applied
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert_eq!(exit_code(&r), 1);
    assert_eq!(message(&r), "not applied: nothing was changed");
    assert_eq!(env.config(), TWO);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:tok");
    assert_eq!(git(env.dir.path(), &["log", "--format=%s"]), "init");
    assert_eq!(
        git(
            env.dir.path(),
            &["status", "--porcelain", "--untracked-files=no"]
        ),
        ""
    );

    // Add aws: no secret stored.
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("AWS"),
        A::Text(AWS1),
        A::Text(""),
        A::Text(""),
        A::Pick("ci-pull"),
        A::No,
    ]);
    fake.done();
    assert_eq!(exit_code(&r), 1);
    assert_eq!(env.config(), BASE);
    assert!(env.no_secrets());
}

#[test]
fn the_overview_shows_each_secret_present_or_missing() {
    let config = format!(
        "container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  \
         aws_creds_secret_name: aws_creds\n- type: generic\n  url: ghcr.io\n  \
         generic_secret_name: ghcr_creds\n"
    );
    let env = Env::new(&config);
    store(&env, "aws_creds", b"x");
    let (r, fake) = env.run(vec![A::Pick("Quit")]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    assert_eq!(exit_code(&r), 0);
    let said = fake.said();
    assert!(said.contains("Factory: acme (from --factory)"), "{said}");
    assert!(said.contains("2 container registries configured"), "{said}");
    assert!(
        said.contains(&format!("- line 2: aws {AWS1}, secret aws_creds: present")),
        "{said}"
    );
    assert!(
        said.contains("- line 6: generic ghcr.io, secret ghcr_creds: MISSING"),
        "{said}"
    );
    assert_eq!(env.config(), config);
}

#[test]
fn without_fioctl_secrets_are_unknown_and_applying_is_refused() {
    let config =
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: g\n";
    let mut env = Env::new(config);
    env.session.store = Err("fioctl was not found: not on PATH".into());
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("docker.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok"),
        A::No, // not remembered in the keyring
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert_eq!(exit_code(&r), 1);
    let said = fake.said();
    assert!(said.contains("secret g: unknown"), "{said}");
    assert!(
        said.contains("Secrets were not checked: fioctl was not found"),
        "{said}"
    );
    assert!(
        said.contains("Applying is impossible: fioctl was not found"),
        "{said}"
    );
    assert!(!fake.asked.iter().any(|q| q.contains("Apply this plan?")));
    assert_eq!(env.config(), config);
    assert!(env.no_secrets());
}

#[test]
fn a_broken_config_is_reported_before_any_question() {
    let env = Env::new("container_registries:\n- type: aws\n  url: [unclosed\n");
    let (r, fake) = env.run(vec![]);
    assert_eq!(exit_code(&r), 1);
    assert!(r.is_err());
    assert!(fake.asked.is_empty());
    assert!(
        fake.said().contains("factory-config.yml:"),
        "{}",
        fake.said()
    );
}

struct FailingStore;

impl SecretStore for FailingStore {
    fn update(&self, _: &[(&str, &Secret)]) -> Result<(), FioctlError> {
        Err(FioctlError::Failed {
            command: "fioctl secrets update ghcr_creds==<file>".into(),
            error_line: "ERROR: HTTP 403".into(),
            status: Some(1),
        })
    }
    fn list(&self) -> Result<Vec<String>, FioctlError> {
        Ok(Vec::new())
    }
    fn delete(&self, _: &[&str]) -> Result<(), FioctlError> {
        Ok(())
    }
}

#[test]
fn a_failing_fioctl_is_reported_and_the_config_is_untouched() {
    let mut env = Env::new(BASE);
    env.session.store = Ok(Arc::new(FailingStore));
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok-403-s3cret"),
        A::No, // not remembered in the keyring
        A::Yes,
    ]);
    fake.done();
    assert_eq!(exit_code(&r), 1);
    let msg = message(&r);
    assert!(r.is_err(), "{r:?}");
    assert!(msg.contains("ERROR: HTTP 403"), "{msg}");
    assert!(msg.contains("the secret was not stored"), "{msg}");
    let said = fake.said();
    assert!(
        said.contains("Storing the secret ghcr_creds in factory acme ... \nfailed"),
        "{said}"
    );
    assert!(!said.contains("tok-403-s3cret"), "{said}");
    assert_eq!(env.config(), BASE);
}

#[test]
fn password_answers_stay_secret_strings() {
    // The fake hands out SecretString like the real prompter; Debug never shows it.
    let s = SecretString::from("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
    assert_eq!(s.expose_secret(), "hunter2");
}

// ---- rotate, remove, commit, the OS keyring, settings ----------------------------------

const TWO: &str = "# acme\ncontainer_registries:\n- type: aws\n  region: us-east-2\n  url: 123456789012.dkr.ecr.us-east-2.amazonaws.com\n  aws_creds_secret_name: aws_creds\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n- type: quay\n  url: quay.io\n";

fn store(env: &Env, name: &str, value: &[u8]) {
    FolderStore {
        dir: env.dir.path().join("secrets"),
    }
    .update(&[(name, &Secret::new(value.to_vec(), "old"))])
    .unwrap();
}

#[test]
fn the_overview_shows_the_checks_findings() {
    let env = Env::new(TWO);
    let (r, fake) = env.run(vec![A::Pick("Quit")]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    let said = fake.said();
    assert!(said.contains("Check: 3 errors, 1 warning:"), "{said}");
    assert!(
        said.contains("factory-config.yml:10: error: type `quay` is not one CI knows"),
        "{said}"
    );
    assert!(
        said.contains("  fix: use one of aws, azure, gar, generic"),
        "{said}"
    );
    assert!(
        said.contains("secret `aws_creds` does not exist in the factory"),
        "{said}"
    );
    assert!(said.contains(": warning: "), "{said}");
}

#[test]
fn rotate_stores_new_credentials_and_leaves_the_config_byte_identical() {
    let env = Env::new(TWO);
    store(&env, "ghcr_creds", b"ci-bot:old-token");
    let (r, fake) = env.run(vec![
        A::Pick("Rotate"),
        A::Pick("quay"),
        A::Pick("ghcr.io"),
        A::Text("ci-bot"),
        A::Pass("new-token"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert_eq!(env.config(), TWO);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:new-token");
    let said = fake.said();
    assert!(said.contains("Not available: quay quay.io"), "{said}");
    assert!(said.contains("which CI does not support"), "{said}");
    assert!(
        said.contains("Plan: rotate generic ghcr.io (new credentials for the entry at "),
        "{said}"
    );
    assert!(
        said.contains("factory-config.yml:7; the file is not changed)"),
        "{said}"
    );
    assert!(said.contains("secrets update ghcr_creds="), "{said}");
    assert!(
        said.contains(
            "factory-config.yml is unchanged (byte-identical): CI's next build logs in with the \
             new credentials."
        ),
        "{said}"
    );
    assert!(
        said.contains("--factory acme rotate ghcr_creds --username ci-bot --password-stdin"),
        "{said}"
    );
    assert!(!said.contains("new-token"), "{said}");
    assert_eq!(report.advice, None, "no device advice for a rotation");
    assert!(!said.contains("Devices:"), "{said}");
}

#[test]
fn rotate_aws_asks_for_a_profile_and_goes_back_to_the_list() {
    let env = Env::new(TWO);
    let (r, fake) = env.run(vec![
        A::Pick("Rotate"),
        A::Pick("aws"),
        A::Back, // profile -> the registry list
        A::Pick("aws"),
        A::Pick("ci-pull"),
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.config(), TWO);
    assert!(
        String::from_utf8(env.secret("aws_creds").unwrap())
            .unwrap()
            .contains("AKIACIPULL0000000002")
    );
    assert_eq!(fake.asked_count("Which registry gets new credentials?"), 2);
    assert!(fake.said().contains("rotate aws_creds --profile ci-pull"));
}

#[test]
fn remove_with_its_secret_deletes_both() {
    let env = Env::new(TWO);
    store(&env, "ghcr_creds", b"ci-bot:tok");
    let (r, fake) = env.run(vec![
        A::Pick("Remove"),
        A::Pick("ghcr.io"),
        A::Back, // its secret -> the registry list
        A::Pick("ghcr.io"),
        A::Yes, // also delete its secret
        A::Yes, // apply
    ]);
    fake.done();
    applied(r, &fake);
    assert!(!env.config().contains("ghcr"), "{}", env.config());
    assert!(
        env.config()
            .contains("aws_creds_secret_name: aws_creds\n- type: quay")
    );
    assert_eq!(env.secret("ghcr_creds"), None);
    assert_eq!(fake.asked_count("Which registry should be removed?"), 2);
    let said = fake.said();
    assert!(said.contains("-- type: generic  # GitHub"), "{said}");
    assert!(
        said.contains("fioctl --factory acme secrets update ghcr_creds="),
        "{said}"
    );
    assert!(
        said.contains("Deleting the secret ghcr_creds from factory acme ... "),
        "{said}"
    );
    assert!(
        said.contains("✓ Deleted the secret ghcr_creds from factory acme."),
        "{said}"
    );
    assert!(
        said.contains("--factory acme remove ghcr_creds --delete-secret"),
        "{said}"
    );
    assert_eq!(
        fake.asked
            .iter()
            .filter(|q| q.contains("delete its secret"))
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["? Also delete its secret ghcr_creds from factory acme? [default: false]"; 2]
    );
}

#[test]
fn remove_refuses_to_delete_a_shared_secret_and_keeps_it_without_fioctl() {
    let config = "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: shared\n- type: generic\n  url: docker.io\n  generic_secret_name: shared\n";
    let mut env = Env::new(config);
    store(&env, "shared", b"ci:tok");
    // Keeping the secret needs no fioctl, as `fioreg remove` does.
    env.session.store = Err("fioctl was not found: not on PATH".into());
    let (r, fake) = env.run(vec![
        A::Pick("Remove"),
        A::Pick("docker.io"),
        A::Yes, // refused: the list again
        A::Pick("docker.io"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    let said = fake.said();
    assert!(
        said.contains("✗ the secret `shared` is also used by"),
        "{said}"
    );
    assert!(
        said.contains("The secret shared stays in factory acme."),
        "{said}"
    );
    assert!(
        report
            .text()
            .contains("The secret shared stays in factory acme.")
    );
    assert_eq!(
        env.config(),
        "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: shared\n"
    );
    assert_eq!(env.secret("shared").unwrap(), b"ci:tok");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// An Env whose config is committed in a fresh git repository (branch main).
fn env_in_repo(config: &str) -> Env {
    let env = Env::new(config);
    let d = env.dir.path();
    git(d, &["init", "--quiet", "-b", "main"]);
    git(d, &["config", "user.email", "t@example.com"]);
    git(d, &["config", "user.name", "T"]);
    std::fs::write(d.join("other.txt"), "x\n").unwrap();
    git(d, &["add", "factory-config.yml", "other.txt"]);
    git(d, &["commit", "--quiet", "-m", "init"]);
    env
}

#[test]
fn commit_offered_in_a_checkout_commits_only_the_config() {
    let env = env_in_repo(BASE);
    std::fs::write(env.dir.path().join("other.txt"), "changed\n").unwrap();
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok"),
        A::No,
        A::Yes, // commit
        A::Yes, // apply
    ]);
    fake.done();
    applied(r, &fake);
    let d = env.dir.path();
    assert_eq!(
        git(d, &["log", "-1", "--format=%s"]),
        "container_registries: add generic ghcr.io"
    );
    assert_eq!(
        git(d, &["show", "--name-only", "--format=", "HEAD"]),
        "factory-config.yml"
    );
    assert_eq!(
        git(d, &["status", "--porcelain", "--untracked-files=no"]),
        " M other.txt"
    );
    let said = fake.said();
    assert!(said.contains("Committing "), "{said}");
    assert!(said.contains("✓ Committed "), "{said}");
    assert!(
        said.contains(" on main: \"container_registries: add generic ghcr.io\"."),
        "{said}"
    );
    assert!(
        said.contains("add generic --url ghcr.io --username ci --password-stdin --commit"),
        "{said}"
    );
    assert!(fake.was_asked("? Commit factory-config.yml on main after applying? [default: false]"));
}

#[test]
fn a_refused_commit_is_shown_and_asked_again() {
    let env = env_in_repo(TWO);
    // Uncommitted changes of the user's own: the core refuses to commit.
    let dirty = format!("{TWO}# local note\n");
    std::fs::write(&env.session.config_path, &dirty).unwrap();
    let (r, fake) = env.run(vec![
        A::Pick("Remove"),
        A::Pick("quay"),
        A::Yes, // commit: refused
        A::No,  // then without
        A::Yes, // apply
    ]);
    fake.done();
    applied(r, &fake);
    let said = fake.said();
    assert!(said.contains("already has uncommitted changes"), "{said}");
    assert_eq!(fake.asked_count("after applying?"), 2);
    assert!(!env.config().contains("quay"));
    assert!(env.config().contains("# local note"));
    assert_eq!(git(env.dir.path(), &["log", "--format=%s"]), "init");
    // A removal without a secret name asks nothing about a secret.
    assert_eq!(fake.asked_count("delete its secret"), 0);
}

#[test]
fn remember_keeps_the_token_and_the_next_run_offers_it() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("tok-1"),
        A::Yes, // remember
        A::No,  // do not apply: the token is kept anyway
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::NotApplied(_))), "{r:?}");
    assert_eq!(exit_code(&r), 1);
    let kept = env.session.keys.get("ghcr.io").unwrap().unwrap();
    assert_eq!(kept.expose_secret(), "tok-1");
    assert!(fake.was_asked(&format!(
        "? Remember the token in the OS keyring ({KEYS}) for ghcr.io? [default: false]"
    )));
    assert!(env.no_secrets());
    // The next run: the kept token is offered (default yes), never asked or shown.
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Yes, // use the remembered token
        A::Yes, // apply
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:tok-1");
    assert_eq!(fake.asked_count("Token (hidden"), 0);
    assert!(fake.was_asked(&format!(
        "? Use the remembered token for ghcr.io ({KEYS})? [default: true]"
    )));
    let said = fake.said();
    assert!(said.contains("--username ci-bot --from-keyring"), "{said}");
    assert!(!said.contains("tok-1"), "{said}");
}

#[test]
fn declining_the_remembered_token_asks_for_one() {
    let env = Env::new(TWO);
    env.session
        .keys
        .set("ghcr.io", &SecretString::from("kept"))
        .unwrap();
    let (r, fake) = env.run(vec![
        A::Pick("Rotate"),
        A::Pick("ghcr.io"),
        A::Text("ci-bot"),
        A::Back, // the remembered token -> the user name
        A::Text(""),
        A::No,
        A::Pass("typed"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:typed");
    assert_eq!(fake.asked_count("? User name [default: ci-bot]"), 1);
    assert_eq!(
        fake.asked_count(&format!(
            "? Use the remembered token for ghcr.io ({KEYS})? [default: true]"
        )),
        2
    );
    assert_eq!(fake.asked_count("Token (hidden"), 1);
    assert!(!fake.said().contains("--from-keyring"));
}

/// A key store that refuses, like a sandboxed kernel keyring.
struct Refusing;

impl crate::keystore::KeyStore for Refusing {
    fn get(&self, _: &str) -> Result<Option<SecretString>, crate::keystore::KeyStoreError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &SecretString) -> Result<(), crate::keystore::KeyStoreError> {
        Err(self.refusal())
    }
    fn delete(&self, _: &str) -> Result<bool, crate::keystore::KeyStoreError> {
        Ok(false)
    }
    fn describe(&self) -> &'static str {
        "the test keyring"
    }
    fn check(&self) -> Result<(), crate::keystore::KeyStoreError> {
        Err(self.refusal())
    }
}

impl Refusing {
    fn refusal(&self) -> crate::keystore::KeyStoreError {
        crate::keystore::KeyStoreError::Unavailable {
            store: "the test keyring",
            reason: "access denied (EACCES)".into(),
        }
    }
}

#[test]
fn a_refusing_keyring_is_reported_and_the_question_asked_again() {
    let mut env = Env::new(BASE);
    env.session.keys = Arc::new(Refusing);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Azure"),
        A::Text("acmeprod.azurecr.io"),
        A::Text(""),
        A::Pick("Use an existing"),
        A::Text("id-1"),
        A::Pass("pw"),
        A::Yes, // refused: the credentials are asked again
        A::Text(""),
        A::Pass("pw"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    let said = fake.said();
    assert!(
        said.contains("✗ the test keyring is unavailable: access denied (EACCES)"),
        "{said}"
    );
    assert_eq!(
        fake.asked_count(
            "Remember the service principal password in the OS keyring (the test keyring) for \
             acmeprod.azurecr.io?"
        ),
        2
    );
    // Nothing reached the review before the refusal.
    assert_eq!(said.matches("Plan: add azure").count(), 1, "{said}");
    assert_eq!(env.secret("azprincipal").unwrap(), b"id-1:pw");
}

#[test]
fn a_successful_add_records_the_settings_never_a_secret() {
    let mut env = Env::new(BASE);
    let path = env.dir.path().join("settings/config.toml");
    env.session.settings = Some(path.clone());
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok-s3cret"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    let saved = crate::settings::Settings::load(&path).unwrap();
    // The one setting: the factory's config path, for the next run without --config.
    assert_eq!(
        saved.get("factories.acme.config").as_deref(),
        env.session.config_path.to_str()
    );
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("tok-s3cret")
    );
    // An unreadable settings file only warns: the change itself is done.
    std::fs::write(&path, "not [toml").unwrap();
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("docker.io"),
        A::Text(""),
        A::Text("ci"),
        A::Pass("tok"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert!(
        fake.said().contains("! The settings were not saved:"),
        "{}",
        fake.said()
    );
    assert!(report.text().contains("The settings were not saved:"));
}

#[test]
fn updating_a_configured_url_keeps_its_secret_name() {
    // A generic entry under its own secret name: nothing else changes, so the file stays
    // byte-identical and the secret goes under the entry's name.
    let config = "# acme\ncontainer_registries:\n- type: generic  # GitHub\n  url: ghcr.io\n  generic_secret_name: github_pull\n";
    let env = Env::new(config);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""), // the entry's own name is the default
        A::Text("ci"),
        A::Pass("tok"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert!(fake.was_asked("? Secret name [default: github_pull]"));
    assert_eq!(env.config(), config);
    assert_eq!(
        env.secrets(),
        vec![("github_pull".to_string(), b"ci:tok".to_vec())]
    );
    let said = fake.said();
    assert!(
        said.contains("Plan: update generic ghcr.io (the existing entry at "),
        "{said}"
    );
    assert!(said.contains("secrets update github_pull="), "{said}");
    assert!(
        report
            .text()
            .contains("already held this entry: unchanged."),
        "{}",
        report.text()
    );
    assert!(!said.contains("--secret-name"), "{said}");

    // An aws entry without its region line: the update adds the region and changes nothing
    // else; the secret keeps the entry's name, not the default `aws_creds`.
    let config = format!(
        "# acme\ncontainer_registries:\n- type: aws  # prod\n  url: {AWS1}\n  \
         aws_creds_secret_name: prod_pull\n- type: generic\n  url: ghcr.io\n  \
         generic_secret_name: ghcr_creds\n"
    );
    let env = Env::new(&config);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("AWS"),
        A::Text(AWS1),
        A::Text(""),
        A::Text(""),
        A::Pick("ci-pull"),
        A::Yes,
    ]);
    fake.done();
    let report = applied(r, &fake);
    assert!(fake.was_asked("? Secret name [default: prod_pull]"));
    let written = env.config();
    assert_ne!(written, config);
    assert_eq!(
        written.replacen("  region: us-east-2\n", "", 1),
        config,
        "only the region line is new:\n{written}"
    );
    let secrets = env.secrets();
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    assert_eq!(secrets[0].0, "prod_pull");
    assert!(
        String::from_utf8_lossy(&secrets[0].1).contains("AKIACIPULL0000000002"),
        "{secrets:?}"
    );
    assert!(fake.said().contains("Plan: update aws"), "{}", fake.said());
    assert!(
        report
            .text()
            .contains("Stored the secret prod_pull in factory acme.")
    );
}

/// The login test without a network: `down.example.com` cannot be reached; a password
/// `wrong` is rejected, `nopull` may not pull; anything else is accepted.
fn fake_verify(
    _: crate::provider::Provider,
    url: Option<&str>,
    _: Option<&str>,
    secret: &Secret,
    _: &crate::verify::VerifyOptions,
) -> Result<crate::verify::Outcome, crate::verify::VerifyError> {
    use crate::verify::{Outcome, VerifyError};
    let url = url.unwrap_or_default();
    let secret = secret.expose();
    if url == "down.example.com" {
        Err(VerifyError::Unreachable {
            url: format!("https://{url}/v2/"),
            reason: "connection refused".into(),
        })
    } else if secret.ends_with(b":wrong") {
        Err(VerifyError::Rejected {
            registry: url.into(),
            status: 401,
        })
    } else if secret.ends_with(b":nopull") {
        Ok(Outcome::ValidNoPull {
            repository: "team/app".into(),
        })
    } else {
        Ok(Outcome::Valid)
    }
}

/// Where `needle` was said first (panics when it was not).
fn said_at(fake: &Fake, needle: &str) -> usize {
    fake.said
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} was not said:\n{}", fake.said()))
}

#[test]
fn an_accepted_login_is_one_line_before_the_plan() {
    let mut env = Env::new(BASE);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("right"),
        A::No, // not remembered in the keyring
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:right");
    let testing = said_at(&fake, "Testing the login to ghcr.io ... ");
    assert_eq!(fake.said[testing + 1], "✓ accepted");
    assert!(testing < said_at(&fake, "Plan: add generic ghcr.io"));
    assert!(!fake.said().contains("skipped"), "{}", fake.said());
}

#[test]
fn a_rejected_login_goes_back_to_the_credentials_and_stores_nothing_until_fixed() {
    let mut env = Env::new(BASE);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("wrong"),
        A::No,
        A::Pick("Test again"),
        A::Pick("Change the credentials"),
        A::Text(""), // the user name kept
        A::Pass("nopull"),
        A::No,
        A::Back, // Esc: the credentials again too
        A::Text(""),
        A::Pass("right"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.secret("ghcr_creds").unwrap(), b"ci-bot:right");
    let said = fake.said();
    assert_eq!(
        said.matches("✗ the registry ghcr.io rejected these credentials (HTTP 401)")
            .count(),
        2,
        "tested again: {said}"
    );
    assert!(
        said.contains("✗ valid login, but no pull permission on team/app; CI could not pull"),
        "{said}"
    );
    assert!(said.contains("Nothing was stored."), "{said}");
    assert_eq!(fake.asked_count("? User name [default: ci-bot]"), 2);
    assert_eq!(fake.asked_count("? What now?"), 3);
    assert_eq!(said.matches("Plan: add generic").count(), 1, "{said}");
    assert!(
        !said.contains("wrong") && !said.contains("nopull:"),
        "{said}"
    );
}

#[test]
fn quitting_after_a_failed_login_changes_nothing() {
    let mut env = Env::new(BASE);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("wrong"),
        A::No,
        A::Pick("Quit"),
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    assert_eq!(exit_code(&r), 0);
    assert_eq!(message(&r), "nothing was changed");
    assert!(env.no_secrets());
    assert_eq!(env.config(), BASE);
    assert!(!fake.said().contains("Plan:"), "{}", fake.said());
}

#[test]
fn an_unreachable_registry_is_stored_only_when_the_user_says_so() {
    let mut env = Env::new(BASE);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("down.example.com"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("tok"),
        A::No,
        A::No, // not stored anyway
        A::Pick("Test again"),
        A::Yes, // stored anyway
        A::Yes, // apply
    ]);
    fake.done();
    applied(r, &fake);
    assert_eq!(env.secret("down_example_creds").unwrap(), b"ci-bot:tok");
    let said = fake.said();
    assert_eq!(
        said.matches("✗ cannot reach https://down.example.com/v2/: connection refused")
            .count(),
        2,
        "{said}"
    );
    assert!(
        said.contains("The credentials could not be tested."),
        "{said}"
    );
    assert_eq!(
        fake.asked_count("Store them anyway? [default: false]"),
        2,
        "{:?}",
        fake.asked
    );

    // No, then quit: nothing stored; Esc on the question goes back to the credentials.
    let mut env = Env::new(BASE);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("down.example.com"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("tok"),
        A::No,
        A::Back,
        A::Text(""),
        A::Pass("tok"),
        A::No,
        A::No,
        A::Pick("Quit"),
    ]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    assert_eq!(fake.asked_count("? User name [default: ci-bot]"), 1);
    assert!(env.no_secrets());
    assert_eq!(env.config(), BASE);
}

#[test]
fn rotate_tests_the_entrys_registry_and_a_skipped_test_is_said() {
    let mut env = Env::new(TWO);
    let (r, fake) = env.run_verified(vec![
        A::Pick("Rotate"),
        A::Pick("ghcr.io"),
        A::Text("ci-bot"),
        A::Pass("wrong"),
        A::No,
        A::Pick("Quit"),
    ]);
    fake.done();
    assert_eq!(exit_code(&r), 0);
    assert!(env.no_secrets());
    assert_eq!(env.config(), TWO);
    assert!(fake.said().contains("Testing the login to ghcr.io ... "));

    // Without options (--no-verify): said once, and the plan follows.
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add"),
        A::Pick("Generic"),
        A::Text("ghcr.io"),
        A::Text(""),
        A::Text("ci-bot"),
        A::Pass("wrong"),
        A::No,
        A::Yes,
    ]);
    fake.done();
    applied(r, &fake);
    let said = fake.said();
    assert_eq!(
        said.matches("Login test skipped (--no-verify).").count(),
        1,
        "{said}"
    );
    assert!(
        said_at(&fake, "Login test skipped") < said_at(&fake, "Plan: add generic"),
        "{said}"
    );
    assert!(!said.contains("Testing the login"), "{said}");
}

#[test]
fn aws_offers_a_new_iam_user_whose_questions_go_back_to_the_profiles() {
    let env = Env::new(BASE);
    let (r, fake) = env.run(vec![
        A::Pick("Add a registry"),
        A::Pick("AWS"),
        A::Text(AWS1),
        A::Text(""),
        A::Text(""),
        A::Pick("Create a new pull-only IAM user with my aws login"),
        // The name, then Esc at the admin profile: back to the name, shown as typed; then the
        // same once more, and Esc at the name: back to the profiles; one is chosen instead.
        A::Text("ci-puller"),
        A::Back,
        A::Text(""),
        A::Back,
        A::Back,
        A::Pick("ci-pull"),
        A::Yes,
    ]);
    fake.done();
    let profiles = fake
        .asked
        .iter()
        .find(|q| q.contains("Which AWS profile should CI use?"))
        .unwrap();
    assert!(
        profiles.ends_with("| Create a new pull-only IAM user with my aws login}"),
        "the last option: {profiles}"
    );
    // The default name is fioreg-<factory>-pull; the typed one is offered when asked again.
    assert!(
        fake.was_asked("? Name of the new IAM user [default: fioreg-acme-pull]"),
        "{:#?}",
        fake.asked
    );
    assert!(
        fake.was_asked("? Name of the new IAM user [default: ci-puller]"),
        "{:#?}",
        fake.asked
    );
    assert_eq!(
        fake.asked_count("? Your admin AWS profile that creates it"),
        2
    );
    assert_eq!(fake.asked_count("? Name of the new IAM user"), 3);
    assert_eq!(fake.asked_count("Which AWS profile should CI use?"), 2);
    // Nothing was asked of AWS: the profile's plan was applied as usual.
    assert!(!fake.said().contains("Asking AWS"), "{}", fake.said());
    let report = applied(r, &fake);
    assert!(
        !report.text().contains("Created for CI"),
        "{}",
        report.text()
    );
    let stored = String::from_utf8(env.secret("aws_creds").unwrap()).unwrap();
    assert!(stored.contains("AKIACIPULL0000000002"), "{stored}");
}

#[test]
fn rotating_an_aws_entry_offers_no_new_iam_user() {
    let env = Env::new(&format!(
        "{BASE}container_registries:\n- type: aws\n  region: us-east-2\n  url: {AWS1}\n  \
         aws_creds_secret_name: aws_creds\n"
    ));
    let (_r, fake) = env.run(vec![A::Pick("Rotate"), A::Pick("aws"), A::Interrupt]);
    let profiles = fake
        .asked
        .iter()
        .find(|q| q.contains("Which AWS profile should CI use?"))
        .expect("profiles asked");
    assert!(!profiles.contains("Create a new"), "{profiles}");
}

#[test]
fn the_remembered_factories_are_shown_side_by_side_before_the_first_question() {
    use std::os::unix::fs::PermissionsExt;
    let mut env = Env::new(BASE);
    let root = env.dir.path().to_path_buf();
    let write = |name: &str, text: &str| {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    };
    let ghcr = "- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";
    let hub = "- type: generic\n  url: hub.example.com\n  generic_secret_name: hub_creds\n";
    let acme = write(
        "acme/factory-config.yml",
        &format!("container_registries:\n{ghcr}"),
    );
    let beta = write(
        "beta/factory-config.yml",
        &format!("container_registries:\n{ghcr}{hub}"),
    );
    // The fioctl stand-in, with each factory's secrets in its state folder.
    write("stub/factories/acme/secrets/ghcr_creds", "ci:t");
    write("stub/factories/beta/secrets/hub_creds", "ci:t");
    let stub = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fioctl");
    let fioctl = write(
        "bin/fioctl",
        &format!(
            "#!/bin/sh\nFIOCTL_STUB_DIR='{}' exec '{stub}' \"$@\"\n",
            root.join("stub").display()
        ),
    );
    std::fs::set_permissions(&fioctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let settings = root.join("config.toml");
    let tools = crate::fleet::Tools {
        fioctl: Some(fioctl),
        timeout: std::time::Duration::from_secs(10),
        jobs: 4,
    };

    // One remembered factory: no overview at all.
    std::fs::write(
        &settings,
        format!("[factories.acme]\nconfig = \"{}\"\n", acme.display()),
    )
    .unwrap();
    assert_eq!(
        crate::fleet::matrix::FleetSource::when_several(Some(settings.clone()), tools.clone()),
        None
    );
    let (_, fake) = env.run(vec![A::Back]);
    assert!(
        !fake.said().contains("Remembered factories"),
        "{}",
        fake.said()
    );

    std::fs::write(
        &settings,
        format!(
            "[factories.acme]\nconfig = \"{}\"\n[factories.beta]\nconfig = \"{}\"\n",
            acme.display(),
            beta.display()
        ),
    )
    .unwrap();
    env.session.fleet = crate::fleet::matrix::FleetSource::when_several(Some(settings), tools);
    assert!(env.session.fleet.is_some());
    let (r, fake) = env.run(vec![A::Back]);
    fake.done();
    assert!(matches!(r, Ok(Outcome::Quit)), "{r:?}");
    let said = fake.said();
    let expected = "\
Remembered factories (✓ secret present, ✗ secret MISSING, · no entry, ? unknown)
registry        acme beta
ghcr.io         ✓    ✗
hub.example.com ·    ✓
! acme lacks hub.example.com; beta's secret ghcr_creds is MISSING";
    assert!(said.contains(expected), "{said}");
    // Shown before the first question, and the questions are those of one factory.
    assert_eq!(fake.asked_count("What do you want to do?"), 1);
    assert_eq!(env.config(), BASE);
    assert!(env.no_secrets());
}

#[test]
fn gar_offers_a_new_service_account_whose_questions_go_back_to_the_choice() {
    let env = Env::new(BASE);
    let key = leak(&fixture("sa-key.json"));
    let (r, fake) = env.run(vec![
        A::Pick("Add a registry"),
        A::Pick("Google"),
        A::Text("europe-west1-docker.pkg.dev"),
        A::Text(""),
        A::Pick("Create a new pull-only service account with my gcloud login"),
        // The name and the project, then Esc at the location: back to the project, shown as
        // typed; then Esc twice: back to the name, back to the choice; a key file instead.
        A::Text("ci-puller"),
        A::Text("acme-prod-1"),
        A::Back,
        A::Back,
        A::Back,
        A::Pick("existing service-account JSON key file"),
        // Esc at the path: back to the choice too.
        A::Back,
        A::Pick("existing service-account JSON key file"),
        A::Text(key),
        A::Yes,
    ]);
    fake.done();
    // The default name is fioreg-<factory>-pull and the location the host's; typed answers are
    // offered when asked again.
    for asked in [
        "? Name of the new service account [default: fioreg-acme-pull]",
        "? Name of the new service account [default: ci-puller]",
        "? The repository's location [default: europe-west1]",
        "? Its Google Cloud project (the repository's) [default: acme-prod-1]",
    ] {
        assert!(fake.was_asked(asked), "{asked}: {:#?}", fake.asked);
    }
    assert_eq!(fake.asked_count("? Name of the new service account"), 2);
    assert_eq!(fake.asked_count("How does CI get its Google Cloud key?"), 3);
    assert_eq!(
        fake.asked_count("Path to the service-account JSON key file"),
        2
    );
    // Nothing was asked of Google Cloud: the key file's plan was applied as usual.
    assert!(
        !fake.said().contains("Asking Google Cloud"),
        "{}",
        fake.said()
    );
    let report = applied(r, &fake);
    assert!(
        !report.text().contains("Created for CI"),
        "{}",
        report.text()
    );
    assert_eq!(
        env.secret("gcp_creds").unwrap(),
        std::fs::read(fixture("sa-key.json")).unwrap()
    );
}

#[test]
fn rotating_a_gar_entry_offers_no_new_service_account() {
    let env = Env::new(&format!(
        "{BASE}container_registries:\n- type: gar\n  url: europe-west1-docker.pkg.dev\n  \
         gar_creds_secret_name: gcp_creds\n"
    ));
    let (_r, fake) = env.run(vec![A::Pick("Rotate"), A::Pick("gar"), A::Interrupt]);
    assert!(
        fake.was_asked("? Path to the service-account JSON key file"),
        "{:#?}",
        fake.asked
    );
    assert!(
        !fake.was_asked("How does CI get its Google Cloud key?"),
        "{:#?}",
        fake.asked
    );
}
