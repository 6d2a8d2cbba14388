//! Step 1: the factory, the config, its registries with their secrets, and what to do.

use super::{Content, Theme, spinner, truncate, wrap_prefixed};
use crate::factory_config::lint::Severity;
use crate::wizard::state::{Secrets, State};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn content(state: &State, width: usize, theme: Theme) -> Content {
    // ↑ on the first action shows what is above it when the screen is short.
    let mut c = Content {
        lift: state.scroll,
        ..Content::default()
    };
    let label = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<9}"), theme.title()),
            Span::raw(truncate(&value, width.saturating_sub(9))),
        ])
    };
    if state.several.is_some() {
        c.extend(wrap_prefixed(
            "",
            crate::wizard::flow::SEVERAL_START,
            width,
            Style::new(),
        ));
        if let Some(note) = state.switched_note() {
            c.extend(wrap_prefixed("", &note, width, theme.warn()));
        }
        fleet(&mut c, state, width, theme);
        if let Some(why) = state.several.as_ref().and_then(|s| s.error.as_ref()) {
            c.extend(wrap_prefixed("✗ ", why, width, theme.error()));
        }
        actions(&mut c, state, width, theme);
        return c;
    }
    c.push(label("Factory", state.ctx.factory_label.clone()));
    c.push(label("Config", state.ctx.config_path.display().to_string()));
    c.blank();

    let cfg = match &state.config {
        Ok(cfg) => cfg,
        Err(e) => {
            c.push(Line::styled("✗ The config cannot be read:", theme.error()));
            for line in e.lines() {
                c.extend(wrap_prefixed("  ", line, width, theme.error()));
            }
            c.blank();
            c.extend(wrap_prefixed(
                "",
                "Nothing was changed. Fix the file, then run fioreg again.",
                width,
                Style::new(),
            ));
            // The error may be longer than the screen: it scrolls.
            c.scroll = Some(state.scroll);
            return c;
        }
    };

    if cfg.registries.is_empty() {
        c.push(Line::raw("No container registries configured yet."));
    } else {
        c.push(Line::styled(
            format!("Registries ({})", cfg.registries.len()),
            theme.title(),
        ));
        for e in &cfg.registries {
            let (mark, status, style) = secret_status(state, e.secret_name.as_deref(), theme);
            let url = e.url.as_deref().unwrap_or("(no url)");
            c.push(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(truncate(
                    &format!("{:<8} {url}", e.kind),
                    width.saturating_sub(2),
                )),
            ]));
            let name = e.secret_name.as_deref().unwrap_or("(no secret name)");
            let line = truncate(&format!("  secret {name}: {status}"), width);
            c.push(Line::styled(line, style));
        }
    }
    match &state.secrets {
        Secrets::Unavailable(why) => {
            c.extend(wrap_prefixed(
                "✗ ",
                &format!("Secrets cannot be checked: {why}"),
                width,
                theme.error(),
            ));
            c.extend(wrap_prefixed(
                "  ",
                "Nothing that stores or deletes a secret can be applied.",
                width,
                theme.error(),
            ));
        }
        Secrets::Failed(why) => c.extend(wrap_prefixed(
            "? ",
            &format!("Secrets not checked: {why}"),
            width,
            theme.warn(),
        )),
        _ => {}
    }
    findings(&mut c, state, width, theme);
    scan(&mut c, state, width, theme);
    if let Some(input) = &state.containers_input {
        c.blank();
        super::text_field(
            &mut c,
            "containers.git checkout",
            input.value(),
            input.cursor(),
            true,
            None,
            false,
            Some("its path, e.g. ~/acme/containers: scanned now and remembered for this factory"),
            width,
            theme,
        );
        return c;
    }
    fleet(&mut c, state, width, theme);
    actions(&mut c, state, width, theme);
    c
}

/// "What now?" and the items (across factories, first the factories with their boxes).
fn actions(c: &mut Content, state: &State, width: usize, theme: Theme) {
    c.blank();
    c.push(Line::styled("What now?", theme.title()));
    for (i, a) in state.start_items().iter().enumerate() {
        let selected = i == state.start_cursor;
        let disabled = state.start_disabled(a);
        let first = c.item(a.label(), disabled.is_some(), selected, theme);
        if let Some(reason) = disabled {
            c.disabled(&reason, width, theme);
        }
        c.focus_from(first, selected);
    }
}

/// The remembered factories side by side (the same lines as the line prompts); nothing unless
/// two factories or more are remembered.
fn fleet(c: &mut Content, state: &State, width: usize, theme: Theme) {
    let Some(f) = crate::wizard::flow::fleet_lines(state, width) else {
        return;
    };
    c.blank();
    let head_style = if f.table.is_empty() && f.note.is_none() {
        theme.dim()
    } else {
        theme.title()
    };
    c.extend(wrap_prefixed("", &f.head, width, head_style));
    for line in &f.table {
        c.push(Line::raw(truncate(line, width)));
    }
    if let Some((mark, note)) = &f.note {
        let style = match mark {
            crate::wizard::report::Mark::Done => theme.ok(),
            _ => theme.warn(),
        };
        c.extend(wrap_prefixed(mark.prefix(), note, width, style));
    }
}

/// What the scan of containers.git says (the same lines as the line prompts).
fn scan(c: &mut Content, state: &State, width: usize, theme: Theme) {
    for (mark, line) in crate::wizard::flow::scan_lines(state) {
        let style = match mark {
            crate::wizard::report::Mark::Warn => theme.warn(),
            crate::wizard::report::Mark::Done => theme.ok(),
            crate::wizard::report::Mark::Note => theme.dim(),
        };
        c.extend(wrap_prefixed(mark.prefix(), &line, width, style));
    }
}

/// What `fioreg check` finds: each problem with its line, its severity as a mark (✗ error,
/// ! warning) and its fix. The factory's secrets are checked once they are listed.
fn findings(c: &mut Content, state: &State, width: usize, theme: Theme) {
    let Some((head, found)) = crate::wizard::flow::start_check(state) else {
        return;
    };
    c.blank();
    if found.is_empty() {
        c.push(Line::styled(
            truncate(&format!("✓ {head}"), width),
            theme.ok(),
        ));
        return;
    }
    c.extend(wrap_prefixed("", &head, width, theme.title()));
    for f in &found {
        let (mark, style) = match f.severity {
            Severity::Error => ("✗ ", theme.error()),
            Severity::Warning => ("! ", theme.warn()),
        };
        c.extend(wrap_prefixed(
            mark,
            &format!("line {}: {}", f.line, f.message),
            width,
            style,
        ));
        c.extend(wrap_prefixed("  fix: ", &f.fix, width, theme.dim()));
    }
}

/// The mark, word and style for a registry's secret.
fn secret_status(
    state: &State,
    name: Option<&str>,
    theme: Theme,
) -> (&'static str, &'static str, Style) {
    match (&state.secrets, name) {
        (Secrets::Loading, _) => (spinner(state.tick), "checking…", theme.dim()),
        (Secrets::Loaded(names), Some(n)) if names.iter().any(|s| s == n) => {
            ("✓", "present", theme.ok())
        }
        (Secrets::Loaded(_), _) => ("✗", "MISSING", theme.error()),
        _ => ("?", "unknown", theme.warn()),
    }
}
