//! The list screens: Start, Provider and Pick (rotate, remove), and the cursor and scrolling.

use super::*;

/// [`Action::Select`]: the option at `i` of the current list screen, chosen as Enter would.
pub(super) fn select(state: &mut State, i: usize) -> Effect {
    if !cursor(state, i) {
        return Effect::None;
    }
    on_action(state, Nav::Choose)
}

/// [`Action::Cursor`]: the cursor of the current list screen onto the option at `i`; `false`
/// when the screen has no such list.
pub(super) fn cursor(state: &mut State, i: usize) -> bool {
    match state.screen {
        Screen::Start => state.start_cursor = i,
        Screen::Provider => state.provider_cursor = i,
        Screen::Pick => {
            state.pick.cursor = i;
            check_remove(state);
        }
        Screen::Credentials => {
            let principal = offers_new_principal(state);
            match state.creds.as_mut().map(|c| &mut c.kind) {
                Some(CredsKind::Aws { cursor, .. }) => *cursor = i,
                // The choice of existing credentials (0) or a new identity (1), when adding.
                Some(CredsKind::KeyFile { new_account, .. }) => new_account.selected = i == 1,
                Some(CredsKind::UserToken { focus, .. }) => {
                    *focus = if i == 1 && principal {
                        UserTokenFocus::CreateNew
                    } else {
                        UserTokenFocus::User
                    }
                }
                None => return false,
            }
        }
        _ => return false,
    }
    true
}

/// ↑/↓ on the screens that scroll as a whole.
pub(super) fn scroll(state: &mut State, action: Nav) {
    let max = state.limits.scroll_max;
    state.scroll = match action {
        Nav::Up => state.scroll.saturating_sub(1),
        Nav::Down => (state.scroll + 1).min(max),
        Nav::PageUp => 0,
        Nav::PageDown => max,
        _ => state.scroll,
    };
}

/// Moves a cursor over `len` items, skipping the disabled ones.
pub(super) fn step_cursor(
    cursor: usize,
    len: usize,
    down: bool,
    enabled: impl Fn(usize) -> bool,
) -> usize {
    let mut i = cursor;
    loop {
        let next = if down {
            i + 1
        } else {
            match i.checked_sub(1) {
                Some(n) => n,
                None => return cursor,
            }
        };
        if next >= len {
            return cursor;
        }
        if enabled(next) {
            return next;
        }
        i = next;
    }
}

pub(super) fn start(state: &mut State, action: Nav) -> Effect {
    if state.containers_input.is_some() {
        return containers_path(state, action);
    }
    let items = state.start_items();
    let enabled = |i: usize| state.start_disabled(&items[i]).is_none();
    match action {
        Nav::Up | Nav::Down => {
            let down = action == Nav::Down;
            let next = step_cursor(state.start_cursor, items.len(), down, enabled);
            // On a short screen, ↑ past the first action scrolls up to the registries; ↓ comes
            // back down first.
            if !down && next == state.start_cursor {
                state.scroll = (state.scroll + 1).min(state.limits.scroll_max);
            } else if down && state.scroll > 0 {
                state.scroll -= 1;
            } else {
                state.start_cursor = next;
            }
        }
        Nav::Back if state.switched_to_several() => return back_to_one_factory(state),
        Nav::Toggle => {
            if let Some(StartItem::Factory { index, .. }) = items.get(state.start_cursor) {
                toggle_factory(state, *index);
            }
        }
        Nav::Choose => {
            let Some(chosen) = items.get(state.start_cursor).cloned() else {
                return Effect::None;
            };
            // A disabled action is never reached by the cursor, and never pretends to work.
            if state.start_disabled(&chosen).is_some() {
                return Effect::None;
            }
            let flow = match chosen {
                StartItem::Factory { index, .. } => {
                    toggle_factory(state, index);
                    return Effect::None;
                }
                StartItem::AddFor { provider, url, .. } => {
                    add_for(state, provider, url);
                    return Effect::None;
                }
                StartItem::Several => {
                    switch_to_several(state);
                    return Effect::None;
                }
                StartItem::ScanContainers => {
                    state.containers_input = Some(crate::wizard::state::TextInput::default());
                    return Effect::None;
                }
                StartItem::DeviceWrap { image, container } => {
                    return Effect::DeviceWrap { image, container };
                }
                StartItem::Action(StartAction::Add) => Flow::Add,
                StartItem::Action(StartAction::Rotate) => Flow::Rotate,
                StartItem::Action(StartAction::Remove) => Flow::Remove,
                StartItem::Action(StartAction::Quit) => {
                    state.quit = true;
                    return Effect::None;
                }
            };
            if flow != state.flow || state.several.is_some() {
                // Another flow starts afresh; the same one keeps its answers.
                state.flow = flow;
                state.pick = Pick::default();
                state.target = None;
                state.review = None;
                state.registry = None;
                state.creds = None;
                state.load_entries();
            }
            state.scroll = 0;
            if flow == Flow::Add {
                state.screen = Screen::Provider;
            } else {
                let entries = state.entries();
                if entries
                    .get(state.pick.cursor)
                    .is_none_or(|e| e.disabled().is_some())
                {
                    state.pick.cursor = entries
                        .iter()
                        .position(|e| e.disabled().is_none())
                        .unwrap_or(0);
                }
                state.screen = Screen::Pick;
            }
        }
        _ => {}
    }
    Effect::None
}

