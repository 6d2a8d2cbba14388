//! Drawing, from the state only: a header with the step indicator, the step list (from 60
//! columns), the screen's content and a footer built from the screen's keymap.
//!
//! Every mark that means something is a character (✓ ✗ ▸ ⊘ ! – + -): colour only repeats it.

mod apply;
mod credentials;
mod done;
pub mod login;
mod pick;
mod provider;
mod registry;
pub mod review;
mod start;

use super::keymap;
use crate::wizard::state::{ApplyEnd, Flow, LoginCheck, Screen, State, StepStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};

/// The smallest terminal the wizard draws in.
pub const MIN_SIZE: (u16, u16) = (40, 12);
/// From this width on, the step list is a column of its own.
const SIDEBAR_FROM: u16 = 60;
const SIDEBAR_WIDTH: u16 = 17;
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Styles; without colour (NO_COLOR) only bold, reverse and underline remain.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn focus(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// A text field's box: a dark background, or an underline without colour.
    pub fn input(self) -> Style {
        if self.color {
            Style::new().bg(Color::Indexed(236))
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }
    pub fn added(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn removed(self) -> Style {
        self.fg(Color::Red)
    }
}

/// A screen's content: its lines, the lines that must stay visible, and the text cursor.
#[derive(Debug, Default)]
pub struct Content {
    pub lines: Vec<Line<'static>>,
    /// The focused item, `first..=last` line: scrolled into view.
    pub focus: Option<(usize, usize)>,
    /// The text cursor: (line, column), when a text field has the focus.
    pub cursor: Option<(usize, u16)>,
    /// Free scrolling (Apply, Done): the first line shown; otherwise the focus decides.
    pub scroll: Option<usize>,
    /// Lines shown above where the focus would put the top (Start: ↑ past the first action).
    pub lift: usize,
}

impl Content {
    fn push(&mut self, line: Line<'static>) {
        self.lines.push(line);
    }
    /// An item of a list on one line: `▸ ` when selected, `⊘ ` (dimmed) when disabled; returns
    /// its first line, for [`Content::focus_from`].
    fn item(&mut self, label: String, disabled: bool, selected: bool, theme: Theme) -> usize {
        let (mark, style) = match (disabled, selected) {
            (true, _) => ("⊘ ", theme.dim()),
            (false, true) => ("▸ ", theme.focus()),
            (false, false) => ("  ", Style::new()),
        };
        self.lines.push(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(label, style),
        ]));
        self.lines.len() - 1
    }
    /// Why an item is disabled, under it.
    fn disabled(&mut self, reason: &str, width: usize, theme: Theme) {
        let line = format!("disabled: {reason}");
        self.extend(wrap_prefixed("    ", &line, width, theme.dim()));
    }
    /// When `selected`, the focus is the lines from `first` to the last so far.
    fn focus_from(&mut self, first: usize, selected: bool) {
        if selected {
            self.focus = Some((first, self.lines.len() - 1));
        }
    }
    fn blank(&mut self) {
        self.lines.push(Line::default());
    }
    fn extend(&mut self, lines: Vec<Line<'static>>) {
        self.lines.extend(lines);
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(frame, area);
        return;
    }
    let theme = Theme::new(state.ctx.color);
    let footer_rows = footer_rows(state, area.width);
    let [header, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(footer_rows.len() as u16),
    ])
    .areas(area);
    draw_header(frame, header, state, theme);
    let main = if area.width >= SIDEBAR_FROM {
        let [side, main] =
            Layout::horizontal([Constraint::Length(SIDEBAR_WIDTH), Constraint::Min(1)]).areas(body);
        draw_steps(frame, side, state, theme);
        main
    } else {
        body
    };
    let mut name = title(state);
    if name.chars().count() + 4 > usize::from(main.width) {
        name = short_title(state);
    }
    let block = Block::bordered()
        .padding(Padding::horizontal(1))
        .title(Span::styled(format!(" {name} "), theme.title()));
    let inner = block.inner(main);
    frame.render_widget(block, main);
    if state.screen == Screen::Review {
        review::draw(frame, inner, state, theme);
    } else if state.screen == Screen::TestLogin {
        login::draw(frame, inner, state, theme);
    } else {
        let content = content(state, inner.width, theme);
        render_content(frame, inner, content);
    }
    draw_footer(frame, footer_area, footer_rows, theme);
}

/// The content of every screen but Review, for a width.
fn content(state: &State, width: u16, theme: Theme) -> Content {
    let w = usize::from(width);
    match state.screen {
        Screen::Start => start::content(state, w, theme),
        Screen::Provider => provider::content(state, w, theme),
        Screen::Registry => registry::content(state, w, theme),
        Screen::Pick => pick::content(state, w, theme),
        Screen::Credentials => credentials::content(state, w, theme),
        Screen::Apply => apply::content(state, w, theme),
        Screen::Done => done::content(state, w, theme),
        Screen::Review | Screen::TestLogin => Content::default(),
    }
}

