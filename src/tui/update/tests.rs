//! Every transition of `update`, back navigation and validation included.

use super::*;
use crate::credentials::aws::ProfileInfo;
use crate::plan::CredentialInput;
use crate::tui::state::{Context, KeyCheck, StepStatus};
use crate::tui::testing::*;
use ratatui::crossterm::event::KeyCode;
use secrecy::ExposeSecret;

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
    update(&mut s, Event::SecretsListed(Ok(vec!["aws_creds".into()])));
    assert_eq!(s.secrets, Secrets::Loaded(vec!["aws_creds".into()]));
    update(&mut s, Event::SecretsListed(Err("not logged in".into())));
    assert_eq!(s.secrets, Secrets::Failed("not logged in".into()));
}

#[test]
fn ticks_and_resizes() {
    let mut s = state();
    update(&mut s, Event::Tick);
    update(&mut s, Event::Tick);
    assert_eq!(s.tick, 2);
    update(&mut s, Event::Resize(40, 12));
    assert_eq!(s.size, (40, 12));
}

#[test]
fn start_skips_disabled_actions_and_quits() {
    let mut s = state();
    press(&mut s, KeyCode::Down);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Quit);
    press(&mut s, KeyCode::Down);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Quit);
    press(&mut s, KeyCode::Up);
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Add);
    press(&mut s, KeyCode::Up);
    assert_eq!(s.start_cursor, 0);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Enter);
    assert!(s.quit);

    for quit in [key(KeyCode::Char('q')), key(KeyCode::Esc), ctrl('c')] {
        let mut s = state();
        update(&mut s, quit);
        assert!(s.quit);
    }
}

#[test]
fn start_scrolls_up_past_the_first_action_on_a_short_screen() {
    let mut s = state();
    update(&mut s, Event::Resize(40, 12));
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
    assert_eq!(StartAction::ALL[s.start_cursor], StartAction::Quit);
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
        Event::ProfilesLoaded(Ok(vec![
            profile("ci-pull", true, false),
            profile("default", true, false),
            profile("sso", false, false),
            profile("temp", true, true),
        ])),
    );
    // The first usable profile that does not look personal.
    let cursor = || match s.creds.as_ref().unwrap().kind {
        CredsKind::Aws { cursor } => cursor,
        _ => unreachable!(),
    };
    assert_eq!(cursor(), 0);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert_eq!(
        match s.creds.as_ref().unwrap().kind {
            CredsKind::Aws { cursor } => cursor,
            _ => unreachable!(),
        },
        1,
        "sso and temp are disabled"
    );
    let Effect::BuildPlan(answers) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert!(matches!(&answers.credential, CredentialInput::AwsProfile(Some(p)) if p == "default"));
    // Back and forth keeps the profiles and the cursor; they are not read again.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Registry);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    assert_eq!(s.screen, Screen::Credentials);
    assert!(matches!(
        s.creds.as_ref().unwrap().kind,
        CredsKind::Aws { cursor: 1 }
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
    update(&mut s, Event::ProfilesLoaded(Err("malformed".into())));
    assert_eq!(s.profiles, Profiles::Failed("malformed".into()));
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::None));
    // Only a temporary profile: nothing can be chosen.
    let mut s = state();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    press(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Event::ProfilesLoaded(Ok(vec![profile("temp", true, true)])),
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
    let Effect::BuildPlan(answers) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    match &answers.credential {
        CredentialInput::UserToken { user, password } => {
            assert_eq!(user, "ci");
            assert_eq!(password.expose_secret(), "to:k");
        }
        other => panic!("{other:?}"),
    }
    // The core refuses the ':'; the message lands under the fields.
    let refusal = answers.secret(&crate::credentials::aws::ProfileSource::real());
    let msg = refusal.unwrap_err().to_string();
    update(
        &mut s,
        Event::PlanBuilt {
            answers,
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
        Event::PathCompleted {
            input: "other".into(),
            completed: "other.json".into(),
            candidates: vec![],
        },
    );
    let effect = update(
        &mut s,
        Event::PathCompleted {
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
        Event::KeyFileChecked {
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
        Event::KeyFileChecked {
            path: "keys/sa-key.json".into(),
            result: Ok("ci@acme.iam.gserviceaccount.com".into()),
        },
    );
    let Effect::BuildPlan(answers) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    assert!(matches!(
        &answers.credential,
        CredentialInput::GcpKeyFile(p) if p == &PathBuf::from("keys/sa-key.json")
    ));
    // An invalid key blocks Enter.
    press(&mut s, KeyCode::Backspace);
    update(
        &mut s,
        Event::KeyFileChecked {
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
    assert_eq!(run.store, StepStatus::Pending);
    assert_eq!(run.write, Some(StepStatus::Pending));
}

/// From Credentials (answers kept) back to Review.
fn to_review_again(s: &mut State) {
    let Effect::BuildPlan(answers) = press(s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let plan = plan_for(s, &answers, "user ci, token");
    update(
        s,
        Event::PlanBuilt {
            answers,
            result: Ok(plan),
        },
    );
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn review_scrolls_within_the_diff() {
    let mut s = state();
    update(&mut s, Event::Resize(40, 12));
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
    update(&mut s, Event::Resize(100, 40));
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
    update(&mut s, Event::Progress(Progress::StoringSecret));
    assert_eq!(s.apply.as_ref().unwrap().store, StepStatus::Running);
    for quit in [key(KeyCode::Char('q')), ctrl('c'), key(KeyCode::Esc)] {
        update(&mut s, quit);
    }
    assert!(!s.quit);
    assert_eq!(s.screen, Screen::Apply);
    assert!(s.apply.as_ref().unwrap().quit_requested);
    update(&mut s, Event::Progress(Progress::SecretStored));
    update(&mut s, Event::Progress(Progress::WritingConfig));
    let run = s.apply.as_ref().unwrap();
    assert_eq!(
        (run.store, run.write),
        (StepStatus::Done, Some(StepStatus::Running))
    );
    update(&mut s, Event::Progress(Progress::ConfigWritten));
    update(
        &mut s,
        Event::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    assert_eq!(s.screen, Screen::Done);
    // Done: scroll, then any of Enter, q, Esc quits.
    update(&mut s, Event::Resize(40, 12));
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
    update(&mut s, Event::Progress(Progress::StoringSecret));
    update(
        &mut s,
        Event::Applied(Err("fioctl said no\nNothing was changed".into())),
    );
    assert_eq!(s.screen, Screen::Apply);
    let run = s.apply.as_ref().unwrap();
    assert_eq!(run.store, StepStatus::Failed);
    assert_eq!(run.write, Some(StepStatus::Pending));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Review);
    // Applying again starts a new run.
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
    assert!(!s.apply.as_ref().unwrap().finished());
    update(&mut s, Event::Applied(Err("again".into())));
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
    let Effect::BuildPlan(answers) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    press(&mut s, KeyCode::Esc);
    let plan = plan_for(&s, &answers, "user ci, token");
    update(
        &mut s,
        Event::PlanBuilt {
            answers,
            result: Ok(plan),
        },
    );
    assert_eq!(s.screen, Screen::Registry);
    assert!(s.review.is_none());
    update(&mut s, Event::Progress(Progress::StoringSecret));
    assert!(s.apply.is_none());
}
