//! Step 2: the four registry types, each with when to choose it.

use super::{Content, Theme, wrap_prefixed};
use crate::provider::Provider;
use crate::wizard::state::State;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    let mut c = Content::default();
    c.extend(wrap_prefixed(
        "",
        "Which kind of registry should CI pull from?",
        width,
        theme.title(),
    ));
    c.blank();
    for (i, p) in Provider::ALL.iter().enumerate() {
        let first = c.lines.len();
        let selected = i == state.provider_cursor;
        c.push(Line::from(vec![
            Span::styled(if selected { "▸ " } else { "  " }, theme.focus()),
            Span::styled(
                p.title(),
                if selected {
                    theme.focus()
                } else {
                    Style::new()
                },
            ),
        ]));
        c.extend(wrap_prefixed("    ", p.blurb(), width, theme.dim()));
        if selected {
            c.focus = Some((first, c.lines.len() - 1));
        }
    }
    c
}
