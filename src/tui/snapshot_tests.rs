//! Every screen drawn through ratatui's TestBackend at 80x24 and 40x12 (plus the too-small
//! message), compared with the snapshots in `src/tui/snapshots/`. The data is fixed: a config
//! parsed as `factory-config.yml`, fixed profiles, the key fixture in tests/fixtures.

use super::testing::*;
use super::view;
use crate::credentials::aws::ProfileInfo;
use crate::fioctl::FioctlError;
use crate::plan::{Applied, ApplyError, Progress};
use crate::verify::{Outcome, VerifyError};
use crate::wizard::Action as A;
use crate::wizard::Effect;
use crate::wizard::state::{Context, DemoInfo, State};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;
use std::path::PathBuf;

/// The screen as text, one line per row, trailing spaces cut.
fn render(state: &mut State, w: u16, h: u16) -> String {
    update(state, A::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::draw(f, state)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Snapshots the state at both sizes (`NAME@80x24`, `NAME@40x12`).
fn snap(name: &str, state: &mut State) {
    for (w, h) in [(80, 24), (40, 12)] {
        let text = render(state, w, h);
        insta::assert_snapshot!(format!("{name}@{w}x{h}"), text);
    }
}

fn profiles() -> Vec<ProfileInfo> {
    let p = |name: &str, id: Option<&str>, keys: bool, token: bool| ProfileInfo {
        name: name.into(),
        access_key_id_masked: id.map(String::from),
        has_keys: keys,
        session_token: token,
        looks_personal: name == "default",
    };
    vec![
        p("ci-pull", Some("AKIA••••0001"), true, false),
        p("default", Some("AKIA••••0002"), true, false),
        p("sso-admin", None, false, false),
        p("temporary", Some("ASIA••••0003"), true, true),
    ]
}

fn loaded() -> State {
    let mut s = state();
    update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
    s
}

#[test]
fn start_screens() {
    snap("start_loading", &mut state());
    snap("start_loaded", &mut loaded());
    let mut s = loaded();
    update(&mut s, A::Resize(40, 12));
    for _ in 0..10 {
        press(&mut s, KeyCode::Up);
    }
    insta::assert_snapshot!("start_scrolled_up@40x12", render(&mut s, 40, 12));
    let mut s = State::new(
        Context {
            store_error: Some(
                "fioctl was not found: not on PATH. Download fioctl from its releases page".into(),
            ),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    snap("start_no_store", &mut s);
    let broken = crate::factory_config::FactoryConfig::parse(
        std::path::Path::new("factory-config.yml"),
        "notify:\n  email: 'ops@acme\nlmp: {}\n".into(),
    )
    .unwrap_err()
    .to_string();
    snap("start_broken_config", &mut State::new(ctx(), Err(broken)));
    let mut s = State::new(
        Context {
            demo: Some(DemoInfo {
                dir: "/tmp/fioreg-demo-example".into(),
                secrets_dir: "/tmp/fioreg-demo-example/secrets".into(),
            }),
            factory_label: "demo-factory (from --factory)".into(),
            factory: Some("demo-factory".into()),
            verify: None,
            ..ctx()
        },
        Ok(config("lmp: {}\n")),
    );
    snap("start_demo_empty", &mut s);
}

#[test]
fn start_with_remembered_factories() {
    let mut s = loaded();
    assert!(matches!(
        crate::wizard::init_fleet(&mut s, true),
        Effect::LoadFleet
    ));
    snap("start_fleet_loading", &mut s);
    update(&mut s, A::FleetLoaded(Ok(fleet_views())));
    snap("start_fleet", &mut s);
    update(&mut s, A::Resize(40, 12));
    for _ in 0..20 {
        press(&mut s, KeyCode::Up);
    }
    insta::assert_snapshot!("start_fleet_scrolled_up@40x12", render(&mut s, 40, 12));
}

#[test]
fn provider_screen() {
    let mut s = loaded();
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Down);
    snap("provider", &mut s);
}

#[test]
fn registry_screens() {
    let mut s = loaded();
    to_registry(&mut s, 1);
    type_text(&mut s, "acme prod.azurecr.io");
    snap("registry_azure_invalid", &mut s);

    let mut s = loaded();
    to_registry(&mut s, 0);
    type_text(&mut s, "210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    press(&mut s, KeyCode::Enter);
    snap("registry_aws_second_entry", &mut s);

    let mut s = loaded();
    to_registry(&mut s, 2);
    snap("registry_gar_empty", &mut s);
}

#[test]
fn credentials_screens() {
    let mut s = loaded();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    press(&mut s, KeyCode::Enter);
    snap("credentials_aws_loading", &mut s);
    update(&mut s, A::ProfilesLoaded(Ok(profiles())));
    press(&mut s, KeyCode::Down);
    snap("credentials_aws", &mut s);

    // Azure: the password is masked, and the core's refusal is shown under the fields.
    let mut s = loaded();
    to_registry(&mut s, 1);
    type_text(&mut s, "acmeprod.azurecr.io");
    press(&mut s, KeyCode::Enter);
    type_text(&mut s, "1f2e3d4c-0000-1111-2222-33334444559a");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "hunter:2");
    let Effect::BuildPlan(source) = press(&mut s, KeyCode::Enter) else {
        panic!("no plan")
    };
    let err = source
        .answers()
        .unwrap()
        .secret(&crate::credentials::aws::ProfileSource::real())
        .unwrap_err()
        .to_string();
    update(
        &mut s,
        A::PlanBuilt {
            source,
            result: Err(err),
        },
    );
    for (w, h) in [(80, 24), (40, 12)] {
        assert!(!render(&mut s, w, h).contains("hunter"));
    }
    snap("credentials_azure_refused", &mut s);

    // GAR: the real fixture, checked by the core; the service account's email is shown.
    let mut s = loaded();
    to_registry(&mut s, 2);
    press(&mut s, KeyCode::Enter);
    let path = "tests/fixtures/gcp/sa-key.json";
    let Effect::CheckKeyFile { typed, path: p } = type_text(&mut s, path) else {
        panic!("no check")
    };
    let result = crate::credentials::gcp::key_file(&p)
        .map(|(_, info)| info.client_email)
        .map_err(|e| e.to_string());
    assert!(result.is_ok(), "{result:?}");
    update(
        &mut s,
        A::KeyFileChecked {
            path: typed,
            result,
        },
    );
    snap("credentials_gar_valid", &mut s);

    let mut s = loaded();
    to_registry(&mut s, 2);
    press(&mut s, KeyCode::Enter);
    let Effect::CheckKeyFile { typed, path: p } =
        type_text(&mut s, "tests/fixtures/gcp/authorized-user.json")
    else {
        panic!("no check")
    };
    let result = crate::credentials::gcp::key_file(&p)
        .map(|(_, info)| info.client_email)
        .map_err(|e| e.to_string());
    update(
        &mut s,
        A::KeyFileChecked {
            path: typed,
            result,
        },
    );
    update(
        &mut s,
        A::PathCompleted {
            input: "tests/fixtures/gcp/authorized-user.json".into(),
            completed: "tests/fixtures/gcp/authorized-user.json".into(),
            candidates: vec![
                "authorized-user.json".into(),
                "authorized-user2.json".into(),
            ],
        },
    );
    snap("credentials_gar_refused", &mut s);
}

#[test]
fn review_screens() {
    let mut s = loaded();
    to_review(&mut s);
    snap("review", &mut s);
    press(&mut s, KeyCode::Tab);
    for _ in 0..3 {
        press(&mut s, KeyCode::Down);
    }
    snap("review_scrolled_apply_focused", &mut s);

    let mut s = State::new(
        Context {
            store_error: Some("fioctl was not found: not on PATH".into()),
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    snap("review_no_store", &mut s);
}

#[test]
fn apply_and_done_screens() {
    let mut s = loaded();
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(press(&mut s, KeyCode::Enter), Effect::Apply(_)));
    update(&mut s, A::Progress(Progress::StoringSecret));
    update(&mut s, A::Progress(Progress::SecretStored));
    update(&mut s, A::Progress(Progress::WritingConfig));
    press(&mut s, KeyCode::Char('q'));
    snap("apply_running", &mut s);

    let mut failed = loaded();
    to_review(&mut failed);
    press(&mut failed, KeyCode::Tab);
    press(&mut failed, KeyCode::Enter);
    update(&mut failed, A::Progress(Progress::StoringSecret));
    let error = ApplyError::Fioctl(FioctlError::NotLoggedIn {
        command: "fioctl --factory acme secrets update docker_creds==<file>".into(),
        error_line: "ERROR: Please run: \"fioctl login\" first".into(),
    });
    update(
        &mut failed,
        A::Applied(Err(crate::wizard::state::ApplyFailure::of(&error))),
    );
    snap("apply_failed", &mut failed);

    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    snap("done", &mut s);

    let mut demo = State::new(
        Context {
            demo: Some(DemoInfo {
                dir: "/tmp/fioreg-demo-example".into(),
                secrets_dir: "/tmp/fioreg-demo-example/secrets".into(),
            }),
            config_path: PathBuf::from("/tmp/fioreg-demo-example/factory-config.yml"),
            factory_label: "demo-factory (from --factory)".into(),
            factory: Some("demo-factory".into()),
            plan_factory: Some("demo-factory".into()),
            verify: None,
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    update(&mut demo, A::SecretsListed(Ok(vec![])));
    to_review(&mut demo);
    press(&mut demo, KeyCode::Tab);
    press(&mut demo, KeyCode::Enter);
    update(
        &mut demo,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    snap("done_demo", &mut demo);
}

#[test]
fn too_small_and_the_narrow_fold() {
    let mut s = loaded();
    insta::assert_snapshot!("too_small@39x11", render(&mut s, 39, 11));
    // 59 columns: the step list folds into the header.
    to_registry(&mut s, 3);
    insta::assert_snapshot!("registry_folded@59x14", render(&mut s, 59, 14));
}

#[test]
fn no_color_means_no_colour_at_all() {
    let fresh = || {
        let mut s = State::new(
            Context {
                color: false,
                ..ctx()
            },
            Ok(config(CONFIG)),
        );
        update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
        s
    };
    let start = fresh();
    let mut registry = fresh();
    to_registry(&mut registry, 1);
    type_text(&mut registry, "bad url");
    let mut review = fresh();
    to_review(&mut review);
    for s in [start, registry, review] {
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        term.draw(|f| view::draw(f, &s)).unwrap();
        for cell in term.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
    }
}

/// [`SHARED`] with the secrets listed: a shared secret, an unknown type, a missing key.
fn shared() -> State {
    let mut s = State::new(ctx(), Ok(config(SHARED)));
    update(&mut s, A::SecretsListed(Ok(vec!["shared_creds".into()])));
    s
}

#[test]
fn start_with_findings() {
    snap("start_findings", &mut shared());
    // On a short screen the findings are above the actions: ↑ scrolls up to them.
    let mut s = shared();
    update(&mut s, A::Resize(40, 12));
    for _ in 0..6 {
        press(&mut s, KeyCode::Up);
    }
    insta::assert_snapshot!("start_findings_scrolled@40x12", render(&mut s, 40, 12));
}

#[test]
fn pick_screens() {
    let mut s = shared();
    to_pick(&mut s, 1);
    press(&mut s, KeyCode::Down);
    snap("pick_rotate", &mut s);

    let mut s = shared();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Char(' '));
    snap("pick_remove_refused", &mut s);

    let mut s = loaded();
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Down);
    snap("pick_remove", &mut s);
}

/// Rotate the generic entry of [`CONFIG`]: on its Credentials screen, the key store answered.
fn rotate_generic(held: bool) -> State {
    let mut s = loaded();
    to_pick(&mut s, 1);
    press(&mut s, KeyCode::Down);
    let Effect::CheckKeyring(account) = press(&mut s, KeyCode::Enter) else {
        panic!("the key store was not asked")
    };
    update(&mut s, A::KeyringChecked { account, held });
    type_text(&mut s, "ci-bot");
    s
}

#[test]
fn keyring_on_the_credentials_screen() {
    let mut s = rotate_generic(true);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char(' '));
    snap("credentials_rotate_remembered", &mut s);

    let mut s = rotate_generic(false);
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok3n");
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char(' '));
    snap("credentials_remember_checked", &mut s);
}

/// Feeds the BuildPlan effect's answer back, with a fixed secret.
fn build(s: &mut State, effect: Effect, description: &str) {
    let Effect::BuildPlan(source) = effect else {
        panic!("no plan asked for")
    };
    let plan = plan_for(s, &source, description);
    plan_built(s, source, plan);
}

#[test]
fn rotate_screens() {
    let mut s = rotate_generic(false);
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "tok3n");
    let effect = press(&mut s, KeyCode::Enter);
    build(&mut s, effect, "user ci-bot, token");
    snap("review_rotate", &mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::Progress(Progress::StoringSecret));
    snap("apply_rotate_running", &mut s);
    update(&mut s, A::Progress(Progress::SecretStored));
    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: false,
            commit: None,
        })),
    );
    snap("done_rotate", &mut s);
}

