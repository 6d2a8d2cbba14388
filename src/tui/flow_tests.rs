//! Every transition of `update`, back navigation and validation included.

use super::*;
use crate::credentials::aws::ProfileInfo;
use crate::plan::CredentialInput;
use crate::plan::{Action as PlanAction, Applied, Progress, SecretOp};
use crate::provider::Provider;
use crate::tui::testing::*;
use crate::verify::{Outcome, VerifyError};
use crate::wizard::state::*;
use crate::wizard::update::NewIdentity;
use crate::wizard::{Action as A, Effect, Input, init};
use ratatui::crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use std::path::PathBuf;

fn profile(name: &str, keys: bool, token: bool) -> ProfileInfo {
    ProfileInfo {
        name: name.into(),
        access_key_id_masked: keys.then(|| "AKIA••••0001".into()),
        has_keys: keys,
        session_token: token,
        looks_personal: name == "default",
    }
}

#[test]
fn remembered_factories_load_in_the_background_only_when_several() {
    use crate::wizard::state::Fleet;
    // One factory remembered: nothing to load, nothing shown, Start as it was.
    let mut s = state();
    assert!(matches!(
        crate::wizard::init_fleet(&mut s, false),
        Effect::None
    ));
    assert_eq!(s.fleet, Fleet::Off);
    assert!(crate::wizard::flow::fleet_lines(&s, 80).is_none());

    let mut s = state();
    update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
    assert!(!s.busy());
    assert!(matches!(
        crate::wizard::init_fleet(&mut s, true),
        Effect::LoadFleet
    ));
    assert_eq!(s.fleet, Fleet::Loading);
    assert!(s.busy(), "a spinner turns while the factories are read");
    assert!(matches!(
        update(&mut s, A::FleetLoaded(Ok(fleet_views()))),
        Effect::None
    ));
    assert!(!s.busy());
    let f = crate::wizard::flow::fleet_lines(&s, 80).unwrap();
    assert_eq!(
        f.table,
        [
            "registry                                     acme beta gamma",
            "123456789012.dkr.ecr.us-east-2.amazonaws.com ✓    ✓    ✓",
            "ghcr.io                                      ✓    ✗    ·",
        ]
    );
    assert_eq!(
        f.note,
        Some((
            crate::wizard::report::Mark::Warn,
            "beta's secret ghcr_creds is MISSING; gamma lacks ghcr.io".into()
        ))
    );
    // The Start items are those of one factory: the matrix only informs.
    assert_eq!(s.screen, Screen::Start);
    assert_eq!(s.start_cursor, 0);

    // Settings that cannot be read say why.
    let mut s = state();
    crate::wizard::init_fleet(&mut s, true);
    update(&mut s, A::FleetLoaded(Err("config.toml: bad TOML".into())));
    assert_eq!(s.fleet, Fleet::Failed("config.toml: bad TOML".into()));
    let f = crate::wizard::flow::fleet_lines(&s, 80).unwrap();
    assert!(f.note.unwrap().1.contains("bad TOML"));

    // A session that remembers fewer than two shows nothing even once loaded.
    let mut s = state();
    crate::wizard::init_fleet(&mut s, true);
    update(&mut s, A::FleetLoaded(Ok(fleet_views()[..1].to_vec())));
    assert!(crate::wizard::flow::fleet_lines(&s, 80).is_none());
}

#[test]
fn init_lists_secrets_only_when_there_is_something_to_check() {
    let s = state();
    assert_eq!(s.secrets, Secrets::Loading);
    assert!(matches!(init(&s), Effect::ListSecrets));

    let s = State::new(ctx(), Ok(config("lmp: {}\n")));
    assert_eq!(s.secrets, Secrets::NotNeeded);
    assert!(matches!(init(&s), Effect::None));

    let s = State::new(
        Context {
            store_error: Some("fioctl was not found".into()),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    assert_eq!(
        s.secrets,
        Secrets::Unavailable("fioctl was not found".into())
    );
    assert!(matches!(init(&s), Effect::None));

    let s = State::new(ctx(), Err("factory-config.yml:3:1: bad".into()));
    assert_eq!(s.secrets, Secrets::NotNeeded);
}

#[test]
fn secrets_listed_or_failed() {
    let mut s = state();
    update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
    assert_eq!(s.secrets, Secrets::Loaded(vec!["aws_creds".into()]));
    update(&mut s, A::SecretsListed(Err("not logged in".into())));
    assert_eq!(s.secrets, Secrets::Failed("not logged in".into()));
}

#[test]
fn ticks_and_resizes() {
    let mut s = state();
    update(&mut s, A::Tick);
    update(&mut s, A::Tick);
    assert_eq!(s.tick, 2);
    update(&mut s, A::Resize(40, 12));
    assert_eq!(s.size, (40, 12));
}

#[test]
fn start_moves_over_every_action_and_quits() {
    let mut s = state();
    let item = |s: &State| s.start_items()[s.start_cursor].clone();
    press(&mut s, KeyCode::Down);
    assert_eq!(item(&s), StartItem::Action(StartAction::Rotate));
    press(&mut s, KeyCode::Down);
    assert_eq!(item(&s), StartItem::Action(StartAction::Remove));
    // No containers.git checkout is known: it can be given, before Quit.
    press(&mut s, KeyCode::Down);
    assert_eq!(item(&s), StartItem::ScanContainers);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert_eq!(item(&s), StartItem::Action(StartAction::Quit));
    for _ in 0..4 {
        press(&mut s, KeyCode::Up);
    }
    assert_eq!(item(&s), StartItem::Action(StartAction::Add));
    press(&mut s, KeyCode::Up);
    assert_eq!(s.start_cursor, 0);
    for _ in 0..4 {
        press(&mut s, KeyCode::Char('j'));
    }
    press(&mut s, KeyCode::Enter);
    assert!(s.quit);

    for quit in [key(KeyCode::Char('q')), key(KeyCode::Esc), ctrl('c')] {
        let mut s = state();
        update(&mut s, quit);
        assert!(s.quit);
    }
}

#[test]
fn start_skips_rotate_and_remove_without_registries() {
    let mut s = State::new(ctx(), Ok(config("lmp: {}\n")));
    assert_eq!(
        StartAction::Rotate.disabled_reason(0),
        Some("no registry is configured yet")
    );
    press(&mut s, KeyCode::Down);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Quit);
    press(&mut s, KeyCode::Up);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Add);
}

#[test]
fn start_scrolls_up_past_the_first_action_on_a_short_screen() {
    let mut s = state();
    update(&mut s, A::Resize(40, 12));
    let limit = crate::tui::view::scroll_limit(&s);
    assert!(limit >= 2, "{limit}");
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::Up);
    assert_eq!((s.start_cursor, s.scroll), (0, 2));
    for _ in 0..50 {
        press(&mut s, KeyCode::Up);
    }
    assert_eq!(s.scroll, limit);
    for _ in 0..limit {
        press(&mut s, KeyCode::Down);
    }
    assert_eq!((s.start_cursor, s.scroll), (0, 0));
    press(&mut s, KeyCode::Down);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Rotate);
    // On a tall screen there is nothing above to show.
    let mut s = state();
    press(&mut s, KeyCode::Up);
    assert_eq!(s.scroll, 0);
}

#[test]
fn broken_config_allows_only_quitting() {
    let mut s = State::new(ctx(), Err("factory-config.yml:3:1: bad".into()));
    for code in [
        KeyCode::Enter,
        KeyCode::Down,
        KeyCode::Tab,
        KeyCode::Char('a'),
    ] {
        press(&mut s, code);
        assert_eq!(s.screen, Screen::Start);
        assert!(!s.quit);
    }
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn provider_moves_chooses_and_goes_back() {
    let mut s = state();
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Provider);
    press(&mut s, KeyCode::Up);
    assert_eq!(s.provider_cursor, 0);
    for _ in 0..5 {
        press(&mut s, KeyCode::Down);
    }
    assert_eq!(s.provider_cursor, 3);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Start);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.provider_cursor, 3, "the earlier choice is kept");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
    assert_eq!(s.registry.as_ref().unwrap().provider, Provider::Generic);
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn back_keeps_answers_and_another_provider_starts_afresh() {
    let mut s = state();
    to_registry(&mut s, 3);
    type_text(&mut s, "docker.io");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Provider);
    press(&mut s, KeyCode::Enter);
    let form = s.registry.as_ref().unwrap();
    assert_eq!(form.text(FieldKind::Url), "docker.io");
    assert_eq!(form.text(FieldKind::SecretName), "docker_creds");

    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::Enter);
    let form = s.registry.as_ref().unwrap();
    assert_eq!(form.provider, Provider::Gar);
    assert_eq!(form.text(FieldKind::Url), "");
}

#[test]
fn registry_fields_validate_as_typed_and_enter_waits_for_valid() {
    let mut s = state();
    to_registry(&mut s, 1); // azure
    type_text(&mut s, "acme prod.azurecr.io");
    let form = s.registry.as_ref().unwrap();
    assert!(
        form.shown_error(FieldKind::Url)
            .is_some_and(|e| e.contains("space"))
    );
    // q is a letter here, not quit.
    type_text(&mut s, "q");
    assert!(!s.quit);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
    // Fix it: Ctrl-U clears the field.
    update(&mut s, ctrl('u'));
    type_text(&mut s, "acmeprod.azurecr.io");
    let form = s.registry.as_ref().unwrap();
    assert_eq!(form.shown_error(FieldKind::Url), None);
    assert_eq!(form.text(FieldKind::SecretName), "azprincipal");

    // An emptied secret name means the default; a bad one is refused, and Enter puts the
    // focus on it.
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.registry.as_ref().unwrap().focus, 1);
    update(&mut s, ctrl('u'));
    let form = s.registry.as_ref().unwrap();
    assert!(!form.secret_name_edited, "emptied: back to the default");
    assert_eq!(form.field_error(FieldKind::SecretName), None);
    assert_eq!(form.request().secret_name, None);
    type_text(&mut s, "a b");
    assert!(s.registry.as_ref().unwrap().secret_name_edited);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.registry.as_ref().unwrap().focus, 0);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
    assert_eq!(s.registry.as_ref().unwrap().focus, 1);

    press(&mut s, KeyCode::End);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);
    assert_eq!(s.creds.as_ref().unwrap().provider, Provider::Azure);
}

