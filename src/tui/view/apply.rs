//! The last step: each step of applying as it happens; on failure, the exact error, which says
//! what was and was not changed.

use super::{Content, Theme, step_mark, wrap_prefixed};
use crate::plan::Action;
use crate::wizard::state::{State, StepStatus};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content {
        scroll: Some(state.scroll),
        ..Content::default()
    };
    let (Some(run), Some(review)) = (&state.apply, &state.review) else {
        return c;
    };
    if let (Some(several), Some(batch)) = (&state.several, &review.batch) {
        // Across factories: each factory as it ends, in the plan's order.
        c.extend(wrap_prefixed(
            "Applying: ",
            &format!("{} in each chosen factory", review.plan.summary()),
            width,
            theme.title(),
        ));
        c.blank();
        for ((name, row), idle) in batch.names().iter().zip(&several.rows).zip(batch.idle()) {
            match row {
                None if let Some(word) = idle => {
                    c.extend(wrap_prefixed(
                        "– ",
                        &format!("factory {name}: {word} (see the review)"),
                        width,
                        theme.dim(),
                    ));
                }
                Some(row) => {
                    let style = match row.result {
                        crate::fleet::summary::RowResult::Ok => theme.ok(),
                        crate::fleet::summary::RowResult::Skipped => theme.dim(),
                        _ => theme.error(),
                    };
                    c.extend(wrap_prefixed("", &row.progress_line(), width, style));
                }
                None => {
                    let (mark, style) = step_mark(StepStatus::Running, state.tick, theme);
                    c.extend(wrap_prefixed(
                        &format!("{mark} "),
                        &format!("factory {name}"),
                        width,
                        style,
                    ));
                }
            }
        }
        if run.quit_requested && !run.finished() {
            c.blank();
            let text = if several.stop.load(std::sync::atomic::Ordering::SeqCst) {
                "Ctrl-C: no other factory is started; fioreg waits for the running ones and \
                 shows the result here."
            } else {
                "Applying cannot be stopped halfway: fioreg waits for it and shows the result \
                 here (Ctrl-C starts no other factory)."
            };
            c.extend(wrap_prefixed("! ", text, width, theme.warn()));
        }
        return c;
    }
    let plan = &review.plan;
    c.extend(wrap_prefixed(
        "Applying: ",
        &plan.summary(),
        width,
        theme.title(),
    ));
    c.blank();
    let failed = matches!(run.result, Some(Err(_)));
    let step = |c: &mut Content, status: StepStatus, text: String| {
        let (mark, style) = step_mark(status, state.tick, theme);
        let note = match status {
            StepStatus::Pending if failed => " (not done)",
            StepStatus::Failed => " (failed)",
            _ => "",
        };
        let lines = wrap_prefixed(&format!("{mark} "), &format!("{text}{note}"), width, style);
        c.extend(lines);
    };
    let target = if state.ctx.demo.is_some() {
        "the demo's scratch folder"
    } else {
        "the factory"
    };
    if let Some(cloud) = &run.cloud {
        for (title, status) in &cloud.actions {
            step(&mut c, *status, title.clone());
        }
        let check = match &cloud.key_arn {
            Some(arn) => format!("Check the new key: it belongs to {arn}"),
            None if matches!(
                review.cloud.as_ref().map(|c| &c.plan.job),
                Some(crate::cloud::Job::Gcp(_))
            ) =>
            {
                "Check the new key file".to_string()
            }
            None => "Check the new key (sts:GetCallerIdentity)".to_string(),
        };
        if let Some(status) = cloud.key_check {
            step(&mut c, status, check);
        }
        if let Some(status) = cloud.login {
            step(
                &mut c,
                status,
                format!(
                    "Test the login to {} with the new key",
                    crate::wizard::flow::login_host(plan)
                ),
            );
        }
        if let Some(w) = &cloud.waiting {
            c.extend(wrap_prefixed("    ", w, width, theme.dim()));
        }
    }
    if let Some(status) = run.store {
        step(
            &mut c,
            status,
            format!("Store the secret {} in {target}", plan.secret_name),
        );
    }
    match run.write {
        Some(status) => step(
            &mut c,
            status,
            format!("Write {}", plan.config_path.display()),
        ),
        None => {
            let why = if matches!(plan.action, Action::Rotate { .. }) {
                format!(
                    "{} stays byte-identical: nothing to write",
                    plan.config_name()
                )
            } else {
                format!(
                    "{} already holds this entry: nothing to write",
                    plan.config_name()
                )
            };
            c.extend(wrap_prefixed("– ", &why, width, theme.dim()));
        }
    }
    if let Some(status) = run.delete {
        step(
            &mut c,
            status,
            format!("Delete the secret {} from {target}", plan.secret_name),
        );
    }
    if let (Some(status), Some(commit)) = (run.commit, &plan.commit) {
        step(
            &mut c,
            status,
            format!(
                "Commit {} on {}",
                commit.checkout.rel.display(),
                commit.branch
            ),
        );
    }
    if run.quit_requested && !run.finished() {
        c.blank();
        c.extend(wrap_prefixed(
            "! ",
            if state.interrupted && run.cloud.is_some() {
                "Stopping: the cloud command running now is interrupted; then fioreg says what \
                 exists and what to run."
            } else {
                "Applying cannot be stopped halfway: fioreg waits for it and shows the result here."
            },
            width,
            theme.warn(),
        ));
    }
    if let Some(Err(e)) = &run.result {
        c.blank();
        c.push(Line::from(Span::styled(
            "✗ Applying failed:",
            theme.error(),
        )));
        for line in e.message.lines() {
            c.extend(wrap_prefixed("  ", line, width, theme.error()));
        }
        c.blank();
        c.extend(wrap_prefixed(
            "",
            "Esc goes back to the review to try again; q quits.",
            width,
            Style::new(),
        ));
    }
    c
}
