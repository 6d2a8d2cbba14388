//! Creating a pull-only cloud identity with the admin's own login (an AWS IAM user, a GAR service
//! account, an Azure service principal or ACR token), from the Credentials screen (the "create"
//! item) through the Review (the cloud actions and the policy) to Apply (each action's progress,
//! the new key's checks, then the usual store and write). The cloud work is `crate::cloud`'s,
//! the same as `fioreg add aws --create-user`, `add gar --create-service-account` and
//! `add azure --create-principal`.

use super::*;
use crate::cloud::apply::Step;
use crate::cloud::{CloudPlan, CloudProgress};
use crate::wizard::report::CreatedIdentity;
use crate::wizard::state::{
    ApplyFailure, CloudReview, CloudRun, KeyringField, NewAccountFocus, NewAccountForm,
    NewPrincipalFocus, NewPrincipalForm, NewUserFocus, NewUserForm,
};

/// How many profiles the AWS list shows (the "create" item comes after them).
pub(super) fn profile_count(state: &State) -> usize {
    match &state.profiles {
        Profiles::Loaded(list) => list.len(),
        _ => 0,
    }
}

/// Whether the AWS list offers "create a new IAM user" (adding only: rotating a key of an
/// existing user is `fioreg rotate --new-key`).
pub(super) fn offers_new_user(state: &State) -> bool {
    state.creates_identities() && !matches!(state.profiles, Profiles::NotLoaded | Profiles::Loading)
}

/// Opens the new-user fields, filled with the defaults when empty: `fioreg-<factory>-pull` and
/// AWS_PROFILE.
pub(super) fn open_new_user(form: &mut NewUserForm, factory: Option<&str>, admin: Option<&str>) {
    form.editing = true;
    if form.user.value().is_empty()
        && let Some(f) = factory
    {
        form.user.set(crate::cloud::aws::default_user_name(f));
    }
    if form.admin.value().is_empty()
        && let Some(a) = admin
    {
        form.admin.set(a);
    }
    form.focus = NewUserFocus::User;
}

/// The keys of the new-user fields: Tab moves, Esc goes back to the list, Enter asks AWS for the
/// review.
pub(super) fn new_user_nav(state: &mut State, action: Nav) -> Effect {
    let answers = state.registry.as_ref().map(|f| f.request());
    let Some(CredsForm {
        kind: CredsKind::Aws { new_user, .. },
        error,
        ..
    }) = state.creds.as_mut()
    else {
        return Effect::None;
    };
    match action {
        Nav::NextField | Nav::PrevField => {
            new_user.focus = match new_user.focus {
                NewUserFocus::User => NewUserFocus::Admin,
                NewUserFocus::Admin => NewUserFocus::User,
            };
        }
        Nav::Back => {
            new_user.editing = false;
            new_user.planning = false;
            *error = None;
        }
        Nav::Choose if !new_user.planning => {
            let user = new_user.user.value().trim().to_string();
            if user.is_empty() {
                *error = Some("give the IAM user a name (e.g. fioreg-<factory>-pull)".into());
                return Effect::None;
            }
            if let Err(why) = crate::cloud::aws::validate_user_name(&user) {
                *error = Some(why);
                return Effect::None;
            }
            let Some(request) = answers else {
                return Effect::None;
            };
            let admin = new_user.admin.value().trim();
            let admin_profile = (!admin.is_empty()).then(|| admin.to_string());
            new_user.planning = true;
            *error = None;
            let source = PlanSource::Add {
                answers: crate::plan::Answers {
                    request,
                    credential: crate::plan::CredentialInput::AwsProfile(None),
                },
                keyring: crate::wizard::state::KeyringUse::No,
            };
            return Effect::PlanCloud {
                source,
                user,
                admin_profile,
            };
        }
        _ => {}
    }
    Effect::None
}

/// Whether the GAR credentials offer "create a new service account" (adding only, as AWS).
pub(super) fn offers_new_account(state: &State) -> bool {
    state.creates_identities()
}