#[test]
fn aws_region_is_filled_from_the_url_until_edited() {
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    assert_eq!(
        s.registry.as_ref().unwrap().text(FieldKind::Region),
        "eu-west-1"
    );
    press(&mut s, KeyCode::Down);
    update(&mut s, ctrl('u'));
    type_text(&mut s, "us-east-1");
    let form = s.registry.as_ref().unwrap();
    assert!(form.region_edited);
    assert!(
        form.shown_error(FieldKind::Region)
            .is_some_and(|e| e.contains("differs"))
    );
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
}

#[test]
fn plan_rules_run_before_credentials_are_asked() {
    // A second aws entry.
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, "210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
    let err = s.registry.as_ref().unwrap().plan_error.clone().unwrap();
    assert!(err.contains("two aws entries"), "{err}");
    // Editing clears the refusal.
    press(&mut s, KeyCode::Backspace);
    assert_eq!(s.registry.as_ref().unwrap().plan_error, None);

    // A secret name used by another entry.
    let mut s = state();
    to_registry(&mut s, 3);
    type_text(&mut s, "docker.io");
    press(&mut s, KeyCode::Tab);
    update(&mut s, ctrl('u'));
    type_text(&mut s, "aws_creds");
    press(&mut s, KeyCode::Enter);
    let err = s.registry.as_ref().unwrap().plan_error.clone().unwrap();
    assert!(err.contains("already used by"), "{err}");
}

#[test]
fn aws_profiles_load_and_skip_the_unusable() {
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    assert!(matches!(
        press(&mut s, KeyCode::Enter),
        Effect::LoadProfiles
    ));
    assert_eq!(s.profiles, Profiles::Loading);
    assert_eq!(s.screen, Screen::Credentials);
    // Enter does nothing until they are there.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    update(
        &mut s,
        A::ProfilesLoaded(Ok(vec![
            profile("ci-pull", true, false),
            profile("default", true, false),
            profile("sso", false, false),
            profile("temp", true, true),
        ])),
    );
    // The first usable profile that does not look personal.
    let cursor = |s: &State| match s.creds.as_ref().unwrap().kind {
        CredsKind::Aws { cursor, .. } => cursor,
        _ => unreachable!(),
    };
    assert_eq!(cursor(&s), 0);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert_eq!(
        cursor(&s),
        4,
        "sso and temp are disabled: on to \"create a new IAM user\""
    );
    press(&mut s, KeyCode::Down);
    assert_eq!(cursor(&s), 4, "the create item is the last");
    press(&mut s, KeyCode::Up);
    assert_eq!(cursor(&s), 1, "sso and temp are disabled");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert!(
        matches!(&source.answers().unwrap().credential, CredentialInput::AwsProfile(Some(p)) if p == "default")
    );
    // Back and forth keeps the profiles and the cursor; they are not read again.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Registry);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::Credentials);
    assert!(matches!(
        s.creds.as_ref().unwrap().kind,
        CredsKind::Aws { cursor: 1, .. }
    ));
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn aws_profiles_failing_to_load_block_enter() {
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::ProfilesLoaded(Err("malformed".into())));
    assert_eq!(s.profiles, Profiles::Failed("malformed".into()));
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    // Only a temporary profile: nothing can be chosen.
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    press(&mut s, KeyCode::Enter);
    update(
        &mut s,
        A::ProfilesLoaded(Ok(vec![profile("temp", true, true)])),
    );
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
}

#[test]
fn user_and_password_then_errors_from_the_core() {
    let mut s = state();
    to_generic_credentials(&mut s, "docker.io");
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Down);
    type_text(&mut s, "to:k");
    let shown = format!("{s:?}");
    assert!(!shown.contains("to:k"), "the password leaked into Debug");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    match &source.answers().unwrap().credential {
        CredentialInput::UserToken { user, password } => {
            assert_eq!(user, "ci");
            assert_eq!(password.expose_secret(), "to:k");
        }
        other => panic!("{other:?}"),
    }
    // The core refuses the ':'; the message lands under the fields.
    let refusal = source
        .answers()
        .unwrap()
        .secret(&crate::credentials::aws::ProfileSource::real());
    let msg = refusal.unwrap_err().to_string();
    update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Err(msg.clone()),
        },
    );
    assert_eq!(s.screen, Screen::Credentials);
    assert_eq!(
        s.creds.as_ref().unwrap().error.as_deref(),
        Some(msg.as_str())
    );
    // Typing clears it.
    press(&mut s, KeyCode::Backspace);
    assert_eq!(s.creds.as_ref().unwrap().error, None);
    // Esc goes back to the registry and returns to the same fields.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Registry);
    press(&mut s, KeyCode::Enter);
    match &s.creds.as_ref().unwrap().kind {
        CredsKind::UserToken { user, password, .. } => {
            assert_eq!(user.value(), "ci");
            assert_eq!(password.secret().expose_secret(), "to:");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn key_file_is_checked_as_typed_and_completed_with_tab() {
    let mut s = state();
    to_registry(&mut s, 2); // gar
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);
    // Enter with nothing typed asks for the path.
    press(&mut s, KeyCode::Enter);
    assert!(s.creds.as_ref().unwrap().error.is_some());

    let Effect::CheckKeyFile { typed, path } = type_text(&mut s, "keys/sa") else {
        panic!("no check")
    };
    assert_eq!(
        (typed.as_str(), path),
        ("keys/sa", PathBuf::from("keys/sa"))
    );
    // Tab asks for a completion of what is typed.
    let Effect::CompletePath(input) = press(&mut s, KeyCode::Tab) else {
        panic!("no completion")
    };
    assert_eq!(input, "keys/sa");
    // A stale completion is dropped.
    update(
        &mut s,
        A::PathCompleted {
            input: "other".into(),
            completed: "other.json".into(),
            candidates: vec![],
        },
    );
    let effect = update(
        &mut s,
        A::PathCompleted {
            input: "keys/sa".into(),
            completed: "keys/sa-key.json".into(),
            candidates: vec![],
        },
    );
    assert!(
        matches!(effect, Effect::CheckKeyFile { ref typed, .. } if typed == "keys/sa-key.json")
    );
    // Enter waits for the check.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    // A stale check result is dropped; the current one is shown.
    update(
        &mut s,
        A::KeyFileChecked {
            path: "keys/sa".into(),
            result: Err("no".into()),
        },
    );
    assert!(matches!(
        &s.creds.as_ref().unwrap().kind,
        CredsKind::KeyFile { check: KeyCheck::Checking(p), .. } if p == "keys/sa-key.json"
    ));
    update(
        &mut s,
        A::KeyFileChecked {
            path: "keys/sa-key.json".into(),
            result: Ok("ci@acme.iam.gserviceaccount.com".into()),
        },
    );
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert!(matches!(
        &source.answers().unwrap().credential,
        CredentialInput::GcpKeyFile(p) if p == &PathBuf::from("keys/sa-key.json")
    ));
    // An invalid key blocks Enter.
    press(&mut s, KeyCode::Backspace);
    update(
        &mut s,
        A::KeyFileChecked {
            path: "keys/sa-key.jso".into(),
            result: Err("not found".into()),
        },
    );
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
}

#[test]
fn key_file_path_expands_home() {
    let mut s = State::new(
        Context {
            home: Some(PathBuf::from("/home/me")),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    to_registry(&mut s, 2);
    press(&mut s, KeyCode::Enter);
    let Effect::CheckKeyFile { typed, path } = type_text(&mut s, "~/k.json") else {
        panic!("no check")
    };
    assert_eq!(typed, "~/k.json");
    assert_eq!(path, PathBuf::from("/home/me/k.json"));
}

#[test]
fn review_focus_starts_on_back_and_apply_needs_an_explicit_enter() {
    let mut s = state();
    to_review(&mut s);
    let review = s.review.as_ref().unwrap();
    assert_eq!(review.focus, ReviewFocus::Back);
    assert!(!review.diff.is_empty());
    // Enter on Back goes back, keeping everything.
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);
    // Esc too.
    to_review_again(&mut s);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    to_review_again(&mut s);
    press(&mut s, KeyCode::Right);
    assert_eq!(s.review.as_ref().unwrap().focus, ReviewFocus::Apply);
    press(&mut s, KeyCode::Left);
    assert_eq!(s.review.as_ref().unwrap().focus, ReviewFocus::Back);
    press(&mut s, KeyCode::Tab);
    let Effect::Apply(plan) = press(&mut s, KeyCode::Enter) else {
        panic!("no apply")
    };
    assert_eq!(plan.secret_name, "docker_creds");
    assert_eq!(s.screen, Screen::Apply);
    let run = s.apply.as_ref().unwrap();
    assert_eq!(run.store, Some(StepStatus::Pending));
    assert_eq!(run.write, Some(StepStatus::Pending));
}

/// From Credentials (answers kept) back to Review.
fn to_review_again(s: &mut State) {
    let Effect::BuildPlan(source) = press(s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(s, &source, "user ci, token");
    plan_built(s, source, plan);
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn review_scrolls_within_the_diff() {
    let mut s = state();
    update(&mut s, A::Resize(40, 12));
    to_review(&mut s);
    let (page, max) = crate::tui::view::review::page(&s);
    assert!(
        page > 0 && max > page,
        "page {page}, max {max}: the review must not fit"
    );
    press(&mut s, KeyCode::Down);
    assert_eq!(s.review.as_ref().unwrap().scroll, 1);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.review.as_ref().unwrap().scroll, 1 + page);
    for _ in 0..20 {
        press(&mut s, KeyCode::PageDown);
    }
    assert_eq!(s.review.as_ref().unwrap().scroll, max);
    for _ in 0..20 {
        press(&mut s, KeyCode::PageUp);
    }
    press(&mut s, KeyCode::Up);
    assert_eq!(s.review.as_ref().unwrap().scroll, 0);
    // A bigger window clamps the scroll.
    press(&mut s, KeyCode::PageDown);
    update(&mut s, A::Resize(100, 40));
    assert_eq!(s.review.as_ref().unwrap().scroll, 0);
}

#[test]
fn apply_is_disabled_without_a_store() {
    let mut s = State::new(
        Context {
            store_error: Some("fioctl was not found".into()),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::Review);
    assert!(s.apply.is_none());
}

#[test]
fn applying_reports_progress_and_cannot_be_quit_halfway() {
    let mut s = state();
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::Progress(Progress::StoringSecret));
    assert_eq!(s.apply.as_ref().unwrap().store, Some(StepStatus::Running));
    for quit in [key(KeyCode::Char('q')), ctrl('c'), key(KeyCode::Esc)] {
        update(&mut s, quit);
    }
    assert!(!s.quit);
    assert_eq!(s.screen, Screen::Apply);
    assert!(s.apply.as_ref().unwrap().quit_requested);
    update(&mut s, A::Progress(Progress::SecretStored));
    update(&mut s, A::Progress(Progress::WritingConfig));
    let run = s.apply.as_ref().unwrap();
    assert_eq!(
        (run.store, run.write),
        (Some(StepStatus::Done), Some(StepStatus::Running))
    );
    update(&mut s, A::Progress(Progress::ConfigWritten));
    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    assert_eq!(s.screen, Screen::Done);
    // Done: scroll, then any of Enter, q, Esc quits.
    update(&mut s, A::Resize(40, 12));
    press(&mut s, KeyCode::Down);
    assert_eq!(s.scroll, 1);
    for _ in 0..100 {
        press(&mut s, KeyCode::Down);
    }
    assert_eq!(s.scroll, crate::tui::view::scroll_limit(&s));
    press(&mut s, KeyCode::Home);
    assert_eq!(s.scroll, 0);
    press(&mut s, KeyCode::Enter);
    assert!(s.quit);
}

#[test]
fn a_failed_apply_shows_what_failed_and_goes_back_to_review() {
    let mut s = state();
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::Progress(Progress::StoringSecret));
    update(
        &mut s,
        A::Applied(Err("fioctl said no\nNothing was changed".into())),
    );
    assert_eq!(s.screen, Screen::Apply);
    let run = s.apply.as_ref().unwrap();
    assert_eq!(run.store, Some(StepStatus::Failed));
    assert_eq!(run.write, Some(StepStatus::Pending));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Review);
    // Applying again starts a new run.
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
    assert!(!s.apply.as_ref().unwrap().finished());
    update(&mut s, A::Applied(Err("again".into())));
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn late_results_for_other_screens_are_ignored() {
    let mut s = state();
    to_generic_credentials(&mut s, "docker.io");
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    press(&mut s, KeyCode::Esc);
    let plan = plan_for(&s, &source, "user ci, token");
    update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    assert_eq!(s.screen, Screen::Registry);
    assert!(s.review.is_none());
    update(&mut s, A::Progress(Progress::StoringSecret));
    assert!(s.apply.is_none());
}

// ---- rotate -------------------------------------------------------------------------------

#[test]
fn rotate_picks_an_entry_skipping_the_ones_the_core_refuses() {
    let mut s = State::new(ctx(), Ok(config(SHARED)));
    to_pick(&mut s, 1);
    assert_eq!(s.flow, Flow::Rotate);
    let entries = s.entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries[0].target.as_deref(),
        Ok("ghcr.io"),
        "a shared secret: by url"
    );
    assert!(entries[2].disabled().is_some_and(|r| r.contains("`quay`")));
    assert!(
        entries[3]
            .disabled()
            .is_some_and(|r| r.contains("azure_principal_secret_name"))
    );
    assert_eq!(s.pick.cursor, 0);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.pick.cursor, 1, "the disabled entries are skipped");
    // Space means nothing when rotating.
    press(&mut s, KeyCode::Char(' '));
    assert!(!s.pick.delete_secret);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Start);
    press(&mut s, KeyCode::Enter);
    assert_eq!(
        (s.screen, s.pick.cursor),
        (Screen::Pick, 1),
        "the same flow keeps its cursor"
    );
}

