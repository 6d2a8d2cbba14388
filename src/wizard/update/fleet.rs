//! Several factories at once: the factories chosen on Start, the plan for all, applying it.
//! The plans and the apply are `crate::fleet`'s (the CLI's); this module only keeps the state.

use super::*;

/// Start: flips whether the flows run on the factory at `index`; a plan made for the earlier
/// choice is dropped.
pub(super) fn toggle_factory(state: &mut State, index: usize) {
    if let Some(several) = state.several.as_mut()
        && let Some(on) = several.chosen.get_mut(index)
    {
        *on = !*on;
        several.error = None;
        several.batch = None;
    }
}

/// The factories the flows run on, by name (the line prompts' one answer); a name that is not
/// one of them is refused with the names there are, and the choice stays as it was.
pub(super) fn choose_factories(state: &mut State, names: &[String]) {
    let known: Vec<String> = state
        .fleet_views()
        .iter()
        .map(|v| v.factory.clone())
        .collect();
    let Some(several) = state.several.as_mut() else {
        return;
    };
    let unknown: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !known.iter().any(|k| k == n))
        .collect();
    if !unknown.is_empty() {
        several.error = Some(format!(
            "{} {} not one of the factories ({})",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" },
            known.join(", ")
        ));
        return;
    }
    if names.is_empty() {
        several.error = Some("choose at least one factory".into());
        return;
    }
    several.chosen = known
        .iter()
        .map(|k| names.iter().any(|n| n.trim() == k))
        .collect();
    several.error = None;
    several.batch = None;
}

/// The plan for all came back: on to the login test (with the first factory's plan) or the
/// review; or why not, under the answers that led to it.
pub(super) fn fleet_planned(
    state: &mut State,
    source: PlanSource,
    result: Result<(Arc<Plan>, Arc<crate::fleet::Batch>), String>,
) -> Effect {
    if !matches!(state.screen, Screen::Credentials | Screen::Pick) {
        return Effect::None;
    }
    match result {
        Ok((plan, batch)) => {
            if let Some(several) = state.several.as_mut() {
                several.batch = Some(batch);
            }
            if state.screen == Screen::Pick {
                state.pick.error = None;
            }
            test_login_or_review(state, plan, source)
        }
        Err(e) => {
            if state.screen == Screen::Pick {
                state.pick.error = Some(e);
            } else if let Some(c) = state.creds.as_mut() {
                c.error = Some(e);
            }
            Effect::None
        }
    }
}

/// Review, Apply pressed on the plan for all: every factory pending, then the parallel apply.
pub(super) fn start_fleet_apply(state: &mut State, batch: Arc<crate::fleet::Batch>) -> Effect {
    let n = batch.names().len();
    if let Some(several) = state.several.as_mut() {
        several.rows = vec![None; n];
        several.done = None;
    }
    state.apply = Some(ApplyRun {
        store: None,
        write: None,
        delete: None,
        commit: None,
        result: None,
        cloud: None,
        quit_requested: false,
    });
    state.scroll = 0;
    state.screen = Screen::Apply;
    Effect::ApplyFleet(batch)
}

/// Applying has ended: the summary's rows; Done shows them whatever happened (the outcome
/// says whether a factory failed).
pub(super) fn fleet_applied(state: &mut State, rows: Vec<crate::fleet::summary::Row>) -> Effect {
    let failure = crate::fleet::summary::failures(&rows);
    if let Some(run) = state.apply.as_mut() {
        run.result = Some(match failure {
            None => Ok(Applied {
                config_written: false,
                commit: None,
            }),
            Some(message) => Err(message.as_str().into()),
        });
    }
    if let Some(several) = state.several.as_mut() {
        several.rows = rows.iter().cloned().map(Some).collect();
        several.done = Some(rows);
    }
    state.scroll = 0;
    state.screen = Screen::Done;
    Effect::None
}
