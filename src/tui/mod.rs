//! The full-screen wizard: `fioreg` with no subcommand, on a terminal.
//!
//! The Elm pattern: [`state`] is the model, [`update`] turns an event into a new state and an
//! effect, [`view`] draws the state, [`keymap`] binds keys per screen (and writes the footer),
//! and [`effects`] runs the slow work on background threads that report back as events. The
//! plan is built and applied by the same core as `fioreg add`.

pub mod keymap;
pub mod view;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
pub(crate) mod testing;

use crate::session::Session;
use crate::wizard::effects;
use crate::wizard::report::Outcome;
use crate::wizard::state::{Context, State};
use crate::wizard::{Action, Effect};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as term_event, Event as TermEvent, KeyEvent, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};
use std::collections::VecDeque;
use std::io::stdout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// How long to wait for a key before a tick (the spinner's pace).
const TICK: Duration = Duration::from_millis(100);

/// Whether the terminal is in the wizard's modes (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back: raw mode off, alternate screen left, cursor shown. Idempotent.
fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(stdout(), terminal::LeaveAlternateScreen, cursor::Show);
    }
}

/// Restores the terminal when dropped: on quit, on an error, and while a panic unwinds.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(stdout(), terminal::EnterAlternateScreen)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Restores the terminal before the panic message is printed (once per process).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

/// Runs the wizard until the user quits; the terminal is restored whatever happens.
pub fn run(session: &Session) -> anyhow::Result<Outcome> {
    let ctx = Context::from_session(session, crate::term::color_stdout());
    let config = session.wizard_config();
    let mut state = State::new(ctx, config);

    let guard = TerminalGuard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    let size = term.size()?;
    state.size = (size.width, size.height);

    let (tx, rx) = mpsc::channel();
    let runner = effects::Runner::new(session, tx);
    let mut effects = VecDeque::from([crate::wizard::init(&state)]);
    effects.push_back(crate::wizard::init_session_fleet(
        &mut state,
        session.fleet.as_ref(),
    ));
    let mut redraw = true;
    loop {
        while let Some(effect) = effects.pop_front() {
            if let Some(event) = runner.run(effect, &state) {
                effects.push_back(step(&mut state, event));
            }
        }
        if state.quit {
            break;
        }
        if redraw || state.busy() {
            term.draw(|f| view::draw(f, &state))?;
        }
        let event = next_event(&rx)?.and_then(|e| match e {
            Ok(action) => Some(action),
            Err(key) => keymap::action(&state, &key),
        });
        redraw = !matches!(event, Some(Action::Tick));
        if let Some(event) = event {
            effects.push_back(step(&mut state, event));
        }
        // Background results that arrived meanwhile (several progress steps at once).
        while let Ok(event) = rx.try_recv() {
            redraw = true;
            effects.push_back(step(&mut state, event));
        }
    }
    drop(term);
    drop(guard);
    report(&state)
}

/// The next event: a background result, a resize or a tick after [`TICK`] (`Ok`), or a key for
/// the keymap to translate (`Err`).
fn next_event(rx: &Receiver<Action>) -> std::io::Result<Option<Result<Action, KeyEvent>>> {
    if let Ok(event) = rx.try_recv() {
        return Ok(Some(Ok(event)));
    }
    if !term_event::poll(TICK)? {
        return Ok(Some(Ok(Action::Tick)));
    }
    Ok(match term_event::read()? {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Err(k)),
        TermEvent::Resize(w, h) => Some(Ok(Action::Resize(w, h))),
        _ => None,
    })
}

/// What is left on the normal screen after the wizard: the report of what was applied (the
/// same words as the line prompts and the CLI); main.rs says the rest.
fn report(state: &State) -> anyhow::Result<Outcome> {
    let outcome = crate::wizard::report::outcome(state);
    if let Some(text) = crate::wizard::report::closing(state, &outcome) {
        print!("{text}");
    }
    outcome
}

/// One step of the loop: the view's scroll limits, the wizard's update, then the limits again
/// (the update may have changed what is shown). A tick only turns the spinner: it changes no
/// layout, so the limits are not worked out again ten times a second.
pub fn step(state: &mut State, action: Action) -> Effect {
    if matches!(action, Action::Tick) {
        return crate::wizard::update(state, action);
    }
    state.limits = view::limits(state);
    let effect = crate::wizard::update(state, action);
    state.limits = view::limits(state);
    state.clamp_scrolls();
    effect
}
