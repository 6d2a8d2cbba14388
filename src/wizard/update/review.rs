//! The Review screen: the commit checkbox and the one confirmation that applies.

use super::*;

pub(super) fn review(state: &mut State, action: Nav) -> Effect {
    let (page, max) = (state.limits.review_page, state.limits.review_max);
    let back = if state.flow == Flow::Remove {
        Screen::Pick
    } else {
        Screen::Credentials
    };
    // Across factories: the plan for all without commits (the review's may have them).
    let uncommitted = state.several.as_ref().and_then(|s| s.batch.clone());
    let Some(review) = state.review.as_mut() else {
        state.screen = back;
        return Effect::None;
    };
    match action {
        Nav::Up => review.scroll = review.scroll.saturating_sub(1),
        Nav::Down => review.scroll = (review.scroll + 1).min(max),
        Nav::PageUp => review.scroll = review.scroll.saturating_sub(page),
        Nav::PageDown => review.scroll = (review.scroll + page).min(max),
        Nav::FocusNext | Nav::FocusPrev => {
            review.focus = match review.focus {
                ReviewFocus::Back => ReviewFocus::Apply,
                ReviewFocus::Apply => ReviewFocus::Back,
            }
        }
        Nav::Toggle => {
            let effect = match (&review.commit, uncommitted.clone()) {
                (CommitState::Unavailable, _) => Effect::None,
                (CommitState::Off, Some(batch)) => {
                    review.commit = CommitState::Checking;
                    Effect::CheckFleetCommit(batch)
                }
                (CommitState::Off, None) => {
                    review.commit = CommitState::Checking;
                    Effect::CheckCommit(review.source.clone())
                }
                (CommitState::Checking | CommitState::On(_) | CommitState::Refused(_), _)
                | (CommitState::All, _) => {
                    review.commit = CommitState::Off;
                    // Across factories: the plan for all as it was, without the commits.
                    if let (Some(_), Some(plain)) = (&review.batch, uncommitted) {
                        review.batch = Some(plain);
                    }
                    Effect::None
                }
            };
            state.clamp_scrolls();
            return effect;
        }
        Nav::Back => state.screen = back,
        Nav::Choose => match review.focus {
            ReviewFocus::Back => state.screen = back,
            // Without a store there is nothing to apply with (unless no secret is touched);
            // a refused or unfinished commit check waits too. The screen says why.
            ReviewFocus::Apply
                if crate::wizard::flow::store_blocks(&state.ctx, review)
                    || review.commit_blocks() => {}
            ReviewFocus::Apply if review.batch.is_some() => {
                let Some(batch) = review.batch.clone() else {
                    return Effect::None;
                };
                return start_fleet_apply(state, batch);
            }
            ReviewFocus::Apply => {
                let commit = match &review.commit {
                    CommitState::On(c) => Some(c.clone()),
                    _ => None,
                };
                // The plan is held only here while it is reviewed.
                let Some(plan) = Arc::get_mut(&mut review.plan) else {
                    review.commit =
                        CommitState::Refused("the plan is still in use; try again".into());
                    return Effect::None;
                };
                plan.commit = commit;
                let plan = Arc::clone(&review.plan);
                if review.cloud.is_some() {
                    return start_cloud_apply(state, plan);
                }
                begin_apply(state, ApplyRun::for_plan(&plan));
                return Effect::Apply(plan);
            }
        },
        _ => {}
    }
    Effect::None
}
