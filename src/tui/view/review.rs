//! Step 6: what applying will do. The secret is stored first, then the config is written: both
//! are shown (the secret redacted), the diff scrolls, and only Enter on Apply applies.

use super::{Theme, content_rect, wrap_prefixed};
use crate::plan::{Action, SecretOp};
use crate::wizard::state::{CommitState, Context, LoginCheck, Review, ReviewFocus, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use similar::ChangeTag;

pub use crate::wizard::flow::store_blocks;

/// The diff of the config, with old and new line numbers; the mark carries the meaning.
fn diff_lines(review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let digits = review
        .diff
        .iter()
        .filter_map(|d| d.old_line.max(d.new_line))
        .max()
        .unwrap_or(1)
        .to_string()
        .len()
        .max(2);
    let num = |n: Option<usize>| n.map_or(" ".repeat(digits), |n| format!("{n:>digits$}"));
    review
        .diff
        .iter()
        .map(|d| {
            // The mark carries the meaning; the colour repeats it.
            let (mark, style) = match d.tag {
                ChangeTag::Insert => ("+", theme.added()),
                ChangeTag::Delete => ("-", theme.removed()),
                ChangeTag::Equal => (" ", Style::new()),
            };
            let gutter = format!("{} {} {mark} ", num(d.old_line), num(d.new_line));
            let room = width.saturating_sub(gutter.chars().count());
            Line::from(vec![
                Span::styled(gutter, theme.dim()),
                Span::styled(super::truncate(&d.text, room), style),
            ])
        })
        .collect()
}

/// What the login test found for a plan that stores credentials, as `fioreg add` says it
/// before its plan: `(mark, text, style)`.
fn login_line(
    ctx: &Context,
    review: &Review,
    theme: Theme,
) -> Option<(&'static str, String, Style)> {
    let plan = &review.plan;
    if !crate::wizard::flow::plan_needs_login_test(plan) {
        return None;
    }
    let host = crate::wizard::flow::login_host(plan);
    if let Some(why) = ctx.login_skipped() {
        return Some(("– ", format!("Login test skipped: {why}."), theme.dim()));
    }
    Some(match review.login.as_ref()? {
        LoginCheck::Accepted => (
            "✓ ",
            format!("Login test: {host} accepted these credentials."),
            theme.ok(),
        ),
        LoginCheck::NoLogin => (
            "! ",
            format!("Login test: {host} needs no login, so the credentials could not be tested."),
            theme.warn(),
        ),
        LoginCheck::Unreachable(_) => (
            "! ",
            format!(
                "Login test: {host} could not be reached; the credentials will be stored \
                 untested."
            ),
            theme.warn(),
        ),
        // A failed test never reaches the review.
        LoginCheck::Failed(_) => return None,
    })
}

/// Across factories: the login test, then the one plan for all as the CLI prints it (per
/// factory its fioctl calls and config diff, or why it is skipped or refused).
fn several(
    ctx: &Context,
    review: &Review,
    batch: &crate::fleet::Batch,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some((mark, text, style)) = login_line(ctx, review, theme) {
        lines.extend(wrap_prefixed(mark, &text, width, style));
    }
    for line in batch.render(false).lines() {
        let style = if line.starts_with("━━") {
            theme.title()
        } else if line.starts_with('+') && !line.starts_with("+++") {
            theme.added()
        } else if line.starts_with('-') && !line.starts_with("---") {
            theme.removed()
        } else {
            Style::new()
        };
        lines.extend(rewrap(line, width, style));
    }
    lines
}

/// A line of a text block wrapped to `width`, its indent kept on every part.
fn rewrap(line: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let indent = line.len() - line.trim_start().len();
    wrap_prefixed(&" ".repeat(indent), line.trim_start(), width, style)
}

/// The whole review above the buttons: what the plan does, step by step, in the order it is
/// applied (the secret stored first; a secret deleted after the file is written; the commit
/// last), with the diff under the step that writes the file.
fn document(ctx: &Context, review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
    if let Some(batch) = &review.batch {
        return several(ctx, review, batch, width, theme);
    }
    let plan = &review.plan;
    let name = plan.config_name();
    let what = match plan.action {
        Action::Add => format!("a new entry in {name}"),
        Action::Update { line, .. } => format!("the entry at line {line} is updated in place"),
        Action::Rotate { line, .. } => format!("new credentials for the entry at line {line}"),
        Action::Remove { line, .. } => format!("the entry at line {line} is removed"),
    };
    let mut lines = wrap_prefixed(
        "Plan: ",
        &format!("{} ({what})", plan.summary()),
        width,
        theme.title(),
    );
    for note in &plan.notes {
        lines.extend(wrap_prefixed(
            "Note: ",
            &format!("{note}."),
            width,
            Style::new(),
        ));
    }
    if let Some(cloud) = &review.cloud {
        let text = crate::wizard::flow::new_key_login_note(&cloud.plan, ctx.verify.is_some());
        lines.extend(wrap_prefixed("– ", &text, width, theme.dim()));
        // Each cloud action with its command, and the policy document (or role binding), before anything else.
        for line in cloud.plan.render().lines() {
            let style = if line.starts_with(' ') {
                Style::new()
            } else {
                theme.title()
            };
            lines.extend(rewrap(line, width, style));
        }
    } else if let Some((mark, text, style)) = login_line(ctx, review, theme) {
        lines.extend(wrap_prefixed(mark, &text, width, style));
    }
    let mut n = 0;
    let mut step = |text: &str, lines: &mut Vec<Line<'static>>| {
        n += 1;
        lines.extend(wrap_prefixed(&format!("{n}. "), text, width, theme.title()));
    };
    if plan.secret_op == SecretOp::Store {
        step("Store the secret in the factory:", &mut lines);
        for call in plan.fioctl_calls() {
            lines.extend(wrap_prefixed("   ", &call, width, Style::new()));
        }
        if let Some(k) = review.source.keyring_line() {
            lines.extend(wrap_prefixed("   ", &k, width, theme.dim()));
        }
        if ctx.demo.is_some() {
            lines.extend(wrap_prefixed(
                "   ",
                "DEMO: the secret goes to a scratch folder, not to a factory",
                width,
                theme.warn(),
            ));
        }
    }
    if review.diff.is_empty() {
        let unchanged = if matches!(plan.action, Action::Rotate { .. }) {
            format!("{name} stays byte-identical: nothing to write or commit.")
        } else {
            format!("{name} already holds this entry: no change.")
        };
        lines.extend(wrap_prefixed("   ", &unchanged, width, theme.dim()));
    } else {
        let then = if plan.secret_op == SecretOp::Store {
            "Then write"
        } else {
            "Write"
        };
        step(&format!("{then} {name}:"), &mut lines);
        lines.extend(diff_lines(review, width, theme));
    }
    match plan.secret_op {
        SecretOp::Delete => {
            step("Then delete the secret from the factory:", &mut lines);
            for call in plan.fioctl_calls() {
                lines.extend(wrap_prefixed("   ", &call, width, Style::new()));
            }
        }
        SecretOp::Keep if !plan.secret_name.is_empty() => {
            lines.extend(wrap_prefixed(
                "   ",
                &format!("The secret {} stays in the factory.", plan.secret_name),
                width,
                theme.dim(),
            ));
        }
        _ => {}
    }
    match &review.commit {
        CommitState::On(c) => step(&crate::wizard::flow::commit_step(c), &mut lines),
        // Here, not under the buttons: the reason can be long, and the document scrolls.
        CommitState::Refused(why) => {
            lines.extend(wrap_prefixed(
                "✗ ",
                &format!("No commit: {why}"),
                width,
                theme.error(),
            ));
            lines.extend(wrap_prefixed(
                "  ",
                "Uncheck the commit (Space) to apply without it.",
                width,
                theme.error(),
            ));
        }
        _ => {}
    }
    lines
}

