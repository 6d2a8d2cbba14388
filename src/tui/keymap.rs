//! One table of key bindings per screen (and mode): it decides what a key does, and the footer is
//! drawn from it, so the footer can never promise a key that does something else.

use crate::wizard::Nav as Action;
use crate::wizard::state::{
    CommitState, CredsKind, Edit, Flow, LoginCheck, Screen, State, UserTokenFocus,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key as written in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The key without Ctrl or Alt (Shift is part of the key code).
    Plain(KeyCode),
    /// Ctrl and a letter.
    Ctrl(char),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl_alt = ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match self {
            Key::Plain(code) => !ctrl_alt && ev.code == code,
            Key::Ctrl(c) => {
                ev.modifiers.contains(KeyModifiers::CONTROL)
                    && matches!(ev.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c))
            }
        }
    }
}

/// A binding: its keys, how the footer names them and what they do.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// The keys as the footer shows them, e.g. `↑↓`; empty: not shown in the footer.
    pub label: &'static str,
    /// What the footer says they do.
    pub help: &'static str,
    pub action: Action,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    action: Action,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        action,
    }
}

use Key::{Ctrl, Plain};
use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};

const MOVE_UP: Binding = bind(&[Plain(Up), Plain(Char('k'))], "", "", Action::Up);
const MOVE_DOWN: Binding = bind(&[Plain(Down), Plain(Char('j'))], "↑↓", "move", Action::Down);
const CHOOSE: Binding = bind(&[Plain(Enter)], "Enter", "choose", Action::Choose);
const BACK: Binding = bind(&[Plain(Esc)], "Esc", "back", Action::Back);
const Q_QUIT: Binding = bind(&[Plain(Char('q'))], "q", "quit", Action::Quit);
const CTRL_C_HIDDEN: Binding = bind(&[Ctrl('c')], "", "", Action::Interrupt);
const CTRL_C: Binding = bind(&[Ctrl('c')], "Ctrl-C", "quit", Action::Interrupt);
const SCROLL_DOWN: Binding = bind(
    &[Plain(Down), Plain(Char('j'))],
    "↑↓",
    "scroll",
    Action::Down,
);
const PAGE_DOWN: Binding = bind(&[Plain(PageDown)], "", "", Action::PageDown);
const PAGE_UP: Binding = bind(&[Plain(PageUp)], "", "", Action::PageUp);
const FOCUS_NEXT: Binding = bind(
    &[Plain(Tab), Plain(Right)],
    "Tab/←→",
    "focus",
    Action::FocusNext,
);
const FOCUS_PREV: Binding = bind(&[Plain(BackTab), Plain(Left)], "", "", Action::FocusPrev);
const CHOOSE_FACTORY: Binding = bind(
    &[Plain(Char(' '))],
    "Space",
    "choose factory",
    Action::Toggle,
);
const PRESS: Binding = bind(&[Plain(Enter)], "Enter", "press", Action::Choose);
const CONTINUE: Binding = bind(&[Plain(Enter)], "Enter", "continue", Action::Choose);
const ESC_QUIT_HIDDEN: Binding = bind(&[Plain(Esc)], "", "", Action::Quit);
const RETRY: Binding = bind(&[Plain(Char('r'))], "r", "test again", Action::Retry);
const COMPLETE: Binding = bind(&[Plain(Tab)], "Tab", "complete path", Action::Complete);

/// Start: pick an action.
pub const START: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    CHOOSE,
    Q_QUIT,
    ESC_QUIT_HIDDEN,
    CTRL_C_HIDDEN,
];

/// Start across factories: Space (or Enter) on a factory flips whether the flows run on it.
pub const START_SEVERAL: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    CHOOSE_FACTORY,
    CHOOSE,
    Q_QUIT,
    ESC_QUIT_HIDDEN,
    CTRL_C_HIDDEN,
];

/// Start across factories reached from one factory's Start: Esc goes back to it.
pub const START_SWITCHED: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    CHOOSE_FACTORY,
    CHOOSE,
    bind(&[Plain(Esc)], "Esc", "one factory", Action::Back),
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Start, when the config could not be read: read the error, then quit.
pub const START_BROKEN: &[Binding] = &[
    SCROLL_DOWN,
    MOVE_UP,
    bind(&[Plain(Char('q')), Plain(Esc)], "q", "quit", Action::Quit),
    CTRL_C_HIDDEN,
];

/// Lists: providers, AWS profiles.
pub const LIST: &[Binding] = &[MOVE_DOWN, MOVE_UP, CHOOSE, BACK, Q_QUIT, CTRL_C_HIDDEN];

/// Text fields: q types a q, so Ctrl-C is the way out.
pub const FORM: &[Binding] = &[
    bind(
        &[Plain(Tab), Plain(Down)],
        "Tab",
        "next field",
        Action::NextField,
    ),
    bind(
        &[Plain(BackTab), Plain(Up)],
        "S-Tab",
        "previous",
        Action::PrevField,
    ),
    CONTINUE,
    BACK,
    CTRL_C,
];