/// Opens the new-service-account fields, the empty ones filled with the defaults:
/// `fioreg-<factory>-pull` and the registry's location.
pub(super) fn open_new_account(
    form: &mut NewAccountForm,
    factory: Option<&str>,
    url: Option<&str>,
) {
    form.editing = true;
    if form.name.value().is_empty()
        && let Some(f) = factory
    {
        form.name.set(crate::cloud::gcp::default_account_name(f));
    }
    if form.location.value().is_empty()
        && let Some(l) = url.and_then(crate::cloud::gcp::location_of)
    {
        form.location.set(l);
    }
    form.focus = NewAccountFocus::Name;
}

/// The keys of the new-service-account fields: Tab moves, Esc goes back to the key file, Enter
/// asks gcloud for the review.
pub(super) fn new_account_nav(state: &mut State, action: Nav) -> Effect {
    let answers = state.registry.as_ref().map(|f| f.request());
    let Some(CredsForm {
        kind: CredsKind::KeyFile { new_account, .. },
        error,
        ..
    }) = state.creds.as_mut()
    else {
        return Effect::None;
    };
    match action {
        Nav::NextField | Nav::PrevField => {
            new_account.focus = new_account.focus.step(action == Nav::NextField);
        }
        Nav::Back => {
            new_account.editing = false;
            new_account.planning = false;
            *error = None;
        }
        Nav::Choose if !new_account.planning => {
            let f = &*new_account;
            let [name, project, location, repository] =
                [&f.name, &f.project, &f.location, &f.repository]
                    .map(|t| t.value().trim().to_string());
            let checks = [
                (&name, NewAccountFocus::Name, "the service account"),
                (&project, NewAccountFocus::Project, "the project"),
                (&location, NewAccountFocus::Location, "the location"),
                (&repository, NewAccountFocus::Repository, "the repository"),
            ];
            if let Some((_, focus, what)) = checks.iter().find(|(v, ..)| v.is_empty()) {
                new_account.focus = *focus;
                *error = Some(format!("name {what}"));
                return Effect::None;
            }
            let valid = crate::policy::validate_service_account(&name)
                .and(crate::policy::validate_gcp_project(&project))
                .and(crate::policy::validate_gar_location(&location))
                .and(crate::policy::validate_gar_repository(&repository));
            if let Err(why) = valid {
                *error = Some(why);
                return Effect::None;
            }
            let Some(request) = answers else {
                return Effect::None;
            };
            new_account.planning = true;
            *error = None;
            let source = PlanSource::Add {
                answers: crate::plan::Answers {
                    request,
                    credential: crate::plan::CredentialInput::GcpKeyFile(std::path::PathBuf::new()),
                },
                keyring: crate::wizard::state::KeyringUse::No,
            };
            return Effect::PlanGarCloud {
                source,
                name,
                project,
                location,
                repository,
            };
        }
        _ => {}
    }
    Effect::None
}

/// Typing in the new-service-account fields.
pub(super) fn new_account_typing(form: &mut NewAccountForm, key: Edit) -> bool {
    if form.planning {
        return false;
    }
    match form.focus {
        NewAccountFocus::Name => form.name.edit(key),
        NewAccountFocus::Project => form.project.edit(key),
        NewAccountFocus::Location => form.location.edit(key),
        NewAccountFocus::Repository => form.repository.edit(key),
    }
}

/// Typing in the new-user fields.
pub(super) fn new_user_typing(form: &mut NewUserForm, key: Edit) -> bool {
    if form.planning {
        return false;
    }
    match form.focus {
        NewUserFocus::User => form.user.edit(key),
        NewUserFocus::Admin => form.admin.edit(key),
    }
}

/// The review of creating the user came back: on to the Review (the login test waits for the
/// key, during Apply), or the refusal under the fields.
pub(super) fn cloud_planned(
    state: &mut State,
    source: PlanSource,
    user: String,
    admin_profile: Option<String>,
    result: Result<(Arc<CloudPlan>, Arc<Plan>), String>,
) -> Effect {
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    let (planning, editing) = match &mut creds.kind {
        CredsKind::Aws { new_user, .. } => (&mut new_user.planning, new_user.editing),
        CredsKind::KeyFile { new_account, .. } => (&mut new_account.planning, new_account.editing),
        CredsKind::UserToken { new_principal, .. } => {
            (&mut new_principal.planning, new_principal.editing)
        }
    };
    let waited = *planning;
    *planning = false;
    if state.screen != Screen::Credentials || !editing || !waited {
        return Effect::None;
    }
    match result {
        Err(why) => creds.error = Some(why),
        Ok((cloud, plan)) => {
            show_review(state, plan, source, None);
            if let Some(r) = state.review.as_mut() {
                r.cloud = Some(CloudReview {
                    plan: cloud,
                    user,
                    admin_profile,
                });
            }
        }
    }
    Effect::None
}

