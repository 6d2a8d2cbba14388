//! The wizard's flow, with no terminal in it: one model ([`state::State`]), one [`update::Action`]
//! enum and `update(&mut State, Action) -> Effect` ([`update`]), the effects that do the slow work
//! ([`effects`]), and what every flow shares ([`flow`]): which entries can be rotated or
//! removed, the plan a flow builds, the login-test decision, the commit check, the OS keyring,
//! the questions declared as data and the order they are asked in ([`ask`]), and the post-apply
//! report ([`report`]).
//!
//! The front ends only translate: the TUI ([`crate::tui`]) binds keys to actions and draws the
//! state, the line prompts ([`crate::plain`]) ask [`ask::next`]'s question and send the actions
//! [`ask::answer`] gives, and the scriptable commands ([`crate::commands`]) fill the same answers
//! ([`flow::PlanSource`]) from flags. No front end decides what comes next; every one ends with
//! an [`report::Outcome`] that main.rs turns into the exit code.

pub mod ask;
pub mod effects;
pub mod flow;
pub mod report;
pub mod state;
pub mod update;

pub use update::{
    Action, Checkbox, Effect, Input, Nav, init, init_fleet, init_session_fleet, update,
};
