//! The forms: the Registry fields and the Credentials (AWS profile, user and token with the OS
//! keyring, key file), typed key by key (the TUI) or answered whole (the line prompts).

use super::*;

/// [`Action::Answer`]: a field's whole text, with the same consequences as typing it.
pub(super) fn answer(state: &mut State, input: Input, text: String) -> Effect {
    let home = state.ctx.home.clone();
    match input {
        Input::Registry(kind) => {
            let Some(form) = state.registry.as_mut() else {
                return Effect::None;
            };
            let Some(at) = form.fields.iter().position(|f| f.kind == kind) else {
                return Effect::None;
            };
            let field = &mut form.fields[at];
            // The shown default given back as it is stays the default (it follows the url).
            let kept = field.input.value().trim() == text.trim();
            field.input.set(text);
            let emptied = field.input.value().trim().is_empty();
            form.changed(at, (!kept).then_some(emptied));
            Effect::None
        }
        Input::User => {
            if let Some(creds) = state.creds.as_mut()
                && let CredsKind::UserToken { user, .. } = &mut creds.kind
            {
                user.set(text);
                creds.error = None;
            }
            Effect::None
        }
        Input::Containers => {
            if let Some(input) = state.containers_input.as_mut() {
                input.set(text);
            }
            Effect::None
        }
        // A field of the new identity's form (nothing changes while the review is asked for).
        Input::NewUser
        | Input::AdminProfile
        | Input::ServiceAccount
        | Input::GcpProject
        | Input::GarLocation
        | Input::GarRepository
        | Input::AzurePrincipal
        | Input::AcrRepositories
        | Input::TokenDays => {
            if let Some(creds) = state.creds.as_mut()
                && !creds.kind.identity().planning
                && creds.kind.identity_mut().set(input, text)
            {
                creds.error = None;
            }
            Effect::None
        }
        Input::KeyFile => {
            let Some(creds) = state.creds.as_mut() else {
                return Effect::None;
            };
            let CredsKind::KeyFile { path, .. } = &mut creds.kind else {
                return Effect::None;
            };
            path.set(text);
            creds.error = None;
            check_key_file(creds, home.as_deref())
        }
    }
}

/// [`Action::Check`]: a checkbox set to a value, with the same consequences as toggling it.
pub(super) fn check(state: &mut State, which: Checkbox, on: bool) -> Effect {
    match which {
        Checkbox::DeleteSecret => {
            if state.flow == Flow::Remove && state.pick.delete_secret != on {
                state.pick.delete_secret = on;
            }
            check_remove(state);
            Effect::None
        }
        Checkbox::UseRemembered | Checkbox::Remember => {
            let create = offers_new_principal(state);
            if let Some(creds) = state.creds.as_mut()
                && let CredsKind::UserToken { keyring, focus, .. } = &mut creds.kind
            {
                if which == Checkbox::Remember {
                    keyring.remember = on;
                } else {
                    keyring.use_remembered = on;
                }
                if !user_token_items(keyring, create).contains(focus) {
                    *focus = UserTokenFocus::User;
                }
                creds.error = None;
            }
            Effect::None
        }
        Checkbox::Commit => {
            let Some(review) = state.review.as_mut() else {
                return Effect::None;
            };
            let is_on = !matches!(review.commit, CommitState::Off | CommitState::Unavailable);
            if is_on == on {
                return Effect::None;
            }
            on_action(state, Nav::Toggle)
        }
    }
}

/// On to the Credentials screen: clears the last refusal and starts what the provider needs
/// (reading the AWS profiles, or asking the key store about the registry's password).
pub(super) fn enter_credentials(state: &mut State, account: Option<String>) -> Effect {
    state.screen = Screen::Credentials;
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    creds.error = None;
    match &mut creds.kind {
        CredsKind::Aws { .. } if matches!(state.profiles, Profiles::NotLoaded) => {
            state.profiles = Profiles::Loading;
            Effect::LoadProfiles
        }
        CredsKind::UserToken { keyring, focus, .. } => {
            if keyring.account != account {
                keyring.account = account;
                keyring.held = None;
                keyring.use_remembered = false;
                keyring.remember = false;
            }
            if !keyring.items().contains(focus) {
                *focus = UserTokenFocus::User;
            }
            match &keyring.account {
                Some(a) => Effect::CheckKeyring(a.clone()),
                None => Effect::None,
            }
        }
        _ => Effect::None,
    }
}