/// A checkbox among text fields: Space flips it (no text field has the focus).
pub const FORM_CHECKBOX: &[Binding] = &[
    bind(
        &[Plain(Tab), Plain(Down)],
        "Tab/S-Tab",
        "move",
        Action::NextField,
    ),
    bind(&[Plain(BackTab), Plain(Up)], "", "", Action::PrevField),
    bind(&[Plain(Char(' '))], "Space", "toggle", Action::Toggle),
    CONTINUE,
    BACK,
    CTRL_C,
];

/// Remove: the entries, and Space for "also delete its secret".
pub const PICK_REMOVE: &[Binding] = &[
    MOVE_DOWN,
    MOVE_UP,
    bind(
        &[Plain(Char(' '))],
        "Space",
        "delete secret",
        Action::Toggle,
    ),
    CHOOSE,
    BACK,
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// The key-file field: Tab completes the path.
pub const KEY_FILE: &[Binding] = &[COMPLETE, CONTINUE, BACK, CTRL_C];

/// The key file when adding: Down moves to "create a new service account", Up back.
pub const KEY_FILE_OR_CREATE: &[Binding] = &[
    COMPLETE,
    bind(&[Plain(Down)], "↓", "or create", Action::Down),
    bind(&[Plain(Up)], "", "", Action::Up),
    CONTINUE,
    BACK,
    CTRL_C,
];

/// Start, asking for the containers.git checkout's path: typing goes to the field.
pub const START_PATH: &[Binding] = &[
    bind(&[Plain(Enter)], "Enter", "scan", Action::Choose),
    bind(&[Plain(Esc)], "Esc", "cancel", Action::Back),
    CTRL_C,
];

/// Test login, while the test runs: wait, or go back to the credentials.
pub const LOGIN_RUNNING: &[Binding] = &[BACK, Q_QUIT, CTRL_C_HIDDEN];

/// Test login passed (or nothing could be tested): on to the review.
pub const LOGIN_PASSED: &[Binding] = &[CONTINUE, BACK, Q_QUIT, CTRL_C_HIDDEN];

/// Test login failed: nothing goes on from here; fix the credentials or test again.
pub const LOGIN_FAILED: &[Binding] = &[
    RETRY,
    bind(&[Plain(Esc)], "Esc", "back to credentials", Action::Back),
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Test login could not reach the registry: Back or "Store anyway", or test again.
pub const LOGIN_UNREACHABLE: &[Binding] = &[
    FOCUS_NEXT,
    FOCUS_PREV,
    PRESS,
    RETRY,
    BACK,
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Review: scroll the diff, move between Back and Apply, press one.
pub const REVIEW: &[Binding] = &[
    bind(
        &[Plain(Down), Plain(Char('j'))],
        "↑↓ PgUp/PgDn",
        "scroll",
        Action::Down,
    ),
    MOVE_UP,
    PAGE_DOWN,
    PAGE_UP,
    FOCUS_NEXT,
    FOCUS_PREV,
    PRESS,
    BACK,
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Review with the commit checkbox: Space flips it.
pub const REVIEW_COMMIT: &[Binding] = &[
    SCROLL_DOWN,
    MOVE_UP,
    PAGE_DOWN,
    PAGE_UP,
    FOCUS_NEXT,
    FOCUS_PREV,
    bind(&[Plain(Char(' '))], "Space", "commit", Action::Toggle),
    PRESS,
    BACK,
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Applying: nothing can stop it; q and Ctrl-C only get an answer that it goes on.
pub const APPLYING: &[Binding] = &[
    bind(&[Plain(Char('q'))], "", "", Action::Quit),
    bind(&[Ctrl('c')], "", "", Action::Interrupt),
];

/// Apply failed: read the error, go back to Review or quit.
pub const APPLY_FAILED: &[Binding] = &[
    SCROLL_DOWN,
    MOVE_UP,
    bind(&[Plain(Esc)], "Esc", "back to review", Action::Back),
    Q_QUIT,
    CTRL_C_HIDDEN,
];

/// Done: read, then leave.
pub const DONE: &[Binding] = &[
    SCROLL_DOWN,
    MOVE_UP,
    bind(&[Plain(Home)], "", "", Action::PageUp),
    bind(&[Plain(End)], "", "", Action::PageDown),
    bind(
        &[Plain(Enter), Plain(Char('q')), Plain(Esc)],
        "Enter/q",
        "quit",
        Action::Quit,
    ),
    CTRL_C_HIDDEN,
];

/// The table in force for the state's screen and mode.
pub fn table(state: &State) -> &'static [Binding] {
    match state.screen {
        Screen::Start if state.config.is_err() => START_BROKEN,
        Screen::Start if state.containers_input.is_some() => START_PATH,
        Screen::Start if state.switched_to_several() => START_SWITCHED,
        Screen::Start if state.several.is_some() => START_SEVERAL,
        Screen::Start => START,
        Screen::Provider => LIST,
        Screen::Registry => FORM,
        Screen::Pick if state.flow == Flow::Remove => PICK_REMOVE,
        Screen::Pick => LIST,
        Screen::Credentials => match state.creds.as_ref().map(|c| &c.kind) {
            Some(kind) if kind.identity().editing => FORM,
            Some(CredsKind::KeyFile { .. }) if state.creates_identities() => KEY_FILE_OR_CREATE,
            Some(CredsKind::KeyFile { .. }) => KEY_FILE,
            Some(CredsKind::UserToken {
                focus: UserTokenFocus::UseRemembered | UserTokenFocus::Remember,
                ..
            }) => FORM_CHECKBOX,
            Some(CredsKind::UserToken { .. }) => FORM,
            _ => LIST,
        },
        Screen::TestLogin => match state.login.as_ref().and_then(|l| l.result()) {
            None => LOGIN_RUNNING,
            Some(r) if r.passed() => LOGIN_PASSED,
            Some(LoginCheck::Unreachable(_)) => LOGIN_UNREACHABLE,
            Some(_) => LOGIN_FAILED,
        },
        Screen::Review => match state.review.as_ref().map(|r| &r.commit) {
            None | Some(CommitState::Unavailable) => REVIEW,
            Some(_) => REVIEW_COMMIT,
        },
        Screen::Apply => match &state.apply {
            Some(run) if run.finished() => APPLY_FAILED,
            _ => APPLYING,
        },
        Screen::Done => DONE,
    }
}

/// The action bound to `key` on the current screen.
pub fn lookup(state: &State, key: &KeyEvent) -> Option<Action> {
    table(state)
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(key)))
        .map(|b| b.action)
}

/// What a key does on the current screen: its binding, else typing in the focused field.
pub fn action(state: &State, key: &KeyEvent) -> Option<crate::wizard::Action> {
    if let Some(nav) = lookup(state, key) {
        return Some(crate::wizard::Action::Nav(nav));
    }
    edit(key).map(crate::wizard::Action::Edit)
}

/// An editing key, if `key` is one.
pub fn edit(key: &KeyEvent) -> Option<Edit> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    Some(match key.code {
        KeyCode::Char('u') if ctrl => Edit::ClearToStart,
        KeyCode::Char(c) if !ctrl && !alt => Edit::Insert(c),
        KeyCode::Backspace => Edit::Backspace,
        KeyCode::Delete => Edit::Delete,
        KeyCode::Left => Edit::Left,
        KeyCode::Right => Edit::Right,
        KeyCode::Home => Edit::Home,
        KeyCode::End => Edit::End,
        _ => return None,
    })
}

/// The footer's entries: `(keys, what they do)`, in table order.
pub fn footer(state: &State) -> Vec<(&'static str, &'static str)> {
    table(state)
        .iter()
        .filter(|b| !b.label.is_empty())
        .map(|b| (b.label, b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_match_with_their_modifiers() {
        assert!(Plain(Char('q')).matches(&ev(Char('q'), KeyModifiers::NONE)));
        assert!(!Plain(Char('q')).matches(&ev(Char('q'), KeyModifiers::CONTROL)));
        assert!(Ctrl('c').matches(&ev(Char('c'), KeyModifiers::CONTROL)));
        assert!(!Ctrl('c').matches(&ev(Char('c'), KeyModifiers::NONE)));
        // Shift-Tab arrives as BackTab with SHIFT set: still the plain binding.
        assert!(Plain(BackTab).matches(&ev(BackTab, KeyModifiers::SHIFT)));
    }

    #[test]
    fn every_table_can_quit_with_ctrl_c_and_shows_something_or_nothing_on_purpose() {
        for t in [
            START,
            START_BROKEN,
            LIST,
            FORM,
            FORM_CHECKBOX,
            PICK_REMOVE,
            KEY_FILE,
            LOGIN_RUNNING,
            LOGIN_PASSED,
            LOGIN_FAILED,
            LOGIN_UNREACHABLE,
            REVIEW,
            REVIEW_COMMIT,
            APPLYING,
            APPLY_FAILED,
            DONE,
        ] {
            assert!(
                t.iter()
                    .any(|b| b.action == Action::Interrupt && b.keys.contains(&Ctrl('c'))),
                "{t:?}"
            );
        }
        // Text fields never bind a printable key: it must reach the field.
        for t in [FORM, KEY_FILE] {
            for b in t {
                for k in b.keys {
                    assert!(!matches!(k, Plain(Char(_))), "{b:?}");
                }
            }
        }
    }
}