/// The containers.git path asked on Start: Enter scans it (and remembers it for the factory),
/// Esc gives up.
fn containers_path(state: &mut State, action: Nav) -> Effect {
    match action {
        Nav::Back => state.containers_input = None,
        Nav::Choose => {
            let typed = state
                .containers_input
                .as_ref()
                .map(|t| t.value().trim().to_string())
                .unwrap_or_default();
            if typed.is_empty() {
                return Effect::None;
            }
            state.containers_input = None;
            state.ctx.containers = Some(crate::wizard::state::expand_home(
                &typed,
                state.ctx.home.as_deref(),
            ));
            state.start_cursor = 0;
            return scan_effect(state, true);
        }
        _ => {}
    }
    Effect::None
}

/// Add, for a registry the scan found uncovered: the Registry screen with its provider chosen
/// and its url filled in (the defaults follow it), as if typed.
fn add_for(state: &mut State, provider: crate::provider::Provider, url: Option<String>) {
    state.flow = Flow::Add;
    state.review = None;
    state.creds = None;
    state.scroll = 0;
    if let Some(i) = crate::provider::Provider::ALL
        .iter()
        .position(|p| *p == provider)
    {
        state.provider_cursor = i;
    }
    let mut form = RegistryForm::for_config(provider, state.config.as_ref().ok());
    if let (Some(url), Some(field)) = (url, form.fields.first_mut()) {
        field.input.set(url);
        field.touched = true;
    }
    form.fill_defaults();
    state.registry = Some(form);
    state.screen = Screen::Registry;
}

/// The Pick screen: ↑↓ over the entries, Space (remove) for the secret, Enter to go on.
pub(super) fn pick(state: &mut State, action: Nav) -> Effect {
    let flow = state.flow;
    let entries = state.entries();
    match action {
        Nav::Up | Nav::Down => {
            state.pick.cursor =
                step_cursor(state.pick.cursor, entries.len(), action == Nav::Down, |i| {
                    entries[i].disabled().is_none()
                });
            check_remove(state);
        }
        Nav::Toggle if flow == Flow::Remove => {
            state.pick.delete_secret = !state.pick.delete_secret;
            check_remove(state);
        }
        Nav::Back => {
            state.pick.error = None;
            state.screen = Screen::Start;
        }
        Nav::Choose => {
            let Some(entry) = entries.get(state.pick.cursor) else {
                return Effect::None;
            };
            let Ok(target) = entry.target.clone() else {
                return Effect::None;
            };
            match flow {
                Flow::Remove => {
                    let source = PlanSource::Remove {
                        target,
                        delete_secret: state.pick.delete_secret,
                    };
                    // Several factories: the plan for all (the effect asks each factory's
                    // fioctl whether an earlier run left the secret behind).
                    if state.several.is_some() {
                        return Effect::BuildPlan(source);
                    }
                    let Ok(cfg) = state.config.as_ref() else {
                        return Effect::None;
                    };
                    match source.build(
                        cfg,
                        crate::wizard::flow::placeholder(),
                        state.ctx.plan_factory.clone(),
                    ) {
                        Ok(plan) => {
                            state.pick.error = None;
                            show_review(state, Arc::new(plan), source, None);
                        }
                        Err(e) => state.pick.error = Some(e.for_wizard()),
                    }
                }
                Flow::Rotate => {
                    let Some(p) = entry.provider else {
                        return Effect::None;
                    };
                    let same = state
                        .target
                        .as_ref()
                        .is_some_and(|t| t.index == entry.index)
                        && state.creds.as_ref().is_some_and(|c| c.provider == p);
                    if !same {
                        state.creds = Some(CredsForm::new(p));
                    }
                    state.target = Some(entry.clone());
                    let account = entry.url.as_deref().map(crate::keystore::account);
                    return enter_credentials(state, account);
                }
                Flow::Add => {}
            }
        }
        _ => {}
    }
    Effect::None
}

/// Remove: what the core says about removing the entry under the cursor with the chosen option
/// (only deleting a secret can be refused), shown at once.
pub(super) fn check_remove(state: &mut State) {
    state.pick.error = None;
    if state.flow != Flow::Remove || !state.pick.delete_secret || state.several.is_some() {
        return;
    }
    let entries = state.entries();
    let (Ok(cfg), Some(Ok(target))) = (
        state.config.as_ref(),
        entries.get(state.pick.cursor).map(|e| &e.target),
    ) else {
        return;
    };
    if let Err(e) = crate::plan::Plan::remove(cfg, target, true, None) {
        state.pick.error = Some(e.for_wizard());
    }
}

pub(super) fn provider(state: &mut State, action: Nav) -> Effect {
    let n = Provider::ALL.len();
    match action {
        Nav::Up | Nav::Down => {
            state.provider_cursor =
                step_cursor(state.provider_cursor, n, action == Nav::Down, |_| true);
        }
        Nav::Back => state.screen = Screen::Start,
        Nav::Choose => {
            state.flow = Flow::Add;
            let p = Provider::ALL[state.provider_cursor];
            // The same provider again keeps every earlier answer; another one starts afresh.
            if state.registry.as_ref().map(|r| r.provider) != Some(p) {
                state.registry = Some(RegistryForm::for_config(p, state.config.as_ref().ok()));
                state.creds = None;
            }
            state.screen = Screen::Registry;
        }
        _ => {}
    }
    Effect::None
}
