//! Text that came from outside fioreg (a config file, a key file, a registry, fioctl, a path)
//! shown on a terminal: control characters are shown escaped, so none of them reaches the
//! terminal raw (an ESC sequence could recolour, move the cursor, retitle the window or hide
//! text; a CR could overwrite what was printed before it on the line).
//!
//! Plain output (`list`, `check`, plans, diffs and error messages) goes through here; the
//! full-screen wizard draws through ratatui, which never writes a control character itself.

use std::borrow::Cow;

/// `text` with every control character shown as an escape, except line feeds and tabs (the
/// layout of multi-line messages and diffs): ESC as `\x1b`, BEL as `\x07`, a CR as `\r`, DEL
/// as `\x7f`, C1 controls such as U+009B as `\u{9b}`.
pub fn controls(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// `text` for one line or one table cell: as [`controls`], and line feeds and tabs escaped too.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !c.is_control() || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(controls("ghcr.io"), "ghcr.io");
        assert!(matches!(controls("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            controls("a\x1b[31mred\x1b[0m\x07\rb\nc\td\x7f\u{9b}2J\0"),
            "a\\x1b[31mred\\x1b[0m\\x07\\rb\nc\td\\x7f\\u{9b}2J\\x00"
        );
        assert_eq!(line("a\nb\tc\x1b"), "a\\nb\\tc\\x1b");
        // Printable text of any script is kept as it is.
        assert_eq!(controls("héllo → ✓ 日本"), "héllo → ✓ 日本");
    }
}