#[test]
fn rotate_goes_to_the_providers_credentials_and_back() {
    let mut s = state();
    to_pick(&mut s, 1);
    // aws: the profiles are read.
    assert!(matches!(
        press(&mut s, KeyCode::Enter),
        Effect::LoadProfiles
    ));
    assert_eq!(s.screen, Screen::Credentials);
    assert_eq!(s.creds.as_ref().unwrap().provider, Provider::Aws);
    assert_eq!(
        s.target.as_ref().unwrap().target.as_deref(),
        Ok("aws_creds")
    );
    assert_eq!(s.screen.step(s.flow), 3);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Pick);
    // generic: the key store is asked about the registry's url.
    press(&mut s, KeyCode::Down);
    let Effect::CheckKeyring(account) = press(&mut s, KeyCode::Enter) else {
        panic!("the key store was not asked")
    };
    assert_eq!(account, "ghcr.io");
    assert_eq!(s.creds.as_ref().unwrap().provider, Provider::Generic);
    type_text(&mut s, "ci");
    // Back and forth to the same entry keeps what was typed.
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Enter);
    let Some(CredsKind::UserToken { user, .. }) = s.creds.as_ref().map(|c| &c.kind) else {
        panic!("no user form")
    };
    assert_eq!(user.value(), "ci");
}

#[test]
fn rotate_builds_a_rotate_plan_and_reviews_it_without_a_diff() {
    let mut s = State::new(ctx_in_checkout(), Ok(config(CONFIG)));
    to_pick(&mut s, 1);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let PlanSource::Rotate { target, .. } = &source else {
        panic!("not a rotate: {source:?}")
    };
    assert_eq!(target, "ghcr_creds");
    let plan = plan_for(&s, &source, "user ci, token");
    assert!(matches!(plan.action, PlanAction::Rotate { .. }));
    plan_built(&mut s, source, plan);
    assert_eq!(s.screen, Screen::Review);
    let review = s.review.as_ref().unwrap();
    assert!(review.diff.is_empty());
    // Nothing to commit: no checkbox, even in a checkout.
    assert!(matches!(review.commit, CommitState::Unavailable));
    assert!(matches!(press(&mut s, KeyCode::Char(' ')), Effect::None));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Pick);
}

#[test]
fn rotate_apply_has_no_write_step_and_remembers_nothing() {
    let mut s = state();
    to_pick(&mut s, 1);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(&s, &source, "user ci, token");
    plan_built(&mut s, source, plan);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
    let run = s.apply.as_ref().unwrap();
    assert_eq!(
        (run.store, run.write, run.delete, run.commit),
        (Some(StepStatus::Pending), None, None, None)
    );
    update(&mut s, A::Progress(Progress::StoringSecret));
    update(&mut s, A::Progress(Progress::SecretStored));
    let effect = update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: false,
            commit: None,
        })),
    );
    assert!(matches!(effect, Effect::None), "rotate records no settings");
    assert_eq!(s.screen, Screen::Done);
}

// ---- remove -------------------------------------------------------------------------------

#[test]
fn remove_toggles_delete_secret_and_shows_the_cores_refusal_at_once() {
    let mut s = State::new(ctx(), Ok(config(SHARED)));
    to_pick(&mut s, 2);
    assert_eq!(s.flow, Flow::Remove);
    assert!(s.entries().iter().all(|e| e.disabled().is_none()));
    assert!(!s.pick.delete_secret, "off unless asked for");
    press(&mut s, KeyCode::Char(' '));
    assert!(s.pick.delete_secret);
    let err = s.pick.error.clone().unwrap();
    assert!(err.contains("`shared_creds` is also used by"), "{err}");
    // Enter is refused while the core refuses.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::Pick);
    // Another entry: checked again (the quay entry names no secret of its type).
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    let err = s.pick.error.clone().unwrap();
    assert!(err.contains("names no secret"), "{err}");
    // Unchecked: no refusal, and Enter reviews the removal.
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.pick.error, None);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
    let review = s.review.as_ref().unwrap();
    assert!(matches!(
        review.plan.action,
        PlanAction::Remove { index: 2, .. }
    ));
    assert_eq!(review.plan.secret_op, SecretOp::Keep);
    assert!(
        review
            .diff
            .iter()
            .any(|d| d.tag == similar::ChangeTag::Delete && d.text == "  url: quay.io")
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Pick);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Start);
}

