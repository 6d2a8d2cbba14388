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
use crate::wizard::state::{ApplyFailure, CloudReview, CloudRun, IdentityForm, KeyringField};

/// Whether the AWS list offers "create a new IAM user" (adding only: rotating a key of an
/// existing user is `fioreg rotate --new-key`).
pub(super) fn offers_new_user(state: &State) -> bool {
    state.creates_identities() && !matches!(state.profiles, Profiles::NotLoaded | Profiles::Loading)
}

/// Opens the new identity's fields, the empty ones filled with their defaults: the name
/// `fioreg-<factory>-pull`, AWS_PROFILE as the admin profile, the GAR registry's location.
pub(super) fn open_identity(
    form: &mut IdentityForm,
    factory: Option<&str>,
    admin: Option<&str>,
    url: Option<&str>,
) {
    form.editing = true;
    let name = factory.map(crate::cloud::aws::default_user_name);
    form.fill(Input::NewUser, name.clone());
    form.fill(Input::AzurePrincipal, name);
    form.fill(
        Input::ServiceAccount,
        factory.map(crate::cloud::gcp::default_account_name),
    );
    form.fill(Input::AdminProfile, admin.map(str::to_string));
    form.fill(
        Input::GarLocation,
        url.and_then(crate::cloud::gcp::location_of),
    );
    form.focus = 0;
}

/// The keys of the new identity's fields: Tab moves, Esc goes back to the credentials, Enter
/// checks the fields and asks the cloud for the review (read-only calls).
pub(super) fn identity_nav(state: &mut State, action: Nav) -> Effect {
    let answers = state.registry.as_ref().map(|f| f.request());
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    let provider = creds.provider;
    let form = creds.kind.identity_mut();
    match action {
        Nav::NextField | Nav::PrevField => form.step(action == Nav::NextField),
        Nav::Back => {
            form.editing = false;
            form.planning = false;
            creds.error = None;
        }
        Nav::Choose if !form.planning => {
            let Some(request) = answers else {
                return Effect::None;
            };
            let planned = match provider {
                Provider::Aws => plan_new_user(form, request),
                Provider::Gar => plan_new_account(form, request),
                _ => plan_new_principal(form, request),
            };
            match planned {
                Ok(effect) => {
                    form.planning = true;
                    creds.error = None;
                    return effect;
                }
                Err(why) => creds.error = Some(why),
            }
        }
        _ => {}
    }
    Effect::None
}

/// The answers so far, with the credential a new identity will give.
fn source(request: crate::plan::Request, credential: crate::plan::CredentialInput) -> PlanSource {
    PlanSource::Add {
        answers: crate::plan::Answers {
            request,
            credential,
        },
        keyring: crate::wizard::state::KeyringUse::No,
    }
}

/// AWS: the IAM user's name checked, then AWS asked for the review.
fn plan_new_user(form: &mut IdentityForm, request: crate::plan::Request) -> Result<Effect, String> {
    let user = form.value(Input::NewUser).trim().to_string();
    if user.is_empty() {
        return Err("give the IAM user a name (e.g. fioreg-<factory>-pull)".into());
    }
    crate::cloud::aws::validate_user_name(&user)?;
    let admin = form.value(Input::AdminProfile).trim();
    Ok(Effect::PlanIdentity {
        source: source(request, crate::plan::CredentialInput::AwsProfile(None)),
        identity: NewIdentity::AwsUser {
            admin_profile: (!admin.is_empty()).then(|| admin.to_string()),
            user,
            repositories: Vec::new(),
        },
    })
}

/// GAR: every field given and valid, then gcloud asked for the review.
fn plan_new_account(
    form: &mut IdentityForm,
    request: crate::plan::Request,
) -> Result<Effect, String> {
    let fields = [
        (Input::ServiceAccount, "the service account"),
        (Input::GcpProject, "the project"),
        (Input::GarLocation, "the location"),
        (Input::GarRepository, "the repository"),
    ];
    if let Some((input, what)) = fields
        .iter()
        .find(|(i, _)| form.value(*i).trim().is_empty())
    {
        form.focus_on(*input);
        return Err(format!("name {what}"));
    }
    let [name, project, location, repository] =
        fields.map(|(i, _)| form.value(i).trim().to_string());
    crate::policy::validate_service_account(&name)
        .and(crate::policy::validate_gcp_project(&project))
        .and(crate::policy::validate_gar_location(&location))
        .and(crate::policy::validate_gar_repository(&repository))?;
    let key_file = crate::plan::CredentialInput::GcpKeyFile(std::path::PathBuf::new());
    Ok(Effect::PlanIdentity {
        source: source(request, key_file),
        identity: NewIdentity::GarAccount {
            name,
            project,
            location,
            repository,
        },
    })
}

/// The review of creating the user came back: on to the Review (the login test waits for the
/// key, during Apply), or the refusal under the fields.
pub(super) fn cloud_planned(
    state: &mut State,
    source: PlanSource,
    identity: NewIdentity,
    result: Result<(Arc<CloudPlan>, Arc<Plan>), String>,
) -> Effect {
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    let form = creds.kind.identity_mut();
    let (waited, editing) = (form.planning, form.editing);
    form.planning = false;
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
                    identity,
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
    let run = ApplyRun {
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
        ..ApplyRun::for_plan(&plan)
    };
    let (cloud, source) = (Arc::clone(&cloud.plan), review.source.clone());
    begin_apply(state, run);
    Effect::ApplyCloud {
        plan,
        cloud,
        source,
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

/// The repositories as typed: separated by spaces or commas.
pub(super) fn split_repositories(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// Azure: the name checked, the repositories (a token) and its expiry, then az asked for the
/// review.
fn plan_new_principal(
    form: &mut IdentityForm,
    request: crate::plan::Request,
) -> Result<Effect, String> {
    let name = form.value(Input::AzurePrincipal).trim().to_string();
    if let Err(why) = crate::cloud::azure::validate_name(&name) {
        form.focus_on(Input::AzurePrincipal);
        return Err(why);
    }
    let repositories = split_repositories(form.value(Input::AcrRepositories));
    let days_text = form.value(Input::TokenDays).trim().to_string();
    let days = match days_text.as_str() {
        "" => 365,
        d => match d.parse::<u32>() {
            Ok(n) if (1..=3650).contains(&n) => n,
            _ => {
                form.focus_on(Input::TokenDays);
                return Err(format!(
                    "`{d}` is not a number of days from 1 to 3650 (empty: 365)"
                ));
            }
        },
    };
    if repositories.is_empty() && !days_text.is_empty() {
        form.focus_on(Input::TokenDays);
        return Err(
            "the expiry applies to a repository-scoped token: name its repositories, or empty \
             the days (a service principal's password is reset with `fioreg rotate --new-key`)"
                .into(),
        );
    }
    let credential = crate::plan::CredentialInput::UserToken {
        user: String::new(),
        password: secrecy::SecretString::from(String::new()),
    };
    Ok(Effect::PlanIdentity {
        source: source(request, credential),
        identity: NewIdentity::AzurePrincipal {
            name,
            repositories,
            days,
        },
    })
}