/// The inner area of the main block at the state's terminal size (the layout of [`draw`]).
pub fn content_rect(state: &State) -> Rect {
    let (w, h) = state.size;
    let side = if w >= SIDEBAR_FROM { SIDEBAR_WIDTH } else { 0 };
    let footer = footer_rows(state, w).len() as u16;
    // The header, the block's borders, the footer; one column of padding on each side.
    Rect::new(
        side + 2,
        2,
        w.saturating_sub(side + 4),
        h.saturating_sub(3 + footer),
    )
}

/// How far the screens scroll at the state's terminal size, for the wizard's update.
pub fn limits(state: &State) -> crate::wizard::state::ViewLimits {
    let (review_page, review_max) = review::page(state);
    crate::wizard::state::ViewLimits {
        review_page,
        review_max,
        scroll_max: scroll_limit(state),
    }
}

pub fn scroll_limit(state: &State) -> usize {
    let rect = content_rect(state);
    let c = content(state, rect.width, Theme::new(false));
    c.lines.len().saturating_sub(usize::from(rect.height))
}

/// Renders lines, scrolled to the focus (or freely), and places the text cursor.
fn render_content(frame: &mut Frame, area: Rect, content: Content) {
    let height = usize::from(area.height);
    let max = content.lines.len().saturating_sub(height);
    let top = match (content.scroll, content.focus) {
        (Some(s), _) => s.min(max),
        (None, Some((first, last))) => {
            let top = if last >= height {
                (last + 1 - height).min(first)
            } else {
                0
            };
            top.saturating_sub(content.lift)
        }
        (None, None) => 0,
    };
    if let Some((line, col)) = content.cursor
        && line >= top
        && line < top + height
        && col < area.width
    {
        let y = area.y + u16::try_from(line - top).unwrap_or(0);
        frame.set_cursor_position(Position::new(area.x + col, y));
    }
    let visible: Vec<Line> = content.lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}

/// The title for narrow blocks: `Registry · aws`.
fn short_title(state: &State) -> String {
    let provider = match state.screen {
        Screen::Registry => state.registry.as_ref().map(|f| f.provider),
        Screen::Credentials => state.creds.as_ref().map(|c| c.provider),
        _ => None,
    };
    match provider {
        Some(p) => format!("{} · {}", state.screen.name(), p.type_name()),
        None => state.screen.name().to_string(),
    }
}

fn title(state: &State) -> String {
    match state.screen {
        Screen::Start => "Start".into(),
        Screen::Provider => "Provider".into(),
        Screen::Pick if state.flow == Flow::Remove => "Remove: choose a registry".into(),
        Screen::Pick => "Rotate: choose a registry".into(),
        Screen::Registry => match &state.registry {
            Some(f) => format!("Registry: {}", f.provider.title()),
            None => "Registry".into(),
        },
        Screen::Credentials => match &state.creds {
            Some(c) => format!("Credentials: {}", c.provider.title()),
            None => "Credentials".into(),
        },
        Screen::TestLogin => "Test login".into(),
        Screen::Review => "Review".into(),
        Screen::Apply => "Apply".into(),
        Screen::Done => "Done".into(),
    }
}

