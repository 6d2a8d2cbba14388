//! The full-screen wizard: `fioreg` with no subcommand, on a terminal.
//!
//! The Elm pattern: [`state`] is the model, [`update`] turns an event into a new state and an
//! effect, [`view`] draws the state, [`keymap`] binds keys per screen (and writes the footer),
//! and [`effects`] runs the slow work on background threads that report back as events. The
//! plan is built and applied by the same core as `fioreg add`.

pub mod effects;
pub mod front;
pub mod keymap;
pub mod state;
pub mod update;
pub mod view;

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod testing;

use crate::factory_config::FactoryConfig;
use crate::plan::{Action as PlanAction, SecretOp};
use crate::session::Session;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as term_event, Event as TermEvent, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};
use state::{Context, State};
use std::collections::VecDeque;
use std::io::stdout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;
use update::{Event, update};

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
pub fn run(session: &Session) -> anyhow::Result<()> {
    let ctx = Context::from_session(session, crate::commands::color_stdout());
    let config = FactoryConfig::load(&session.config_path).map_err(|e| e.to_string());
    let mut state = State::new(ctx, config);

    let guard = TerminalGuard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    let size = term.size()?;
    state.size = (size.width, size.height);

    let (tx, rx) = mpsc::channel();
    let runner = effects::Runner::new(session, tx);
    let mut effects = VecDeque::from([update::init(&state)]);
    let mut redraw = true;
    loop {
        while let Some(effect) = effects.pop_front() {
            if let Some(event) = runner.run(effect, &state) {
                effects.push_back(update(&mut state, event));
            }
        }
        if state.quit {
            break;
        }
        if redraw || state.busy() {
            term.draw(|f| view::draw(f, &state))?;
        }
        let event = next_event(&rx)?;
        redraw = !matches!(event, Some(Event::Tick));
        if let Some(event) = event {
            effects.push_back(update(&mut state, event));
        }
        // Background results that arrived meanwhile (several progress steps at once).
        while let Ok(event) = rx.try_recv() {
            redraw = true;
            effects.push_back(update(&mut state, event));
        }
    }
    drop(term);
    drop(guard);
    report(&state)
}

/// The next event: a background result, a key, a resize, or a tick after [`TICK`].
fn next_event(rx: &Receiver<Event>) -> std::io::Result<Option<Event>> {
    if let Ok(event) = rx.try_recv() {
        return Ok(Some(event));
    }
    if !term_event::poll(TICK)? {
        return Ok(Some(Event::Tick));
    }
    Ok(match term_event::read()? {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Event::Key(k)),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        _ => None,
    })
}

/// What is left on the normal screen after the wizard: the outcome, or that nothing changed.
fn report(state: &State) -> anyhow::Result<()> {
    let (Some(run), Some(review)) = (&state.apply, &state.review) else {
        println!("fioreg: nothing was changed.");
        return Ok(());
    };
    match &run.result {
        Some(Ok(applied)) => {
            let plan = &review.plan;
            println!("✓ {}", plan.summary());
            if plan.secret_op == SecretOp::Store {
                println!("  Stored the secret {}.", plan.secret_name);
            }
            match (&applied.commit, &plan.commit) {
                (Some(id), Some(c)) => println!(
                    "  Wrote {} and committed it ({id} on {}): push it.",
                    plan.config_path.display(),
                    c.branch
                ),
                _ if applied.config_written => println!(
                    "  Wrote {}: commit and push it in your ci-scripts checkout.",
                    plan.config_path.display()
                ),
                _ if matches!(plan.action, PlanAction::Rotate { .. }) => println!(
                    "  {} is unchanged (byte-identical).",
                    plan.config_path.display()
                ),
                _ => println!(
                    "  {} already held this entry: unchanged.",
                    plan.config_path.display()
                ),
            }
            if plan.secret_op == SecretOp::Delete {
                println!("  Deleted the secret {}.", plan.secret_name);
            }
            if let Some(why) = &state.settings_warning {
                println!("  warning: the settings were not saved: {why}");
            }
            println!(
                "  The same from a script: {}",
                review.source.command_line(
                    &state.ctx.config_path,
                    state.ctx.plan_factory.as_deref(),
                    applied.commit.is_some(),
                )
            );
            Ok(())
        }
        Some(Err(e)) => Err(anyhow::anyhow!("{e}")),
        None => Ok(()),
    }
}