/// The lines under the document: the commit box, the buttons, and why Apply is unavailable
/// if it is.
fn bottom_lines(ctx: &Context, review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let button = |label: &str, focused: bool| super::button(label, focused, theme);
    let store_blocks = store_blocks(ctx, review);
    // ⊘: disabled, as on the Start screen; the reason is on the next line.
    let apply_label = if store_blocks || review.commit_blocks() {
        "Apply ⊘"
    } else {
        "Apply"
    };
    let mut lines = vec![Line::default()];
    // Narrow: the place is in the plan once checked; the branch is what matters here.
    let label = match (&review.batch, &ctx.checkout) {
        (Some(_), _) => Some(crate::wizard::flow::FLEET_COMMIT.to_string()),
        (None, Some(checkout)) if width >= 56 => Some(format!(
            "commit {} in {} (branch {})",
            review.plan.config_name(),
            checkout.root.display(),
            checkout.branch
        )),
        (None, Some(checkout)) => Some(format!("commit on branch {}", checkout.branch)),
        (None, None) => None,
    };
    if let Some(label) = label
        && !matches!(review.commit, CommitState::Unavailable)
    {
        let on = !matches!(review.commit, CommitState::Off);
        let mut c = super::Content::default();
        super::checkbox(&mut c, &label, on, false, width, theme);
        lines.extend(c.lines);
        match &review.commit {
            CommitState::Checking => {
                lines.push(Line::styled("      checking the checkout…", theme.dim()))
            }
            CommitState::Refused(_) => lines.push(Line::styled(
                "      refused: see the plan above",
                theme.error(),
            )),
            _ => {}
        }
    }
    lines.push(Line::from(vec![
        Span::raw("  "),
        button("Back", review.focus == ReviewFocus::Back),
        Span::raw("   "),
        button(apply_label, review.focus == ReviewFocus::Apply),
    ]));
    if let (true, Some(why)) = (store_blocks, &ctx.store_error) {
        lines.extend(wrap_prefixed(
            "✗ ",
            &format!("Applying is impossible: {why}"),
            width,
            theme.error(),
        ));
    }
    lines
}