/// Remove the generic entry of [`CONFIG`] with its secret, in a checkout: on Review.
fn remove_generic_in_checkout() -> State {
    let mut s = State::new(ctx_in_checkout(), Ok(config(CONFIG)));
    update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
    to_pick(&mut s, 2);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Enter);
    s
}

#[test]
fn remove_and_commit_screens() {
    let mut s = remove_generic_in_checkout();
    snap("review_remove_delete", &mut s);
    press(&mut s, KeyCode::Char(' '));
    update(
        &mut s,
        A::CommitChecked(Err(crate::git::GitError::Dirty {
            path: "factory-config.yml".into(),
        }
        .to_string())),
    );
    press(&mut s, KeyCode::Tab);
    snap("review_commit_refused", &mut s);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Char(' '));
    update(
        &mut s,
        A::CommitChecked(Ok(commit_plan(
            "container_registries: remove generic ghcr.io",
        ))),
    );
    snap("review_commit_on", &mut s);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::Progress(Progress::WritingConfig));
    update(&mut s, A::Progress(Progress::ConfigWritten));
    update(&mut s, A::Progress(Progress::DeletingSecret));
    snap("apply_remove_running", &mut s);
    update(&mut s, A::Progress(Progress::SecretDeleted));
    update(&mut s, A::Progress(Progress::Committing));
    update(&mut s, A::Progress(Progress::Committed));
    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: Some("abc1234".into()),
        })),
    );
    snap("done_remove_committed", &mut s);
}