#[test]
fn remove_with_its_secret_applies_in_order_without_settings() {
    let mut s = state();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.pick.error, None);
    press(&mut s, KeyCode::Enter);
    let plan = &s.review.as_ref().unwrap().plan;
    assert_eq!(plan.secret_op, SecretOp::Delete);
    assert_eq!(
        plan.fioctl_calls(),
        vec!["fioctl --factory acme secrets update ghcr_creds="]
    );
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
    let run = s.apply.as_ref().unwrap();
    assert_eq!(
        (run.store, run.write, run.delete),
        (None, Some(StepStatus::Pending), Some(StepStatus::Pending))
    );
    update(&mut s, A::Progress(Progress::WritingConfig));
    update(&mut s, A::Progress(Progress::ConfigWritten));
    update(&mut s, A::Progress(Progress::DeletingSecret));
    assert_eq!(s.apply.as_ref().unwrap().delete, Some(StepStatus::Running));
    update(&mut s, A::Progress(Progress::SecretDeleted));
    let effect = update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    assert!(matches!(effect, Effect::None));
    assert_eq!(s.screen, Screen::Done);
}

#[test]
fn a_failed_delete_marks_that_step() {
    let mut s = state();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::Progress(Progress::WritingConfig));
    update(&mut s, A::Progress(Progress::ConfigWritten));
    update(&mut s, A::Progress(Progress::DeletingSecret));
    update(
        &mut s,
        A::Applied(Err(
            "factory-config.yml WAS written, but deleting the secret failed".into(),
        )),
    );
    let run = s.apply.as_ref().unwrap();
    assert_eq!(
        (run.write, run.delete),
        (Some(StepStatus::Done), Some(StepStatus::Failed))
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn without_a_store_only_a_removal_that_keeps_the_secret_applies() {
    let no_store = || {
        State::new(
            Context {
                store_error: Some("fioctl was not found".into()),
                ..ctx()
            },
            Ok(config(CONFIG)),
        )
    };
    let mut s = no_store();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));

    let mut s = no_store();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn switching_flows_starts_afresh_and_the_steps_follow_the_flow() {
    let mut s = state();
    to_registry(&mut s, 3);
    type_text(&mut s, "docker.io");
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 3 of 7 · Registry"
    );
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Esc);
    to_pick(&mut s, 2);
    assert!(s.registry.is_none(), "the add answers are dropped");
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 2 of 4 · Registry"
    );
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Up);
    to_pick(&mut s, 0);
    assert_eq!(s.flow, Flow::Rotate);
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 2 of 6 · Registry"
    );
}

// ---- the commit checkbox ------------------------------------------------------------------

/// Remove the generic entry of [`CONFIG`] in a checkout: on the Review screen.
fn removal_in_checkout() -> State {
    let mut s = State::new(ctx_in_checkout(), Ok(config(CONFIG)));
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
    s
}

#[test]
fn the_commit_box_checks_with_the_core_and_a_refusal_blocks_apply() {
    let mut s = removal_in_checkout();
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::Off
    ));
    assert_eq!(keymap::table(&s).len(), keymap::REVIEW_COMMIT.len());
    let Effect::CheckCommit(source) = press(&mut s, KeyCode::Char(' ')) else {
        panic!("the commit was not checked")
    };
    assert!(
        matches!(source, PlanSource::Remove { ref target, delete_secret: false } if target == "ghcr_creds")
    );
    assert!(s.busy(), "a spinner turns while git is asked");
    update(
        &mut s,
        A::CommitChecked(Err(
            "factory-config.yml already has uncommitted changes".into()
        )),
    );
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::Refused(_)
    ));
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert!(s.apply.is_none());
    // Unchecked: applies without a commit.
    press(&mut s, KeyCode::Char(' '));
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::Off
    ));
    let Effect::Apply(plan) = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    assert!(plan.commit.is_none());
}

#[test]
fn a_checked_commit_goes_into_the_plan_and_the_apply_steps() {
    let mut s = removal_in_checkout();
    press(&mut s, KeyCode::Char(' '));
    // A late answer after unchecking is dropped.
    press(&mut s, KeyCode::Char(' '));
    update(&mut s, A::CommitChecked(Ok(commit_plan("late"))));
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::Off
    ));
    press(&mut s, KeyCode::Char(' '));
    update(
        &mut s,
        A::CommitChecked(Ok(commit_plan(
            "container_registries: remove generic ghcr.io",
        ))),
    );
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::On(_)
    ));
    press(&mut s, KeyCode::Tab);
    let Effect::Apply(plan) = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    assert_eq!(
        plan.commit.as_ref().map(|c| c.message.as_str()),
        Some("container_registries: remove generic ghcr.io")
    );
    drop(plan);
    let run = s.apply.as_ref().unwrap();
    assert_eq!(run.commit, Some(StepStatus::Pending));
    update(&mut s, A::Progress(Progress::WritingConfig));
    update(&mut s, A::Progress(Progress::ConfigWritten));
    update(&mut s, A::Progress(Progress::Committing));
    assert_eq!(s.apply.as_ref().unwrap().commit, Some(StepStatus::Running));
    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: Some("abc1234".into()),
        })),
    );
    assert_eq!(s.screen, Screen::Done);
    // Back on Review after a failure, unchecking takes the commit out of the plan again.
    let mut s = removal_in_checkout();
    press(&mut s, KeyCode::Char(' '));
    update(&mut s, A::CommitChecked(Ok(commit_plan("m"))));
    press(&mut s, KeyCode::Tab);
    let Effect::Apply(plan) = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    update(&mut s, A::Applied(Err("git failed".into())));
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Tab);
    let Effect::Apply(plan) = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    assert!(plan.commit.is_none());
}

#[test]
fn no_commit_box_outside_a_checkout() {
    let mut s = state();
    to_review(&mut s);
    assert!(matches!(
        s.review.as_ref().unwrap().commit,
        CommitState::Unavailable
    ));
    assert!(matches!(press(&mut s, KeyCode::Char(' ')), Effect::None));
    assert!(!keymap::footer(&s).iter().any(|(k, _)| *k == "Space"));
}

// ---- settings after an add ----------------------------------------------------------------

#[test]
fn a_successful_add_records_the_settings_and_a_failure_only_warns() {
    let mut s = state();
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    let effect = update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    assert!(matches!(effect, Effect::RememberChoices(_)));
    update(
        &mut s,
        A::SettingsSaved(Err("cannot write settings.toml".into())),
    );
    assert_eq!(
        s.settings_warning.as_deref(),
        Some("cannot write settings.toml")
    );
    assert_eq!(s.screen, Screen::Done);
    // Demo mode never touches the user's settings.
    let mut s = State::new(
        Context {
            demo: Some(crate::wizard::state::DemoInfo {
                dir: "/tmp/d".into(),
                secrets_dir: "/tmp/d/secrets".into(),
            }),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    let effect = update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    assert!(matches!(effect, Effect::None));
}

// ---- the OS keyring on the user-and-password form ----------------------------------------

fn user_token(s: &State) -> (UserTokenFocus, crate::wizard::state::KeyringField) {
    match s.creds.as_ref().map(|c| &c.kind) {
        Some(CredsKind::UserToken { focus, keyring, .. }) => (*focus, keyring.clone()),
        other => panic!("no user form: {other:?}"),
    }
}

#[test]
fn remember_is_a_checkbox_after_the_password() {
    let mut s = state();
    to_generic_credentials(&mut s, "docker.io");
    let (_, k) = user_token(&s);
    assert_eq!(
        (k.account.as_deref(), k.held),
        (Some("docker.io"), Some(false))
    );
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    press(&mut s, KeyCode::Tab);
    assert_eq!(user_token(&s).0, UserTokenFocus::Remember);
    assert!(keymap::footer(&s).contains(&("Space", "toggle")));
    // Letters do nothing on a checkbox; Space checks it.
    type_text(&mut s, "x");
    press(&mut s, KeyCode::Char(' '));
    assert!(user_token(&s).1.remember);
    // Tab wraps to the user name; Shift-Tab comes back.
    press(&mut s, KeyCode::Tab);
    assert_eq!(user_token(&s).0, UserTokenFocus::User);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(user_token(&s).0, UserTokenFocus::Remember);
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert_eq!(source.keyring(), &KeyringUse::Remember("docker.io".into()));
    let Some(CredentialInput::UserToken { user, password }) =
        source.answers().map(|a| &a.credential)
    else {
        panic!("no user token")
    };
    assert_eq!((user.as_str(), password.expose_secret()), ("ci", "tok"));
    assert!(
        source
            .command_line(std::path::Path::new("factory-config.yml"), None, false)
            .ends_with("--username ci --password-stdin --remember")
    );
}

#[test]
fn a_remembered_password_is_offered_and_replaces_the_password_field() {
    let mut s = state();
    to_generic_credentials(&mut s, "docker.io");
    // An answer for another url is ignored.
    update(
        &mut s,
        A::KeyringChecked {
            account: "ghcr.io".into(),
            held: true,
        },
    );
    assert_eq!(user_token(&s).1.held, Some(false));
    update(
        &mut s,
        A::KeyringChecked {
            account: "docker.io".into(),
            held: true,
        },
    );
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    assert_eq!(user_token(&s).0, UserTokenFocus::UseRemembered);
    press(&mut s, KeyCode::Char(' '));
    let (_, k) = user_token(&s);
    assert!(k.use_remembered);
    assert_eq!(
        k.items(),
        vec![UserTokenFocus::User, UserTokenFocus::UseRemembered],
        "no password to type, nothing to remember"
    );
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert_eq!(
        source.keyring(),
        &KeyringUse::UseRemembered("docker.io".into())
    );
    // Unchecked again: the password field is back.
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Tab);
    assert_eq!(user_token(&s).0, UserTokenFocus::Password);
    // A changed url asks the key store again and forgets the choices.
    press(&mut s, KeyCode::Esc);
    type_text(&mut s, "x");
    let Effect::CheckKeyring(account) = press(&mut s, KeyCode::Enter) else {
        panic!("not asked again")
    };
    assert_eq!(account, "docker.iox");
    let (focus, k) = user_token(&s);
    assert_eq!(
        (k.held, k.use_remembered, focus),
        (None, false, UserTokenFocus::Password)
    );
}

#[test]
fn the_key_stores_refusal_stays_on_the_credentials_screen() {
    let mut s = state();
    to_generic_credentials(&mut s, "docker.io");
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char(' '));
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Err("the Linux kernel keyring (keyutils) is unavailable: denied".into()),
        },
    );
    assert_eq!(s.screen, Screen::Credentials);
    assert!(s.review.is_none());
    assert!(
        s.creds
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .is_some_and(|e| e.contains("unavailable"))
    );
    // Toggling clears the refusal.
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.creds.as_ref().unwrap().error, None);
}

