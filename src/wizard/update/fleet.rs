//! Several factories at once: the factories chosen on Start, the plan for all, applying it.
//! The plans and the apply are `crate::fleet`'s (the CLI's); this module only keeps the state.

use super::*;

/// One factory's Start, "Work on several of these factories at once": the mode of
/// `fioreg --all-factories` over the loaded overview, with what it needs: the empty config such
/// a session starts from (never written; each factory has its own), and no one factory,
/// checkout or containers.git in the context. What was set aside comes back with
/// [`back_to_one_factory`].
pub(super) fn switch_to_several(state: &mut State) {
    if !state.offers_several() {
        return;
    }
    // Only this session's own factory is chosen at first, not every one as --all-factories
    // does: choosing the item must not by itself widen what a change touches. The others are
    // added on purpose (Space, or the line prompts' list), and the boxes, the header's count
    // and a note under the text show the choice.
    let current = state.ctx.factory.clone();
    let chosen = state
        .fleet_views()
        .iter()
        .map(|v| v.config.is_some() && current.as_deref() == Some(v.factory.as_str()))
        .collect();
    let config = std::mem::replace(&mut state.config, crate::session::several_config());
    let ctx = state.ctx.clone();
    state.ctx.factory = None;
    state.ctx.plan_factory = None;
    state.ctx.checkout = None;
    state.ctx.containers = None;
    state.several = Some(Several {
        chosen,
        one_factory: Some(Box::new(OneFactory {
            config,
            ctx,
            start_cursor: state.start_cursor,
        })),
        ..Several::default()
    });
    fresh_flow(state);
    // On the first factory's box: choosing the others is what comes next.
    state.start_cursor = 0;
    state.scroll = 0;
}

/// Esc on Start after [`switch_to_several`]: the one factory's Start as it was (its config,
/// its context, the cursor on the item), with no answer of the flows across factories left.
/// The scan of containers.git, held back meanwhile, starts if its secrets are known.
pub(super) fn back_to_one_factory(state: &mut State) -> Effect {
    let Some(one) = state.several.as_mut().and_then(|s| s.one_factory.take()) else {
        return Effect::None;
    };
    let OneFactory {
        config,
        ctx,
        start_cursor,
    } = *one;
    state.config = config;
    state.ctx = ctx;
    state.several = None;
    state.start_cursor = start_cursor;
    state.scroll = 0;
    fresh_flow(state);
    if matches!(state.secrets, Secrets::Loading) {
        return Effect::None;
    }
    start_scan(state)
}

