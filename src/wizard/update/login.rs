//! The Test login screen: whether a plan is tested, the test's outcome, and on to the Review.

use super::*;

/// A plan that stores credentials gets its login test first (unless the session skips it);
/// any other goes straight to the review.
pub(super) fn test_login_or_review(
    state: &mut State,
    plan: Arc<Plan>,
    source: PlanSource,
) -> Effect {
    let (Some(opts), true) = (
        state.ctx.verify.clone(),
        crate::wizard::flow::plan_needs_login_test(&plan),
    ) else {
        show_review(state, plan, source, None);
        return Effect::None;
    };
    state.login_runs += 1;
    let run = state.login_runs;
    state.login = Some(LoginTest {
        host: crate::wizard::flow::login_host(&plan),
        pending: Some((Arc::clone(&plan), source)),
        run,
        status: LoginStatus::Running,
        focus: LoginFocus::Back,
    });
    state.screen = Screen::TestLogin;
    Effect::TestLogin { run, plan, opts }
}

/// The Test login screen: Enter goes on once the test passed (or, for a registry that could
/// not be reached, on "Store anyway"); a failure only goes back or tests again.
pub(super) fn test_login(state: &mut State, action: Nav) -> Effect {
    let Some(login) = state.login.as_ref() else {
        state.screen = Screen::Credentials;
        return Effect::None;
    };
    let result = login.result().cloned();
    let unreachable = result.as_ref().is_some_and(LoginCheck::may_store_anyway);
    let back_to_credentials = |state: &mut State| {
        // The answers stay on the Credentials screen; a result still to come is dropped.
        state.login = None;
        state.screen = Screen::Credentials;
    };
    match action {
        Nav::Back => back_to_credentials(state),
        Nav::FocusNext | Nav::FocusPrev if unreachable => {
            if let Some(login) = state.login.as_mut() {
                login.focus = match login.focus {
                    LoginFocus::Back => LoginFocus::StoreAnyway,
                    LoginFocus::StoreAnyway => LoginFocus::Back,
                };
            }
        }
        Nav::Retry if result.as_ref().is_some_and(|r| !r.passed()) => {
            let Some(opts) = state.ctx.verify.clone() else {
                return Effect::None;
            };
            state.login_runs += 1;
            let run = state.login_runs;
            let Some(login) = state.login.as_mut() else {
                return Effect::None;
            };
            let Some((plan, _)) = &login.pending else {
                return Effect::None;
            };
            let plan = Arc::clone(plan);
            login.run = run;
            login.status = LoginStatus::Running;
            login.focus = LoginFocus::Back;
            return Effect::TestLogin { run, plan, opts };
        }
        Nav::Choose => {
            let store_anyway = unreachable && login.focus == LoginFocus::StoreAnyway;
            if result.as_ref().is_some_and(LoginCheck::passed) || store_anyway {
                if let Some((plan, source)) = state.login.as_mut().and_then(|l| l.pending.take()) {
                    show_review(state, plan, source, result);
                }
            } else if unreachable {
                back_to_credentials(state);
            }
        }
        _ => {}
    }
    Effect::None
}

/// Shows the plan on the Review screen; the commit box is offered when the file changes and
/// lives in a git work tree. `login`: what the login test found, when it ran.
pub(super) fn show_review(
    state: &mut State,
    plan: Arc<Plan>,
    source: PlanSource,
    login: Option<LoginCheck>,
) {
    let batch = state.several.as_ref().and_then(|s| s.batch.clone());
    // Several factories: each factory's diff is in the plan for all; no commit is offered.
    let diff = if batch.is_some() {
        Vec::new()
    } else {
        diff::lines(&plan.old_text, &plan.new_text)
    };
    // Across factories: offered when a config is written and no --commit gave the commits.
    let commit = match &batch {
        Some(b) if b.may_commit() => CommitState::Off,
        None if state.ctx.checkout.is_some() && plan.new_text != plan.old_text => CommitState::Off,
        _ => CommitState::Unavailable,
    };
    state.review = Some(Review {
        plan,
        source,
        diff,
        scroll: 0,
        focus: ReviewFocus::Back,
        commit,
        login,
        cloud: None,
        batch,
    });
    state.screen = Screen::Review;
}