// ---- the login test -----------------------------------------------------------------------

fn login(s: &State) -> &crate::wizard::state::LoginTest {
    s.login.as_ref().expect("a login test")
}

fn login_result(s: &State) -> Option<LoginCheck> {
    login(s).result().cloned()
}

fn rejected() -> Result<Outcome, VerifyError> {
    Err(VerifyError::Rejected {
        registry: "docker.io".into(),
        status: 401,
    })
}

fn unreachable() -> Result<Outcome, VerifyError> {
    Err(VerifyError::Unreachable {
        url: "https://docker.io/v2/".into(),
        reason: "connection refused".into(),
    })
}

#[test]
fn a_plan_that_stores_credentials_is_tested_before_the_review() {
    let mut s = state();
    update(&mut s, A::SecretsListed(Ok(Vec::new())));
    assert!(!s.busy());
    let Effect::TestLogin { run, plan, opts } = to_login(&mut s) else {
        panic!("no login test")
    };
    // The plan's own secret, with the session's options.
    assert_eq!(plan.secret.expose(), b"user:not-shown");
    assert_eq!(plan.url.as_deref(), Some("docker.io"));
    assert_eq!(Some(opts), s.ctx.verify);
    drop(plan);
    assert_eq!((run, s.screen), (1, Screen::TestLogin));
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 5 of 7 · Test login"
    );
    assert_eq!(login(&s).host, "docker.io");
    assert!(s.busy(), "the spinner turns");
    assert_eq!(keymap::table(&s).len(), keymap::LOGIN_RUNNING.len());
    // Nothing goes on while it runs.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::TestLogin);

    login_answer(&mut s, Ok(Outcome::Valid));
    assert_eq!(login_result(&s), Some(LoginCheck::Accepted));
    assert!(!s.busy());
    assert_eq!(keymap::table(&s).len(), keymap::LOGIN_PASSED.len());
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
    let review = s.review.as_ref().unwrap();
    assert_eq!(review.login, Some(LoginCheck::Accepted));
    assert_eq!(review.focus, ReviewFocus::Back);
    // The review holds the plan alone: Apply takes it.
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
}

#[test]
fn a_registry_without_login_lets_the_wizard_go_on() {
    let mut s = state();
    drop(to_login(&mut s));
    login_answer(&mut s, Ok(Outcome::NoLoginRequired));
    assert_eq!(login_result(&s), Some(LoginCheck::NoLogin));
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
    assert_eq!(s.review.as_ref().unwrap().login, Some(LoginCheck::NoLogin));
}

#[test]
fn every_other_failure_stops_with_the_clis_sentence() {
    let cases = [
        (
            Ok(Outcome::ValidNoPull {
                repository: "team/app".into(),
            }),
            "valid login, but no pull permission on team/app; CI could not pull",
        ),
        (
            Ok(Outcome::RepositoryNotFound {
                repository: "team/app".into(),
            }),
            "valid login, but the registry has no repository team/app (or hides it from these \
             credentials); CI could not pull",
        ),
        (
            rejected(),
            "the registry docker.io rejected these credentials (HTTP 401)",
        ),
        (
            Err(VerifyError::InsecureNotAllowed {
                url: "http://docker.io/v2/".into(),
            }),
            "refusing to send credentials to http://docker.io/v2/ without TLS",
        ),
        (
            Err(VerifyError::BadSecret {
                reason: "the password after `:` is empty".into(),
            }),
            "cannot test these credentials: the password after `:` is empty",
        ),
    ];
    for (result, sentence) in cases {
        let mut s = state();
        drop(to_login(&mut s));
        login_answer(&mut s, result);
        let Some(LoginCheck::Failed(why)) = login_result(&s) else {
            panic!("not a failure: {:?}", login(&s).status)
        };
        assert!(why.starts_with(sentence), "{why}");
        assert_eq!(keymap::table(&s).len(), keymap::LOGIN_FAILED.len());
        // Neither Enter nor the focus keys lead anywhere near Apply.
        for code in [
            KeyCode::Enter,
            KeyCode::Tab,
            KeyCode::Right,
            KeyCode::Char(' '),
        ] {
            assert!(matches!(press(&mut s, code), Effect::None));
            assert_eq!(s.screen, Screen::TestLogin);
        }
        assert!(s.review.is_none() && s.apply.is_none());
    }
}

#[test]
fn a_rejected_login_goes_back_to_the_credentials_or_tests_again() {
    let mut s = state();
    drop(to_login(&mut s));
    login_answer(&mut s, rejected());
    // r: the same plan, tested again as a new run.
    let Effect::TestLogin { run, plan, .. } = press(&mut s, KeyCode::Char('r')) else {
        panic!("not tested again")
    };
    drop(plan);
    assert_eq!(run, 2);
    assert_eq!(login(&s).status, LoginStatus::Running);
    // The first run's answer, arriving late, is not this run's.
    update(
        &mut s,
        A::LoginTested {
            run: 1,
            result: Ok(Outcome::Valid),
        },
    );
    assert_eq!(login(&s).status, LoginStatus::Running);
    login_answer(&mut s, rejected());
    // Esc: back to the credentials, every answer kept, to fix them.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    assert!(s.login.is_none());
    let Some(CredsKind::UserToken { user, password, .. }) = s.creds.as_ref().map(|c| &c.kind)
    else {
        panic!("no user form")
    };
    assert_eq!(user.value(), "ci");
    assert_eq!(password.secret().expose_secret(), "tok");
    // The fixed credentials make a new plan, tested again.
    type_text(&mut s, "2");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(&s, &source, "user ci, token");
    let effect = update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    assert!(matches!(effect, Effect::TestLogin { run: 3, .. }));
    drop(effect);
    login_answer(&mut s, Ok(Outcome::Valid));
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn an_unreachable_registry_is_stored_only_on_an_explicit_store_anyway() {
    let mut s = state();
    drop(to_login(&mut s));
    login_answer(&mut s, unreachable());
    let Some(LoginCheck::Unreachable(why)) = login_result(&s) else {
        panic!("not unreachable: {:?}", login(&s).status)
    };
    assert_eq!(
        why,
        "cannot reach https://docker.io/v2/: connection refused"
    );
    assert_eq!(keymap::table(&s).len(), keymap::LOGIN_UNREACHABLE.len());
    // The focus starts on Back: Enter goes back to the credentials.
    assert_eq!(login(&s).focus, LoginFocus::Back);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);

    let mut s = state();
    drop(to_login(&mut s));
    login_answer(&mut s, unreachable());
    press(&mut s, KeyCode::Right);
    assert_eq!(login(&s).focus, LoginFocus::StoreAnyway);
    press(&mut s, KeyCode::Left);
    assert_eq!(login(&s).focus, LoginFocus::Back);
    // r tests again, the focus back on Back.
    press(&mut s, KeyCode::Tab);
    let effect = press(&mut s, KeyCode::Char('r'));
    assert!(matches!(effect, Effect::TestLogin { run: 2, .. }));
    drop(effect);
    assert_eq!(login(&s).focus, LoginFocus::Back);
    login_answer(&mut s, unreachable());
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Review);
    assert!(matches!(
        s.review.as_ref().unwrap().login,
        Some(LoginCheck::Unreachable(_))
    ));
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
}

#[test]
fn esc_while_testing_goes_back_and_the_late_answer_is_dropped() {
    let mut s = state();
    drop(to_login(&mut s));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    update(
        &mut s,
        A::LoginTested {
            run: 1,
            result: Ok(Outcome::Valid),
        },
    );
    assert_eq!(s.screen, Screen::Credentials);
    assert!(s.login.is_none() && s.review.is_none());
    // q still quits from the test screen.
    let mut s = state();
    drop(to_login(&mut s));
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn back_from_the_review_goes_to_the_credentials_and_tests_again() {
    let mut s = state();
    to_review(&mut s);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(&s, &source, "user ci, token");
    let effect = update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    assert!(matches!(effect, Effect::TestLogin { .. }));
    assert_eq!(s.screen, Screen::TestLogin);
}

#[test]
fn skipped_without_options_and_never_for_a_removal() {
    let mut s = State::new(
        Context {
            verify: None,
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    assert_eq!(s.ctx.login_skipped(), Some("--no-verify"));
    to_generic_credentials(&mut s, "docker.io");
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(&s, &source, "user ci, token");
    let effect = update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Ok(plan),
        },
    );
    assert!(matches!(effect, Effect::None));
    assert_eq!(s.screen, Screen::Review);
    assert_eq!(s.review.as_ref().unwrap().login, None);
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 6 of 7 · Review"
    );
    let demo = Context {
        verify: None,
        demo: Some(crate::wizard::state::DemoInfo {
            dir: "/tmp/d".into(),
            secrets_dir: "/tmp/d/secrets".into(),
        }),
        ..ctx()
    };
    assert_eq!(demo.login_skipped(), Some("demo: made-up registries"));
    assert_eq!(ctx().login_skipped(), None);
    // A removal stores nothing: straight to its review.
    let s = removal_in_checkout();
    assert!(s.login.is_none());
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 3 of 4 · Review"
    );
}