/// Forgets every flow's answers (the mode changed: they were for other factories).
fn fresh_flow(state: &mut State) {
    state.flow = Flow::Add;
    state.pick = Pick::default();
    state.pick_entries.clear();
    state.target = None;
    state.registry = None;
    state.creds = None;
    state.login = None;
    state.review = None;
    state.apply = None;
}

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
    let Some(several) = state.several.as_mut() else {
        return Effect::None;
    };
    several.rows = vec![None; n];
    several.done = None;
    several.stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::clone(&several.stop);
    begin_apply(state, ApplyRun::default());
    Effect::ApplyFleet { batch, stop }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::summary::RowResult;
    use crate::fleet::{Job, Member, Tools};
    use crate::tui::testing::{config, ctx};
    use crate::wizard::report::Outcome;

    const GHCR: &str = "container_registries:\n- type: generic\n  url: ghcr.io\n  generic_secret_name: ghcr_creds\n";

    /// Three factories in a scratch folder (acme and beta with ghcr.io, gamma without), and the
    /// session's fleet source for them.
    fn factories() -> (
        tempfile::TempDir,
        Vec<Member>,
        crate::fleet::matrix::FleetSource,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let members: Vec<Member> = [("acme", GHCR), ("beta", GHCR), ("gamma", "lmp: {}\n")]
            .into_iter()
            .map(|(name, text)| {
                let config = dir.path().join(format!("{name}.yml"));
                std::fs::write(&config, text).unwrap();
                Member {
                    name: name.into(),
                    config,
                }
            })
            .collect();
        let tools = Tools {
            fioctl: Some(dir.path().join("no-fioctl-here")),
            timeout: std::time::Duration::from_secs(5),
            jobs: 2,
        };
        let source = crate::fleet::matrix::FleetSource::several(
            dir.path().join("config.toml"),
            members.clone(),
            &tools,
        );
        (dir, members, source)
    }

    /// Start across the factories, their overview loaded (no login test).
    fn started(source: &crate::fleet::matrix::FleetSource) -> State {
        let mut ctx = ctx();
        ctx.verify = None;
        let mut s = State::new(ctx, Ok(config("")));
        assert!(matches!(
            crate::wizard::init_session_fleet(&mut s, Some(source)),
            Effect::LoadFleet
        ));
        assert!(s.several.is_some());
        let views = source.load().unwrap();
        update(&mut s, Action::FleetLoaded(Ok(views)));
        s
    }

    /// A generic registry at `url`, user `ci`, token `tok`.
    fn generic_answers(url: &str) -> crate::plan::Answers {
        crate::plan::Answers {
            request: crate::plan::Request {
                provider: Provider::Generic,
                url: Some(url.into()),
                region: None,
                secret_name: None,
            },
            credential: crate::plan::CredentialInput::UserToken {
                user: "ci".into(),
                password: SecretString::from("tok"),
            },
        }
    }

    /// The effect's answer: `batch`, the plan for all of `source`, and its first plan.
    fn planned(s: &mut State, source: PlanSource, first: Plan, batch: crate::fleet::Batch) {
        let result = Ok((Arc::new(first), Arc::new(batch)));
        let source = Box::new(source);
        update(s, Action::FleetPlanned { source, result });
    }

    fn chosen(s: &State) -> Vec<bool> {
        s.several.as_ref().unwrap().chosen.clone()
    }

    #[test]
    fn start_chooses_the_factories_and_refuses_names_that_are_none_of_them() {
        let (_dir, _, source) = factories();
        let mut s = started(&source);
        // Every factory chosen at first; its box first on Start, then the actions.
        assert_eq!(chosen(&s), [true, true, true]);
        let labels: Vec<String> = s.start_items().iter().map(StartItem::label).collect();
        assert_eq!(
            labels[..4],
            [
                "[x] factory acme",
                "[x] factory beta",
                "[x] factory gamma",
                "Add a registry"
            ]
        );
        // Space (or Enter) on a box flips it.
        update(&mut s, Action::Cursor(2));
        update(&mut s, Action::Nav(Nav::Toggle));
        assert_eq!(chosen(&s), [true, true, false]);
        update(&mut s, Action::Nav(Nav::Choose));
        assert_eq!(chosen(&s), [true, true, true]);
        // The line prompts' one answer: unknown names are refused and nothing changes.
        update(
            &mut s,
            Action::Factories(vec!["acme".into(), "delta".into()]),
        );
        assert_eq!(
            s.several.as_ref().unwrap().error.as_deref(),
            Some("delta is not one of the factories (acme, beta, gamma)")
        );
        assert_eq!(chosen(&s), [true, true, true]);
        update(&mut s, Action::Factories(vec![" gamma ".into()]));
        assert_eq!(chosen(&s), [false, false, true]);
        assert_eq!(s.several.as_ref().unwrap().error, None);
        // gamma has no registry: rotate and remove say why; add is open.
        let items = s.start_items();
        let why = |label: &str| {
            let item = items.iter().find(|i| i.label().starts_with(label)).unwrap();
            s.start_disabled(item)
        };
        assert_eq!(why("Add"), None);
        assert_eq!(
            why("Rotate").as_deref(),
            Some("no chosen factory has a registry")
        );
        update(&mut s, Action::Factories(vec![]));
        assert_eq!(
            s.several.as_ref().unwrap().error.as_deref(),
            Some("choose at least one factory")
        );
        // Adding offers no cloud identity across factories, and says why.
        update(&mut s, Action::Factories(vec!["acme".into()]));
        s.flow = Flow::Add;
        assert!(!s.creates_identities());
        assert!(s.no_identity_reason().is_some());
    }

    #[test]
    fn rotate_picks_across_the_chosen_factories_reviews_one_plan_and_ends_as_the_cli() {
        let (_dir, members, source) = factories();
        let mut s = started(&source);
        // Rotate: the registries of the chosen factories, each with where it is.
        let rotate = s
            .start_items()
            .iter()
            .position(|i| i.label().starts_with("Rotate"))
            .unwrap();
        update(&mut s, Action::Select(rotate));
        assert_eq!(s.screen, Screen::Pick);
        let entries = s.entries();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].target.as_deref(), Ok("ghcr.io"));
        assert_eq!(entries[0].place(), "in acme, beta");
        update(&mut s, Action::Select(0));
        assert_eq!(s.screen, Screen::Credentials);

        // The effect's answer: the plan for all, built by the CLI's core with one secret.
        let job = Job::Rotate("ghcr.io".into());
        let secret = crate::secret::Secret::new(b"ci:tok".to_vec(), "user ci, token");
        let batch = crate::fleet::plan(members, &job, &secret, &source.tools);
        assert_eq!(batch.counts(), (2, 1, 0));
        let first = batch.first_plan().unwrap();
        let source_answers = PlanSource::Rotate {
            target: "ghcr.io".into(),
            answers: generic_answers("ghcr.io"),
            keyring: crate::wizard::state::KeyringUse::No,
        };
        planned(&mut s, source_answers, first, batch);
        assert_eq!(s.screen, Screen::Review);
        let review = s.review.as_ref().unwrap();
        assert!(review.batch.is_some());
        assert!(matches!(review.commit, CommitState::Unavailable));
        let text = review.batch.as_ref().unwrap().render(false);
        assert!(text.contains("━━ factory acme"), "{text}");
        assert!(
            text.contains("3 factories: 2 to change, 1 skipped, 0 refused."),
            "{text}"
        );

        // Apply: every factory pending, then the parallel apply as an effect.
        update(&mut s, Action::Nav(Nav::FocusNext));
        let Effect::ApplyFleet { batch, stop } = update(&mut s, Action::Nav(Nav::Choose)) else {
            panic!("no parallel apply")
        };
        assert_eq!(s.screen, Screen::Apply);
        assert!(s.busy());
        // q while applying only asks to wait; Ctrl-C also starts no other factory.
        update(&mut s, Action::Nav(Nav::Quit));
        assert!(!stop.load(std::sync::atomic::Ordering::SeqCst));
        update(&mut s, Action::Nav(Nav::Interrupt));
        assert!(stop.load(std::sync::atomic::Ordering::SeqCst));
        assert!(!s.quit, "the wizard waits for the running factories");
        assert_eq!(s.several.as_ref().unwrap().rows, vec![None, None, None]);
        let ok = |name: &str| crate::fleet::summary::Row {
            factory: name.into(),
            result: RowResult::Ok,
            secret: "stored".into(),
            config: "unchanged".into(),
            commit: "-".into(),
            detail: None,
        };
        update(&mut s, Action::FleetRow(1, ok("beta")));
        assert_eq!(
            s.several.as_ref().unwrap().rows[1]
                .as_ref()
                .map(|r| r.result),
            Some(RowResult::Ok)
        );
        let failed = crate::fleet::summary::Row::untouched(
            "acme",
            RowResult::Failed,
            "ERROR: HTTP error during PATCH: 403 Forbidden".into(),
        );
        let skipped =
            crate::fleet::summary::Row::untouched("gamma", RowResult::Skipped, "no ghcr.io".into());
        update(
            &mut s,
            Action::FleetApplied(vec![failed, ok("beta"), skipped.clone()]),
        );
        assert_eq!(s.screen, Screen::Done);
        assert!(!s.busy());
        // Interrupted: the CLI's interruption (exit 130) naming what is not done.
        let outcome = crate::wizard::report::outcome(&s);
        let Ok(Outcome::Interrupted(words)) = &outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            words.starts_with("interrupted: 1 of 3 factories not done (acme)"),
            "{words}"
        );
        stop.store(false, std::sync::atomic::Ordering::SeqCst);
        // Else the CLI's ending: an error naming the factory not done (exit 1), and its table.
        let outcome = crate::wizard::report::outcome(&s);
        let err = outcome.as_ref().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("1 of 3 factories not done (acme); the others were not undone"),
            "{err}"
        );
        let closing = crate::wizard::report::closing(&s, &outcome).unwrap();
        assert!(closing.starts_with("FACTORY  RESULT"), "{closing}");
        assert!(
            closing.contains("acme (FAILED): ERROR: HTTP error"),
            "{closing}"
        );

        // All done: applied (exit 0).
        update(
            &mut s,
            Action::FleetApplied(vec![ok("acme"), ok("beta"), skipped]),
        );
        let outcome = crate::wizard::report::outcome(&s);
        assert!(matches!(outcome, Ok(Outcome::Applied(_))), "{outcome:?}");
        assert_eq!(outcome.unwrap().exit_code(), 0);
        drop(batch);
    }

    /// acme's own one-factory Start (its config has aws and ghcr.io entries), with the
    /// remembered factories of [`factories`] loaded beside it.
    #[test]
    fn the_review_offers_a_commit_in_each_checkout_and_unchecking_restores_the_plan() {
        let (_dir, members, source) = factories();
        let mut s = started(&source);
        s.flow = Flow::Add;
        s.screen = Screen::Credentials;
        let answers = generic_answers("docker.io");
        let secret = crate::secret::Secret::new(b"ci:tok".to_vec(), "user ci, token");
        let job = Job::Add(answers.request.clone());
        let batch = crate::fleet::plan(members, &job, &secret, &source.tools);
        let first = batch.first_plan().unwrap();
        let keyring = crate::wizard::state::KeyringUse::No;
        planned(&mut s, PlanSource::Add { answers, keyring }, first, batch);
        assert_eq!(s.screen, Screen::Review);
        // Every config is written: the commit is offered, unchecked.
        assert!(matches!(
            s.review.as_ref().unwrap().commit,
            CommitState::Off
        ));
        let plain = s.several.as_ref().unwrap().batch.clone().unwrap();
        let Effect::CheckFleetCommit(asked) = update(&mut s, Action::Nav(Nav::Toggle)) else {
            panic!("no commit check")
        };
        assert!(
            Arc::ptr_eq(&asked, &plain),
            "the plan without commits is checked"
        );
        assert!(s.busy());
        // These configs are in no git work tree: each factory is refused, and says why.
        let committed = asked.with_commits();
        assert_eq!(committed.counts(), (0, 0, 3));
        // An answer about another plan for all (one reviewed earlier) is dropped.
        let earlier = Arc::new(asked.with_commits());
        update(
            &mut s,
            Action::FleetCommitChecked {
                from: Arc::clone(&earlier),
                batch: Arc::clone(&earlier),
            },
        );
        assert!(matches!(
            s.review.as_ref().unwrap().commit,
            CommitState::Checking
        ));
        update(
            &mut s,
            Action::FleetCommitChecked {
                from: asked,
                batch: Arc::new(committed),
            },
        );
        let review = s.review.as_ref().unwrap();
        assert!(matches!(review.commit, CommitState::All));
        let text = review.batch.as_ref().unwrap().render(false);
        assert!(text.contains("Will not be changed:"), "{text}");
        // Unchecked: the plan for all as it was.
        update(&mut s, Action::Nav(Nav::Toggle));
        let review = s.review.as_ref().unwrap();
        assert!(matches!(review.commit, CommitState::Off));
        assert!(Arc::ptr_eq(review.batch.as_ref().unwrap(), &plain));
    }

    fn one_factory(source: &crate::fleet::matrix::FleetSource) -> State {
        let mut ctx = ctx();
        ctx.verify = None;
        ctx.checkout = Some(crate::wizard::state::CheckoutInfo {
            root: "/src/acme".into(),
            branch: "main".into(),
        });
        let mut s = State::new(ctx, Ok(config(crate::tui::testing::CONFIG)));
        // A one-factory session's source shows the factories; it does not work on them.
        let mut shown = source.clone();
        shown.several = None;
        assert!(matches!(
            crate::wizard::init_session_fleet(&mut s, Some(&shown)),
            Effect::LoadFleet
        ));
        assert!(s.several.is_none());
        update(&mut s, Action::FleetLoaded(source.load()));
        s
    }

    fn position(s: &State, label: &str) -> usize {
        s.start_items()
            .iter()
            .position(|i| i.label().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {:?}", s.start_items()))
    }

    #[test]
    fn one_factory_start_switches_to_the_factories_with_only_its_own_chosen_and_esc_returns() {
        let (_dir, _, source) = factories();
        let mut s = one_factory(&source);
        assert!(s.offers_several());
        // The item before Quit; the one factory's items are all there.
        let labels: Vec<String> = s.start_items().iter().map(StartItem::label).collect();
        assert_eq!(
            labels[labels.len() - 2..],
            [
                "Work on several of these factories at once".to_string(),
                "Quit".into()
            ]
        );
        assert!(labels.contains(&"Rotate a registry's credentials".to_string()));
        let before_cursor = position(&s, "Work on several");
        let effect = update(&mut s, Action::Select(before_cursor));
        assert!(matches!(effect, Effect::None));

        // The --all-factories mode: the factories' boxes first, only acme chosen.
        assert!(s.switched_to_several());
        assert_eq!(chosen(&s), [true, false, false]);
        assert_eq!(s.start_cursor, 0);
        let labels: Vec<String> = s.start_items().iter().map(StartItem::label).collect();
        assert_eq!(
            labels,
            [
                "[x] factory acme",
                "[ ] factory beta",
                "[ ] factory gamma",
                "Add a registry",
                "Rotate a registry's credentials",
                "Remove a registry",
                "Quit"
            ]
        );
        assert_eq!(
            s.switched_note().as_deref(),
            Some(
                "Chosen: acme; the others are left as they are until chosen. Esc goes back to \
                 factory acme alone."
            )
        );
        // acme's config is set aside: the rules across factories start from the empty one
        // an --all-factories session has, with no one factory, checkout or containers.git.
        let cfg = s.config.as_ref().unwrap();
        assert!(cfg.registries.is_empty());
        assert_eq!(cfg.path, std::path::Path::new("factory-config.yml"));
        assert_eq!(s.ctx.factory, None);
        assert_eq!(s.ctx.plan_factory, None);
        assert_eq!(s.ctx.checkout, None);
        assert!(!s.creates_identities());
        s.flow = Flow::Add;
        assert!(s.no_identity_reason().is_some());

        // Rotate picks among the chosen factories' registries (acme's ghcr.io only).
        update(&mut s, Action::Cursor(1));
        update(&mut s, Action::Nav(Nav::Toggle));
        assert_eq!(chosen(&s), [true, true, false]);
        let at = position(&s, "Rotate");
        update(&mut s, Action::Select(at));
        assert_eq!(s.screen, Screen::Pick);
        let entries = s.entries();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].place(), "in acme, beta");
        // Back to Start, then Esc: acme's Start as it was, no answer across factories kept.
        update(&mut s, Action::Nav(Nav::Back));
        assert_eq!(s.screen, Screen::Start);
        update(&mut s, Action::Nav(Nav::Back));
        assert!(s.several.is_none());
        assert_eq!(s.config.as_ref().unwrap().registries.len(), 2);
        assert_eq!(s.ctx.factory.as_deref(), Some("acme"));
        assert!(s.ctx.checkout.is_some());
        assert_eq!(s.start_cursor, before_cursor);
        assert!(s.pick_entries.is_empty());
        assert!(s.offers_several());
        // Rotate now lists acme's own entries (aws and ghcr.io), not the ones across factories.
        let at = position(&s, "Rotate");
        update(&mut s, Action::Select(at));
        assert_eq!(s.screen, Screen::Pick);
        assert_eq!(s.entries().len(), 2, "{:?}", s.entries());
        assert!(s.entries().iter().all(|e| e.place() != "in acme, beta"));
    }

    #[test]
    fn the_switch_is_offered_only_with_two_factories_that_have_a_config() {
        use crate::fleet::FactoryOverview;
        let view = |name: &str, config: bool| FactoryOverview {
            factory: name.into(),
            config: config.then(|| format!("/{name}.yml").into()),
            registries: Ok(Vec::new()),
            secrets_unknown_reason: None,
        };
        let mut s = State::new(ctx(), Ok(config("")));
        assert!(!s.offers_several(), "no overview yet");
        s.fleet = Fleet::Loaded(vec![view("acme", true), view("beta", false)]);
        assert!(!s.offers_several());
        assert!(!s.start_items().contains(&StartItem::Several));
        s.fleet = Fleet::Loaded(vec![view("acme", true), view("beta", true)]);
        assert!(s.offers_several());
        // Demo mode never; a config that cannot be read shows only its error.
        s.ctx.demo = Some(crate::wizard::state::DemoInfo {
            dir: "/tmp/d".into(),
            secrets_dir: "/tmp/d/s".into(),
        });
        assert!(!s.offers_several());
        s.ctx.demo = None;
        s.config = Err("factory-config.yml:1:1: bad".into());
        assert!(!s.offers_several());
        // A factory not among the remembered ones: none chosen, and the actions say why.
        let mut s = State::new(ctx(), Ok(config("")));
        s.ctx.factory = Some("delta".into());
        s.fleet = Fleet::Loaded(vec![view("acme", true), view("beta", true)]);
        let at = position(&s, "Work on several");
        update(&mut s, Action::Select(at));
        assert_eq!(chosen(&s), [false, false]);
        let add = s.start_items()[position(&s, "Add")].clone();
        assert_eq!(
            s.start_disabled(&add).as_deref(),
            Some("no factory is chosen")
        );
        assert!(
            s.switched_note()
                .is_some_and(|n| n.starts_with("No factory is chosen yet"))
        );
    }

    #[test]
    fn the_scan_waits_while_across_factories_and_starts_on_the_way_back() {
        let (_dir, _, source) = factories();
        let mut s = one_factory(&source);
        s.ctx.containers = Some("/src/containers".into());
        s.scan = ScanState::Pending;
        s.secrets = Secrets::Loading;
        let at = position(&s, "Work on several");
        update(&mut s, Action::Select(at));
        // The secrets come while across factories: the scan (of acme's config) waits.
        let effect = update(&mut s, Action::SecretsListed(Ok(vec!["aws_creds".into()])));
        assert!(matches!(effect, Effect::None), "{effect:?}");
        assert_eq!(s.scan, ScanState::Pending);
        let effect = update(&mut s, Action::Nav(Nav::Back));
        assert!(
            matches!(&effect, Effect::Scan { secrets: Some(n), remember: false } if n == &["aws_creds".to_string()]),
            "{effect:?}"
        );
        assert_eq!(
            s.ctx.containers.as_deref(),
            Some(std::path::Path::new("/src/containers"))
        );
    }

    #[test]
    fn the_step_list_says_how_applying_across_factories_ended() {
        use crate::wizard::state::ApplyEnd;
        let (_dir, _, source) = factories();
        let mut s = started(&source);
        let row = |name: &str, result: RowResult| {
            crate::fleet::summary::Row::untouched(name, result, "x".into())
        };
        let ok = |name: &str| crate::fleet::summary::Row {
            factory: name.into(),
            result: RowResult::Ok,
            secret: "stored".into(),
            config: "unchanged".into(),
            commit: "-".into(),
            detail: None,
        };
        assert_eq!(s.apply_end(), None);
        s.apply = Some(ApplyRun::default());
        assert_eq!(s.apply_end(), None, "still running");
        update(
            &mut s,
            Action::FleetApplied(vec![
                ok("acme"),
                ok("beta"),
                row("gamma", RowResult::Skipped),
            ]),
        );
        assert_eq!(s.apply_end(), Some(ApplyEnd::Done));
        update(
            &mut s,
            Action::FleetApplied(vec![
                ok("acme"),
                row("beta", RowResult::Failed),
                row("gamma", RowResult::Skipped),
            ]),
        );
        assert_eq!(s.apply_end(), Some(ApplyEnd::Partial));
        update(
            &mut s,
            Action::FleetApplied(vec![
                row("acme", RowResult::Refused),
                row("beta", RowResult::Failed),
                row("gamma", RowResult::Skipped),
            ]),
        );
        assert_eq!(s.apply_end(), Some(ApplyEnd::Failed));
    }

    #[test]
    fn a_registry_of_two_types_cannot_be_rotated_at_once() {
        use crate::fleet::{FactoryOverview, RegistryView};
        let view = |name: &str, kind: &str| FactoryOverview {
            factory: name.into(),
            config: Some(format!("/{name}.yml").into()),
            registries: Ok(vec![RegistryView {
                kind: kind.into(),
                url: Some("Harbor.example.com".into()),
                region: None,
                secret_name: Some("harbor".into()),
                line: 3,
                secret_present: None,
            }]),
            secrets_unknown_reason: None,
        };
        let views = [view("acme", "generic"), view("beta", "azure")];
        let rotate = crate::wizard::flow::fleet_entries(
            &views,
            &[true, true],
            crate::wizard::flow::Purpose::Rotate,
        );
        assert_eq!(rotate.len(), 1);
        assert_eq!(
            rotate[0].disabled(),
            Some(
                "it is a generic registry in factory acme but a azure registry in factory beta: \
                 the credentials are read once"
            )
        );
        let remove = crate::wizard::flow::fleet_entries(
            &views,
            &[true, true],
            crate::wizard::flow::Purpose::Remove,
        );
        assert_eq!(remove[0].target.as_deref(), Ok("harbor.example.com"));
        assert_eq!(remove[0].place(), "in acme, beta");
        // Only the chosen factories count.
        let one = crate::wizard::flow::fleet_entries(
            &views,
            &[false, true],
            crate::wizard::flow::Purpose::Rotate,
        );
        assert_eq!(one[0].disabled(), None);
        assert_eq!(one[0].place(), "in beta");
    }
}
