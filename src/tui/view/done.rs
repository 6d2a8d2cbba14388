//! The end: what was done, what devices need (after an add), and the same change as a command
//! line.

use super::{Content, Theme, wrap_prefixed};
use crate::plan::{Action, SecretOp};
use crate::tui::state::State;
use ratatui::style::Style;
use ratatui::text::Line;

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content {
        scroll: Some(state.scroll),
        ..Content::default()
    };
    let (Some(review), Some(run)) = (&state.review, &state.apply) else {
        return c;
    };
    let plan = &review.plan;
    let applied = match &run.result {
        Some(Ok(a)) => a,
        _ => return c,
    };
    let written = applied.config_written;
    c.extend(wrap_prefixed(
        "✓ Done: ",
        &plan.summary(),
        width,
        theme.ok(),
    ));
    c.blank();
    let target = match (&state.ctx.demo, &plan.factory) {
        (Some(_), _) => "the demo's scratch folder".to_string(),
        (None, Some(f)) => format!("factory {f}"),
        (None, None) => "the factory".to_string(),
    };
    if plan.secret_op == SecretOp::Store {
        c.extend(wrap_prefixed(
            "✓ ",
            &format!("Stored the secret {} in {target}.", plan.secret_name),
            width,
            theme.ok(),
        ));
    }
    let committed = match (&applied.commit, &plan.commit) {
        (Some(id), Some(commit)) => Some(format!(
            "Committed {id} on {}: \"{}\". Push it so the next CI build uses it.",
            commit.branch, commit.message
        )),
        _ => None,
    };
    let rotate = matches!(plan.action, Action::Rotate { .. });
    let remove = matches!(plan.action, Action::Remove { .. });
    let wrote = if rotate {
        format!(
            "{} is unchanged (byte-identical): nothing to commit. CI's next build logs in with \
             the new credentials.",
            plan.config_name()
        )
    } else if written && state.ctx.demo.is_some() {
        format!("Wrote {} (the demo's scratch copy).", plan.config_name())
    } else if written && committed.is_some() {
        format!("Wrote {}.", plan.config_path.display())
    } else if written {
        format!(
            "Wrote {}. Commit and push it in your ci-scripts checkout so the next CI build uses it.",
            plan.config_path.display()
        )
    } else {
        format!(
            "{} already held this entry: unchanged.",
            plan.config_path.display()
        )
    };
    c.extend(wrap_prefixed("✓ ", &wrote, width, theme.ok()));
    match plan.secret_op {
        SecretOp::Delete => c.extend(wrap_prefixed(
            "✓ ",
            &format!("Deleted the secret {} from {target}.", plan.secret_name),
            width,
            theme.ok(),
        )),
        SecretOp::Keep if remove && !plan.secret_name.is_empty() => c.extend(wrap_prefixed(
            "  ",
            &format!("The secret {} stays in {target}.", plan.secret_name),
            width,
            Style::new(),
        )),
        _ => {}
    }
    if let Some(line) = &committed {
        c.extend(wrap_prefixed("✓ ", line, width, theme.ok()));
    }
    if let Some(demo) = &state.ctx.demo {
        c.extend(wrap_prefixed(
            "DEMO: ",
            &format!(
                "the config is {} and the stored secrets are in {}",
                state.ctx.config_path.display(),
                demo.secrets_dir.display()
            ),
            width,
            theme.warn(),
        ));
    }
    if let Some(why) = &state.settings_warning {
        c.extend(wrap_prefixed(
            "! ",
            &format!("The settings were not saved: {why}"),
            width,
            theme.warn(),
        ));
    }
    if matches!(plan.action, Action::Add | Action::Update { .. }) {
        c.blank();
        // The advice is written with line breaks for an 100-column terminal: rewrap it.
        let advice = plan.provider.device_advice().replace('\n', " ");
        c.extend(wrap_prefixed("", &advice, width, Style::new()));
    }
    c.blank();
    c.push(Line::styled("The same from a script:", theme.title()));
    let command = review.source.command_line(
        &state.ctx.config_path,
        state.ctx.plan_factory.as_deref(),
        applied.commit.is_some(),
    );
    c.extend(wrap_prefixed("  ", &command, width, Style::new()));
    c
}