pub(super) fn registry(state: &mut State, action: Nav) -> Effect {
    let Some(form) = state.registry.as_mut() else {
        state.screen = Screen::Provider;
        return Effect::None;
    };
    let n = form.fields.len();
    match action {
        Nav::NextField => form.focus = (form.focus + 1) % n,
        Nav::PrevField => form.focus = (form.focus + n - 1) % n,
        Nav::Back => state.screen = Screen::Provider,
        Nav::Choose => return submit_registry(state),
        _ => {}
    }
    Effect::None
}

/// Enter on the Registry screen: every field valid, then the plan's own rules with a placeholder
/// secret, before asking for any credential.
pub(super) fn submit_registry(state: &mut State) -> Effect {
    let (Some(form), Ok(cfg)) = (state.registry.as_mut(), state.config.as_ref()) else {
        return Effect::None;
    };
    for f in &mut form.fields {
        f.touched = true;
    }
    if let Some(bad) = form
        .fields
        .iter()
        .position(|f| form.field_error(f.kind).is_some())
    {
        form.focus = bad;
        return Effect::None;
    }
    let placeholder = Secret::new(Vec::new(), "…");
    match Plan::build(
        cfg,
        &form.request(),
        placeholder,
        state.ctx.plan_factory.clone(),
    ) {
        Err(e) => {
            form.plan_error = Some(e.for_wizard());
            Effect::None
        }
        Ok(_) => {
            form.plan_error = None;
            let p = form.provider;
            let account = form.valid_url().as_deref().map(crate::keystore::account);
            if state.creds.as_ref().map(|c| c.provider) != Some(p) {
                state.creds = Some(CredsForm::new(p));
            }
            enter_credentials(state, account)
        }
    }
}

/// The profile selected first: the first usable one that does not look personal, else the
/// first usable one; with none usable, "create a new IAM user" when it is offered (`create`).
pub(super) fn default_profile(list: &[ProfileInfo], create: bool) -> usize {
    let usable = |p: &&ProfileInfo| profile_disabled_reason(p).is_none();
    list.iter()
        .position(|p| usable(&p) && !p.looks_personal)
        .or_else(|| list.iter().position(|p| usable(&p)))
        .unwrap_or(if create { list.len() } else { 0 })
}

