//! The end: what was done, what devices need (after an add), and the same change as a command
//! line.

use super::{Content, Theme, wrap_prefixed};
use crate::wizard::report::{Mark, Outcome};
use crate::wizard::state::State;
use ratatui::style::Style;
use ratatui::text::Line;

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content {
        scroll: Some(state.scroll),
        ..Content::default()
    };
    // Across factories: the CLI's summary table, and what to do next.
    if let Some(text) = crate::wizard::report::closing(state, &Ok(Outcome::Quit))
        .filter(|_| state.several.is_some())
    {
        for line in text.lines() {
            let style = if line.contains("FAILED") || line.contains("REFUSED") {
                theme.error()
            } else {
                Style::new()
            };
            c.extend(wrap_prefixed("", line, width, style));
        }
        if let Some(message) = state
            .several
            .as_ref()
            .and_then(|s| s.done.as_deref())
            .and_then(crate::fleet::summary::failures)
        {
            c.blank();
            c.extend(wrap_prefixed("✗ ", &message, width, theme.error()));
        }
        return c;
    }
    // The report every front end gives, drawn with the marks' colours.
    let Some(report) = crate::wizard::report::wizard_report(state) else {
        return c;
    };
    for (mark, line) in &report.lines {
        let style = match mark {
            Mark::Done => theme.ok(),
            Mark::Warn => theme.warn(),
            Mark::Note => Style::new(),
        };
        c.extend(wrap_prefixed(mark.prefix(), line, width, style));
    }
    if let Some(advice) = report.advice {
        c.blank();
        // The advice is written with line breaks for an 100-column terminal: rewrap it.
        c.extend(wrap_prefixed(
            "",
            &advice.replace('\n', " "),
            width,
            Style::new(),
        ));
    }
    c.blank();
    c.push(Line::styled("The same from a script:", theme.title()));
    let command = crate::wizard::report::command_line(state).unwrap_or_default();
    c.extend(wrap_prefixed("  ", &command, width, Style::new()));
    c
}
