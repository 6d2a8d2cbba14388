//! Step 2: the four registry types, each with when to choose it.

use super::{Content, Theme, wrap_prefixed};
use crate::provider::Provider;
use crate::wizard::state::State;

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
        let selected = i == state.provider_cursor;
        let first = c.item(p.title().to_string(), false, selected, theme);
        c.extend(wrap_prefixed("    ", p.blurb(), width, theme.dim()));
        c.focus_from(first, selected);
    }
    c
}