#[test]
fn rotate_tests_the_entrys_registry() {
    let mut s = state();
    to_pick(&mut s, 1);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(&s, &source, "user ci, token");
    let Effect::TestLogin { plan, .. } = update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Ok(plan),
        },
    ) else {
        panic!("no login test")
    };
    assert!(matches!(plan.action, PlanAction::Rotate { .. }));
    drop(plan);
    assert_eq!(login(&s).host, "ghcr.io");
    assert_eq!(
        crate::tui::view::step_text(s.screen, s.flow),
        "Step 4 of 6 · Test login"
    );
    login_answer(&mut s, rejected());
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Credentials);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Pick);
}

#[test]
fn the_scans_uncovered_registry_is_the_first_start_item_and_opens_the_filled_registry_form() {
    let mut s = State::new(
        Context {
            containers: Some(PathBuf::from("containers")),
            ..ctx()
        },
        Ok(config("lmp: {}\n")),
    );
    assert_eq!(s.scan, ScanState::Pending);
    // Nothing to wait for: the scan starts at once, and the screen is busy until it is done.
    assert!(matches!(
        init(&s),
        Effect::Scan {
            secrets: None,
            remember: false
        }
    ));
    assert!(s.busy());
    update(
        &mut s,
        A::Scanned(Err("containers is not a directory".into())),
    );
    assert_eq!(
        s.scan,
        ScanState::Failed("containers is not a directory".into())
    );
    assert_eq!(s.start_items().len(), StartAction::ALL.len());
    s.scan = ScanState::Done {
        headline: Some(format!(
            "containers.git needs 1 registry that no entry covers: {AWS_URL}"
        )),
        suggestions: vec![crate::scan::Suggestion::AddEntry {
            host: AWS_URL.into(),
            provider: Provider::Aws,
            url: Some(AWS_URL.into()),
            command: String::new(),
        }],
        errors: 1,
        warnings: 0,
    };
    let items = s.start_items();
    assert_eq!(items[0].label(), format!("Add {AWS_URL} (aws)"));
    assert_eq!(items.len(), StartAction::ALL.len() + 1);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Registry);
    let form = s.registry.as_ref().expect("the registry form");
    assert_eq!(form.provider, Provider::Aws);
    assert_eq!(form.text(FieldKind::Url), AWS_URL);
    assert_eq!(form.text(FieldKind::Region), "us-east-2");
    // Back goes to the Provider list with aws chosen.
    press(&mut s, KeyCode::Esc);
    assert_eq!(Provider::ALL[s.provider_cursor], Provider::Aws);
}

#[test]
fn without_a_known_checkout_start_asks_for_containers_git_once_and_scans_it() {
    let mut s = state();
    let at = s
        .start_items()
        .iter()
        .position(|i| *i == StartItem::ScanContainers)
        .expect("offered");
    for _ in 0..at {
        press(&mut s, KeyCode::Down);
    }
    press(&mut s, KeyCode::Enter);
    assert!(s.containers_input.is_some());
    assert_eq!(keymap::footer(&s)[0], ("Enter", "scan"));
    // Esc gives up; asked again, an empty path does nothing.
    press(&mut s, KeyCode::Esc);
    assert!(s.containers_input.is_none());
    press(&mut s, KeyCode::Enter);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    type_text(&mut s, "~/acme/containers");
    let effect = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(effect, Effect::Scan { remember: true, .. }),
        "{effect:?}"
    );
    assert_eq!(s.scan, ScanState::Running);
    assert_eq!(
        s.ctx.containers.as_deref(),
        Some(std::path::Path::new("~/acme/containers"))
    );
    // Once a checkout is known the item is gone.
    assert!(!s.start_items().contains(&StartItem::ScanContainers));
}

fn new_user(s: &State) -> IdentityForm {
    match &s.creds.as_ref().unwrap().kind {
        CredsKind::Aws { new_user, .. } => new_user.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn aws_new_user_fields_are_filled_edited_and_checked_before_aws_is_asked() {
    let mut s = state();
    to_new_aws_user(&mut s);
    let f = new_user(&s);
    assert!(f.editing);
    // The defaults: fioreg-<factory>-pull, and AWS_PROFILE (the context's).
    assert_eq!(f.value(Input::NewUser), "fioreg-acme-pull");
    assert_eq!(f.value(Input::AdminProfile), "admin");
    // Typing goes to the focused field; Tab moves.
    for _ in 0.."pull".len() {
        press(&mut s, KeyCode::Backspace);
    }
    type_text(&mut s, "ci");
    press(&mut s, KeyCode::Tab);
    update(&mut s, ctrl('u'));
    type_text(&mut s, "ops");
    let f = new_user(&s);
    assert_eq!(
        (f.value(Input::NewUser), f.value(Input::AdminProfile)),
        ("fioreg-acme-ci", "ops")
    );
    // A name IAM refuses is refused here, before AWS is asked.
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, " x");
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    let err = s.creds.as_ref().unwrap().error.clone().expect("refused");
    assert!(err.contains("fioreg-acme-ci x"), "{err}");
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    // Enter asks AWS (read-only) with the answers; the screen waits.
    let Effect::PlanIdentity { source, identity } = press(&mut s, KeyCode::Enter) else {
        panic!("AWS was not asked")
    };
    let NewIdentity::AwsUser {
        user,
        admin_profile,
        ..
    } = identity.clone()
    else {
        panic!("AWS was not asked")
    };
    assert_eq!(user, "fioreg-acme-ci");
    assert_eq!(admin_profile.as_deref(), Some("ops"));
    assert_eq!(
        source.answers().unwrap().request.url.as_deref(),
        Some(AWS_URL)
    );
    assert!(new_user(&s).planning && s.busy());
    assert!(
        matches!(press(&mut s, KeyCode::Enter), Effect::None),
        "one question at a time"
    );
    // AWS refuses (e.g. the wrong account): the words stay under the fields.
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source.clone()),
            identity: identity.clone(),
            result: Err("profile ops signs in to AWS account 210987654321".into()),
        },
    );
    assert_eq!(s.screen, Screen::Credentials);
    assert!(!new_user(&s).planning);
    assert!(
        s.creds
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("210987654321")
    );
    // Esc goes back to the list (the fields are kept), then to the Registry screen.
    press(&mut s, KeyCode::Esc);
    assert!(!new_user(&s).editing);
    assert_eq!(s.screen, Screen::Credentials);
    press(&mut s, KeyCode::Enter);
    assert_eq!(new_user(&s).value(Input::NewUser), "fioreg-acme-ci", "kept");
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Registry);
    // A late answer of AWS after going back is dropped.
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Err("late".into()),
        },
    );
    assert_eq!(s.screen, Screen::Registry);
}

#[test]
fn aws_new_user_is_not_offered_when_rotating() {
    let mut s = state();
    s.flow = Flow::Rotate;
    s.creds = Some(CredsForm::new(Provider::Aws));
    s.screen = Screen::Credentials;
    update(
        &mut s,
        A::ProfilesLoaded(Ok(vec![profile("ci-pull", true, false)])),
    );
    press(&mut s, KeyCode::Down);
    assert!(matches!(
        s.creds.as_ref().unwrap().kind,
        CredsKind::Aws { cursor: 0, .. }
    ));
}

#[test]
fn aws_new_user_review_apply_and_done_name_what_was_created() {
    let mut s = state();
    to_new_aws_user_review(&mut s);
    let review = s.review.as_ref().unwrap();
    let cloud = review.cloud.as_ref().expect("the cloud actions");
    assert_eq!(cloud.identity.name(), "fioreg-acme-pull");
    assert_eq!(cloud.plan.actions.len(), 3);
    // No login test before the key exists: it runs during Apply.
    assert!(s.login.is_none() && review.login.is_none());
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud {
        plan,
        cloud,
        source,
    } = press(&mut s, KeyCode::Enter)
    else {
        panic!("not applied")
    };
    assert_eq!(
        cloud.remembered(""),
        ("aws_iam_user".into(), "fioreg-acme-pull".into(), "IAM user")
    );
    assert!(source.answers().is_some());
    assert_eq!(cloud.actions.len(), 3);
    drop(plan);
    assert_eq!(s.screen, Screen::Apply);
    let run = |s: &State| s.apply.as_ref().unwrap().cloud.clone().unwrap();
    assert!(
        run(&s)
            .actions
            .iter()
            .all(|(_, st)| *st == StepStatus::Pending)
    );
    use crate::cloud::CloudProgress;
    use crate::cloud::apply::Step;
    let a0 = cloud.actions[0].clone();
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Started(0, a0.clone()))),
    );
    assert_eq!(run(&s).actions[0].1, StepStatus::Running);
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Finished(0, a0))),
    );
    assert_eq!(run(&s).actions[0].1, StepStatus::Done);
    update(&mut s, A::CloudStep(Step::CheckingKey));
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Waiting {
            why: "InvalidClientTokenId".into(),
            left: std::time::Duration::from_secs(57),
        })),
    );
    assert_eq!(run(&s).key_check, Some(StepStatus::Running));
    assert!(run(&s).waiting.unwrap().contains("57 s left"));
    let arn = "arn:aws:iam::123456789012:user/fioreg-acme-pull";
    update(&mut s, A::CloudStep(Step::KeyWorks(arn.into())));
    assert_eq!(run(&s).key_check, Some(StepStatus::Done));
    assert_eq!(run(&s).waiting, None);
    update(&mut s, A::CloudStep(Step::TestingLogin(AWS_URL.into())));
    update(&mut s, A::CloudStep(Step::LoginAccepted(AWS_URL.into())));
    assert_eq!(run(&s).login, Some(StepStatus::Done));
    update(&mut s, A::CloudStep(Step::Apply(Progress::StoringSecret)));
    assert_eq!(s.apply.as_ref().unwrap().store, Some(StepStatus::Running));
    let effect = update(
        &mut s,
        A::CloudApplied(Ok((
            Applied {
                config_written: true,
                commit: None,
            },
            crate::wizard::report::CreatedIdentity {
                identity: arn.into(),
                key_id: "AKIANEWKEY0000000001".into(),
            },
        ))),
    );
    assert_eq!(s.screen, Screen::Done);
    assert!(matches!(effect, Effect::RememberChoices(_)));
    let report = crate::wizard::report::wizard_report(&s).unwrap();
    assert_eq!(
        report.lines[1].1,
        format!("Created for CI: {arn} with access key AKIANEWKEY0000000001.")
    );
    let line = crate::wizard::report::command_line(&s).unwrap();
    assert!(
        line.ends_with(&format!(
            "add aws --url {AWS_URL} --create-user fioreg-acme-pull --admin-profile admin"
        )),
        "{line}"
    );
}