/// Apply on a review that creates the IAM user first.
pub(super) fn start_cloud_apply(state: &mut State, plan: Arc<Plan>) -> Effect {
    let Some(review) = state.review.as_ref() else {
        return Effect::None;
    };
    let Some(cloud) = review.cloud.as_ref() else {
        return Effect::None;
    };
    let writes = plan.new_text != plan.old_text;
    state.apply = Some(ApplyRun {
        store: Some(StepStatus::Pending),
        write: writes.then_some(StepStatus::Pending),
        delete: None,
        commit: (writes && plan.commit.is_some()).then_some(StepStatus::Pending),
        result: None,
        cloud: Some(CloudRun {
            actions: cloud
                .plan
                .actions
                .iter()
                .map(|a| (a.title.clone(), StepStatus::Pending))
                .collect(),
            // Azure's new password is tested by the login alone.
            key_check: (!matches!(cloud.plan.job, crate::cloud::Job::Azure(_)))
                .then_some(StepStatus::Pending),
            key_arn: None,
            login: state.ctx.verify.is_some().then_some(StepStatus::Pending),
            waiting: None,
            created: None,
        }),
        quit_requested: false,
    });
    state.scroll = 0;
    state.screen = Screen::Apply;
    Effect::ApplyCloud {
        plan,
        cloud: Arc::clone(&cloud.plan),
        source: review.source.clone(),
        user: cloud.user.clone(),
    }
}

/// A step of creating and storing, on the Apply screen.
pub(super) fn cloud_step(state: &mut State, step: Step) -> Effect {
    if let Step::Apply(p) = step {
        return update(state, Action::Progress(p));
    }
    let Some(run) = state.apply.as_mut().and_then(|a| a.cloud.as_mut()) else {
        return Effect::None;
    };
    match step {
        Step::Cloud(CloudProgress::Started(i, _)) => {
            if let Some(a) = run.actions.get_mut(i) {
                a.1 = StepStatus::Running;
            }
        }
        Step::Cloud(CloudProgress::Finished(i, _)) => {
            if let Some(a) = run.actions.get_mut(i) {
                a.1 = StepStatus::Done;
            }
        }
        Step::Cloud(CloudProgress::Waiting { why, left }) => {
            run.waiting = Some(format!(
                "not accepted yet ({why}); retrying, {} s left of the wait",
                left.as_secs()
            ));
        }
        Step::CheckingKey => run.key_check = Some(StepStatus::Running),
        Step::KeyWorks(arn) => {
            run.key_check = Some(StepStatus::Done);
            run.key_arn = Some(arn);
            run.waiting = None;
        }
        Step::KeyIsOf(id) => {
            run.key_check = Some(StepStatus::Done);
            run.key_arn = Some(id);
        }
        Step::TestingLogin(_) => run.login = Some(StepStatus::Running),
        Step::LoginAccepted(_) => {
            run.login = Some(StepStatus::Done);
            run.waiting = None;
        }
        Step::Apply(_) => {}
    }
    Effect::None
}

/// Creating and storing ended: what was created goes into the report; then as any apply.
pub(super) fn cloud_applied(
    state: &mut State,
    result: Result<(Applied, CreatedIdentity), ApplyFailure>,
) -> Effect {
    let Some(run) = state.apply.as_mut().and_then(|a| a.cloud.as_mut()) else {
        return Effect::None;
    };
    run.waiting = None;
    let result = match result {
        Ok((applied, created)) => {
            run.created = Some(created);
            Ok(applied)
        }
        Err(f) => {
            let steps = run
                .actions
                .iter_mut()
                .map(|a| &mut a.1)
                .chain(run.key_check.iter_mut())
                .chain(run.login.iter_mut());
            for s in steps {
                if *s == StepStatus::Running {
                    *s = StepStatus::Failed;
                }
            }
            Err(f)
        }
    };
    let failed = result.is_err();
    let effect = update(state, Action::Applied(result));
    // Stopped by Ctrl-C: the wizard ends, with the account of what exists as its last words.
    if failed && state.interrupted {
        state.quit = true;
    }
    effect
}