pub(super) fn credentials(state: &mut State, action: Nav) -> Effect {
    let home = state.ctx.home.clone();
    let back = if state.flow == Flow::Rotate {
        Screen::Pick
    } else {
        Screen::Registry
    };
    let Some(creds) = state.creds.as_mut() else {
        state.screen = back;
        return Effect::None;
    };
    if creds.kind.identity().editing {
        return identity_nav(state, action);
    }
    if action == Nav::Back {
        state.screen = back;
        return Effect::None;
    }
    let profiles = state.profiles.list().len();
    let create_principal = offers_new_principal(state);
    let create = offers_new_user(state);
    let create_account = state.creates_identities();
    let url = state.registry.as_ref().and_then(|f| f.request().url);
    let (factory, admin) = (state.ctx.factory.clone(), state.ctx.aws_profile.clone());
    let Some(creds) = state.creds.as_mut() else {
        return Effect::None;
    };
    match (&mut creds.kind, action) {
        (CredsKind::Aws { cursor, .. }, Nav::Up | Nav::Down) => {
            let list = state.profiles.list();
            if matches!(state.profiles, Profiles::Loaded(_)) || create {
                *cursor = step_cursor(
                    *cursor,
                    profiles + usize::from(create),
                    action == Nav::Down,
                    |i| {
                        list.get(i)
                            .is_none_or(|p| profile_disabled_reason(p).is_none())
                    },
                );
            }
        }
        (CredsKind::Aws { cursor, new_user }, Nav::Choose) if create && *cursor == profiles => {
            open_identity(new_user, factory.as_deref(), admin.as_deref(), None);
            creds.error = None;
        }
        (CredsKind::UserToken { focus, keyring, .. }, Nav::NextField | Nav::PrevField) => {
            let items = user_token_items(keyring, create_principal);
            let n = items.len();
            let at = items.iter().position(|f| f == focus).unwrap_or(0);
            let next = if action == Nav::NextField {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            *focus = items[next];
        }
        (CredsKind::UserToken { focus, keyring, .. }, Nav::Toggle) => {
            match focus {
                UserTokenFocus::UseRemembered => keyring.use_remembered = !keyring.use_remembered,
                UserTokenFocus::Remember => keyring.remember = !keyring.remember,
                UserTokenFocus::User | UserTokenFocus::Password | UserTokenFocus::CreateNew => {}
            }
            creds.error = None;
        }
        (
            CredsKind::UserToken {
                focus: UserTokenFocus::CreateNew,
                new_principal,
                ..
            },
            Nav::Choose,
        ) if create_principal => {
            open_identity(new_principal, factory.as_deref(), None, None);
            creds.error = None;
        }
        (CredsKind::KeyFile { new_account, .. }, Nav::Down) if create_account => {
            new_account.selected = true;
            creds.error = None;
        }
        (CredsKind::KeyFile { new_account, .. }, Nav::Up) => new_account.selected = false,
        (CredsKind::KeyFile { new_account, .. }, Nav::Choose) if new_account.selected => {
            open_identity(new_account, factory.as_deref(), None, url.as_deref());
            creds.error = None;
        }
        (CredsKind::KeyFile { path, .. }, Nav::Complete) => {
            return Effect::CompletePath(path.value().to_string());
        }
        (_, Nav::Choose) => {
            if let CredsKind::Aws { cursor, .. } = &creds.kind {
                let usable = (state.profiles.list().get(*cursor))
                    .is_some_and(|p| profile_disabled_reason(p).is_none());
                if !usable {
                    return Effect::None;
                }
            }
            if let CredsKind::KeyFile { path, check, .. } = &creds.kind {
                // Enter waits for the check of what is typed; the error is already on screen.
                let typed = path.value().trim();
                let checked = matches!(check, KeyCheck::Valid { path, .. } if path == typed);
                if !checked {
                    if typed.is_empty() {
                        creds.error =
                            Some("give the path of the service account's JSON key file".into());
                    } else if matches!(check, KeyCheck::Empty) {
                        return check_key_file(creds, home.as_deref());
                    }
                    return Effect::None;
                }
            }
            creds.error = None;
            let keyring = match &creds.kind {
                CredsKind::UserToken { keyring, .. } => keyring.usage(),
                _ => crate::wizard::state::KeyringUse::No,
            };
            if let Some(answers) = state.answers() {
                let source = match (state.flow, &state.target) {
                    (Flow::Rotate, Some(t)) => match &t.target {
                        Ok(target) => PlanSource::Rotate {
                            target: target.clone(),
                            answers,
                            keyring,
                        },
                        Err(_) => return Effect::None,
                    },
                    _ => PlanSource::Add { answers, keyring },
                };
                return Effect::BuildPlan(source);
            }
        }
        _ => {}
    }
    Effect::None
}

/// Starts checking the key-file path as typed (stale results are dropped when they arrive).
pub(super) fn check_key_file(creds: &mut CredsForm, home: Option<&std::path::Path>) -> Effect {
    let CredsKind::KeyFile { path, check, .. } = &mut creds.kind else {
        return Effect::None;
    };
    let typed = path.value().trim().to_string();
    if typed.is_empty() {
        *check = KeyCheck::Empty;
        return Effect::None;
    }
    *check = KeyCheck::Checking(typed.clone());
    let path = crate::wizard::state::expand_home(&typed, home);
    Effect::CheckKeyFile { typed, path }
}

pub(super) fn on_typing(state: &mut State, key: Edit) -> Effect {
    let home = state.ctx.home.clone();
    match state.screen {
        Screen::Start => {
            if let Some(input) = state.containers_input.as_mut() {
                input.edit(key);
            }
            Effect::None
        }
        Screen::Registry => {
            let Some(form) = state.registry.as_mut() else {
                return Effect::None;
            };
            let focus = form.focus;
            let Some(field) = form.fields.get_mut(focus) else {
                return Effect::None;
            };
            if field.input.edit(key) {
                let emptied = field.input.value().is_empty();
                form.changed(focus, Some(emptied));
            }
            Effect::None
        }
        Screen::Credentials => {
            let Some(creds) = state.creds.as_mut() else {
                return Effect::None;
            };
            if creds.kind.identity().editing {
                if creds.kind.identity_mut().edit(key) {
                    creds.error = None;
                }
                return Effect::None;
            }
            let changed = match &mut creds.kind {
                CredsKind::UserToken {
                    user,
                    password,
                    focus,
                    ..
                } => match focus {
                    UserTokenFocus::User => user.edit(key),
                    UserTokenFocus::Password => password.edit(key),
                    UserTokenFocus::UseRemembered
                    | UserTokenFocus::Remember
                    | UserTokenFocus::CreateNew => false,
                },
                CredsKind::KeyFile {
                    path,
                    candidates,
                    new_account,
                    ..
                } => {
                    // Typing goes to the key file: its field takes the focus back.
                    new_account.selected = false;
                    let r = path.edit(key);
                    if r {
                        candidates.clear();
                    }
                    r
                }
                CredsKind::Aws { .. } => false,
            };
            if changed {
                creds.error = None;
                return check_key_file(creds, home.as_deref());
            }
            Effect::None
        }
        _ => Effect::None,
    }
}