#[test]
fn aws_new_user_failure_says_what_exists_and_marks_the_step() {
    let mut s = state();
    to_new_aws_user_review(&mut s);
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud { plan, cloud, .. } = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    use crate::cloud::CloudProgress;
    use crate::cloud::apply::Step;
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Started(
            1,
            cloud.actions[1].clone(),
        ))),
    );
    let message = crate::cloud::CloudError {
        message: "put-user-policy failed: AccessDenied".into(),
        exists: vec!["the IAM user fioreg-acme-pull (new, no permissions yet)".into()],
        next: vec!["aws --profile admin iam delete-user --user-name fioreg-acme-pull".into()],
        interrupted: false,
    }
    .to_string();
    update(
        &mut s,
        A::CloudApplied(Err(crate::wizard::state::ApplyFailure::from(
            message.as_str(),
        ))),
    );
    assert_eq!(s.screen, Screen::Apply);
    let run = s.apply.as_ref().unwrap();
    assert_eq!(run.cloud.as_ref().unwrap().actions[1].1, StepStatus::Failed);
    assert_eq!(run.store, Some(StepStatus::Pending), "nothing stored");
    let err = crate::wizard::report::outcome(&s).unwrap_err().to_string();
    assert!(
        err.contains("What exists now:") && err.contains("delete-user"),
        "{err}"
    );
}

#[test]
fn aws_new_user_interrupted_says_what_exists() {
    let mut s = state();
    to_new_aws_user_review(&mut s);
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud { plan, .. } = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    let message = "interrupted before setting the policy: nothing more was done\nWhat exists \
                   now:\n  - the IAM user fioreg-acme-pull (new, no permissions yet)";
    update(
        &mut s,
        A::CloudApplied(Err(ApplyFailure {
            message: message.into(),
            interrupted: true,
        })),
    );
    let outcome = crate::wizard::report::outcome(&s).unwrap();
    assert_eq!(outcome.exit_code(), 130);
    assert_eq!(outcome.message(), Some(message));
}

fn new_account(s: &State) -> IdentityForm {
    match &s.creds.as_ref().unwrap().kind {
        CredsKind::KeyFile { new_account, .. } => new_account.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn gar_new_account_fields_are_filled_edited_and_checked_before_gcloud_is_asked() {
    let mut s = state();
    to_registry(&mut s, 2);
    type_text(&mut s, GAR_URL);
    press(&mut s, KeyCode::Enter);
    // Down leaves the key file for the "create" item; Up goes back; typing goes to the key file.
    press(&mut s, KeyCode::Down);
    assert!(new_account(&s).selected);
    press(&mut s, KeyCode::Up);
    assert!(!new_account(&s).selected);
    press(&mut s, KeyCode::Down);
    assert!(matches!(
        type_text(&mut s, "k"),
        Effect::CheckKeyFile { .. }
    ));
    assert!(!new_account(&s).selected);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    let f = new_account(&s);
    assert!(f.editing);
    // The defaults: fioreg-<factory>-pull, and the location of the registry's host.
    assert_eq!(f.value(Input::ServiceAccount), "fioreg-acme-pull");
    assert_eq!(f.value(Input::GarLocation), "europe-west1");
    assert!(f.focused(Input::ServiceAccount));
    // An empty field is named and focused, before gcloud is asked.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert!(new_account(&s).focused(Input::GcpProject));
    let err = s.creds.as_ref().unwrap().error.clone().expect("refused");
    assert_eq!(err, "name the project");
    type_text(&mut s, "acme-prod-1");
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "Bad Repo");
    // A name Google refuses is refused here.
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    let err = s.creds.as_ref().unwrap().error.clone().expect("refused");
    assert!(err.contains("Bad Repo"), "{err}");
    update(&mut s, ctrl('u'));
    type_text(&mut s, "containers");
    // Shift-Tab goes back round to the name.
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::BackTab);
    assert!(new_account(&s).focused(Input::ServiceAccount));
    for _ in 0.."pull".len() {
        press(&mut s, KeyCode::Backspace);
    }
    type_text(&mut s, "ci");
    let Effect::PlanIdentity { source, identity } = press(&mut s, KeyCode::Enter) else {
        panic!("gcloud was not asked")
    };
    let NewIdentity::GarAccount {
        name,
        project,
        location,
        repository,
    } = identity.clone()
    else {
        panic!("gcloud was not asked")
    };
    assert_eq!(
        [name.as_str(), &project, &location, &repository],
        [
            "fioreg-acme-ci",
            "acme-prod-1",
            "europe-west1",
            "containers"
        ]
    );
    assert_eq!(
        source.answers().unwrap().request.url.as_deref(),
        Some(GAR_URL)
    );
    assert!(new_account(&s).planning && s.busy());
    assert!(
        matches!(press(&mut s, KeyCode::Enter), Effect::None),
        "one question at a time"
    );
    // gcloud refuses: the words stay under the fields.
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source.clone()),
            identity: identity.clone(),
            result: Err("there is no Artifact Registry repository containers".into()),
        },
    );
    assert_eq!(s.screen, Screen::Credentials);
    assert!(!new_account(&s).planning);
    assert!(
        s.creds
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("no Artifact Registry repository")
    );
    // Esc goes back to the key file (the fields are kept), then to the Registry screen.
    press(&mut s, KeyCode::Esc);
    assert!(!new_account(&s).editing);
    assert_eq!(s.screen, Screen::Credentials);
    press(&mut s, KeyCode::Enter);
    assert_eq!(
        new_account(&s).value(Input::ServiceAccount),
        "fioreg-acme-ci",
        "kept"
    );
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Registry);
    // A late answer after going back is dropped.
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Err("late".into()),
        },
    );
    assert_eq!(s.screen, Screen::Registry);
}

#[test]
fn gar_new_account_is_not_offered_when_rotating() {
    let mut s = state();
    s.flow = Flow::Rotate;
    s.creds = Some(CredsForm::new(Provider::Gar));
    s.screen = Screen::Credentials;
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    let f = new_account(&s);
    assert!(!f.selected && !f.editing);
}

#[test]
fn gar_new_account_review_apply_and_done_name_what_was_created() {
    let mut s = state();
    to_new_gar_account_review(&mut s);
    let review = s.review.as_ref().unwrap();
    let cloud = review.cloud.as_ref().expect("the cloud actions");
    let email = "fioreg-acme-pull@acme-prod-1.iam.gserviceaccount.com";
    assert_eq!(cloud.plan.identity, email);
    // Create the account, bind the reader role on the repository, create the key.
    assert_eq!(cloud.plan.actions.len(), 3);
    assert!(
        cloud
            .plan
            .render()
            .contains("projects/acme-prod-1/locations/europe-west1/repositories/containers"),
        "{}",
        cloud.plan.render()
    );
    assert!(s.login.is_none() && review.login.is_none());
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud { plan, cloud, .. } = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    assert_eq!(s.screen, Screen::Apply);
    let run = |s: &State| s.apply.as_ref().unwrap().cloud.clone().unwrap();
    use crate::cloud::CloudProgress;
    use crate::cloud::apply::Step;
    for (i, a) in cloud.actions.iter().enumerate() {
        update(
            &mut s,
            A::CloudStep(Step::Cloud(CloudProgress::Started(i, a.clone()))),
        );
        assert_eq!(run(&s).actions[i].1, StepStatus::Running);
        update(
            &mut s,
            A::CloudStep(Step::Cloud(CloudProgress::Finished(i, a.clone()))),
        );
        assert_eq!(run(&s).actions[i].1, StepStatus::Done);
    }
    update(&mut s, A::CloudStep(Step::KeyIsOf(email.into())));
    assert_eq!(run(&s).key_check, Some(StepStatus::Done));
    assert_eq!(run(&s).key_arn.as_deref(), Some(email));
    update(&mut s, A::CloudStep(Step::TestingLogin(GAR_URL.into())));
    update(&mut s, A::CloudStep(Step::LoginAccepted(GAR_URL.into())));
    assert_eq!(run(&s).login, Some(StepStatus::Done));
    update(
        &mut s,
        A::CloudApplied(Ok((
            Applied {
                config_written: true,
                commit: None,
            },
            crate::wizard::report::CreatedIdentity {
                identity: email.into(),
                key_id: "0123456789abcdef".into(),
            },
        ))),
    );
    assert_eq!(s.screen, Screen::Done);
    let report = crate::wizard::report::wizard_report(&s).unwrap();
    assert_eq!(
        report.lines[1].1,
        format!("Created for CI: {email} with key 0123456789abcdef.")
    );
    let line = crate::wizard::report::command_line(&s).unwrap();
    assert!(
        line.ends_with(&format!(
            "add gar --url {GAR_URL} --create-service-account fioreg-acme-pull --project \
             acme-prod-1 --location europe-west1 --repository containers"
        )),
        "{line}"
    );
    assert!(!line.contains("--key-file"), "{line}");
}