/// Whether the Azure credentials offer "create a new service principal" (adding only, as AWS).
pub fn offers_new_principal(state: &State) -> bool {
    state.creates_identities() && state.creds.as_ref().map(|c| c.provider) == Some(Provider::Azure)
}

/// The items of the user-and-password form: the keyring's, then (Azure, adding) the "create"
/// item.
pub(super) fn user_token_items(keyring: &KeyringField, create: bool) -> Vec<UserTokenFocus> {
    let mut items = keyring.items();
    if create {
        items.push(UserTokenFocus::CreateNew);
    }
    items
}

/// Opens the new-principal fields, the name filled with `fioreg-<factory>-pull` when empty.
pub(super) fn open_new_principal(form: &mut NewPrincipalForm, factory: Option<&str>) {
    form.editing = true;
    if form.name.value().is_empty()
        && let Some(f) = factory
    {
        form.name.set(crate::cloud::aws::default_user_name(f));
    }
    form.focus = NewPrincipalFocus::Name;
}

/// The repositories as typed: separated by spaces or commas.
pub(super) fn split_repositories(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// The keys of the new-principal fields: Tab moves, Esc goes back to the form, Enter asks az
/// for the review.
pub(super) fn new_principal_nav(state: &mut State, action: Nav) -> Effect {
    let answers = state.registry.as_ref().map(|f| f.request());
    let Some(CredsForm {
        kind: CredsKind::UserToken { new_principal, .. },
        error,
        ..
    }) = state.creds.as_mut()
    else {
        return Effect::None;
    };
    let form = new_principal;
    match action {
        Nav::NextField | Nav::PrevField => {
            form.focus = form.focus.step(action == Nav::NextField);
        }
        Nav::Back => {
            form.editing = false;
            form.planning = false;
            *error = None;
        }
        Nav::Choose if !form.planning => {
            let name = form.name.value().trim().to_string();
            if let Err(why) = crate::cloud::azure::validate_name(&name) {
                form.focus = NewPrincipalFocus::Name;
                *error = Some(why);
                return Effect::None;
            }
            let repositories = split_repositories(form.repositories.value());
            let days_text = form.days.value().trim();
            let days = match days_text {
                "" => 365,
                d => match d.parse::<u32>() {
                    Ok(n) if (1..=3650).contains(&n) => n,
                    _ => {
                        form.focus = NewPrincipalFocus::Days;
                        *error = Some(format!(
                            "`{d}` is not a number of days from 1 to 3650 (empty: 365)"
                        ));
                        return Effect::None;
                    }
                },
            };
            if repositories.is_empty() && !days_text.is_empty() {
                form.focus = NewPrincipalFocus::Days;
                *error = Some(
                    "the expiry applies to a repository-scoped token: name its repositories, or \
                     empty the days (a service principal's password is reset with `fioreg \
                     rotate --new-key`)"
                        .into(),
                );
                return Effect::None;
            }
            let Some(request) = answers else {
                return Effect::None;
            };
            form.planning = true;
            *error = None;
            let source = PlanSource::Add {
                answers: crate::plan::Answers {
                    request,
                    credential: crate::plan::CredentialInput::UserToken {
                        user: String::new(),
                        password: secrecy::SecretString::from(String::new()),
                    },
                },
                keyring: crate::wizard::state::KeyringUse::No,
            };
            return Effect::PlanAzureCloud {
                source,
                name,
                repositories,
                days,
            };
        }
        _ => {}
    }
    Effect::None
}

/// Typing in the new-principal fields.
pub(super) fn new_principal_typing(form: &mut NewPrincipalForm, key: Edit) -> bool {
    if form.planning {
        return false;
    }
    match form.focus {
        NewPrincipalFocus::Name => form.name.edit(key),
        NewPrincipalFocus::Repositories => form.repositories.edit(key),
        NewPrincipalFocus::Days => form.days.edit(key),
    }
}