/// `Step 3 of 7 · Registry`.
pub fn step_text(screen: Screen, flow: Flow) -> String {
    format!(
        "Step {} of {} · {}",
        screen.step(flow),
        flow.steps().len(),
        screen.name()
    )
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let width = usize::from(area.width);
    let step = step_text(state.screen, state.flow);
    let mut spans = vec![Span::styled("fioreg", theme.title())];
    if state.ctx.demo.is_some() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            "DEMO",
            theme
                .warn()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if area.width >= SIDEBAR_FROM {
        // ` fioreg [DEMO] · factory F · PATH ... Step 3 of 7 · Registry `
        spans.insert(0, Span::raw(" "));
        let used = used + 1;
        let right = step.chars().count() + 1;
        let info = match (&state.several, &state.ctx.factory) {
            (Some(several), _) => format!(
                " · {} of {} factories",
                several.chosen.iter().filter(|on| **on).count(),
                several.chosen.len()
            ),
            (None, Some(f)) => format!(" · factory {f} · {}", state.ctx.config_path.display()),
            (None, None) => format!(" · no factory set · {}", state.ctx.config_path.display()),
        };
        let info = truncate(&info, width.saturating_sub(used + right + 1));
        let pad = width.saturating_sub(used + info.chars().count() + right);
        spans.push(Span::raw(info));
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(step, theme.title()));
    } else {
        spans.push(Span::raw(truncate(
            &format!(" · {step}"),
            width.saturating_sub(used),
        )));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_steps(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let current = state.screen.step(state.flow);
    let end = state.apply_end();
    let skipped = state.ctx.login_skipped().is_some();
    // What the login test found: on its screen, or for the plan under review.
    let login = match state.screen {
        Screen::TestLogin => state.login.as_ref().and_then(|l| l.result()).cloned(),
        _ => state.review.as_ref().and_then(|r| r.login.clone()),
    };
    let mut lines: Vec<Line> = Vec::new();
    for s in state.flow.steps() {
        let n = s.step(state.flow);
        let past = state.screen == Screen::Done || n < current;
        let (mark, style) = match (*s, &login) {
            // Skipped for the whole run (--no-verify, demo): said under the step.
            (Screen::TestLogin, _) if skipped => ("–", theme.dim()),
            (Screen::TestLogin, Some(r)) if past && !matches!(r, LoginCheck::Accepted) => {
                ("!", theme.warn())
            }
            (Screen::TestLogin, Some(r)) if n == current && !r.passed() => ("✗", theme.error()),
            // Across factories Done follows a failed factory too: never a ✓ then.
            (Screen::Apply, _) if end == Some(ApplyEnd::Partial) => ("!", theme.warn()),
            (Screen::Apply, _) if end == Some(ApplyEnd::Failed) => ("✗", theme.error()),
            _ if past => ("✓", theme.ok()),
            _ if n == current => ("▸", theme.focus()),
            _ => (" ", Style::new()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(
                s.name(),
                if n == current {
                    theme.focus()
                } else {
                    Style::new()
                },
            ),
        ]));
        if *s == Screen::TestLogin && skipped {
            lines.push(Line::styled("   skipped", theme.dim()));
        }
        if *s == Screen::Apply && state.screen == Screen::Done {
            match end {
                Some(ApplyEnd::Partial) => lines.push(Line::styled("   partial", theme.warn())),
                Some(ApplyEnd::Failed) => lines.push(Line::styled("   failed", theme.error())),
                _ => {}
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Steps ")),
        area,
    );
}

/// The footer's rows: the keymap's entries, wrapped onto a second row when the terminal is
/// too narrow for one.
fn footer_rows(state: &State, width: u16) -> Vec<Vec<(&'static str, &'static str)>> {
    let width = usize::from(width);
    let mut rows: Vec<Vec<(&str, &str)>> = vec![Vec::new()];
    let mut used = 1;
    for (keys, help) in keymap::footer(state) {
        let len = keys.chars().count() + 1 + help.chars().count();
        let row_empty = rows.last().is_none_or(Vec::is_empty);
        if !row_empty && used + 3 + len > width && rows.len() < 2 {
            rows.push(Vec::new());
            used = 1;
        }
        let row_empty = rows.last().is_none_or(Vec::is_empty);
        used += len + if row_empty { 0 } else { 3 };
        if let Some(row) = rows.last_mut() {
            row.push((keys, help));
        }
    }
    rows
}

fn draw_footer(
    frame: &mut Frame,
    area: Rect,
    rows: Vec<Vec<(&'static str, &'static str)>>,
    theme: Theme,
) {
    let width = usize::from(area.width);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|row| {
            if row.is_empty() {
                let note = "applying: wait for the result (it cannot be interrupted now)";
                return Line::from(vec![
                    Span::raw(" "),
                    Span::styled(truncate(note, width.saturating_sub(1)), theme.dim()),
                ]);
            }
            let mut spans = vec![Span::raw(" ")];
            for (i, (keys, help)) in row.into_iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" · ", theme.dim()));
                }
                spans.push(Span::styled(keys, theme.title()));
                spans.push(Span::raw(format!(" {help}")));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "Terminal too small: {}x{}. fioreg needs at least {}x{}. Enlarge the window, or press \
         Ctrl-C to quit.",
        area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
    );
    let lines: Vec<Line> = wrap(&text, usize::from(area.width.max(1)))
        .into_iter()
        .map(Line::from)
        .collect();
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let rect = Rect::new(area.x, area.y + top, area.width, area.height - top);
    frame.render_widget(Paragraph::new(lines), rect);
}