fn new_principal(s: &State) -> (UserTokenFocus, IdentityForm) {
    match &s.creds.as_ref().unwrap().kind {
        CredsKind::UserToken {
            focus,
            new_principal,
            ..
        } => (*focus, new_principal.clone()),
        _ => unreachable!(),
    }
}

const AZURE_URL: &str = "acmeprod.azurecr.io";

/// Start -> azure -> Registry ([`AZURE_URL`]) -> Credentials, Shift-Tab to the "create" item.
fn to_new_azure_principal(s: &mut State) {
    to_registry(s, 1);
    type_text(s, AZURE_URL);
    press(s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Credentials);
    press(s, KeyCode::BackTab);
    assert_eq!(new_principal(s).0, UserTokenFocus::CreateNew);
}

#[test]
fn azure_new_principal_fields_are_filled_and_checked_before_az_is_asked() {
    let mut s = state();
    to_new_azure_principal(&mut s);
    // The keyring's answer does not take the focus off the "create" item.
    update(
        &mut s,
        A::KeyringChecked {
            account: AZURE_URL.into(),
            held: false,
        },
    );
    assert_eq!(new_principal(&s).0, UserTokenFocus::CreateNew);
    // Typing goes nowhere on the item; Tab goes round to the id.
    type_text(&mut s, "x");
    press(&mut s, KeyCode::Tab);
    assert_eq!(new_principal(&s).0, UserTokenFocus::User);
    press(&mut s, KeyCode::BackTab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    let (_, f) = new_principal(&s);
    assert!(f.editing);
    assert_eq!(
        f.value(Input::AzurePrincipal),
        "fioreg-acme-pull",
        "the default name"
    );
    assert!(f.focused(Input::AzurePrincipal));
    // An expiry without repositories is refused (as the CLI refuses it), and so is a bad name.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "30");
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    let err = s.creds.as_ref().unwrap().error.clone().expect("refused");
    assert!(err.contains("repository-scoped token"), "{err}");
    assert!(new_principal(&s).1.focused(Input::TokenDays));
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, " ci");
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert!(
        s.creds.as_ref().unwrap().error.is_some(),
        "`fioreg-acme-pull ci`"
    );
    for _ in 0..3 {
        press(&mut s, KeyCode::Backspace);
    }
    // Repositories: a token reading only them, with the expiry.
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "team/app, base");
    let Effect::PlanIdentity { source, identity } = press(&mut s, KeyCode::Enter) else {
        panic!("az was not asked")
    };
    let NewIdentity::AzurePrincipal {
        name,
        repositories,
        days,
    } = identity.clone()
    else {
        panic!("az was not asked")
    };
    assert_eq!(name, "fioreg-acme-pull");
    assert_eq!(repositories, ["team/app", "base"]);
    assert_eq!(days, 30);
    assert_eq!(
        source.answers().unwrap().request.url.as_deref(),
        Some(AZURE_URL)
    );
    assert!(new_principal(&s).1.planning && s.busy());
    // az refuses: the words stay under the fields; Esc goes back to the id and password form.
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Err("Please run 'az login' to setup account.".into()),
        },
    );
    assert!(!new_principal(&s).1.planning);
    assert!(
        s.creds
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("az login")
    );
    press(&mut s, KeyCode::Esc);
    assert!(!new_principal(&s).1.editing);
    assert_eq!(s.screen, Screen::Credentials);
}

#[test]
fn azure_new_principal_is_offered_only_when_adding_an_azure_registry() {
    for (flow, provider) in [
        (Flow::Rotate, Provider::Azure),
        (Flow::Add, Provider::Generic),
    ] {
        let mut s = state();
        s.flow = flow;
        s.creds = Some(CredsForm::new(provider));
        s.screen = Screen::Credentials;
        for _ in 0..4 {
            press(&mut s, KeyCode::Tab);
            assert_ne!(
                new_principal(&s).0,
                UserTokenFocus::CreateNew,
                "{provider:?}"
            );
        }
    }
}

#[test]
fn azure_new_principal_review_apply_and_done_name_what_was_created() {
    let mut s = state();
    to_new_azure_principal(&mut s);
    press(&mut s, KeyCode::Enter);
    let Effect::PlanIdentity { source, identity } = press(&mut s, KeyCode::Enter) else {
        panic!("az was not asked")
    };
    let NewIdentity::AzurePrincipal {
        name, repositories, ..
    } = identity.clone()
    else {
        panic!("az was not asked")
    };
    assert!(repositories.is_empty(), "a principal on the whole registry");
    let cloud = crate::cloud::azure::new_principal_plan_for_tests(AZURE_URL, &name, &repositories);
    let plan = plan_for(&s, &source, "fioreg-acme-pull: id and password");
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Ok((std::sync::Arc::new(cloud), plan)),
        },
    );
    assert_eq!(s.screen, Screen::Review);
    let review = s.review.as_ref().unwrap();
    assert!(review.cloud.is_some() && review.login.is_none());
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud { plan, cloud, .. } = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    let run = |s: &State| s.apply.as_ref().unwrap().cloud.clone().unwrap();
    // Azure's new password is tested by the login alone: no separate key check.
    assert_eq!(run(&s).key_check, None);
    assert_eq!(run(&s).actions.len(), 1);
    use crate::cloud::CloudProgress;
    use crate::cloud::apply::Step;
    let a = cloud.actions[0].clone();
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Started(0, a.clone()))),
    );
    assert_eq!(run(&s).actions[0].1, StepStatus::Running);
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Finished(0, a))),
    );
    assert_eq!(run(&s).actions[0].1, StepStatus::Done);
    update(
        &mut s,
        A::CloudApplied(Ok((
            Applied {
                config_written: true,
                commit: None,
            },
            crate::wizard::report::CreatedIdentity {
                identity: "the service principal fioreg-acme-pull (AcrPull on acmeprod only), \
                           user name (appId) 0000-app"
                    .into(),
                key_id: String::new(),
            },
        ))),
    );
    assert_eq!(s.screen, Screen::Done);
    let report = crate::wizard::report::wizard_report(&s).unwrap();
    assert_eq!(
        report.lines[1].1,
        "Created for CI: the service principal fioreg-acme-pull (AcrPull on acmeprod only), user \
         name (appId) 0000-app."
    );
    let line = crate::wizard::report::command_line(&s).unwrap();
    assert!(
        line.ends_with(&format!(
            "add azure --url {AZURE_URL} --create-principal fioreg-acme-pull"
        )),
        "{line}"
    );
    assert!(!line.contains("--client-id"), "{line}");
}

#[test]
fn azure_new_principal_failure_keeps_the_account_of_what_exists() {
    let mut s = state();
    to_new_azure_principal(&mut s);
    press(&mut s, KeyCode::Enter);
    let Effect::PlanIdentity { source, identity } = press(&mut s, KeyCode::Enter) else {
        panic!("az was not asked")
    };
    let NewIdentity::AzurePrincipal { name, .. } = identity.clone() else {
        panic!("az was not asked")
    };
    let cloud = crate::cloud::azure::new_principal_plan_for_tests(AZURE_URL, &name, &[]);
    let plan = plan_for(&s, &source, "fioreg-acme-pull: id and password");
    update(
        &mut s,
        A::CloudPlanned {
            source: Box::new(source),
            identity: identity.clone(),
            result: Ok((std::sync::Arc::new(cloud), plan)),
        },
    );
    press(&mut s, KeyCode::Tab);
    assert!(matches!(
        press(&mut s, KeyCode::Enter),
        Effect::ApplyCloud { .. }
    ));
    let message = "fioctl failed\nWhat exists now:\n  - the service principal fioreg-acme-pull \
                   (appId 0000-app)\nWhat to run:\n  az ad sp delete --id 0000-app";
    update(
        &mut s,
        A::CloudApplied(Err(ApplyFailure {
            message: message.into(),
            interrupted: false,
        })),
    );
    let err = crate::wizard::report::outcome(&s).unwrap_err().to_string();
    assert_eq!(err, message);
}

#[test]
fn ctrl_c_while_a_cloud_identity_is_made_interrupts_it_and_ends_with_the_account() {
    let mut s = state();
    to_new_gar_account_review(&mut s);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(
        press(&mut s, KeyCode::Enter),
        Effect::ApplyCloud { .. }
    ));
    // q waits for the run, as for any apply.
    assert!(matches!(press(&mut s, KeyCode::Char('q')), Effect::None));
    assert!(!s.interrupted && !s.quit);
    // Ctrl-C stops the cloud work (the effect signals the running gcloud) ...
    assert!(matches!(update(&mut s, ctrl('c')), Effect::InterruptCloud));
    assert!(
        s.interrupted && !s.quit,
        "the wizard waits for the run's account"
    );
    // ... whose failure, interrupted, ends the wizard with exit 130 and that account.
    let message = "interrupted while creating the key\nWhat exists now:\n  - the service account \
                   x (new, no roles yet)\nWhat to run:\n  gcloud iam service-accounts delete x";
    update(
        &mut s,
        A::CloudApplied(Err(ApplyFailure {
            message: message.into(),
            interrupted: true,
        })),
    );
    assert!(s.quit);
    let outcome = crate::wizard::report::outcome(&s).unwrap();
    assert_eq!(outcome.exit_code(), 130);
    assert_eq!(outcome.message(), Some(message));
}
