//! Unified diffs of factory-config.yml, for the terminal and for the wizard.

use similar::{ChangeTag, TextDiff};

/// One line of a diff with its line numbers, for views that draw their own gutter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: ChangeTag,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    /// The line without its terminator.
    pub text: String,
}

/// The changed lines with three lines of context around each change.
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                out.push(DiffLine {
                    tag: change.tag(),
                    old_line: change.old_index().map(|i| i + 1),
                    new_line: change.new_index().map(|i| i + 1),
                    text: change
                        .value()
                        .trim_end_matches('\n')
                        .trim_end_matches('\r')
                        .to_string(),
                });
            }
        }
    }
    out
}

/// A `git diff`-style unified diff; `color` adds ANSI colours. Empty when nothing changes.
pub fn unified(old: &str, new: &str, name: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    // Show CRLF files without stray carriage returns on the terminal, and any other control
    // character in the file escaped (before the colours are added).
    // A lone CR ends a line for YAML and for the diff: shown as `\r` at the end of its line.
    let text = text.replace("\r\n", "\n").replace('\r', "\\r\n");
    let text = crate::escape::controls(&text).into_owned();
    if !color {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let code = if body.starts_with("+++") || body.starts_with("---") {
            "1"
        } else if body.starts_with('+') {
            "32"
        } else if body.starts_with('-') {
            "31"
        } else if body.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m{nl}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn control_characters_are_escaped_before_the_colours() {
        let old = "a: 1\nb: \"x\"\n";
        let new = "a: 1\nb: \"x\"\rhidden\x1b[2J\n";
        let plain = unified(old, new, "f.yml", false);
        assert!(plain.contains("+b: \"x\"\\r\n+hidden\\x1b[2J\n"), "{plain}");
        let colored = unified(old, new, "f.yml", true);
        assert!(
            colored.contains("\x1b[32m+hidden\\x1b[2J\x1b[0m"),
            "{colored}"
        );
        assert!(!colored.contains("\x1b[2J"), "{colored}");
    }

    use super::*;

    #[test]
    fn unified_plain_and_coloured() {
        let old = "a: 1\nb: 2\n";
        let new = "a: 1\nb: 2\nc: 3\n";
        let plain = unified(old, new, "factory-config.yml", false);
        assert_eq!(
            plain,
            "--- a/factory-config.yml\n+++ b/factory-config.yml\n@@ -1,2 +1,3 @@\n a: 1\n b: 2\n+c: 3\n"
        );
        let col = unified(old, new, "factory-config.yml", true);
        assert!(col.contains("\x1b[32m+c: 3\x1b[0m\n"), "{col:?}");
        assert_eq!(unified(old, old, "x", false), "");
    }

    #[test]
    fn numbered_lines() {
        let l = lines("a\nb\n", "a\nx\nb\n");
        let added: Vec<_> = l.iter().filter(|d| d.tag == ChangeTag::Insert).collect();
        assert_eq!(added.len(), 1);
        assert_eq!((added[0].new_line, added[0].text.as_str()), (Some(2), "x"));
    }
}