/// Rows for the document at a size, and how many of its lines they show (one row tells where
/// we are when it does not fit).
fn rows(height: usize, ctx: &Context, review: &Review, width: usize) -> (usize, usize, usize) {
    let theme = Theme::new(false);
    let rows = height.saturating_sub(bottom_lines(ctx, review, width, theme).len());
    let len = document(ctx, review, width, theme).len();
    let shown = if len > rows {
        rows.saturating_sub(1)
    } else {
        rows
    };
    (rows, shown.max(1), len)
}

/// How many lines one page shows and the largest scroll, at the state's size (for `update`).
pub fn page(state: &State) -> (usize, usize) {
    let Some(review) = &state.review else {
        return (1, 0);
    };
    let rect = content_rect(state);
    let (_, shown, len) = rows(
        usize::from(rect.height),
        &state.ctx,
        review,
        usize::from(rect.width),
    );
    (shown, len.saturating_sub(shown))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(review) = &state.review else {
        return;
    };
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let (rows, shown, len) = rows(height, &state.ctx, review, width);
    let scroll = review.scroll.min(len.saturating_sub(shown));
    let mut lines: Vec<Line> = document(&state.ctx, review, width, theme)
        .into_iter()
        .skip(scroll)
        .take(shown)
        .collect();
    if len > rows && rows > 0 {
        lines.push(Line::styled(
            super::truncate(
                &format!(
                    "   lines {}-{} of {} (↑↓ PgUp PgDn)",
                    scroll + 1,
                    (scroll + shown).min(len),
                    len
                ),
                width,
            ),
            theme.dim(),
        ));
    }
    // The buttons stay at the bottom.
    let bottom = bottom_lines(&state.ctx, review, width, theme);
    let fill = height.saturating_sub(lines.len() + bottom.len());
    lines.extend(std::iter::repeat_n(Line::default(), fill));
    lines.extend(bottom);
    frame.render_widget(Paragraph::new(lines), area);
}