#[test]
fn done_after_an_add_whose_settings_were_not_saved() {
    let mut s = loaded();
    to_review(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(
        &mut s,
        A::Applied(Ok(Applied {
            config_written: true,
            commit: None,
        })),
    );
    update(
        &mut s,
        A::SettingsSaved(Err(
            "cannot write /home/me/.config/fioreg/config.toml: read-only file system".into(),
        )),
    );
    snap("done_settings_warning", &mut s);
}

/// The Test login screen of a generic docker.io add, with the login test's answer.
fn login_with(result: Result<Outcome, VerifyError>) -> State {
    let mut s = loaded();
    drop(to_login(&mut s));
    login_answer(&mut s, result);
    s
}

#[test]
fn test_login_screens() {
    let mut s = loaded();
    drop(to_login(&mut s));
    snap("login_running", &mut s);

    snap("login_accepted", &mut login_with(Ok(Outcome::Valid)));
    snap(
        "login_no_login",
        &mut login_with(Ok(Outcome::NoLoginRequired)),
    );
    snap(
        "login_rejected",
        &mut login_with(Err(VerifyError::Rejected {
            registry: "docker.io".into(),
            status: 401,
        })),
    );
    snap(
        "login_no_pull",
        &mut login_with(Ok(Outcome::ValidNoPull {
            repository: "team/app".into(),
        })),
    );
    let unreachable = || {
        login_with(Err(VerifyError::Unreachable {
            url: "https://docker.io/v2/".into(),
            reason: "connection refused (os error 111)".into(),
        }))
    };
    snap("login_unreachable", &mut unreachable());
    let mut s = unreachable();
    press(&mut s, KeyCode::Tab);
    snap("login_unreachable_store_anyway", &mut s);
    press(&mut s, KeyCode::Enter);
    snap("review_stored_untested", &mut s);
}

#[test]
fn a_skipped_login_test_is_said_on_the_steps_and_the_review() {
    let mut s = State::new(
        Context {
            verify: None,
            ..ctx()
        },
        Ok(config(CONFIG)),
    );
    update(&mut s, A::SecretsListed(Ok(vec!["aws_creds".into()])));
    to_review(&mut s);
    snap("review_login_skipped", &mut s);
}

#[test]
fn new_aws_user_screens() {
    // The create item selected after the profiles.
    let mut s = loaded();
    to_registry(&mut s, 0);
    type_text(&mut s, AWS_URL);
    press(&mut s, KeyCode::Enter);
    update(&mut s, A::ProfilesLoaded(Ok(profiles())));
    for _ in 0..4 {
        press(&mut s, KeyCode::Down);
    }
    snap("credentials_aws_new_user_choice", &mut s);
    // Its fields, filled with the defaults.
    let mut s = loaded();
    to_new_aws_user(&mut s);
    snap("credentials_aws_new_user", &mut s);
    // The Review: the AWS actions and the policy before the fioctl call and the diff.
    let mut s = loaded();
    to_new_aws_user_review(&mut s);
    snap("review_new_aws_user", &mut s);
    // Apply: the first action done, the second under way.
    press(&mut s, KeyCode::Tab);
    let Effect::ApplyCloud { plan, cloud, .. } = press(&mut s, KeyCode::Enter) else {
        panic!("not applied")
    };
    drop(plan);
    use crate::cloud::CloudProgress;
    use crate::cloud::apply::Step;
    let step = |s: &mut State, st: Step| {
        update(s, A::CloudStep(st));
    };
    step(
        &mut s,
        Step::Cloud(CloudProgress::Started(0, cloud.actions[0].clone())),
    );
    step(
        &mut s,
        Step::Cloud(CloudProgress::Finished(0, cloud.actions[0].clone())),
    );
    step(
        &mut s,
        Step::Cloud(CloudProgress::Started(1, cloud.actions[1].clone())),
    );
    snap("apply_new_aws_user", &mut s);
}

#[test]
fn new_gar_account_screens() {
    // The create item selected under the key file.
    let mut s = loaded();
    to_registry(&mut s, 2);
    type_text(&mut s, GAR_URL);
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Down);
    snap("credentials_gar_new_account_choice", &mut s);
    // Its fields, filled with the defaults.
    let mut s = loaded();
    to_new_gar_account(&mut s);
    snap("credentials_gar_new_account", &mut s);
    // The Review: the gcloud actions and the role binding before the fioctl call and the diff.
    let mut s = loaded();
    to_new_gar_account_review(&mut s);
    snap("review_new_gar_account", &mut s);
    // Apply: the first action done, the second under way.
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
            0,
            cloud.actions[0].clone(),
        ))),
    );
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Finished(
            0,
            cloud.actions[0].clone(),
        ))),
    );
    update(
        &mut s,
        A::CloudStep(Step::Cloud(CloudProgress::Started(
            1,
            cloud.actions[1].clone(),
        ))),
    );
    snap("apply_new_gar_account", &mut s);
}