/// Cuts `s` to `max` characters, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Word-wraps `text` to `width` columns; each paragraph keeps its leading indentation, and
/// words longer than a line are cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = para.trim_end_matches('\r');
        let indent = para.len() - para.trim_start_matches(' ').len();
        let room = width.saturating_sub(indent).max(1);
        let pad = " ".repeat(indent.min(width.saturating_sub(1)));
        let mut line = String::new();
        let mut len = 0;
        let mut lines = Vec::new();
        for word in para[indent..].split(' ') {
            let mut word = word;
            let mut wlen = word.chars().count();
            if len > 0 && len + 1 + wlen > room {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            while wlen > room {
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
                lines.push(word[..cut].to_string());
                word = &word[cut..];
                wlen = word.chars().count();
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += wlen;
        }
        lines.push(line);
        out.extend(lines.into_iter().map(|l| format!("{pad}{l}")));
    }
    out
}

/// `text` wrapped after `prefix` (e.g. `"  ✗ "`), continuation lines indented under the text.
pub fn wrap_prefixed(prefix: &str, text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let plen = prefix.chars().count();
    let indent = " ".repeat(plen);
    wrap(text, width.saturating_sub(plen).max(1))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let head = if i == 0 {
                prefix.to_string()
            } else {
                indent.clone()
            };
            Line::from(vec![Span::styled(head, style), Span::styled(l, style)])
        })
        .collect()
}

/// The spinner's frame for a tick.
/// A button, `[▸ Label ]` and reversed when it has the focus.
pub fn button(label: &str, focused: bool, theme: Theme) -> Span<'static> {
    let (mark, style) = if focused {
        ("▸", theme.focus().add_modifier(Modifier::REVERSED))
    } else {
        (" ", Style::new())
    };
    Span::styled(format!("[{mark} {label} ]"), style)
}

pub fn spinner(tick: usize) -> &'static str {
    SPINNER[tick % SPINNER.len()]
}

/// A step's mark and style on the Apply screen.
fn step_mark(status: StepStatus, tick: usize, theme: Theme) -> (&'static str, Style) {
    match status {
        StepStatus::Pending => ("·", theme.dim()),
        StepStatus::Running => (spinner(tick), theme.focus()),
        StepStatus::Done => ("✓", theme.ok()),
        StepStatus::Failed => ("✗", theme.error()),
    }
}

/// A text field's label line, its box and its message (error or hint), starting at line
/// `content.lines.len()`; sets the cursor when focused.
#[allow(clippy::too_many_arguments)]
pub(super) fn text_field(
    content: &mut Content,
    label: &str,
    value: &str,
    cursor: usize,
    focused: bool,
    error: Option<&str>,
    valid: bool,
    hint: Option<&str>,
    width: usize,
    theme: Theme,
) {
    let first = content.lines.len();
    let (mark, mark_style) = if error.is_some() {
        (" ✗", theme.error())
    } else if valid {
        (" ✓", theme.ok())
    } else {
        ("", Style::new())
    };
    let label_style = if focused {
        theme.focus()
    } else {
        theme.title()
    };
    content.push(Line::from(vec![
        Span::styled(if focused { "▸ " } else { "  " }, theme.focus()),
        Span::styled(label.to_string(), label_style),
        Span::styled(mark, mark_style),
    ]));
    // The box: 2 columns of margin, "› " when focused, the text scrolled to show the cursor.
    let box_width = width.saturating_sub(4).max(1);
    let room = box_width.saturating_sub(1);
    let chars: Vec<char> = value.chars().collect();
    let start = cursor.saturating_sub(room);
    let shown: String = chars.iter().skip(start).take(room).collect();
    let padded = format!("{shown:<box_width$}");
    content.push(Line::from(vec![
        Span::styled(if focused { "› " } else { "  " }, theme.focus()),
        Span::styled(padded, theme.input()),
    ]));
    if focused {
        let col = 2 + (cursor - start);
        content.cursor = Some((first + 1, u16::try_from(col).unwrap_or(u16::MAX)));
    }
    match (error, hint) {
        (Some(e), _) => content.extend(wrap_prefixed("  ✗ ", e, width, theme.error())),
        (None, Some(h)) => content.extend(wrap_prefixed("  ", h, width, theme.dim())),
        (None, None) => {}
    }
    content.focus_from(first, focused);
}

/// A checkbox: `[x]` / `[ ]` carry its state without colour, `▸` the focus.
fn checkbox(
    content: &mut Content,
    label: &str,
    checked: bool,
    focused: bool,
    width: usize,
    theme: Theme,
) {
    let first = content.lines.len();
    let prefix = format!(
        "{}{}",
        if focused { "▸ " } else { "  " },
        if checked { "[x] " } else { "[ ] " }
    );
    let style = if focused { theme.focus() } else { Style::new() };
    content.extend(wrap_prefixed(&prefix, label, width, style));
    content.focus_from(first, focused);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_indentation_and_cuts_long_words() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("  aa bb cc", 7), vec!["  aa bb", "  cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
