//! Step 5: what applying will do. The secret is stored first, then the config is written: both
//! are shown (the secret redacted), the diff scrolls, and only Enter on Apply applies.

use super::{Theme, content_rect, wrap_prefixed};
use crate::plan::Action;
use crate::tui::state::{Context, Review, ReviewFocus, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use similar::ChangeTag;

/// The lines above the diff: the plan's summary and the fioctl call.
fn top_lines(ctx: &Context, review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
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
    lines.push(Line::styled(
        "1. Store the secret in the factory:",
        theme.title(),
    ));
    for call in plan.fioctl_calls() {
        lines.extend(wrap_prefixed("   ", &call, width, Style::new()));
    }
    if ctx.demo.is_some() {
        lines.extend(wrap_prefixed(
            "   ",
            "DEMO: the secret goes to a scratch folder, not to a factory",
            width,
            theme.warn(),
        ));
    }
    lines.push(Line::styled(
        format!("2. Then write {name}:"),
        theme.title(),
    ));
    lines
}

/// The lines under the diff: the buttons, and why Apply is unavailable if it is.
fn bottom_lines(ctx: &Context, review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let button = |label: &str, focused: bool| {
        let text = if focused {
            format!("[▸ {label} ]")
        } else {
            format!("[  {label} ]")
        };
        let style = if focused {
            theme.focus().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        Span::styled(text, style)
    };
    // ⊘: disabled, as on the Start screen; the reason is on the next line.
    let apply_label = if ctx.store_error.is_some() {
        "Apply ⊘"
    } else {
        "Apply"
    };
    let mut lines = vec![
        Line::default(),
        Line::from(vec![
            Span::raw("  "),
            button("Back", review.focus == ReviewFocus::Back),
            Span::raw("   "),
            button(apply_label, review.focus == ReviewFocus::Apply),
        ]),
    ];
    if let Some(why) = &ctx.store_error {
        lines.extend(wrap_prefixed(
            "✗ ",
            &format!("Applying is impossible: {why}"),
            width,
            theme.error(),
        ));
    }
    lines
}

/// The whole review above the buttons: the summary, the fioctl call, then the diff.
fn document(ctx: &Context, review: &Review, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = top_lines(ctx, review, width, theme);
    if review.diff.is_empty() {
        lines.extend(wrap_prefixed(
            "   ",
            &format!(
                "{} already holds this entry: no change.",
                review.plan.config_name()
            ),
            width,
            theme.dim(),
        ));
        return lines;
    }
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
    for d in &review.diff {
        // The mark carries the meaning; the colour repeats it.
        let (mark, style) = match d.tag {
            ChangeTag::Insert => ("+", theme.added()),
            ChangeTag::Delete => ("-", theme.removed()),
            ChangeTag::Equal => (" ", Style::new()),
        };
        let gutter = format!("{} {} {mark} ", num(d.old_line), num(d.new_line));
        let room = width.saturating_sub(gutter.chars().count());
        lines.push(Line::from(vec![
            Span::styled(gutter, theme.dim()),
            Span::styled(super::truncate(&d.text, room), style),
        ]));
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