#[test]
fn new_azure_principal_screens() {
    // The create item after the id and password, with the focus.
    let mut s = loaded();
    to_registry(&mut s, 1);
    type_text(&mut s, "acmeprod.azurecr.io");
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::BackTab);
    snap("credentials_azure_new_principal_choice", &mut s);
    // Its fields, the name filled with the default.
    press(&mut s, KeyCode::Enter);
    snap("credentials_azure_new_principal", &mut s);
}

#[test]
fn start_across_factories() {
    let members = ["acme", "beta", "gamma"]
        .map(|name| crate::fleet::Member {
            name: name.into(),
            config: PathBuf::from(format!("/src/{name}/factory-config.yml")),
        })
        .to_vec();
    let tools = crate::fleet::Tools {
        fioctl: None,
        timeout: std::time::Duration::from_secs(1),
        jobs: 4,
    };
    let source =
        crate::fleet::matrix::FleetSource::several(PathBuf::from("config.toml"), members, &tools);
    let mut s = State::new(ctx(), Ok(config("")));
    assert!(matches!(
        crate::wizard::init_session_fleet(&mut s, Some(&source)),
        Effect::LoadFleet
    ));
    update(&mut s, A::FleetLoaded(Ok(fleet_views())));
    // gamma left out with Space: Up from the first action, then Space.
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::Char(' '));
    snap("start_several", &mut s);
}

