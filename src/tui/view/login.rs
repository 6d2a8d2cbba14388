//! Step 5 (add and rotate, before the review): the login test of the credentials that would be
//! stored. ✓ goes on; ✗ only goes back (or tests again); a registry that could not be reached
//! offers "Store anyway" next to Back, as `fioreg add` asks "Store them anyway? [y/N]".

use super::{Theme, spinner, wrap_prefixed};
use crate::wizard::state::{LoginCheck, LoginFocus, LoginStatus, LoginTest, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// `text` with its first letter capitalized and a full stop at the end: the core's reasons are
/// clauses ("cannot reach ..."), shown here as a sentence.
pub fn sentence(text: &str) -> String {
    let mut c = text.trim_end().chars();
    let mut out: String = match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// What the test found and what follows, above the buttons.
fn document(login: &LoginTest, tick: usize, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let host = &login.host;
    let mut lines = Vec::new();
    let blank = |lines: &mut Vec<Line<'static>>| lines.push(Line::default());
    match &login.status {
        LoginStatus::Running => {
            lines.extend(wrap_prefixed(
                &format!("{} ", spinner(tick)),
                &format!("Testing the login to {host}…"),
                width,
                theme.focus(),
            ));
            blank(&mut lines);
            lines.extend(wrap_prefixed(
                "",
                "fioreg logs in the way CI will, with the credentials that would be stored. \
                 Nothing is stored yet.",
                width,
                theme.dim(),
            ));
        }
        LoginStatus::Done(LoginCheck::Accepted) => {
            lines.extend(wrap_prefixed(
                "✓ ",
                &format!("{host} accepted these credentials."),
                width,
                theme.ok(),
            ));
            blank(&mut lines);
            lines.extend(wrap_prefixed(
                "",
                "Nothing is stored yet: the review comes next.",
                width,
                Style::new(),
            ));
        }
        LoginStatus::Done(LoginCheck::NoLogin) => {
            lines.extend(wrap_prefixed(
                "! ",
                &format!("{host} needs no login, so the credentials could not be tested."),
                width,
                theme.warn(),
            ));
            lines.extend(wrap_prefixed(
                "  ",
                "CI's docker login will succeed all the same.",
                width,
                theme.warn(),
            ));
            blank(&mut lines);
            lines.extend(wrap_prefixed(
                "",
                "Nothing is stored yet: the review comes next.",
                width,
                Style::new(),
            ));
        }
        LoginStatus::Done(LoginCheck::Failed(why)) => {
            lines.extend(wrap_prefixed("✗ ", &sentence(why), width, theme.error()));
            lines.extend(wrap_prefixed(
                "  ",
                "Nothing was stored.",
                width,
                theme.error(),
            ));
            blank(&mut lines);
            lines.extend(wrap_prefixed(
                "",
                "Esc goes back to the credentials to fix them (your answers are kept); r tests \
                 again.",
                width,
                Style::new(),
            ));
        }
        LoginStatus::Done(LoginCheck::Unreachable(why)) => {
            lines.extend(wrap_prefixed("✗ ", &sentence(why), width, theme.error()));
            lines.extend(wrap_prefixed(
                "  ",
                "The credentials could not be tested.",
                width,
                theme.error(),
            ));
        }
    }
    lines
}

/// The choice under an unreachable registry, kept at the bottom: the question and the
/// buttons, Back first (and focused first).
fn bottom_lines(login: &LoginTest, width: usize, theme: Theme) -> Vec<Line<'static>> {
    if !login.result().is_some_and(LoginCheck::may_store_anyway) {
        return Vec::new();
    }
    let button = |label: &str, focused: bool| super::button(label, focused, theme);
    let mut lines = wrap_prefixed("", "Store them anyway?", width, theme.title());
    lines.push(Line::from(vec![
        Span::raw("  "),
        button("Back", login.focus == LoginFocus::Back),
        Span::raw("   "),
        button("Store anyway", login.focus == LoginFocus::StoreAnyway),
    ]));
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let Some(login) = &state.login else {
        return;
    };
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let bottom = bottom_lines(login, width, theme);
    let document = document(login, state.tick, width, theme);
    // The choice stays at the bottom, a blank line under the reason when there is room for one.
    let gap = usize::from(!bottom.is_empty() && document.len() + bottom.len() < height);
    let room = height.saturating_sub(bottom.len() + gap);
    let mut lines: Vec<Line> = document.into_iter().take(room).collect();
    let fill = height.saturating_sub(lines.len() + bottom.len());
    lines.extend(std::iter::repeat_n(Line::default(), fill));
    lines.extend(bottom);
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("cannot reach x: refused"),
            "Cannot reach x: refused."
        );
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