#[test]
fn start_switched_from_one_factory_to_several() {
    // acme's own Start with the remembered factories: the item before Quit.
    let mut s = loaded();
    crate::wizard::init_fleet(&mut s, true);
    update(&mut s, A::FleetLoaded(Ok(fleet_views())));
    let items = s.start_items();
    let at = items
        .iter()
        .position(|i| i.label() == crate::wizard::state::SEVERAL_LABEL)
        .unwrap();
    assert_eq!(at, items.len() - 2);
    for _ in 0..at {
        press(&mut s, KeyCode::Down);
    }
    assert_eq!(s.start_cursor, at);
    insta::assert_snapshot!("start_several_item@80x24", render(&mut s, 80, 24));
    // Enter: across factories, acme alone chosen, the cursor on its box; Esc goes back.
    press(&mut s, KeyCode::Enter);
    assert!(s.switched_to_several());
    snap("start_switched", &mut s);
    press(&mut s, KeyCode::Esc);
    assert!(s.several.is_none());
    assert_eq!(s.start_cursor, at);
    assert!(!s.quit);
}

#[test]
fn done_across_factories_with_a_failed_factory() {
    use crate::fleet::summary::{Row, RowResult};
    use crate::wizard::state::{Flow, Screen};
    let mut s = loaded();
    crate::wizard::init_fleet(&mut s, true);
    update(&mut s, A::FleetLoaded(Ok(fleet_views())));
    let at = s
        .start_items()
        .iter()
        .position(|i| i.label() == crate::wizard::state::SEVERAL_LABEL)
        .unwrap();
    update(&mut s, A::Select(at));
    // No login test (as with --no-verify): the plan goes to the review.
    s.ctx.verify = None;
    // beta chosen too; rotate ghcr.io in both.
    update(&mut s, A::Cursor(1));
    press(&mut s, KeyCode::Char(' '));
    let rotate = s
        .start_items()
        .iter()
        .position(|i| i.label().starts_with("Rotate"))
        .unwrap();
    update(&mut s, A::Select(rotate));
    let ghcr = s
        .entries()
        .iter()
        .position(|e| e.target.as_deref() == Ok("ghcr.io"))
        .unwrap();
    update(&mut s, A::Select(ghcr));
    assert_eq!((s.flow, s.screen), (Flow::Rotate, Screen::Credentials));
    // The plan for all, as the effect builds it (the CLI's core, one secret).
    let dir = tempfile::tempdir().unwrap();
    let members: Vec<crate::fleet::Member> = ["acme", "beta"]
        .into_iter()
        .map(|name| {
            let config = dir.path().join(format!("{name}.yml"));
            std::fs::write(
                &config,
                "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n",
            )
            .unwrap();
            crate::fleet::Member {
                name: name.into(),
                config,
            }
        })
        .collect();
    let tools = crate::fleet::Tools {
        fioctl: None,
        timeout: std::time::Duration::from_secs(1),
        jobs: 2,
    };
    let secret = crate::secret::Secret::new(b"ci:tok".to_vec(), "user ci, token");
    let batch = crate::fleet::plan(
        members,
        &crate::fleet::Job::Rotate("ghcr.io".into()),
        &secret,
        &tools,
    );
    let first = batch.first_plan().unwrap();
    let source = crate::wizard::flow::PlanSource::Rotate {
        target: "ghcr.io".into(),
        answers: crate::plan::Answers {
            request: crate::plan::Request {
                provider: crate::provider::Provider::Generic,
                url: Some("ghcr.io".into()),
                region: None,
                secret_name: None,
            },
            credential: crate::plan::CredentialInput::UserToken {
                user: "ci".into(),
                password: secrecy::SecretString::from("tok"),
            },
        },
        keyring: crate::wizard::state::KeyringUse::No,
    };
    update(
        &mut s,
        A::FleetPlanned {
            source: Box::new(source),
            result: Ok((std::sync::Arc::new(first), std::sync::Arc::new(batch))),
        },
    );
    assert_eq!(s.screen, Screen::Review);
    press(&mut s, KeyCode::Tab);
    assert!(matches!(
        press(&mut s, KeyCode::Enter),
        Effect::ApplyFleet { .. }
    ));
    let ok = Row {
        factory: "acme".into(),
        result: RowResult::Ok,
        secret: "stored".into(),
        config: "unchanged".into(),
        commit: "-".into(),
        detail: None,
    };
    let failed = |name: &str| {
        Row::untouched(
            name,
            RowResult::Failed,
            "ERROR: HTTP error during PATCH: 403 Forbidden".into(),
        )
    };
    update(&mut s, A::FleetApplied(vec![ok, failed("beta")]));
    assert_eq!(s.screen, Screen::Done);
    // Some done, one failed: Apply is marked partial, never ✓.
    let text = render(&mut s, 80, 24);
    assert!(text.contains(" ! Apply"), "{text}");
    assert!(!text.contains("✓ Apply"), "{text}");
    insta::assert_snapshot!("done_several_partial@80x24", text);
    update(
        &mut s,
        A::FleetApplied(vec![failed("acme"), failed("beta")]),
    );
    let text = render(&mut s, 80, 24);
    assert!(text.contains(" ✗ Apply"), "{text}");
    assert!(text.contains("   failed"), "{text}");
}
